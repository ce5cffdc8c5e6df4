//! `.codegraph.toml`: a repository's own indexing settings, beside
//! `.codegraphignore`. Every door (library, CLI, server, MCP) reads the same
//! file, so they all build the same index.
//!
//! ```toml
//! [index]
//! exclude = ["docs/**", "*.min.js"]   # gitignore-style, as in .codegraphignore
//! exclude_dirs = ["third_party"]      # added to the directories skipped by name
//! include_dirs = ["build"]            # taken out of them
//! max_file_size = "2 MiB"             # bytes, or a size with a unit
//! max_line_length = 4000
//! follow_symlinks = false
//! languages = ["python", "rust"]      # only these (names as `codegraph query --lang`)
//!
//! [embeddings]
//! enabled = true                      # false: lexical and graph only, nothing embedded
//! model_dir = "models/minilm"         # relative to the repository root
//! model_id = "minilm-l6"              # names the model in the vector cache
//! dimensions = 384
//! pooling = "mean"                    # or "cls"
//! max_tokens = 128
//! ```
//!
//! A setting the caller of the library leaves at its default takes the
//! file's value; one the caller set (a command-line flag) wins. Lists add
//! up. Unknown keys, bad globs, unknown languages and bad sizes are
//! [`Error::ProjectConfig`], naming the file and what to fix.

use crate::{Error, IndexOptions, Result};
use codegraph_embed::{ModelConfig, Pooling};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The file name, at the repository root.
pub const PROJECT_FILE: &str = ".codegraph.toml";

/// A settings file larger than this is refused (real ones are a few
/// hundred bytes).
const MAX_PROJECT_FILE_BYTES: u64 = 64 * 1024;

/// The settings `.codegraph.toml` holds (absent keys: `None` or empty).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectConfig {
    #[serde(default)]
    pub index: IndexSettings,
    #[serde(default)]
    pub embeddings: EmbeddingSettings,
}

/// The `[index]` table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexSettings {
    #[serde(default)]
    pub exclude: Vec<String>,
    #[serde(default)]
    pub exclude_dirs: Vec<String>,
    #[serde(default)]
    pub include_dirs: Vec<String>,
    pub max_file_size: Option<ByteSize>,
    pub max_line_length: Option<usize>,
    pub follow_symlinks: Option<bool>,
    pub languages: Option<Vec<String>>,
}

/// The `[embeddings]` table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmbeddingSettings {
    pub enabled: Option<bool>,
    pub model_dir: Option<PathBuf>,
    pub model_id: Option<String>,
    pub dimensions: Option<usize>,
    pub pooling: Option<PoolingSetting>,
    pub max_tokens: Option<usize>,
}

/// `pooling = "mean" | "cls"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PoolingSetting {
    Mean,
    Cls,
}

/// A size in bytes: an integer, or a string with a unit (`"512 KiB"`,
/// `"2MB"`; KB/MB/GB are powers of 1000, KiB/MiB/GiB of 1024).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "SizeValue")]
pub struct ByteSize(pub u64);

#[derive(Deserialize)]
#[serde(untagged)]
enum SizeValue {
    Bytes(u64),
    Text(String),
}

impl TryFrom<SizeValue> for ByteSize {
    type Error = String;

    fn try_from(value: SizeValue) -> std::result::Result<Self, String> {
        match value {
            SizeValue::Bytes(n) => Ok(ByteSize(n)),
            SizeValue::Text(text) => parse_size(&text).map(ByteSize),
        }
    }
}

/// `"2 MiB"` as bytes.
fn parse_size(text: &str) -> std::result::Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let bad = || {
        format!(
            "`{text}` is not a size: write bytes (1048576) or a number and a unit (\"1 MiB\", \"500 KB\")"
        )
    };
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "kib" | "k" => 1 << 10,
        "mib" | "m" => 1 << 20,
        "gib" | "g" => 1 << 30,
        _ => return Err(bad()),
    };
    n.checked_mul(factor).ok_or_else(bad)
}

impl ProjectConfig {
    /// The settings of the repository at `root`; `None` without a file.
    /// A file that cannot be read or parsed is [`Error::ProjectConfig`].
    pub fn load(root: &Path) -> Result<Option<ProjectConfig>> {
        let path = root.join(PROJECT_FILE);
        let fail = |message: String| Error::ProjectConfig {
            path: path.clone(),
            message,
        };
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(fail(e.to_string())),
        };
        if !meta.is_file() {
            return Err(fail("not a regular file".into()));
        }
        if meta.len() > MAX_PROJECT_FILE_BYTES {
            return Err(fail(format!(
                "{} bytes, over the {MAX_PROJECT_FILE_BYTES} a settings file may have",
                meta.len()
            )));
        }
        let text = std::fs::read_to_string(&path).map_err(|e| fail(e.to_string()))?;
        let config = ProjectConfig::parse(&text).map_err(fail)?;
        config.check(root).map_err(fail)?;
        Ok(Some(config))
    }

    /// Parses the text of a settings file (the message says where it is
    /// wrong and which keys exist).
    pub fn parse(text: &str) -> std::result::Result<ProjectConfig, String> {
        toml::from_str(text).map_err(|e| e.to_string().trim_end().to_owned())
    }

    /// Checks what parsing cannot: globs, language names, the model.
    fn check(&self, root: &Path) -> std::result::Result<(), String> {
        let probe = IndexOptions {
            exclude_globs: self.index.exclude.clone(),
            ..IndexOptions::default()
        };
        probe
            .exclusions(root)
            .map_err(|e| format!("[index] exclude: {e}"))?;
        if let Some(languages) = &self.index.languages {
            check_languages(languages).map_err(|e| format!("[index] languages: {e}"))?;
        }
        for dir in self
            .index
            .exclude_dirs
            .iter()
            .chain(&self.index.include_dirs)
        {
            if dir.is_empty() || dir.contains('/') {
                return Err(format!(
                    "[index] exclude_dirs/include_dirs: `{dir}` is not a directory name (use `exclude` for paths and globs)"
                ));
            }
        }
        let e = &self.embeddings;
        if e.model_dir.is_none()
            && (e.model_id.is_some()
                || e.dimensions.is_some()
                || e.pooling.is_some()
                || e.max_tokens.is_some())
        {
            return Err(
                "[embeddings]: model_id, dimensions, pooling and max_tokens describe a model_dir; set model_dir too".into(),
            );
        }
        if e.dimensions == Some(0) || e.max_tokens.is_some_and(|t| t < 8) {
            return Err(
                "[embeddings]: dimensions must be positive and max_tokens at least 8".into(),
            );
        }
        Ok(())
    }

    /// Whether the file turns embeddings off.
    pub fn embeddings_enabled(&self) -> bool {
        self.embeddings.enabled.unwrap_or(true)
    }

    /// `options` with these settings filled in where the caller left the
    /// default; lists add up (see the module documentation).
    pub fn apply(&self, root: &Path, options: &IndexOptions) -> IndexOptions {
        let defaults = IndexOptions::default();
        let mut out = options.clone();
        let index = &self.index;
        out.exclude_globs.extend(index.exclude.iter().cloned());
        for dir in &index.exclude_dirs {
            if !out.exclude_dirs.contains(dir) {
                out.exclude_dirs.push(dir.clone());
            }
        }
        out.exclude_dirs.retain(|d| !index.include_dirs.contains(d));
        if let Some(size) = index.max_file_size
            && out.max_file_size == defaults.max_file_size
        {
            out.max_file_size = size.0;
        }
        if let Some(len) = index.max_line_length
            && out.max_line_length == defaults.max_line_length
        {
            out.max_line_length = len;
        }
        if let Some(follow) = index.follow_symlinks
            && !out.follow_symlinks
        {
            out.follow_symlinks = follow;
        }
        if out.languages.is_none() {
            out.languages = index.languages.clone();
        }
        if out.embed {
            out.embed = self.embeddings_enabled();
        }
        if out.model.is_none() {
            out.model = self.model(root);
        }
        out
    }

    /// The model `[embeddings]` names, if it names one.
    fn model(&self, root: &Path) -> Option<ModelConfig> {
        let e = &self.embeddings;
        let dir = e.model_dir.as_ref()?;
        let mut config = ModelConfig {
            model_dir: root.join(dir),
            model_id: e.model_id.clone().unwrap_or_else(|| {
                let name = dir.file_name().map(|n| n.to_string_lossy().into_owned());
                format!("project:{}", name.unwrap_or_default())
            }),
            ..ModelConfig::default()
        };
        if let Some(dim) = e.dimensions {
            config.dim = dim;
        }
        if let Some(pooling) = e.pooling {
            config.pooling = match pooling {
                PoolingSetting::Mean => Pooling::Mean,
                PoolingSetting::Cls => Pooling::Cls,
            };
        }
        if let Some(tokens) = e.max_tokens {
            config.max_tokens = tokens;
        }
        Some(config)
    }
}

/// Every name is a language of the table; the error lists the valid ones.
pub(crate) fn check_languages(names: &[String]) -> std::result::Result<(), String> {
    let registry = codegraph_lang::Registry::builtin();
    let unknown: Vec<&str> = names
        .iter()
        .filter(|n| registry.by_name(n).is_none())
        .map(String::as_str)
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    let valid: Vec<&str> = registry
        .languages()
        .iter()
        .map(|l| l.name.as_str())
        .collect();
    Err(format!(
        "unknown language {}; valid: {}",
        unknown
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", "),
        valid.join(", ")
    ))
}

/// The options an index of `root` runs with: `options` with the
/// repository's `.codegraph.toml` applied (when `options.project_config`),
/// and the settings found (`None`: no file, or not read).
pub(crate) fn effective(
    root: &Path,
    options: &IndexOptions,
) -> Result<(IndexOptions, Option<ProjectConfig>)> {
    if !options.project_config {
        return Ok((options.clone(), None));
    }
    Ok(match ProjectConfig::load(root)? {
        Some(config) => (config.apply(root, options), Some(config)),
        None => (options.clone(), None),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_bytes_or_a_unit() {
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("2 MiB"), Ok(2 << 20));
        assert_eq!(parse_size("500kb"), Ok(500_000));
        assert_eq!(parse_size(" 3 GB "), Ok(3_000_000_000));
        assert!(parse_size("two MB").unwrap_err().contains("not a size"));
        assert!(parse_size("5 parsecs").is_err());
        assert!(parse_size("99999999999999999999 GiB").is_err());
    }

    #[test]
    fn a_whole_file_parses_and_unknown_keys_are_named() {
        let config = ProjectConfig::parse(
            "[index]\nexclude = [\"docs/**\"]\nmax_file_size = \"2 MiB\"\nlanguages = [\"python\"]\n\n[embeddings]\nenabled = false\n",
        )
        .unwrap();
        assert_eq!(config.index.exclude, vec!["docs/**"]);
        assert_eq!(config.index.max_file_size, Some(ByteSize(2 << 20)));
        assert_eq!(config.index.languages, Some(vec!["python".to_owned()]));
        assert!(!config.embeddings_enabled());

        let err = ProjectConfig::parse("[index]\nexclud = []\n").unwrap_err();
        assert!(err.contains("exclud"), "{err}");
        assert!(err.contains("exclude"), "the valid keys are listed: {err}");
        let err = ProjectConfig::parse("[index]\nmax_file_size = \"lots\"\n").unwrap_err();
        assert!(err.contains("not a size"), "{err}");
    }

    #[test]
    fn the_callers_settings_win_and_lists_add_up() {
        let config = ProjectConfig::parse(
            "[index]\nexclude = [\"gen/**\"]\nexclude_dirs = [\"third_party\"]\ninclude_dirs = [\"build\"]\nmax_file_size = 100\nfollow_symlinks = true\n",
        )
        .unwrap();
        let root = Path::new("/repo");
        let plain = config.apply(root, &IndexOptions::default());
        assert_eq!(plain.max_file_size, 100);
        assert!(plain.follow_symlinks);
        assert!(plain.exclude_dirs.iter().any(|d| d == "third_party"));
        assert!(!plain.exclude_dirs.iter().any(|d| d == "build"));
        assert!(plain.exclude_dirs.iter().any(|d| d == "node_modules"));
        assert_eq!(plain.exclude_globs, vec!["gen/**"]);

        let flagged = IndexOptions {
            max_file_size: 7,
            exclude_globs: vec!["a/**".into()],
            ..IndexOptions::default()
        };
        let out = config.apply(root, &flagged);
        assert_eq!(out.max_file_size, 7, "a command-line value wins");
        assert_eq!(out.exclude_globs, vec!["a/**", "gen/**"]);
    }

    #[test]
    fn a_model_dir_is_relative_to_the_root_and_needed_by_its_details() {
        let config = ProjectConfig::parse(
            "[embeddings]\nmodel_dir = \"models/mini\"\ndimensions = 256\npooling = \"cls\"\n",
        )
        .unwrap();
        let out = config.apply(Path::new("/repo"), &IndexOptions::default());
        let model = out.model.unwrap();
        assert_eq!(model.model_dir, Path::new("/repo/models/mini"));
        assert_eq!(model.dim, 256);
        assert_eq!(model.pooling, Pooling::Cls);
        assert_eq!(model.model_id, "project:mini");

        let lone = ProjectConfig::parse("[embeddings]\ndimensions = 256\n").unwrap();
        assert!(
            lone.check(Path::new("/repo"))
                .unwrap_err()
                .contains("model_dir")
        );
    }

    #[test]
    fn unknown_languages_and_bad_globs_are_refused_with_the_fix() {
        let config = ProjectConfig::parse("[index]\nlanguages = [\"pyhton\"]\n").unwrap();
        let err = config.check(Path::new("/repo")).unwrap_err();
        assert!(err.contains("`pyhton`") && err.contains("python"), "{err}");
        let config = ProjectConfig::parse("[index]\nexclude = [\"src/[a\"]\n").unwrap();
        assert!(
            config
                .check(Path::new("/repo"))
                .unwrap_err()
                .contains("src/[a")
        );
        let config = ProjectConfig::parse("[index]\nexclude_dirs = [\"a/b\"]\n").unwrap();
        assert!(
            config
                .check(Path::new("/repo"))
                .unwrap_err()
                .contains("not a directory name")
        );
    }
}

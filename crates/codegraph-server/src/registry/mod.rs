//! The repositories a server owns. Each has a reader (an `Arc<Reader>`
//! every query shares) and an indexer thread (the library's [`Indexer`]
//! and its watcher) that follows edits. After each update the indexer
//! thread builds the next reader off the query path ([`Reader::next`]) and
//! swaps it in, so a query sees the index before an update or after it,
//! and never waits for one.
//!
//! Registrations persist in `repositories.json` (versioned). A repository
//! is served only under the directories the server's user allowed
//! ([`AllowedRoots`]); one persisted earlier that now lies outside them is
//! kept in the file but not served.

mod allowed;
mod indexer;

use crate::pb;
pub use allowed::{ALLOW_ROOTS_ENV, AllowedRoots};
use codegraph::{IndexOptions, Reader};
use indexer::indexer;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use tonic::Status;

/// A registration as it is persisted and listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepoConfig {
    pub id: String,
    pub root: PathBuf,
    pub index_dir: PathBuf,
    pub embed: bool,
    pub watch: bool,
    pub quiet_ms: u32,
    pub max_wait_ms: u32,
    pub exclude_dir_names: Vec<String>,
    /// Gitignore-style exclusions (`RepositoryOptions.exclude_globs`).
    #[serde(default)]
    pub exclude_globs: Vec<String>,
    /// Follow symbolic links that stay inside the root.
    #[serde(default)]
    pub follow_symlinks: bool,
    pub max_file_size: u64,
    pub registered_at: i64,
}

impl RepoConfig {
    pub fn index_options(&self) -> IndexOptions {
        let mut o = IndexOptions {
            index_dir: Some(self.index_dir.clone()),
            ..IndexOptions::default()
        };
        o.exclude_dirs
            .extend(self.exclude_dir_names.iter().cloned());
        o.exclude_globs = self.exclude_globs.clone();
        o.follow_symlinks = self.follow_symlinks;
        if self.max_file_size > 0 {
            o.max_file_size = self.max_file_size;
        }
        o
    }

    /// A line of the state file of format 0 (tab-separated), read once to
    /// carry registrations over.
    fn from_legacy_line(line: &str) -> Option<RepoConfig> {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() != 10 {
            return None;
        }
        Some(RepoConfig {
            id: f[0].to_owned(),
            root: PathBuf::from(f[1]),
            index_dir: PathBuf::from(f[2]),
            embed: f[3] == "1",
            watch: f[4] == "1",
            quiet_ms: f[5].parse().ok()?,
            max_wait_ms: f[6].parse().ok()?,
            exclude_dir_names: f[7]
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            exclude_globs: Vec::new(),
            follow_symlinks: false,
            max_file_size: f[8].parse().ok()?,
            registered_at: f[9].parse().ok()?,
        })
    }
}

/// What a repository's indexer is doing, for status and the progress feed.
#[derive(Debug, Clone, Default)]
pub struct RunState {
    pub progress: pb::IndexProgress,
    pub last_run: Option<pb::RunSummary>,
    pub finished: bool,
    pub watcher: i32,
    pub watcher_error: String,
    pub updates: u64,
    pub last_update_at: Option<i64>,
    pub last_latency_ms: u64,
    /// Whether a run completed since registration (queries may run from the
    /// persisted index before that).
    pub indexed: bool,
}

enum Command {
    Reindex { full: bool },
    Stop,
}

/// One registered repository.
pub struct Repo {
    pub config: RepoConfig,
    reader: RwLock<Arc<Reader>>,
    pub state: tokio::sync::watch::Sender<RunState>,
    stop: Arc<AtomicBool>,
    commands: Mutex<std::sync::mpsc::Sender<Command>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl std::fmt::Debug for Repo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repo")
            .field("config", &self.config)
            .finish()
    }
}

impl Repo {
    /// The reader queries use now.
    pub fn reader(&self) -> Arc<Reader> {
        self.reader.read().expect("reader lock").clone()
    }

    /// Swaps `next` in; returns the reader it replaces (queries may still
    /// hold it).
    fn swap_reader(&self, next: Reader) -> Arc<Reader> {
        std::mem::replace(
            &mut *self.reader.write().expect("reader lock"),
            Arc::new(next),
        )
    }

    pub fn reindex(&self, full: bool) -> Result<(), Status> {
        self.commands
            .lock()
            .expect("commands lock")
            .send(Command::Reindex { full })
            .map_err(|_| Status::unavailable("the indexer of this repository has stopped"))?;
        self.stop.store(true, Ordering::Relaxed);
        Ok(())
    }

    /// Stops the indexer at its next batch boundary and waits for it.
    pub fn shutdown(&self) {
        let _ = self
            .commands
            .lock()
            .expect("commands lock")
            .send(Command::Stop);
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.lock().expect("thread lock").take() {
            let _ = t.join();
        }
    }

    pub fn to_proto(&self) -> pb::Repository {
        crate::convert::repository(&self.config, &self.state.borrow())
    }
}

/// Every repository of the server, persisted in `state_dir`.
pub struct Registry {
    repos: RwLock<BTreeMap<String, Arc<Repo>>>,
    /// Where new registrations put their index.
    pub cache_dir: PathBuf,
    state_file: Option<PathBuf>,
    next_run: Arc<AtomicU64>,
    /// Serialises registration (check, open, insert).
    registering: Mutex<()>,
    /// Where repositories may be registered.
    allowed: AllowedRoots,
    /// Persisted registrations outside `allowed`: not served, kept in the
    /// state file (a later server allowing them serves them again).
    dormant: Vec<RepoConfig>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("state_file", &self.state_file)
            .finish()
    }
}

pub use codegraph::core::unix_now_secs as now_secs;

/// The state file's format. Changelog: 0 — `repositories.tsv`, one
/// tab-separated line per repository; 1 — `repositories.json`.
const STATE_VERSION: u32 = 1;
const STATE_FILE: &str = "repositories.json";
const LEGACY_STATE_FILE: &str = "repositories.tsv";

/// What the state file holds.
#[derive(Debug, Serialize, Deserialize)]
struct StateFile {
    version: u32,
    repositories: Vec<RepoConfig>,
}

/// The registrations saved in `dir`: the versioned file, or the legacy one.
/// A file of another version, or damaged, is set aside with a warning.
fn saved_configs(dir: &Path) -> Vec<RepoConfig> {
    let file = dir.join(STATE_FILE);
    match std::fs::read(&file) {
        Ok(bytes) => match serde_json::from_slice::<StateFile>(&bytes) {
            Ok(state) if state.version == STATE_VERSION => state.repositories,
            Ok(state) => {
                tracing::warn!(file = %file.display(), version = state.version, "repository list of another version; starting empty");
                Vec::new()
            }
            Err(e) => {
                tracing::warn!(file = %file.display(), error = %e, "repository list is damaged; starting empty");
                Vec::new()
            }
        },
        Err(_) => std::fs::read_to_string(dir.join(LEGACY_STATE_FILE))
            .map(|text| {
                text.lines()
                    .filter_map(RepoConfig::from_legacy_line)
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// The reader a repository starts with. An index a reader cannot open
/// because it is damaged (or of another format) does not keep the
/// repository from being served: the writer opens it first, which rebuilds
/// what cannot be read (replacing the index when even that fails), and the
/// indexer thread's first run fills it again.
fn first_reader(config: &RepoConfig) -> codegraph::Result<Reader> {
    match Reader::open(&config.root, config.index_options()) {
        Err(e) if e.is_damage() || matches!(e, codegraph::Error::NeedsIndex(_)) => {
            tracing::warn!(root = %config.root.display(), error = %e, "the index cannot be read; rebuilding it");
            match codegraph::Indexer::open(&config.root, config.index_options()) {
                Ok(_) => {}
                Err(e) if e.is_damage() => {
                    codegraph::Indexer::open_replacing(&config.root, config.index_options())?;
                }
                Err(e) => return Err(e),
            }
            Reader::open(&config.root, config.index_options())
        }
        other => other,
    }
}

/// The id of a repository: a digest of its canonical root.
pub fn repo_id(root: &Path) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in root.to_string_lossy().bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

impl Registry {
    /// A registry persisted in `state_dir` (none: in memory only) that
    /// registers repositories under `allowed` only; the repositories
    /// registered before are opened again and their indexers catch up on
    /// what changed while the server was down. Those now outside `allowed`
    /// are not served (a warning names each).
    pub fn open(
        state_dir: Option<&Path>,
        cache_dir: PathBuf,
        allowed: AllowedRoots,
    ) -> std::io::Result<Arc<Registry>> {
        let state_file = match state_dir {
            Some(d) => {
                std::fs::create_dir_all(d)?;
                Some(d.join(STATE_FILE))
            }
            None => None,
        };
        let (saved, dormant): (Vec<RepoConfig>, Vec<RepoConfig>) = state_dir
            .map(saved_configs)
            .unwrap_or_default()
            .into_iter()
            .partition(|c| allowed.permits(&c.root));
        for config in &dormant {
            tracing::warn!(
                root = %config.root.display(),
                "registered earlier but outside the allowed roots (--allow-root): not served"
            );
        }
        let registry = Arc::new(Registry {
            repos: RwLock::new(BTreeMap::new()),
            cache_dir,
            state_file,
            next_run: Arc::new(AtomicU64::new(1)),
            registering: Mutex::new(()),
            allowed,
            dormant,
        });
        for config in saved {
            let root = config.root.clone();
            match registry.start(config) {
                Ok(_) => tracing::info!(root = %root.display(), "repository reopened"),
                Err(e) => {
                    tracing::warn!(root = %root.display(), error = %e.message(), "repository not reopened")
                }
            }
        }
        Ok(registry)
    }

    fn persist(&self) {
        let Some(file) = &self.state_file else { return };
        let state = StateFile {
            version: STATE_VERSION,
            repositories: self
                .repos
                .read()
                .expect("repos lock")
                .values()
                .map(|r| r.config.clone())
                .chain(self.dormant.iter().cloned())
                .collect(),
        };
        let text = serde_json::to_vec_pretty(&state).expect("plain data serialises");
        let tmp = file.with_extension("tmp");
        if std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, file))
            .is_err()
        {
            tracing::warn!(file = %file.display(), "cannot save the repository list");
        }
    }

    /// The repository a request names, by id or by root path.
    pub fn get(&self, name: &str) -> Result<Arc<Repo>, Status> {
        if name.is_empty() {
            return Err(Status::invalid_argument("repository is empty"));
        }
        if name.len() > crate::limits::MAX_PATH_BYTES {
            return Err(Status::invalid_argument("repository is too long"));
        }
        let repos = self.repos.read().expect("repos lock");
        if let Some(r) = repos.get(name) {
            return Ok(r.clone());
        }
        let canonical = Path::new(name).canonicalize().ok();
        repos
            .values()
            .find(|r| canonical.as_deref() == Some(r.config.root.as_path()))
            .cloned()
            .ok_or_else(|| Status::not_found(format!("no registered repository `{name}`")))
    }

    pub fn list(&self) -> Vec<Arc<Repo>> {
        self.repos
            .read()
            .expect("repos lock")
            .values()
            .cloned()
            .collect()
    }

    /// The canonical root of a repository to register at `path`, if the
    /// server may serve it ([`AllowedRoots::admit`]).
    pub fn admit(&self, path: &str) -> Result<PathBuf, Status> {
        self.allowed.admit(path)
    }

    /// Registers and starts indexing a repository (its root canonical, from
    /// [`Registry::admit`]).
    pub fn register(&self, config: RepoConfig) -> Result<(Arc<Repo>, u64), Status> {
        if !self.allowed.permits(&config.root) {
            return Err(Status::permission_denied(format!(
                "{} is outside the directories this server may serve: \
                 start it with --allow-root DIR to allow it",
                config.root.display()
            )));
        }
        let _guard = self.registering.lock().expect("registering lock");
        if self
            .repos
            .read()
            .expect("repos lock")
            .values()
            .any(|r| r.config.root == config.root)
        {
            return Err(Status::already_exists(format!(
                "{} is already registered",
                config.root.display()
            )));
        }
        let run = self.next_run.load(Ordering::Relaxed);
        let repo = self.start(config)?;
        self.persist();
        Ok((repo, run))
    }

    fn start(&self, config: RepoConfig) -> Result<Arc<Repo>, Status> {
        let reader = first_reader(&config).map_err(crate::convert::status)?;
        // A read that finds damage leaves word for the indexer, whose first
        // run then rebuilds the index: the repository is served meanwhile.
        let indexed = match reader.last_indexed() {
            Ok(last) => last.is_some(),
            Err(e) if e.is_damage() => {
                tracing::warn!(root = %config.root.display(), error = %e, "the index is damaged; the first run rebuilds it");
                false
            }
            Err(e) => return Err(crate::convert::status(e)),
        };
        let (commands_tx, commands_rx) = std::sync::mpsc::channel();
        let (state, _) = tokio::sync::watch::channel(RunState {
            watcher: if config.watch {
                pb::WatcherState::Starting
            } else {
                pb::WatcherState::Disabled
            } as i32,
            progress: pb::IndexProgress {
                phase: pb::IndexPhase::Queued as i32,
                ..Default::default()
            },
            // An index from an earlier run answers queries at once.
            indexed,
            ..RunState::default()
        });
        let repo = Arc::new(Repo {
            config: config.clone(),
            reader: RwLock::new(Arc::new(reader)),
            state,
            stop: Arc::new(AtomicBool::new(false)),
            commands: Mutex::new(commands_tx),
            thread: Mutex::new(None),
        });
        let weak = Arc::downgrade(&repo);
        let next_run = self.next_run.clone();
        let handle = std::thread::Builder::new()
            .name(format!("index-{}", config.id))
            .spawn(move || indexer(weak, commands_rx, next_run))
            .map_err(|e| Status::internal(format!("cannot start the indexer: {e}")))?;
        *repo.thread.lock().expect("thread lock") = Some(handle);
        self.repos
            .write()
            .expect("repos lock")
            .insert(config.id.clone(), repo.clone());
        Ok(repo)
    }

    pub fn unregister(&self, repo: &Repo, delete_index: bool) -> Result<bool, Status> {
        self.repos
            .write()
            .expect("repos lock")
            .remove(&repo.config.id);
        self.persist();
        repo.shutdown();
        if delete_index {
            std::fs::remove_dir_all(&repo.config.index_dir).map_err(|e| {
                Status::internal(format!(
                    "{}: cannot delete the index: {e}",
                    repo.config.index_dir.display()
                ))
            })?;
        }
        Ok(delete_index)
    }

    /// Stops every indexer at its next batch boundary (everything it wrote
    /// is committed).
    pub fn shutdown(&self) {
        for r in self.list() {
            r.shutdown();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configs_survive_a_restart() {
        let c = RepoConfig {
            id: repo_id(Path::new("/src/app")),
            root: "/src/app".into(),
            index_dir: "/cache/app-1".into(),
            embed: true,
            watch: false,
            quiet_ms: 150,
            max_wait_ms: 2000,
            exclude_dir_names: vec!["gen".into(), "out".into()],
            exclude_globs: vec!["*.pb.go".into(), "!keep.pb.go".into()],
            follow_symlinks: true,
            max_file_size: 0,
            registered_at: 1_700_000_000,
        };
        let dir = tempfile::tempdir().unwrap();
        let state = StateFile {
            version: STATE_VERSION,
            repositories: vec![c.clone()],
        };
        std::fs::write(
            dir.path().join(STATE_FILE),
            serde_json::to_vec(&state).unwrap(),
        )
        .unwrap();
        assert_eq!(saved_configs(dir.path()), vec![c.clone()]);
        // Another version, or damage: set aside, never misread.
        std::fs::write(
            dir.path().join(STATE_FILE),
            b"{\"version\": 9, \"repositories\": []}",
        )
        .unwrap();
        assert!(saved_configs(dir.path()).is_empty());
        std::fs::write(dir.path().join(STATE_FILE), b"garbage").unwrap();
        assert!(saved_configs(dir.path()).is_empty());
        // The legacy list is carried over when there is no new one.
        std::fs::remove_file(dir.path().join(STATE_FILE)).unwrap();
        let legacy = "ab\t/src/app\t/cache/app-1\t1\t0\t150\t2000\tgen,out\t0\t1700000000\n";
        std::fs::write(dir.path().join(LEGACY_STATE_FILE), legacy).unwrap();
        let carried = saved_configs(dir.path());
        assert_eq!(carried.len(), 1);
        assert_eq!(carried[0].exclude_dir_names, c.exclude_dir_names);
        assert_eq!(RepoConfig::from_legacy_line("garbage"), None);
        assert_ne!(repo_id(Path::new("/a")), repo_id(Path::new("/b")));
    }

    #[test]
    fn persisted_repositories_outside_the_allowed_roots_are_not_served_but_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let inside = tmp.path().join("inside");
        let outside = tmp.path().join("outside");
        std::fs::create_dir_all(inside.join("repo")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        let config = |root: PathBuf| RepoConfig {
            id: repo_id(&root),
            index_dir: tmp.path().join("cache").join(repo_id(&root)),
            root,
            embed: false,
            watch: false,
            quiet_ms: 150,
            max_wait_ms: 2000,
            exclude_dir_names: Vec::new(),
            exclude_globs: Vec::new(),
            follow_symlinks: false,
            max_file_size: 0,
            registered_at: 1_700_000_000,
        };
        let state = tmp.path().join("state");
        std::fs::create_dir_all(&state).unwrap();
        let saved = vec![
            config(inside.join("repo").canonicalize().unwrap()),
            config(outside.canonicalize().unwrap()),
        ];
        std::fs::write(
            state.join(STATE_FILE),
            serde_json::to_vec(&StateFile {
                version: STATE_VERSION,
                repositories: saved.clone(),
            })
            .unwrap(),
        )
        .unwrap();
        let roots = AllowedRoots::new(std::slice::from_ref(&inside)).unwrap();
        let registry = Registry::open(Some(&state), tmp.path().join("cache"), roots).unwrap();
        let served: Vec<PathBuf> = registry
            .list()
            .iter()
            .map(|r| r.config.root.clone())
            .collect();
        assert_eq!(served, vec![saved[0].root.clone()]);
        // Refused by register() too, whoever calls it.
        let e = registry.register(saved[1].clone()).unwrap_err();
        assert_eq!(e.code(), tonic::Code::PermissionDenied);
        // Persisting keeps the dormant registration.
        registry.persist();
        let kept: Vec<PathBuf> = saved_configs(&state).into_iter().map(|c| c.root).collect();
        assert!(kept.contains(&saved[1].root), "{kept:?}");
        registry.shutdown();
    }
}

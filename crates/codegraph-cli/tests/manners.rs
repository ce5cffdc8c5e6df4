//! The command line's manners, end to end with the real binary: root
//! discovery, a missing index, closed pipes, flag validation, exit codes,
//! colour, completions, the man page, help examples, and what a terminal
//! shows.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The binary with a private cache directory (where default indexes live).
fn codegraph(cache: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_codegraph"));
    cmd.env_remove("CODEGRAPH_LOG")
        .env_remove("NO_COLOR")
        .env("CODEGRAPH_CACHE_DIR", cache)
        .stdin(Stdio::null());
    cmd
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A repository (`.git` marks its root) with two packages.
struct Repo {
    _dir: tempfile::TempDir,
    root: PathBuf,
    cache: PathBuf,
}

fn repo() -> Repo {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("proj").canonicalize_or_create();
    std::fs::create_dir_all(root.join(".git")).unwrap();
    write(
        &root,
        "src/app/config.py",
        "def parse_config(path):\n    \"\"\"Read the settings file.\"\"\"\n    return load_settings(path)\n\n\ndef load_settings(path):\n    return open(path).read()\n",
    );
    write(
        &root,
        "tools/settings_tool.py",
        "from app.config import parse_config\n\n\ndef settings_main():\n    return parse_config('settings.ini')\n",
    );
    let cache = dir.path().join("cache");
    Repo {
        _dir: dir,
        root,
        cache,
    }
}

trait CanonicalOrCreate {
    fn canonicalize_or_create(self) -> PathBuf;
}

impl CanonicalOrCreate for PathBuf {
    fn canonicalize_or_create(self) -> PathBuf {
        std::fs::create_dir_all(&self).unwrap();
        self.canonicalize().unwrap()
    }
}

impl Repo {
    /// `codegraph ARGS` run from `cwd` (relative to the root).
    fn at(&self, cwd: &str, args: &[&str]) -> Output {
        run(codegraph(&self.cache)
            .current_dir(self.root.join(cwd))
            .args(args))
    }

    fn index(&self) {
        let out = self.at(".", &["index", "--no-embed"]);
        assert!(out.status.success(), "{}", stderr(&out));
    }

    fn cache_entries(&self) -> usize {
        std::fs::read_dir(&self.cache).map_or(0, |d| d.count())
    }
}

#[test]
fn read_commands_without_an_index_say_what_to_run_exit_3_and_create_nothing() {
    let r = repo();
    let read_commands: &[&[&str]] = &[
        &["query", "parse"],
        &["symbol", "parse_config"],
        &["callers", "parse_config"],
        &["callees", "parse_config"],
        &["map"],
        &["tree"],
        &["status"],
        &["neighbors", "parse_config"],
        &["imports", "config.py"],
        &["importers", "config.py"],
        &[
            "context",
            "--file",
            "config.py",
            "--line",
            "1",
            "--column",
            "1",
        ],
    ];
    for args in read_commands {
        let out = r.at("src/app", args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.contains(&format!("run `codegraph index {}`", r.root.display())),
            "{args:?} should name the discovered root: {err}"
        );
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    assert_eq!(r.cache_entries(), 0, "a read command created an index");
}

#[test]
fn a_subdirectory_finds_the_repository_root_and_prints_paths_from_there() {
    let r = repo();
    // Indexing from a subdirectory indexes the whole repository.
    let out = r.at("src/app", &["index", "--no-embed", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["files"], 2, "{v}");
    assert_eq!(r.cache_entries(), 1);

    let status = r.at("src/app", &["status", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(v["repository"]["root"], r.root.to_str().unwrap(), "{v}");

    // Locations are relative to the working directory, so they open.
    let out = r.at("src/app", &["symbol", "parse_config"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("config.py:1:1 "),
        "{}",
        stdout(&out)
    );
    let out = r.at("src/app", &["callers", "parse_config"]);
    assert!(
        stdout(&out).contains("../../tools/settings_tool.py:4:1"),
        "{}",
        stdout(&out)
    );

    // An explicit PATH is the root as given: a subdirectory has no index
    // of its own.
    let out = r.at(".", &["query", "parse", "src"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("src has no index"),
        "{}",
        stderr(&out)
    );
}

/// A pipe whose reading end is closed before the process starts: every
/// write fails with EPIPE.
fn closed_pipe() -> std::io::PipeWriter {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    writer
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let r = repo();
    r.index();
    let commands: &[&[&str]] = &[
        &["status"],
        &["query", "parse", "--mode", "lexical"],
        &["neighbors", "parse_config"],
        &["tree"],
        &["map"],
        &["completions", "bash"],
        &["status", "--json"],
    ];
    for args in commands {
        let out = codegraph(&r.cache)
            .current_dir(&r.root)
            .args(*args)
            .stdout(closed_pipe())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"), "{args:?}");
        assert!(!stderr(&out).contains("Broken pipe"), "{args:?}");
    }
    // As a shell pipeline.
    let out = run(Command::new("bash")
        .current_dir(&r.root)
        .env("CODEGRAPH_CACHE_DIR", &r.cache)
        .arg("-c")
        .arg(format!(
            "set -o pipefail; '{}' status | head -1",
            env!("CARGO_BIN_EXE_codegraph")
        )));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("repository"), "{}", stdout(&out));
    assert_eq!(stderr(&out), "");
}

#[test]
fn enumerated_flags_list_their_valid_values() {
    let r = repo();
    let cases: &[(&[&str], &str)] = &[
        (&["query", "x", "--lang", "pyhton"], "python"),
        (&["query", "x", "--kind", "funtion"], "function"),
        (&["query", "x", "--mode", "fast"], "lexical"),
        (&["query", "x", "--color", "sometimes"], "never"),
        (&["completions", "tcsh"], "bash"),
    ];
    for (args, valid) in cases {
        let out = r.at(".", args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("possible values") && err.contains(valid),
            "{args:?}: {err}"
        );
    }
    // Focus files must exist.
    let out = r.at(".", &["query", "x", "--focus", "nosuch.py"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--focus nosuch.py: no such file"));
}

fn result_paths(out: &Output) -> Vec<String> {
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(out)));
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].as_str().unwrap().to_owned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

#[test]
fn path_takes_a_directory_a_file_or_a_glob() {
    let r = repo();
    r.index();
    let q = |cwd: &str, path: &str| {
        let out = r.at(
            cwd,
            &[
                "query", "settings", "--mode", "lexical", "--json", "--path", path,
            ],
        );
        assert!(out.status.success(), "--path {path}: {}", stderr(&out));
        result_paths(&out)
    };
    let all = q(".", "**");
    assert_eq!(all.len(), 2, "{all:?}");
    assert_eq!(q(".", "src"), ["src/app/config.py"]);
    assert_eq!(q(".", "src/"), ["src/app/config.py"]);
    assert_eq!(q(".", "tools/settings_tool.py"), ["tools/settings_tool.py"]);
    assert_eq!(q(".", "tools/*.py"), ["tools/settings_tool.py"]);
    // A directory is relative to the working directory.
    assert_eq!(q("src", "app"), ["src/app/config.py"]);
}

#[test]
fn exit_status_says_whether_anything_matched() {
    let r = repo();
    r.index();
    let code = |args: &[&str]| r.at(".", args).status.code();
    assert_eq!(code(&["query", "settings", "--mode", "lexical"]), Some(0));
    assert_eq!(code(&["query", "zebra", "--mode", "lexical"]), Some(1));
    assert_eq!(
        code(&["query", "zebra", "--mode", "lexical", "--json"]),
        Some(1)
    );
    assert_eq!(code(&["symbol", "parse_config"]), Some(0));
    assert_eq!(code(&["symbol", "no_such_thing"]), Some(1));
    assert_eq!(code(&["symbol", "no_such_thing", "--json"]), Some(1));
    assert_eq!(code(&["callers", "parse_config"]), Some(0));
    assert_eq!(code(&["callers", "settings_main"]), Some(1));
    assert_eq!(code(&["callees", "parse_config"]), Some(0));
    assert_eq!(code(&["status"]), Some(0));
    // Usage errors.
    assert_eq!(code(&["query"]), Some(2));
    assert_eq!(code(&["frobnicate"]), Some(2));
    // `-n` limits.
    let out = r.at(
        ".",
        &[
            "query", "settings", "--mode", "lexical", "--json", "-n", "1",
        ],
    );
    assert_eq!(result_paths(&out).len(), 1);
}

#[test]
fn color_highlights_matches_and_locations_only_when_asked() {
    let r = repo();
    r.index();
    let q = |extra: &[&str], no_color: bool| {
        let mut cmd = codegraph(&r.cache);
        cmd.current_dir(&r.root)
            .args(["query", "load_settings", "--mode", "lexical", "-n", "1"])
            .args(extra);
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        let out = run(&mut cmd);
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    let plain = q(&[], false);
    assert!(!plain.contains('\x1b'), "piped output is not coloured");
    // ` 1. path:line:col  ...`: the first line of the snippet that matches,
    // and the column of the match in it.
    let header = plain.lines().next().unwrap();
    let location = header.split_whitespace().nth(1).unwrap();
    let mut parts = location.rsplitn(3, ':');
    let col: usize = parts.next().unwrap().parse().unwrap();
    let line = parts.next().unwrap();
    assert_eq!(parts.next(), Some("src/app/config.py"), "{plain}");
    let text = plain
        .lines()
        .find_map(|l| l.trim_start().strip_prefix(&format!("{line}: ")))
        .unwrap_or_else(|| panic!("line {line} not in the snippet: {plain}"));
    let at: String = text.chars().skip(col - 1).collect();
    assert!(
        at.starts_with("load_settings") || at.starts_with("settings"),
        "{location} does not point at a match: {plain}"
    );
    assert_eq!(q(&["--color", "never"], false), plain);
    // --color always wins over NO_COLOR.
    let coloured = q(&["--color", "always"], true);
    assert!(
        coloured.contains(&format!(
            "\x1b[35msrc/app/config.py\x1b[0m:\x1b[32m{line}\x1b[0m:\x1b[32m{col}\x1b[0m"
        )),
        "{coloured:?}"
    );
    assert!(
        coloured.contains("\x1b[1;31mload_settings\x1b[0m"),
        "{coloured:?}"
    );
}

#[test]
fn logs_are_plain_text_unless_stderr_is_a_terminal() {
    let r = repo();
    let out = run(codegraph(&r.cache)
        .current_dir(&r.root)
        .env("CODEGRAPH_LOG", "debug")
        .args(["index", "--no-embed"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let log = stderr(&out);
    assert!(log.contains("DEBUG"), "the debug log is on stderr: {log}");
    assert!(
        !log.contains('\x1b'),
        "a log in a file or pipe has no colour codes: {log:?}"
    );
}

/// Runs `command` under a pseudo-terminal (`script`) and returns what the
/// terminal received.
fn on_a_terminal(r: &Repo, command: &str, no_color: bool) -> String {
    let mut cmd = Command::new("script");
    cmd.current_dir(&r.root)
        .env("CODEGRAPH_CACHE_DIR", &r.cache)
        .env_remove("NO_COLOR")
        .args(["-qec", command, "/dev/null"])
        .stdin(Stdio::null());
    if no_color {
        cmd.env("NO_COLOR", "1");
    }
    let out = run(&mut cmd);
    assert!(out.status.success(), "{command}: {}", stderr(&out));
    stdout(&out)
}

#[test]
fn a_terminal_sees_colour_and_an_honest_summary() {
    let r = repo();
    let bin = env!("CARGO_BIN_EXE_codegraph");
    let shown = on_a_terminal(&r, &format!("'{bin}' index --no-embed"), false);
    // The total, and what it was spent on.
    assert!(shown.contains(" s (files "), "{shown:?}");
    assert!(shown.contains("parsed 2,"), "{shown:?}");
    let query = format!("'{bin}' query parse_config --mode lexical -n 1");
    let coloured = on_a_terminal(&r, &query, false);
    assert!(
        coloured.contains("\x1b[1;31mparse_config\x1b[0m"),
        "{coloured:?}"
    );
    assert!(coloured.contains("\x1b[35m"), "{coloured:?}");
    let plain = on_a_terminal(&r, &query, true);
    assert!(!plain.contains("\x1b[35m"), "NO_COLOR: {plain:?}");
    assert!(plain.contains("parse_config"), "{plain:?}");
}

#[test]
fn completions_parse_in_their_shells_and_the_man_page_renders() {
    let r = repo();
    let dir = tempfile::tempdir().unwrap();
    for (shell, checker, flag) in [
        ("bash", "bash", "-n"),
        ("zsh", "zsh", "-n"),
        ("fish", "fish", "--no-execute"),
    ] {
        let out = r.at(".", &["completions", shell]);
        assert!(out.status.success(), "{shell}: {}", stderr(&out));
        let script = stdout(&out);
        assert!(script.contains("codegraph"), "{shell}");
        assert!(
            script.contains("callers"),
            "{shell}: subcommands are completed"
        );
        let file = dir.path().join(format!("codegraph.{shell}"));
        std::fs::write(&file, &script).unwrap();
        match Command::new(checker).arg(flag).arg(&file).output() {
            Ok(check) => assert!(
                check.status.success(),
                "{shell} rejects the completion script: {}",
                stderr(&check)
            ),
            // bash is always there; zsh and fish only when installed.
            Err(e) if shell != "bash" => eprintln!("{shell} not installed ({e}): not checked"),
            Err(e) => panic!("bash: {e}"),
        }
    }
    let out = r.at(".", &["man"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let page = stdout(&out);
    assert!(
        page.starts_with(".ie") || page.contains(".TH codegraph"),
        "{page}"
    );
    assert!(
        page.contains(".TH codegraph-query"),
        "a page per subcommand"
    );
    // man(1) renders it, where installed.
    if let Ok(out) = Command::new("man").arg("--version").output()
        && out.status.success()
    {
        let file = dir.path().join("codegraph.1");
        std::fs::write(&file, &page).unwrap();
        let rendered = run(Command::new("man")
            .arg("-l")
            .arg(&file)
            .env("MANPAGER", "cat"));
        assert!(rendered.status.success(), "{}", stderr(&rendered));
    }
}

#[test]
fn every_subcommand_shows_an_example() {
    let r = repo();
    let out = r.at(".", &["--help"]);
    let top = stdout(&out);
    assert!(top.contains("Exit status"), "{top}");
    let names: Vec<String> = top
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(|l| l.split_whitespace().next().unwrap().to_owned())
        .filter(|n| n != "help")
        .collect();
    assert!(names.len() >= 18, "{names:?}");
    for name in names {
        let out = r.at(".", &[&name, "--help"]);
        let help = stdout(&out);
        assert!(
            help.contains("Examples:") && help.contains(&format!("codegraph {name}")),
            "{name}: {help}"
        );
    }
}

/// Runs `args` under a pseudo-terminal of `rows` lines with `pager` as
/// the pager; what the terminal received.
fn paged(r: &Repo, args: &str, rows: usize, pager: &Path) -> String {
    let bin = env!("CARGO_BIN_EXE_codegraph");
    let out = run(Command::new("script")
        .current_dir(&r.root)
        .env("CODEGRAPH_CACHE_DIR", &r.cache)
        .env("CODEGRAPH_PAGER", pager)
        .env("LINES", rows.to_string())
        .env_remove("LESS")
        .env("NO_COLOR", "1")
        .args(["-qec", &format!("'{bin}' {args}"), "/dev/null"])
        .stdin(Stdio::null()));
    assert!(out.status.success(), "{args}: {}", stderr(&out));
    stdout(&out)
}

#[test]
fn long_output_on_a_terminal_goes_through_the_pager() {
    let r = repo();
    let many: String = (0..40)
        .map(|i| format!("def handler_{i}():\n    pass\n\n\n"))
        .collect();
    write(&r.root, "many.py", &many);
    let dir = tempfile::tempdir().unwrap();
    let pager = dir.path().join("pager.sh");
    std::fs::write(
        &pager,
        "#!/bin/sh\necho \"LESS=$LESS\"\nsed 's/^/PAGED|/'\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&pager, std::fs::Permissions::from_mode(0o755)).unwrap();

    let long = paged(&r, "symbols many.py", 10, &pager);
    assert!(
        long.contains("LESS=FRX"),
        "less gets FRX by default: {long:?}"
    );
    assert!(long.contains("PAGED|"), "{long:?}");
    assert!(
        long.lines()
            .filter(|l| l.contains("handler_"))
            .all(|l| l.starts_with("PAGED|")),
        "every line went through the pager, the first screen too: {long:?}"
    );
    assert!(long.contains("handler_39"), "{long:?}");

    // What fits the screen is written directly.
    let short = paged(&r, "symbols src/app/config.py", 10, &pager);
    assert!(short.contains("parse_config"), "{short:?}");
    assert!(!short.contains("PAGED|"), "{short:?}");
    // The same long output on a taller screen fits it.
    let tall = paged(&r, "symbols many.py", 500, &pager);
    assert!(tall.contains("handler_39") && !tall.contains("PAGED|"));

    // --no-pager, and output that is not a terminal, are never paged.
    let flag = paged(&r, "--no-pager symbols many.py", 10, &pager);
    assert!(flag.contains("handler_39") && !flag.contains("PAGED|"));
    let piped = run(codegraph(&r.cache)
        .current_dir(&r.root)
        .env("CODEGRAPH_PAGER", &pager)
        .env("LINES", "10")
        .args(["symbols", "many.py"]));
    assert!(stdout(&piped).contains("handler_39") && !stdout(&piped).contains("PAGED|"));

    // A pager that does not exist loses nothing.
    let missing = paged(&r, "symbols many.py", 10, &dir.path().join("no-such-pager"));
    assert!(missing.contains("handler_39") && !missing.contains("PAGED|"));
}

#[test]
fn the_settings_file_is_obeyed_and_a_bad_one_is_refused_with_the_fix() {
    let r = repo();
    write(
        &r.root,
        ".codegraph.toml",
        "[index]\nexclude = [\"tools/**\"]\n\n[embeddings]\nenabled = false\n",
    );
    // From a subdirectory: the file marks the root and is read there.
    let out = r.at("src/app", &["index"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("embeddings are off"),
        "{}",
        stderr(&out)
    );
    let out = r.at(".", &["symbol", "settings_main"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "tools/ is excluded: {}",
        stdout(&out)
    );
    let out = r.at(".", &["symbol", "parse_config"]);
    assert!(out.status.success(), "{}", stderr(&out));

    write(
        &r.root,
        ".codegraph.toml",
        "[index]\nexclud = [\"tools/**\"]\n",
    );
    let out = r.at(".", &["index", "--no-embed"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains(".codegraph.toml") && err.contains("exclud") && err.contains("exclude_dirs"),
        "names the file, the key and the valid keys: {err}"
    );
    // The index is untouched and status says what is wrong.
    let out = r.at(".", &["query", "parse_config", "--mode", "lexical"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = r.at(".", &["status"]);
    assert!(stdout(&out).contains("exclud"), "{}", stdout(&out));
}

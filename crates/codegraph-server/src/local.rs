//! The server's private places on this machine: the runtime directory (0700,
//! the user's own), the default Unix socket in it and the lock beside a
//! socket, and bearer-token files (read with checks, or generated).
//!
//! Nothing here ever deletes or overwrites a file it did not create: a
//! socket path holding anything but a stale socket is refused, a live server
//! keeps its socket, and two servers cannot race for one path (the lock).

use crate::serve::ServeError;
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// The default socket's file name in [`runtime_dir`].
pub const SOCKET_NAME: &str = "serve.sock";

/// The longest socket path the kernel takes (`sun_path` less its NUL).
const MAX_SOCKET_PATH: usize = if cfg!(target_os = "linux") { 107 } else { 103 };

/// The user's id.
pub fn uid() -> u32 {
    rustix::process::getuid().as_raw()
}

/// Where the server keeps its socket, lock and generated tokens:
/// `$XDG_RUNTIME_DIR/codegraph` when that variable holds an absolute path,
/// else `/tmp/codegraph-<uid>`. Not created here; see [`private_dir`].
pub fn runtime_dir() -> PathBuf {
    match std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from) {
        Some(dir) if dir.is_absolute() => dir.join("codegraph"),
        _ => PathBuf::from(format!("/tmp/codegraph-{}", uid())),
    }
}

/// The socket `codegraph serve` listens on by default, where clients (the
/// CLI, an MCP bridge, an editor) look for a running server.
pub fn default_socket() -> PathBuf {
    runtime_dir().join(SOCKET_NAME)
}

/// Creates `dir` (mode 0700) if it is missing, then requires a real
/// directory (not a symbolic link), owned by this user, that neither group
/// nor others can enter.
pub fn private_dir(dir: &Path) -> Result<(), ServeError> {
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => {
            return Err(ServeError::Io {
                what: format!("creating {}", dir.display()),
                source: e,
            });
        }
    }
    let meta = std::fs::symlink_metadata(dir).map_err(|source| ServeError::Io {
        what: dir.display().to_string(),
        source,
    })?;
    let d = dir.display();
    if !meta.file_type().is_dir() {
        return Err(ServeError::Unsafe(format!(
            "{d} is not a directory (codegraph keeps its socket there): remove it"
        )));
    }
    if meta.uid() != uid() {
        return Err(ServeError::Unsafe(format!(
            "{d} belongs to uid {}, not to you (uid {}): another user could intercept \
             the socket; remove it, or set XDG_RUNTIME_DIR to a directory of your own",
            meta.uid(),
            uid()
        )));
    }
    if meta.mode() & 0o077 != 0 {
        return Err(ServeError::Unsafe(format!(
            "{d} is open to group or others (mode {:o}): chmod 700 {d}",
            meta.mode() & 0o7777
        )));
    }
    Ok(())
}

/// `n` random bytes from the operating system, as lowercase hex.
pub(crate) fn random_hex(n: usize) -> std::io::Result<String> {
    let mut bytes = vec![0u8; n];
    File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The shortest token a token file may hold.
pub const MIN_TOKEN_LEN: usize = 16;

/// The bearer token in `file`: one non-empty line of at least 16
/// characters (surrounding whitespace ignored), in a file neither group nor
/// others can read.
pub fn read_token_file(file: &Path) -> Result<String, ServeError> {
    let f = file.display();
    let meta = std::fs::metadata(file).map_err(|source| ServeError::Io {
        what: format!("the token file {f}"),
        source,
    })?;
    if !meta.is_file() {
        return Err(ServeError::Token(format!(
            "the token file {f} is not a regular file"
        )));
    }
    if meta.mode() & 0o077 != 0 {
        return Err(ServeError::Token(format!(
            "the token file {f} is readable by group or others (mode {:o}): chmod 600 {f}",
            meta.mode() & 0o7777
        )));
    }
    let text = std::fs::read_to_string(file).map_err(|source| ServeError::Io {
        what: format!("reading the token file {f}"),
        source,
    })?;
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    match lines.as_slice() {
        [] => Err(ServeError::Token(format!(
            "the token file {f} is empty: write one line of at least {MIN_TOKEN_LEN} \
             characters into it (e.g. `head -c 32 /dev/urandom | base64 > {f}`)"
        ))),
        [token] if token.len() < MIN_TOKEN_LEN => Err(ServeError::Token(format!(
            "the token in {f} is {} characters: it must be at least {MIN_TOKEN_LEN}",
            token.len()
        ))),
        [token] => Ok((*token).to_owned()),
        more => Err(ServeError::Token(format!(
            "the token file {f} holds {} non-empty lines: it must hold exactly one, the token",
            more.len()
        ))),
    }
}

/// A token this server generated, in a file it created (0600); the file is
/// removed when this is dropped.
#[derive(Debug)]
pub(crate) struct GeneratedToken {
    pub token: String,
    pub file: PathBuf,
}

impl GeneratedToken {
    /// A new random token (32 bytes from the OS, as hex) in a new file of
    /// `dir` (made private first): `tcp-<pid>.token`, or with a counter when
    /// that name is taken (never overwritten).
    pub fn create(dir: &Path) -> Result<GeneratedToken, ServeError> {
        private_dir(dir)?;
        let token = random_hex(32).map_err(|source| ServeError::Io {
            what: "reading /dev/urandom".into(),
            source,
        })?;
        let pid = std::process::id();
        for n in 0..100 {
            let name = match n {
                0 => format!("tcp-{pid}.token"),
                n => format!("tcp-{pid}-{n}.token"),
            };
            let file = dir.join(name);
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&file)
            {
                Ok(mut f) => {
                    let generated = GeneratedToken { token, file };
                    f.write_all(format!("{}\n", generated.token).as_bytes())
                        .map_err(|source| ServeError::Io {
                            what: generated.file.display().to_string(),
                            source,
                        })?;
                    return Ok(generated);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(source) => {
                    return Err(ServeError::Io {
                        what: format!("creating {}", file.display()),
                        source,
                    });
                }
            }
        }
        Err(ServeError::Unsafe(format!(
            "{}: no free name for a token file",
            dir.display()
        )))
    }
}

impl Drop for GeneratedToken {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.file);
    }
}

/// `<socket>.lock`: the lock a server holds on its socket path for its
/// life, holding its pid.
pub fn lock_path(socket: &Path) -> PathBuf {
    let mut name = socket.file_name().unwrap_or_default().to_owned();
    name.push(".lock");
    socket.with_file_name(name)
}

/// A listening Unix socket this server created and owns. On drop, the
/// socket is removed if it is still the one bound here, and the lock is
/// released (the lock file stays, emptied: removing a lock file another
/// server may be opening would let two servers hold "the" lock).
#[derive(Debug)]
pub(crate) struct OwnedSocket {
    pub path: PathBuf,
    pub listener: Option<std::os::unix::net::UnixListener>,
    lock: File,
    inode: (u64, u64),
}

impl Drop for OwnedSocket {
    fn drop(&mut self) {
        if let Ok(meta) = std::fs::symlink_metadata(&self.path)
            && (meta.dev(), meta.ino()) == self.inode
        {
            let _ = std::fs::remove_file(&self.path);
        }
        let _ = self.lock.set_len(0);
    }
}

/// Opens (creating it 0600 if missing) the lock file of `socket` without
/// following a symbolic link; refuses a file that is not a codegraph lock
/// (not a regular file of this user, or holding anything but a pid).
fn open_lock(socket: &Path) -> Result<(File, PathBuf), ServeError> {
    let path = lock_path(socket);
    let p = path.display();
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(&path)
        .map_err(|source| ServeError::Io {
            what: format!("opening the lock file {p}"),
            source,
        })?;
    let meta = file.metadata().map_err(|source| ServeError::Io {
        what: p.to_string(),
        source,
    })?;
    if !meta.is_file() || meta.uid() != uid() {
        return Err(ServeError::Unsafe(format!(
            "{p} is not a lock file of yours: codegraph will not use it; \
             remove it or pass another --socket"
        )));
    }
    let mut text = String::new();
    if meta.len() > 64 || (&file).read_to_string(&mut text).is_err() || !is_pid_text(&text) {
        return Err(ServeError::Unsafe(format!(
            "{p} exists and is not a codegraph lock file (it should hold a pid or \
             nothing): codegraph will not touch it; remove it or pass another --socket"
        )));
    }
    Ok((file, path))
}

fn is_pid_text(text: &str) -> bool {
    let t = text.trim();
    t.is_empty() || t.bytes().all(|b| b.is_ascii_digit())
}

/// What is at a socket path now.
#[derive(Debug, PartialEq, Eq)]
enum AtPath {
    Nothing,
    /// A socket nobody answers on (its server died).
    StaleSocket,
    /// A socket a process answers on.
    LiveSocket,
    /// A file, directory, link or device: never ours to replace.
    Other,
}

fn probe(path: &Path) -> Result<AtPath, ServeError> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(AtPath::Nothing),
        Err(source) => {
            return Err(ServeError::Io {
                what: path.display().to_string(),
                source,
            });
        }
    };
    if !meta.file_type().is_socket() {
        return Ok(AtPath::Other);
    }
    match std::os::unix::net::UnixStream::connect(path) {
        Ok(_) => Ok(AtPath::LiveSocket),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => Ok(AtPath::StaleSocket),
        Err(source) => Err(ServeError::Io {
            what: format!("probing the socket {}", path.display()),
            source,
        }),
    }
}

/// Binds a Unix socket at `path` (absolute), mode 0600, for this server
/// alone:
/// - the lock `<path>.lock` is taken first: held by a live server, the
///   answer is [`ServeError::AlreadyServed`] with its pid;
/// - a stale socket at `path` (nobody answers) is replaced; a live one (a
///   server that holds no lock) is refused, and so is anything that is not
///   a socket;
/// - the socket is bound inside a new private directory beside `path`, made
///   0600, then linked into place (a link never replaces a file), so it is
///   never reachable with wider permissions.
pub(crate) fn bind_socket(path: &Path) -> Result<OwnedSocket, ServeError> {
    let p = path.display();
    if !path.is_absolute() {
        return Err(ServeError::Unsafe(format!(
            "the socket path {p} is relative: pass an absolute path"
        )));
    }
    let parent = path.parent().unwrap_or(Path::new("/"));
    let tmp_len = parent.as_os_str().len() + "/.codegraph-0123456789ab/s".len();
    if path.as_os_str().len().max(tmp_len) > MAX_SOCKET_PATH {
        return Err(ServeError::Unsafe(format!(
            "the socket path {p} is too long for a Unix socket (at most {} bytes, \
             and its directory at most {}): choose a shorter one",
            MAX_SOCKET_PATH,
            MAX_SOCKET_PATH - (tmp_len - parent.as_os_str().len())
        )));
    }
    let (mut lock, lock_path) = open_lock(path)?;
    if let Err(e) = lock.try_lock() {
        return match e {
            std::fs::TryLockError::WouldBlock => {
                let mut text = String::new();
                let _ = lock.rewind();
                let _ = (&lock).read_to_string(&mut text);
                Err(ServeError::AlreadyServed {
                    socket: path.to_owned(),
                    pid: text.trim().parse().ok(),
                })
            }
            std::fs::TryLockError::Error(source) => Err(ServeError::Io {
                what: format!("locking {}", lock_path.display()),
                source,
            }),
        };
    }
    match probe(path)? {
        AtPath::Nothing => {}
        AtPath::StaleSocket => {
            tracing::info!(socket = %p, "replacing a stale socket (nobody answers on it)");
            std::fs::remove_file(path).map_err(|source| ServeError::Io {
                what: format!("removing the stale socket {p}"),
                source,
            })?;
        }
        AtPath::LiveSocket => {
            return Err(ServeError::Unsafe(format!(
                "{p}: another process answers on this socket (and holds no codegraph \
                 lock: an older codegraph, or another program); stop it, or pass another --socket"
            )));
        }
        AtPath::Other => {
            return Err(ServeError::Unsafe(format!(
                "{p} exists and is not a socket: codegraph never replaces it; \
                 remove it yourself, or pass another --socket"
            )));
        }
    }
    let listener = bind_privately(path)?;
    let meta = std::fs::symlink_metadata(path).map_err(|source| ServeError::Io {
        what: p.to_string(),
        source,
    })?;
    lock.set_len(0)
        .and_then(|()| lock.rewind())
        .and_then(|()| lock.write_all(format!("{}\n", std::process::id()).as_bytes()))
        .map_err(|source| ServeError::Io {
            what: format!("writing {}", lock_path.display()),
            source,
        })?;
    Ok(OwnedSocket {
        path: path.to_owned(),
        listener: Some(listener),
        lock,
        inode: (meta.dev(), meta.ino()),
    })
}

/// Binds in a fresh 0700 directory beside `path`, sets 0600, links the
/// socket to `path` (fails if anything appeared there) and removes the
/// directory.
fn bind_privately(path: &Path) -> Result<std::os::unix::net::UnixListener, ServeError> {
    use std::os::unix::fs::PermissionsExt;
    let parent = path.parent().unwrap_or(Path::new("/"));
    let io = |what: String| move |source| ServeError::Io { what, source };
    let mut tries = 0;
    let dir = loop {
        let suffix = random_hex(6).map_err(io("reading /dev/urandom".into()))?;
        let dir = parent.join(format!(".codegraph-{suffix}"));
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => break dir,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && tries < 10 => tries += 1,
            Err(e) => {
                return Err(io(format!("creating a directory in {}", parent.display()))(
                    e,
                ));
            }
        }
    };
    let tmp = dir.join("s");
    let result = (|| {
        let listener = std::os::unix::net::UnixListener::bind(&tmp)
            .map_err(io(format!("binding {}", tmp.display())))?;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))
            .map_err(io(tmp.display().to_string()))?;
        std::fs::hard_link(&tmp, path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                ServeError::Unsafe(format!(
                    "{} appeared while the socket was being bound: not replaced",
                    path.display()
                ))
            } else {
                io(format!("linking the socket to {}", path.display()))(e)
            }
        })?;
        Ok(listener)
    })();
    let _ = std::fs::remove_file(&tmp);
    let _ = std::fs::remove_dir(&dir);
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn chmod(path: &Path, mode: u32) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn a_private_dir_is_created_0700_and_a_shared_one_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("run");
        private_dir(&dir).unwrap();
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "{mode:o}");
        private_dir(&dir).unwrap();
        chmod(&dir, 0o755);
        let e = private_dir(&dir).unwrap_err().to_string();
        assert!(e.contains("chmod 700"), "{e}");
        let file = tmp.path().join("file");
        std::fs::write(&file, "").unwrap();
        assert!(private_dir(&file).is_err());
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(tmp.path(), &link).unwrap();
        assert!(private_dir(&link).is_err(), "a symbolic link is refused");
    }

    #[test]
    fn the_runtime_dir_follows_xdg_runtime_dir() {
        // Read-only look at the process environment: no test sets it.
        let dir = runtime_dir();
        assert!(dir.is_absolute());
        assert_eq!(default_socket(), dir.join(SOCKET_NAME));
        match std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from) {
            Some(x) if x.is_absolute() => assert_eq!(dir, x.join("codegraph")),
            _ => assert_eq!(dir, PathBuf::from(format!("/tmp/codegraph-{}", uid()))),
        }
    }

    #[test]
    fn token_files_are_checked() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("token");
        let write = |text: &str, mode: u32| {
            std::fs::write(&file, text).unwrap();
            chmod(&file, mode);
        };
        write("  0123456789abcdef-token \n\n", 0o600);
        assert_eq!(read_token_file(&file).unwrap(), "0123456789abcdef-token");
        write("0123456789abcdef-token\n", 0o644);
        let e = read_token_file(&file).unwrap_err().to_string();
        assert!(e.contains(&format!("chmod 600 {}", file.display())), "{e}");
        write("0123456789abcdef-token\n", 0o640);
        assert!(read_token_file(&file).is_err());
        write("0123456789abcdef-token\nsecond-line-0123456789\n", 0o600);
        let e = read_token_file(&file).unwrap_err().to_string();
        assert!(e.contains("2 non-empty lines"), "{e}");
        write(" \n\n", 0o600);
        let e = read_token_file(&file).unwrap_err().to_string();
        assert!(e.contains("is empty"), "{e}");
        write("short\n", 0o600);
        assert!(read_token_file(&file).is_err());
        assert!(read_token_file(&tmp.path().join("missing")).is_err());
    }

    #[test]
    fn a_generated_token_is_random_private_and_removed_on_drop() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("run");
        let a = GeneratedToken::create(&dir).unwrap();
        let b = GeneratedToken::create(&dir).unwrap();
        assert_ne!(a.file, b.file, "a taken name is never overwritten");
        assert_ne!(a.token, b.token);
        assert_eq!(a.token.len(), 64);
        assert_eq!(read_token_file(&a.file).unwrap(), a.token);
        let mode = std::fs::metadata(&a.file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        let file = a.file.clone();
        drop(a);
        assert!(!file.exists());
        assert!(b.file.exists());
    }

    #[test]
    fn a_socket_is_bound_0600_locked_and_removed_on_drop() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("s.sock");
        let owned = bind_socket(&path).unwrap();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        assert!(meta.file_type().is_socket());
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        let pid = std::fs::read_to_string(lock_path(&path)).unwrap();
        assert_eq!(pid.trim(), std::process::id().to_string());
        // Nothing else was left beside it.
        let names: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        // A second bind while this one lives: refused, naming the pid.
        match bind_socket(&path).unwrap_err() {
            ServeError::AlreadyServed { pid, .. } => assert_eq!(pid, Some(std::process::id())),
            e => panic!("{e}"),
        }
        drop(owned);
        assert!(!path.exists());
        // The lock file stays, empty, and is taken again.
        assert_eq!(std::fs::read_to_string(lock_path(&path)).unwrap(), "");
        let again = bind_socket(&path).unwrap();
        drop(again);
    }

    #[test]
    fn only_a_stale_socket_is_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        // A stale socket (its listener closed): replaced.
        let path = tmp.path().join("stale.sock");
        drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
        assert_eq!(probe(&path).unwrap(), AtPath::StaleSocket);
        drop(bind_socket(&path).unwrap());
        // A live socket of another program: refused, left alone.
        let path = tmp.path().join("live.sock");
        let _live = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let e = bind_socket(&path).unwrap_err().to_string();
        assert!(e.contains("another process answers"), "{e}");
        assert_eq!(probe(&path).unwrap(), AtPath::LiveSocket);
        // A regular file, a directory: refused, never deleted.
        let path = tmp.path().join("file.sock");
        std::fs::write(&path, "precious").unwrap();
        let e = bind_socket(&path).unwrap_err().to_string();
        assert!(e.contains("is not a socket"), "{e}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "precious");
        let path = tmp.path().join("dir.sock");
        std::fs::create_dir(&path).unwrap();
        assert!(bind_socket(&path).is_err());
        assert!(path.is_dir());
        // A lock path holding someone's file: refused, untouched.
        let path = tmp.path().join("other.sock");
        std::fs::write(lock_path(&path), "not a pid\n").unwrap();
        let e = bind_socket(&path).unwrap_err().to_string();
        assert!(e.contains("not a codegraph lock file"), "{e}");
        assert_eq!(
            std::fs::read_to_string(lock_path(&path)).unwrap(),
            "not a pid\n"
        );
        assert!(!path.exists());
        // A relative or overlong path: refused.
        assert!(bind_socket(Path::new("rel.sock")).is_err());
        let long = tmp.path().join("x".repeat(120));
        assert!(bind_socket(&long).is_err());
    }
}

//! Where the hub of one database file listens, and who may serve it.
//!
//! One hub per database file per user. Its socket is `<dir>/<hash>.sock`, where `<dir>` is
//! `$XDG_RUNTIME_DIR/tandem` (or a private folder under the data dir when that is unset) and
//! `<hash>` names the canonical path of the database, so every copy of Tandem on that file finds
//! the same socket. The folder is 0700 and the socket 0600; the hub also checks each peer's uid
//! on accept. On Windows the endpoint is the named pipe `tandem-<user>-<hash>`.
//!
//! Election: whoever holds an exclusive lock on `<hash>.lock` serves. The operating system
//! releases the lock when its holder dies however it dies, so a stale socket file is only ever
//! removed by the one process entitled to bind.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use interprocess::local_socket::tokio::{prelude::*, Listener, Stream};
use interprocess::local_socket::{ListenerOptions, Name};
use sha2::{Digest, Sha256};

use crate::config::{Location, APP_ID};

/// The hub's address for one database file.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The private folder holding the socket and the lock.
    dir: PathBuf,
    /// The socket file (Unix) or the pipe's name (Windows).
    socket: PathBuf,
    /// The election lock.
    lock: PathBuf,
}

/// The right to serve the hub: held while the hub runs, released when dropped (or when the
/// process dies).
#[derive(Debug)]
pub struct Election {
    _lock: File,
}

impl Endpoint {
    /// The endpoint of the database at `db`, which must exist. The same file reached through
    /// another path (a symlink, `..`) gives the same endpoint.
    pub fn for_database(db: &Path) -> io::Result<Endpoint> {
        let canonical = std::fs::canonicalize(db)?;
        let dir = runtime_dir()?;
        Ok(Endpoint::in_dir(dir, &canonical))
    }

    /// The endpoint of the database at `location`: a file's as [`Endpoint::for_database`], a
    /// server database's named after its URL without the password, so every copy of Tandem on
    /// this machine that shares it shares one hub.
    pub fn for_location(location: &Location) -> io::Result<Endpoint> {
        match location {
            Location::File(path) => Endpoint::for_database(path),
            Location::Server(url) => {
                Ok(Endpoint::in_dir(runtime_dir()?, Path::new(&url.redacted())))
            }
        }
    }

    /// The endpoint of `db` with its socket in `dir`.
    pub fn in_dir(dir: PathBuf, db: &Path) -> Endpoint {
        let hash = name_hash(db);
        Endpoint {
            socket: dir.join(format!("{hash}.sock")),
            lock: dir.join(format!("{hash}.lock")),
            dir,
        }
    }

    /// The folder every socket lives in: `$XDG_RUNTIME_DIR/tandem`, else a private folder in
    /// the data folder.
    pub fn folder() -> io::Result<PathBuf> {
        runtime_dir()
    }

    /// The socket's path, for users and `socat`.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// Creates the private folder (0700), tightening its mode if it exists.
    fn prepare(&self) -> io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o700))?;
        }
        Ok(())
    }

    /// Takes the election lock if nobody holds it: `None` means another process serves.
    pub fn try_elect(&self) -> io::Result<Option<Election>> {
        self.prepare()?;
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options.open(&self.lock)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(Election { _lock: file })),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(e),
        }
    }

    /// Binds the hub's listener. Only the election's winner may: it removes whatever socket
    /// file a dead hub left behind, knowing no live hub can own it.
    pub fn bind(&self, _election: &Election) -> io::Result<Listener> {
        #[cfg(unix)]
        {
            use interprocess::os::unix::local_socket::ListenerOptionsExt;
            match std::fs::remove_file(&self.socket) {
                Ok(()) => tracing::debug!("removed a stale hub socket"),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
            ListenerOptions::new()
                .name(self.name()?)
                .mode(0o600)
                .create_tokio()
        }
        #[cfg(not(unix))]
        {
            ListenerOptions::new().name(self.name()?).create_tokio()
        }
    }

    /// Connects to the hub, if one is listening.
    pub async fn connect(&self) -> io::Result<Stream> {
        Stream::connect(self.name()?).await
    }

    #[cfg(unix)]
    fn name(&self) -> io::Result<Name<'_>> {
        use interprocess::local_socket::GenericFilePath;
        self.socket.as_path().to_fs_name::<GenericFilePath>()
    }

    #[cfg(windows)]
    fn name(&self) -> io::Result<Name<'_>> {
        use interprocess::local_socket::GenericNamespaced;
        // On Windows `socket` holds the pipe's bare name (see `runtime_dir`).
        self.socket
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned()
            .to_ns_name::<GenericNamespaced>()
    }
}

/// The first 16 hex digits of the SHA-256 of the path: stable across builds and platforms
/// (unlike `std`'s hasher), short enough for Unix's 108-byte socket paths.
fn name_hash(db: &Path) -> String {
    let digest = Sha256::digest(db.as_os_str().as_encoded_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Where sockets live: `$XDG_RUNTIME_DIR/tandem`, else a private folder in the data dir.
#[cfg(unix)]
fn runtime_dir() -> io::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir).join("tandem"));
    }
    let data = dirs::data_dir().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::NotFound,
            "neither XDG_RUNTIME_DIR nor a data folder is known",
        )
    })?;
    Ok(data.join(APP_ID).join("run"))
}

/// On Windows the lock lives in the data dir and the pipe is named for the user.
#[cfg(windows)]
fn runtime_dir() -> io::Result<PathBuf> {
    let data = dirs::data_local_dir()
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no local data folder"))?;
    Ok(data.join(APP_ID).join("run"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_file_reached_by_two_paths_has_one_endpoint() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("tandem.db");
        std::fs::write(&db, b"").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let a = Endpoint::for_database(&db).unwrap();
        let b = Endpoint::for_database(&dir.path().join("sub/../tandem.db")).unwrap();
        assert_eq!(a.socket, b.socket);
        let other = dir.path().join("other.db");
        std::fs::write(&other, b"").unwrap();
        assert_ne!(Endpoint::for_database(&other).unwrap().socket, a.socket);
    }

    #[test]
    fn only_one_process_at_a_time_wins_the_election() {
        let dir = tempfile::tempdir().unwrap();
        let endpoint = Endpoint::in_dir(dir.path().join("run"), Path::new("/x/tandem.db"));
        let won = endpoint.try_elect().unwrap().expect("the first wins");
        // A second open file description contends like another process does.
        assert!(endpoint.try_elect().unwrap().is_none());
        drop(won);
        assert!(endpoint.try_elect().unwrap().is_some(), "released on drop");
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn the_folder_is_private_the_socket_owner_only_and_a_stale_file_is_replaced() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("run");
        std::fs::create_dir(&run).unwrap();
        std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o755)).unwrap();
        let endpoint = Endpoint::in_dir(run.clone(), Path::new("/x/tandem.db"));
        // A dead hub's socket file: nobody listens on it.
        std::fs::write(endpoint.socket(), b"").unwrap();

        let election = endpoint.try_elect().unwrap().unwrap();
        let _listener = endpoint.bind(&election).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&run), 0o700);
        assert_eq!(mode(endpoint.socket()), 0o600);
        endpoint.connect().await.expect("the new hub listens");
    }
}

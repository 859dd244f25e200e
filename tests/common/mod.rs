//! Helpers shared by the integration tests.

use std::io::BufRead;
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use tandem::bridge::Endpoint;
use tandem::config::Location;
use tandem::model::{Actor, Change, Origin};
use tandem::store::Store;

/// The `tandem` binary cargo built for these tests.
pub fn tandem_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tandem"))
}

/// A temporary home for one test: its own database file and data folder. With a server
/// database it is one "machine" of a team: its own runtime folder, so its own hub.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
    /// A server database's URL, instead of the sandbox's own file.
    server: Option<String>,
    /// Whether its programs are given `TANDEM_DB`; without it they open the database the
    /// settings choose, or the default one.
    pub given_db: bool,
}

impl Sandbox {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let run = dir.path().join("run");
        std::fs::create_dir(&run).expect("a runtime folder");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700))
            .expect("a private runtime folder");
        Self {
            dir,
            server: None,
            given_db: true,
        }
    }

    /// A machine on the server database at `url`.
    pub fn on_server(url: &str) -> Self {
        Self {
            server: Some(url.to_owned()),
            ..Self::new()
        }
    }

    /// What `TANDEM_DB` is for this sandbox: the server's URL, or the database file.
    pub fn database(&self) -> std::ffi::OsString {
        match &self.server {
            Some(url) => url.into(),
            None => self.db().into_os_string(),
        }
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("tandem.db")
    }

    /// Where Tandem saves this sandbox's settings.
    pub fn settings_file(&self) -> PathBuf {
        self.dir
            .path()
            .join("config/dev.tandem.board/settings.json")
    }

    /// Where the app and the hub of this sandbox write their logs.
    pub fn log_dir(&self) -> PathBuf {
        self.dir.path().join("state/dev.tandem.board/logs")
    }

    /// This sandbox's `XDG_RUNTIME_DIR`, where its hub's socket goes.
    pub fn runtime_dir(&self) -> PathBuf {
        self.dir.path().join("run")
    }

    /// The hub's endpoint for this sandbox's database, as every process here computes it. The
    /// database must exist.
    pub fn endpoint(&self) -> Endpoint {
        let dir = self.runtime_dir().join("tandem");
        if let Some(url) = &self.server {
            let Ok(Location::Server(url)) = Location::parse(url) else {
                panic!("{url} is a server's URL");
            };
            return Endpoint::in_dir(dir, Path::new(&url.redacted()));
        }
        let db = std::fs::canonicalize(self.db()).expect("the database exists");
        Endpoint::in_dir(dir, &db)
    }

    /// `tandem <args>` on this sandbox's database, with no window system in reach.
    pub fn tandem(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("tandem runs")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(tandem_bin());
        command
            .args(args)
            .env("TANDEM_DB", self.database())
            .env("XDG_DATA_HOME", self.dir.path().join("data"))
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("XDG_STATE_HOME", self.dir.path().join("state"))
            .env("XDG_CACHE_HOME", self.dir.path().join("cache"))
            .env("XDG_RUNTIME_DIR", self.runtime_dir())
            // Days read from times (Trello's due dates) are this zone's, and a date written
            // 6/12/2026 is read as this (no) locale reads it, unless a test says.
            .env("TZ", "UTC")
            .env_remove("LC_ALL")
            .env_remove("LC_TIME")
            .env_remove("LANG")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("TANDEM_LOG");
        command
    }

    /// The database through the library, as another instance would see it.
    pub async fn store(&self) -> Store {
        match &self.server {
            Some(url) => Store::open(
                &Location::parse(url).expect("a server URL"),
                &Origin::new("test-observer", Actor::Cli),
            )
            .await
            .expect("the database opens"),
            None => open_store(&self.db()).await,
        }
    }
}

/// Runs `sql` on the database file `file` with the `sqlite3` shell, as another program writing
/// the file would; answers what it printed. A statement the shell refuses fails the test.
pub fn sqlite3(file: impl AsRef<Path>, sql: &str) -> String {
    let shell = std::process::Command::new("sqlite3")
        .arg(file.as_ref())
        .arg(sql)
        .output()
        .expect("sqlite3 runs");
    assert!(shell.status.success(), "sqlite3 {sql}: {shell:?}");
    String::from_utf8(shell.stdout).expect("sqlite3 prints text")
}

pub async fn open_store(path: &Path) -> Store {
    Store::open(path, &Origin::new("test-observer", Actor::Cli))
        .await
        .expect("the database opens")
}

/// The whole change log.
pub async fn log(store: &Store) -> Vec<Change> {
    store
        .changes_since(0, None)
        .await
        .expect("the log reads")
        .changes
}

/// Polls `check` until it returns `Some`, or `timeout` passes (then `None`). The check may keep
/// what it last saw, for the caller's failure message.
pub async fn poll_until<T>(
    timeout: Duration,
    mut check: impl AsyncFnMut() -> Option<T>,
) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return Some(value);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Waits until `check` returns `Some`, failing the test with `what` after `timeout`.
pub async fn eventually<T>(
    what: &str,
    timeout: Duration,
    check: impl AsyncFnMut() -> Option<T>,
) -> T {
    poll_until(timeout, check)
        .await
        .unwrap_or_else(|| panic!("timed out waiting for {what}"))
}

/// A child process that dies with the test, pass or fail, so no failure leaves a hub or a
/// watcher running behind the test run.
pub struct Process(Child);

impl Process {
    pub fn spawn(command: &mut Command, what: &str) -> Process {
        Process(
            command
                .spawn()
                .unwrap_or_else(|e| panic!("{what} starts: {e}")),
        )
    }
}

impl Deref for Process {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl DerefMut for Process {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// How long a child may take to print its next line before the test fails.
pub const LINE_DEADLINE: Duration = Duration::from_secs(20);

/// A child's stdout, line by line, readable with a deadline.
pub struct Lines {
    pub receiver: std::sync::mpsc::Receiver<String>,
}

impl Lines {
    pub fn of(child: &mut Child) -> Lines {
        let stdout = child.stdout.take().expect("stdout is piped");
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if sender.send(line).is_err() {
                    return;
                }
            }
        });
        Lines { receiver }
    }

    /// The changes printed until one with seq `last` (inclusive).
    pub fn changes_until(&self, last: i64) -> Vec<Change> {
        let mut changes: Vec<Change> = Vec::new();
        while changes.last().is_none_or(|c| c.seq < last) {
            let line = self
                .receiver
                .recv_timeout(LINE_DEADLINE)
                .unwrap_or_else(|_| panic!("no change {last} within the deadline: {changes:?}"));
            changes.push(serde_json::from_str(&line).expect("each line is a change"));
        }
        changes
    }
}

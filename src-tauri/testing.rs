//! A private PostgreSQL server for tests, started and stopped by the tests themselves.
//!
//! Debian's PostgreSQL binaries (`/usr/lib/postgresql/<version>/bin`, 15 or newer) run a server
//! in a temporary folder, listening on a Unix socket in that folder only (no TCP port, so tests
//! never collide), with trust authentication for its own role, `tandem`, and passwords
//! (scram-sha-256) for the people's logins tests make ([`TestServer::login`]). A TLS test starts one
//! that also takes TLS connections on a free localhost port, with certificates of its own. PostgreSQL refuses to
//! run as root, so under root the server runs as the `postgres` system user, which the Debian
//! package creates. A watchdog stops the server and removes its folder when the test process
//! exits, however it exits: pass, fail or abort.
//!
//! One server serves a whole test binary ([`TestServer::shared`]), with a database per test
//! ([`TestServer::database`]); a test that crashes its server starts one of its own.

use std::io;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The system user the server runs as when the tests run as root.
const SERVER_USER: &str = "postgres";

/// How long a server may take to start before the tests give up on it.
const START_LIMIT: Duration = Duration::from_secs(60);

/// A database made for one test.
pub struct TestDatabase {
    /// What `--db` and `TANDEM_DB` take.
    pub url: String,
    /// What `psql -d` takes.
    pub name: String,
}

/// A running PostgreSQL server in a folder of its own.
pub struct TestServer {
    /// The server's binaries.
    bin: PathBuf,
    /// The folder holding the data directory, the socket and the log.
    dir: PathBuf,
    /// Databases made so far, to name the next one.
    made: AtomicU32,
    /// The port: of the Unix socket's name, and of TCP when the server takes TLS.
    port: u16,
    /// Whether the server also listens on localhost over TCP, with TLS only.
    tls: bool,
    /// Its `max_connections`.
    max_connections: u32,
}

/// The port of a server without TCP: only its socket's name.
const SOCKET_PORT: u16 = 5432;

impl TestServer {
    /// The server this test binary shares, started on first use.
    pub fn shared() -> &'static TestServer {
        static SHARED: OnceLock<TestServer> = OnceLock::new();
        SHARED.get_or_init(|| TestServer::start().unwrap_or_else(|e| panic!("{e}")))
    }

    /// Starts a new server of its own (for a test that stops and restarts it).
    pub fn start() -> io::Result<TestServer> {
        Self::start_on(SOCKET_PORT, false, 200)
    }

    /// Starts a new server of its own that takes at most `max_connections` (3 of them kept for
    /// superusers, as PostgreSQL's default), to fill it.
    pub fn start_with_connections(max_connections: u32) -> io::Result<TestServer> {
        Self::start_on(SOCKET_PORT, false, max_connections)
    }

    /// Starts a server of its own that also listens on localhost over TCP, taking TLS
    /// connections only, with a certificate for `localhost` signed by a CA of its own
    /// ([`TestServer::ca`]).
    pub fn start_with_tls() -> io::Result<TestServer> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        Self::start_on(port, true, 200)
    }

    fn start_on(port: u16, tls: bool, max_connections: u32) -> io::Result<TestServer> {
        let bin = binaries()?;
        let dir = std::env::temp_dir().join(format!(
            "tandem-pg-{}-{}",
            std::process::id(),
            uuid::Uuid::now_v7().simple()
        ));
        std::fs::create_dir_all(dir.join("socket"))
            .map_err(|e| io::Error::other(format!("cannot make {}: {e}", dir.display())))?;
        let server = TestServer {
            bin,
            dir,
            made: AtomicU32::new(0),
            port,
            tls,
            max_connections,
        };
        if tls {
            server.make_certificates()?;
        }
        server.hand_over()?;
        server.run(
            "initdb",
            &[
                "-D",
                &server.data().display().to_string(),
                "-U",
                "tandem",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
            ],
        )?;
        // The tests' own role comes in on trust; every other login gives its password
        // (scram-sha-256), as on a real server.
        let hba = if tls {
            "local all tandem trust\nlocal all all scram-sha-256\n\
             hostssl all all 127.0.0.1/32 trust\nhostssl all all ::1/128 trust\n"
        } else {
            "local all tandem trust\nlocal all all scram-sha-256\n"
        };
        std::fs::write(server.data().join("pg_hba.conf"), hba)?;
        server.watch_over();
        server.start_again()?;
        Ok(server)
    }

    /// The CA that signed a TLS server's certificate: what `sslrootcert` takes.
    pub fn ca(&self) -> PathBuf {
        self.dir.join("tls/ca.crt")
    }

    /// A CA, and a certificate for `localhost` signed by it, made with `openssl`.
    fn make_certificates(&self) -> io::Result<()> {
        let tls = self.dir.join("tls");
        std::fs::create_dir_all(&tls)?;
        std::fs::write(
            tls.join("server.ext"),
            "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n\
             keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
        )?;
        let key = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ];
        let steps: [&[&str]; 3] = [
            &[
                &["req", "-x509", "-days", "2", "-subj", "/CN=Tandem test CA"][..],
                &key[..],
                &[
                    "-addext",
                    "basicConstraints=critical,CA:TRUE",
                    "-addext",
                    "keyUsage=critical,keyCertSign,cRLSign",
                    "-keyout",
                    "ca.key",
                    "-out",
                    "ca.crt",
                ][..],
            ]
            .concat(),
            &[
                &["req", "-subj", "/CN=localhost"][..],
                &key[..],
                &["-keyout", "server.key", "-out", "server.csr"][..],
            ]
            .concat(),
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                "server.ext",
                "-out",
                "server.crt",
            ],
        ];
        for args in steps {
            let output = Command::new("openssl")
                .args(args)
                .current_dir(&tls)
                .stdin(Stdio::null())
                .output()
                .map_err(|e| io::Error::other(format!("openssl: {e}")))?;
            if !output.status.success() {
                return Err(io::Error::other(format!(
                    "openssl {}: {}",
                    args[0],
                    String::from_utf8_lossy(&output.stderr)
                )));
            }
        }
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            tls.join("server.key"),
            std::fs::Permissions::from_mode(0o600),
        )
    }

    /// Starts the server again after [`TestServer::crash`], and waits until it takes
    /// connections.
    pub fn start_again(&self) -> io::Result<()> {
        let socket = self.socket_dir().display().to_string();
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data().display().to_string(),
                "-l",
                &self.dir.join("server.log").display().to_string(),
                "-o",
                &format!(
                    "-k {socket} -p {port} {network} -c fsync=off -c max_connections={max}",
                    port = self.port,
                    max = self.max_connections,
                    network = self.network()
                ),
                "-w",
                "-t",
                &START_LIMIT.as_secs().to_string(),
                "start",
            ],
        )?;
        let deadline = Instant::now() + START_LIMIT;
        while !self
            .socket_dir()
            .join(format!(".s.PGSQL.{}", self.port))
            .exists()
        {
            if Instant::now() > deadline {
                return Err(io::Error::other(format!(
                    "the server did not start: see {}",
                    self.log_path()
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    /// How the server listens besides its socket: not at all, or on localhost with TLS.
    fn network(&self) -> String {
        if !self.tls {
            return "-c listen_addresses=''".into();
        }
        let tls = self.dir.join("tls");
        format!(
            "-c listen_addresses=localhost -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
            tls.join("server.crt").display(),
            tls.join("server.key").display()
        )
    }

    /// Stops the server the way a power cut or a killed machine would: `pg_ctl stop -m
    /// immediate`, no shutdown checkpoint, clients cut off mid-transaction.
    pub fn crash(&self) -> io::Result<()> {
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data().display().to_string(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        )
    }

    /// A new, empty database on this server.
    pub fn database(&self) -> TestDatabase {
        let name = format!("test_{}", self.made.fetch_add(1, Ordering::SeqCst));
        let status = self
            .client("createdb")
            .arg(&name)
            .stdout(Stdio::null())
            .status();
        assert!(
            status.is_ok_and(|s| s.success()),
            "createdb {name}: see {}",
            self.log_path()
        );
        TestDatabase {
            url: self.url(&name),
            name,
        }
    }

    /// From now on, the role `tandem` must give `password` (scram-sha-256), as on a real
    /// server. This server's own helpers (`psql`, `database`) then stop working: make the
    /// databases first.
    pub fn require_password(&self, password: &str) -> io::Result<()> {
        self.psql(
            "postgres",
            &format!("ALTER ROLE tandem PASSWORD '{password}'"),
        )?;
        std::fs::write(
            self.data().join("pg_hba.conf"),
            "local all all scram-sha-256\n",
        )?;
        self.run(
            "pg_ctl",
            &["-D", &self.data().display().to_string(), "reload"],
        )?;
        let deadline = Instant::now() + START_LIMIT;
        while self.psql("postgres", "SELECT 1").is_ok() {
            if Instant::now() > deadline {
                return Err(io::Error::other(
                    "the server kept taking connections without a password",
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    /// A login of this server (made on first use) that gives a password, as a person's would:
    /// its password is [`TestServer::password`]. It may use no database until a team lets it.
    pub fn login(&self, login: &str) -> io::Result<()> {
        let password = Self::password(login);
        self.psql(
            "postgres",
            &format!(
                "DO $$ BEGIN
                     IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{login}') THEN
                         CREATE ROLE \"{login}\" LOGIN PASSWORD '{password}';
                     END IF;
                 END $$"
            ),
        )
        .map(drop)
        .or_else(|e| {
            // Another test made it meanwhile: roles belong to the whole server.
            if e.to_string().contains("already exists") {
                Ok(())
            } else {
                Err(e)
            }
        })
    }

    /// The password of a test login.
    pub fn password(login: &str) -> String {
        format!("{login}-secret")
    }

    /// The URL of database `name` as `login`, with its password, through the socket.
    pub fn url_as(&self, login: &str, name: &str) -> String {
        self.url(name).replacen(
            "postgres://tandem@",
            &format!("postgres://{login}:{}@", Self::password(login)),
            1,
        )
    }

    /// Runs `psql` on database `name` as `login`, giving its password; returns its output, or
    /// what the server said when it refused.
    pub fn psql_as(&self, login: &str, name: &str, sql: &str) -> io::Result<String> {
        answer(
            Command::new(self.bin.join("psql"))
                .args(["-h", &self.socket_dir().display().to_string()])
                .args(["-p", &self.port.to_string(), "-U", login, "-d", name])
                .args(["-v", "ON_ERROR_STOP=1", "-qAtc", sql])
                .env("PGPASSWORD", Self::password(login)),
        )
    }

    /// The URL of database `name` on this server, through its socket.
    pub fn url(&self, name: &str) -> String {
        let port = match self.port {
            SOCKET_PORT => String::new(),
            port => format!(":{port}"),
        };
        format!(
            "postgres://tandem@localhost{port}/{name}?host={}",
            self.socket_dir().display()
        )
    }

    /// The URL of database `name` over TCP to localhost, with `params` (`sslmode=...`), on a
    /// server started with [`TestServer::start_with_tls`].
    pub fn tcp_url(&self, name: &str, params: &str) -> String {
        format!("postgres://tandem@localhost:{}/{name}?{params}", self.port)
    }

    /// The folder of the server's Unix socket, for `psql -h`.
    pub fn socket_dir(&self) -> PathBuf {
        self.dir.join("socket")
    }

    /// Runs `psql` on database `name` with `sql`, as another program would; returns its output.
    pub fn psql(&self, name: &str, sql: &str) -> io::Result<String> {
        answer(self.psql_command(name).args(["-qAtc", sql]))
    }

    /// `psql` on database `name`, stopping at the first error; without `-c`, it runs each
    /// statement of its input in a transaction of its own.
    pub fn psql_command(&self, name: &str) -> Command {
        let mut command = self.client("psql");
        command.args(["-d", name, "-v", "ON_ERROR_STOP=1", "-q"]);
        command
    }

    /// One of the server's client programs, pointed at its socket as the role `tandem`.
    fn client(&self, program: &str) -> Command {
        let mut command = Command::new(self.bin.join(program));
        command.args([
            "-h",
            &self.socket_dir().display().to_string(),
            "-p",
            &self.port.to_string(),
            "-U",
            "tandem",
        ]);
        command
    }

    /// The server's main process (its postmaster), whose children serve the connections: for
    /// measuring what the server spends.
    pub fn postmaster(&self) -> Option<u32> {
        let pid = std::fs::read_to_string(self.data().join("postmaster.pid")).ok()?;
        pid.lines().next()?.trim().parse().ok()
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn log_path(&self) -> String {
        self.dir.join("server.log").display().to_string()
    }

    /// Under root, gives the folder to the server's user.
    fn hand_over(&self) -> io::Result<()> {
        if !running_as_root() {
            return Ok(());
        }
        let status = Command::new("chown")
            .args(["-R", SERVER_USER])
            .arg(&self.dir)
            .status()
            .map_err(|e| io::Error::other(format!("chown: {e}")))?;
        status.success().then_some(()).ok_or_else(|| {
            io::Error::other(format!(
                "cannot give {} to {SERVER_USER}",
                self.dir.display()
            ))
        })
    }

    /// Runs one of the server's programs, as the server's user under root.
    fn run(&self, program: &str, args: &[&str]) -> io::Result<()> {
        let path = self.bin.join(program);
        let mut command = if running_as_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", SERVER_USER, "--"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        let output = command
            .args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| io::Error::other(format!("{program}: {e}")))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(io::Error::other(format!(
                "{program} failed: {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            )))
        }
    }

    /// Leaves behind a watchdog that stops the server and removes its folder once this process
    /// is gone: statics are never dropped, and a failed test must not leave a server running.
    fn watch_over(&self) {
        let pg_ctl = self.bin.join("pg_ctl");
        let stop = if running_as_root() {
            format!("runuser -u {SERVER_USER} -- {}", pg_ctl.display())
        } else {
            pg_ctl.display().to_string()
        };
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; \
             {stop} -D '{data}' -m immediate stop >/dev/null 2>&1; rm -rf '{dir}'",
            pid = std::process::id(),
            data = self.data().display(),
            dir = self.dir.display(),
        );
        // A group of its own: a test run killed with its process group (by `timeout`) must not
        // take the watchdog with it.
        let spawned = Command::new("sh")
            .args(["-c", &script])
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        if let Err(e) = spawned {
            eprintln!("cannot watch over the test server: {e}");
        }
    }
}

impl Drop for TestServer {
    /// A server of a test's own stops with the test.
    fn drop(&mut self) {
        let _ = self.crash();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The newest installed server's binaries (15 or newer).
fn binaries() -> io::Result<PathBuf> {
    let root = Path::new("/usr/lib/postgresql");
    let newest = std::fs::read_dir(root)
        .ok()
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|version| *version >= 15)
        .max()
        .ok_or_else(|| {
            io::Error::other(
                "no PostgreSQL 15 or newer under /usr/lib/postgresql: `make test` installs it \
                 (apt-get install postgresql)",
            )
        })?;
    Ok(root.join(newest.to_string()).join("bin"))
}

/// What `psql` printed, or what it said on failing.
fn answer(psql: &mut Command) -> io::Result<String> {
    let output = psql
        .output()
        .map_err(|e| io::Error::other(format!("psql: {e}")))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(io::Error::other(
            String::from_utf8_lossy(&output.stderr).into_owned(),
        ))
    }
}

fn running_as_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

//! DESIGN §10's team-size figure: ninety machines on one PostgreSQL server with its default
//! `max_connections` (100, three of them kept for superusers), ten of them writing.
//!
//! Eighty machines are what a person's computer runs: a `tandem hub` process in a folder of its
//! own (so its own hub socket), and a `tandem watch` linked to it, whose lines this process
//! reads. The ten that write are hubs' stores in this process (a hub's store is what a window
//! writes through), five of them also reading the board as a window does. Every change must
//! reach all ninety; the latency is from a change's commit (its writer's own bus) to the last
//! machine that shows it.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use sqlx::Connection as _;
use tandem::config::Location;
use tandem::model::{Actor, Origin};
use tandem::store::{NewTask, Store};
use tandem::testing::TestServer;

use super::team::Machine;
use super::{ms, percentile, Row};

/// Machines in all, and how many of them write (in this process).
const MACHINES: usize = 90;
const WRITERS: usize = 10;
/// Writers that also read the board anew every [`READ_EVERY`], as an open window does when it
/// reopens a board or searches.
const READING: usize = 5;
const READ_EVERY: Duration = Duration::from_secs(2);
/// Writes a second each writer makes, and for how long.
const RATE: u64 = 10;
const SECONDS: u64 = 10;
/// PostgreSQL's default `max_connections`, and the slots of it left to people who are not
/// superusers.
const DEFAULT_MAX_CONNECTIONS: u32 = 100;
const TEAM_SLOTS: usize = 97;
/// The most connections a machine holds while it starts, for a few seconds: its hub's two
/// (the first is closed once the listener is in place) and a reader, its watch's writer and
/// reader; and the monitor's own.
const STARTING: usize = 6;
/// What one copy of Tandem with its window open held before a machine shared one connection:
/// a listener, a writer and two readers that never closed, and its window's copy's writer.
const CONNECTIONS_BEFORE: usize = 5;

/// Where a machine's `tandem watch` showed a change: the machine, the seq, when.
type Shown = (usize, i64, Instant);

/// A machine as a person's computer runs it: `tandem hub` and `tandem watch`, in processes.
struct Computer {
    hub: Child,
    watch: Child,
    _dir: tempfile::TempDir,
}

impl Computer {
    /// Starts machine `n` on `url`; what its watch prints goes to `shown`.
    fn start(n: usize, url: &str, shown: mpsc::Sender<Shown>) -> Computer {
        let dir = tempfile::tempdir().expect("a folder for the machine");
        let tandem = |args: &[&str]| {
            let mut command = Command::new(env!("CARGO_BIN_EXE_tandem"));
            command
                .args(args)
                .env("TANDEM_DB", url)
                .env("XDG_RUNTIME_DIR", dir.path().join("run"))
                .env("XDG_DATA_HOME", dir.path().join("data"))
                .env("XDG_CONFIG_HOME", dir.path().join("config"))
                .env("XDG_STATE_HOME", dir.path().join("state"))
                .env_remove("TANDEM_LOG");
            command
        };
        std::fs::create_dir_all(dir.path().join("run")).expect("a runtime folder");
        let mut hub = tandem(&["hub"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("tandem hub starts");
        let said = BufReader::new(hub.stderr.take().expect("piped"));
        let mut lines = said.lines();
        let mut said = Vec::new();
        let serving = lines.by_ref().map_while(Result::ok).any(|line| {
            said.push(line);
            said.last().is_some_and(|l| l.contains("serving the hub"))
        });
        assert!(serving, "machine {n}'s hub serves: {said:?}");
        // Whatever else it says is read, so it never writes into a closed pipe.
        std::thread::spawn(move || lines.for_each(drop));
        let mut watch = tandem(&["watch"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("tandem watch starts");
        let printed = BufReader::new(watch.stdout.take().expect("piped"));
        std::thread::spawn(move || {
            #[derive(serde::Deserialize)]
            struct Seq {
                seq: i64,
            }
            for line in printed.lines().map_while(Result::ok) {
                let at = Instant::now();
                if let Ok(Seq { seq }) = serde_json::from_str(&line) {
                    if shown.send((n, seq, at)).is_err() {
                        return;
                    }
                }
            }
        });
        Computer {
            hub,
            watch,
            _dir: dir,
        }
    }
}

impl Drop for Computer {
    fn drop(&mut self) {
        for child in [&mut self.watch, &mut self.hub] {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The row: ninety machines on a default server, beside how many fitted before.
pub async fn row() -> Row {
    let server = TestServer::start_with_connections(DEFAULT_MAX_CONNECTIONS)
        .expect("a PostgreSQL server (make test installs it)");
    let database = server.database();
    let url = team(&server, &database).await;
    let ran = run(&server, &database.name, &url).await;
    let fitted = fitted_before(&url).await;
    let (lost, mut latencies, connections) = ran;
    Row {
        what: "team of 90: 90 machines on one default server (max_connections 100), 10 of them \
               writing 10/s for 10 s: lost, p50 / p99 commit → last machine, connections in use",
        target: "90 machines, 0 lost, p99 ≤ 100 ms",
        tandem: format!(
            "90 machines, {lost} lost, {} / {}, {connections} connections at most",
            ms(percentile(&mut latencies, 0.5)),
            ms(percentile(&mut latencies, 0.99)),
        ),
        baseline: format!(
            "{fitted} machines fit, the next refused ({CONNECTIONS_BEFORE} connections each, \
             as before)"
        ),
        ratio: format!(
            "{:.1}× the machines",
            MACHINES as f64 / fitted.max(1) as f64
        ),
    }
}

/// Makes the team: the database's owner, and alice, who every machine logs in as. Returns
/// alice's URL.
async fn team(server: &TestServer, database: &tandem::testing::TestDatabase) -> String {
    let owner = Store::open(
        &Location::parse(&database.url).expect("a server URL"),
        &Origin::new("owner", Actor::Cli),
    )
    .await
    .expect("the owner opens the board");
    owner.team_init().await.expect("team init");
    server.login("alice").expect("a login for alice");
    owner
        .team_add("alice", Some("Alice"), None)
        .await
        .expect("alice joins the team");
    owner.close().await;
    server.url_as("alice", &database.name)
}

/// Runs the ninety machines; returns the changes some machine never showed, each change's
/// time from commit to the last machine, and the most connections the server had.
async fn run(server: &TestServer, name: &str, url: &str) -> (usize, Vec<Duration>, usize) {
    let location = Location::parse(url).expect("alice's URL");
    let (shown, showing) = mpsc::channel::<Shown>();
    let mut writers = Vec::with_capacity(WRITERS);
    for n in 0..WRITERS {
        writers.push(Machine::on(&location, &format!("writer-{n}")).await);
    }
    let project = writers[0]
        .store
        .create_project(&writers[0].origin, "Crowd")
        .await
        .expect("alice's project")
        .id;
    // Each writer's bus: its own commits as they commit, and the others' as it hears them.
    for (n, writer) in writers.iter().enumerate() {
        let mut bus = writer.store.bus().subscribe();
        let shown = shown.clone();
        tokio::spawn(async move {
            while let Ok(committed) = bus.recv().await {
                let at = Instant::now();
                for change in committed.iter() {
                    if shown
                        .send((MACHINES - WRITERS + n, change.seq, at))
                        .is_err()
                    {
                        return;
                    }
                }
            }
        });
    }
    let monitor = Monitor::new(server, name);
    let mut computers = Vec::with_capacity(MACHINES - WRITERS);
    for n in 0..MACHINES - WRITERS {
        // A starting machine holds a few connections for a few seconds (its watch reads the
        // log with connections of its own, closed when idle): start the next when there is
        // room for that, as people's mornings spread.
        monitor.settle(TEAM_SLOTS - STARTING).await;
        computers.push(Computer::start(n, url, shown.clone()));
    }
    drop(shown);
    monitor.settle(MACHINES).await;

    // Every machine shows a first change before the clock starts.
    let first = warm_up(&writers, &project, "Warm-up").await;
    let mut seen: BTreeMap<i64, BTreeMap<usize, Instant>> = BTreeMap::new();
    collect(&showing, &mut seen, |seen| {
        seen.get(&first).is_some_and(|m| m.len() == MACHINES)
    });
    monitor.settle(MACHINES).await;

    let most = monitor.watch();
    let reading = read_like_windows(&writers[..READING], &project);
    let last = write(&writers, &project).await;
    reading.abort();
    collect(&showing, &mut seen, |seen| {
        seen.range(first..=last).all(|(_, m)| m.len() == MACHINES)
            && seen.range(first..=last).count() as i64 == last - first + 1
    });
    let connections = most.stop().await;

    let mut lost = 0;
    let mut latencies = Vec::new();
    for seq in first + 1..=last {
        let Some(machines) = seen.get(&seq) else {
            lost += MACHINES;
            continue;
        };
        lost += MACHINES - machines.len();
        let committed = machines.values().min().copied();
        let everywhere = machines.values().max().copied();
        if let (Some(committed), Some(everywhere)) = (committed, everywhere) {
            latencies.push(everywhere - committed);
        }
    }
    drop(computers);
    for writer in writers {
        let store = writer.store.clone();
        // Its watch stops first, so nothing connects again once it is closed.
        drop(writer);
        store.close().await;
    }
    monitor.settle(0).await;
    (lost, latencies, connections)
}

/// Each writer adds a card; returns the log's last seq after.
async fn warm_up(writers: &[Machine], project: &tandem::model::ProjectId, title: &str) -> i64 {
    for writer in writers {
        let new = NewTask {
            project_id: project.clone(),
            column_id: None,
            title: title.to_owned(),
        };
        writer
            .store
            .create_task(&writer.origin, new)
            .await
            .expect("a card");
    }
    writers[0].store.seq().await.expect("the log's end")
}

/// The writers at [`RATE`] a second each for [`SECONDS`]: each renames a card of its own.
/// Returns the log's last seq after.
async fn write(writers: &[Machine], project: &tandem::model::ProjectId) -> i64 {
    let tasks: Vec<_> = writers
        .iter()
        .enumerate()
        .map(|(n, machine)| {
            let (store, origin) = (machine.store.clone(), machine.origin.clone());
            let project = project.clone();
            tokio::spawn(async move {
                let new = NewTask {
                    project_id: project,
                    column_id: None,
                    title: format!("Writer {n}"),
                };
                let mut task = store.create_task(&origin, new).await.expect("a card");
                // Spread over the second, as ten people typing would be.
                tokio::time::sleep(Duration::from_millis(
                    n as u64 * 1000 / RATE / WRITERS as u64,
                ))
                .await;
                let mut tick = tokio::time::interval(Duration::from_millis(1000 / RATE));
                for i in 0..RATE * SECONDS {
                    tick.tick().await;
                    task = store
                        .rename_task(&origin, &task.id, task.version, &format!("Writer {n}: {i}"))
                        .await
                        .expect("a rename");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("a writer");
    }
    writers[0].store.seq().await.expect("the log's end")
}

/// Reads the board anew every [`READ_EVERY`] on each of `machines`, until aborted.
fn read_like_windows(
    machines: &[Machine],
    project: &tandem::model::ProjectId,
) -> tokio::task::JoinHandle<()> {
    let stores: Vec<_> = machines.iter().map(|m| m.store.clone()).collect();
    let project = project.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(READ_EVERY);
        loop {
            tick.tick().await;
            for store in &stores {
                store.board(&project).await.expect("a window's read");
            }
        }
    })
}

/// Takes what the machines showed until `done` holds or 30 s pass.
fn collect(
    showing: &mpsc::Receiver<Shown>,
    seen: &mut BTreeMap<i64, BTreeMap<usize, Instant>>,
    done: impl Fn(&BTreeMap<i64, BTreeMap<usize, Instant>>) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done(seen) {
        let left = deadline.saturating_duration_since(Instant::now());
        match showing.recv_timeout(left) {
            Ok((machine, seq, at)) => {
                seen.entry(seq).or_default().entry(machine).or_insert(at);
            }
            Err(_) => return,
        }
    }
}

/// The server's connections to the database, counted from a superuser's connection.
struct Monitor {
    url: String,
    name: String,
}

/// The most connections seen while watching, until stopped.
struct Most {
    stop: tokio::sync::oneshot::Sender<()>,
    most: tokio::task::JoinHandle<usize>,
}

impl Most {
    async fn stop(self) -> usize {
        let _ = self.stop.send(());
        self.most.await.expect("the monitor")
    }
}

impl Monitor {
    fn new(server: &TestServer, name: &str) -> Monitor {
        Monitor {
            url: server.url(name),
            name: name.to_owned(),
        }
    }

    async fn count(conn: &mut sqlx::PgConnection, name: &str) -> usize {
        let (count,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM pg_stat_activity
             WHERE datname = $1 AND backend_type = 'client backend' AND pid <> pg_backend_pid()",
        )
        .bind(name)
        .fetch_one(conn)
        .await
        .expect("pg_stat_activity");
        count as usize
    }

    /// Waits (up to 20 s) until the database has at most `machines` connections besides the
    /// monitor's.
    async fn settle(&self, machines: usize) {
        let mut conn = sqlx::PgConnection::connect(&self.url)
            .await
            .expect("the monitor connects");
        let deadline = Instant::now() + Duration::from_secs(20);
        while Self::count(&mut conn, &self.name).await > machines && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = conn.close().await;
    }

    /// Counts the connections every 100 ms until stopped; the most it saw.
    fn watch(&self) -> Most {
        let (stop, mut stopped) = tokio::sync::oneshot::channel();
        let (url, name) = (self.url.clone(), self.name.clone());
        let most = tokio::spawn(async move {
            let mut conn = sqlx::PgConnection::connect(&url)
                .await
                .expect("the monitor connects");
            let mut most = 0;
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            loop {
                tokio::select! {
                    _ = &mut stopped => return most,
                    _ = tick.tick() => most = most.max(Self::count(&mut conn, &name).await),
                }
            }
        });
        Most { stop, most }
    }
}

/// The baseline: how many machines fit the same server when each holds
/// [`CONNECTIONS_BEFORE`] connections, as a copy of Tandem with its window did before.
async fn fitted_before(url: &str) -> usize {
    let mut held = Vec::new();
    while let Ok(conn) = sqlx::PgConnection::connect(url).await {
        held.push(conn);
        assert!(
            held.len() <= DEFAULT_MAX_CONNECTIONS as usize,
            "the server took more than it allows"
        );
    }
    held.len() / CONNECTIONS_BEFORE
}

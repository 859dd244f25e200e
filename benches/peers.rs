//! DESIGN §10's figures across instances: instances in this process (each with its own store on
//! the shared file, as separate processes would have) and `tandem hub` processes, on a real
//! socket.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::Connection;
use tandem::bridge::{Endpoint, Link, LinkConfig, Timing};
use tandem::debounce::DEFAULT_WINDOW;
use tandem::model::{Actor, Batch, LinkStatus, Origin};
use tandem::store::Store;
use tandem::subscription;
use tokio::sync::watch;

use super::{ms, open, percentile, percentiles_row, Row, EDITS};

/// Hub kills for the failover figure (DESIGN asks for at least 20).
const KILLS: usize = 20;
/// Instances for the fan-out figure, and the changes per second they share.
const FANOUT_PEERS: usize = 32;
const FANOUT_RATE: u64 = 1000;
const FANOUT_SECONDS: u64 = 3;

/// A database file, where its hub listens, and `tandem hub` processes on it.
struct Site {
    db: PathBuf,
    run: PathBuf,
    endpoint: Endpoint,
}

impl Site {
    fn new(dir: &Path, name: &str) -> Site {
        let db = dir.join(name);
        let run = dir.join(format!("{name}.run"));
        std::fs::create_dir_all(&run).unwrap();
        Site {
            endpoint: Endpoint::in_dir(run.join("tandem"), &dir.canonicalize().unwrap().join(name)),
            db,
            run,
        }
    }

    fn hub(&self) -> Child {
        Command::new(env!("CARGO_BIN_EXE_tandem"))
            .arg("hub")
            .env("TANDEM_DB", &self.db)
            .env("XDG_RUNTIME_DIR", &self.run)
            .env("XDG_STATE_HOME", self.run.join("state"))
            .env_remove("TANDEM_LOG")
            .stderr(Stdio::null())
            .spawn()
            .expect("tandem hub starts")
    }

    /// An instance in this process.
    async fn peer(&self, name: &str, serve: bool, window: Duration, timing: Timing) -> Peer {
        let store = Arc::new(
            Store::open(&self.db, &Origin::new(name, Actor::Gui))
                .await
                .unwrap(),
        );
        let (stop, stopped) = watch::channel(false);
        let config = LinkConfig {
            instance: name.to_owned(),
            kind: Actor::Gui,
            scope: None,
            serve,
            window: window.into(),
            timing,
        };
        let link = Link::new(config, self.endpoint.clone(), store.clone());
        let status = link.status();
        tokio::spawn(link.run(async move {
            let mut stopped = stopped;
            let _ = stopped.wait_for(|s| *s).await;
        }));
        Peer {
            origin: Origin::new(name, Actor::Gui),
            store,
            status,
            stop,
        }
    }
}

struct Peer {
    /// Its writes' origin: the link sends the hub what this instance commits.
    origin: Origin,
    store: Arc<Store>,
    status: watch::Receiver<LinkStatus>,
    stop: watch::Sender<bool>,
}

impl Peer {
    /// Waits until linked with `instances`, to a hub other than `not`; returns the hub's id.
    async fn linked(&self, instances: u32, not: Option<&str>) -> String {
        let mut status = self.status.clone();
        let ok = status
            .wait_for(|s| {
                matches!(s, LinkStatus::Live { instances: n, hub, .. }
                    if *n == instances && Some(hub.as_str()) != not)
            })
            .await
            .unwrap();
        match &*ok {
            LinkStatus::Live { hub, .. } => hub.clone(),
            _ => unreachable!("waited for live"),
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}

fn kill(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

pub type Arrivals = Arc<Mutex<BTreeMap<i64, Instant>>>;

/// A window's stream on `store` that notes when each seq arrived.
pub async fn window(store: &Arc<Store>) -> (Arrivals, subscription::Subscription) {
    let project = store.first_project().await.unwrap().id;
    window_on(store, project).await
}

/// A window on `project` of `store`: when each batch arrived, by its last seq.
pub async fn window_on(
    store: &Arc<Store>,
    project: tandem::model::ProjectId,
) -> (Arrivals, subscription::Subscription) {
    let arrivals: Arrivals = Arc::default();
    let (_, subscription) = subscription::subscribe(store.clone(), project, DEFAULT_WINDOW, {
        let arrivals = arrivals.clone();
        move |batch: Batch| {
            arrivals
                .lock()
                .unwrap()
                .insert(batch.to_seq, Instant::now());
            true
        }
    })
    .await
    .unwrap();
    (arrivals, subscription)
}

/// `EDITS` renames of `task` on `store`, each after a debounce window, as a person edits: each
/// edit's seq and when it was made.
pub async fn isolated_edits(
    store: &Store,
    origin: &Origin,
    mut task: tandem::model::Task,
) -> Vec<(i64, Instant)> {
    let mut sent = Vec::with_capacity(EDITS);
    for i in 0..EDITS {
        tokio::time::sleep(DEFAULT_WINDOW + Duration::from_millis(10)).await;
        let t = Instant::now();
        task = store
            .rename_task(origin, &task.id, task.version, &format!("edit {i}"))
            .await
            .unwrap();
        sent.push((store.seq().await.unwrap(), t));
    }
    sent
}

/// A naive baseline: reads the log every `every` and notes when each change arrived.
pub fn poll_log(store: &Arc<Store>, every: Duration) -> Polled {
    let arrivals: Arrivals = Arc::default();
    let task = tokio::spawn({
        let store = store.clone();
        let arrivals = arrivals.clone();
        async move {
            let mut seen = store.seq().await.unwrap();
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                let batch = store.changes_since(seen, None).await.unwrap();
                let now = Instant::now();
                for change in &batch.changes {
                    arrivals.lock().unwrap().insert(change.seq, now);
                }
                seen = batch.to_seq;
            }
        }
    });
    Polled {
        arrivals,
        every,
        task,
    }
}

/// A baseline window that polls the log, until dropped.
pub struct Polled {
    pub arrivals: Arrivals,
    every: Duration,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Polled {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// p50 and p99 of each sent edit's arrival, live against the baseline, as a row.
pub fn latency_row(
    what: &'static str,
    target: &'static str,
    sent: &[(i64, Instant)],
    live: &Arrivals,
    naive: &Polled,
) -> Row {
    let latencies = |arrived: &BTreeMap<i64, Instant>| -> Vec<Duration> {
        sent.iter()
            .filter_map(|(seq, t)| arrived.get(seq).map(|a| a.duration_since(*t)))
            .collect()
    };
    let mut live = latencies(&live.lock().unwrap());
    let every = naive.every;
    let mut naive = latencies(&naive.arrivals.lock().unwrap());
    assert_eq!(live.len(), sent.len(), "every edit reached the window");
    let every = if every >= Duration::from_secs(1) {
        format!("{} s", every.as_secs())
    } else {
        format!("{} ms", every.as_millis())
    };
    percentiles_row(
        what,
        target,
        &mut live,
        &mut naive,
        &format!("poll the log each {every}"),
    )
}

/// An edit in one instance → a window of another, through the hub.
pub async fn edit_to_other_instance(dir: &Path) -> Row {
    let (store, _, task) = open(dir, "peers.db").await;
    drop(store);
    let site = Site::new(dir, "peers.db");
    let a = site
        .peer("a", true, DEFAULT_WINDOW, Timing::default())
        .await;
    let b = site
        .peer("b", false, DEFAULT_WINDOW, Timing::default())
        .await;
    a.linked(2, None).await;
    b.linked(2, None).await;
    let (live, _subscription) = window(&b.store).await;
    let naive = poll_log(&b.store, Duration::from_secs(1));

    let sent = isolated_edits(&a.store, &a.origin, task).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    latency_row(
        "edit → window of another instance, p50 / p99",
        "p99 ≤ 20 ms",
        &sent,
        &live,
        &naive,
    )
}

/// A write by another program (as the sqlite3 shell makes it) → an instance's window.
pub async fn other_program_to_window(dir: &Path) -> Row {
    let (store, _origin, task) = open(dir, "shell.db").await;
    drop(store);
    let site = Site::new(dir, "shell.db");
    let app = site
        .peer("app", true, DEFAULT_WINDOW, Timing::default())
        .await;
    // The app serves its own hub, which watches the file and relays what it finds.
    app.linked(1, None).await;
    let (live, _subscription) = window(&app.store).await;
    // The baseline: the 50 ms poll of the log Tandem used before it watched the file.
    let naive = poll_log(&app.store, Duration::from_millis(50));

    // Another program: a plain SQLite connection, no Tandem code on its write path.
    let mut shell = sqlx::SqliteConnection::connect(&format!("sqlite:{}", site.db.display()))
        .await
        .unwrap();
    let mut sent = Vec::with_capacity(EDITS);
    for i in 0..EDITS {
        tokio::time::sleep(DEFAULT_WINDOW + Duration::from_millis(10)).await;
        let t = Instant::now();
        sqlx::query("UPDATE tasks SET title = ?1 WHERE id = ?2")
            .bind(format!("shell {i}"))
            .bind(&task.id)
            .execute(&mut shell)
            .await
            .unwrap();
        let seq: i64 = sqlx::query_scalar("SELECT MAX(seq) FROM changes")
            .fetch_one(&mut shell)
            .await
            .unwrap();
        sent.push((seq, t));
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    latency_row(
        "write by another program → window, p50 / p99",
        "p99 ≤ 30 ms",
        &sent,
        &live,
        &naive,
    )
}

/// The hub's process killed: how long until every instance is linked to a new hub.
async fn failovers(site: &Site, kills: usize, timing: Timing) -> Vec<Duration> {
    let peers: Vec<Peer> = peers_on(site, 4, timing).await;
    let mut serving = site.hub();
    let first = peers[0].linked(5, None).await;
    let mut standby = site.hub();
    for peer in &peers {
        peer.linked(6, None).await;
    }
    let mut hub = first;
    let mut times = Vec::with_capacity(kills);
    for _ in 0..kills {
        let t = Instant::now();
        kill(serving);
        let mut next = String::new();
        for peer in &peers {
            next = peer.linked(5, Some(&hub)).await;
        }
        times.push(t.elapsed());
        hub = next;
        serving = standby;
        standby = site.hub();
        for peer in &peers {
            peer.linked(6, None).await;
        }
    }
    kill(serving);
    kill(standby);
    times
}

async fn peers_on(site: &Site, n: usize, timing: Timing) -> Vec<Peer> {
    let mut peers = Vec::with_capacity(n);
    for i in 0..n {
        peers.push(
            site.peer(&format!("peer-{i}"), false, DEFAULT_WINDOW, timing)
                .await,
        );
    }
    peers
}

pub async fn hub_failover(dir: &Path) -> Row {
    let (store, ..) = open(dir, "failover.db").await;
    drop(store);
    let site = Site::new(dir, "failover.db");
    let mut live = failovers(&site, KILLS, Timing::default()).await;
    // The baseline retries once a second, as a fixed-interval client does.
    let fixed = Timing {
        retry_min: Duration::from_secs(1),
        retry_max: Duration::from_secs(1),
        ..Timing::default()
    };
    let mut naive = failovers(&site, 5, fixed).await;
    let (p50, p99) = (percentile(&mut live, 0.5), percentile(&mut live, 0.99));
    let (n50, n99) = (percentile(&mut naive, 0.5), percentile(&mut naive, 0.99));
    Row {
        what: "hub killed → all 4 peers on a new hub, p50 / p99 (20 kills)",
        target: "p99 ≤ 250 ms",
        tandem: format!("{} / {}", ms(p50), ms(p99)),
        baseline: format!("{} / {} (retry each 1 s)", ms(n50), ms(n99)),
        ratio: format!(
            "{:.0}× faster at p99",
            n99.as_secs_f64() / p99.as_secs_f64()
        ),
    }
}

/// CPU seconds a process has used, from /proc.
pub fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are the 14th and 15th fields; `fields` starts at the 3rd.
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    (ticks(11) + ticks(12)) / hz
}

/// 32 instances, 1,000 changes a second among them: changes lost, and the hub's CPU.
async fn fan_out_once(dir: &Path, name: &str, window: Duration) -> (u64, f64) {
    let (store, _, task) = open(dir, name).await;
    drop(store);
    let site = Site::new(dir, name);
    let hub = site.hub();
    let mut peers = Vec::with_capacity(FANOUT_PEERS);
    for i in 0..FANOUT_PEERS {
        peers.push(
            site.peer(&format!("peer-{i}"), false, window, Timing::default())
                .await,
        );
    }
    for peer in &peers {
        peer.linked(FANOUT_PEERS as u32 + 1, None).await;
    }
    let start = peers[0].store.seq().await.unwrap();
    let received: Vec<Arc<AtomicU64>> = peers
        .iter()
        .map(|peer| {
            let count = Arc::new(AtomicU64::new(0));
            let mut bus = peer.store.bus().subscribe();
            let counted = count.clone();
            tokio::spawn(async move {
                while let Ok(committed) = bus.recv().await {
                    let n = committed.iter().filter(|c| c.seq > start).count() as u64;
                    counted.fetch_add(n, Ordering::Relaxed);
                }
            });
            count
        })
        .collect();

    let cpu_before = cpu_seconds(hub.id());
    let wall = Instant::now();
    let total = FANOUT_RATE * FANOUT_SECONDS;
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / FANOUT_RATE));
    let mut version = task.version;
    // Four instances write, in turn; every instance should receive every change.
    for i in 0..total {
        tick.tick().await;
        let writer = &peers[(i % 4) as usize];
        let renamed = writer
            .store
            .rename_task(&writer.origin, &task.id, version, &format!("fan-out {i}"))
            .await
            .unwrap();
        version = renamed.version;
    }
    let end = peers[0].store.seq().await.unwrap();
    let expected = (end - start) as u64;
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline
        && received
            .iter()
            .any(|r| r.load(Ordering::Relaxed) < expected)
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let cpu = (cpu_seconds(hub.id()) - cpu_before) / wall.elapsed().as_secs_f64();
    let lost: u64 = received
        .iter()
        .map(|r| expected.saturating_sub(r.load(Ordering::Relaxed)))
        .sum();
    drop(peers);
    kill(hub);
    (lost, cpu)
}

pub async fn fan_out(dir: &Path) -> Row {
    let (lost, cpu) = fan_out_once(dir, "fanout.db", DEFAULT_WINDOW).await;
    // The baseline: every commit relayed as its own frame, nothing coalesced.
    let (naive_lost, naive_cpu) = fan_out_once(dir, "fanout-naive.db", Duration::ZERO).await;
    Row {
        what: "fan-out: 32 instances, 1,000 changes/s for 3 s: lost, hub CPU",
        target: "no loss, hub CPU ≤ 25 % of a core",
        tandem: format!("{lost} lost, {:.1} %", cpu * 100.0),
        baseline: format!(
            "{naive_lost} lost, {:.1} % (one frame per commit)",
            naive_cpu * 100.0
        ),
        ratio: format!("{:.1}× less hub CPU", naive_cpu / cpu.max(1e-6)),
    }
}

//! DESIGN §10's team figures: machines (stores of their own, as separate computers would have)
//! sharing one database on a private PostgreSQL server over its Unix socket.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::Connection;
use tandem::config::Location;
use tandem::model::{Actor, Origin, Task};
use tandem::store::{NewTask, Store};
use tandem::testing::TestServer;
use tokio::sync::watch;

use super::{ms, peers, percentile, Row, WRITES};

/// Machines for the load figure, the writes per second each makes, and for how long.
const MACHINES: usize = 8;
const MACHINE_RATE: u64 = 100;
const LOAD_SECONDS: u64 = 10;

/// A machine on the server: its store, watching the server as the app does, until dropped.
pub struct Machine {
    pub store: Arc<Store>,
    pub origin: Origin,
    _stop: watch::Sender<bool>,
}

impl Machine {
    pub async fn on(location: &Location, name: &str) -> Machine {
        let origin = Origin::new(name, Actor::Gui);
        let store = Arc::new(Store::open(location, &origin).await.unwrap());
        let (stop, mut stopped) = watch::channel(false);
        tokio::spawn({
            let store = store.clone();
            async move {
                store
                    .watch_other_writers(Duration::from_secs(1), async move {
                        let _ = stopped.wait_for(|s| *s).await;
                    })
                    .await
            }
        });
        Machine {
            store,
            origin,
            _stop: stop,
        }
    }

    async fn task(&self) -> Task {
        let project = self.store.first_project().await.unwrap().id;
        let new = NewTask {
            project_id: project,
            column_id: None,
            title: "Benchmark".into(),
        };
        self.store.create_task(&self.origin, new).await.unwrap()
    }
}

/// The three team rows, on one private server.
pub async fn rows() -> Vec<Row> {
    let server = TestServer::start().expect("a PostgreSQL server (make test installs it)");
    vec![
        edit_to_other_machine(&server).await,
        writes(&server).await,
        load(&server).await,
    ]
    .into_iter()
    .chain(super::access::rows(&server).await)
    .chain(super::together::rows(&server).await)
    .collect()
}

fn database(server: &TestServer) -> (Location, String) {
    let database = server.database();
    (Location::parse(&database.url).unwrap(), database.url)
}

/// An edit on machine A → a window on machine B, through the server (NOTIFY wakes B, which
/// reads the log). Baseline: a window on B that polls the log once a second.
async fn edit_to_other_machine(server: &TestServer) -> Row {
    let (location, _) = database(server);
    let a = Machine::on(&location, "a").await;
    let b = Machine::on(&location, "b").await;
    let task = a.task().await;
    let (live, _subscription) = peers::window(&b.store).await;
    let naive = peers::poll_log(&b.store, Duration::from_secs(1));
    let sent = peers::isolated_edits(&a.store, &a.origin, task).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    peers::latency_row(
        "team: edit on machine A → window on machine B, p50 / p99",
        "p99 ≤ 50 ms",
        &sent,
        &live,
        &naive,
    )
}

/// Single task writes through the whole write path on a server. Baseline: the same rename as
/// one bare autocommit UPDATE on a plain connection (the log's trigger still runs).
async fn writes(server: &TestServer) -> Row {
    let (location, url) = database(server);
    let machine = Machine::on(&location, "writer").await;
    let task = machine.task().await;
    let id = task.id.clone();
    let (rate, p99) = renames(&machine, task).await;

    let mut plain = sqlx::PgConnection::connect(&url).await.unwrap();
    let naive_started = Instant::now();
    for i in 0..WRITES {
        sqlx::query("UPDATE tasks SET title = $1 WHERE id = $2")
            .bind(format!("naive {i}"))
            .bind(&id.0)
            .execute(&mut plain)
            .await
            .unwrap();
    }
    let naive_rate = WRITES as f64 / naive_started.elapsed().as_secs_f64();
    Row {
        what: "team: task writes per second on PostgreSQL (Unix socket), p99",
        target: "≥ 2,000/s",
        tandem: format!("{rate:.0}/s, p99 {}", ms(p99)),
        baseline: format!("{naive_rate:.0}/s (one bare UPDATE each)"),
        ratio: format!("{:.2}×", rate / naive_rate),
    }
}

/// `WRITES` renames of `task` on `machine`, one after another: writes per second, and the p99.
pub async fn renames(machine: &Machine, mut task: Task) -> (f64, Duration) {
    let mut samples = Vec::with_capacity(WRITES);
    let started = Instant::now();
    for i in 0..WRITES {
        let t = Instant::now();
        task = machine
            .store
            .rename_task(&machine.origin, &task.id, task.version, &format!("w {i}"))
            .await
            .unwrap();
        samples.push(t.elapsed());
    }
    (
        WRITES as f64 / started.elapsed().as_secs_f64(),
        percentile(&mut samples, 0.99),
    )
}

/// 8 machines each writing 100 renames a second for 10 s: changes some machine never
/// published, and the CPU each machine spent. Baseline: the same machines reading the log once
/// a second instead of listening.
async fn load(server: &TestServer) -> Row {
    let (lost, cpu) = run_load(server, true).await;
    let (naive_lost, naive_cpu) = run_load(server, false).await;
    Row {
        what: "team: 8 machines × 100 writes/s for 10 s: lost, CPU per machine",
        target: "0 lost",
        tandem: format!("{lost} lost, {:.1} % of a core", cpu * 100.0),
        baseline: format!(
            "{naive_lost} lost, {:.1} % (read the log each 1 s)",
            naive_cpu * 100.0
        ),
        ratio: format!("{:.1}× the CPU", cpu / naive_cpu.max(f64::EPSILON)),
    }
}

/// Runs the load with machines that listen (`listen`) or poll; returns the changes some
/// machine did not publish and the process's CPU per machine, as a share of a core.
async fn run_load(server: &TestServer, listen: bool) -> (usize, f64) {
    let (location, _) = database(server);
    let mut machines = Vec::new();
    for n in 0..MACHINES {
        let name = format!("m{n}");
        machines.push(if listen {
            Machine::on(&location, &name).await
        } else {
            let origin = Origin::new(&name, Actor::Gui);
            let store = Arc::new(Store::open(&location, &origin).await.unwrap());
            let (stop, mut stopped) = watch::channel(false);
            tokio::spawn({
                let store = store.clone();
                async move {
                    let mut tick = tokio::time::interval(Duration::from_secs(1));
                    loop {
                        tokio::select! {
                            // Any change, or the machine gone, stops it.
                            _ = stopped.changed() => return,
                            _ = tick.tick() => {}
                        }
                        let _ = store.catch_up().await;
                    }
                }
            });
            Machine {
                store,
                origin,
                _stop: stop,
            }
        });
    }
    let mut seen = Vec::new();
    for machine in &machines {
        let mut bus = machine.store.bus().subscribe();
        seen.push(tokio::spawn(async move {
            let mut seqs = std::collections::BTreeSet::new();
            while let Ok(committed) = bus.recv().await {
                seqs.extend(committed.iter().map(|c| c.seq));
            }
            seqs
        }));
    }
    let cpu_before = cpu_time();
    let started = Instant::now();
    let writers: Vec<_> = machines
        .iter()
        .map(|machine| {
            let (store, origin) = (machine.store.clone(), machine.origin.clone());
            tokio::spawn(async move {
                let project = store.first_project().await.unwrap().id;
                let new = NewTask {
                    project_id: project,
                    column_id: None,
                    title: "load".into(),
                };
                let mut task = store.create_task(&origin, new).await.unwrap();
                let mut tick = tokio::time::interval(Duration::from_millis(1000 / MACHINE_RATE));
                for i in 0..MACHINE_RATE * LOAD_SECONDS {
                    tick.tick().await;
                    task = store
                        .rename_task(&origin, &task.id, task.version, &format!("{i}"))
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    // Everyone catches up: a notification, or the next read of the log.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let cpu = (cpu_time() - cpu_before).as_secs_f64() / started.elapsed().as_secs_f64();
    let last = machines[0].store.seq().await.unwrap();
    drop(machines);
    let mut lost = 0;
    for seen in seen {
        let seqs = seen.await.unwrap();
        let first = seqs.first().copied().unwrap_or(last);
        // From the first change this machine published (all came after it subscribed).
        lost += (first..=last).filter(|s| !seqs.contains(s)).count();
    }
    (lost, cpu / MACHINES as f64)
}

/// This process's CPU time so far, user and system.
pub fn cpu_time() -> Duration {
    // SAFETY: getrusage fills the struct it is given and has no other effect.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    time(usage.ru_utime) + time(usage.ru_stime)
}

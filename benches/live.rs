//! `make bench`: the figures of DESIGN §10 that this build can reach, each measured beside a
//! naive baseline in the same process, so the ratios hold on a shared, noisy machine.
//!
//! Prints one Markdown table (kept in the README). Timing goals live here, never in tests. The
//! figures across instances are in `peers`.

mod peers;
mod team;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection};
use tandem::debounce::DEFAULT_WINDOW;
use tandem::model::{Actor, Batch, Origin, Task};
use tandem::store::{NewTask, Store};
use tandem::subscription;

/// Samples per latency figure: enough for a stable p99 without making the bench slow.
const WRITES: usize = 2000;
/// Isolated edits for the window-latency figure; each waits out the debounce window.
const EDITS: usize = 100;
/// The burst of DESIGN §10: 1,000 moves in one second.
const BURST: usize = 1000;

struct Row {
    what: &'static str,
    target: &'static str,
    tandem: String,
    baseline: String,
    ratio: String,
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut rows = Vec::new();
    rows.extend(write_path(dir.path()).await);
    rows.push(cli_command(dir.path()));
    rows.push(edit_to_window(dir.path()).await);
    rows.push(burst(dir.path()).await);
    rows.push(peers::edit_to_other_instance(dir.path()).await);
    rows.push(peers::other_program_to_window(dir.path()).await);
    rows.push(peers::hub_failover(dir.path()).await);
    rows.push(peers::fan_out(dir.path()).await);
    rows.extend(team::rows().await);

    println!("| what | target | Tandem | naive baseline | ratio |");
    println!("|---|---|---|---|---|");
    for row in rows {
        println!(
            "| {} | {} | {} | {} | {} |",
            row.what, row.target, row.tandem, row.baseline, row.ratio
        );
    }
}

async fn open(dir: &Path, name: &str) -> (Arc<Store>, Origin, Task) {
    let origin = Origin::new("bench", Actor::Cli);
    let store = Store::open(&dir.join(name), &origin)
        .await
        .expect("a store");
    let project = store.first_project().await.unwrap().id;
    let task = store
        .create_task(
            &origin,
            NewTask {
                project_id: project,
                column_id: None,
                title: "Benchmark".into(),
            },
        )
        .await
        .unwrap();
    (Arc::new(store), origin, task)
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort_unstable();
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[index]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// One `tandem task add`, the whole process, beside `sqlite3 FILE 'select 1'` on the same file
/// and beside the desktop app's program running the same command (what `tandem` cost when it
/// was the app: it maps WebKitGTK's libraries before it does anything). Runs interleave, so a
/// busy moment costs each the same.
fn cli_command(dir: &Path) -> Row {
    const RUNS: usize = 40;
    let db = dir.join("cli.db");
    let run = |program: &str, args: &[&str]| -> Duration {
        let started = Instant::now();
        let output = std::process::Command::new(program)
            .args(args)
            .env("TANDEM_DB", &db)
            .env("XDG_DATA_HOME", dir.join("cli-data"))
            .env("XDG_CONFIG_HOME", dir.join("cli-config"))
            .env("XDG_RUNTIME_DIR", dir.join("cli-run"))
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("TANDEM_LOG")
            .output()
            .unwrap_or_else(|e| panic!("{program} runs: {e}"));
        let took = started.elapsed();
        assert!(output.status.success(), "{program} {args:?}: {output:?}");
        took
    };
    let (tandem, desktop) = (
        env!("CARGO_BIN_EXE_tandem"),
        env!("CARGO_BIN_EXE_tandem-desktop"),
    );
    let file = db.display().to_string();
    let add = ["task", "add", "From the command line"];
    run(tandem, &add);
    let (mut light, mut sqlite, mut heavy) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..RUNS {
        light.push(run(tandem, &add));
        sqlite.push(run("sqlite3", &[&file, "select 1"]));
        heavy.push(run(desktop, &add));
    }
    let (tandem_p50, sqlite_p50, heavy_p50) = (
        percentile(&mut light, 0.5),
        percentile(&mut sqlite, 0.5),
        percentile(&mut heavy, 0.5),
    );
    Row {
        what: "one `tandem task add`, whole process, p50 / p90",
        target: "≤ 3× `sqlite3 FILE 'select 1'`",
        tandem: format!("{} / {}", ms(tandem_p50), ms(percentile(&mut light, 0.9))),
        baseline: format!(
            "sqlite3 {}; the app's program {}",
            ms(sqlite_p50),
            ms(heavy_p50)
        ),
        ratio: format!(
            "{:.1}× sqlite3 (the app's program: {:.1}×)",
            tandem_p50.as_secs_f64() / sqlite_p50.as_secs_f64(),
            heavy_p50.as_secs_f64() / sqlite_p50.as_secs_f64()
        ),
    }
}

/// Single task writes: validate, apply, log (triggers), stamp, commit, publish on the bus.
/// Baseline: the same rename done as SQLite does it by default, a rollback journal and an fsync
/// per commit, with the log rows written by the same triggers.
async fn write_path(dir: &Path) -> Vec<Row> {
    let (store, origin, mut task) = open(dir, "write.db").await;
    let mut drain = store.bus().subscribe();
    tokio::spawn(async move { while drain.recv().await.is_ok() {} });
    let mut samples = Vec::with_capacity(WRITES);
    let started = Instant::now();
    for i in 0..WRITES {
        let t = Instant::now();
        task = store
            .rename_task(&origin, &task.id, task.version, &format!("title {i}"))
            .await
            .unwrap();
        samples.push(t.elapsed());
    }
    let rate = WRITES as f64 / started.elapsed().as_secs_f64();
    let p50 = percentile(&mut samples, 0.5);
    let p99 = percentile(&mut samples, 0.99);

    // The baseline: the same schema and triggers in a file of its own, with SQLite's default
    // durability: a rollback journal and an fsync per commit.
    let mut conn = SqliteConnectOptions::new()
        .filename(dir.join("naive.db"))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Delete)
        .synchronous(SqliteSynchronous::Full)
        .connect()
        .await
        .unwrap();
    sqlx::raw_sql(include_str!(
        "../src-tauri/migrations/sqlite/20261122000000_board.sql"
    ))
    .execute(&mut conn)
    .await
    .unwrap();
    sqlx::raw_sql(
        "INSERT INTO projects VALUES ('p', 'Inbox', 1, 1, 0, 0);
         INSERT INTO columns VALUES ('c', 'p', 'To do', 1, NULL, 1, 0, 0);
         INSERT INTO tasks (id, project_id, column_id, title, position, created_at, updated_at)
         VALUES ('t', 'p', 'c', 'Benchmark', 1, 0, 0);",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let naive_writes = WRITES / 4;
    let mut naive = Vec::with_capacity(naive_writes);
    let naive_started = Instant::now();
    for i in 0..naive_writes {
        let t = Instant::now();
        let mut tx = conn.begin().await.unwrap();
        sqlx::query("UPDATE tasks SET title = ?1, version = version + 1 WHERE id = 't'")
            .bind(format!("naive {i}"))
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        naive.push(t.elapsed());
    }
    let naive_rate = naive_writes as f64 / naive_started.elapsed().as_secs_f64();
    let naive_p50 = percentile(&mut naive, 0.5);
    let naive_p99 = percentile(&mut naive, 0.99);

    vec![
        Row {
            what: "task write + log + bus, p50 / p99",
            target: "p99 ≤ 1 ms",
            tandem: format!("{} / {}", ms(p50), ms(p99)),
            baseline: format!(
                "{} / {} (rollback journal, fsync each)",
                ms(naive_p50),
                ms(naive_p99)
            ),
            ratio: format!(
                "{:.1}× faster at p99",
                naive_p99.as_secs_f64() / p99.as_secs_f64()
            ),
        },
        Row {
            what: "task writes per second",
            target: "≥ 5,000/s",
            tandem: format!("{rate:.0}/s"),
            baseline: format!("{naive_rate:.0}/s"),
            ratio: format!("{:.1}×", rate / naive_rate),
        },
    ]
}

/// An edit in one window reaching another window's stream in the same process: commit, bus,
/// debouncer (leading edge), sink. Baseline: a window that polls the log once a second.
async fn edit_to_window(dir: &Path) -> Row {
    let (store, origin, task) = open(dir, "window.db").await;
    let (arrivals, _subscription) = peers::window(&store).await;
    let polled = peers::poll_log(&store, Duration::from_secs(1));

    let sent = peers::isolated_edits(&store, &origin, task).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    peers::latency_row(
        "edit → other window, same instance, p50 / p99",
        "p99 ≤ 16 ms",
        &sent,
        &arrivals,
        &polled,
    )
}

/// What a window has seen of a burst: how many batches, and where each task ended up.
#[derive(Clone, Default)]
struct WindowView {
    batches: usize,
    /// Task id → (column id, position).
    places: BTreeMap<String, (String, i64)>,
}

/// 1,000 moves in one second: how many batches a window receives, and whether the state it
/// ends with is exactly the database's. Baseline: one emit per change, no coalescing.
async fn burst(dir: &Path) -> Row {
    let (store, origin, first) = open(dir, "burst.db").await;
    let board = store.board(&first.project_id).await.unwrap();
    let mut tasks = vec![first];
    for i in 0..19 {
        let new = NewTask {
            project_id: board.project.id.clone(),
            column_id: None,
            title: format!("card {i}"),
        };
        tasks.push(store.create_task(&origin, new).await.unwrap());
    }
    let seen: Arc<Mutex<WindowView>> = Arc::default();
    let (_board, _subscription) =
        subscription::subscribe(store.clone(), board.project.id.clone(), DEFAULT_WINDOW, {
            let seen = seen.clone();
            move |batch: Batch| {
                let mut seen = seen.lock().unwrap();
                seen.batches += 1;
                for change in &batch.changes {
                    if let Some(data) = &change.data {
                        let task: Task = serde_json::from_str(data.get()).unwrap();
                        seen.places
                            .insert(task.id.0, (task.column_id.0, task.position));
                    }
                }
                true
            }
        })
        .await
        .unwrap();

    let columns: Vec<_> = board.columns.iter().map(|c| c.id.clone()).collect();
    let before = store.seq().await.unwrap();
    let started = Instant::now();
    for i in 0..BURST {
        // Paced to spread the thousand moves over one second.
        let due = started + Duration::from_secs(1).mul_f64(i as f64 / BURST as f64);
        tokio::time::sleep_until(tokio::time::Instant::from_std(due)).await;
        let slot = i % tasks.len();
        let task = &tasks[slot];
        let moved = store
            .move_task(
                &origin,
                &task.id,
                task.version,
                &columns[i % columns.len()],
                (i % 5) as i64,
            )
            .await
            .unwrap();
        tasks[slot] = moved;
    }
    tokio::time::sleep(DEFAULT_WINDOW * 2).await;
    let committed = store
        .changes_since(before, None)
        .await
        .unwrap()
        .changes
        .len();
    let WindowView { batches, places } = seen.lock().unwrap().clone();
    let exact = store
        .tasks(&board.project.id)
        .await
        .unwrap()
        .iter()
        .all(|t| {
            places.get(&t.id.0).is_none_or(|(column, position)| {
                *column == t.column_id.0 && *position == t.position
            })
        });
    Row {
        what: "1,000 moves in 1 s → batches per window",
        target: "≤ 11, final state exact",
        tandem: format!(
            "{batches} batches, state {}",
            if exact { "exact" } else { "WRONG" }
        ),
        baseline: format!("{committed} emits (one per change)"),
        ratio: format!(
            "{:.0}× fewer repaints",
            committed as f64 / batches.max(1) as f64
        ),
    }
}

//! `make bench`: the figures of DESIGN §10 that this build can reach, each measured beside a
//! naive baseline in the same process, so the ratios hold on a shared, noisy machine.
//!
//! Prints one Markdown table (kept in the README). Timing goals live here, never in tests. The
//! figures across instances are in `peers`.

mod access;
mod board;
mod crowd;
mod offline;
mod peers;
mod team;
mod together;
// The end-to-end tests' desktop, for the board's figures measured in the real window.
#[allow(dead_code)]
#[path = "../tests/common/mod.rs"]
mod common;
#[allow(dead_code)]
#[path = "../tests/e2e/desktop.rs"]
mod desktop;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection};
use tandem::debounce::DEFAULT_WINDOW;
use tandem::model::{Actor, Batch, Origin, Task};
use tandem::store::{NewTask, Search, Step, Store};
use tandem::subscription;

/// Samples per latency figure: enough for a stable p99 without making the bench slow.
const WRITES: usize = 2000;
/// Writers at once for the queued-writes figure.
const QUEUED_WRITERS: usize = 32;
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

/// `cargo bench --bench live [GROUP...]`: every row, or only those of the groups named
/// (write, cli, window, burst, board, search, peers, team, crowd).
#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dir = dir.path();
    let groups: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with('-'))
        .collect();
    let wanted = |group: &str| groups.is_empty() || groups.iter().any(|g| g == group);
    let mut rows = Vec::new();
    if wanted("write") {
        for edit in [Edit::Move, Edit::Rename] {
            rows.extend(write_path(dir, edit).await);
            rows.push(queued_writes(dir, edit).await);
        }
    }
    if wanted("cli") {
        rows.push(cli_command(dir));
    }
    if wanted("window") {
        rows.push(edit_to_window(dir).await);
    }
    if wanted("burst") {
        rows.push(burst(dir).await);
    }
    if wanted("board") {
        rows.extend(board::rows().await);
    }
    if wanted("bulk") {
        rows.extend(board::bulk_rows().await);
    }
    if wanted("search") {
        rows.push(search(dir).await);
    }
    if wanted("peers") {
        rows.push(peers::edit_to_other_instance(dir).await);
        rows.push(peers::other_program_to_window(dir).await);
        rows.push(peers::hub_failover(dir).await);
        rows.push(peers::fan_out(dir).await);
    }
    if wanted("team") {
        rows.extend(team::rows().await);
    }
    if wanted("offline") {
        let server = tandem::testing::TestServer::start()
            .expect("a PostgreSQL server (make test installs it)");
        rows.extend(offline::rows(&server).await);
    }
    if wanted("crowd") {
        rows.push(crowd::row().await);
    }

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

/// A latency row: p50 / p99 of `ours` beside those of `naive` (what the baseline is in
/// `naive_is`), and how much faster Tandem is at p99.
fn percentiles_row(
    what: &'static str,
    target: &'static str,
    ours: &mut [Duration],
    naive: &mut [Duration],
    naive_is: &str,
) -> Row {
    let (p50, p99) = (percentile(ours, 0.5), percentile(ours, 0.99));
    let (n50, n99) = (percentile(naive, 0.5), percentile(naive, 0.99));
    let faster = n99.as_secs_f64() / p99.as_secs_f64();
    Row {
        what,
        target,
        tandem: format!("{} / {}", ms(p50), ms(p99)),
        baseline: format!("{} / {} ({naive_is})", ms(n50), ms(n99)),
        ratio: if faster < 1.0 {
            format!("{:.1}× slower at p99", 1.0 / faster)
        } else if faster < 10.0 {
            format!("{faster:.1}× faster at p99")
        } else {
            format!("{faster:.0}× faster at p99")
        },
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// One `tandem task add`, the whole process, beside `sqlite3 FILE 'select 1'` on the same file
/// (the target's measure: a process that opens the file and reads nothing), beside `sqlite3`
/// inserting the same card itself (it reads the schema, runs the log's and the search index's
/// triggers and checkpoints on closing, as `tandem` does), and beside the desktop app's program
/// running the same command (what `tandem` cost when it was the app: it maps WebKitGTK's
/// libraries before it does anything). Runs interleave, so a busy moment costs each the same.
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
    let shell = |sql: &str| {
        let output = std::process::Command::new("sqlite3")
            .args([&file, sql])
            .output()
            .expect("sqlite3 runs");
        String::from_utf8(output.stdout).expect("sqlite3 prints text")
    };
    let (project, column) = shell("SELECT project_id, column_id FROM tasks LIMIT 1")
        .trim()
        .split_once('|')
        .map(|(p, c)| (p.to_owned(), c.to_owned()))
        .expect("the card just added");
    let now = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";
    let insert = format!(
        "PRAGMA foreign_keys = ON; INSERT INTO tasks (id, project_id, column_id, title, \
         position, created_at, updated_at) VALUES (lower(hex(randomblob(16))), '{project}', \
         '{column}', 'From sqlite3', (SELECT coalesce(max(position), 0) + 1024 FROM tasks \
         WHERE column_id = '{column}'), {now}, {now})"
    );
    let (mut light, mut sqlite, mut written, mut heavy) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..RUNS {
        light.push(run(tandem, &add));
        sqlite.push(run("sqlite3", &[&file, "select 1"]));
        written.push(run("sqlite3", &[&file, &insert]));
        heavy.push(run(desktop, &add));
    }
    let (tandem_p50, sqlite_p50, written_p50, heavy_p50) = (
        percentile(&mut light, 0.5),
        percentile(&mut sqlite, 0.5),
        percentile(&mut written, 0.5),
        percentile(&mut heavy, 0.5),
    );
    Row {
        what: "one `tandem task add`, whole process, p50 / p90",
        target: "≤ 3× `sqlite3 FILE 'select 1'`",
        tandem: format!("{} / {}", ms(tandem_p50), ms(percentile(&mut light, 0.9))),
        baseline: format!(
            "sqlite3 {}; sqlite3 inserting the card {}; the app's program {}",
            ms(sqlite_p50),
            ms(written_p50),
            ms(heavy_p50)
        ),
        ratio: format!(
            "{:.1}× sqlite3; {:.1}× sqlite3's own insert (the app's program: {:.1}×)",
            tandem_p50.as_secs_f64() / sqlite_p50.as_secs_f64(),
            tandem_p50.as_secs_f64() / written_p50.as_secs_f64(),
            heavy_p50.as_secs_f64() / sqlite_p50.as_secs_f64()
        ),
    }
}

/// The task write a row measures.
#[derive(Clone, Copy)]
enum Edit {
    /// The write a board makes most, to another column: it re-indexes nothing for search.
    Move,
    /// A new title, which re-indexes the card for search in the same transaction.
    Rename,
}

impl Edit {
    /// Its rows' names: the latency, one writer, writers queued; and its files' tag.
    fn names(self) -> [&'static str; 4] {
        match self {
            Edit::Move => [
                "task write + log + bus, p50 / p99 (a move)",
                "task writes per second, one writer (moves)",
                "task writes per second, 32 writers queued (moves)",
                "move",
            ],
            Edit::Rename => [
                "task write + log + bus, p50 / p99 (a rename: it re-indexes the card for search)",
                "task writes per second, one writer (renames)",
                "task writes per second, 32 writers queued (renames)",
                "rename",
            ],
        }
    }

    /// The `i`th write of this kind to `task`: a move goes to the bottom of the next column and
    /// back, as `tandem task move --next` and `--prev` do.
    async fn apply(self, store: &Store, origin: &Origin, task: Task, i: usize) -> Task {
        match self {
            Edit::Move => {
                let step = [Step::NextColumn, Step::PreviousColumn][i % 2];
                store.step_task(origin, &task.id, task.version, step).await
            }
            Edit::Rename => {
                let title = format!("title {i}");
                store
                    .rename_task(origin, &task.id, task.version, &title)
                    .await
            }
        }
        .unwrap()
    }
}

/// Single task writes: validate, apply, log (triggers), stamp, commit, publish on the bus.
/// Baseline: the same write with a thread round trip per statement (sqlx's SQLite worker), as
/// Tandem wrote before.
async fn write_path(dir: &Path, edit: Edit) -> Vec<Row> {
    let [latency, one_writer, _, tag] = edit.names();
    let (store, origin, mut task) = open(dir, &format!("write-{tag}.db")).await;
    let mut drain = store.bus().subscribe();
    tokio::spawn(async move { while drain.recv().await.is_ok() {} });
    let mut samples = Vec::with_capacity(WRITES);
    let started = Instant::now();
    for i in 0..WRITES {
        let t = Instant::now();
        task = edit.apply(&store, &origin, task, i).await;
        samples.push(t.elapsed());
    }
    let rate = WRITES as f64 / started.elapsed().as_secs_f64();

    let mut naive = PerStatement::open(dir, &format!("per-statement-{tag}.db")).await;
    let mut naive_samples = Vec::with_capacity(WRITES);
    let naive_started = Instant::now();
    for i in 0..WRITES {
        let t = Instant::now();
        naive.apply(edit, i).await;
        naive_samples.push(t.elapsed());
    }
    let naive_rate = WRITES as f64 / naive_started.elapsed().as_secs_f64();

    vec![
        percentiles_row(
            latency,
            "p99 ≤ 0.5 ms",
            &mut samples,
            &mut naive_samples,
            "a thread round trip per statement",
        ),
        Row {
            what: one_writer,
            target: "≥ 10,000/s",
            tandem: format!("{rate:.0}/s"),
            baseline: format!("{naive_rate:.0}/s"),
            ratio: format!("{:.1}×", rate / naive_rate),
        },
    ]
}

/// Writers that queue: [`QUEUED_WRITERS`] tasks each writing its own card as fast as it can,
/// for [`WRITES`] writes in all. Baseline: the per-statement path with the same writers taking
/// turns on its one connection.
async fn queued_writes(dir: &Path, edit: Edit) -> Row {
    let [_, _, queued, tag] = edit.names();
    let (store, origin, _) = open(dir, &format!("queued-{tag}.db")).await;
    let mut drain = store.bus().subscribe();
    tokio::spawn(async move { while drain.recv().await.is_ok() {} });
    let project = store.first_project().await.unwrap().id;
    let mut cards = Vec::new();
    for i in 0..QUEUED_WRITERS {
        let new = NewTask {
            project_id: project.clone(),
            column_id: None,
            title: format!("Writer {i}"),
        };
        cards.push(store.create_task(&origin, new).await.unwrap());
    }
    let each = WRITES * 5 / QUEUED_WRITERS;
    let commits = store.commits();
    let started = Instant::now();
    let writers: Vec<_> = cards
        .into_iter()
        .map(|mut task| {
            let (store, origin) = (store.clone(), origin.clone());
            tokio::spawn(async move {
                for i in 0..each {
                    task = edit.apply(&store, &origin, task, i).await;
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    let rate = (each * QUEUED_WRITERS) as f64 / started.elapsed().as_secs_f64();
    let per_commit = (each * QUEUED_WRITERS) as f64 / (store.commits() - commits) as f64;

    let naive = Arc::new(tokio::sync::Mutex::new(
        PerStatement::open(dir, &format!("per-statement-queued-{tag}.db")).await,
    ));
    let naive_each = WRITES / QUEUED_WRITERS;
    let naive_started = Instant::now();
    let writers: Vec<_> = (0..QUEUED_WRITERS)
        .map(|_| {
            let naive = naive.clone();
            tokio::spawn(async move {
                for i in 0..naive_each {
                    naive.lock().await.apply(edit, i).await;
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    let naive_rate = (naive_each * QUEUED_WRITERS) as f64 / naive_started.elapsed().as_secs_f64();
    Row {
        what: queued,
        target: "≥ 30,000/s",
        tandem: format!("{rate:.0}/s, {per_commit:.1} writes a commit"),
        baseline: format!("{naive_rate:.0}/s"),
        ratio: format!("{:.1}×", rate / naive_rate),
    }
}

/// Searching 10,000 cards (each with a 1.6 KB description, as cards brought from other tools
/// often have) for a word, a prefix, a phrase and a word on every card, as `tandem search` does
/// (every project, the best 50). Baseline: `LIKE '%word%'` over titles and descriptions.
async fn search(dir: &Path) -> Row {
    const CARDS: i64 = 10_000;
    const ROUNDS: usize = 50;
    let (store, _, task) = open(dir, "search.db").await;
    let mut conn =
        sqlx::SqliteConnection::connect(&format!("sqlite:{}", dir.join("search.db").display()))
            .await
            .unwrap();
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
         INSERT INTO tasks (id, project_id, column_id, title, description, position, created_at,
                            updated_at)
         SELECT printf('search-%05d', i), ?2, ?3, printf('Card %05d: follow up on item %d', i, i),
                replace(printf('%.*c', 40, 'x'), 'x',
                        CASE WHEN i = 7777 THEN 'the needle in the haystack. '
                             ELSE 'Lorem ipsum dolor sit amet, consectetur. ' END),
                i * 1024, 0, 0
         FROM n",
    )
    .bind(CARDS)
    .bind(&task.project_id.0)
    .bind(&task.column_id.0)
    .execute(&mut conn)
    .await
    .unwrap();
    let queries = [
        ("needle", "%needle%"),
        ("hayst*", "%hayst%"),
        ("\"follow up on item 42\"", "%follow up on item 42%"),
        ("lorem", "%lorem%"),
    ];
    let (mut ours, mut naive) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        for (words, pattern) in queries {
            let t = Instant::now();
            store.search(Search::new(words)).await.unwrap();
            ours.push(t.elapsed());
            let t = Instant::now();
            sqlx::query(
                "SELECT id, title FROM tasks WHERE title LIKE ?1 OR description LIKE ?1 LIMIT 50",
            )
            .bind(pattern)
            .fetch_all(&mut conn)
            .await
            .unwrap();
            naive.push(t.elapsed());
        }
    }
    percentiles_row(
        "search 10,000 cards for a word, a prefix, a phrase, a word on every card, p50 / p99",
        "≤ 20 ms a query",
        &mut ours,
        &mut naive,
        "LIKE '%word%' over titles and descriptions",
    )
}

/// The write path as it was before writes ran in one hop: sqlx's SQLite connection, whose
/// every statement is a round trip to its worker thread, in the same WAL mode, running the
/// statements a rename ran (lock, log end, the row at its version, the update, the stamp of
/// the logged rows, commit).
struct PerStatement {
    conn: sqlx::SqliteConnection,
}

impl PerStatement {
    async fn open(dir: &Path, name: &str) -> PerStatement {
        let mut conn = SqliteConnectOptions::new()
            .filename(dir.join(name))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .connect()
            .await
            .unwrap();
        // Tandem's whole schema, so both pay for the same triggers (the log, the search index).
        for migration in [
            include_str!("../src-tauri/migrations/sqlite/20261122000000_board.sql"),
            include_str!("../src-tauri/migrations/sqlite/20261122010000_changes_valid_json.sql"),
            include_str!("../src-tauri/migrations/sqlite/20261130000000_search.sql"),
        ] {
            sqlx::raw_sql(migration).execute(&mut conn).await.unwrap();
        }
        sqlx::raw_sql(
            "INSERT INTO projects VALUES ('p', 'Inbox', 1, 1, 0, 0);
             INSERT INTO columns VALUES ('c', 'p', 'To do', 1, NULL, 1, 0, 0);
             INSERT INTO columns VALUES ('c2', 'p', 'Doing', 2, NULL, 1, 0, 0);
             INSERT INTO tasks (id, project_id, column_id, title, position, created_at, updated_at)
             VALUES ('t', 'p', 'c', 'Benchmark', 1, 0, 0);",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        PerStatement { conn }
    }

    /// Moves the card to the bottom of the other column: the statements a move runs (lock,
    /// log end, the row at its version, the project's columns, the target's last position, the
    /// update, the stamp, commit).
    async fn move_card(&mut self) {
        let (mut tx, start) = Self::begin(&mut self.conn).await;
        let (version, column): (i64, String) =
            sqlx::query_as("SELECT version, column_id FROM tasks WHERE id = 't'")
                .fetch_one(&mut *tx)
                .await
                .unwrap();
        sqlx::query("SELECT id FROM columns WHERE project_id = 'p' ORDER BY position, id")
            .fetch_all(&mut *tx)
            .await
            .unwrap();
        let target = if column == "c" { "c2" } else { "c" };
        let (last,): (Option<i64>,) =
            sqlx::query_as("SELECT max(position) FROM tasks WHERE column_id = ?1")
                .bind(target)
                .fetch_one(&mut *tx)
                .await
                .unwrap();
        sqlx::query("UPDATE tasks SET column_id = ?1, position = ?2, version = ?3 WHERE id = 't'")
            .bind(target)
            .bind(last.unwrap_or(0) + 65_536)
            .bind(version + 1)
            .execute(&mut *tx)
            .await
            .unwrap();
        Self::finish(tx, start).await;
    }

    async fn apply(&mut self, edit: Edit, i: usize) {
        match edit {
            Edit::Move => self.move_card().await,
            Edit::Rename => self.rename(&format!("naive {i}")).await,
        }
    }

    async fn rename(&mut self, title: &str) {
        let (mut tx, start) = Self::begin(&mut self.conn).await;
        let (version,): (i64,) = sqlx::query_as("SELECT version FROM tasks WHERE id = 't'")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        sqlx::query("UPDATE tasks SET title = ?1, version = ?2 WHERE id = 't'")
            .bind(title)
            .bind(version + 1)
            .execute(&mut *tx)
            .await
            .unwrap();
        Self::finish(tx, start).await;
    }

    /// Takes the write lock and reads the log's end, as every write begins.
    async fn begin(
        conn: &mut sqlx::SqliteConnection,
    ) -> (sqlx::Transaction<'_, sqlx::Sqlite>, i64) {
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await.unwrap();
        let (start,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(seq), 0) FROM changes")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        (tx, start)
    }

    /// Stamps the write's log rows and commits, as every write ends.
    async fn finish(mut tx: sqlx::Transaction<'_, sqlx::Sqlite>, start: i64) {
        sqlx::query("UPDATE changes SET origin = '{}' WHERE seq > ?1 RETURNING seq")
            .bind(start)
            .fetch_all(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
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

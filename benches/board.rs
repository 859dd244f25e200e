//! DESIGN §10's board figures, measured in the page of the real app (release build) under Xvfb
//! through WebDriver: a project of 10,000 cards opening, a keyboard move, find, and scrolling a
//! long column. Each beside the same page drawing every card (`?windowed=off`).

use std::time::Duration;

use fantoccini::Client;
use serde_json::{json, Value};
use sqlx::Connection;

use super::common::Sandbox;
use super::desktop::Desktop;
use super::{ms, percentiles_row, Row};

/// The project: 10,000 cards, 300 of them in To do, the rest in Doing and Done.
const CARDS: usize = 10_000;
const IN_TODO: usize = 300;
const IN_DOING: usize = 4_850;
/// Keyboard moves measured, there and back.
const MOVES: usize = 30;
/// Finds measured.
const FINDS: usize = 10;

/// The figures of one way of drawing the board.
struct Figures {
    open: Duration,
    moves: Vec<Duration>,
    finds: Vec<Duration>,
    fps: f64,
    /// Frames a second of the idle page, on this display.
    idle: f64,
}

pub async fn rows() -> Vec<Row> {
    let sandbox = Sandbox::new();
    seed(&sandbox).await;
    let desktop = Desktop::start(&sandbox).await;
    let app = desktop.launch().await;
    let client = &app.client;
    let address = client.current_url().await.expect("the window's address");
    let windowed = measure(client, address.as_str()).await;
    let mut all = address.clone();
    all.set_query(Some("windowed=off"));
    let drawn_all = measure(client, all.as_str()).await;
    app.quit().await;

    let (mut moves, mut all_moves) = (windowed.moves, drawn_all.moves);
    let (mut finds, mut all_finds) = (windowed.finds, drawn_all.finds);
    let baseline = "every card drawn";
    vec![
        Row {
            what: "open a project of 10,000 cards (300 in one column), 3 people and 5 comments on each",
            target: "≤ 1 s",
            tandem: ms(windowed.open),
            baseline: format!("{} ({baseline})", ms(drawn_all.open)),
            ratio: format!(
                "{:.1}× faster",
                drawn_all.open.as_secs_f64() / windowed.open.as_secs_f64()
            ),
        },
        percentiles_row(
            "keyboard move → card shown in the next column, 10,000 cards, p50 / p99",
            "≤ 16 ms",
            &mut moves,
            &mut all_moves,
            baseline,
        ),
        percentiles_row(
            "find one card among 10,000, p50 / p99",
            "≤ 50 ms",
            &mut finds,
            &mut all_finds,
            baseline,
        ),
        Row {
            what: "scroll a column of 4,850 cards, frames a second",
            target: "60",
            tandem: format!("{:.0} (the idle page: {:.0})", windowed.fps, windowed.idle),
            baseline: format!("{:.0} ({baseline})", drawn_all.fps),
            ratio: format!("{:.1}×", windowed.fps / drawn_all.fps.max(0.1)),
        },
    ]
}

/// A bulk write by another program, shown in an open window: on a board of its own, in an app
/// of its own (`make bench` group `bulk`).
pub async fn bulk_rows() -> Vec<Row> {
    let (bulk, reopen) = bulk().await;
    vec![Row {
        what: "10,000 cards written by another program in one transaction, shown in an open window",
        target: "≤ 1 s",
        tandem: ms(bulk),
        baseline: format!(
            "{} (the window opened afresh on the board after)",
            ms(reopen)
        ),
        ratio: format!("{:.1}×", reopen.as_secs_f64() / bulk.as_secs_f64()),
    }]
}

/// Cards another program adds at once.
const BULK: usize = 10_000;

/// From the start of a transaction of [`BULK`] cards, written by another program into the
/// project an open window shows (one card on it), to the frame whose summary counts them; and
/// opening the window afresh on the board after, until the same.
async fn bulk() -> (Duration, Duration) {
    let sandbox = Sandbox::new();
    let store = sandbox.store().await;
    let inbox = store.first_project().await.expect("the Inbox").id;
    let origin = tandem::model::Origin::new("bench", tandem::model::Actor::Cli);
    let first = tandem::store::NewTask {
        project_id: inbox,
        column_id: None,
        title: "Before the bulk".into(),
    };
    let first = store.create_task(&origin, first).await.expect("a card");
    store.close().await;
    let desktop = Desktop::start(&sandbox).await;
    let app = desktop.launch().await;
    let client = &app.client;
    let address = client.current_url().await.expect("the window's address");
    script(client, SHOWS, json!(1)).await;
    client
        .execute("window.__bulkFrom = performance.now();", Vec::new())
        .await
        .expect("the page answers");
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite:{}", sandbox.db().display()))
        .await
        .expect("the database");
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
         INSERT INTO tasks (id, project_id, column_id, title, position, created_at, updated_at)
         SELECT printf('bulk-%05d', i), c.project_id, c.id, printf('Bulk card %05d', i),
                10000000 + i * 1024, 0, 0
         FROM n, (SELECT t.project_id, t.column_id AS id FROM tasks t WHERE t.id = ?2) AS c",
    )
    .bind(BULK as i64)
    .bind(&first.id.0)
    .execute(&mut conn)
    .await
    .expect("the bulk");
    conn.close().await.expect("the database closes");
    let shown = script(client, SHOWS, json!(1 + BULK)).await;
    let from = client
        .execute("return window.__bulkFrom;", Vec::new())
        .await
        .expect("the page answers")
        .as_f64()
        .expect("a number");
    let bulk = Duration::from_secs_f64((shown - from).max(0.0) / 1000.0);
    client
        .goto(address.as_str())
        .await
        .expect("the window loads");
    let reopen = script(client, SHOWS, json!(1 + BULK)).await;
    app.quit().await;
    (bulk, Duration::from_secs_f64(reopen / 1000.0))
}

/// `performance.now()` at the frame whose summary first counts `argument` cards.
const SHOWS: &str = r#"
  const shown = () =>
    document.querySelector('.summary')?.textContent?.trim() ===
      `${argument} ${argument === 1 ? "card" : "cards"}`;
  const look = () => (shown() ? done(performance.now()) : requestAnimationFrame(look));
  look();
"#;

/// A new database in `sandbox` holding the project, as another program would write it (the
/// log's triggers record every card).
async fn seed(sandbox: &Sandbox) {
    let store = sandbox.store().await;
    let inbox = store.first_project().await.expect("the Inbox").id;
    let board = store.board(&inbox).await.expect("its board");
    store.close().await;
    let column = |name: &str| {
        board
            .columns
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.id.0.clone())
            .expect("the default columns")
    };
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite:{}", sandbox.db().display()))
        .await
        .expect("the database");
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
         INSERT INTO tasks (id, project_id, column_id, title, description, position,
                            created_at, updated_at)
         SELECT printf('bench-%05d', i), ?2,
                CASE WHEN i <= ?3 THEN ?5 WHEN i <= ?3 + ?4 THEN ?6 ELSE ?7 END,
                printf('Card %05d: follow up on item %d', i, i),
                printf('Notes on card %d. %s', i, CASE WHEN i = 7777 THEN 'needle' ELSE
                  'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.' END),
                i * 1024, 0, 0
         FROM n",
    )
    .bind(CARDS as i64)
    .bind(&inbox.0)
    .bind(IN_TODO as i64)
    .bind(IN_DOING as i64)
    .bind(column("To do"))
    .bind(column("Doing"))
    .bind(column("Done"))
    .execute(&mut conn)
    .await
    .expect("the cards");
    // Each card with three people on it and a conversation of five comments, as a team's
    // board has.
    sqlx::raw_sql(
        "INSERT OR IGNORE INTO people (login, name, color, created_at, updated_at)
         SELECT 'person' || n, 'Person ' || n, '#1d4ed8', 0, 0
         FROM (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
               UNION ALL SELECT 5 UNION ALL SELECT 6);
         INSERT INTO task_assignees (task_id, login)
         SELECT t.id, 'person' || ((CAST(substr(t.id, 7) AS INTEGER) + k) % 6 + 1)
         FROM tasks t, (SELECT 0 AS k UNION ALL SELECT 1 UNION ALL SELECT 2)
         WHERE t.id LIKE 'bench-%';
         INSERT INTO comments (id, task_id, author, body, created_at, updated_at)
         SELECT t.id || '-c' || k, t.id, 'person' || (k + 1),
                'Comment ' || k || ' on ' || t.title, k, k
         FROM tasks t, (SELECT 1 AS k UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
                        UNION ALL SELECT 5)
         WHERE t.id LIKE 'bench-%';",
    )
    .execute(&mut conn)
    .await
    .expect("the people and the conversations");
    conn.close().await.expect("the database closes");
}

/// Loads the window at `address` and measures it.
async fn measure(client: &Client, address: &str) -> Figures {
    client.goto(address).await.expect("the window loads");
    let open = Duration::from_secs_f64(
        script(client, OPENED, json!(CARDS - IN_TODO - IN_DOING)).await / 1000.0,
    );
    let mut moves = Vec::with_capacity(MOVES);
    for i in 0..MOVES {
        let (from, to, key) = if i % 2 == 0 {
            ("To do", "Doing", "ArrowRight")
        } else {
            ("Doing", "To do", "ArrowLeft")
        };
        let took = script(client, MOVED, json!([from, to, key])).await;
        moves.push(Duration::from_secs_f64(took / 1000.0));
        // The backend's answer comes and settles before the next move.
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let mut finds = Vec::with_capacity(FINDS);
    for _ in 0..FINDS {
        let took = script(client, FOUND, json!("needle")).await;
        finds.push(Duration::from_secs_f64(took / 1000.0));
    }
    let idle = script(client, IDLE, json!(null)).await;
    let fps = script(client, SCROLLED, json!("Doing")).await;
    Figures {
        open,
        moves,
        finds,
        fps,
        idle,
    }
}

/// Runs `body` in the page with `argument`; it calls `done` with a number.
async fn script(client: &Client, body: &str, argument: Value) -> f64 {
    let wrapped = format!(
        "const done = arguments[arguments.length - 1]; const argument = arguments[0]; {body}"
    );
    let value = client
        .execute_async(&wrapped, vec![argument])
        .await
        .expect("the page answers");
    value.as_f64().expect("a number")
}

/// Milliseconds from the page's start until the Done column shows its count, at the frame
/// that draws it.
const OPENED: &str = r#"
  const shown = () =>
    document.querySelector('section[aria-label="Done"] .count')?.textContent?.trim() === String(argument);
  const look = () => (shown() ? done(performance.now()) : requestAnimationFrame(look));
  look();
"#;

/// Milliseconds from Alt+arrow on the top card of one column until the frame that shows it in
/// the other.
const MOVED: &str = r#"
  const [from, to, key] = argument;
  const card = document.querySelector(`section[aria-label="${from}"] [data-task-id]`);
  const id = card.dataset.taskId;
  const target = document.querySelector(`section[aria-label="${to}"]`);
  card.focus();
  const started = performance.now();
  const observer = new MutationObserver(() => {
    if (!target.querySelector(`[data-task-id="${id}"]`)) return;
    observer.disconnect();
    requestAnimationFrame(() => done(performance.now() - started));
  });
  observer.observe(target, { childList: true, subtree: true });
  card.dispatchEvent(new KeyboardEvent("keydown", { key, altKey: true, bubbles: true }));
"#;

/// Milliseconds from typing `argument` into find until the frame that shows only the one card
/// holding it; then clears find and waits for every card to be back.
const FOUND: &str = r#"
  const words = document.querySelector('input[aria-label="Filter cards by words"]');
  const type = (text) => {
    words.value = text;
    words.dispatchEvent(new Event("input", { bubbles: true }));
  };
  const cards = () => document.querySelectorAll("[data-task-id]").length;
  const started = performance.now();
  type(argument);
  const look = () => {
    if (cards() !== 1) return requestAnimationFrame(look);
    const took = performance.now() - started;
    type("");
    const back = () => (cards() > 1 ? done(took) : requestAnimationFrame(back));
    requestAnimationFrame(back);
  };
  look();
"#;

/// Frames a second while the column `argument` scrolls down by 40 px a frame for two seconds.
const SCROLLED: &str = r#"
  const list = document.querySelector(`section[aria-label="${argument}"] .cards`);
  list.scrollTop = 0;
  let frames = 0;
  const started = performance.now();
  const step = () => {
    frames += 1;
    list.scrollTop += 40;
    const elapsed = performance.now() - started;
    if (elapsed < 2000) requestAnimationFrame(step);
    else done((frames * 1000) / elapsed);
  };
  requestAnimationFrame(step);
"#;

/// Frames a second the page gets doing nothing for a second: what this display allows.
const IDLE: &str = r#"
  let frames = 0;
  const started = performance.now();
  const step = () => {
    frames += 1;
    const elapsed = performance.now() - started;
    if (elapsed < 1000) requestAnimationFrame(step);
    else done((frames * 1000) / elapsed);
  };
  requestAnimationFrame(step);
"#;

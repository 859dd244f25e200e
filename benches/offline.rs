//! DESIGN §10's figures for working offline (§18), on a private PostgreSQL server: a board of
//! 10,000 cards opened from this machine's copy while the server is away; 1,000 changes made
//! offline sent when it is back, and the copy's keyboard moves meanwhile.

use std::time::{Duration, Instant};

use std::sync::Arc;
use tandem::config::Location;

use tandem::model::{Actor, Mutation, Origin, Step, TaskId};
use tandem::store::{NewTask, Store};
use tandem::testing::TestServer;

use super::{ms, percentile, percentiles_row, Row};

const CARDS: usize = 10_000;
const OPENS: usize = 10;

pub async fn rows(server: &TestServer) -> Vec<Row> {
    let mut rows = vec![open_from_copy(server).await];
    rows.extend(replay(server).await);
    rows
}

/// Changes sent when the server is back.
const QUEUED: usize = 1_000;

/// Sending 1,000 changes made offline, against making them on the server as they come; and
/// keyboard moves on the copy (what the windows show meanwhile) while they are sent, against
/// the same moves with nothing being sent.
async fn replay(server: &TestServer) -> Vec<Row> {
    let database = server.database();
    let location = Location::parse(&database.url).unwrap();
    let Location::Server(url) = &location else {
        unreachable!("a server's URL")
    };
    let origin = Origin::new("bench", Actor::Gui);
    let online = Arc::new(Store::open(&location, &origin).await.unwrap());
    let inbox = online.first_project().await.unwrap().id;
    let mut cards = Vec::new();
    for i in 0..20 {
        let new = NewTask {
            project_id: inbox.clone(),
            column_id: None,
            title: format!("Card {i}"),
        };
        cards.push(online.create_task(&origin, new).await.unwrap().id);
    }
    let comment = |i: usize| Mutation::CommentAdd {
        task_id: cards[i % cards.len()].clone(),
        body: format!("Written on the train, {i}"),
        id: None,
    };
    // The baseline: the same changes made on the server one by one, as an online window does.
    let t = Instant::now();
    for i in 0..QUEUED {
        online.change(&origin, comment(i)).await.unwrap();
    }
    let direct = t.elapsed();

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("copy.db");
    online.mirror_to(&file).await.unwrap();
    let copy = Arc::new(Store::open_copy(url, &file, &origin).await.unwrap());
    for i in 0..QUEUED {
        copy.queue(&origin, comment(i)).await.unwrap();
    }
    // Keyboard moves on the copy with nothing being sent.
    let calm = moves(&copy, &origin, &cards[0], None).await;
    // Sent while the copy takes moves: the sender works on a thread of its own, as the app's.
    let sender = {
        let (online, file, origin) = (online.clone(), file.clone(), origin.clone());
        let runtime = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            let t = Instant::now();
            let sent = runtime
                .block_on(online.send_outbox(&file, &origin))
                .unwrap();
            (t.elapsed(), sent)
        })
    };
    let busy = moves(&copy, &origin, &cards[1], Some(&sender)).await;
    let (sending, sent) = sender.await.unwrap();
    // The moves made before it began were queued too, and are sent with the rest.
    assert!(sent.applied >= QUEUED && sent.refused == 0, "{sent:?}");
    let rate = sent.applied as f64 / sending.as_secs_f64();
    let online_rate = QUEUED as f64 / direct.as_secs_f64();
    let (mut busy, mut calm) = (busy, calm);
    vec![
        Row {
            what: "send 1,000+ changes made offline once the server is back",
            target: "≥ 500 changes/s",
            tandem: format!("{rate:.0} changes/s"),
            baseline: format!("{online_rate:.0} changes/s (the same made online, one by one)"),
            ratio: format!("{:.2}×", rate / online_rate),
        },
        percentiles_row(
            "keyboard move on the copy while they are sent (p50 / p99)",
            "p99 ≤ 16 ms",
            &mut busy,
            &mut calm,
            "the same moves, nothing being sent",
        ),
    ]
}

/// Moves `card` down and up on the copy, a keystroke every few milliseconds: while `sender`
/// runs (until it is done), or 200 times.
async fn moves(
    copy: &Store,
    origin: &Origin,
    card: &TaskId,
    sender: Option<&tokio::task::JoinHandle<(Duration, tandem::store::Replayed)>>,
) -> Vec<Duration> {
    let mut took = Vec::new();
    let mut down = true;
    while took.len() < 20 || sender.map_or(took.len() < 200, |s| !s.is_finished()) {
        let seen = copy.task(card).await.unwrap();
        let step = Mutation::TaskStep {
            id: card.clone(),
            expected_version: seen.version,
            step: if down { Step::Down } else { Step::Up },
        };
        down = !down;
        let t = Instant::now();
        copy.queue(origin, step).await.unwrap();
        took.push(t.elapsed());
        tokio::time::sleep(Duration::from_millis(4)).await;
    }
    took
}

/// Opening the board (the store, then the project's board) from the copy, against opening it
/// from the server while it is up.
async fn open_from_copy(server: &TestServer) -> Row {
    let database = server.database();
    let location = Location::parse(&database.url).unwrap();
    let Location::Server(url) = &location else {
        unreachable!("a server's URL")
    };
    let origin = Origin::new("bench", Actor::Gui);
    let store = Store::open(&location, &origin).await.unwrap();
    let inbox = store.first_project().await.unwrap().id;
    server
        .psql(
            &database.name,
            &format!(
                "INSERT INTO tasks (id, project_id, column_id, title, description, position,
                    created_at, updated_at)
                 SELECT 'bench-' || i, '{inbox}', (SELECT id FROM columns WHERE project_id = '{inbox}'
                    ORDER BY position LIMIT 1), 'Card ' || i, 'Notes on card ' || i, i * 1024, 0, 0
                 FROM generate_series(1, {CARDS}) AS i"
            ),
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("copy.db");
    store.mirror_to(&file).await.unwrap();
    store.close().await;

    let mut from_copy = Vec::new();
    let mut from_server = Vec::new();
    for _ in 0..OPENS {
        let t = Instant::now();
        let copy = Store::open_copy(url, &file, &origin).await.unwrap();
        let board = copy.board(&inbox).await.unwrap();
        from_copy.push(t.elapsed());
        assert_eq!(board.tasks.len(), CARDS);
        copy.close().await;

        let t = Instant::now();
        let online = Store::open(&location, &origin).await.unwrap();
        let board = online.board(&inbox).await.unwrap();
        from_server.push(t.elapsed());
        assert_eq!(board.tasks.len(), CARDS);
        online.close().await;
    }
    let copy = percentile(&mut from_copy, 0.5);
    let online = percentile(&mut from_server, 0.5);
    Row {
        what: "open a 10,000-card server board from this machine's copy, server away (store + board), p50",
        target: "≤ 1 s",
        tandem: ms(copy),
        baseline: format!("{} (from the server, up)", ms(online)),
        ratio: format!(
            "{:.1}×",
            online.as_secs_f64() / copy.as_secs_f64().max(Duration::from_micros(1).as_secs_f64())
        ),
    }
}

//! DESIGN §10's figures for working offline (§18), on a private PostgreSQL server: a board of
//! 10,000 cards opened from this machine's copy while the server is away.

use std::time::{Duration, Instant};

use tandem::config::Location;
use tandem::model::{Actor, Origin};
use tandem::store::Store;
use tandem::testing::TestServer;

use super::{ms, percentile, Row};

const CARDS: usize = 10_000;
const OPENS: usize = 10;

pub async fn rows(server: &TestServer) -> Vec<Row> {
    vec![open_from_copy(server).await]
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

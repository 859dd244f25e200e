//! The store on a real PostgreSQL server ([`crate::testing::TestServer`]), beside a file: the
//! same rules and the same log contract on both, and what only a server has (a refused foreign
//! database, `psql` writers, concurrent machines).

use std::sync::Arc;
use std::time::Duration;

use crate::config::Location;
use crate::error::Error;
use crate::model::{Actor, Change, DatabaseStatus, Entity, EntityKind, Origin, Priority, Task};
use crate::store::{NewTask, Store, TaskEdit};
use crate::testing::TestServer;

/// A new database on the shared test server, and its name.
fn server_database() -> (Location, String) {
    let database = TestServer::shared().database();
    let location = Location::parse(&database.url).expect("a server URL");
    (location, database.name)
}

async fn open(location: &Location, instance: &str) -> Store {
    Store::open(location, &Origin::new(instance, Actor::Gui))
        .await
        .expect("the store opens")
}

/// Why opening `location` is refused.
async fn refusal(location: &Location) -> Error {
    Store::open(location, &Origin::new("x", Actor::Cli))
        .await
        .err()
        .expect("refused")
}

async fn log(store: &Store) -> Vec<Change> {
    store
        .changes_since(0, None)
        .await
        .expect("the log reads")
        .changes
}

/// Fails unless the log's seqs are exactly 1, 2, 3, ...
fn assert_gap_free(log: &[Change]) {
    let seqs: Vec<i64> = log.iter().map(|c| c.seq).collect();
    let expected: Vec<i64> = (1..=seqs.len() as i64).collect();
    assert_eq!(seqs, expected, "the log's seqs are gap-free and in order");
}

/// `store` watching the server as a hub does (reading the log every 30 s besides), until the
/// sender is dropped; the task ends with the watch's result.
fn watching(
    store: &Arc<Store>,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<crate::error::Result<()>>,
) {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let store = store.clone();
    let watcher = tokio::spawn(async move {
        store
            .watch_other_writers(Duration::from_secs(30), async {
                let _ = stopped.await;
            })
            .await
    });
    (stop, watcher)
}

/// Every kind of write, each checked as it goes; run on a file and on a server.
async fn every_kind_of_write(store: &Store) {
    let me = Origin::new("me", Actor::Gui);
    let inbox = store
        .find_project("INBOX")
        .await
        .expect("found ignoring case");
    let board = store.board(&inbox.id).await.unwrap();
    let names: Vec<&str> = board.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["To do", "Doing", "Done"]);
    let add = |title: &str| NewTask {
        project_id: inbox.id.clone(),
        column_id: None,
        title: title.into(),
    };
    let first = store.create_task(&me, add("First")).await.unwrap();
    let second = store.create_task(&me, add("Second")).await.unwrap();

    let edit = TaskEdit {
        description: Some("Line one\nLine two".into()),
        priority: Some(Priority::High),
        due_date: Some(Some("2027-02-28".into())),
        ..TaskEdit::default()
    };
    let edited = store.edit_task(&me, &first.id, 1, edit).await.unwrap();
    assert_eq!(
        (edited.priority, edited.due_date.as_deref(), edited.version),
        (Priority::High, Some("2027-02-28"), 2)
    );
    let last = log(store).await.pop().unwrap();
    let previous: serde_json::Value = serde_json::from_str(last.previous.unwrap().get()).unwrap();
    assert_eq!(
        previous["priority"], "none",
        "the log holds the fields it changed"
    );
    assert!(previous.get("title").is_none(), "and only those");
    assert_eq!(last.origin.as_ref(), Some(&me));

    let moved = store
        .move_task(&me, &second.id, 1, &board.columns[2].id, 0)
        .await
        .unwrap();
    assert_eq!(moved.column_id, board.columns[2].id);
    let stepped = store
        .step_task(
            &me,
            &moved.id,
            moved.version,
            crate::store::Step::PreviousColumn,
        )
        .await
        .unwrap();
    assert_eq!(stepped.column_id, board.columns[1].id);

    let before = log(store).await.len();
    let stale = store.rename_task(&me, &first.id, 1, "Stale").await;
    assert!(matches!(stale, Err(Error::Conflict { .. })), "{stale:?}");
    let empty = store.rename_task(&me, &first.id, 2, "   ").await;
    assert!(matches!(empty, Err(Error::Invalid { .. })), "{empty:?}");
    assert_eq!(log(store).await.len(), before, "refused writes log nothing");

    let label = store
        .create_label(&me, &inbox.id, "Bug", "#d73a4a")
        .await
        .unwrap();
    store
        .add_task_label(&me, &first.id, &label.id)
        .await
        .unwrap();
    let item = store.add_subtask(&me, &first.id, "Check").await.unwrap();
    let checked = store.check_subtask(&me, &item.id, 1, true).await.unwrap();
    assert!(checked.done);
    let subtask_log = log(store).await.pop().unwrap();
    let data: serde_json::Value = serde_json::from_str(subtask_log.data.unwrap().get()).unwrap();
    assert_eq!(
        data["done"], true,
        "a checklist item's state is logged as a boolean"
    );

    store.delete_task(&me, &first.id, 2).await.unwrap();
    let back = store.restore_task(&me, &first.id).await.unwrap();
    assert_eq!((back.title.as_str(), back.version), ("First", 3));
    assert_eq!(store.subtasks(&first.id).await.unwrap().len(), 1);
    assert_eq!(store.task_labels(&first.id).await.unwrap(), vec![label]);
    let history = store.task_history(&first.id).await.unwrap();
    assert!(
        history.iter().any(|c| c.entity == EntityKind::Subtask)
            && history.iter().any(|c| c.entity == EntityKind::TaskLabel),
        "a task's history holds its checklist and labels"
    );

    let other = store.create_project(&me, "Other").await.unwrap();
    let taken = store.create_project(&me, "other").await;
    assert!(matches!(taken, Err(Error::Invalid { field: "name", .. })));
    store.delete_project(&me, &other.id, 1).await.unwrap();
    let restored = store
        .restore(&me, EntityKind::Project, &other.id.0)
        .await
        .unwrap();
    assert!(matches!(restored, Entity::Project(p) if p.name == "Other"));
    assert_eq!(store.board(&other.id).await.unwrap().columns.len(), 3);

    assert_gap_free(&log(store).await);
}

#[tokio::test]
async fn every_kind_of_write_works_on_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&Location::File(dir.path().join("tandem.db")), "file").await;
    every_kind_of_write(&store).await;
}

#[tokio::test]
async fn every_kind_of_write_works_on_a_server() {
    let (location, _) = server_database();
    let store = open(&location, "server").await;
    assert_eq!(store.dialect(), crate::store::Dialect::Postgres);
    every_kind_of_write(&store).await;
}

#[tokio::test]
async fn a_second_machine_opening_the_database_finds_it_seeded_once() {
    let (location, _) = server_database();
    let (a, b) = tokio::join!(open(&location, "a"), open(&location, "b"));
    assert_eq!(a.projects().await.unwrap().len(), 1);
    assert_eq!(b.projects().await.unwrap(), a.projects().await.unwrap());
}

#[tokio::test]
async fn writers_on_many_machines_get_gap_free_seqs_in_commit_order() {
    let (location, _) = server_database();
    let mut machines = Vec::new();
    for n in 0..4 {
        machines.push(Arc::new(open(&location, &format!("m{n}")).await));
    }
    let project = machines[0].first_project().await.unwrap().id;
    let writers = machines.iter().enumerate().map(|(n, store)| {
        let store = store.clone();
        let project = project.clone();
        tokio::spawn(async move {
            let origin = Origin::new(&format!("m{n}"), Actor::Cli);
            let mut committed = Vec::new();
            for i in 0..25 {
                let new = NewTask {
                    project_id: project.clone(),
                    column_id: None,
                    title: format!("m{n} #{i}"),
                };
                let task: Task = store.create_task(&origin, new).await.unwrap();
                // A refused write in between: it must leave no gap.
                let refused = store.rename_task(&origin, &task.id, 99, "x").await;
                assert!(refused.is_err());
                committed.push(task.id);
            }
            committed
        })
    });
    for writer in writers {
        writer.await.unwrap();
    }
    let log = log(&machines[0]).await;
    assert_gap_free(&log);
    let creates = log.iter().filter(|c| c.entity == EntityKind::Task).count();
    assert_eq!(creates, 100);
    // Each machine saw its own commits in seq order on its bus: nothing out of order anywhere.
    for store in &machines {
        store.catch_up().await.unwrap();
    }
}

#[tokio::test]
async fn a_psql_update_is_logged_without_an_origin_and_reaches_another_machine() {
    let (location, name) = server_database();
    let store = Arc::new(open(&location, "watcher").await);
    let project = store.first_project().await.unwrap().id;
    let task = store
        .create_task(
            &Origin::new("watcher", Actor::Gui),
            NewTask {
                project_id: project,
                column_id: None,
                title: "Typed in Tandem".into(),
            },
        )
        .await
        .unwrap();
    let mut bus = store.bus().subscribe();
    let (stop, watcher) = watching(&store);
    // The watcher may publish nothing until it listens; psql's commit comes after that or is
    // read by its first catch-up: either way it arrives once.
    TestServer::shared()
        .psql(
            &name,
            &format!(
                "UPDATE tasks SET title = 'Typed in psql' WHERE id = '{}'",
                task.id
            ),
        )
        .expect("psql updates");
    let change = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let committed = bus.recv().await.expect("the bus");
            if let Some(change) = committed.iter().find(|c| c.entity_id == task.id.0) {
                return change.clone();
            }
        }
    })
    .await
    .expect("the psql update is published within the deadline");
    assert_eq!(
        change.origin, None,
        "another program's change has no origin"
    );
    let data: serde_json::Value = serde_json::from_str(change.data.unwrap().get()).unwrap();
    assert_eq!(data["title"], "Typed in psql");
    drop(stop);
    watcher.await.unwrap().unwrap();
}

/// How many of Tandem's connections to database `name` have `application_name` `app`.
fn connections(name: &str, app: &str) -> usize {
    TestServer::shared()
        .psql(
            name,
            &format!(
                "SELECT count(*) FROM pg_stat_activity \
                 WHERE datname = '{name}' AND application_name = '{app}'"
            ),
        )
        .expect("psql counts connections")
        .trim()
        .parse()
        .expect("a count")
}

/// Waits until `check` holds, failing with `what` after ten seconds.
async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    tokio::time::timeout(Duration::from_secs(10), async {
        while !check() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("timed out waiting for {what}"));
}

#[tokio::test]
async fn a_watching_machine_writes_reads_and_hears_others_through_its_one_connection() {
    let (location, name) = server_database();
    let store = Arc::new(open(&location, "hub").await);
    let project = store.first_project().await.unwrap().id;
    let (stop, watcher) = watching(&store);
    eventually("the writer's connection to become the listener", || {
        connections(&name, super::super::sql::postgres::LISTENER) == 1
            && connections(&name, "tandem") == 0
    })
    .await;

    let mut bus = store.bus().subscribe();
    let origin = Origin::new("hub", Actor::Gui);
    let mut tasks = Vec::new();
    for n in 0..20 {
        let new = NewTask {
            project_id: project.clone(),
            column_id: None,
            title: format!("Written between notifications {n}"),
        };
        tasks.push(store.create_task(&origin, new).await.unwrap());
    }
    TestServer::shared()
        .psql(
            &name,
            &format!(
                "UPDATE tasks SET title = 'From psql' WHERE id = '{}'",
                tasks[7].id
            ),
        )
        .expect("psql updates");
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let committed = bus.recv().await.expect("the bus");
            if committed
                .iter()
                .any(|c| c.entity_id == tasks[7].id.0 && c.origin.is_none())
            {
                return;
            }
        }
    })
    .await
    .expect("another program's commit is heard while the connection also writes");
    // A window's reads, one after another, borrow the same connection.
    store.board(&project).await.unwrap();
    store.changes_since(0, None).await.unwrap();
    store.seq().await.unwrap();
    assert_eq!(
        (
            connections(&name, super::super::sql::postgres::LISTENER),
            connections(&name, "tandem"),
            connections(&name, super::super::sql::postgres::READER),
        ),
        (1, 0, 0),
        "twenty writes, a notification and reads later, one connection"
    );
    drop(stop);
    watcher.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_write_that_finds_its_connection_cut_while_idle_connects_again_and_goes_through() {
    let (location, name) = server_database();
    let store = open(&location, "cut").await;
    let project = store.first_project().await.unwrap().id;
    let origin = Origin::new("cut", Actor::Gui);
    let add = |title: &str| NewTask {
        project_id: project.clone(),
        column_id: None,
        title: title.to_owned(),
    };
    store.create_task(&origin, add("Before")).await.unwrap();
    let ended = TestServer::shared()
        .psql(
            &name,
            &format!(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
                 WHERE datname = '{name}' AND application_name = 'tandem'"
            ),
        )
        .expect("psql ends the writer's connection");
    assert_eq!(ended.trim(), "1");
    let after = store.create_task(&origin, add("After")).await.unwrap();
    let titles: Vec<String> = store
        .tasks(&project)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.title)
        .collect();
    assert!(titles.contains(&after.title) && titles.contains(&"Before".to_owned()));
}

#[tokio::test]
async fn a_database_holding_other_tables_is_refused_and_left_untouched() {
    let (location, name) = server_database();
    let server = TestServer::shared();
    server
        .psql(&name, "CREATE TABLE invoices (id int PRIMARY KEY)")
        .unwrap();
    let err = refusal(&location).await;
    assert!(matches!(err, Error::Config { .. }), "{err}");
    assert!(err.to_string().contains("invoices"), "{err}");
    let checked = crate::store::check(&location).await.unwrap_err();
    assert!(
        matches!(
            checked,
            Error::Invalid {
                field: "database",
                ..
            }
        ),
        "{checked}"
    );
    assert!(checked.to_string().contains("invoices"), "{checked}");
    let tables = server
        .psql(
            &name,
            "SELECT string_agg(table_name, ',') FROM information_schema.tables
             WHERE table_schema = 'public'",
        )
        .unwrap();
    assert_eq!(
        tables.trim(),
        "invoices",
        "no table of Tandem's was created"
    );
}

#[tokio::test]
async fn a_database_that_does_not_exist_is_named_and_a_dead_server_is_offline() {
    let url = TestServer::shared().url("no_such_board");
    let err = refusal(&Location::parse(&url).unwrap()).await;
    assert!(matches!(err, Error::Config { .. }), "{err}");
    assert!(err.to_string().contains("no_such_board"), "{err}");
    let checked = crate::store::check(&Location::parse(&url).unwrap())
        .await
        .unwrap_err();
    assert_eq!(
        checked.to_string(),
        err.to_string(),
        "the settings' test says the same"
    );

    let nowhere = std::env::temp_dir().join(format!("tandem-no-server-{}", std::process::id()));
    let url = format!(
        "postgres://tandem:s3cret@localhost/boards?host={}",
        nowhere.display()
    );
    let err = refusal(&Location::parse(&url).unwrap()).await;
    assert!(matches!(err, Error::Offline { .. }), "{err}");
    assert!(!err.to_string().contains("s3cret"), "{err}");
    let checked = crate::store::check(&Location::parse(&url).unwrap())
        .await
        .unwrap_err();
    assert!(matches!(checked, Error::Offline { .. }), "{checked}");
}

#[tokio::test]
async fn a_new_server_database_checks_as_empty_and_stays_so_until_tandem_opens_it() {
    let (location, name) = server_database();
    assert_eq!(
        crate::store::check(&location).await.unwrap(),
        crate::store::Found::Empty
    );
    let tables = TestServer::shared()
        .psql(
            &name,
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
        )
        .unwrap();
    assert_eq!(tables.trim(), "0", "the check created nothing");
    let store = open(&location, "a").await;
    drop(store);
    assert_eq!(
        crate::store::check(&location).await.unwrap(),
        crate::store::Found::Board {
            projects: 1,
            tasks: 0
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_crash_mid_burst_loses_no_committed_change_and_every_machine_catches_up() {
    let server = Arc::new(TestServer::start().expect("a server of its own"));
    let location = Location::parse(&server.database().url).unwrap();
    let writer = Arc::new(open(&location, "writer").await);
    let watcher = Arc::new(open(&location, "watcher").await);
    let mut bus = watcher.bus().subscribe();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let watching = tokio::spawn({
        let watcher = watcher.clone();
        async move {
            watcher
                .watch_other_writers(Duration::from_millis(200), async {
                    let _ = stopped.await;
                })
                .await
        }
    });
    let project = writer.first_project().await.unwrap().id;
    let origin = Origin::new("writer", Actor::Cli);
    let add = |i: usize| NewTask {
        project_id: project.clone(),
        column_id: None,
        title: format!("#{i}"),
    };

    // A burst, with the server killed in its middle and started again.
    let mut acknowledged = Vec::new();
    let mut offline = 0;
    for i in 0..400 {
        if i == 100 {
            let server = server.clone();
            tokio::task::spawn_blocking(move || server.crash())
                .await
                .unwrap()
                .expect("the server stops");
            assert_eq!(
                watcher.ping().await,
                DatabaseStatus::Offline {
                    host: "localhost".into(),
                    waiting: 0,
                    copy: false,
                    sending: false,
                }
            );
        }
        if i == 200 {
            let server = server.clone();
            tokio::task::spawn_blocking(move || server.start_again())
                .await
                .unwrap()
                .expect("the server starts again");
            assert_eq!(watcher.ping().await, DatabaseStatus::Online);
        }
        match writer.create_task(&origin, add(i)).await {
            Ok(task) => acknowledged.push(task.id.0),
            Err(Error::Offline { host }) => {
                assert_eq!(host, "localhost");
                offline += 1;
            }
            Err(other) => panic!("write {i}: {other}"),
        }
    }
    assert!(
        offline >= 1,
        "writes while the server was down are refused as offline"
    );
    assert!(
        acknowledged.len() >= 300,
        "the writer connected again after the restart: {} acknowledged, {offline} offline",
        acknowledged.len()
    );

    let log = log(&writer).await;
    assert_gap_free(&log);
    let inserted: Vec<&str> = log
        .iter()
        .filter(|c| c.entity == EntityKind::Task)
        .map(|c| c.entity_id.as_str())
        .collect();
    for id in &acknowledged {
        let times = inserted.iter().filter(|logged| *logged == id).count();
        assert_eq!(times, 1, "an acknowledged write is in the log exactly once");
    }

    // The other machine's watcher came back by itself and published everything once, in order.
    let last = log.last().unwrap().seq;
    let mut seen: Vec<i64> = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), async {
        while seen.last() != Some(&last) {
            let committed = bus.recv().await.expect("the bus");
            seen.extend(committed.iter().map(|c| c.seq));
        }
    })
    .await
    .unwrap_or_else(|_| {
        panic!(
            "the watcher caught up to {last}; it saw up to {:?}",
            seen.last()
        )
    });
    let expected: Vec<i64> = (seen[0]..=last).collect();
    assert_eq!(seen, expected, "each change once, in seq order");
    drop(stop);
    watching.await.unwrap().unwrap();
}

#[tokio::test]
async fn queued_writes_share_a_commit_on_a_server() {
    crate::store::write::tests::queued_writes_share_a_commit(
        crate::store::testing::server_store().await,
    )
    .await;
}

/// An origin travels to the server inside the statement that opens the write: whatever it
/// holds (quotes, backslashes, the quote's own tag) reaches the log as it was.
#[tokio::test]
async fn an_origin_holding_quotes_reaches_the_log_as_it_was() {
    let (location, _) = server_database();
    let store = open(&location, "quotes").await;
    let project = store.first_project().await.unwrap().id;
    for instance in ["it's \\ \"odd\"", "$origin$'); DROP TABLE tasks; --"] {
        let origin = Origin::new(instance, Actor::Cli);
        let new = NewTask {
            project_id: project.clone(),
            column_id: None,
            title: "Quoted".into(),
        };
        store.create_task(&origin, new).await.unwrap();
        let last = log(&store).await.pop().expect("the write was logged");
        assert_eq!(last.origin, Some(origin), "{instance}");
    }
    assert_eq!(store.tasks(&project).await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_write_abandoned_halfway_leaves_nothing_on_a_server() {
    crate::store::write::tests::a_write_abandoned_halfway_leaves_nothing(
        crate::store::testing::server_store().await,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_and_reads_at_once_never_wait_for_the_listeners_next_safety_read() {
    let (location, _) = server_database();
    let store = Arc::new(open(&location, "busy").await);
    let project = store.first_project().await.unwrap().id;
    // The watcher reads the log only every 30 s besides its notifications: a write or read
    // that had to wait for that would miss the deadline.
    let (stop, watcher) = watching(&store);
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (store, project) = (store.clone(), project.clone());
            tokio::spawn(async move {
                let origin = Origin::new(&format!("writer {w}"), Actor::Gui);
                for n in 0..50 {
                    let new = NewTask {
                        project_id: project.clone(),
                        column_id: None,
                        title: format!("Writer {w}: {n}"),
                    };
                    store.create_task(&origin, new).await.unwrap();
                    if n % 10 == 0 {
                        store.board(&project).await.unwrap();
                    }
                }
            })
        })
        .collect();
    tokio::time::timeout(Duration::from_secs(10), async {
        for writer in writers {
            writer.await.unwrap();
        }
    })
    .await
    .expect("200 writes and 20 reads on one connection within the deadline");
    assert_eq!(store.tasks(&project).await.unwrap().len(), 200);
    drop(stop);
    watcher.await.unwrap().unwrap();
}

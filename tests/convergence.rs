//! Convergence: whatever several windows do, in whatever order, once writes stop every window's
//! model equals a fresh read of the database (I2), and every window applied each change once,
//! in seq order (I3). On a file the windows share one instance; on a server they are spread
//! over two machines, each hearing the other's writes only through the server.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use proptest::prelude::*;
use tandem::config::Location;
use tandem::error::Error;
use tandem::model::{Actor, Batch, Board, BoardTask, Op, Origin, Task};
use tandem::store::{NewTask, Store};
use tandem::subscription::{self, Subscription};
use tandem::testing::TestServer;

use crate::common::eventually;

/// What a simulated window holds: its tasks, and what it checked of its stream.
#[derive(Default)]
struct Window {
    tasks: BTreeMap<String, BoardTask>,
    /// The last seq applied; `None` until the snapshot is in.
    seq: Option<i64>,
    /// Batches that arrived before the snapshot, applied right after it, as the UI does.
    early: Vec<Batch>,
    /// Every change applied, by seq, to prove none came twice or out of order.
    applied: Vec<i64>,
    /// Breaches of I3, kept rather than panicking inside the stream.
    violations: Vec<String>,
}

impl Window {
    fn start(&mut self, board: Board) {
        self.seq = Some(board.seq);
        self.tasks = board
            .tasks
            .into_iter()
            .map(|t| (t.id.0.clone(), t))
            .collect();
        for batch in std::mem::take(&mut self.early) {
            self.receive(batch);
        }
    }

    fn receive(&mut self, batch: Batch) {
        let Some(seq) = self.seq else {
            self.early.push(batch);
            return;
        };
        if batch.from_seq != seq + 1 {
            self.violations
                .push(format!("batch from {} after {seq}", batch.from_seq));
        }
        for change in batch.changes {
            if self.applied.last().is_some_and(|last| change.seq <= *last) || change.seq <= seq {
                self.violations
                    .push(format!("change {} twice or late", change.seq));
            }
            self.applied.push(change.seq);
            if change.entity != tandem::model::EntityKind::Task {
                continue;
            }
            match (change.op, change.data) {
                (Op::Delete, _) => {
                    self.tasks.remove(&change.entity_id);
                }
                (_, Some(data)) => {
                    // A change carries the whole row; a window keeps what its card shows.
                    let task: Task = serde_json::from_str(data.get()).unwrap();
                    self.tasks.insert(task.id.0.clone(), BoardTask::from(task));
                }
                (_, None) => self
                    .violations
                    .push(format!("change {} has no data", change.seq)),
            }
        }
        self.seq = Some(batch.to_seq);
    }
}

#[derive(Debug, Clone)]
enum Command {
    Add {
        column: usize,
    },
    Rename {
        task: usize,
    },
    Move {
        task: usize,
        column: usize,
        index: i64,
    },
    Delete {
        task: usize,
    },
}

fn command() -> impl Strategy<Value = (usize, Command)> {
    let command = prop_oneof![
        (0usize..3).prop_map(|column| Command::Add { column }),
        (0usize..8).prop_map(|task| Command::Rename { task }),
        (0usize..8, 0usize..3, 0i64..6).prop_map(|(task, column, index)| Command::Move {
            task,
            column,
            index
        }),
        (0usize..8).prop_map(|task| Command::Delete { task }),
    ];
    (0usize..3, command)
}

/// Machines on `location`, each watching for the others' writes as the app does.
struct Machines {
    stores: Vec<Arc<Store>>,
    _stop: tokio::sync::watch::Sender<bool>,
}

impl Machines {
    /// A machine on each of `locations` (the same database, as one login or several).
    async fn start(locations: &[Location]) -> Machines {
        let count = locations.len();
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let mut stores = Vec::new();
        for (n, location) in locations.iter().enumerate() {
            let origin = Origin::new(&format!("machine-{n}"), Actor::Gui);
            let store = Arc::new(Store::open(location, &origin).await.unwrap());
            if count > 1 {
                let (store, mut stopped) = (store.clone(), stopped.clone());
                tokio::spawn(async move {
                    let stopping = async move { drop(stopped.wait_for(|s| *s).await) };
                    store
                        .watch_other_writers(Duration::from_secs(1), stopping)
                        .await
                });
            }
            stores.push(store);
        }
        Machines {
            stores,
            _stop: stop,
        }
    }

    /// The machine window `n` lives on.
    fn of(&self, n: usize) -> &Arc<Store> {
        &self.stores[n % self.stores.len()]
    }
}

/// A team board the windows share with people of different roles: `project` is theirs, the
/// last machine's person only reads it, and `owner` keeps writing to a project of its own that
/// none of them may see, so every window's stream runs past seqs it cannot read.
struct Team {
    owner: Arc<Store>,
    project: tandem::model::ProjectId,
    hidden: tandem::model::ProjectId,
}

async fn run(
    locations: Vec<Location>,
    windows: usize,
    commands: Vec<(usize, Command)>,
    debounce: Duration,
    team: Option<Team>,
) {
    let machines = Machines::start(&locations).await;
    let store = machines.of(0).clone();
    let project = match &team {
        Some(team) => team.project.clone(),
        None => store.first_project().await.unwrap().id,
    };
    let reader = team.as_ref().map(|_| machines.stores.len() - 1);

    let mut models = Vec::new();
    let mut subscriptions: Vec<Subscription> = Vec::new();
    for n in 0..windows {
        let model = Arc::new(Mutex::new(Window::default()));
        let (board, subscription) =
            subscription::subscribe(machines.of(n).clone(), project.clone(), debounce, {
                let model = model.clone();
                move |batch| {
                    model.lock().unwrap().receive(batch);
                    true
                }
            })
            .await
            .unwrap();
        model.lock().unwrap().start(board);
        models.push(model);
        subscriptions.push(subscription);
    }

    let columns = store.board(&project).await.unwrap().columns;
    for (window, command) in commands {
        let origin = Origin {
            window: Some(format!("board-{window}")),
            ..Origin::new("i", Actor::Gui)
        };
        // Each window acts on what it currently sees, stale or not, as a person would.
        let seen: Vec<BoardTask> = models[window % windows]
            .lock()
            .unwrap()
            .tasks
            .values()
            .cloned()
            .collect();
        let pick = |i: usize| seen.get(i % seen.len().max(1)).cloned();
        let on = (window % windows) % machines.stores.len();
        let store = machines.of(window % windows);
        if let Some(team) = &team {
            let hidden = NewTask {
                project_id: team.hidden.clone(),
                column_id: None,
                title: "not yours".into(),
            };
            team.owner.create_task(&origin, hidden).await.unwrap();
        }
        let head = store.seq().await.unwrap();
        let result = match command {
            Command::Add { column } => store
                .create_task(
                    &origin,
                    NewTask {
                        project_id: project.clone(),
                        column_id: Some(columns[column].id.clone()),
                        title: "card".into(),
                    },
                )
                .await
                .map(drop),
            Command::Rename { task } => match pick(task) {
                Some(t) => store
                    .rename_task(&origin, &t.id, t.version, &format!("v{}", t.version + 1))
                    .await
                    .map(drop),
                None => Ok(()),
            },
            Command::Move {
                task,
                column,
                index,
            } => match pick(task) {
                Some(t) => store
                    .move_task(&origin, &t.id, t.version, &columns[column].id, index)
                    .await
                    .map(drop),
                None => Ok(()),
            },
            Command::Delete { task } => match pick(task) {
                Some(t) => store.delete_task(&origin, &t.id, t.version).await,
                None => Ok(()),
            },
        };
        if Some(on) == reader {
            // Whatever a reader tries writes nothing: refused by the database, or by the
            // store before it (a stale view), or a move to where the card already stands.
            assert_eq!(
                store.seq().await.unwrap(),
                head,
                "a reader's {command:?} wrote"
            );
            assert!(
                matches!(
                    result,
                    Ok(())
                        | Err(Error::Forbidden { .. }
                            | Error::Conflict { .. }
                            | Error::NotFound { .. })
                ),
                "a reader's {command:?}: {result:?}"
            );
            continue;
        }
        match result {
            // A window acting on a stale view is refused, and must be: that is I4 at work.
            Ok(()) | Err(Error::Conflict { .. } | Error::NotFound { .. }) => {}
            Err(other) => panic!("unexpected refusal: {other}"),
        }
    }

    // Quiet: every window must come to equal a fresh read of the database.
    let fresh: Board = store.board(&project).await.unwrap();
    let expected: BTreeMap<String, BoardTask> = fresh
        .tasks
        .into_iter()
        .map(|t| (t.id.0.clone(), t))
        .collect();
    for model in &models {
        eventually(
            "every window to converge",
            Duration::from_secs(10),
            || async {
                let window = model.lock().unwrap();
                (window.tasks == expected).then_some(())
            },
        )
        .await;
        let violations = &model.lock().unwrap().violations;
        assert!(violations.is_empty(), "I3 broken: {violations:?}");
    }
    drop(subscriptions);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn windows_converge_on_the_database_and_apply_each_change_once_in_order(
        commands in prop::collection::vec(command(), 1..60),
        windows in 1usize..4,
        debounce_ms in prop::sample::select(vec![0u64, 5, 20]),
    ) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = Location::File(dir.path().join("tandem.db"));
        let debounce = Duration::from_millis(debounce_ms);
        runtime.block_on(run(vec![file], windows, commands, debounce, None));
    }
}

proptest! {
    // Fewer cases: each runs on a database of the shared test server.
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    #[test]
    fn windows_on_two_machines_converge_on_a_server_database_and_apply_each_change_once(
        commands in prop::collection::vec(command(), 1..60),
        windows in 2usize..4,
        debounce_ms in prop::sample::select(vec![0u64, 20]),
    ) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let server = Location::parse(&TestServer::shared().database().url).unwrap();
        let debounce = Duration::from_millis(debounce_ms);
        runtime.block_on(run(vec![server.clone(), server], windows, commands, debounce, None));
    }

    #[test]
    fn an_editor_and_a_viewer_converge_while_a_project_they_cannot_see_keeps_changing(
        commands in prop::collection::vec(command(), 1..40),
        windows in 2usize..4,
        debounce_ms in prop::sample::select(vec![0u64, 20]),
    ) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let debounce = Duration::from_millis(debounce_ms);
        runtime.block_on(async {
            let (team, locations) = team_board().await;
            run(locations, windows, commands, debounce, Some(team)).await;
        });
    }
}

/// A team database where alice edits and bob views a shared project, and its owner has a
/// project of its own: the team, and alice's and bob's locations.
async fn team_board() -> (Team, Vec<Location>) {
    use tandem::model::Role;
    let server = TestServer::shared();
    let database = server.database();
    let owner = Arc::new(
        Store::open(
            &Location::parse(&database.url).unwrap(),
            &Origin::new("owner", Actor::Cli),
        )
        .await
        .unwrap(),
    );
    owner.team_init().await.unwrap();
    let origin = Origin::new("owner", Actor::Cli);
    let project = owner.create_project(&origin, "Shared").await.unwrap().id;
    let hidden = owner.create_project(&origin, "Private").await.unwrap().id;
    for (login, role) in [("alice", Role::Editor), ("bob", Role::Viewer)] {
        server.login(login).unwrap();
        owner.team_add(login, None, None).await.unwrap();
        owner
            .set_member(&origin, &project, login, role)
            .await
            .unwrap();
    }
    let locations = ["alice", "bob"]
        .map(|login| Location::parse(&server.url_as(login, &database.name)).unwrap())
        .to_vec();
    (
        Team {
            owner,
            project,
            hidden,
        },
        locations,
    )
}

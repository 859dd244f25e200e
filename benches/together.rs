//! DESIGN §10's figures for working together (§17), on a private PostgreSQL server: a comment
//! from one machine to a window on another, and what presence costs with 30 machines.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tandem::config::Location;
use tandem::debounce::DEFAULT_WINDOW;
use tandem::model::{Look, ProjectId, Role};
use tandem::store::{NewTask, Store};
use tandem::testing::TestServer;

use super::access::arrivals;
use super::team::Machine;
use super::{ms, peers, Row};

/// Comments for the machine-to-machine row.
const COMMENTS: usize = 200;
/// Machines for the presence row, and how long it is measured.
const MACHINES: usize = 30;
const PRESENCE_SECONDS: u64 = 10;

pub async fn rows(server: &TestServer) -> Vec<Row> {
    let database = server.database();
    let owner = Machine::on(&location(&database.url), "owner").await;
    owner.store.team_init().await.unwrap();
    let logins: Vec<String> = (0..MACHINES).map(|n| format!("person{n}")).collect();
    for login in &logins {
        server.login(login).unwrap();
        owner.store.team_add(login, None, None).await.unwrap();
    }
    let project = owner
        .store
        .create_project(&owner.origin, "Launch")
        .await
        .unwrap();
    for login in &logins {
        owner
            .store
            .set_member(&owner.origin, &project.id, login, Role::Commenter)
            .await
            .unwrap();
    }
    let as_person = |n: usize| location(&server.url_as(&logins[n], &database.name));
    vec![
        comment_to_other_machine(&as_person(0), &as_person(1), &owner, &project.id).await,
        presence(
            server,
            &(0..MACHINES).map(as_person).collect::<Vec<_>>(),
            &project.id,
        )
        .await,
    ]
}

fn location(url: &str) -> Location {
    Location::parse(url).unwrap()
}

/// A comment posted on machine A → shown in a window on machine B (its subscription's batch),
/// each comment after a debounce window, as people write. Baseline: machine B reading the log
/// once a second.
async fn comment_to_other_machine(
    a: &Location,
    b: &Location,
    owner: &Machine,
    project: &ProjectId,
) -> Row {
    let a = Machine::on(a, "machine-a").await;
    let b = Machine::on(b, "machine-b").await;
    let new = NewTask {
        project_id: project.clone(),
        column_id: None,
        title: "Talk".into(),
    };
    let task = owner.store.create_task(&owner.origin, new).await.unwrap();
    let (live, _window) = window_on(&b.store, project.clone()).await;
    let polled = peers::poll_log(&b.store, Duration::from_secs(1));
    let mut sent = Vec::with_capacity(COMMENTS);
    for i in 0..COMMENTS {
        tokio::time::sleep(DEFAULT_WINDOW + Duration::from_millis(10)).await;
        let t = Instant::now();
        let comment = a
            .store
            .add_comment(&a.origin, &task.id, &format!("Comment {i}"))
            .await
            .unwrap();
        // The comment's own seq: the same transaction logs the news it makes, which B's
        // window never sees.
        let logged = a.store.changes_since(0, Some(project)).await.unwrap();
        let seq = logged
            .changes
            .iter()
            .rev()
            .find(|c| c.entity_id == comment.id.0)
            .map(|c| c.seq)
            .unwrap();
        sent.push((seq, t));
    }
    let (p50, p99) = arrivals(&sent, &live).await;
    let (_, naive_p99) = arrivals(&sent, &polled.arrivals).await;
    Row {
        what: "comment on machine A → window on machine B, p50 / p99",
        target: "p99 ≤ 50 ms",
        tandem: format!("{} / {}", ms(p50), ms(p99)),
        baseline: format!("p99 {} (B reads the log each 1 s)", ms(naive_p99)),
        ratio: format!(
            "{:.0}× faster at p99",
            naive_p99.as_secs_f64() / p99.as_secs_f64()
        ),
    }
}

/// A window's stream on `store` that notes when each change arrived, by its seq.
async fn window_on(
    store: &Arc<Store>,
    project: ProjectId,
) -> (peers::Arrivals, tandem::subscription::Subscription) {
    let arrivals: peers::Arrivals = Arc::default();
    let (_, subscription) =
        tandem::subscription::subscribe(store.clone(), project, DEFAULT_WINDOW, {
            let arrivals = arrivals.clone();
            move |batch: tandem::model::Batch| {
                let now = Instant::now();
                let mut arrived = arrivals.lock().unwrap();
                for change in &batch.changes {
                    arrived.insert(change.seq, now);
                }
                true
            }
        })
        .await
        .unwrap();
    (arrivals, subscription)
}

/// 30 machines on one project, each keeping its presence as the app does (its looks told, then
/// refreshed every 10 s; who is here read on every wake-up and every 5 s), one of them
/// opening and closing a card every second: the server's CPU, and each machine's. Baseline:
/// the same machines reading who is here every 100 ms, the rate a poll needs to show a change
/// within a moment.
async fn presence(server: &TestServer, people: &[Location], project: &ProjectId) -> Row {
    let (server_cpu, machine_cpu) = run_presence(server, people, project, None).await;
    let (naive_server, naive_machine) =
        run_presence(server, people, project, Some(Duration::from_millis(100))).await;
    Row {
        what: "presence: 30 machines on a project, one moving between cards each second: CPU of the server, of each machine",
        target: "< 1 % of a core each",
        tandem: format!("{:.2} %, {:.2} %", server_cpu * 100.0, machine_cpu * 100.0),
        baseline: format!(
            "{:.2} %, {:.2} % (read each 100 ms)",
            naive_server * 100.0,
            naive_machine * 100.0
        ),
        ratio: format!(
            "{:.1}× less server CPU",
            naive_server / server_cpu.max(f64::EPSILON)
        ),
    }
}

/// Runs the presence load; `poll` reads who is here at that rate instead of as the app does.
/// Returns the server's CPU and each machine's, as shares of a core.
async fn run_presence(
    server: &TestServer,
    people: &[Location],
    project: &ProjectId,
    poll: Option<Duration>,
) -> (f64, f64) {
    let mut machines = Vec::new();
    for (n, location) in people.iter().enumerate() {
        machines.push(Machine::on(location, &format!("presence-{n}")).await);
    }
    let look = |task: Option<&tandem::model::TaskId>| Look {
        project_id: Some(project.clone()),
        task_id: task.cloned(),
        editing: None,
    };
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut keepers = Vec::new();
    for (n, machine) in machines.iter().enumerate() {
        let store: Arc<Store> = machine.store.clone();
        let mut stopped = stopped.clone();
        let instance = format!("presence-{n}");
        let first = look(None);
        keepers.push(tokio::spawn(async move {
            store
                .present(&instance, &[("board-1".into(), first)], 0)
                .await
                .unwrap();
            let mut woken = store.presence_changes();
            let mut refresh = tokio::time::interval(Duration::from_secs(10));
            let mut reread = tokio::time::interval(poll.unwrap_or(Duration::from_secs(5)));
            loop {
                tokio::select! {
                    _ = stopped.changed() => break,
                    _ = refresh.tick() => store.keep_present(&instance, 0).await.unwrap(),
                    woke = woken.changed(), if poll.is_none() => {
                        if woke.is_ok() {
                            store.presence().await.unwrap();
                        }
                    }
                    _ = reread.tick() => {
                        store.presence().await.unwrap();
                    }
                }
            }
            store.leave(&instance).await.unwrap();
        }));
    }
    let mover = machines[0].store.clone();
    let new = NewTask {
        project_id: project.clone(),
        column_id: None,
        title: "Looked at".into(),
    };
    let card = machines[0]
        .store
        .create_task(&machines[0].origin, new)
        .await
        .ok()
        .map(|t| t.id);
    let server_before = server_cpu(server);
    let machines_before = super::team::cpu_time();
    let started = Instant::now();
    let mut open = false;
    while started.elapsed() < Duration::from_secs(PRESENCE_SECONDS) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        open = !open;
        let task = if open { card.as_ref() } else { None };
        mover
            .present("presence-0", &[("board-1".into(), look(task))], 0)
            .await
            .unwrap();
    }
    let wall = started.elapsed().as_secs_f64();
    let server_share = (server_cpu(server) - server_before) / wall;
    let machine_share =
        (super::team::cpu_time() - machines_before).as_secs_f64() / wall / people.len() as f64;
    stop.send(true).unwrap();
    for keeper in keepers {
        keeper.await.unwrap();
    }
    (server_share, machine_share)
}

/// CPU seconds the server's processes have used so far (its postmaster and every backend).
fn server_cpu(server: &TestServer) -> f64 {
    let Some(postmaster) = server.postmaster() else {
        return 0.0;
    };
    let mut total = 0.0;
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    for entry in entries.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let Some((_, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let parent = fields.get(1).and_then(|f| f.parse::<u32>().ok());
        if pid == postmaster || parent == Some(postmaster) {
            total += peers::cpu_seconds(pid);
        }
    }
    total
}

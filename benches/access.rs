//! DESIGN §10's row-level security figures (§16): a team board of 50 projects with 20 members
//! each, on a private PostgreSQL server over its Unix socket. Members write and read under the
//! database's policies; the baseline is the same work by the database's owner, whom row-level
//! security does not hold.

use std::time::{Duration, Instant};

use tandem::model::{EntityKind, ProjectId, Role, Task};
use tandem::store::NewTask;
use tandem::testing::TestServer;

use super::team::{renames, Machine};
use super::{ms, peers, percentile, Row};

const PROJECTS: usize = 50;
const MEMBERS: usize = 20;
/// Newcomers let into a project, one at a time, for the "a new member sees it" row.
const NEWCOMERS: usize = 20;

pub async fn rows(server: &TestServer) -> Vec<Row> {
    let database = server.database();
    let owner = Machine::on(&location(&database.url), "owner").await;
    owner.store.team_init().await.unwrap();
    let people: Vec<String> = (0..MEMBERS).map(|n| format!("member{n}")).collect();
    for login in &people {
        server.login(login).unwrap();
        owner.store.team_add(login, None, None).await.unwrap();
    }
    let mut projects = Vec::new();
    for n in 0..PROJECTS {
        let project = owner
            .store
            .create_project(&owner.origin, &format!("Project {n}"))
            .await
            .unwrap();
        for login in &people {
            owner
                .store
                .set_member(&owner.origin, &project.id, login, Role::Editor)
                .await
                .unwrap();
        }
        projects.push(project.id);
    }
    let as_member = |n: usize| location(&server.url_as(&people[n], &database.name));
    let a = Machine::on(&as_member(0), "member-a").await;
    let b = Machine::on(&as_member(1), "member-b").await;
    let owner_b = Machine::on(&location(&database.url), "owner-b").await;
    let shared = projects[0].clone();
    vec![
        writes(&a, &owner, &shared).await,
        edit_to_other_machine(&a, &b, &owner, &owner_b, &shared).await,
        newcomer(server, &database.name, &owner, &projects).await,
    ]
}

fn location(url: &str) -> tandem::config::Location {
    tandem::config::Location::parse(url).unwrap()
}

async fn task_in(machine: &Machine, project: &ProjectId) -> Task {
    let new = NewTask {
        project_id: project.clone(),
        column_id: None,
        title: "Benchmark".into(),
    };
    machine
        .store
        .create_task(&machine.origin, new)
        .await
        .unwrap()
}

async fn writes(member: &Machine, owner: &Machine, project: &ProjectId) -> Row {
    let (rate, p99) = renames(member, task_in(member, project).await).await;
    let (off, off_p99) = renames(owner, task_in(owner, project).await).await;
    Row {
        what: "team with row-level security, 50 projects × 20 members: writes/s, p99",
        target: "within 20 % of RLS off",
        tandem: format!("{rate:.0}/s, p99 {}", ms(p99)),
        baseline: format!("{off:.0}/s, p99 {} (RLS off: the owner)", ms(off_p99)),
        ratio: format!("{:.2}×", rate / off),
    }
}

/// p50 and p99 of the edits `sent` as they arrived at a window, once the last has arrived.
pub(super) async fn arrivals(
    sent: &[(i64, Instant)],
    arrived: &peers::Arrivals,
) -> (Duration, Duration) {
    let last = sent.last().map_or(0, |(seq, _)| *seq);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !arrived.lock().unwrap().keys().any(|seq| *seq >= last) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let arrived = arrived.lock().unwrap();
    let mut latencies: Vec<Duration> = sent
        .iter()
        .filter_map(|(seq, t)| arrived.get(seq).map(|a| a.duration_since(*t)))
        .collect();
    assert_eq!(latencies.len(), sent.len(), "every edit reached the window");
    (
        percentile(&mut latencies, 0.5),
        percentile(&mut latencies, 0.99),
    )
}

async fn edit_to_other_machine(
    a: &Machine,
    b: &Machine,
    owner_a: &Machine,
    owner_b: &Machine,
    project: &ProjectId,
) -> Row {
    let (live, _window) = peers::window_on(&b.store, project.clone()).await;
    let task = task_in(a, project).await;
    let sent = peers::isolated_edits(&a.store, &a.origin, task).await;
    let (p50, p99) = arrivals(&sent, &live).await;
    let (off_live, _off_window) = peers::window_on(&owner_b.store, project.clone()).await;
    let task = task_in(owner_a, project).await;
    let sent = peers::isolated_edits(&owner_a.store, &owner_a.origin, task).await;
    let (o50, o99) = arrivals(&sent, &off_live).await;
    Row {
        what: "team with row-level security: edit on machine A → window on machine B, p50 / p99",
        target: "within 20 % of RLS off",
        tandem: format!("{} / {}", ms(p50), ms(p99)),
        baseline: format!("{} / {} (RLS off: the owner)", ms(o50), ms(o99)),
        ratio: format!("{:.2}× at p99", p99.as_secs_f64() / o99.as_secs_f64()),
    }
}

/// Someone let into a project: from the owner's commit to the newcomer's machine knowing the
/// project (the membership heard, the project in its list), as their window's project menu
/// would show it. Baseline: the newcomer's machine reading its projects once a second.
async fn newcomer(
    server: &TestServer,
    database: &str,
    owner: &Machine,
    projects: &[ProjectId],
) -> Row {
    let mut live = Vec::new();
    let mut polled = Vec::new();
    for n in 0..NEWCOMERS {
        let login = format!("newcomer{n}");
        server.login(&login).unwrap();
        owner.store.team_add(&login, None, None).await.unwrap();
        let machine = Machine::on(&location(&server.url_as(&login, database)), &login).await;
        let project = projects[n % projects.len()].clone();
        let mut bus = machine.store.bus().subscribe();
        let entity = format!("{project}:{login}");
        let poller = {
            let store = machine.store.clone();
            let project = project.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(1));
                loop {
                    tick.tick().await;
                    let seen = store.projects().await.unwrap();
                    if seen.iter().any(|p| p.id == project) {
                        return Instant::now();
                    }
                }
            })
        };
        tokio::time::sleep(Duration::from_millis(fastrand_ms(n))).await;
        let started = Instant::now();
        owner
            .store
            .set_member(&owner.origin, &project, &login, Role::Viewer)
            .await
            .unwrap();
        loop {
            let committed = bus.recv().await.unwrap();
            if committed
                .iter()
                .any(|c| c.entity == EntityKind::Member && c.entity_id == entity)
            {
                break;
            }
        }
        assert!(machine
            .store
            .projects()
            .await
            .unwrap()
            .iter()
            .any(|p| p.id == project));
        live.push(started.elapsed());
        polled.push(poller.await.unwrap().duration_since(started));
    }
    let (p50, p99) = (percentile(&mut live, 0.5), percentile(&mut live, 0.99));
    let (n50, n99) = (percentile(&mut polled, 0.5), percentile(&mut polled, 0.99));
    Row {
        what: "team: a newly added member's machine shows the project, p50 / p99",
        target: "≤ 1 s",
        tandem: format!("{} / {}", ms(p50), ms(p99)),
        baseline: format!("{} / {} (read the projects each 1 s)", ms(n50), ms(n99)),
        ratio: format!(
            "{:.0}× faster at p99",
            n99.as_secs_f64() / p99.as_secs_f64()
        ),
    }
}

/// A spread of start times within the poller's second, so its phase is not always the same.
fn fastrand_ms(n: usize) -> u64 {
    (n as u64 * 397) % 1000
}

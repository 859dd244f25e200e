//! People on a real server, with real logins that give passwords (scram-sha-256): the author of
//! every change is the login the server authenticated, whatever a client claims, and each
//! person edits only their own record. Hostile clients are `psql` sessions of those logins.

use crate::config::Location;
use crate::error::Error;
use crate::model::{Actor, Origin};
use crate::store::{NewTask, PersonEdit, Store};
use crate::testing::TestServer;

/// A team database: made by the tests' own role (its owner), turned into a team's, with
/// `logins` added; its name.
pub(super) async fn team(logins: &[&str]) -> (Store, String) {
    let server = TestServer::shared();
    let database = server.database();
    let owner = Store::open(
        &Location::parse(&database.url).unwrap(),
        &Origin::new("owner", Actor::Cli),
    )
    .await
    .unwrap();
    owner.team_init().await.unwrap();
    for login in logins {
        server.login(login).unwrap();
        owner.team_add(login, None, None).await.unwrap();
    }
    (owner, database.name)
}

/// `owner`'s new project "Launch" (made from `owner_login`'s machine), with `members` in
/// their roles.
pub(super) async fn launch(
    owner: &Store,
    owner_login: &str,
    members: &[(&str, crate::model::Role)],
) -> crate::model::Project {
    let by = Origin::new(&format!("{owner_login}-machine"), Actor::Gui);
    let launch = owner.create_project(&by, "Launch").await.unwrap();
    for (login, role) in members {
        owner
            .set_member(&by, &launch.id, login, *role)
            .await
            .unwrap();
    }
    launch
}

/// The store of `login` on database `name`, opened with their password.
pub(super) async fn open_as(login: &str, name: &str) -> Result<Store, Error> {
    let url = TestServer::shared().url_as(login, name);
    Store::open(
        &Location::parse(&url).unwrap(),
        &Origin::new(&format!("{login}-machine"), Actor::Gui),
    )
    .await
}

async fn add_task(store: &Store, title: &str) -> crate::model::Task {
    let project = store.first_project().await.unwrap().id;
    let new = NewTask {
        project_id: project,
        column_id: None,
        title: title.into(),
    };
    store
        .create_task(&Origin::new("x", Actor::Cli), new)
        .await
        .unwrap()
}

#[tokio::test]
async fn every_change_is_authored_by_the_login_the_server_authenticated() {
    let (owner, name) = team(&["alice", "bob"]).await;
    let alice = open_as("alice", &name).await.unwrap();
    assert_eq!(alice.login(), "alice");
    let task = add_task(&alice, "Alice's card").await;
    let log = owner.changes_since(0, None).await.unwrap().changes;
    let mine = log.iter().find(|c| c.entity_id == task.id.0).unwrap();
    assert_eq!(mine.author.as_deref(), Some("alice"));

    // Alice, in her own psql, claims to be Bob's Tandem: the origin is hers to claim, the
    // author is not.
    let server = TestServer::shared();
    let forged =
        r#"{"instance":"bob-machine","actor":"gui","window":"board-1","mutation_id":null}"#;
    server
        .psql_as(
            "alice",
            &name,
            &format!(
                "BEGIN; SET LOCAL tandem.origin = '{forged}';
                 UPDATE tasks SET title = 'Forged', version = version + 1 WHERE id = '{}';
                 COMMIT;",
                task.id
            ),
        )
        .unwrap();
    let log = owner.changes_since(0, None).await.unwrap().changes;
    let last = log.last().unwrap();
    assert_eq!(last.entity_id, task.id.0);
    assert_eq!(
        last.origin.as_ref().map(|o| o.instance.as_str()),
        Some("bob-machine")
    );
    assert_eq!(last.author.as_deref(), Some("alice"), "the session's login");

    // Nor can she become Bob: she was never granted his role.
    let refused = server
        .psql_as(
            "alice",
            &name,
            "SET ROLE bob; UPDATE tasks SET title = 'As Bob'",
        )
        .unwrap_err();
    assert!(
        refused.to_string().contains("permission denied"),
        "{refused}"
    );
    let history = crate::history::timeline(&owner, &task.id).await.unwrap();
    assert!(
        history.iter().all(|e| e.who.starts_with("alice (")),
        "{history:?}"
    );
}

#[tokio::test]
async fn the_log_is_written_by_its_trigger_alone() {
    let (owner, name) = team(&["alice"]).await;
    let before = owner.seq().await.unwrap();
    let server = TestServer::shared();
    for forgery in [
        "INSERT INTO changes (seq, op, entity, entity_id, author) \
         VALUES (999, 'insert', 'task', 'x', 'bob')",
        "UPDATE changes SET author = 'bob'",
        "DELETE FROM changes",
        "UPDATE log_head SET seq = seq + 5",
        "UPDATE meta SET value = 'x'",
    ] {
        let refused = server.psql_as("alice", &name, forgery).unwrap_err();
        assert!(
            refused.to_string().contains("permission denied"),
            "{forgery}: {refused}"
        );
    }
    assert_eq!(owner.seq().await.unwrap(), before);
    assert!(owner
        .changes_since(0, None)
        .await
        .unwrap()
        .changes
        .iter()
        .all(|c| c.author.as_deref() != Some("bob")));
}

#[tokio::test]
async fn each_person_edits_only_their_own_record() {
    let (owner, name) = team(&["alice", "bob"]).await;
    let alice = open_as("alice", &name).await.unwrap();
    let me = alice
        .edit_me(PersonEdit {
            name: Some("Alice Liddell".into()),
            color: Some("#224488".into()),
        })
        .await
        .unwrap();
    assert_eq!(
        (me.login.as_str(), me.name.as_str()),
        ("alice", "Alice Liddell")
    );

    // Her psql session reaches Bob's record and changes nothing.
    let server = TestServer::shared();
    let updated = server
        .psql_as(
            "alice",
            &name,
            "UPDATE people SET name = 'Bobby Tables' WHERE login = 'bob' RETURNING login",
        )
        .unwrap();
    assert_eq!(updated.trim(), "", "no row of Bob's is hers to update");
    let refused = server
        .psql_as(
            "alice",
            &name,
            "INSERT INTO people (login, name, color, created_at, updated_at) \
             VALUES ('mallory', 'Mallory', '#000000', 0, 0)",
        )
        .unwrap_err();
    assert!(
        refused.to_string().contains("row-level security"),
        "{refused}"
    );
    let people = owner.people().await.unwrap();
    let names: Vec<(&str, &str)> = people
        .iter()
        .map(|p| (p.login.as_str(), p.name.as_str()))
        .collect();
    assert!(names.contains(&("bob", "bob")), "{names:?}");
    assert!(names.contains(&("alice", "Alice Liddell")), "{names:?}");
    assert!(!names.iter().any(|(login, _)| *login == "mallory"));
}

#[tokio::test]
async fn a_login_outside_the_team_cannot_open_the_board() {
    let (_owner, name) = team(&["alice"]).await;
    TestServer::shared().login("carol").unwrap();
    let refused = open_as("carol", &name).await.err().expect("refused");
    assert!(
        matches!(&refused, Error::Config { reason, .. } if reason.contains("permission denied")),
        "{refused:?}"
    );
}

#[tokio::test]
async fn only_the_owner_runs_the_team_and_a_file_has_none() {
    let (_owner, name) = team(&["alice"]).await;
    let alice = open_as("alice", &name).await.unwrap();
    for refused in [
        alice.team_init().await.map(drop).unwrap_err(),
        alice
            .team_add("dave", None, Some("pw"))
            .await
            .map(drop)
            .unwrap_err(),
    ] {
        assert!(
            matches!(&refused, Error::Config { reason, .. } if reason.contains("owner")),
            "{refused:?}"
        );
    }
    let file = crate::store::testing::store().await;
    let refused = file.store.team_init().await.unwrap_err();
    assert!(
        matches!(&refused, Error::Config { reason, .. } if reason.contains("a file has no team")),
        "{refused:?}"
    );
    let refused = _owner
        .team_add("Robert'); DROP TABLE tasks;--", None, None)
        .await;
    assert!(
        matches!(refused, Err(Error::Invalid { field: "login", .. })),
        "{refused:?}"
    );
}

/// A team database from before people: its schema as Tandem left it then, a board and its log
/// written by the owner.
async fn database_from_before_people() -> (crate::testing::TestDatabase, i64) {
    use sqlx::Connection as _;
    let database = TestServer::shared().database();
    let old = sqlx::migrate::Migrator {
        migrations: crate::store::sql::postgres::MIGRATOR
            .iter()
            .filter(|m| m.version < 20261205000000)
            .cloned()
            .collect::<Vec<_>>()
            .into(),
        ..sqlx::migrate::Migrator::DEFAULT
    };
    let mut conn = sqlx::PgConnection::connect(&database.url).await.unwrap();
    old.run(&mut conn).await.unwrap();
    for statement in [
        "INSERT INTO projects (id, name, position, created_at, updated_at)
         VALUES ('p1', 'Launch', 65536, 0, 0)",
        "INSERT INTO columns (id, project_id, name, position, created_at, updated_at)
         VALUES ('c1', 'p1', 'To do', 65536, 0, 0)",
        "INSERT INTO tasks (id, project_id, column_id, title, position, created_at, updated_at)
         VALUES ('t1', 'p1', 'c1', 'Written before people', 65536, 0, 0)",
        "UPDATE tasks SET title = 'Renamed before people', version = 2 WHERE id = 't1'",
        "INSERT INTO meta (key, value) VALUES ('seeded', '0')",
    ] {
        sqlx::query(statement).execute(&mut conn).await.unwrap();
    }
    let logged: i64 = sqlx::query_scalar("SELECT count(*) FROM changes")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    (database, logged)
}

#[tokio::test]
async fn a_team_database_from_before_people_keeps_its_board_and_log_and_its_projects_are_the_owners(
) {
    let (database, logged) = database_from_before_people().await;
    let owner = Store::open(
        &Location::parse(&database.url).unwrap(),
        &Origin::new("owner", Actor::Cli),
    )
    .await
    .unwrap();
    owner.team_init().await.unwrap();
    let log = owner.changes_since(0, None).await.unwrap().changes;
    assert!(
        log.len() as i64 > logged,
        "the old log, and the memberships after it"
    );
    assert!(
        log[..logged as usize].iter().all(|c| c.author.is_none()),
        "no author before people"
    );
    let task = owner
        .task(&crate::model::TaskId("t1".into()))
        .await
        .unwrap();
    assert_eq!(
        (task.title.as_str(), task.version),
        ("Renamed before people", 2)
    );
    let members = owner
        .members(&crate::model::ProjectId::from("p1"))
        .await
        .unwrap();
    assert_eq!(
        members
            .iter()
            .map(|m| (m.login.as_str(), m.role))
            .collect::<Vec<_>>(),
        [("tandem", crate::model::Role::Owner)]
    );
    // Once let in and made a member, a person reads the board's whole history.
    TestServer::shared().login("alice").unwrap();
    owner.team_add("alice", None, None).await.unwrap();
    let origin = Origin::new("owner", Actor::Cli);
    owner
        .set_member(
            &origin,
            &crate::model::ProjectId::from("p1"),
            "alice",
            crate::model::Role::Editor,
        )
        .await
        .unwrap();
    let alice = open_as("alice", &database.name).await.unwrap();
    let history = alice
        .task_history(&crate::model::TaskId("t1".into()))
        .await
        .unwrap();
    assert_eq!(history.len(), 2, "{history:?}");
}

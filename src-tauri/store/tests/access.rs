//! Members and roles on a real server, enforced by the database: what a login that is not a
//! member, a viewer and an editor may see and do, through the store and through their own
//! `psql`; and what reaches a person's machine when they are let in or taken off.

use std::time::Duration;

use super::people::{launch, open_as, team};
use crate::error::Error;
use crate::model::{Actor, EntityKind, Origin, Role, Task};
use crate::store::{NewTask, Store};
use crate::testing::TestServer;

const DEADLINE: Duration = Duration::from_secs(10);

fn origin(login: &str) -> Origin {
    Origin::new(&format!("{login}-machine"), Actor::Gui)
}

async fn add_task(
    store: &Store,
    login: &str,
    project: &crate::model::ProjectId,
) -> crate::error::Result<Task> {
    let new = NewTask {
        project_id: project.clone(),
        column_id: None,
        title: format!("{login}'s card"),
    };
    store.create_task(&origin(login), new).await
}

/// Bob's psql on database `name`: the number `sql` answers.
fn count_as(login: &str, name: &str, sql: &str) -> i64 {
    TestServer::shared()
        .psql_as(login, name, sql)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn a_project_is_its_members_alone_and_each_role_does_what_it_may() {
    let (owner, name) = team(&["alice", "bob", "carol"]).await;
    let alice = open_as("alice", &name).await.unwrap();
    let bob = open_as("bob", &name).await.unwrap();
    let launch = launch(&alice, "alice", &[]).await;
    let card = add_task(&alice, "alice", &launch.id).await.unwrap();

    // Not a member: bob sees nothing of it, by any door, and is told "not found".
    assert!(!bob
        .projects()
        .await
        .unwrap()
        .iter()
        .any(|p| p.id == launch.id));
    for missing in [
        bob.find_project("Launch").await.map(drop).unwrap_err(),
        bob.find_project(&launch.id.0).await.map(drop).unwrap_err(),
        bob.task(&card.id).await.map(drop).unwrap_err(),
        bob.members(&launch.id).await.map(drop).unwrap_err(),
    ] {
        assert!(matches!(missing, Error::NotFound { .. }), "{missing:?}");
    }
    let log = bob.changes_since(0, None).await.unwrap();
    assert!(log
        .changes
        .iter()
        .all(|c| c.project_id.as_ref() != Some(&launch.id)));
    assert_eq!(
        log.to_seq,
        alice.seq().await.unwrap(),
        "one head for everyone"
    );
    let where_launch = format!("WHERE project_id = '{}'", launch.id);
    for table in ["tasks", "columns", "changes", "members"] {
        let sql = format!("SELECT count(*) FROM {table} {where_launch}");
        assert_eq!(count_as("bob", &name, &sql), 0, "{table}");
    }
    let seen = bob
        .set_member(&origin("bob"), &launch.id, "bob", Role::Owner)
        .await;
    assert!(matches!(seen, Err(Error::NotFound { .. })), "{seen:?}");

    // A viewer reads, and every write is refused whole: by the app, by psql.
    alice
        .set_member(&origin("alice"), &launch.id, "bob", Role::Viewer)
        .await
        .unwrap();
    assert_eq!(bob.find_project("Launch").await.unwrap().id, launch.id);
    assert_eq!(
        bob.board(&launch.id).await.unwrap().role,
        Some(Role::Viewer)
    );
    assert_eq!(
        alice.board(&launch.id).await.unwrap().role,
        Some(Role::Owner)
    );
    assert_eq!(
        owner.board(&launch.id).await.unwrap().role,
        None,
        "the database's owner"
    );
    assert_eq!(bob.task(&card.id).await.unwrap().title, card.title);
    let before = alice.seq().await.unwrap();
    let refused = add_task(&bob, "bob", &launch.id).await.unwrap_err();
    assert!(matches!(refused, Error::Forbidden { .. }), "{refused:?}");
    let refused = bob
        .rename_task(&origin("bob"), &card.id, card.version, "Viewer's title")
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::Forbidden { .. }), "{refused:?}");
    let refused = bob
        .set_member(&origin("bob"), &launch.id, "carol", Role::Editor)
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::Forbidden { .. }), "{refused:?}");
    let server = TestServer::shared();
    for (sql, says) in [
        (
            format!("UPDATE tasks SET title = 'psql' {where_launch}"),
            "row-level security",
        ),
        (
            format!("DELETE FROM tasks {where_launch}"),
            "does not allow",
        ),
        (
            format!("DELETE FROM projects WHERE id = '{}'", launch.id),
            "does not allow",
        ),
        (
            format!(
                "INSERT INTO members (project_id, login, role, created_at, updated_at) \
                 VALUES ('{}', 'carol', 'owner', 0, 0)",
                launch.id
            ),
            "row-level security",
        ),
        (
            format!(
                "UPDATE members SET role = 'owner' WHERE login = 'bob' AND project_id = '{}'",
                launch.id
            ),
            "row-level security",
        ),
    ] {
        let refused = server.psql_as("bob", &name, &sql).unwrap_err();
        assert!(refused.to_string().contains(says), "{sql}: {refused}");
    }
    assert_eq!(
        alice.seq().await.unwrap(),
        before,
        "nothing written, nothing logged"
    );
    assert_eq!(alice.task(&card.id).await.unwrap(), card);

    // An editor changes cards, and not the project or its members.
    alice
        .set_member(&origin("alice"), &launch.id, "bob", Role::Editor)
        .await
        .unwrap();
    let bobs = add_task(&bob, "bob", &launch.id).await.unwrap();
    let log = alice.changes_since(before, None).await.unwrap().changes;
    let made = log.iter().find(|c| c.entity_id == bobs.id.0).unwrap();
    assert_eq!(made.author.as_deref(), Some("bob"));
    let refused = bob
        .rename_project(&origin("bob"), &launch.id, launch.version, "Bob's now")
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::Forbidden { .. }), "{refused:?}");

    // Taken off, bob sees nothing again; the project keeps its last owner.
    alice
        .remove_member(&origin("alice"), &launch.id, "bob")
        .await
        .unwrap();
    assert!(matches!(
        bob.find_project("Launch").await,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(
        count_as(
            "bob",
            &name,
            &format!("SELECT count(*) FROM tasks {where_launch}")
        ),
        0
    );
    let refused = alice
        .remove_member(&origin("alice"), &launch.id, "alice")
        .await
        .unwrap_err();
    assert!(
        matches!(refused, Error::Invalid { field: "role", .. }),
        "{refused:?}"
    );
    let members: Vec<(String, Role)> = alice
        .members(&launch.id)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.login, m.role))
        .collect();
    assert_eq!(members, [("alice".to_owned(), Role::Owner)]);
    let stranger = alice
        .set_member(&origin("alice"), &launch.id, "nobody", Role::Viewer)
        .await
        .unwrap_err();
    assert!(
        matches!(stranger, Error::Invalid { field: "login", .. }),
        "{stranger:?}"
    );
}

#[tokio::test]
async fn a_persons_machine_hears_of_being_let_in_and_taken_off_and_notifications_carry_numbers() {
    let (_owner, name) = team(&["alice", "bob"]).await;
    let alice = open_as("alice", &name).await.unwrap();
    let bob = std::sync::Arc::new(open_as("bob", &name).await.unwrap());
    let launch = launch(&alice, "alice", &[]).await;

    // Bob's own LISTEN hears every commit, as a number and nothing else.
    let url = TestServer::shared().url_as("bob", &name);
    let mut listener = sqlx::postgres::PgListener::connect(&url).await.unwrap();
    listener.listen("tandem").await.unwrap();

    let mut bus = bob.bus().subscribe();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let watching = {
        let bob = bob.clone();
        tokio::spawn(async move {
            bob.watch_other_writers(Duration::from_secs(1), async {
                let _ = stopped.await;
            })
            .await
        })
    };
    let mine = format!("{}:bob", launch.id);
    let heard = async |bus: &mut tokio::sync::broadcast::Receiver<crate::bus::Committed>,
                       op: crate::model::Op| {
        tokio::time::timeout(DEADLINE, async {
            loop {
                let committed = bus.recv().await.unwrap();
                if committed
                    .iter()
                    .any(|c| c.entity == EntityKind::Member && c.entity_id == mine && c.op == op)
                {
                    return;
                }
            }
        })
        .await
        .expect("bob's machine hears of it within the deadline");
    };
    alice
        .set_member(&origin("alice"), &launch.id, "bob", Role::Viewer)
        .await
        .unwrap();
    heard(&mut bus, crate::model::Op::Insert).await;
    assert!(bob
        .projects()
        .await
        .unwrap()
        .iter()
        .any(|p| p.id == launch.id));
    alice
        .remove_member(&origin("alice"), &launch.id, "bob")
        .await
        .unwrap();
    heard(&mut bus, crate::model::Op::Delete).await;
    assert!(!bob
        .projects()
        .await
        .unwrap()
        .iter()
        .any(|p| p.id == launch.id));

    let notification = tokio::time::timeout(DEADLINE, listener.recv())
        .await
        .unwrap()
        .unwrap();
    let seq: i64 = notification.payload().parse().expect("a number");
    assert!(seq > 0);
    drop(stop);
    watching.await.unwrap().unwrap();
}

#[tokio::test]
async fn an_editor_assigns_members_only_and_a_viewer_assigns_no_one_even_through_psql() {
    let (_owner, name) = team(&["alice", "bob", "carol", "dave"]).await;
    let alice = open_as("alice", &name).await.unwrap();
    let bob = open_as("bob", &name).await.unwrap();
    let carol = open_as("carol", &name).await.unwrap();
    let launch = launch(
        &alice,
        "alice",
        &[("bob", Role::Editor), ("carol", Role::Viewer)],
    )
    .await;
    let card = add_task(&alice, "alice", &launch.id).await.unwrap();

    // Bob (editor) puts alice and carol on the card; dave is on the team but not the project.
    let on = bob
        .assign(&origin("bob"), &card.id, &["alice".into(), "carol".into()])
        .await
        .unwrap();
    assert_eq!(on, ["alice", "carol"]);
    let stranger = bob
        .assign(&origin("bob"), &card.id, &["dave".into()])
        .await
        .unwrap_err();
    assert!(
        matches!(&stranger, Error::Invalid { field: "login", reason } if reason.contains("dave")),
        "{stranger:?}"
    );
    let logged = alice.changes_since(0, None).await.unwrap().changes;
    let by_bob: Vec<_> = logged
        .iter()
        .filter(|c| c.entity == EntityKind::TaskAssignee)
        .map(|c| (c.entity_id.clone(), c.author.clone()))
        .collect();
    assert_eq!(
        by_bob,
        [
            (format!("{}:alice", card.id), Some("bob".to_owned())),
            (format!("{}:carol", card.id), Some("bob".to_owned())),
        ]
    );

    // Carol (viewer) may not, by Tandem or by her own psql, either way.
    let before = alice.seq().await.unwrap();
    for refused in [
        carol
            .assign(&origin("carol"), &card.id, &["bob".into()])
            .await
            .unwrap_err(),
        carol
            .unassign(&origin("carol"), &card.id, &["alice".into()])
            .await
            .unwrap_err(),
    ] {
        assert!(matches!(refused, Error::Forbidden { .. }), "{refused:?}");
    }
    let server = TestServer::shared();
    for sql in [
        format!(
            "INSERT INTO task_assignees (task_id, login) VALUES ('{}', 'carol')",
            card.id
        ),
        format!("DELETE FROM task_assignees WHERE task_id = '{}'", card.id),
    ] {
        assert!(server.psql_as("carol", &name, &sql).is_err(), "{sql}");
    }
    // Nor may bob put dave on it through psql: the database checks membership itself.
    let sql = format!(
        "INSERT INTO task_assignees (task_id, login) VALUES ('{}', 'dave')",
        card.id
    );
    assert!(server.psql_as("bob", &name, &sql).is_err(), "{sql}");
    assert_eq!(alice.seq().await.unwrap(), before, "nothing written");
    assert_eq!(
        alice.task_assignees(&card.id).await.unwrap(),
        ["alice", "carol"]
    );

    // Carol leaves the project: she is off its cards, in the same change.
    let other = add_task(&alice, "alice", &launch.id).await.unwrap();
    alice
        .assign(
            &origin("alice"),
            &other.id,
            &["carol".into(), "alice".into()],
        )
        .await
        .unwrap();
    alice
        .remove_member(&origin("alice"), &launch.id, "carol")
        .await
        .unwrap();
    assert_eq!(alice.task_assignees(&other.id).await.unwrap(), ["alice"]);
    assert_eq!(alice.task_assignees(&card.id).await.unwrap(), ["alice"]);

    // Moved to a project bob is not in, the card keeps alice only.
    alice
        .assign(&origin("alice"), &card.id, &["bob".into()])
        .await
        .unwrap();
    let garden = alice
        .create_project(&origin("alice"), "Garden")
        .await
        .unwrap();
    let to = alice.board(&garden.id).await.unwrap().columns[0].id.clone();
    let card = alice.task(&card.id).await.unwrap();
    alice
        .transfer_task(&origin("alice"), &card.id, card.version, &to, 0)
        .await
        .unwrap();
    assert_eq!(alice.task_assignees(&card.id).await.unwrap(), ["alice"]);
}

#[tokio::test]
async fn an_import_to_a_server_puts_on_cards_only_members_and_signs_others_comments() {
    use crate::model::plain;
    let (_owner, name) = team(&["alice", "bob"]).await;
    let alice = open_as("alice", &name).await.unwrap();
    let project = plain::Project {
        name: "Imported".into(),
        labels: Vec::new(),
        columns: vec![plain::Column {
            name: "To do".into(),
            wip_limit: None,
            cards: vec![plain::Card {
                title: "Ship".into(),
                description: String::new(),
                priority: crate::model::Priority::None,
                due_date: None,
                labels: Vec::new(),
                assignees: vec!["alice".into(), "bob".into()],
                checklist: Vec::new(),
                archived: false,
                comments: vec![
                    plain::Comment {
                        author: "alice".into(),
                        body: "Mine".into(),
                        at: time::macros::datetime!(2026-01-02 09:00 UTC),
                        edited: None,
                    },
                    plain::Comment {
                        author: "bob".into(),
                        body: "His".into(),
                        at: time::macros::datetime!(2026-01-02 10:00 UTC),
                        edited: None,
                    },
                ],
            }],
        }],
    };
    let imported = alice
        .import(&origin("alice"), &[project], |_, _| {})
        .await
        .unwrap();
    // The new project is alice's alone: bob is on the team but not in it.
    assert_eq!((imported.cards, imported.assignees_left_out), (1, 1));
    // The server lets alice write only as alice: bob's comment is hers, saying it is his.
    assert_eq!((imported.comments, imported.comments_signed), (2, 1));
    let board = alice
        .board(&alice.find_project("Imported").await.unwrap().id)
        .await
        .unwrap();
    let on: Vec<&str> = board
        .task_assignees
        .iter()
        .map(|a| a.login.as_str())
        .collect();
    assert_eq!(on, ["alice"]);
    let thread = alice.comments(&board.tasks[0].id).await.unwrap();
    let said: Vec<(&str, &str, i64)> = thread
        .iter()
        .map(|c| (c.author.as_str(), c.body.as_str(), c.created_at))
        .collect();
    assert_eq!(
        said,
        [
            ("alice", "Mine", 1_767_344_400_000),
            (
                "alice",
                "*bob wrote, 2026-01-02 10:00 UTC:*\n\nHis",
                1_767_348_000_000
            ),
        ]
    );
}

#[tokio::test]
async fn comments_are_by_who_the_database_says_and_each_role_does_what_it_may_even_through_psql() {
    let (_owner, name) = team(&["alice", "bob", "carol", "dave"]).await;
    let alice = open_as("alice", &name).await.unwrap();
    let bob = open_as("bob", &name).await.unwrap();
    let carol = open_as("carol", &name).await.unwrap();
    let dave = open_as("dave", &name).await.unwrap();
    let launch = launch(
        &alice,
        "alice",
        &[
            ("bob", Role::Editor),
            ("carol", Role::Viewer),
            ("dave", Role::Commenter),
        ],
    )
    .await;
    let card = add_task(&alice, "alice", &launch.id).await.unwrap();

    // A commenter comments and edits their own; the log says who, in the database's words.
    let said = dave
        .add_comment(&origin("dave"), &card.id, "Looks **good**")
        .await
        .unwrap();
    assert_eq!(said.author, "dave");
    let edited = dave
        .edit_comment(&origin("dave"), &said.id, said.version, "Looks great")
        .await
        .unwrap();
    assert!(edited.edited_at.is_some());
    let bobs = bob
        .add_comment(&origin("bob"), &card.id, "Shipping Friday")
        .await
        .unwrap();

    // A viewer may not comment; nobody edits another's comment; only the author or the owner
    // deletes one. Through Tandem and through psql alike, and nothing is written.
    let before = alice.seq().await.unwrap();
    let refused = [
        carol
            .add_comment(&origin("carol"), &card.id, "Me too")
            .await
            .unwrap_err(),
        bob.edit_comment(&origin("bob"), &edited.id, edited.version, "Forged")
            .await
            .unwrap_err(),
        bob.delete_comment(&origin("bob"), &edited.id, edited.version)
            .await
            .unwrap_err(),
    ];
    for error in refused {
        assert!(matches!(error, Error::Forbidden { .. }), "{error:?}");
    }
    let server = TestServer::shared();
    let forgeries = [
        (
            "carol",
            format!(
                "INSERT INTO comments (id, task_id, body, created_at, updated_at)
                 VALUES ('c1', '{}', 'hi', 0, 0)",
                card.id
            ),
        ),
        // Dave may comment, but not as alice.
        (
            "dave",
            format!(
                "INSERT INTO comments (id, task_id, author, body, created_at, updated_at)
                 VALUES ('c2', '{}', 'alice', 'hi', 0, 0)",
                card.id
            ),
        ),
        (
            "bob",
            format!("UPDATE comments SET body = 'x' WHERE id = '{}'", edited.id),
        ),
        (
            "dave",
            format!(
                "UPDATE comments SET author = 'bob' WHERE id = '{}'",
                edited.id
            ),
        ),
        (
            "bob",
            format!("DELETE FROM comments WHERE id = '{}'", edited.id),
        ),
        // Bob may not put back a comment that was never deleted, nor make one up.
        (
            "bob",
            format!(
                "SELECT tandem_comment_back('{}', '{}', 0)",
                bobs.id, card.id
            ),
        ),
    ];
    for (login, sql) in &forgeries {
        assert!(server.psql_as(login, &name, sql).is_err(), "{login}: {sql}");
    }
    assert_eq!(alice.seq().await.unwrap(), before, "nothing written");
    let thread: Vec<(String, String)> = alice
        .comments(&card.id)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.author, c.body))
        .collect();
    assert_eq!(
        thread,
        [
            ("dave".to_owned(), "Looks great".to_owned()),
            ("bob".to_owned(), "Shipping Friday".to_owned())
        ]
    );

    // The owner deletes anyone's; an editor moves and deletes a card with others' comments,
    // and brings it back with them.
    alice
        .delete_comment(&origin("alice"), &bobs.id, bobs.version)
        .await
        .unwrap();
    let garden = bob.create_project(&origin("bob"), "Garden").await.unwrap();
    bob.set_member(&origin("bob"), &garden.id, "dave", Role::Commenter)
        .await
        .unwrap();
    let to = bob.board(&garden.id).await.unwrap().columns[0].id.clone();
    let card = bob.task(&card.id).await.unwrap();
    bob.transfer_task(&origin("bob"), &card.id, card.version, &to, 0)
        .await
        .unwrap();
    let moved = bob.comments(&card.id).await.unwrap();
    assert_eq!(moved.len(), 1);
    assert_eq!(
        (moved[0].author.as_str(), moved[0].body.as_str()),
        ("dave", "Looks great")
    );
    let card = bob.task(&card.id).await.unwrap();
    bob.delete_task(&origin("bob"), &card.id, card.version)
        .await
        .unwrap();
    bob.restore_task(&origin("bob"), &card.id).await.unwrap();
    let back = dave.comments(&card.id).await.unwrap();
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].author, "dave");
    // Alice left out of Garden sees none of it.
    assert_eq!(
        count_as("alice", &name, "SELECT count(*) FROM comments"),
        0,
        "alice is no member of Garden"
    );
}

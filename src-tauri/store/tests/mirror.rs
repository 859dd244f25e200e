//! A server board's copy on this machine, against a real server: what the person may see,
//! whole the first time, then kept current change by change, equal to the server's row by row,
//! searchable and private.

use super::people::{launch, open_as, team};
use crate::config::Location;
use crate::model::{Actor, Origin, Role};
use crate::store::{NewTask, Store, TaskEdit};

fn origin() -> Origin {
    Origin::new("alice-laptop", Actor::Gui)
}

/// Asserts the copy holds the server's boards as alice sees them, row by row.
pub(super) async fn same_boards(server: &Store, copy: &Store) {
    let projects = server.projects().await.unwrap();
    let copied = copy.projects().await.unwrap();
    assert_eq!(
        projects.iter().map(|p| &p.name).collect::<Vec<_>>(),
        copied.iter().map(|p| &p.name).collect::<Vec<_>>()
    );
    for project in &projects {
        let (theirs, their_texts) = server.whole_board(&project.id).await.unwrap();
        let (mine, my_texts) = copy.whole_board(&project.id).await.unwrap();
        assert_eq!(mine.project, theirs.project);
        assert_eq!(mine.columns, theirs.columns);
        assert_eq!(mine.tasks, theirs.tasks);
        assert_eq!(mine.subtasks, theirs.subtasks);
        assert_eq!(mine.labels, theirs.labels);
        assert_eq!(mine.task_labels, theirs.task_labels);
        assert_eq!(mine.task_assignees, theirs.task_assignees);
        assert_eq!(mine.comments, theirs.comments);
        // The server's head may be a change alice cannot see (another project's).
        assert!(
            mine.seq <= theirs.seq && mine.seq > 0,
            "the log, up to what she saw"
        );
        assert_eq!(my_texts.descriptions, their_texts.descriptions);
        assert_eq!(my_texts.comments, their_texts.comments);
    }
}

#[tokio::test]
async fn a_copy_of_a_server_board_is_what_its_person_sees_kept_current_change_by_change() {
    let (owner, name) = team(&["alice", "bob"]).await;
    let alice = open_as("alice", &name).await.unwrap();
    let launch = launch(&alice, "alice", &[("bob", Role::Editor)]).await;
    // A project alice is not in stays off her copy.
    owner
        .create_project(&Origin::new("owner", Actor::Cli), "Secret")
        .await
        .unwrap();
    let new = |title: &str| NewTask {
        project_id: launch.id.clone(),
        column_id: None,
        title: title.into(),
    };
    let ship = alice.create_task(&origin(), new("Ship")).await.unwrap();
    let plan = alice.create_task(&origin(), new("Plan")).await.unwrap();
    alice
        .edit_task(
            &origin(),
            &ship.id,
            ship.version,
            TaskEdit {
                description: Some("Ship it **soon**".into()),
                ..TaskEdit::default()
            },
        )
        .await
        .unwrap();
    alice
        .assign(&origin(), &ship.id, &["alice".into(), "bob".into()])
        .await
        .unwrap();
    let item = alice
        .add_subtask(&origin(), &ship.id, "Draft")
        .await
        .unwrap();
    alice
        .add_comment(&origin(), &ship.id, "Looks tidy")
        .await
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("servers/copy.db");
    let first = alice.mirror_to(&file).await.unwrap();
    assert!(first.whole);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the copy is the user's alone");
    }
    let copy = Store::open(&Location::File(file.clone()), &origin())
        .await
        .unwrap();
    same_boards(&alice, &copy).await;
    assert!(copy.find_project("Secret").await.is_err());
    copy.close().await;

    // Bob changes things: moved, renamed, a checklist item gone, a comment edited, a card
    // deleted, a label made and put on. The copy takes each change.
    let bob = open_as("bob", &name).await.unwrap();
    let by_bob = Origin::new("bob-desk", Actor::Gui);
    let doing = bob.board(&launch.id).await.unwrap().columns[1].id.clone();
    let ship = bob.task(&ship.id).await.unwrap();
    let moved = bob
        .move_task(&by_bob, &ship.id, ship.version, &doing, 0)
        .await
        .unwrap();
    bob.rename_task(&by_bob, &moved.id, moved.version, "Ship v2")
        .await
        .unwrap();
    let item = bob.subtask(&item.id).await.unwrap();
    bob.delete_subtask(&by_bob, &item.id, item.version)
        .await
        .unwrap();
    let plan = bob.task(&plan.id).await.unwrap();
    bob.delete_task(&by_bob, &plan.id, plan.version)
        .await
        .unwrap();
    bob.unassign(&by_bob, &ship.id, &["alice".into()])
        .await
        .unwrap();
    bob.add_comment(&by_bob, &ship.id, "Shipped with a needle")
        .await
        .unwrap();

    let then = alice.mirror_to(&file).await.unwrap();
    assert!(!then.whole, "change by change");
    assert!(then.changes >= 6, "{then:?}");
    let copy = Store::open(&Location::File(file.clone()), &origin())
        .await
        .unwrap();
    same_boards(&alice, &copy).await;
    // Search works on the copy, in comments too; history reads as on the server.
    let found = copy
        .search(crate::store::Search {
            text: "needle",
            project: None,
            prefixes: false,
            archived: false,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(
        copy.task_history(&ship.id).await.unwrap().len(),
        alice.task_history(&ship.id).await.unwrap().len()
    );
    copy.close().await;

    // Nothing new: nothing applied.
    let again = alice.mirror_to(&file).await.unwrap();
    assert_eq!((again.whole, again.changes), (false, 0));
}

#[tokio::test]
async fn a_copy_opened_while_its_server_is_away_reads_and_refuses_every_write_as_offline() {
    let (_owner, name) = team(&["alice"]).await;
    let alice = open_as("alice", &name).await.unwrap();
    let launch = launch(&alice, "alice", &[]).await;
    let new = NewTask {
        project_id: launch.id.clone(),
        column_id: None,
        title: "Ship".into(),
    };
    let ship = alice.create_task(&origin(), new.clone()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("copy.db");
    alice.mirror_to(&file).await.unwrap();
    let Location::Server(url) =
        Location::parse(&crate::testing::TestServer::shared().url_as("alice", &name)).unwrap()
    else {
        unreachable!("a server's URL")
    };

    let copy = Store::open_copy(&url, &file, &origin()).await.unwrap();
    assert_eq!(copy.copy_of(), Some(&url));
    assert_eq!(copy.task(&ship.id).await.unwrap().title, "Ship");
    assert!(matches!(
        copy.ping().await,
        crate::model::DatabaseStatus::Offline { .. }
    ));
    for refused in [
        copy.create_task(&origin(), new)
            .await
            .map(drop)
            .unwrap_err(),
        copy.rename_task(&origin(), &ship.id, ship.version, "Mine")
            .await
            .map(drop)
            .unwrap_err(),
    ] {
        assert!(
            matches!(refused, crate::error::Error::Offline { .. }),
            "{refused}"
        );
    }
    assert_eq!(
        copy.task(&ship.id).await.unwrap().title,
        "Ship",
        "nothing written"
    );
    // The test's server answers: the app would open it again.
    assert!(copy.server_is_back().await);
    // No copy yet: as offline as the server.
    let missing = Store::open_copy(&url, &dir.path().join("none.db"), &origin())
        .await
        .map(drop)
        .unwrap_err();
    assert!(matches!(missing, crate::error::Error::Offline { .. }));
}

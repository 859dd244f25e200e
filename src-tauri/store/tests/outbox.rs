//! Working offline against a real server: changes queued on this machine's copy while the
//! server is away, each applied once when it is back (even when an answer was lost), a refused
//! one kept with why, and the copy equal to the server afterwards.

use super::mirror::same_boards;
use super::people::{launch, open_as, team};
use crate::config::Location;
use crate::error::Error;
use crate::model::{Actor, Mutation, Origin, Queued, Role};
use crate::store::{NewTask, Store};
use crate::testing::TestServer;

fn laptop() -> Origin {
    Origin::new("alice-laptop", Actor::Gui)
}

/// A window's rename of `task`, as it saw it at `version`.
fn rename(task: &crate::model::Task, version: i64, title: &str) -> Mutation {
    Mutation::TaskEdit {
        id: task.id.clone(),
        expected_version: version,
        title: Some(title.into()),
        description: None,
        priority: None,
        due_date: None,
    }
}

#[tokio::test]
async fn changes_queued_offline_are_applied_once_in_order_and_a_refused_one_is_kept() {
    let (_owner, name) = team(&["alice", "bob"]).await;
    let alice = open_as("alice", &name).await.unwrap();
    let launch = launch(&alice, "alice", &[("bob", Role::Editor)]).await;
    let new = NewTask {
        project_id: launch.id.clone(),
        column_id: None,
        title: "Ship".into(),
    };
    let ship = alice.create_task(&laptop(), new).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("copy.db");
    alice.mirror_to(&file).await.unwrap();
    let Location::Server(url) =
        Location::parse(&TestServer::shared().url_as("alice", &name)).unwrap()
    else {
        unreachable!("a server's URL")
    };

    // Offline: three changes queued on the copy, shown there at once; a plain write refused.
    let copy = Store::open_copy(&url, &file, &laptop()).await.unwrap();
    for mutation in [
        rename(&ship, ship.version, "Ship v2"),
        Mutation::SubtaskAdd {
            task_id: ship.id.clone(),
            title: "Draft".into(),
        },
        Mutation::CommentAdd {
            task_id: ship.id.clone(),
            body: "Written on the train".into(),
        },
    ] {
        copy.queue(&laptop(), mutation).await.unwrap();
    }
    assert_eq!(copy.task(&ship.id).await.unwrap().title, "Ship v2");
    assert_eq!(Store::waiting(&file).await.unwrap(), 3);
    let plain = copy.rename_task(&laptop(), &ship.id, 2, "x").await;
    assert!(matches!(plain, Err(Error::Offline { .. })), "{plain:?}");
    let restore = Mutation::Restore {
        entity: crate::model::EntityKind::Task,
        id: ship.id.0.clone(),
    };
    assert!(copy.queue(&laptop(), restore).await.is_err());
    // The copy is not brought up while changes wait.
    assert_eq!(alice.mirror_to(&file).await.unwrap().changes, 0);
    copy.close().await;

    // The first change's commit landed but its answer was lost: the replay finds it applied.
    let (mut raw, _) = crate::store::sql::sqlite::open(&file).await.unwrap();
    let machine: String = crate::store::sql::query("SELECT id FROM outbox_machine")
        .scalar(&mut raw.conn())
        .await
        .unwrap();
    raw.close().await.unwrap();
    let first = Origin {
        queued: Some(Queued {
            machine,
            number: 1,
            mutation: None,
        }),
        ..laptop()
    };
    alice
        .apply_mutation(&first, rename(&ship, ship.version, "Ship v2"))
        .await
        .unwrap();

    let replayed = alice.replay(&file, &laptop()).await.unwrap();
    assert_eq!(
        (replayed.already, replayed.applied, replayed.refused),
        (1, 2, 0)
    );
    assert_eq!(alice.comments(&ship.id).await.unwrap().len(), 1, "once");
    assert_eq!(Store::waiting(&file).await.unwrap(), 0);
    let copy = Store::open(&Location::File(file.clone()), &laptop())
        .await
        .unwrap();
    same_boards(&alice, &copy).await;
    copy.close().await;

    // Offline again: a rename of a card bob renames meanwhile is refused on replay, kept with
    // why, and the next change still goes through.
    let copy = Store::open_copy(&url, &file, &laptop()).await.unwrap();
    let seen = copy.task(&ship.id).await.unwrap();
    copy.queue(&laptop(), rename(&ship, seen.version, "Mine"))
        .await
        .unwrap();
    copy.queue(
        &laptop(),
        Mutation::CommentAdd {
            task_id: ship.id.clone(),
            body: "Still here".into(),
        },
    )
    .await
    .unwrap();
    copy.close().await;
    let bob = open_as("bob", &name).await.unwrap();
    bob.rename_task(
        &Origin::new("bob", Actor::Gui),
        &ship.id,
        seen.version,
        "Bob's",
    )
    .await
    .unwrap();
    let replayed = alice.replay(&file, &laptop()).await.unwrap();
    assert_eq!((replayed.applied, replayed.refused), (1, 1));
    assert_eq!(alice.task(&ship.id).await.unwrap().title, "Bob's");
    assert_eq!(alice.comments(&ship.id).await.unwrap().len(), 2);
    let (mut raw, _) = crate::store::sql::sqlite::open(&file).await.unwrap();
    let kept: Vec<(String, String)> =
        crate::store::sql::query("SELECT state, reason FROM outbox ORDER BY number")
            .fetch_all(&mut raw.conn())
            .await
            .unwrap();
    raw.close().await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].0, "refused");
    assert!(kept[0].1.contains("changed elsewhere"), "{kept:?}");
}

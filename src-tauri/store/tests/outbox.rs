//! Working offline against a real server: changes queued on this machine's copy while the
//! server is away, each applied once when it is back (even when an answer was lost), a refused
//! one kept with why, and the copy equal to the server afterwards.

use super::mirror::same_boards;
use super::people::{launch, open_as, team};
use std::path::PathBuf;

use crate::config::{Location, ServerUrl};
use crate::error::Error;
use crate::model::{
    Actor, CommentId, Entity, LabelId, Mutation, Origin, ProjectId, QueueState, Queued, Role,
    SeenTask, SubtaskId, TaskId,
};
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

/// A copy of alice's board on database `name`, as the app keeps it: its folder, file and the
/// server's URL.
async fn copied(alice: &Store, name: &str) -> (tempfile::TempDir, PathBuf, ServerUrl) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("copy.db");
    alice.mirror_to(&file).await.unwrap();
    let Location::Server(url) =
        Location::parse(&TestServer::shared().url_as("alice", name)).unwrap()
    else {
        unreachable!("a server's URL")
    };
    (dir, file, url)
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
    let (_dir, file, url) = copied(&alice, &name).await;

    // Offline: three changes queued on the copy, shown there at once; a plain write refused.
    let copy = Store::open_copy(&url, &file, &laptop()).await.unwrap();
    for mutation in [
        rename(&ship, ship.version, "Ship v2"),
        Mutation::SubtaskAdd {
            task_id: ship.id.clone(),
            title: "Draft".into(),
            id: None,
        },
        Mutation::CommentAdd {
            task_id: ship.id.clone(),
            body: "Written on the train".into(),
            id: None,
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
            id: None,
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
    assert_eq!(kept[0].1, "the card was changed on the server meanwhile");

    // The Couldn't apply list: what was tried, on which card, why, and theirs whole.
    let listed = Store::outbox(&file).await.unwrap();
    assert_eq!(listed.len(), 1);
    let refused = &listed[0];
    assert_eq!(refused.state, QueueState::Refused);
    assert_eq!(refused.task_id.as_ref(), Some(&ship.id));
    assert_eq!(refused.what, "change a card's title to “Mine”");
    assert!(
        matches!(&refused.theirs, Some(Entity::Task(t)) if t.title == "Bob's"),
        "{refused:?}"
    );
    // Keep mine: made anew over bob's, as a new write.
    alice
        .keep_mine(&file, refused.number, &laptop())
        .await
        .unwrap();
    assert_eq!(alice.task(&ship.id).await.unwrap().title, "Mine");
    assert!(Store::outbox(&file).await.unwrap().is_empty());
    let again = alice.keep_mine(&file, refused.number, &laptop()).await;
    assert!(matches!(again, Err(Error::Invalid { .. })), "{again:?}");

    // Keep theirs, and a waiting change dropped: neither applied, and what follows goes on.
    alice.mirror_to(&file).await.unwrap();
    let copy = Store::open_copy(&url, &file, &laptop()).await.unwrap();
    let seen = copy.task(&ship.id).await.unwrap();
    copy.queue(&laptop(), rename(&ship, seen.version, "Dropped"))
        .await
        .unwrap();
    copy.queue(&laptop(), rename(&ship, seen.version + 1, "Kept"))
        .await
        .unwrap();
    copy.close().await;
    let waiting = Store::outbox(&file).await.unwrap();
    assert_eq!(waiting.len(), 2);
    assert_eq!(waiting[0].state, QueueState::Waiting);
    Store::drop_queued(&file, waiting[0].number).await.unwrap();
    let replayed = alice.replay(&file, &laptop()).await.unwrap();
    // The second rename was made over the first, which never reached the server: refused.
    assert_eq!((replayed.applied, replayed.refused), (0, 1));
    assert_eq!(alice.task(&ship.id).await.unwrap().title, "Mine");
    let number = Store::outbox(&file).await.unwrap()[0].number;
    Store::drop_queued(&file, number).await.unwrap();
    assert!(Store::outbox(&file).await.unwrap().is_empty());
    let missing = Store::drop_queued(&file, number).await;
    assert!(matches!(missing, Err(Error::Invalid { .. })), "{missing:?}");
    assert_eq!(Store::waiting(&file).await.unwrap(), 0);
}

/// The entity a queued change answered with.
fn made(entity: Option<Entity>) -> String {
    match entity {
        Some(Entity::Task(t)) => t.id.0,
        Some(Entity::Project(p)) => p.id.0,
        Some(Entity::Subtask(s)) => s.id.0,
        Some(Entity::Label(l)) => l.id.0,
        Some(Entity::Column(c)) => c.id.0,
        Some(Entity::Comment(c)) => c.id.0,
        other => panic!("made nothing: {other:?}"),
    }
}

#[tokio::test]
async fn what_is_made_offline_keeps_its_id_so_what_was_queued_after_it_finds_it() {
    let (_owner, name) = team(&["alice"]).await;
    let alice = open_as("alice", &name).await.unwrap();
    let (_dir, file, url) = copied(&alice, &name).await;

    // Offline: a project, a card in its first column moved to its second, a checklist item on
    // the card ticked, a label made and put on it, a column added, a comment edited, and a card
    // made and then archived and another deleted.
    let copy = Store::open_copy(&url, &file, &laptop()).await.unwrap();
    let q = async |mutation| copy.queue(&laptop(), mutation).await.unwrap();
    let trip = ProjectId(made(
        q(Mutation::ProjectCreate {
            name: "Trip".into(),
            id: None,
        })
        .await,
    ));
    let columns = copy.board(&trip).await.unwrap().columns;
    let card = TaskId(made(
        q(Mutation::TaskCreate {
            project_id: trip.clone(),
            column_id: None,
            title: "Book the train".into(),
            id: None,
        })
        .await,
    ));
    q(Mutation::TaskMove {
        id: card.clone(),
        expected_version: 1,
        to_column: columns[1].id.clone(),
        to_index: 0,
    })
    .await;
    let item = SubtaskId(made(
        q(Mutation::SubtaskAdd {
            task_id: card.clone(),
            title: "Seats".into(),
            id: None,
        })
        .await,
    ));
    q(Mutation::SubtaskCheck {
        id: item,
        expected_version: 1,
        done: true,
    })
    .await;
    let label = LabelId(made(
        q(Mutation::LabelCreate {
            project_id: trip.clone(),
            name: "Travel".into(),
            color: "#3b82f6".into(),
            id: None,
        })
        .await,
    ));
    q(Mutation::TaskLabel {
        id: card.clone(),
        label_id: label,
        on: true,
    })
    .await;
    q(Mutation::ColumnCreate {
        project_id: trip.clone(),
        name: "Booked".into(),
        index: None,
        id: None,
    })
    .await;
    let comment = CommentId(made(
        q(Mutation::CommentAdd {
            task_id: card.clone(),
            body: "Frist class?".into(),
            id: None,
        })
        .await,
    ));
    q(Mutation::CommentEdit {
        id: comment,
        expected_version: 1,
        body: "First class?".into(),
    })
    .await;
    for (title, archive) in [("Pack", true), ("Mistake", false)] {
        let other = TaskId(made(
            q(Mutation::TaskCreate {
                project_id: trip.clone(),
                column_id: Some(columns[0].id.clone()),
                title: title.into(),
                id: None,
            })
            .await,
        ));
        q(if archive {
            Mutation::TasksArchive {
                tasks: vec![SeenTask {
                    id: other,
                    expected_version: 1,
                }],
                archived: true,
            }
        } else {
            Mutation::TaskDelete {
                id: other,
                expected_version: 1,
            }
        })
        .await;
    }
    // The card moves to another project made offline, bringing its label there (made anew),
    // and that label is taken off it again.
    let home = ProjectId(made(
        q(Mutation::ProjectCreate {
            name: "Home".into(),
            id: None,
        })
        .await,
    ));
    let home_columns = copy.board(&home).await.unwrap().columns;
    let seen = copy.task(&card).await.unwrap();
    q(Mutation::TaskTransfer {
        id: card.clone(),
        expected_version: seen.version,
        to_column: home_columns[0].id.clone(),
        to_index: 0,
    })
    .await;
    let brought = copy.board(&home).await.unwrap().labels;
    assert_eq!(brought.len(), 1);
    q(Mutation::TaskLabel {
        id: card.clone(),
        label_id: brought[0].id.clone(),
        on: false,
    })
    .await;
    assert_eq!(Store::waiting(&file).await.unwrap(), 17);
    copy.close().await;

    // Back: everything applied, nothing refused, and the server's board is the copy's.
    let (mut before, _) = crate::store::sql::sqlite::open(&file).await.unwrap();
    let copied: Vec<(String, String)> =
        crate::store::sql::query("SELECT id, title FROM tasks ORDER BY id")
            .fetch_all(&mut before.conn())
            .await
            .unwrap();
    before.close().await.unwrap();
    let replayed = alice.replay(&file, &laptop()).await.unwrap();
    assert_eq!(
        (replayed.applied, replayed.refused),
        (17, 0),
        "{replayed:?}"
    );
    let task = alice.task(&card).await.unwrap();
    assert_eq!(task.column_id, home_columns[0].id);
    let there = alice.board(&home).await.unwrap().labels;
    assert_eq!(
        (there.len(), &there[0].id, &there[0].name),
        (1, &brought[0].id, &brought[0].name),
        "the label the move brought has the id it had on the copy"
    );
    assert!(alice.task_labels(&card).await.unwrap().is_empty());
    let subtasks = alice.subtasks(&card).await.unwrap();
    assert!(subtasks[0].done);
    assert_eq!(alice.comments(&card).await.unwrap()[0].body, "First class?");
    let copy = Store::open(&Location::File(file.clone()), &laptop())
        .await
        .unwrap();
    same_boards(&alice, &copy).await;
    let (mut after, _) = crate::store::sql::sqlite::open(&file).await.unwrap();
    let sent: Vec<(String, String)> =
        crate::store::sql::query("SELECT id, title FROM tasks ORDER BY id")
            .fetch_all(&mut after.conn())
            .await
            .unwrap();
    after.close().await.unwrap();
    assert_eq!(copied, sent, "the cards kept the ids they were made with");
    copy.close().await;
}

#[tokio::test]
async fn an_id_given_to_what_a_change_makes_must_be_a_uuid() {
    let test = crate::store::testing::store().await;
    let store = &test.store;
    let project = store.projects().await.unwrap().remove(0);
    let bad = Mutation::TaskCreate {
        project_id: project.id.clone(),
        column_id: None,
        title: "x".into(),
        id: Some(TaskId("../../etc".into())),
    };
    let refused = store.change(&laptop(), bad).await;
    assert!(matches!(refused, Err(Error::Invalid { .. })), "{refused:?}");
    let good = "0192b1a0-0000-7000-8000-000000000001";
    let made = store
        .change(
            &laptop(),
            Mutation::TaskCreate {
                project_id: project.id,
                column_id: None,
                title: "x".into(),
                id: Some(TaskId(good.to_uppercase())),
            },
        )
        .await
        .unwrap();
    assert!(matches!(made, Some(Entity::Task(t)) if t.id.0 == good));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_replay_cut_off_by_the_server_stopping_sends_each_change_once_when_it_is_back() {
    const QUEUED: usize = 1_000;
    let server = std::sync::Arc::new(TestServer::start().expect("a server of its own"));
    let location = Location::parse(&server.database().url).unwrap();
    let Location::Server(url) = location.clone() else {
        unreachable!("a server's URL")
    };
    let online = std::sync::Arc::new(Store::open(&location, &laptop()).await.unwrap());
    let project = online.projects().await.unwrap().remove(0);
    let new = NewTask {
        project_id: project.id,
        column_id: None,
        title: "Log".into(),
    };
    let card = online.create_task(&laptop(), new).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("copy.db");
    online.mirror_to(&file).await.unwrap();
    let copy = Store::open_copy(&url, &file, &laptop()).await.unwrap();
    for i in 0..QUEUED {
        let add = Mutation::CommentAdd {
            task_id: card.id.clone(),
            body: format!("entry {i}"),
            id: None,
        };
        copy.queue(&laptop(), add).await.unwrap();
    }
    copy.close().await;

    // The server stops partway through, whatever is in flight then (a COMMIT among them).
    let runtime = tokio::runtime::Handle::current();
    let sending = tokio::task::spawn_blocking({
        let (online, file, runtime) = (online.clone(), file.clone(), runtime.clone());
        move || runtime.block_on(online.replay(&file, &laptop()))
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while online.comments(&card.id).await.map_or(0, |c| c.len()) < 20 {
        assert!(
            std::time::Instant::now() < deadline,
            "the replay never started"
        );
        tokio::task::yield_now().await;
    }
    let stopping = server.clone();
    tokio::task::spawn_blocking(move || stopping.crash())
        .await
        .unwrap()
        .expect("the server stops");
    let cut = sending.await.unwrap();
    assert!(cut.is_err(), "the replay was cut off: {cut:?}");
    let left = Store::waiting(&file).await.unwrap();
    assert!(left > 0 && left < QUEUED as i64, "{left} left");

    // Back: sent again until done; every change is there exactly once.
    let starting = server.clone();
    tokio::task::spawn_blocking(move || starting.start_again())
        .await
        .unwrap()
        .expect("the server starts again");
    let back = Store::open(&location, &laptop()).await.unwrap();
    let replayed = back.replay(&file, &laptop()).await.unwrap();
    assert_eq!(replayed.refused, 0, "{replayed:?}");
    let comments = back.comments(&card.id).await.unwrap();
    let bodies: std::collections::BTreeSet<&str> =
        comments.iter().map(|c| c.body.as_str()).collect();
    assert_eq!(comments.len(), QUEUED, "each change once");
    assert_eq!(bodies.len(), QUEUED);
    assert_eq!(Store::waiting(&file).await.unwrap(), 0);
    back.close().await;
}

#[tokio::test]
async fn a_change_refused_for_lost_rights_is_kept_and_the_next_goes_on() {
    let (_owner, name) = team(&["alice", "bob"]).await;
    let bob = open_as("bob", &name).await.unwrap();
    let launch = launch(&bob, "bob", &[("alice", Role::Editor)]).await;
    let new = NewTask {
        project_id: launch.id.clone(),
        column_id: None,
        title: "Ship".into(),
    };
    let ship = bob.create_task(&laptop(), new).await.unwrap();
    let alice = open_as("alice", &name).await.unwrap();
    let (_dir, file, url) = copied(&alice, &name).await;

    // Offline, alice renames the card and makes a project of her own; meanwhile bob makes her
    // a viewer of Launch.
    let copy = Store::open_copy(&url, &file, &laptop()).await.unwrap();
    copy.queue(&laptop(), rename(&ship, ship.version, "Shipped"))
        .await
        .unwrap();
    let own = Mutation::ProjectCreate {
        name: "Alice's".into(),
        id: None,
    };
    copy.queue(&laptop(), own).await.unwrap();
    copy.close().await;
    bob.set_member(&laptop(), &launch.id, "alice", Role::Viewer)
        .await
        .unwrap();

    let replayed = alice.replay(&file, &laptop()).await.unwrap();
    assert_eq!((replayed.applied, replayed.refused), (1, 1), "{replayed:?}");
    assert_eq!(bob.task(&ship.id).await.unwrap().title, "Ship");
    assert!(alice
        .projects()
        .await
        .unwrap()
        .iter()
        .any(|p| p.name == "Alice's"));
    let kept = Store::outbox(&file).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].task_id.as_ref(), Some(&ship.id));
    let why = kept[0].reason.as_deref().unwrap_or_default();
    assert!(
        why.contains("your role in this project does not allow this"),
        "{why}"
    );
    assert!(
        kept[0].theirs.is_none(),
        "not a conflict: nothing to set beside it"
    );
}

#[tokio::test]
async fn past_its_limit_the_outbox_refuses_an_edit_whole_rather_than_drop_one() {
    let (_owner, name) = team(&["alice"]).await;
    let alice = open_as("alice", &name).await.unwrap();
    let project = alice.projects().await.unwrap().remove(0);
    let new = NewTask {
        project_id: project.id,
        column_id: None,
        title: "Ship".into(),
    };
    let ship = alice.create_task(&laptop(), new).await.unwrap();
    let (_dir, file, url) = copied(&alice, &name).await;
    let copy = Store::open_copy(&url, &file, &laptop()).await.unwrap();
    copy.queue(&laptop(), rename(&ship, ship.version, "One"))
        .await
        .unwrap();
    // The rest of the limit, as if queued one by one.
    let (mut raw, _) = crate::store::sql::sqlite::open(&file).await.unwrap();
    crate::store::sql::query(
        "WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
         INSERT INTO outbox (number, mutation, made_at) SELECT i, '{}', 0 FROM n",
    )
    .bind(crate::store::OUTBOX_LIMIT)
    .execute(&mut raw.conn())
    .await
    .unwrap();
    crate::store::sql::query("UPDATE outbox_machine SET next = $1")
        .bind(crate::store::OUTBOX_LIMIT + 1)
        .execute(&mut raw.conn())
        .await
        .unwrap();
    raw.close().await.unwrap();
    assert_eq!(Store::waiting(&file).await.unwrap(), 10_000);

    let seen = copy.task(&ship.id).await.unwrap();
    let refused = copy
        .queue(&laptop(), rename(&ship, seen.version, "Two"))
        .await;
    match refused {
        Err(Error::Invalid { field, reason }) => {
            assert_eq!(field, "outbox");
            assert!(reason.contains("the most this machine keeps"), "{reason}");
        }
        other => panic!("not refused: {other:?}"),
    }
    assert_eq!(
        copy.task(&ship.id).await.unwrap().title,
        "One",
        "nothing changed"
    );
    assert_eq!(Store::waiting(&file).await.unwrap(), 10_000);
    copy.close().await;
}

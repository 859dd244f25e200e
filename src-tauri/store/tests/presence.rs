//! Who is here, on a real server with real logins: seen by the project's members alone,
//! written by each person for themselves only, a wake-up for whoever watches, and gone once
//! stale.

use std::sync::Arc;
use std::time::Duration;

use super::people::{launch, open_as, team};
use crate::model::{Actor, Editing, Look, Origin, Role};
use crate::store::{NewTask, Store};
use crate::testing::TestServer;

const DEADLINE: Duration = Duration::from_secs(10);

/// What `store`'s person sees of the others: (login, window, card, editing).
async fn seen(store: &Store) -> Vec<(String, String, Option<String>, Option<String>)> {
    store
        .presence()
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.login, p.window_label, p.task_id.map(|t| t.0), p.editing))
        .collect()
}

#[tokio::test]
async fn presence_is_its_projects_members_alone_wakes_the_others_and_goes_when_stale() {
    let (_owner, name) = team(&["alice", "bob", "erin"]).await;
    let alice = open_as("alice", &name).await.unwrap();
    let bob = Arc::new(open_as("bob", &name).await.unwrap());
    let erin = open_as("erin", &name).await.unwrap();
    let launch = launch(&alice, "alice", &[("bob", Role::Viewer)]).await;
    let card = alice
        .create_task(
            &Origin::new("alice-laptop", Actor::Gui),
            NewTask {
                project_id: launch.id.clone(),
                column_id: None,
                title: "Ship".into(),
            },
        )
        .await
        .unwrap();

    // Bob's copy of Tandem watches the server, as a hub does, and hears presence wake-ups.
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
    let mut woken = bob.presence_changes();
    let editing = Look {
        project_id: Some(launch.id.clone()),
        task_id: Some(card.id.clone()),
        editing: Some(Editing::Description),
    };
    let viewing = Look {
        project_id: Some(launch.id.clone()),
        task_id: None,
        editing: None,
    };
    // Alice's look changes until bob hears of it: his watcher listens once it has connected,
    // and a change from before would wake no one.
    tokio::time::timeout(DEADLINE, async {
        for look in [&viewing, &editing].into_iter().cycle() {
            alice
                .present("alice-laptop", &[("board-1".into(), look.clone())], 1)
                .await
                .unwrap();
            let heard = tokio::time::timeout(Duration::from_millis(200), woken.changed());
            if heard.await.is_ok() {
                return;
            }
        }
    })
    .await
    .expect("bob woken within the deadline");
    alice
        .present("alice-laptop", &[("board-1".into(), editing)], 1)
        .await
        .unwrap();
    let alice_editing = (
        "alice".to_owned(),
        "board-1".to_owned(),
        Some(card.id.0.clone()),
        Some("description".to_owned()),
    );
    // Bob (a member) sees alice's window, not her copy's own row; erin sees nothing.
    assert_eq!(seen(&bob).await, std::slice::from_ref(&alice_editing));
    assert!(seen(&erin).await.is_empty());
    assert_eq!(seen(&alice).await.len(), 2, "her window and her copy");

    // Nobody writes another's presence, even through psql.
    let server = TestServer::shared();
    let bobs = |sql: &str| server.psql_as("bob", &name, sql);
    let forged = bobs(&format!(
        "INSERT INTO presence (login, instance, window_label, project_id)
         VALUES ('alice', 'fake', 'w', '{}')",
        launch.id.0
    ))
    .unwrap_err()
    .to_string();
    assert!(forged.contains("row-level security"), "{forged}");
    for sql in [
        "UPDATE presence SET task_id = NULL WHERE login = 'alice' RETURNING 1",
        "DELETE FROM presence WHERE login = 'alice' RETURNING 1",
    ] {
        assert_eq!(bobs(sql).unwrap().trim(), "", "{sql}");
    }
    assert_eq!(seen(&bob).await, [alice_editing]);

    // A copy that stops refreshing (killed, cable out) is gone once 30 s have passed.
    server
        .psql(
            &name,
            "SET session_replication_role = replica;
             UPDATE presence SET seen_at = seen_at - 31000 WHERE instance = 'alice-laptop'",
        )
        .unwrap();
    assert!(seen(&bob).await.is_empty(), "stale");
    // Back, then closing: gone at once.
    alice
        .present("alice-laptop", &[("board-1".into(), viewing)], 2)
        .await
        .unwrap();
    assert_eq!(seen(&bob).await.len(), 1);
    alice.leave("alice-laptop").await.unwrap();
    assert!(seen(&bob).await.is_empty());

    stop.send(()).unwrap();
    watching.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_file_has_one_person_and_no_presence() {
    let test = crate::store::testing::store().await;
    test.store
        .present("me", &[("board-1".into(), Look::default())], 1)
        .await
        .unwrap();
    assert!(test.store.presence().await.unwrap().is_empty());
}

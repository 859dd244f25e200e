//! Exactly once, against a real server: a machine's queued changes, numbered without gaps,
//! each applied in the transaction that records its number; sent again, found applied; a
//! refused one passed over so the rest go on; machines interleaving; nobody using another
//! person's machine, even through `psql`.

use super::people::{launch, open_as, team};
use crate::error::Error;
use crate::model::{Actor, Origin, Queued, Role};
use crate::store::NewTask;
use crate::testing::TestServer;

fn queued(machine: &str, number: i64) -> Origin {
    Origin {
        queued: Some(Queued {
            machine: machine.into(),
            number,
            mutation: None,
        }),
        ..Origin::new(machine, Actor::Hub)
    }
}

#[tokio::test]
async fn each_queued_change_is_applied_once_in_order_and_a_refused_one_lets_the_rest_go_on() {
    let (_owner, name) = team(&["alice", "bob"]).await;
    let alice = open_as("alice", &name).await.unwrap();
    let bob = open_as("bob", &name).await.unwrap();
    let launch = launch(&alice, "alice", &[("bob", Role::Editor)]).await;
    let new = |title: &str| NewTask {
        project_id: launch.id.clone(),
        column_id: None,
        title: title.into(),
    };
    let count = |title: &'static str| {
        let alice = &alice;
        let launch = &launch;
        async move {
            alice
                .tasks(&launch.id)
                .await
                .unwrap()
                .iter()
                .filter(|t| t.title == title)
                .count()
        }
    };

    // Change 1 lands; sent again (its answer lost), it is found applied: one card.
    let laptop = "alice-laptop";
    let card = alice
        .create_task(&queued(laptop, 1), new("Plan"))
        .await
        .unwrap();
    let again = alice.create_task(&queued(laptop, 1), new("Plan")).await;
    assert!(
        matches!(again, Err(Error::Applied { number: 1 })),
        "{again:?}"
    );
    assert_eq!(count("Plan").await, 1);

    // A gap is refused, writing nothing.
    let gap = alice.create_task(&queued(laptop, 3), new("Too soon")).await;
    assert!(
        matches!(
            gap,
            Err(Error::Invalid {
                field: "queued",
                ..
            })
        ),
        "{gap:?}"
    );
    assert_eq!(count("Too soon").await, 0);

    // Change 2 is refused (bob renamed the card meanwhile): passed over, change 3 goes on.
    let theirs = bob
        .rename_task(
            &Origin::new("bob", Actor::Gui),
            &card.id,
            card.version,
            "Bob's",
        )
        .await
        .unwrap();
    let stale = alice
        .rename_task(&queued(laptop, 2), &card.id, card.version, "Mine")
        .await;
    assert!(matches!(stale, Err(Error::Conflict { .. })), "{stale:?}");
    alice.pass_queued(&queued(laptop, 2)).await.unwrap();
    let passed_again = alice.pass_queued(&queued(laptop, 2)).await;
    assert!(matches!(passed_again, Err(Error::Applied { number: 2 })));
    assert_eq!(alice.task(&card.id).await.unwrap().title, theirs.title);
    alice
        .create_task(&queued(laptop, 3), new("After"))
        .await
        .unwrap();

    // Another machine's numbers are its own: both replay at once.
    let desk = "alice-desk";
    let (from_desk, from_laptop) = (queued(desk, 1), queued(laptop, 4));
    let (a, b) = tokio::join!(
        alice.create_task(&from_desk, new("From the desk")),
        alice.create_task(&from_laptop, new("From the laptop")),
    );
    a.unwrap();
    b.unwrap();
    assert_eq!(count("From the desk").await, 1);
    assert_eq!(count("From the laptop").await, 1);

    // Bob cannot use alice's machine, through Tandem or his own psql.
    let taken = bob.create_task(&queued(laptop, 5), new("Bob's try")).await;
    assert!(matches!(taken, Err(Error::Forbidden { .. })), "{taken:?}");
    let psql = TestServer::shared()
        .psql_as(
            "bob",
            &name,
            "UPDATE replays SET last = 0 RETURNING machine",
        )
        .unwrap();
    assert_eq!(psql.trim(), "");
    let applied = alice
        .create_task(&queued(laptop, 4), new("From the laptop"))
        .await;
    assert!(matches!(applied, Err(Error::Applied { number: 4 })));

    // A file has no outbox.
    let file = crate::store::testing::store().await;
    let project = file.store.first_project().await.unwrap().id;
    let refused = file
        .store
        .create_task(
            &queued("m", 1),
            NewTask {
                project_id: project,
                column_id: None,
                title: "x".into(),
            },
        )
        .await;
    assert!(
        matches!(
            refused,
            Err(Error::Invalid {
                field: "queued",
                ..
            })
        ),
        "{refused:?}"
    );
}

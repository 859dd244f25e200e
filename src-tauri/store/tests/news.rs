//! Watching and news on a real server, with real logins: who is told what, once, by the
//! database alone; each person's news theirs only, even through their own `psql`.

use super::people::{launch, open_as, team};
use crate::error::Error;
use crate::model::{Actor, NewsKind, Origin, Role};
use crate::store::{NewTask, Store, TaskEdit};
use crate::testing::TestServer;

fn origin(login: &str) -> Origin {
    Origin::new(&format!("{login}-machine"), Actor::Gui)
}

/// What `store`'s person has been told, oldest first: (kind, who did it, column or excerpt).
async fn told(store: &Store) -> Vec<(NewsKind, Option<String>, Option<String>)> {
    let mut news = store.news(true).await.unwrap();
    news.reverse();
    news.into_iter()
        .map(|n| (n.kind, n.actor, n.column.or(n.excerpt)))
        .collect()
}

/// A card titled `title` that `login` makes in `project`.
async fn card(
    store: &Store,
    login: &str,
    project: &crate::model::Project,
    title: &str,
) -> crate::model::Task {
    let new = NewTask {
        project_id: project.id.clone(),
        column_id: None,
        title: title.into(),
    };
    store.create_task(&origin(login), new).await.unwrap()
}

fn item(
    kind: NewsKind,
    actor: &str,
    said: Option<&str>,
) -> (NewsKind, Option<String>, Option<String>) {
    (kind, Some(actor.to_owned()), said.map(str::to_owned))
}

#[tokio::test]
async fn each_person_is_told_once_of_what_concerns_them_and_never_of_their_own_doing() {
    let (_owner, name) = team(&["alice", "bob", "carol", "dave", "erin"]).await;
    let [alice, bob, carol, dave] = [
        open_as("alice", &name).await.unwrap(),
        open_as("bob", &name).await.unwrap(),
        open_as("carol", &name).await.unwrap(),
        open_as("dave", &name).await.unwrap(),
    ];
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
    // Alice makes the card (and so watches it); bob puts dave on it.
    let card = card(&alice, "alice", &launch, "Ship").await;
    bob.assign(&origin("bob"), &card.id, &["dave".into(), "bob".into()])
        .await
        .unwrap();
    // Dave comments, mentioning bob, carol and erin (no member: nobody told), then mentions
    // alice too in an edit: only she is told of that.
    let said = dave
        .add_comment(&origin("dave"), &card.id, "@bob, @carol and @erin: look.")
        .await
        .unwrap();
    dave.edit_comment(
        &origin("dave"),
        &said.id,
        said.version,
        "@bob, @carol and @erin: look. And @alice.",
    )
    .await
    .unwrap();
    // Carol stops watching; bob moves the card to Doing, then archives it.
    carol
        .watch(&origin("carol"), &card.id, false)
        .await
        .unwrap();
    assert!(!carol.watching(&card.id).await.unwrap());
    assert!(
        bob.watching(&card.id).await.unwrap(),
        "on it, and mentioned"
    );
    let doing = &bob.board(&launch.id).await.unwrap().columns[1];
    let moved = bob
        .move_task(&origin("bob"), &card.id, card.version, &doing.id, 0)
        .await
        .unwrap();
    bob.set_archived(&origin("bob"), &[(card.id.clone(), moved.version)], true)
        .await
        .unwrap();

    let look = "@bob, @carol and @erin: look.";
    let again = "@bob, @carol and @erin: look. And @alice.";
    use NewsKind::*;
    assert_eq!(
        told(&alice).await,
        [
            item(Commented, "dave", Some(look)),
            item(Mentioned, "dave", Some(again)),
            item(Moved, "bob", Some("Doing")),
            item(Archived, "bob", None),
        ]
    );
    assert_eq!(told(&bob).await, [item(Mentioned, "dave", Some(look))]);
    assert_eq!(told(&carol).await, [item(Mentioned, "dave", Some(look))]);
    assert_eq!(
        told(&dave).await,
        [
            item(Assigned, "bob", None),
            item(Moved, "bob", Some("Doing")),
            item(Archived, "bob", None),
        ]
    );
    let erin = open_as("erin", &name).await.unwrap();
    assert!(told(&erin).await.is_empty(), "not a member: told nothing");
    let titles: Vec<String> = alice
        .news(true)
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.title)
        .collect();
    assert_eq!(titles, ["Ship"; 4]);

    // Read on one machine, read everywhere: what is unread is the server's to say.
    let first = alice.news(false).await.unwrap().pop().unwrap();
    assert_eq!(
        alice
            .read_news(&origin("alice"), std::slice::from_ref(&first.id))
            .await
            .unwrap(),
        1
    );
    let elsewhere = open_as("alice", &name).await.unwrap();
    assert_eq!(elsewhere.news(false).await.unwrap().len(), 3);
    assert_eq!(elsewhere.read_news(&origin("alice"), &[]).await.unwrap(), 3);
    assert!(alice.news(false).await.unwrap().is_empty());
    assert_eq!(bob.news(false).await.unwrap().len(), 1, "bob's are his own");
    // Someone else's id marks nothing.
    let bobs = bob.news(false).await.unwrap().remove(0).id;
    assert_eq!(alice.read_news(&origin("alice"), &[bobs]).await.unwrap(), 0);
    assert_eq!(bob.news(false).await.unwrap().len(), 1);
}

#[tokio::test]
async fn news_is_its_persons_alone_and_nobody_writes_it_even_through_psql() {
    let (_owner, name) = team(&["alice", "bob"]).await;
    let alice = open_as("alice", &name).await.unwrap();
    let bob = open_as("bob", &name).await.unwrap();
    let launch = launch(&alice, "alice", &[("bob", Role::Editor)]).await;
    let card = card(&bob, "bob", &launch, "Ship").await;
    alice
        .assign(&origin("alice"), &card.id, &["bob".into()])
        .await
        .unwrap();
    alice
        .add_comment(&origin("alice"), &card.id, "Thanks")
        .await
        .unwrap();
    assert_eq!(bob.news(true).await.unwrap().len(), 2);
    let server = TestServer::shared();
    let alice_sees = |sql: &str| server.psql_as("alice", &name, sql);
    // Alice sees none of bob's news, in the table or in the log, and cannot touch it.
    assert_eq!(alice_sees("SELECT count(*) FROM news").unwrap().trim(), "0");
    assert_eq!(
        alice_sees("SELECT count(*) FROM changes WHERE entity = 'news'")
            .unwrap()
            .trim(),
        "0"
    );
    assert_eq!(
        alice_sees("UPDATE news SET read_at = 1 WHERE login = 'bob' RETURNING id")
            .unwrap()
            .trim(),
        ""
    );
    assert_eq!(bob.news(false).await.unwrap().len(), 2, "still unread");
    // Nobody writes news: not for others, not for themselves; nor calls the teller.
    for forged in [
        format!(
            "INSERT INTO news (id, login, kind, project_id, task_id, created_at)
             VALUES ('x', 'bob', 'assigned', '{}', '{}', 1)",
            launch.id.0, card.id.0
        ),
        format!(
            "INSERT INTO news (id, login, kind, project_id, task_id, created_at)
             VALUES ('x', 'alice', 'assigned', '{}', '{}', 1)",
            launch.id.0, card.id.0
        ),
        format!(
            "SELECT tandem_tell('bob', 'assigned', '{}', '{{}}')",
            card.id.0
        ),
        "UPDATE news SET kind = 'due'".to_owned(),
    ] {
        let refused = alice_sees(&forged).unwrap_err().to_string();
        assert!(refused.contains("permission denied"), "{forged}: {refused}");
    }
    // Nor forges someone else's watching.
    let refused = alice_sees(&format!(
        "INSERT INTO watching (task_id, login, watch) VALUES ('{}', 'bob', false)",
        card.id.0
    ))
    .unwrap_err()
    .to_string();
    assert!(refused.contains("row-level security"), "{refused}");
    assert_eq!(bob.news(true).await.unwrap().len(), 2);
}

#[tokio::test]
async fn watchers_of_a_project_and_of_cards_due_tomorrow_are_told_once() {
    let (_owner, name) = team(&["alice", "bob"]).await;
    let alice = open_as("alice", &name).await.unwrap();
    let bob = open_as("bob", &name).await.unwrap();
    let launch = launch(&alice, "alice", &[("bob", Role::Editor)]).await;
    assert!(!bob.watching_project(&launch.id).await.unwrap());
    bob.watch_project(&origin("bob"), &launch.id, true)
        .await
        .unwrap();
    assert!(bob.watching_project(&launch.id).await.unwrap());
    let card = card(&alice, "alice", &launch, "Renew").await;
    assert!(bob.watching(&card.id).await.unwrap(), "by the project");
    alice
        .add_comment(&origin("alice"), &card.id, "Due soon")
        .await
        .unwrap();
    let tomorrow = time::OffsetDateTime::now_utc().date().next_day().unwrap();
    alice
        .edit_task(
            &origin("alice"),
            &card.id,
            card.version,
            TaskEdit {
                due_date: Some(Some(tomorrow.to_string())),
                ..TaskEdit::default()
            },
        )
        .await
        .unwrap();
    // Asked twice, from two machines: told once each, the watchers both.
    assert_eq!(bob.due_news(&origin("bob")).await.unwrap(), 2);
    assert_eq!(alice.due_news(&origin("alice")).await.unwrap(), 0);
    let kinds = |news: Vec<crate::model::News>| -> Vec<NewsKind> {
        news.into_iter().map(|n| n.kind).collect()
    };
    assert_eq!(
        kinds(bob.news(true).await.unwrap()),
        [NewsKind::Due, NewsKind::Commented]
    );
    let due = alice.news(true).await.unwrap().remove(0);
    assert_eq!(
        (due.kind, due.actor, due.due),
        (NewsKind::Due, None, Some(tomorrow.to_string()))
    );
    // Unwatching the project stops the cards it alone made him watch.
    bob.watch_project(&origin("bob"), &launch.id, false)
        .await
        .unwrap();
    assert!(!bob.watching(&card.id).await.unwrap());
}

#[tokio::test]
async fn a_file_has_no_watching_and_no_news() {
    let test = crate::store::testing::store().await;
    let store = test.store;
    let inbox = store.first_project().await.unwrap();
    let card = store
        .create_task(
            &test.origin,
            NewTask {
                project_id: inbox.id,
                column_id: None,
                title: "Mine".into(),
            },
        )
        .await
        .unwrap();
    let refused = store.watch(&test.origin, &card.id, true).await.unwrap_err();
    assert!(
        matches!(refused, Error::Invalid { field: "watch", .. }),
        "{refused}"
    );
    assert!(store.news(true).await.unwrap().is_empty());
}

//! People in real windows: a viewer's window on a team board receives a project live when its
//! owner adds them, offers no way to change it (and says why when asked), and lets it go when
//! they are taken off.

use tandem::testing::{TestDatabase, TestServer};

use super::{on_desktop, ENTER, UI_TIMEOUT};

/// WebDriver's Control key down, Enter, then every modifier up.
const CTRL_ENTER: &str = "\u{E009}\u{E007}\u{E000}";
use crate::common::{eventually, Sandbox};

/// Runs `tandem args` in `sandbox`, which must succeed.
fn ok(sandbox: &Sandbox, args: &[&str]) -> String {
    let output = sandbox.tandem(args);
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// A new team board on the shared server with `logins` in its team: each one's sandbox.
fn team_of<const N: usize>(logins: [&str; N]) -> [Sandbox; N] {
    let server = TestServer::shared();
    let database = server.database();
    let owner = Sandbox::on_server(&database.url);
    ok(&owner, &["team", "init"]);
    logins.map(|login| {
        server.login(login).expect("a login");
        ok(&owner, &["team", "add", login]);
        Sandbox::on_server(&server.url_as(login, &database.name))
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_viewers_window_receives_the_project_live_cannot_change_it_and_lets_it_go() {
    let [alice, bob] = team_of(["alice", "bob"]);
    ok(&alice, &["project", "add", "Launch"]);
    ok(
        &alice,
        &["task", "add", "Secret plan", "--project", "Launch"],
    );

    on_desktop(&bob, async |desktop| {
        let app = desktop.launch().await;
        // Bob is in no project of anyone's yet: he starts in an Inbox of his own.
        app.find(r#"section[aria-label="To do"]"#).await;
        app.wait_for_text("button.badge", &["Live"]).await;
        let projects = app.find("label.project select").await;
        assert!(!projects.text().await.unwrap().contains("Launch"));

        ok(
            &alice,
            &["member", "add", "Launch", "bob", "--role", "viewer"],
        );
        app.wait_for_text("label.project select", &["Inbox", "Launch"])
            .await;
        app.find("label.project select")
            .await
            .select_by_label("Launch")
            .await
            .unwrap();
        let card = app.card("To do", "Secret plan").await;
        app.wait_for_text(".read-only", &["You are a viewer of Launch"])
            .await;
        // No way to add a card or a column, or to open a column's menu.
        app.gone(r#"input[aria-label="Add a card to To do"]"#).await;
        app.gone(r#"input[aria-label="Add a column"]"#).await;
        app.gone(r#"button[aria-label="Column menu for To do"]"#)
            .await;
        // A key that would edit says why it does nothing.
        card.send_keys(ENTER).await.unwrap();
        app.wait_for_text(".notice", &["You are a viewer of “Launch”"])
            .await;
        app.gone("input.edit").await;

        // Made an editor, the same window may add cards at once.
        ok(
            &alice,
            &["member", "add", "Launch", "bob", "--role", "editor"],
        );
        app.find(r#"input[aria-label="Add a card to To do"]"#)
            .await
            .send_keys(&format!("Bob's idea{ENTER}"))
            .await
            .unwrap();
        app.card("To do", "Bob's idea").await;
        let history = eventually("bob's card in alice's view", UI_TIMEOUT, async || {
            let listed = ok(&alice, &["task", "ls", "--project", "Launch"]);
            listed.contains("Bob's idea").then_some(listed)
        })
        .await;
        assert!(history.contains("Secret plan"));

        // Taken off, the window lets the project go and says so.
        ok(&alice, &["member", "rm", "Launch", "bob"]);
        app.wait_for_text(".notice", &["You no longer have access to “Launch”"])
            .await;
        eventually("Launch to leave the project menu", UI_TIMEOUT, async || {
            let text = app.find("label.project select").await.text().await.ok()?;
            (!text.contains("Launch")).then_some(())
        })
        .await;
        app.find(r#"section[aria-label="To do"]"#).await;
    })
    .await;
}

/// The team's slots on a server of its own: 8 connections, 3 kept for superusers.
const TEAM_SLOTS: usize = 5;

/// A server that fills up quickly: its owner's team, with alice in it and a card of hers.
fn small_server() -> (TestServer, TestDatabase, Sandbox, Sandbox) {
    let server = TestServer::start_with_connections(8).expect("a server of its own");
    let database = server.database();
    let owner = Sandbox::on_server(&database.url);
    ok(&owner, &["team", "init"]);
    server.login("alice").expect("a login");
    ok(&owner, &["team", "add", "alice"]);
    let alice = Sandbox::on_server(&server.url_as("alice", &database.name));
    ok(&alice, &["task", "add", "Before it filled up"]);
    (server, database, owner, alice)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_window_on_a_full_server_says_so_refuses_an_edit_whole_and_comes_back_by_itself() {
    use sqlx::Connection as _;
    let (server, database, owner, alice) = small_server();

    on_desktop(&alice, async |desktop| {
        let app = desktop.launch().await;
        app.card("To do", "Before it filled up").await;
        app.wait_for_text("button.badge", &["Live"]).await;

        // Everyone else's machines take every slot that is left, and the window's machine
        // loses the one connection it kept (as when the server restarts): it cannot get
        // another.
        let url = server.url_as("alice", &database.name);
        let mut others = Vec::new();
        eventually(
            "the server to fill up without the window",
            UI_TIMEOUT,
            async || {
                server
                    .psql(
                        &database.name,
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
                     WHERE usename = 'alice' AND application_name LIKE 'tandem%'",
                    )
                    .expect("psql ends the window's connections");
                while let Ok(conn) = sqlx::PgConnection::connect(&url).await {
                    others.push(conn);
                }
                // Every slot the team has is one of these: none is the window's.
                (others.len() >= TEAM_SLOTS).then_some(())
            },
        )
        .await;

        app.find(r#"input[aria-label="Add a card to To do"]"#)
            .await
            .send_keys(&format!("While full{ENTER}"))
            .await
            .unwrap();
        app.wait_for_text(".notice.error", &["is full", "max_connections"])
            .await;
        app.wait_for_titles("To do", &["Before it filled up"]).await;
        app.wait_for_text("button.badge", &["Server full · localhost"])
            .await;

        // Slots free up: the window is live again by itself, and edits go through.
        drop(others);
        app.wait_for_text("button.badge", &["Live"]).await;
        // The refused title waits in the field, to try again.
        let field = app.find(r#"input[aria-label="Add a card to To do"]"#).await;
        assert_eq!(
            field.prop("value").await.unwrap().as_deref(),
            Some("While full")
        );
        field.clear().await.unwrap();
        field
            .send_keys(&format!("After it emptied{ENTER}"))
            .await
            .unwrap();
        app.card("To do", "After it emptied").await;
        // The database's owner (a superuser's slot) reads what was written: nothing refused.
        let found = ok(&owner, &["search", "emptied"]);
        assert!(found.contains("After it emptied"), "{found}");
        let refused = owner.tandem(&["search", "While full"]);
        assert!(refused.stdout.is_empty(), "nothing refused was written");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn tandem_started_on_a_full_server_says_so_and_opens_the_board_once_a_slot_frees() {
    use sqlx::Connection as _;
    let (server, database, owner, alice) = small_server();

    // Everyone else's machines take every slot the team has, before alice starts Tandem.
    let url = server.url_as("alice", &database.name);
    let mut others = Vec::new();
    while let Ok(conn) = sqlx::PgConnection::connect(&url).await {
        others.push(conn);
    }
    assert!(others.len() >= TEAM_SLOTS, "{} slots taken", others.len());

    on_desktop(&alice, async |desktop| {
        // Not an exit nobody sees: a window that says what and why, and waits.
        let app = desktop.launch().await;
        app.wait_for_text(
            "main",
            &[
                "The team's server is full",
                "localhost",
                "max_connections",
                "Tandem tries again every few seconds",
            ],
        )
        .await;
        super::axe::clean(&app, "the window of a board that cannot be opened").await;
        // Given by TANDEM_DB, not the settings: there is no other board to offer.
        let buttons = app.find("main .actions").await.text().await.unwrap();
        assert!(!buttons.contains("default"), "{buttons}");
        app.click("main button.primary").await;
        app.wait_for_text(r#"main [role="status"]"#, &["tried 2 times"])
            .await;

        // A slot frees up: Tandem starts anew on the board by itself, its window among those
        // the team sees.
        drop(others);
        eventually("alice's window on the board", UI_TIMEOUT, async || {
            let here = ok(&owner, &["who", "--json"]);
            here.contains("\"login\": \"alice\"").then_some(())
        })
        .await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn news_arrives_live_in_the_inbox_opens_its_card_and_reads_on_every_machine() {
    let [alice, bob] = team_of(["alice", "bob"]);
    ok(&alice, &["project", "add", "Launch"]);
    ok(
        &alice,
        &["member", "add", "Launch", "bob", "--role", "editor"],
    );
    let plan = ok(&alice, &["task", "add", "Plan", "--project", "Launch"]);
    let notes = ok(&alice, &["task", "add", "Notes", "--project", "Launch"]);

    on_desktop(&bob, async |desktop| {
        let app = desktop.launch().await;
        let inbox = "button.inbox";
        app.wait_for_content(
            &format!(r#"{inbox}[aria-label="Inbox, nothing unread"]"#),
            &[],
        )
        .await;
        // Alice puts bob on a card and mentions him on another: his window counts both.
        ok(&alice, &["task", "assign", &plan, "bob"]);
        ok(
            &alice,
            &["comment", "add", &notes, "@bob can you write these?"],
        );
        app.find(&format!(r#"{inbox}[aria-label="Inbox 2 unread"]"#))
            .await;
        app.click(inbox).await;
        let panel = r#"[role="dialog"][aria-label="Inbox"]"#;
        app.wait_for_text(
            panel,
            &[
                "alice mentioned you on “Notes”: @bob can you write these?",
                "alice put you on “Plan”",
                "Launch",
            ],
        )
        .await;
        super::axe::clean(&app, "the inbox").await;
        // Opening the mention goes to its card's conversation and marks it read, on the
        // server: the command line (another machine, as far as the server knows) agrees.
        app.click(&format!(r#"{panel} button.item"#)).await;
        app.find(r#"[role="dialog"][aria-label="Card details"]"#)
            .await;
        app.wait_for_text(
            r#"section[aria-label="Comments"]"#,
            &["can you write these?"],
        )
        .await;
        app.find(&format!(r#"{inbox}[aria-label="Inbox 1 unread"]"#))
            .await;
        let unread = ok(&bob, &["inbox"]);
        assert!(
            unread.contains("put you on “Plan”") && !unread.contains("mentioned"),
            "{unread}"
        );
        // Mentioned, he watches the card; he stops, and alice's next comment tells him nothing.
        app.click(r#"button.watch[aria-pressed="true"]"#).await;
        app.find(r#"button.watch[aria-pressed="false"]"#).await;
        ok(&alice, &["comment", "add", &notes, "Never mind"]);
        ok(&alice, &["comment", "add", &plan, "Thanks for taking it"]);
        app.find(&format!(r#"{inbox}[aria-label="Inbox 2 unread"]"#))
            .await;
        // Bob answers with a mention typed from the list `@` offers: alice is told.
        let reply = app.find(r#"textarea[aria-label="Write a comment"]"#).await;
        reply.send_keys("Sure @al").await.unwrap();
        app.wait_for_text(
            r#"[aria-label="People to mention"]:not([hidden])"#,
            &["@alice"],
        )
        .await;
        super::axe::clean(&app, "a card's details offering people to mention").await;
        reply.send_keys(&format!("{ENTER}will do")).await.unwrap();
        app.wait_for_value(
            r#"textarea[aria-label="Write a comment"]"#,
            "Sure @alice will do",
        )
        .await;
        reply.send_keys(CTRL_ENTER).await.unwrap();
        app.wait_for_text(
            r#"section[aria-label="Comments"] .mention[data-login="alice"]"#,
            &["@alice"],
        )
        .await;
        eventually(
            "alice to be told of bob's mention",
            UI_TIMEOUT,
            async || {
                let news = ok(&alice, &["inbox"]);
                news.contains("bob mentioned you on “Notes”: Sure @alice will do")
                    .then_some(())
            },
        )
        .await;
        // Watching the whole project, he hears of a card he has nothing to do with.
        app.find(r#"[role="dialog"][aria-label="Card details"]"#)
            .await
            .send_keys("\u{E00C}")
            .await
            .unwrap();
        app.click(inbox).await;
        app.click(&format!(
            r#"{panel} label[title^="News of every card"] input"#
        ))
        .await;
        eventually("the project watched", UI_TIMEOUT, async || {
            let later = ok(&alice, &["task", "add", "Later", "--project", "Launch"]);
            ok(&alice, &["comment", "add", &later, "Someday"]);
            ok(&bob, &["inbox"]).contains("“Later”").then_some(())
        })
        .await;
        // Read on another machine, read here.
        ok(&bob, &["inbox", "read"]);
        app.find(&format!(r#"{inbox}[aria-label="Inbox, nothing unread"]"#))
            .await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn who_is_here_shows_in_the_other_persons_window_and_leaves_after_a_kill() {
    let [alice, bob] = team_of(["alice", "bob"]);
    ok(&alice, &["project", "add", "Launch"]);
    ok(
        &alice,
        &["member", "add", "Launch", "bob", "--role", "editor"],
    );
    let card = ok(&alice, &["task", "add", "Ship", "--project", "Launch"]);
    // Her own Inbox (made when she first came) goes: her window opens on Launch.
    ok(&alice, &["project", "rm", "Inbox", "--yes"]);

    on_desktop(&bob, async |desktop| {
        let app = desktop.launch().await;
        app.find("label.project select")
            .await
            .select_by_label("Launch")
            .await
            .unwrap();
        app.card("To do", "Ship").await;
        assert_eq!(ok(&bob, &["who"]).lines().count(), 1, "bob himself");

        // Alice opens Tandem on her machine: bob's window shows her at the top at once.
        let mut hers = desktop.instance(&alice);
        app.find(r#".here[aria-label="Also here: alice"]"#).await;
        app.wait_for_text(".here", &["AL", "2 here"]).await;
        let listed = ok(&bob, &["who", "--project", "Launch"]);
        assert!(
            listed.contains("alice") && listed.contains("Launch: on the board"),
            "{listed}"
        );

        // Another copy of hers (the test, as a third machine) edits the card bob has open.
        let store = tandem::store::Store::open(
            &tandem::config::Location::parse(alice.database().to_str().unwrap()).unwrap(),
            &tandem::model::Origin::new("alice-desk", tandem::model::Actor::Gui),
        )
        .await
        .unwrap();
        app.card("To do", "Ship")
            .await
            .send_keys(" ")
            .await
            .unwrap();
        let project = store.find_project("Launch").await.unwrap().id;
        let look = tandem::model::Look {
            project_id: Some(project),
            task_id: Some(tandem::model::TaskId(card.clone())),
            editing: Some(tandem::model::Editing::Description),
        };
        store
            .present("alice-desk", &[("board-1".into(), look)], 1)
            .await
            .unwrap();
        app.wait_for_text(".others", &["alice is editing the description"])
            .await;
        store.leave("alice-desk").await.unwrap();
        app.gone(".others").await;

        // Her machine vanishes (kill -9): within 30 s she is gone from bob's window.
        hers.kill().unwrap();
        hers.wait().unwrap();
        eventually("alice to leave bob's window", STALE_DEADLINE, async || {
            let here = app.client.find(fantoccini::Locator::Css(".here")).await;
            here.is_err().then_some(())
        })
        .await;
    })
    .await;
}

/// Presence is gone 30 s after a machine vanishes, and windows read it every 5 s.
const STALE_DEADLINE: std::time::Duration = std::time::Duration::from_secs(40);

#[tokio::test(flavor = "multi_thread")]
async fn news_notifies_once_on_the_machine_in_use_and_a_burst_as_one() {
    let [alice, bob] = team_of(["alice", "bob"]);
    ok(&alice, &["project", "add", "Launch"]);
    ok(&alice, &["project", "rm", "Inbox", "--yes"]);
    ok(
        &alice,
        &["member", "add", "Launch", "bob", "--role", "editor"],
    );
    let card = ok(&bob, &["task", "add", "Ship", "--project", "Launch"]);
    // Alice's second machine: the same login, its own copy of Tandem and folders.
    let laptop = Sandbox::on_server(&alice.database().to_string_lossy());

    on_desktop(&alice, async |desktop| {
        let app = desktop.launch().await;
        app.card("To do", "Ship").await;
        let _other = desktop.instance(&laptop);
        eventually(
            "both of alice's copies to be here",
            UI_TIMEOUT,
            async || {
                let json = ok(&alice, &["who", "--json"]);
                (json.matches("\"login\": \"alice\"").count() == 2).then_some(())
            },
        )
        .await;
        // Alice uses this machine: a click on the board.
        app.click(r#"section[aria-label="To do"]"#).await;
        let told = async |count: usize, last: &str| {
            eventually("the notification", UI_TIMEOUT, async || {
                let shown = desktop.notifications();
                (shown.len() >= count).then_some(shown)
            })
            .await;
            let shown = desktop.notifications();
            assert_eq!(shown.len(), count, "{shown:?}");
            assert!(shown[count - 1].contains(last), "{shown:?}");
        };

        ok(&bob, &["task", "assign", &card, "alice"]);
        told(1, "bob put you on “Ship”").await;
        // A hundred comments from bob's command line: one notification.
        let mut writers = Vec::new();
        for part in 0..4 {
            let bob = Sandbox::on_server(&bob.database().to_string_lossy());
            let card = card.clone();
            writers.push(std::thread::spawn(move || {
                for i in 0..25 {
                    ok(
                        &bob,
                        &["comment", "add", &card, &format!("Note {part}-{i}")],
                    );
                }
            }));
        }
        for writer in writers {
            writer.join().unwrap();
        }
        told(2, "bob commented on “Ship” in Launch").await;
        // A last change, so nothing from before can still come: three in all.
        ok(&bob, &["task", "move", &card, "--next"]);
        told(3, "bob moved “Ship” to Doing").await;
        // Her inbox has it all, on both machines.
        app.find(r#"button.inbox[aria-label="Inbox 102 unread"]"#)
            .await;
        assert_eq!(ok(&laptop, &["inbox"]).lines().count(), 102);
    })
    .await;
}

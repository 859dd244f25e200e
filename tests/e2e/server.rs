//! A real window on a team board: machine B's window follows machine A's command line and a
//! `psql` session through the server, says Offline when the server stops, goes on on this
//! machine's copy (edits queued), sends them once the server is back, and catches up.

use std::sync::Arc;

use tandem::testing::TestServer;

use super::card::open_card;
use super::{on_desktop, Side, CONFLICT, ENTER, UI_TIMEOUT};
use crate::common::{eventually, Sandbox};

#[tokio::test(flavor = "multi_thread")]
async fn a_window_follows_another_machine_works_on_through_an_outage_and_catches_up() {
    let server = Arc::new(TestServer::start().expect("a server of its own"));
    let database = server.database();
    let (a, b) = (
        Sandbox::on_server(&database.url),
        Sandbox::on_server(&database.url),
    );
    on_desktop(&b, async |desktop| {
        let app = desktop.launch().await;
        app.find(r#"section[aria-label="To do"]"#).await;
        app.wait_for_text("button.badge", &["Live"]).await;

        let added = a.tandem(&["task", "add", "From machine A"]);
        assert!(added.status.success(), "{added:?}");
        app.card("To do", "From machine A").await;
        server
            .psql(
                &database.name,
                "UPDATE tasks SET title = 'Renamed in psql' WHERE title = 'From machine A'",
            )
            .expect("psql updates");
        app.card("To do", "Renamed in psql").await;
        // Machine B keeps a copy of the board, a moment behind.
        copy_holds(&b, "Renamed in psql").await;

        crash(&server).await;
        app.wait_for_text("button.badge", &["Offline · localhost"])
            .await;

        // Soon the window goes on on the copy, without closing: its edits and the command
        // line's are queued, shown at once, counted and marked.
        app.find(r#"button.badge[aria-label*="copy of the board is shown"]"#)
            .await;
        app.find(r#"input[aria-label="Add a card to To do"]"#)
            .await
            .send_keys(&format!("While offline{ENTER}"))
            .await
            .unwrap();
        app.wait_for_titles("To do", &["Renamed in psql", "While offline"])
            .await;
        app.wait_for_text("button.badge", &["Offline · 1 change waiting"])
            .await;
        app.wait_for_text(".meta .waiting", &["Waiting"]).await;
        let queued = b.tandem(&["task", "add", "From the shell"]);
        assert!(queued.status.success(), "{queued:?}");
        app.wait_for_titles(
            "To do",
            &["Renamed in psql", "While offline", "From the shell"],
        )
        .await;
        app.wait_for_text("button.badge", &["Offline · 2 changes waiting"])
            .await;

        // The server back: both sent, each once, and the same window is on the server again.
        start_again(&server).await;
        app.wait_for_text("button.badge", &["Live"]).await;
        let on_server = server
            .psql(
                &database.name,
                "SELECT count(*) FROM tasks WHERE title IN ('While offline', 'From the shell')",
            )
            .unwrap();
        assert_eq!(on_server.trim(), "2");
        app.wait_for_titles(
            "To do",
            &["Renamed in psql", "While offline", "From the shell"],
        )
        .await;
        let later = eventually("machine A to write again", UI_TIMEOUT, async || {
            let output = a.tandem(&["task", "add", "After the outage"]);
            output.status.success().then_some(output)
        })
        .await;
        assert!(later.status.success());
        app.card("To do", "After the outage").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn settings_test_a_server_before_saving_it_and_tandem_opens_it_from_then_on() {
    let sandbox = Sandbox::new();
    let server = TestServer::shared();
    let database = server.database();
    let saved = sandbox.settings_file();
    on_desktop(&sandbox, async |desktop| {
        let app = desktop.launch().await;
        let settings = app.open_settings().await;
        app.wait_for_text(settings, &["In use", "TANDEM_DB chooses it for this run"])
            .await;
        let field = app.find("input#database").await;
        let test = "form.database button.secondary";

        // A database the server does not have: the test names it, nothing is saved.
        field.send_keys(&server.url("no_such_board")).await.unwrap();
        app.click(test).await;
        app.wait_for_text(r#"form.database [role="alert"]"#, &["no_such_board"])
            .await;
        // A password is refused before anything is tried.
        field.clear().await.unwrap();
        let with_password = database.url.replace("tandem@", "tandem:s3cret@");
        field
            .send_keys(&format!("{with_password}{ENTER}"))
            .await
            .unwrap();
        app.wait_for_text(r#"form.database [role="alert"]"#, &["~/.pgpass"])
            .await;
        let shown = app.find(settings).await.text().await.unwrap();
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(!saved.exists(), "nothing is saved from a refused database");

        // The team's database: tested, then saved.
        field.clear().await.unwrap();
        field.send_keys(&database.url).await.unwrap();
        app.click(test).await;
        app.wait_for_text("form.database .found", &["An empty database"])
            .await;
        field.send_keys(ENTER).await.unwrap();
        app.wait_for_text(
            "form.database .database-saved",
            &[
                "Saved. Tandem opens it when it starts again.",
                "Restart now",
            ],
        )
        .await;
        let file: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
        assert_eq!(file["database"], database.url.as_str());
        app.quit().await;
    })
    .await;

    // Started without --db or TANDEM_DB, Tandem works on the chosen server.
    let added = sandbox
        .command(&["task", "add", "Through the settings"])
        .env_remove("TANDEM_DB")
        .output()
        .expect("tandem runs");
    assert!(added.status.success(), "{added:?}");
    let titles = server
        .psql(&database.name, "SELECT string_agg(title, ',') FROM tasks")
        .unwrap();
    assert_eq!(titles.trim(), "Through the settings");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_edit_racing_another_machines_meets_the_conflict_dialog_and_keeps_either_side() {
    let database = TestServer::shared().database();
    let (a, b) = (
        Sandbox::on_server(&database.url),
        Sandbox::on_server(&database.url),
    );
    let added = a.tandem(&["task", "add", "Plan"]);
    assert!(added.status.success(), "{added:?}");
    let task = String::from_utf8_lossy(&added.stdout).trim().to_owned();
    let title_on_the_server = || {
        TestServer::shared()
            .psql(
                &database.name,
                &format!("SELECT title || ' v' || version FROM tasks WHERE id = '{task}'"),
            )
            .expect("psql reads")
            .trim()
            .to_owned()
    };
    on_desktop(&b, async |desktop| {
        let app = desktop.launch().await;
        let title = r#"textarea[aria-label="Title"]"#;

        // Machine B's window starts editing; machine A saves its own edit meanwhile.
        open_card(&app, "To do", "Plan").await;
        app.find(title).await.send_keys(" (mine)").await.unwrap();
        let theirs = a.tandem(&["task", "edit", &task, "--title", "Plan (theirs)"]);
        assert!(theirs.status.success(), "{theirs:?}");
        app.card("To do", "Plan (theirs)").await;
        // Saving shows both sides; B keeps its own.
        app.find(title).await.send_keys(ENTER).await.unwrap();
        app.wait_for_text(CONFLICT, &["Title", "Plan (mine)", "Plan (theirs)"])
            .await;
        app.keep(Side::Mine).await;
        eventually("the server to keep mine", UI_TIMEOUT, async || {
            title_on_the_server()
                .starts_with("Plan (mine) v")
                .then_some(())
        })
        .await;

        // Again, and this time B keeps theirs: nothing more is written.
        app.find(title).await.send_keys(" again").await.unwrap();
        let theirs = a.tandem(&["task", "edit", &task, "--title", "Final"]);
        assert!(theirs.status.success(), "{theirs:?}");
        app.card("To do", "Final").await;
        let before = title_on_the_server();
        app.find(title).await.send_keys(ENTER).await.unwrap();
        app.keep(Side::Theirs).await;
        app.card("To do", "Final").await;
        assert_eq!(
            title_on_the_server(),
            before,
            "keeping theirs writes nothing"
        );
        app.quit().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn tandem_opened_while_the_server_is_away_shows_its_copy_and_sends_queued_edits_once_back() {
    let server = Arc::new(TestServer::start().expect("a server of its own"));
    let database = server.database();
    let machine = Sandbox::on_server(&database.url);
    let added = machine.tandem(&["task", "add", "Plan the launch"]);
    assert!(added.status.success(), "{added:?}");
    on_desktop(&machine, async |desktop| {
        // Online, Tandem keeps a copy of the board on this machine.
        let app = desktop.launch().await;
        app.card("To do", "Plan the launch").await;
        let added = machine.tandem(&["task", "add", "Book the venue"]);
        assert!(added.status.success(), "{added:?}");
        app.card("To do", "Book the venue").await;
        copy_holds(&machine, "Book the venue").await;
        app.quit().await;

        crash(&server).await;
        // Opened while the server is away: the board as last seen, said to be offline.
        let app = desktop.launch().await;
        app.wait_for_titles("To do", &["Plan the launch", "Book the venue"])
            .await;
        app.wait_for_text("button.badge", &["Offline · localhost"])
            .await;
        // A card added waits for the server, shown meanwhile.
        app.find(r#"input[aria-label="Add a card to To do"]"#)
            .await
            .send_keys(&format!("While away{ENTER}"))
            .await
            .unwrap();
        app.wait_for_titles(
            "To do",
            &["Plan the launch", "Book the venue", "While away"],
        )
        .await;
        app.wait_for_text("button.badge", &["Offline · 1 change waiting"])
            .await;
        app.wait_for_text(".meta .waiting", &["Waiting"]).await;
        // Find works on the copy.
        app.find(r#"input[aria-label^="Filter cards"]"#)
            .await
            .send_keys("venue")
            .await
            .unwrap();
        app.wait_for_titles("To do", &["Book the venue"]).await;

        // A checklist item added in the card's details waits for the server, shown meanwhile.
        open_card(&app, "To do", "Book the venue").await;
        app.find(r#"input[aria-label="Add an item"]"#)
            .await
            .send_keys(&format!("Call them{ENTER}"))
            .await
            .unwrap();
        app.wait_for_text(r#"section[aria-label="Checklist"]"#, &["Call them", "0/1"])
            .await;
        app.wait_for_text("button.badge", &["Offline · 2 changes waiting"])
            .await;
        app.wait_for_text("button.outbox", &["2 waiting"]).await;
        // The server back, Tandem opens it again and sends what waited: the server has it.
        start_again(&server).await;
        // Asked of the server itself: the command line would send what waits too.
        eventually("the queued changes on the server", UI_TIMEOUT, async || {
            let found = server
                .psql(
                    &database.name,
                    "SELECT count(*) FROM subtasks WHERE title = 'Call them'
                     UNION ALL SELECT count(*) FROM tasks WHERE title = 'While away'",
                )
                .ok()?;
            (found.split_whitespace().collect::<Vec<_>>() == ["1", "1"]).then_some(())
        })
        .await;

        // Away again: the command line renames two cards on the copy while someone renames
        // them on the server. Sent when Tandem opens, both are refused, kept, shown both ways,
        // and settled: mine kept for one, theirs for the other.
        let id_of = |title: &str| {
            server
                .psql(
                    &database.name,
                    &format!("SELECT id FROM tasks WHERE title = '{title}'"),
                )
                .unwrap()
                .trim()
                .to_owned()
        };
        let (plan, venue) = (id_of("Plan the launch"), id_of("Book the venue"));
        app.quit().await;
        crash(&server).await;
        for (id, title) in [(&plan, "Mine"), (&venue, "Mine too")] {
            let queued = machine.tandem(&["task", "edit", id, "--title", title]);
            assert!(queued.status.success(), "{queued:?}");
        }
        start_again(&server).await;
        for (id, title) in [(&plan, "Theirs"), (&venue, "Theirs too")] {
            server
                .psql(
                    &database.name,
                    &format!(
                        "UPDATE tasks SET title = '{title}', version = version + 1 \
                         WHERE id = '{id}'"
                    ),
                )
                .unwrap();
        }
        let app = desktop.launch().await;
        app.wait_for_text("button.outbox", &["2 couldn't apply"])
            .await;
        app.click("button.outbox").await;
        let panel = r#"[role="dialog"][aria-label="Couldn't apply"]"#;
        app.wait_for_text(
            panel,
            &[
                "change a card's title to “Mine”",
                "the card was changed on the server meanwhile",
                "Theirs",
                "change a card's title to “Mine too”",
                "Theirs too",
            ],
        )
        .await;
        super::axe::clean(&app, "the Couldn't apply list").await;
        app.click(&format!("{panel} li:first-child button.primary"))
            .await;
        app.wait_for_text("button.outbox", &["1 couldn't apply"])
            .await;
        app.click(&format!("{panel} li:first-child button:not(.primary)"))
            .await;
        app.wait_for_text(panel, &["Nothing waits"]).await;
        app.wait_for_titles("To do", &["Mine", "Theirs too", "While away"])
            .await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn tandem_started_with_its_server_away_and_no_copy_says_so_and_opens_the_board_once_back() {
    let server = Arc::new(TestServer::start().expect("a server of its own"));
    let database = server.database();
    let machine = Sandbox::on_server(&database.url);
    // The command line wrote the board; Tandem never showed it here, so there is no copy.
    run(&machine, &["task", "add", "Plan the launch"]);
    let copies = machine.dir.path().join("cache/dev.tandem.board/servers");
    assert_eq!(the_copy(&copies), None);
    crash(&server).await;
    on_desktop(&machine, async |desktop| {
        let app = desktop.launch().await;
        app.wait_for_text(
            "main",
            &[
                "The team's server cannot be reached",
                "localhost",
                "no copy of the board yet",
            ],
        )
        .await;
        // The server back, Tandem starts anew on the board by itself, and keeps its copy.
        start_again(&server).await;
        copy_holds(&machine, "Plan the launch").await;
    })
    .await;
}

/// Stops `server` as a crash would (no goodbye to its clients), off the test's runtime.
async fn crash(server: &Arc<TestServer>) {
    let stopping = server.clone();
    tokio::task::spawn_blocking(move || stopping.crash())
        .await
        .unwrap()
        .expect("the server stops");
}

/// Starts `server` again on its data, off the test's runtime.
async fn start_again(server: &Arc<TestServer>) {
    let starting = server.clone();
    tokio::task::spawn_blocking(move || starting.start_again())
        .await
        .unwrap()
        .expect("the server starts again");
}

/// Waits until `machine`'s copy of its server board holds a card titled `title`.
async fn copy_holds(machine: &Sandbox, title: &str) {
    let copies = machine.dir.path().join("cache/dev.tandem.board/servers");
    let sql = format!("SELECT count(*) FROM tasks WHERE title = '{title}'");
    eventually("the copy to hold the card", UI_TIMEOUT, async || {
        let copy = the_copy(&copies)?;
        let held = std::process::Command::new("sqlite3")
            .arg(&copy)
            .arg(&sql)
            .output()
            .ok()?;
        (String::from_utf8_lossy(&held.stdout).trim() == "1").then_some(())
    })
    .await;
}

/// `tandem <args>` for `machine`, which must succeed; its standard output, trimmed.
fn run(machine: &Sandbox, args: &[&str]) -> String {
    let output = machine.tandem(args);
    assert!(output.status.success(), "{args:?}: {output:?}");
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_edits_from_two_windows_and_the_command_line_survive_an_outage_each_sent_once() {
    let server = Arc::new(TestServer::start().expect("a server of its own"));
    let database = server.database();
    let machine = Sandbox::on_server(&database.url);
    let first = run(&machine, &["task", "add", "Before"]);
    on_desktop(&machine, async |desktop| {
        let app = desktop.launch().await;
        app.card("To do", "Before").await;
        copy_holds(&machine, "Before").await;
        // Another copy of Tandem runs on this machine throughout, on the same board.
        let _second_copy = desktop.instance(&machine);

        crash(&server).await;
        app.find(r#"button.badge[aria-label*="copy of the board is shown"]"#)
            .await;

        // Ten cards from each of two windows, thirty changes from the command line.
        let add = r#"input[aria-label="Add a card to To do"]"#;
        for i in 0..10 {
            app.find(add)
                .await
                .send_keys(&format!("Window one {i}{ENTER}"))
                .await
                .unwrap();
            app.card("To do", &format!("Window one {i}")).await;
        }
        let (_, second) = super::live::open_second_window(&app).await;
        app.client.switch_to_window(second).await.unwrap();
        for i in 0..10 {
            app.find(add)
                .await
                .send_keys(&format!("Window two {i}{ENTER}"))
                .await
                .unwrap();
            app.card("To do", &format!("Window two {i}")).await;
        }
        for i in 0..10 {
            let made = run(&machine, &["task", "add", &format!("Shell {i}")]);
            run(&machine, &["task", "done", &made]);
            run(&machine, &["comment", "add", &first, &format!("Note {i}")]);
        }
        app.wait_for_text("button.badge", &["Offline · 50 changes waiting"])
            .await;
        app.card("Done", "Shell 9").await;

        // Closed and opened again while still offline: the copy, with what waits.
        app.quit().await;
        let app = desktop.launch().await;
        app.card("To do", "Window two 9").await;
        app.wait_for_text("button.badge", &["Offline · 50 changes waiting"])
            .await;
        app.quit().await;

        // The server back: every change applied once, in the order made.
        start_again(&server).await;
        eventually("every change on the server", UI_TIMEOUT, async || {
            let sent = run(&machine, &["outbox"]);
            sent.contains("Nothing waits").then_some(())
        })
        .await;
        let on_server = |sql: &str| server.psql(&database.name, sql).unwrap();
        assert_eq!(
            on_server("SELECT count(*), count(DISTINCT title) FROM tasks").trim(),
            "31|31"
        );
        let notes = on_server(&format!(
            "SELECT string_agg(body, ',' ORDER BY created_at) FROM comments WHERE task_id = '{first}'"
        ));
        let order: Vec<String> = (0..10).map(|i| format!("Note {i}")).collect();
        assert_eq!(notes.trim(), order.join(","), "in the order made");
        let done = on_server(
            "SELECT count(*) FROM tasks t JOIN columns c ON c.id = t.column_id
             WHERE c.name = 'Done' AND t.title LIKE 'Shell %'",
        );
        assert_eq!(done.trim(), "10");

        // Every window converges, and the copy equals the server row by row.
        let app = desktop.launch().await;
        app.wait_for_text("button.badge", &["Live"]).await;
        app.card("To do", "Window one 0").await;
        app.card("Done", "Shell 0").await;
        let rows = "SELECT id, title, column_id, position, version FROM tasks ORDER BY id";
        eventually("the copy to equal the server", UI_TIMEOUT, async || {
            let copies = machine.dir.path().join("cache/dev.tandem.board/servers");
            let copy = the_copy(&copies)?;
            let held = crate::common::sqlite3(&copy, rows);
            (held.trim() == on_server(rows).trim()).then_some(())
        })
        .await;
    })
    .await;
}

/// The copy of a server board in `copies`, a machine's folder of them (beside it, its
/// companions: the WAL, the sender's lock).
fn the_copy(copies: &std::path::Path) -> Option<std::path::PathBuf> {
    std::fs::read_dir(copies)
        .ok()?
        .flatten()
        .map(|entry| entry.path())
        .find(|path| path.extension().is_some_and(|e| e == "db"))
}

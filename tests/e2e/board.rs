//! The board window as a user meets it.

use std::time::Duration;

use fantoccini::actions::{InputSource, MouseActions, PointerAction, MOUSE_BUTTON_LEFT};
use fantoccini::Locator;

use super::{on_desktop, ALT_RIGHT, ARROW_DOWN, ENTER, REDO, UI_TIMEOUT, UNDO};
use crate::common::{eventually, Sandbox};

/// Waits until the database has the task titled `title` in the column named `column`.
async fn assert_in_database(sandbox: &Sandbox, title: &str, column: &str) {
    let store = sandbox.store().await;
    eventually(
        &format!("{title:?} to be in {column} in the database"),
        Duration::from_secs(10),
        || async {
            let inbox = store.first_project().await.ok()?;
            let board = store.board(&inbox.id).await.ok()?;
            let task = board.tasks.iter().find(|t| t.title == title)?;
            let found = board.columns.iter().find(|c| c.id == task.column_id)?;
            (found.name == column).then_some(())
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_board_that_cannot_be_opened_says_why_in_a_window_and_the_default_can_be_used() {
    // Settings ▸ Database chose another program's database; nothing gives TANDEM_DB.
    let mut sandbox = Sandbox::new();
    sandbox.given_db = false;
    let theirs = sandbox.dir.path().join("notes.db");
    crate::common::sqlite3(
        &theirs,
        "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine');",
    );
    let before = std::fs::read(&theirs).unwrap();
    let settings = sandbox.settings_file();
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    let chosen = serde_json::json!({ "database": theirs });
    std::fs::write(&settings, chosen.to_string()).unwrap();

    on_desktop(&sandbox, async |desktop| {
        // Not an exit nobody sees from the desktop: what, why, and what can be done.
        let app = desktop.launch().await;
        app.wait_for_text(
            "main",
            &[
                "Tandem cannot open its board",
                "notes.db",
                "another program's tables (notes)",
                "Put it right, then try again",
                "chosen in Settings",
            ],
        )
        .await;
        super::axe::clean(&app, "the window of a board that cannot be opened").await;
        app.click("main button.primary").await;
        app.wait_for_text(r#"main [role="status"]"#, &["tried 2 times"])
            .await;

        // The default board instead: the choice forgotten, Tandem anew on tandem.db in the
        // data folder, their file untouched.
        // Tandem restarts at once: the click's answer may never come.
        let use_default = app.find("main button.use-default").await;
        let _ = use_default.click().await;
        let default = sandbox.dir.path().join("data/dev.tandem.board/tandem.db");
        eventually("Tandem on the default board", UI_TIMEOUT, async || {
            default.exists().then_some(())
        })
        .await;
        let saved: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&settings).unwrap()).unwrap();
        assert!(saved["database"].is_null(), "{saved}");
    })
    .await;
    assert_eq!(
        std::fs::read(&theirs).unwrap(),
        before,
        "their file untouched"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_card_added_and_moved_by_keyboard_is_still_there_after_a_restart() {
    let sandbox = Sandbox::new();
    on_desktop(&sandbox, async |desktop| {
        let app = desktop.launch().await;

        let add = app.find(r#"input[aria-label="Add a card to To do"]"#).await;
        add.send_keys(&format!("Write the release notes{ENTER}"))
            .await
            .unwrap();
        let card = app.card("To do", "Write the release notes").await;
        assert_eq!(card.text().await.unwrap(), "Write the release notes");

        card.click().await.unwrap();
        card.send_keys(ALT_RIGHT).await.unwrap();
        app.card("Doing", "Write the release notes").await;
        app.gone(r#"section[aria-label="To do"] [data-task-id]"#)
            .await;
        assert_in_database(&sandbox, "Write the release notes", "Doing").await;

        app.quit().await;
        let app = desktop.launch().await;
        let card = app.card("Doing", "Write the release notes").await;
        assert_eq!(card.text().await.unwrap(), "Write the release notes");
        app.quit().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_card_dragged_onto_another_column_lands_where_it_was_dropped() {
    let sandbox = Sandbox::new();
    for (title, column) in [("Plan", "To do"), ("First", "Done"), ("Second", "Done")] {
        let output = sandbox.tandem(&["task", "add", title, "--column", column]);
        assert!(output.status.success());
    }
    on_desktop(&sandbox, async |desktop| {
        let app = desktop.launch().await;

        let card = app.card("To do", "Plan").await;
        let second = app.card("Done", "Second").await;
        // Down on the card, then over the top edge of "Second": it lands between the Done cards.
        let drag = MouseActions::new("mouse".into())
            .then(PointerAction::MoveToElement {
                element: card,
                duration: None,
                x: 0.0,
                y: 0.0,
            })
            .then(PointerAction::Down {
                button: MOUSE_BUTTON_LEFT,
            })
            .then(PointerAction::MoveBy {
                duration: Some(Duration::from_millis(100)),
                x: 20.0,
                y: 5.0,
            })
            .then(PointerAction::MoveToElement {
                element: second,
                duration: Some(Duration::from_millis(300)),
                x: 0.0,
                y: -8.0,
            })
            .then(PointerAction::Up {
                button: MOUSE_BUTTON_LEFT,
            });
        app.client.perform_actions(drag).await.unwrap();

        app.wait_for_titles("Done", &["First", "Plan", "Second"])
            .await;
        app.wait_for_titles("To do", &[]).await;
        assert_in_database(&sandbox, "Plan", "Done").await;
        app.quit().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_window_reopens_at_the_size_and_place_it_was_left() {
    let sandbox = Sandbox::new();
    on_desktop(&sandbox, async |desktop| {
        let app = desktop.launch().await;
        app.find(r#"section[aria-label="To do"]"#).await;
        app.client.set_window_rect(120, 90, 900, 620).await.unwrap();
        let left = app.client.get_window_rect().await.unwrap();
        // Saved once the window settles, so even a killed app remembers it.
        let saved = sandbox
            .dir
            .path()
            .join("config/dev.tandem.board/.window-state.json");
        eventually(
            "the window's state to be saved",
            Duration::from_secs(10),
            || async {
                let text = std::fs::read_to_string(&saved).ok()?;
                let state: serde_json::Value = serde_json::from_str(&text).ok()?;
                (state["board-1"]["width"] == 900).then_some(())
            },
        )
        .await;
        app.quit().await;

        let app = desktop.launch().await;
        app.find(r#"section[aria-label="To do"]"#).await;
        let reopened = app.client.get_window_rect().await.unwrap();
        assert_eq!(reopened, left, "(x, y, width, height)");
        app.quit().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn settings_chosen_in_the_panel_are_checked_saved_and_kept_for_the_next_start() {
    let sandbox = Sandbox::new();
    let saved = sandbox.settings_file();
    on_desktop(&sandbox, async |desktop| {
        let app = desktop.launch().await;
        let settings = app.open_settings().await;
        app.wait_for_text(settings, &["In force: the default, 100 ms"])
            .await;

        let field = app.find("input#debounce").await;
        field.send_keys(&format!("fast{ENTER}")).await.unwrap();
        app.wait_for_text(r#"[role="alert"]"#, &["not a whole number"])
            .await;
        assert!(!saved.exists(), "nothing is saved from bad input");

        field.clear().await.unwrap();
        field.send_keys(&format!("0{ENTER}")).await.unwrap();
        app.wait_for_text(settings, &["Saved.", "In force: 0 ms"])
            .await;
        let file: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
        assert_eq!(file["debounce_ms"], 0);
        app.quit().await;

        let app = desktop.launch().await;
        app.click(r#"button[aria-label="Settings"]"#).await;
        app.wait_for_text(settings, &["In force: 0 ms"]).await;
        let shown = app
            .find("input#debounce")
            .await
            .prop("value")
            .await
            .unwrap();
        assert_eq!(shown.as_deref(), Some("0"));

        // The theme applies at once and is saved; ? lists the shortcuts.
        app.find(&format!("{settings} select"))
            .await
            .select_by_label("Dark")
            .await
            .unwrap();
        app.find(r#"html[data-theme="dark"]"#).await;
        eventually("the theme to be saved", UI_TIMEOUT, async || {
            let file: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&saved).ok()?).ok()?;
            (file["theme"] == "dark").then_some(())
        })
        .await;
        app.find(settings).await.send_keys("?").await.unwrap();
        app.wait_for_text(
            r#"[role="dialog"][aria-label="Keyboard shortcuts"]"#,
            &["Ctrl+Shift+N", "Open another window"],
        )
        .await;
        app.quit().await;
    })
    .await;
}

/// The names of the Inbox's columns, in order, as the database has them.
async fn column_names(sandbox: &Sandbox) -> Vec<String> {
    let store = sandbox.store().await;
    let inbox = store.first_project().await.unwrap();
    let board = store.board(&inbox.id).await.unwrap();
    board.columns.into_iter().map(|c| c.name).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn columns_and_projects_are_added_renamed_limited_moved_and_deleted_from_the_window() {
    let sandbox = Sandbox::new();
    on_desktop(&sandbox, async |desktop| {
        let app = desktop.launch().await;
        let menu = async |column: &str| {
            app.click(&format!(r#"button[aria-label="Column menu for {column}"]"#))
                .await;
            app.find(&format!(r#"[role="dialog"][aria-label="Column {column}"]"#))
                .await
        };

        // A project added elsewhere shows in the project menu at once, and goes when deleted.
        assert!(sandbox.tandem(&["project", "add", "Side"]).status.success());
        app.find(r#"label.project option:nth-of-type(2)"#).await;
        app.wait_for_text("label.project select", &["Inbox", "Side"])
            .await;
        assert!(sandbox
            .tandem(&["project", "rm", "Side", "--yes"])
            .status
            .success());
        app.gone(r#"label.project option:nth-of-type(2)"#).await;

        // A WIP limit, shown in the header, and marked once exceeded.
        let doing = menu("Doing").await;
        let limit = doing
            .find(fantoccini::Locator::Css("#column-limit"))
            .await
            .unwrap();
        limit.send_keys(&format!("1{ENTER}")).await.unwrap();
        app.wait_for_text(r#"section[aria-label="Doing"] .count"#, &["0 / 1"])
            .await;
        for title in ["One", "Two"] {
            let output = sandbox.tandem(&["task", "add", title, "--column", "Doing"]);
            assert!(output.status.success());
        }
        let count = app.find(r#"section[aria-label="Doing"] .count.over"#).await;
        assert_eq!(count.text().await.unwrap(), "2 / 1");

        // Renamed, moved right, and a new column added at the end.
        let doing = menu("Doing").await;
        let name = doing
            .find(fantoccini::Locator::Css("#column-name"))
            .await
            .unwrap();
        name.clear().await.unwrap();
        name.send_keys(&format!("In progress{ENTER}"))
            .await
            .unwrap();
        menu("In progress")
            .await
            .find(fantoccini::Locator::XPath(
                ".//button[contains(., 'Move right')]",
            ))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        app.find(r#"input[aria-label="Add a column"]"#)
            .await
            .send_keys(&format!("Review{ENTER}"))
            .await
            .unwrap();
        app.find(r#"section[aria-label="Review"]"#).await;
        assert_eq!(
            column_names(&sandbox).await,
            ["To do", "Done", "In progress", "Review"]
        );

        // Deleted, its cards sent to Done.
        let progress = menu("In progress").await;
        progress
            .find(fantoccini::Locator::XPath(
                ".//button[contains(., 'Delete column')]",
            ))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        app.find("#tasks-to")
            .await
            .select_by_label("Done")
            .await
            .unwrap();
        // A column changed elsewhere meanwhile leaves the choice as it is.
        assert!(sandbox
            .tandem(&["column", "limit", "Review", "5"])
            .status
            .success());
        app.wait_for_text(r#"section[aria-label="Review"] .count"#, &["0 / 5"])
            .await;
        app.click(r#"[role="alert"] button.danger"#).await;
        app.gone(r#"section[aria-label="In progress"]"#).await;
        app.wait_for_titles("Done", &["One", "Two"]).await;
        assert_eq!(column_names(&sandbox).await, ["To do", "Done", "Review"]);

        // Undone: the column comes back with its cards; redone: it goes again.
        let card = app.card("Done", "One").await;
        card.send_keys(UNDO).await.unwrap();
        app.wait_for_titles("In progress", &["One", "Two"]).await;
        assert_eq!(
            column_names(&sandbox).await,
            ["To do", "Done", "In progress", "Review"]
        );
        app.card("In progress", "One")
            .await
            .send_keys(REDO)
            .await
            .unwrap();
        app.gone(r#"section[aria-label="In progress"]"#).await;
        app.wait_for_titles("Done", &["One", "Two"]).await;

        // A project added shows in this window; renamed; deleted, the window goes back.
        app.click(r#"button[aria-label="Manage projects"]"#).await;
        app.find(r#"input[aria-label="New project name"]"#)
            .await
            .send_keys(&format!("Work{ENTER}"))
            .await
            .unwrap();
        app.find(r#"main[aria-label="Work board"]"#).await;
        let name = app.find(r#"input[aria-label="Name of Work"]"#).await;
        name.clear().await.unwrap();
        name.send_keys(&format!("Job{ENTER}")).await.unwrap();
        app.find(r#"main[aria-label="Job board"]"#).await;
        app.click(r#"button[aria-label="Delete Job"]"#).await;
        app.click(r#"[role="alert"] button.danger"#).await;
        app.find(r#"main[aria-label="Inbox board"]"#).await;
        // The deletion undone brings the project back into the list; redone, it goes again.
        let panel = app.find(r#"[role="dialog"][aria-label="Projects"]"#).await;
        panel.send_keys(UNDO).await.unwrap();
        app.find(r#"input[aria-label="Name of Job"]"#).await;
        // The project may show (its change arriving live) before the undo's own answer, which
        // is what makes it redoable: Ctrl+Shift+Z until it goes (a redo with nothing to redo
        // does nothing).
        eventually("the redo to delete Job again", UI_TIMEOUT, async || {
            panel.send_keys(REDO).await.ok()?;
            let left = app
                .client
                .find_all(Locator::Css(r#"input[aria-label="Name of Job"]"#))
                .await
                .ok()?;
            left.is_empty().then_some(())
        })
        .await;
        let store = sandbox.store().await;
        let names: Vec<String> = store
            .projects()
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(names, ["Inbox"]);
        app.quit().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_column_changed_elsewhere_while_its_menu_is_open_is_merged_or_settled_in_the_conflict_dialog(
) {
    let sandbox = Sandbox::new();
    on_desktop(&sandbox, async |desktop| {
        let app = desktop.launch().await;
        let open_menu = async |column: &str| {
            app.click(&format!(r#"button[aria-label="Column menu for {column}"]"#))
                .await;
            app.find("#column-name").await
        };
        let cli = |args: &[&str]| assert!(sandbox.tandem(args).status.success());

        // Someone sets a limit while I rename: both stand, and no dialog.
        let name = open_menu("Doing").await;
        cli(&["column", "limit", "Doing", "4"]);
        app.wait_for_text(r#"section[aria-label="Doing"] .count"#, &["0 / 4"])
            .await;
        name.clear().await.unwrap();
        name.send_keys(&format!("Busy{ENTER}")).await.unwrap();
        app.find(r#"section[aria-label="Busy"]"#).await;
        let store = sandbox.store().await;
        let inbox = store.first_project().await.unwrap().id;
        let busy = store.find_column(&inbox, "Busy").await.unwrap();
        assert_eq!(busy.wip_limit, Some(4), "their limit kept beside my name");

        // Someone renames it while I rename it too: I am asked, and keep mine.
        let name = open_menu("Busy").await;
        cli(&["column", "rename", "Busy", "Theirs"]);
        app.find(r#"section[aria-label="Theirs"]"#).await;
        name.clear().await.unwrap();
        name.send_keys(&format!("Mine{ENTER}")).await.unwrap();
        let conflict = r#"[role="alertdialog"][aria-label="Changed elsewhere"]"#;
        app.wait_for_text(conflict, &["“Theirs”", "Name", "Mine", "Theirs"])
            .await;
        app.click(&format!("{conflict} td:nth-of-type(1) button"))
            .await;
        app.gone(conflict).await;
        app.find(r#"section[aria-label="Mine"]"#).await;
        let mine = store.find_column(&inbox, "Mine").await.unwrap();
        assert_eq!(mine.wip_limit, Some(4));
        app.quit().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_filter_narrows_the_board_and_holds_through_live_changes() {
    let sandbox = Sandbox::new();
    for title in ["Fix login bug", "Write docs", "Fix typo"] {
        assert!(sandbox.tandem(&["task", "add", title]).status.success());
    }
    let store = sandbox.store().await;
    let inbox = store.first_project().await.unwrap();
    let bug = store.tasks(&inbox.id).await.unwrap().remove(0);
    let edit = sandbox.tandem(&["task", "edit", &bug.id.0, "--priority", "high"]);
    assert!(edit.status.success());
    on_desktop(&sandbox, async |desktop| {
        let app = desktop.launch().await;
        app.wait_for_titles("To do", &["Fix login bug", "Write docs", "Fix typo"])
            .await;
        // "/" from the board jumps to the filter's words.
        let card = app.card("To do", "Write docs").await;
        card.click().await.unwrap();
        card.send_keys("/").await.unwrap();
        let focused = app.client.active_element().await.unwrap();
        assert_eq!(
            focused.attr("aria-label").await.unwrap().as_deref(),
            Some("Filter cards by words")
        );
        focused.send_keys("fix").await.unwrap();
        let words = focused;
        app.wait_for_titles("To do", &["Fix login bug", "Fix typo"])
            .await;
        app.wait_for_text(r#"[role="search"]"#, &["2 of 3 cards"])
            .await;

        // Changes made elsewhere go through the same filter.
        for title in ["Fix the build", "Plan the week"] {
            assert!(sandbox.tandem(&["task", "add", title]).status.success());
        }
        app.wait_for_titles("To do", &["Fix login bug", "Fix typo", "Fix the build"])
            .await;
        // Words are found in a card's description and checklist too, as they change.
        let docs = store.tasks(&inbox.id).await.unwrap().remove(1);
        let edit = [
            "task",
            "edit",
            &docs.id.0,
            "--description",
            "Fixture data for the API",
        ];
        assert!(sandbox.tandem(&edit).status.success());
        app.wait_for_titles(
            "To do",
            &["Fix login bug", "Write docs", "Fix typo", "Fix the build"],
        )
        .await;
        let edit = ["task", "edit", &docs.id.0, "--description", ""];
        assert!(sandbox.tandem(&edit).status.success());
        app.wait_for_titles("To do", &["Fix login bug", "Fix typo", "Fix the build"])
            .await;
        // Alt+↑ steps past the shown card above, not the hidden one between them.
        let typo = app.card("To do", "Fix typo").await;
        typo.click().await.unwrap();
        typo.send_keys("\u{E00A}\u{E013}\u{E000}").await.unwrap();
        app.wait_for_titles("To do", &["Fix typo", "Fix login bug", "Fix the build"])
            .await;
        app.find(r#"select[aria-label="Filter by priority"]"#)
            .await
            .select_by_value("high")
            .await
            .unwrap();
        app.wait_for_titles("To do", &["Fix login bug"]).await;

        // Esc in the words clears the whole filter.
        words.send_keys("\u{E00C}").await.unwrap();
        app.wait_for_titles(
            "To do",
            &[
                "Fix typo",
                "Fix login bug",
                "Write docs",
                "Fix the build",
                "Plan the week",
            ],
        )
        .await;

        // Who is on a card, as it changes elsewhere: dana's, then nobody's.
        let plan = store
            .tasks(&inbox.id)
            .await
            .unwrap()
            .into_iter()
            .find(|t| t.title == "Plan the week")
            .expect("the card added from the command line");
        let assign = ["task", "assign", &plan.id.0, "dana"];
        assert!(sandbox.tandem(&assign).status.success());
        // Her initials arrive on the card, in her colour once the window reads who she is.
        app.wait_for_text(r#"[aria-label="Assigned to dana"]"#, &["DA"])
            .await;
        let colour = tandem::store::color_for("dana");
        eventually("dana's colour", UI_TIMEOUT, async || {
            let style = app
                .find(r#"[aria-label="Assigned to dana"]"#)
                .await
                .attr("style")
                .await
                .ok()??;
            style.contains(colour).then_some(())
        })
        .await;
        let by = r#"select[aria-label="Filter by assignee"]"#;
        eventually("dana among the assignees", UI_TIMEOUT, async || {
            app.find(by).await.select_by_value("dana").await.ok()
        })
        .await;
        app.wait_for_titles("To do", &["Plan the week"]).await;
        app.find(by)
            .await
            .select_by_value("(nobody)")
            .await
            .unwrap();
        app.wait_for_titles(
            "To do",
            &["Fix typo", "Fix login bug", "Write docs", "Fix the build"],
        )
        .await;
        app.quit().await;
    })
    .await;
}

/// A column of 300 cards draws only those in view, yet the keyboard walks to the last card and
/// find finds one far down, and the count says 300.
#[tokio::test(flavor = "multi_thread")]
async fn a_long_column_draws_the_cards_in_view_and_the_keyboard_and_find_reach_every_card() {
    const CARDS: usize = 300;
    let sandbox = Sandbox::new();
    let store = sandbox.store().await;
    let inbox = store.first_project().await.unwrap();
    let origin = tandem::model::Origin::new("seed", tandem::model::Actor::Cli);
    for n in 1..=CARDS {
        let new = tandem::store::NewTask {
            project_id: inbox.id.clone(),
            column_id: None,
            title: format!("Card {n:03}"),
        };
        store.create_task(&origin, new).await.unwrap();
    }
    store.close().await;
    on_desktop(&sandbox, async |desktop| {
        let app = desktop.launch().await;
        let first = app.card("To do", "Card 001").await;
        app.wait_for_text(
            r#"section[aria-label="To do"] .count"#,
            &[&CARDS.to_string()],
        )
        .await;
        let drawn = app
            .client
            .find_all(Locator::Css(
                r#"section[aria-label="To do"] [data-task-id]"#,
            ))
            .await
            .unwrap()
            .len();
        assert!(
            (5..CARDS / 2).contains(&drawn),
            "{drawn} of {CARDS} cards drawn"
        );

        // Arrow down, card after card, to the last one.
        first.click().await.unwrap();
        first
            .send_keys(&ARROW_DOWN.repeat(CARDS - 1))
            .await
            .unwrap();
        eventually("the last card to have the focus", UI_TIMEOUT, async || {
            let focused = app.client.active_element().await.ok()?;
            let label = focused.attr("aria-label").await.ok()??;
            (label == format!("Card {CARDS:03}")).then_some(())
        })
        .await;

        // Find reaches a card that is not drawn.
        let words = app
            .find(r#"input[aria-label="Filter cards by words"]"#)
            .await;
        words.send_keys("card 150").await.unwrap();
        app.wait_for_titles("To do", &["Card 150"]).await;
        app.quit().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_app_backs_the_board_up_once_a_day_unless_the_settings_say_not_to() {
    let sandbox = Sandbox::new();
    assert!(sandbox
        .tandem(&["task", "add", "Keep me safe"])
        .status
        .success());
    let backups = sandbox.dir.path().join("data/dev.tandem.board/backups");
    let made = || -> Vec<std::path::PathBuf> {
        std::fs::read_dir(&backups)
            .map(|entries| entries.filter_map(|e| Some(e.ok()?.path())).collect())
            .unwrap_or_default()
    };
    // Read from a copy: opening a database makes its WAL files beside it.
    let read = |file: &std::path::Path| {
        let copy = sandbox.dir.path().join("read-back.db");
        std::fs::copy(file, &copy).unwrap();
        let listed = sandbox.tandem(&["--db", copy.to_str().unwrap(), "task", "ls"]);
        String::from_utf8_lossy(&listed.stdout).into_owned()
    };
    on_desktop(&sandbox, async |desktop| {
        let app = desktop.launch().await;
        app.wait_for_titles("To do", &["Keep me safe"]).await;
        let file = eventually("today's backup", UI_TIMEOUT, async || made().pop()).await;
        assert!(read(&file).contains("Keep me safe"));
        // The settings say where backups go.
        let settings = app.open_settings().await;
        app.wait_for_text(settings, &[backups.to_str().unwrap()])
            .await;
        app.quit().await;
        // Started again the same day: no second backup.
        let again = desktop.launch().await;
        again.wait_for_titles("To do", &["Keep me safe"]).await;
        again.quit().await;
    })
    .await;
    assert_eq!(made().len(), 1, "one a day, however often the app starts");

    // Turned off in the settings: none is made.
    let other = Sandbox::new();
    let config = other.dir.path().join("config/dev.tandem.board");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("settings.json"), r#"{"backups": false}"#).unwrap();
    on_desktop(&other, async |desktop| {
        let app = desktop.launch().await;
        app.find(r#"section[aria-label="To do"]"#).await;
        let settings = app.open_settings().await;
        let check = app
            .find(&format!(
                r#"{settings} input[aria-describedby="backups-note"]"#
            ))
            .await;
        assert_eq!(
            check.prop("checked").await.unwrap().as_deref(),
            Some("false")
        );
        app.quit().await;
    })
    .await;
    let none = other.dir.path().join("data/dev.tandem.board/backups");
    assert!(!none.exists() || std::fs::read_dir(&none).unwrap().next().is_none());
}

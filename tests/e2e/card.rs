//! The card dialog: a card's fields, labels and checklist edited by keyboard and mouse, its
//! history, and the conflict dialog when two windows edit one card.

use fantoccini::wd::WindowHandle;
use tandem::model::{Priority, Task};

use super::{on_desktop, App, Side, CONFLICT, ENTER, REDO, UI_TIMEOUT, UNDO};
use crate::common::{eventually, sqlite3, Sandbox};

/// WebDriver's Control key down, Enter, then every modifier up.
const CTRL_ENTER: &str = "\u{E009}\u{E007}\u{E000}";

const DIALOG: &str = r#"[role="dialog"][aria-label="Card details"]"#;

/// Opens the dialog of the card titled `title` in `column` with the keyboard.
pub(super) async fn open_card(app: &App, column: &str, title: &str) {
    let card = app.card(column, title).await;
    card.click().await.unwrap();
    card.send_keys(" ").await.unwrap();
    app.find(DIALOG).await;
}

/// The only task in the sandbox's database.
async fn the_task(sandbox: &Sandbox) -> Task {
    let store = sandbox.store().await;
    let inbox = store.first_project().await.unwrap();
    store.tasks(&inbox.id).await.unwrap().remove(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_card_dialog_edits_a_cards_fields_labels_and_checklist_and_shows_its_history() {
    let sandbox = Sandbox::new();
    for args in [
        &["task", "add", "Release notes"][..],
        &["label", "add", "Docs", "--color", "#0075ca"],
    ] {
        assert!(sandbox.tandem(args).status.success());
    }
    on_desktop(&sandbox, async |desktop| {
        let app = desktop.launch().await;
        open_card(&app, "To do", "Release notes").await;

        let notes = app.find(r#"textarea[aria-label="Description"]"#).await;
        notes.send_keys("Collect the merged PRs").await.unwrap();
        notes.send_keys(CTRL_ENTER).await.unwrap();
        app.find(&format!("{DIALOG} select"))
            .await
            .select_by_value("high")
            .await
            .unwrap();
        app.click(r#"section[aria-label="Labels"] button.chip[aria-pressed="false"]"#)
            .await;
        app.find(r#"input[aria-label="New label name"]"#)
            .await
            .send_keys(&format!("Bug{ENTER}"))
            .await
            .unwrap();
        let item = app.find(r#"input[aria-label="Add an item"]"#).await;
        item.send_keys(&format!("Draft{ENTER}")).await.unwrap();
        app.wait_for_text(r#"section[aria-label="Checklist"]"#, &["Draft", "0/1"])
            .await;
        item.send_keys(&format!("Review{ENTER}")).await.unwrap();
        app.wait_for_text(r#"section[aria-label="Checklist"]"#, &["Review", "0/2"])
            .await;
        app.click(r#"section[aria-label="Checklist"] input[type="checkbox"]"#)
            .await;
        app.wait_for_text(
            r#"section[aria-label="History"]"#,
            &[
                "checklist: checked \"Draft\"",
                "labelled \"Bug\"",
                "board-1 of Tandem",
            ],
        )
        .await;

        // Closed, the card shows it all; the database has it all.
        app.find(DIALOG).await.send_keys("\u{E00C}").await.unwrap();
        app.gone(DIALOG).await;
        app.wait_for_text(
            r#"section[aria-label="To do"] [data-task-id]"#,
            &["Docs", "Bug", "High", "1/2"],
        )
        .await;
        let task = the_task(&sandbox).await;
        assert_eq!(task.description, "Collect the merged PRs");
        assert_eq!(task.priority, Priority::High);
        let store = sandbox.store().await;
        let labels: Vec<String> = store
            .task_labels(&task.id)
            .await
            .unwrap()
            .into_iter()
            .map(|l| l.name)
            .collect();
        assert_eq!(labels, ["Bug", "Docs"]);
        let items = store.subtasks(&task.id).await.unwrap();
        let checked: Vec<(&str, bool)> = items.iter().map(|s| (s.title.as_str(), s.done)).collect();
        assert_eq!(checked, [("Draft", true), ("Review", false)]);

        // The board holds no descriptions: the dialog reads the card's, and follows it as it
        // changes elsewhere.
        open_card(&app, "To do", "Release notes").await;
        let notes = r#"textarea[aria-label="Description"]"#;
        app.wait_for_value(notes, "Collect the merged PRs").await;
        let edit = [
            "task",
            "edit",
            &task.id.0,
            "--description",
            "Edited elsewhere",
        ];
        assert!(sandbox.tandem(&edit).status.success());
        app.wait_for_value(notes, "Edited elsewhere").await;
        app.quit().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn people_go_on_a_card_from_its_details_and_the_keyboard_and_come_off_on_undo() {
    let sandbox = Sandbox::new();
    assert!(sandbox.tandem(&["task", "add", "Ship"]).status.success());
    let task = the_task(&sandbox).await;
    let me = sandbox.store().await.me().await.unwrap();
    let on_card = async |expected: &[&str]| {
        let mut expected: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
        expected.sort();
        eventually(
            &format!("{expected:?} on the card"),
            UI_TIMEOUT,
            async || {
                let store = sandbox.store().await;
                (store.task_assignees(&task.id).await.ok()? == expected).then_some(())
            },
        )
        .await;
    };
    let shown = |name: &str| {
        format!(r#"section[aria-label="To do"] [data-task-id] [aria-label="Assigned to {name}"]"#)
    };
    on_desktop(&sandbox, async |desktop| {
        let app = desktop.launch().await;
        // P opens the card's people; on a file a new name can be put on it.
        let card = app.card("To do", "Ship").await;
        card.click().await.unwrap();
        card.send_keys("p").await.unwrap();
        app.find(DIALOG).await;
        app.find(r#"input[aria-label="Someone new, by login"]"#)
            .await
            .send_keys(&format!("dana{ENTER}"))
            .await
            .unwrap();
        on_card(&["dana"]).await;
        app.find(r#"section[aria-label="People"] button[aria-pressed="true"]"#)
            .await;
        app.wait_for_text(r#"section[aria-label="History"]"#, &["assigned dana"])
            .await;
        app.find(DIALOG).await.send_keys("\u{E00C}").await.unwrap();
        app.gone(DIALOG).await;
        app.find(&shown("dana")).await;

        // I puts me on the card and takes me off; Ctrl+Z takes back one step at a time.
        app.card("To do", "Ship")
            .await
            .send_keys("i")
            .await
            .unwrap();
        on_card(&["dana", &me.login]).await;
        app.find(&shown(&me.name)).await;
        app.card("To do", "Ship")
            .await
            .send_keys(UNDO)
            .await
            .unwrap();
        on_card(&["dana"]).await;
        app.gone(&shown(&me.name)).await;
        app.card("To do", "Ship")
            .await
            .send_keys(UNDO)
            .await
            .unwrap();
        on_card(&[]).await;
        app.gone(&shown("dana")).await;

        // The details list dana now (the board knows her) and put her back with a click.
        open_card(&app, "To do", "Ship").await;
        app.click(r#"section[aria-label="People"] button[title="Put dana on the card"]"#)
            .await;
        on_card(&["dana"]).await;
        app.find(DIALOG).await.send_keys("\u{E00C}").await.unwrap();
        app.gone(DIALOG).await;

        // A comment made elsewhere is counted on the card, live.
        let said = ["comment", "add", &task.id.0, "Ready?"];
        assert!(sandbox.tandem(&said).status.success());
        app.find(r#"section[aria-label="To do"] [data-task-id] [aria-label="1 comment"]"#)
            .await;
        app.quit().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_windows_editing_one_card_meet_the_conflict_dialog_and_keep_either_side() {
    let sandbox = Sandbox::new();
    assert!(sandbox.tandem(&["task", "add", "Plan"]).status.success());
    on_desktop(&sandbox, async |desktop| {
        let app = desktop.launch().await;
        app.card("To do", "Plan").await;
        let (first, second) = super::live::open_second_window(&app).await;
        let title = r#"textarea[aria-label="Title"]"#;
        let switch = async |window: &WindowHandle| {
            app.client.switch_to_window(window.clone()).await.unwrap();
        };

        // The first window starts editing the title...
        open_card(&app, "To do", "Plan").await;
        app.find(title).await.send_keys(" (mine)").await.unwrap();
        // ...the second saves its own edit meanwhile...
        switch(&second).await;
        open_card(&app, "To do", "Plan").await;
        app.find(title)
            .await
            .send_keys(&format!(" (theirs){ENTER}"))
            .await
            .unwrap();
        app.card("To do", "Plan (theirs)").await;
        // ...and the first, saving, is shown both sides and keeps its own.
        switch(&first).await;
        app.card("To do", "Plan (theirs)").await;
        app.find(title).await.send_keys(ENTER).await.unwrap();
        app.wait_for_text(CONFLICT, &["Title", "Plan (mine)", "Plan (theirs)"])
            .await;
        app.keep(Side::Mine).await;
        eventually("the database to keep mine", UI_TIMEOUT, async || {
            (the_task(&sandbox).await.title == "Plan (mine)").then_some(())
        })
        .await;
        switch(&second).await;
        app.card("To do", "Plan (mine)").await;

        // The other way round: the second window keeps theirs, and writes nothing.
        app.find(title).await.send_keys(" again").await.unwrap();
        switch(&first).await;
        app.find(title).await.clear().await.unwrap();
        app.find(title)
            .await
            .send_keys(&format!("Final{ENTER}"))
            .await
            .unwrap();
        app.card("To do", "Final").await;
        switch(&second).await;
        app.find(title).await.send_keys(ENTER).await.unwrap();
        app.keep(Side::Theirs).await;
        let version = the_task(&sandbox).await.version;
        app.card("To do", "Final").await;
        assert_eq!(the_task(&sandbox).await.title, "Final");
        assert_eq!(
            the_task(&sandbox).await.version,
            version,
            "keeping theirs writes nothing"
        );
        app.quit().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_windows_own_changes_undo_and_redo_as_ordinary_changes_and_a_stale_undo_is_refused() {
    let sandbox = Sandbox::new();
    assert!(sandbox.tandem(&["task", "add", "Plan"]).status.success());
    let column_of = async || {
        let task = the_task(&sandbox).await;
        let store = sandbox.store().await;
        let board = store.board(&task.project_id).await.unwrap();
        let column = board
            .columns
            .iter()
            .find(|c| c.id == task.column_id)
            .unwrap();
        (column.name.clone(), task.title)
    };
    let eventually_at = async |column: &str, title: &str| {
        let wanted = (column.to_owned(), title.to_owned());
        eventually(
            &format!("the task to be {wanted:?}"),
            UI_TIMEOUT,
            async || (column_of().await == wanted).then_some(()),
        )
        .await;
    };
    on_desktop(&sandbox, async |desktop| {
        let app = desktop.launch().await;
        let card = app.card("To do", "Plan").await;
        card.click().await.unwrap();
        card.send_keys(super::ALT_RIGHT).await.unwrap();
        // The move is confirmed before the rename starts: a card the confirmation draws anew
        // would drop a rename begun on the optimistic one.
        eventually_at("Doing", "Plan").await;
        app.click(r#"section[aria-label="Doing"] [data-task-id][aria-label="Plan"]"#)
            .await;
        app.card("Doing", "Plan")
            .await
            .send_keys(ENTER)
            .await
            .unwrap();
        app.find(r#"input[aria-label="Task title"]"#)
            .await
            // End: the field starts with the whole title selected.
            .send_keys(&format!("\u{E010} v2{ENTER}"))
            .await
            .unwrap();
        eventually_at("Doing", "Plan v2").await;

        // Undone one at a time, newest first, then redone: each an ordinary change in the log.
        app.card("Doing", "Plan v2")
            .await
            .send_keys(UNDO)
            .await
            .unwrap();
        eventually_at("Doing", "Plan").await;
        app.card("Doing", "Plan")
            .await
            .send_keys(UNDO)
            .await
            .unwrap();
        eventually_at("To do", "Plan").await;
        app.card("To do", "Plan")
            .await
            .send_keys(REDO)
            .await
            .unwrap();
        eventually_at("Doing", "Plan").await;

        // Someone else renames it: undoing the move now is refused and said, not forced.
        let task = the_task(&sandbox).await;
        let rename = sandbox.tandem(&["task", "edit", &task.id.0, "--title", "Theirs"]);
        assert!(rename.status.success());
        app.card("Doing", "Theirs")
            .await
            .send_keys(UNDO)
            .await
            .unwrap();
        app.wait_for_text(r#".notice[role="alert"]"#, &["changed elsewhere"])
            .await;
        assert_eq!(column_of().await, ("Doing".to_owned(), "Theirs".to_owned()));
        let log = crate::common::log(&sandbox.store().await).await;
        let by_window = log
            .iter()
            .filter(|c| c.origin.as_ref().is_some_and(|o| o.window.is_some()))
            .count();
        assert_eq!(
            by_window, 5,
            "move, rename, two undos and a redo, all logged"
        );

        // A column's rename undoes the same way.
        app.click(r#"button[aria-label="Column menu for Done"]"#)
            .await;
        let name = app.find("#column-name").await;
        name.clear().await.unwrap();
        name.send_keys(&format!("Shipped{ENTER}")).await.unwrap();
        app.find(r#"section[aria-label="Shipped"]"#).await;
        app.card("Doing", "Theirs")
            .await
            .send_keys(UNDO)
            .await
            .unwrap();
        app.find(r#"section[aria-label="Done"]"#).await;
        app.gone(r#"section[aria-label="Shipped"]"#).await;
        app.quit().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn labels_are_renamed_and_deleted_and_a_checklist_item_renamed_by_keyboard() {
    let sandbox = Sandbox::new();
    let id = String::from_utf8(sandbox.tandem(&["task", "add", "Ship"]).stdout).unwrap();
    let id = id.trim();
    for args in [
        &["label", "add", "Bug", "--color", "#d73a4a"][..],
        &["task", "label", id, "Bug"],
        &["subtask", "add", id, "Draft"],
    ] {
        let output = sandbox.tandem(args);
        assert!(output.status.success(), "{output:?}");
    }
    on_desktop(&sandbox, async |desktop| {
        let app = desktop.launch().await;
        let card = r#"section[aria-label="To do"] [data-task-id]"#;
        app.wait_for_text(card, &["Bug"]).await;
        app.click(r#"button[aria-label="Manage labels"]"#).await;
        let name = app.find(r#"input[aria-label="Name of Bug"]"#).await;
        name.clear().await.unwrap();
        name.send_keys(&format!("Defect{ENTER}")).await.unwrap();
        app.wait_for_text(card, &["Defect"]).await;
        app.click(r#"button[aria-label="Delete Defect"]"#).await;
        app.click(r#"[role="alert"] button.danger"#).await;
        app.gone(&format!("{card} .chip")).await;
        let store = sandbox.store().await;
        let task = the_task(&sandbox).await;
        assert!(store
            .board(&task.project_id)
            .await
            .unwrap()
            .labels
            .is_empty());

        open_card(&app, "To do", "Ship").await;
        let check = app
            .find(r#"section[aria-label="Checklist"] input[type="checkbox"]"#)
            .await;
        check.send_keys("\u{E032}").await.unwrap(); // F2
        app.find(r#"input[aria-label="Rename Draft"]"#)
            .await
            .send_keys(&format!("\u{E010} it{ENTER}"))
            .await
            .unwrap();
        app.wait_for_text(r#"section[aria-label="Checklist"]"#, &["Draft it"])
            .await;
        let items = store.subtasks(&task.id).await.unwrap();
        assert_eq!(items[0].title, "Draft it");
        app.quit().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_card_comes_back_with_its_checklist_on_undo_and_goes_again_on_redo() {
    let sandbox = Sandbox::new();
    let id = String::from_utf8(sandbox.tandem(&["task", "add", "Ship"]).stdout).unwrap();
    for args in [
        &["task", "add", "Keep"][..],
        &["subtask", "add", id.trim(), "Draft"],
    ] {
        assert!(sandbox.tandem(args).status.success());
    }
    on_desktop(&sandbox, async |desktop| {
        let app = desktop.launch().await;
        let card = app.card("To do", "Ship").await;
        card.click().await.unwrap();
        card.send_keys("\u{E017}\u{E017}").await.unwrap(); // Delete, and Delete to confirm
        app.wait_for_titles("To do", &["Keep"]).await;

        app.card("To do", "Keep")
            .await
            .send_keys(UNDO)
            .await
            .unwrap();
        app.wait_for_titles("To do", &["Ship", "Keep"]).await;
        app.wait_for_text(
            r#"section[aria-label="To do"] [data-task-id][aria-label="Ship"]"#,
            &["0/1"],
        )
        .await;
        let store = sandbox.store().await;
        let task = the_task(&sandbox).await;
        assert_eq!(task.id.0, id.trim(), "the same card, not a copy");
        assert_eq!(store.subtasks(&task.id).await.unwrap().len(), 1);

        app.card("To do", "Keep")
            .await
            .send_keys(REDO)
            .await
            .unwrap();
        app.wait_for_titles("To do", &["Keep"]).await;
        app.quit().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_k_finds_a_card_in_another_project_by_its_description_and_opens_it() {
    let sandbox = Sandbox::new();
    for args in [
        &["task", "add", "Water the plants"][..],
        &["project", "add", "Garden"],
        &[
            "task",
            "add",
            "Plant bulbs",
            "--project",
            "Garden",
            "--column",
            "Doing",
        ],
    ] {
        assert!(sandbox.tandem(args).status.success());
    }
    let store = sandbox.store().await;
    let garden = store.find_project("Garden").await.unwrap();
    let bulbs = store.tasks(&garden.id).await.unwrap().remove(0);
    let edit = [
        "task",
        "edit",
        &bulbs.id.0,
        "--description",
        "Tulips and daffodils, before the frost",
    ];
    assert!(sandbox.tandem(&edit).status.success());
    on_desktop(&sandbox, async |desktop| {
        let app = desktop.launch().await;
        app.wait_for_titles("To do", &["Water the plants"]).await;
        app.press_with_ctrl(&['k']).await;
        let words = app
            .find(r#"input[aria-label="Search every project"]"#)
            .await;
        words.send_keys("daffo").await.unwrap();
        app.wait_for_text(
            r#"[role="listbox"][aria-label="Cards found"]"#,
            &["Plant bulbs", "Garden › Doing"],
        )
        .await;
        words.send_keys(ENTER).await.unwrap();
        // The card's project comes on show, and its details open.
        app.wait_for_titles("Doing", &["Plant bulbs"]).await;
        app.wait_for_value(
            r#"textarea[aria-label="Description"]"#,
            "Tulips and daffodils, before the frost",
        )
        .await;
        app.quit().await;
    })
    .await;
}

const COMMENTS: &str = r#"section[aria-label="Comments"]"#;

/// A comment the board's other writer (a script writing the file) puts on `task` as `author`.
fn comment_from_another_program(sandbox: &Sandbox, task: &str, author: &str, body: &str) {
    let sql = format!(
        "INSERT INTO comments (id, task_id, author, body, created_at, updated_at) \
         VALUES ('from-{author}', '{task}', '{author}', '{}', 1, 1);",
        body.replace('\'', "''")
    );
    sqlite3(sandbox.db(), &sql);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_conversation_is_written_edited_deleted_and_undone_in_the_details_and_shown_safely() {
    let sandbox = Sandbox::new();
    assert!(sandbox
        .tandem(&["task", "add", "Launch plan"])
        .status
        .success());
    let task = the_task(&sandbox).await;
    on_desktop(&sandbox, async |desktop| {
        let app = desktop.launch().await;
        // C on a card opens its details on the comment box.
        let card = app.card("To do", "Launch plan").await;
        card.click().await.unwrap();
        card.send_keys("c").await.unwrap();
        let compose = app.find(r#"textarea[aria-label="Write a comment"]"#).await;
        assert!(
            app.client
                .execute(
                    r#"return document.activeElement?.getAttribute("aria-label");"#,
                    Vec::new()
                )
                .await
                .unwrap()
                == "Write a comment",
            "C focuses the comment box"
        );

        // Markup in a comment is text: no script runs, no image loads.
        let hostile = r#"<script>document.title="owned"</script> <img src=x onerror="document.title='owned'"> **bold**"#;
        compose.send_keys(hostile).await.unwrap();
        compose.send_keys(CTRL_ENTER).await.unwrap();
        app.wait_for_text(
            &format!("{COMMENTS} .comment"),
            &["<script>document.title=\"owned\"</script>", "<img src=x onerror="],
        )
        .await;
        app.wait_for_value(r#"textarea[aria-label="Write a comment"]"#, "")
            .await;
        let inside = |css: &str| format!("return document.querySelectorAll('{COMMENTS} {css}').length;");
        for (css, expected) in [(".markdown script", 0), (".markdown img", 0), (".markdown strong", 1)] {
            let found = app.client.execute(&inside(css), Vec::new()).await.unwrap();
            assert_eq!(found, expected, "{css}");
        }
        let title = app.client.execute("return document.title;", Vec::new()).await.unwrap();
        assert_ne!(title, "owned");

        // Someone else's comment, written by another program, arrives live; its link opens in
        // the desktop's browser, a `javascript:` one is not a link at all.
        comment_from_another_program(
            &sandbox,
            &task.id.0,
            "dana",
            "See [the plan](https://example.com/plan) and [this](javascript:alert(1))",
        );
        app.wait_for_text(COMMENTS, &["dana", "See the plan"]).await;
        let links = app
            .client
            .execute(&inside(".markdown a"), Vec::new())
            .await
            .unwrap();
        assert_eq!(links, 1, "only the web link is a link");
        app.click(&format!(r#"{COMMENTS} a[href="https://example.com/plan"]"#))
            .await;
        eventually("the link to open in the browser", UI_TIMEOUT, async || {
            (desktop.opened() == ["https://example.com/plan"]).then_some(())
        })
        .await;
        app.find(DIALOG).await;

        // My own comment is edited in place ("edited"); dana's is not mine to edit.
        app.click(r#"button[aria-label^="Edit your comment"]"#).await;
        let edit = app.find(r#"textarea[aria-label="Your comment"]"#).await;
        edit.clear().await.unwrap();
        edit.send_keys("Ship on **Monday**").await.unwrap();
        edit.send_keys(CTRL_ENTER).await.unwrap();
        app.wait_for_text(
            &format!("{COMMENTS} .comment:last-child"),
            &["Ship on Monday", "edited"],
        )
            .await;
        let edit_buttons = app
            .client
            .execute(&inside(r#"button[aria-label^="Edit"]"#), Vec::new())
            .await
            .unwrap();
        assert_eq!(edit_buttons, 1, "only my own comment can be edited");

        // Deleting dana's comment (on a file anyone may) is undone with Ctrl+Z.
        app.click(r#"button[aria-label^="Delete dana's comment"]"#).await;
        app.gone(&format!(r#"{COMMENTS} li[aria-label^="dana"]"#)).await;
        app.find(DIALOG).await.send_keys(UNDO).await.unwrap();
        app.wait_for_text(COMMENTS, &["dana", "See the plan"]).await;

        // Closed, the card counts both; the file holds both, mine edited.
        app.find(DIALOG).await.send_keys("\u{E00C}").await.unwrap();
        app.gone(DIALOG).await;
        app.find(r#"[aria-label="2 comments"]"#).await;
        let store = sandbox.store().await;
        let thread = store.comments(&task.id).await.unwrap();
        let bodies: Vec<_> = thread.iter().map(|c| c.body.as_str()).collect();
        assert_eq!(
            bodies,
            ["See [the plan](https://example.com/plan) and [this](javascript:alert(1))", "Ship on **Monday**"]
        );
        assert!(thread[1].edited_at.is_some());
        app.quit().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_long_title_shows_whole_in_the_details_and_the_columns_hold_still_under_them() {
    let sandbox = Sandbox::new();
    // As long as a real Trello card's title.
    let long = "Migrate the customer onboarding emails to the new template system and check \
                every locale before the launch";
    for i in 0..30 {
        let added = sandbox.tandem(&["task", "add", &format!("Card {i}")]);
        assert!(added.status.success());
    }
    assert!(sandbox.tandem(&["task", "add", long]).status.success());
    on_desktop(&sandbox, async |desktop| {
        let app = desktop.launch().await;
        open_card(&app, "To do", long).await;
        let look = r#"
            const title = document.querySelector('textarea[aria-label="Title"]');
            const cards = document.querySelector('section[aria-label="To do"] .cards');
            return [title.value, title.scrollHeight <= title.clientHeight + 1,
                    getComputedStyle(cards).overflowY, cards.scrollTop > 0];
        "#;
        // The whole title, wrapped, from its start; the column, scrolled to the card, still.
        let whole = serde_json::json!([long, true, "hidden", true]);
        eventually(
            "the whole title, the column still",
            UI_TIMEOUT,
            async || {
                let seen = app.client.execute(look, Vec::new()).await.ok()?;
                (seen == whole).then_some(())
            },
        )
        .await;
        app.find(DIALOG).await.send_keys("\u{E00C}").await.unwrap();
        // Closed: the column scrolls again, where it was.
        let column = r#"
            const cards = document.querySelector('section[aria-label="To do"] .cards');
            return [getComputedStyle(cards).overflowY, cards.scrollTop > 0];
        "#;
        eventually("the details to close", UI_TIMEOUT, async || {
            let seen = app.client.execute(column, Vec::new()).await.ok()?;
            (seen == serde_json::json!(["auto", true])).then_some(())
        })
        .await;
    })
    .await;
}

//! The board window as a user meets it.

use std::time::Duration;

use fantoccini::actions::{InputSource, MouseActions, PointerAction, MOUSE_BUTTON_LEFT};
use tandem::model::Task;

use super::{on_desktop, ALT_RIGHT, ENTER};
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
            let task: &Task = board.tasks.iter().find(|t| t.title == title)?;
            let found = board.columns.iter().find(|c| c.id == task.column_id)?;
            (found.name == column).then_some(())
        },
    )
    .await;
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
    let saved = sandbox
        .dir
        .path()
        .join("config/dev.tandem.board/settings.json");
    on_desktop(&sandbox, async |desktop| {
        let app = desktop.launch().await;
        app.find(r#"section[aria-label="To do"]"#).await;
        app.press_with_ctrl(&[',']).await;
        let settings = r#"[role="dialog"][aria-label="Settings"]"#;
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
        app.find(r#"button[aria-label="Settings"]"#)
            .await
            .click()
            .await
            .unwrap();
        app.wait_for_text(settings, &["In force: 0 ms"]).await;
        let shown = app
            .find("input#debounce")
            .await
            .prop("value")
            .await
            .unwrap();
        assert_eq!(shown.as_deref(), Some("0"));
        app.quit().await;
    })
    .await;
}

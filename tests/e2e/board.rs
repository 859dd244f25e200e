//! The board window as a user meets it.

use std::time::Duration;

use tandem::model::Task;

use super::Desktop;
use crate::common::{eventually, Sandbox};

/// WebDriver key codes: Alt and the right arrow, then "release all modifiers".
const ALT_RIGHT: &str = "\u{E00A}\u{E014}\u{E000}";
/// WebDriver's Enter key.
const ENTER: &str = "\u{E007}";

/// The column a task is in, as the database has it.
async fn column_in_database(sandbox: &Sandbox, title: &str) -> Option<String> {
    let store = sandbox.store().await;
    let inbox = store.first_project().await.ok()?;
    let board = store.board(&inbox.id).await.ok()?;
    let task: &Task = board.tasks.iter().find(|t| t.title == title)?;
    let column = board.columns.iter().find(|c| c.id == task.column_id)?;
    Some(column.name.clone())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_card_added_and_moved_by_keyboard_is_still_there_after_a_restart() {
    let sandbox = Sandbox::new();
    let desktop = Desktop::start(&sandbox).await;
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
    let column = eventually(
        "the move to reach the database",
        Duration::from_secs(10),
        || column_in_database(&sandbox, "Write the release notes"),
    )
    .await;
    assert_eq!(column, "Doing");

    app.quit().await;
    let app = desktop.launch().await;
    let card = app.card("Doing", "Write the release notes").await;
    assert_eq!(card.text().await.unwrap(), "Write the release notes");
    app.quit().await;
}

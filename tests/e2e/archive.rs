//! Archive instead of delete, in the real window: a card archived by its key or a column's
//! Archive all leaves every window, comes back on undo and from the archive panel, and can be
//! deleted for good there.

use super::{on_desktop, App, REDO, UNDO};
use crate::common::Sandbox;

const ARCHIVE: &str = r#"[role="dialog"][aria-label="Archive of Inbox"]"#;

/// Adds a task through the CLI; returns its id.
fn add(sandbox: &Sandbox, args: &[&str]) -> String {
    let mut all = vec!["task", "add"];
    all.extend_from_slice(args);
    let output = sandbox.tandem(&all);
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// The titles of the project's archived cards, as the database has them, latest first.
async fn archived(sandbox: &Sandbox) -> Vec<String> {
    let store = sandbox.store().await;
    let inbox = store.first_project().await.unwrap();
    let tasks = store.archived_tasks(Some(&inbox.id)).await.unwrap();
    tasks.into_iter().map(|t| t.title).collect()
}

/// Shows `window`.
async fn switch(app: &App, window: &fantoccini::wd::WindowHandle) {
    app.client.switch_to_window(window.clone()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn archived_cards_leave_every_window_and_come_back_on_undo_and_from_the_archive() {
    let sandbox = Sandbox::new();
    let ship = add(&sandbox, &["Ship"]);
    add(&sandbox, &["Keep"]);
    add(&sandbox, &["Launched", "--column", "Done"]);
    add(&sandbox, &["Released", "--column", "Done"]);
    let draft = sandbox.tandem(&["subtask", "add", &ship, "Draft"]);
    assert!(draft.status.success());
    on_desktop(&sandbox, async |desktop| {
        let app = desktop.launch().await;
        app.wait_for_titles("To do", &["Ship", "Keep"]).await;
        // The driver stays on the first window.
        let (first, second) = super::live::open_second_window(&app).await;

        // A by the card: off the board here and in the other window, kept in the database.
        let card = app.card("To do", "Ship").await;
        card.click().await.unwrap();
        card.send_keys("a").await.unwrap();
        app.wait_for_titles("To do", &["Keep"]).await;
        switch(&app, &second).await;
        app.wait_for_titles("To do", &["Keep"]).await;
        assert_eq!(archived(&sandbox).await, ["Ship"]);

        // Undone, it is back where it was, checklist and all, everywhere; redone, gone again.
        switch(&app, &first).await;
        let keep = app.card("To do", "Keep").await;
        keep.send_keys(UNDO).await.unwrap();
        app.wait_for_titles("To do", &["Ship", "Keep"]).await;
        switch(&app, &second).await;
        app.wait_for_titles("To do", &["Ship", "Keep"]).await;
        app.wait_for_text(
            r#"section[aria-label="To do"] [data-task-id][aria-label="Ship"]"#,
            &["0/1"],
        )
        .await;
        switch(&app, &first).await;
        app.card("To do", "Keep")
            .await
            .send_keys(REDO)
            .await
            .unwrap();
        app.wait_for_titles("To do", &["Keep"]).await;

        // A column's Archive all takes every card of it, in one change.
        app.click(r#"button[aria-label="Column menu for Done"]"#)
            .await;
        app.find(r#"[role="dialog"][aria-label="Column Done"]"#)
            .await
            .find(fantoccini::Locator::XPath(
                ".//button[contains(., 'Archive all 2 cards')]",
            ))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        app.wait_for_titles("Done", &[]).await;
        switch(&app, &second).await;
        app.wait_for_titles("Done", &[]).await;

        // The archive panel lists them; Restore brings one back where it stood, in every
        // window; Delete for good takes one away for good.
        app.click(r#"button[aria-label="Open the archive"]"#).await;
        app.wait_for_text(
            ARCHIVE,
            &["3 archived cards", "Ship", "Launched", "Released"],
        )
        .await;
        app.click(&format!(r#"{ARCHIVE} button[aria-label="Restore Ship"]"#))
            .await;
        app.wait_for_titles("To do", &["Ship", "Keep"]).await;
        switch(&app, &first).await;
        app.wait_for_titles("To do", &["Ship", "Keep"]).await;
        switch(&app, &second).await;
        app.click(&format!(
            r#"{ARCHIVE} button[aria-label="Delete Launched for good"]"#
        ))
        .await;
        app.click(&format!(r#"{ARCHIVE} [role="alert"] button.danger"#))
            .await;
        app.wait_for_text(ARCHIVE, &["1 archived card"]).await;
        assert_eq!(archived(&sandbox).await, ["Released"]);

        // A card archived from the command line shows up in the open archive at once.
        let keep = {
            let store = sandbox.store().await;
            let inbox = store.first_project().await.unwrap();
            let tasks = store.tasks(&inbox.id).await.unwrap();
            tasks.into_iter().find(|t| t.title == "Keep").unwrap().id
        };
        assert!(sandbox
            .tandem(&["task", "archive", &keep.0])
            .status
            .success());
        app.wait_for_titles("To do", &["Ship"]).await;
        app.wait_for_text(ARCHIVE, &["2 archived cards", "Keep", "Released"])
            .await;
        app.quit().await;
    })
    .await;
}

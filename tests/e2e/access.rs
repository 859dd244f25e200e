//! The board for keyboards and screen readers: what the live region says when a card moves
//! elsewhere, where a card says it stands, and Move to… by keyboard alone.

use super::{on_desktop, ENTER};
use crate::common::Sandbox;

const ANNOUNCER: &str = r#"#announcer[role="status"][aria-live="polite"]"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_move_made_elsewhere_is_said_in_the_live_region_and_move_to_works_by_keyboard() {
    let sandbox = Sandbox::new();
    let ship = String::from_utf8(sandbox.tandem(&["task", "add", "Ship"]).stdout).unwrap();
    for args in [
        &["task", "add", "Plan"][..],
        &["task", "edit", ship.trim(), "--priority", "high"],
        &["project", "add", "Garden"],
    ] {
        assert!(sandbox.tandem(args).status.success());
    }
    on_desktop(&sandbox, async |desktop| {
        let app = desktop.launch().await;
        app.wait_for_titles("To do", &["Ship", "Plan"]).await;
        // A card says where it stands and what it carries.
        let place = app
            .find(r#"[data-task-id][aria-label="Ship"]"#)
            .await
            .attr("aria-describedby")
            .await
            .unwrap()
            .expect("the card is described");
        let said = app
            .find(&format!("#{place}"))
            .await
            .prop("textContent")
            .await
            .unwrap();
        assert_eq!(said.as_deref(), Some("1 of 2 in To do, high priority"));

        // Moved by the command line: heard, with who moved it.
        let moved = sandbox.tandem(&["task", "move", ship.trim(), "--column", "Done"]);
        assert!(moved.status.success());
        app.wait_for_titles("Done", &["Ship"]).await;
        app.wait_for_content(ANNOUNCER, &["“Ship” moved to Done by the command line."])
            .await;

        // Move to… by keyboard alone: M, two steps down the columns, Enter.
        let plan = app.card("To do", "Plan").await;
        plan.send_keys("m").await.unwrap();
        let dialog = r#"[role="dialog"][aria-label="Move “Plan”"]"#;
        app.find(dialog).await;
        let column = app.client.active_element().await.unwrap();
        column
            .send_keys(&format!("\u{E015}\u{E015}{ENTER}"))
            .await
            .unwrap();
        app.gone(dialog).await;
        app.wait_for_titles("Done", &["Ship", "Plan"]).await;
        app.wait_for_content(ANNOUNCER, &["“Plan” moved to Done."])
            .await;
        // The focus followed the card.
        let focused = app.client.active_element().await.unwrap();
        assert_eq!(
            focused.attr("aria-label").await.unwrap().as_deref(),
            Some("Plan")
        );

        // The card's dialog holds the focus while open, and gives it back when it closes.
        focused.send_keys(" ").await.unwrap();
        let dialog = r#"[role="dialog"][aria-label="Card details"]"#;
        app.find(dialog).await;
        let inside = "return !!document.activeElement.closest('[aria-label=\"Card details\"]');";
        for _ in 0..40 {
            app.client
                .active_element()
                .await
                .unwrap()
                .send_keys("\u{E004}")
                .await
                .unwrap();
            let held = app.client.execute(inside, Vec::new()).await.unwrap();
            assert_eq!(held.as_bool(), Some(true), "Tab stays in the dialog");
        }
        app.client
            .active_element()
            .await
            .unwrap()
            .send_keys("\u{E00C}")
            .await
            .unwrap();
        app.gone(dialog).await;
        let back = app.client.active_element().await.unwrap();
        assert_eq!(
            back.attr("aria-label").await.unwrap().as_deref(),
            Some("Plan")
        );

        // Move to… another project: the card leaves this board, and lands there.
        app.card("Done", "Ship").await.send_keys("m").await.unwrap();
        let dialog = r#"[role="dialog"][aria-label="Move “Ship”"]"#;
        let project = app.find(&format!("{dialog} select")).await;
        project.select_by_label("Garden").await.unwrap();
        app.wait_for_text(&format!("{dialog} fieldset"), &["To do", "Doing", "Done"])
            .await;
        app.find(&format!("{dialog} select"))
            .await
            .send_keys(ENTER)
            .await
            .unwrap();
        app.gone(dialog).await;
        app.wait_for_titles("Done", &["Plan"]).await;
        let store = sandbox.store().await;
        let garden = store.find_project("Garden").await.unwrap();
        let there = store.tasks(&garden.id).await.unwrap();
        assert_eq!(there.len(), 1);
        assert_eq!(there[0].id.0, ship.trim());
        app.quit().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_plus_and_minus_zoom_the_board_and_the_zoom_is_kept() {
    let sandbox = Sandbox::new();
    assert!(sandbox.tandem(&["task", "add", "Read me"]).status.success());
    on_desktop(&sandbox, async |desktop| {
        let app = desktop.launch().await;
        app.wait_for_titles("To do", &["Read me"]).await;
        let width = async || -> i64 {
            let value = app
                .client
                .execute("return window.innerWidth;", Vec::new())
                .await
                .unwrap();
            value.as_i64().unwrap()
        };
        let normal = width().await;
        let saved = || {
            let text = std::fs::read_to_string(sandbox.settings_file()).unwrap_or_default();
            serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| v["zoom"].as_i64())
        };

        app.press_with_ctrl(&['=']).await;
        crate::common::eventually("the board to zoom in", super::UI_TIMEOUT, async || {
            (width().await < normal).then_some(())
        })
        .await;
        assert_eq!(saved(), Some(110), "the zoom is kept for the next start");

        app.press_with_ctrl(&['0']).await;
        crate::common::eventually("the board back to normal", super::UI_TIMEOUT, async || {
            (width().await == normal).then_some(())
        })
        .await;
        assert_eq!(saved(), Some(100));
        app.quit().await;
    })
    .await;
}

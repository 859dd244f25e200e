//! axe-core, the accessibility checker, run inside the real app window: no WCAG 2.1 AA
//! violation on the board, the card dialog, the conflict dialog, the panels and the dark theme. axe-core is an npm
//! dev dependency of the UI, read from `ui/node_modules`, never fetched while the tests run.

use super::{on_desktop, App, Side, CONFLICT, ENTER};
use crate::common::Sandbox;

/// The rules checked: WCAG 2.0 and 2.1, levels A and AA.
const AXE_RUN: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } })
  .then((result) => done(result.violations.map((v) =>
    `${v.id} (${v.impact}): ${v.help}: ` +
    v.nodes.slice(0, 4).map((n) => `${n.target.join(" ")} ${n.failureSummary ?? ""}`).join(" | "))))
  .catch((error) => done([`axe failed: ${error}`]));
"#;

/// What axe finds wrong in the window's page as it is now, one line a rule.
async fn violations(app: &App) -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/ui/node_modules/axe-core/axe.min.js"
    );
    let source = std::fs::read_to_string(path)
        .expect("axe-core is in ui/node_modules (make test installs the UI's dev dependencies)");
    app.client
        .execute(&format!("{source}\nreturn true;"), Vec::new())
        .await
        .expect("axe-core loads in the page");
    let found = app
        .client
        .execute_async(AXE_RUN, Vec::new())
        .await
        .expect("axe runs");
    serde_json::from_value(found).expect("axe's findings as text")
}

/// Asserts axe finds nothing in `view`.
pub(super) async fn clean(app: &App, view: &str) {
    let found = violations(app).await;
    assert!(found.is_empty(), "{view}:\n{}", found.join("\n"));
}

#[tokio::test(flavor = "multi_thread")]
async fn axe_finds_no_wcag_violation_on_the_board_its_dialogs_and_panels_in_both_themes() {
    let sandbox = Sandbox::new();
    let ok = |args: &[&str]| {
        let output = sandbox.tandem(args);
        assert!(output.status.success(), "tandem {args:?}: {output:?}");
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    };
    let late = ok(&["task", "add", "Renew the domain"]);
    ok(&[
        "task",
        "edit",
        &late,
        "--priority",
        "urgent",
        "--due",
        "2020-01-31",
    ]);
    ok(&["label", "add", "Bug", "--color", "#d73a4a"]);
    ok(&["label", "add", "Docs", "--color", "#fbca04"]);
    ok(&["task", "label", &late, "Bug", "Docs"]);
    let soon = ok(&["task", "add", "Write the notes", "--column", "Doing"]);
    ok(&[
        "task",
        "edit",
        &soon,
        "--priority",
        "low",
        "--description",
        "Two lines",
    ]);
    ok(&["subtask", "add", &soon, "Draft"]);
    ok(&["task", "assign", &soon, "ada", "grace"]);
    ok(&[
        "comment",
        "add",
        &soon,
        "Looks **good**, @ada: see https://example.com and `make notes`",
    ]);
    ok(&["task", "add", "Ship it", "--column", "Done"]);
    on_desktop(&sandbox, async |desktop| {
        let app = desktop.launch().await;
        app.wait_for_titles("To do", &["Renew the domain"]).await;
        clean(&app, "the board").await;

        let card = app.card("Doing", "Write the notes").await;
        card.click().await.unwrap();
        card.send_keys(" ").await.unwrap();
        app.wait_for_value(r#"textarea[aria-label="Description"]"#, "Two lines")
            .await;
        app.find(r#"section[aria-label="People"] button[aria-pressed="true"]"#)
            .await;
        app.wait_for_text(
            r#"section[aria-label="Comments"] .comment"#,
            &["Looks good"],
        )
        .await;
        clean(&app, "the card dialog").await;

        // The conflict dialog: a title edited here while the command line changed it.
        let title = app.find(r#"textarea[aria-label="Title"]"#).await;
        title.send_keys(" (mine)").await.unwrap();
        ok(&["task", "edit", &soon, "--title", "Write the release notes"]);
        title.send_keys(ENTER).await.unwrap();
        app.find(CONFLICT).await;
        clean(&app, "the conflict dialog").await;
        app.keep(Side::Theirs).await;
        app.find(r#"[role="dialog"][aria-label="Card details"]"#)
            .await
            .send_keys("\u{E00C}")
            .await
            .unwrap();
        app.gone(r#"[role="dialog"][aria-label="Card details"]"#)
            .await;

        for (button, panel) in [
            (r#"button[aria-label="Manage projects"]"#, "Projects"),
            (r#"button[aria-label="Manage labels"]"#, "Labels"),
            (
                r#"button[aria-label="Members of the project"]"#,
                "Members of Inbox",
            ),
            (
                r#"button[aria-label="Open the archive"]"#,
                "Archive of Inbox",
            ),
            (
                r#"button[aria-label="Keyboard shortcuts"]"#,
                "Keyboard shortcuts",
            ),
            (r#"button[aria-label="Settings"]"#, "Settings"),
        ] {
            app.click(button).await;
            let dialog = format!(r#"[role="dialog"][aria-label="{panel}"]"#);
            app.find(&dialog).await;
            clean(&app, panel).await;
            app.click(button).await;
            app.gone(&dialog).await;
        }

        // The dark theme, chosen in the settings.
        app.click(r#"button[aria-label="Settings"]"#).await;
        app.find(r#"[role="dialog"][aria-label="Settings"] select"#)
            .await
            .select_by_value("dark")
            .await
            .unwrap();
        app.click(r#"button[aria-label="Settings"]"#).await;
        crate::common::eventually("the dark theme", super::UI_TIMEOUT, async || {
            let dark = app
                .client
                .execute(
                    "return document.documentElement.dataset.theme ?? null;",
                    Vec::new(),
                )
                .await
                .ok()?;
            (dark.as_str() == Some("dark")).then_some(())
        })
        .await;
        clean(&app, "the board, dark").await;
        app.quit().await;
    })
    .await;
}

//! People in real windows: a viewer's window on a team board receives a project live when its
//! owner adds them, offers no way to change it (and says why when asked), and lets it go when
//! they are taken off.

use tandem::testing::TestServer;

use super::{on_desktop, ENTER, UI_TIMEOUT};
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

#[tokio::test(flavor = "multi_thread")]
async fn a_viewers_window_receives_the_project_live_cannot_change_it_and_lets_it_go() {
    let server = TestServer::shared();
    let database = server.database();
    let owner = Sandbox::on_server(&database.url);
    ok(&owner, &["team", "init"]);
    for login in ["alice", "bob"] {
        server.login(login).expect("a login");
        ok(&owner, &["team", "add", login]);
    }
    let alice = Sandbox::on_server(&server.url_as("alice", &database.name));
    let bob = Sandbox::on_server(&server.url_as("bob", &database.name));
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

//! Notifications: real instances on a desktop with a real notification daemon on a private
//! session bus, where dbus-monitor logs every Notify call. The hub tells each change once per
//! machine, coalesced per project, never what the user made in the window they are looking at,
//! and nothing when the switch is off.

use serde_json::Value;

use super::{on_desktop, Desktop, ENTER, UI_TIMEOUT};
use crate::common::{eventually, sqlite3, Sandbox};

/// `tandem status --json`, once it answers with a hub.
async fn status(sandbox: &Sandbox) -> Value {
    eventually("tandem status to reach a hub", UI_TIMEOUT, async || {
        let output = sandbox.tandem(&["status", "--json"]);
        let status: Value = serde_json::from_slice(&output.stdout).ok()?;
        status["hub"].is_string().then_some(status)
    })
    .await
}

/// The desktop instances in a status.
fn guis(status: &Value) -> Vec<Value> {
    status["peers"]
        .as_array()
        .map(|peers| {
            peers
                .iter()
                .filter(|p| p["kind"] == "gui")
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// Waits until the hub has dealt with `sent` notifications (and held back `unwanted`), and
/// the instances have shown every one sent; returns what the desktop's bus carried.
async fn settled(sandbox: &Sandbox, desktop: &Desktop, sent: u64, unwanted: u64) -> Vec<String> {
    eventually("the notifications to settle", UI_TIMEOUT, async || {
        let status = status(sandbox).await;
        let notices = &status["notices"];
        let shown: u64 = guis(&status)
            .iter()
            .map(|p| p["report"]["notices_shown"].as_u64().unwrap_or(0))
            .sum();
        let on_the_bus = desktop.notifications();
        let done = notices["sent"] == sent
            && notices["unwanted"] == unwanted
            && shown == sent
            && on_the_bus.len() as u64 == shown;
        done.then_some(on_the_bus)
    })
    .await
}

/// Fifty tasks in To do, one statement (and so one transaction) each, in SQL both databases run.
fn burst_sql() -> String {
    (1..=50)
        .map(|i| {
            format!(
                "INSERT INTO tasks (id, project_id, column_id, title, position, created_at, updated_at)
                 SELECT 'burst-{i}', project_id, id, 'Burst {i}', {i} * 1000000, 0, 0
                 FROM columns WHERE name = 'To do' LIMIT 1;\n"
            )
        })
        .collect()
}

/// Fifty tasks written by another program, each in its own transaction, within a second.
fn burst_from_another_program(sandbox: &Sandbox) {
    let inserts = burst_sql();
    sqlite3(sandbox.db(), &inserts);
}

#[tokio::test(flavor = "multi_thread")]
async fn three_instances_show_one_notification_per_change_and_one_for_a_burst() {
    let sandbox = Sandbox::new();
    on_desktop(&sandbox, async |desktop| {
        let app = desktop.launch().await;
        app.find(r#"main[aria-label="Inbox board"]"#).await;
        let _others = [desktop.instance(&sandbox), desktop.instance(&sandbox)];
        // The tray, through the instances' own reports: every entry, kept current.
        assert!(sandbox.tandem(&["project", "add", "Work"]).status.success());
        eventually("every tray to list Work", UI_TIMEOUT, async || {
            let status = status(&sandbox).await;
            let trays: Vec<Value> = guis(&status)
                .iter()
                .map(|p| p["report"]["tray"].clone())
                .collect();
            let expected = serde_json::json!([
                "New window",
                "Open project ▸ Inbox",
                "Open project ▸ Work",
                "3 instances live",
                "Notifications: on",
                "Quit Tandem"
            ]);
            (trays.len() == 3 && trays.iter().all(|t| *t == expected)).then_some(())
        })
        .await;
        // Adding Work was itself a change made elsewhere: told once.
        let told = settled(&sandbox, desktop, 1, 0).await;
        assert_eq!(told, ["Work changed"]);

        assert!(sandbox
            .tandem(&["task", "add", "From the CLI"])
            .status
            .success());
        let told = settled(&sandbox, desktop, 2, 0).await;
        assert_eq!(
            told[1], "1 task changed in Inbox",
            "one, for three instances"
        );

        burst_from_another_program(&sandbox);
        let told = settled(&sandbox, desktop, 3, 0).await;
        assert_eq!(
            told[2], "50 tasks changed in Inbox",
            "one, for the whole burst"
        );
        app.quit().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn with_notifications_switched_off_in_one_instance_none_shows_in_any() {
    let sandbox = Sandbox::new();
    on_desktop(&sandbox, async |desktop| {
        let app = desktop.launch().await;
        let _other = desktop.instance(&sandbox);
        app.click(r#"button[aria-label="Settings"]"#).await;
        app.click(r#"input[type="checkbox"]"#).await;
        // The other instance takes the switch from the saved settings, and both trays show it.
        eventually(
            "both instances to have notifications off",
            UI_TIMEOUT,
            async || {
                let status = status(&sandbox).await;
                let guis = guis(&status);
                let off = guis.iter().all(|p| {
                    p["attention"]["notify"] == false
                        && p["report"]["tray"][3] == "Notifications: off"
                });
                (guis.len() == 2 && off).then_some(())
            },
        )
        .await;

        assert!(sandbox.tandem(&["task", "add", "Quietly"]).status.success());
        let told = settled(&sandbox, desktop, 0, 1).await;
        assert!(told.is_empty(), "nothing shown: {told:?}");
        app.quit().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_change_made_in_the_focused_window_is_not_told_but_one_from_the_cli_is() {
    let sandbox = Sandbox::new();
    on_desktop(&sandbox, async |desktop| {
        let app = desktop.launch().await;
        let input = app.find(r#"input[aria-label="Add a card to To do"]"#).await;
        input.click().await.unwrap();
        eventually("the window to have the focus", UI_TIMEOUT, async || {
            let status = status(&sandbox).await;
            let focused = guis(&status).first()?["attention"]["focused"].clone();
            (focused == "board-1").then_some(())
        })
        .await;
        input.send_keys(&format!("Made here{ENTER}")).await.unwrap();
        app.card("To do", "Made here").await;
        assert!(sandbox
            .tandem(&["task", "add", "From the CLI"])
            .status
            .success());

        let told = settled(&sandbox, desktop, 1, 0).await;
        assert_eq!(told, ["1 task changed in Inbox"], "the CLI's card alone");
        app.quit().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn clicking_a_notification_opens_a_window_on_its_project() {
    let sandbox = Sandbox::new();
    on_desktop(&sandbox, async |desktop| {
        let app = desktop.launch().await;
        app.find(r#"main[aria-label="Inbox board"]"#).await;
        let first = app.client.window().await.unwrap();
        assert!(sandbox.tandem(&["project", "add", "Work"]).status.success());
        assert_eq!(settled(&sandbox, desktop, 1, 0).await, ["Work changed"]);

        // The daemon's own command for a click on the notification.
        let clicked = desktop.on_bus("dunstctl").args(["action", "0"]).output();
        assert!(clicked.expect("dunstctl runs").status.success());
        let opened = eventually("a window on Work", UI_TIMEOUT, async || {
            let handles = app.client.windows().await.ok()?;
            handles.into_iter().find(|h| *h != first)
        })
        .await;
        app.client.switch_to_window(opened).await.unwrap();
        app.find(r#"main[aria-label="Work board"]"#).await;
        app.quit().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn on_a_team_board_each_machine_tells_a_change_made_on_another_once() {
    let server = tandem::testing::TestServer::shared();
    let database = server.database();
    let (a, b) = (
        Sandbox::on_server(&database.url),
        Sandbox::on_server(&database.url),
    );
    on_desktop(&b, async |desktop| {
        let app = desktop.launch().await;
        app.find(r#"main[aria-label="Inbox board"]"#).await;
        let _other = desktop.instance(&b);
        eventually(
            "both of machine B's instances on its hub",
            UI_TIMEOUT,
            async || (guis(&status(&b).await).len() == 2).then_some(()),
        )
        .await;

        let added = a.tandem(&["task", "add", "From machine A"]);
        assert!(added.status.success(), "{added:?}");
        let told = settled(&b, desktop, 1, 0).await;
        assert_eq!(told, ["1 task changed in Inbox"], "one, for two instances");

        // Another program on the server: fifty cards in fifty transactions.
        let inserts = burst_sql();
        let mut psql = server.psql_command(&database.name);
        let shell = psql
            .stdin(std::process::Stdio::piped())
            .spawn()
            .expect("psql runs");
        use std::io::Write;
        shell
            .stdin
            .as_ref()
            .expect("piped")
            .write_all(inserts.as_bytes())
            .expect("psql reads its input");
        let shell = shell.wait_with_output().expect("psql ends");
        assert!(shell.status.success(), "{shell:?}");
        let told = settled(&b, desktop, 2, 0).await;
        assert_eq!(
            told[1], "50 tasks changed in Inbox",
            "one, for the whole burst"
        );
        app.quit().await;
    })
    .await;
}

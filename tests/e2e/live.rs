//! Windows that stay in step: every change, made in any window or by another process, shows up
//! in every open window.

use std::collections::BTreeMap;

use fantoccini::wd::WindowHandle;
use tandem::model::TaskId;

use super::{on_desktop, App, ALT_RIGHT, ENTER, UI_TIMEOUT};
use crate::common::{eventually, Sandbox};

/// Opens a second window with the page's Ctrl+Shift+N and returns both windows' handles.
///
/// The chord reaches the page as a key event a moment after the WebDriver call that sends it has
/// answered. A window opened while a call that runs in the page is under way (typing the chord,
/// or a script) makes WebKitWebDriver lose that call's answer now and again, and wait for it for
/// ever: the new window shares the first one's web process.
pub async fn open_second_window(app: &App) -> (WindowHandle, WindowHandle) {
    let first = app.client.window().await.unwrap();
    app.client
        .execute(
            "setTimeout(() => window.dispatchEvent(new KeyboardEvent('keydown', \
             { key: 'N', ctrlKey: true, shiftKey: true, bubbles: true })), 200);",
            Vec::new(),
        )
        .await
        .expect("the page takes the key");
    let second = eventually("a second window", UI_TIMEOUT, async || {
        let handles = app.client.windows().await.ok()?;
        handles.into_iter().find(|h| *h != first)
    })
    .await;
    (first, second)
}

/// Each column's titles, top to bottom, as the database has them.
async fn database_columns(sandbox: &Sandbox) -> BTreeMap<String, Vec<String>> {
    let store = sandbox.store().await;
    let inbox = store.first_project().await.unwrap();
    let board = store.board(&inbox.id).await.unwrap();
    let mut columns = BTreeMap::new();
    for column in &board.columns {
        let mut tasks: Vec<_> = board
            .tasks
            .iter()
            .filter(|t| t.column_id == column.id)
            .collect();
        tasks.sort_by_key(|t| t.position);
        columns.insert(
            column.name.clone(),
            tasks.iter().map(|t| t.title.clone()).collect(),
        );
    }
    columns
}

#[tokio::test(flavor = "multi_thread")]
async fn two_windows_stay_in_step_with_each_other_and_with_the_command_line() {
    let sandbox = Sandbox::new();
    on_desktop(&sandbox, async |desktop| {
        let app = desktop.launch().await;
        app.find(r#"section[aria-label="To do"]"#).await;
        let (first, second) = open_second_window(&app).await;
        // Both pages run in one web process: a window costs megabytes, not a process.
        assert_eq!(desktop.web_processes(), 1);

        // Added in the second window, it appears in the first.
        app.client.switch_to_window(second.clone()).await.unwrap();
        app.find(r#"input[aria-label="Add a card to To do"]"#)
            .await
            .send_keys(&format!("From the second window{ENTER}"))
            .await
            .unwrap();
        app.card("To do", "From the second window").await;
        app.client.switch_to_window(first.clone()).await.unwrap();
        let card = app.card("To do", "From the second window").await;

        // Moved in the first window, it moves in the second.
        card.click().await.unwrap();
        card.send_keys(ALT_RIGHT).await.unwrap();
        app.card("Doing", "From the second window").await;
        app.client.switch_to_window(second.clone()).await.unwrap();
        app.card("Doing", "From the second window").await;
        app.wait_for_titles("To do", &[]).await;

        // A burst of 200 moves by another process: both windows end on the database's state.
        let mut ids = Vec::new();
        for i in 0..8 {
            let output = sandbox.tandem(&["task", "add", &format!("Burst {i}")]);
            assert!(output.status.success());
            ids.push(TaskId(
                String::from_utf8(output.stdout).unwrap().trim().to_owned(),
            ));
        }
        let columns = ["To do", "Doing", "Done"];
        for i in 0..200usize {
            let id = &ids[(i * 7) % ids.len()];
            let column = columns[(i * 5 + i / 3) % columns.len()];
            let index = ((i * 3) % 5).to_string();
            let output =
                sandbox.tandem(&["task", "move", &id.0, "--column", column, "--index", &index]);
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let expected = database_columns(&sandbox).await;
        for window in [&first, &second] {
            app.client.switch_to_window(window.clone()).await.unwrap();
            for (column, titles) in &expected {
                let titles: Vec<&str> = titles.iter().map(String::as_str).collect();
                app.wait_for_titles(column, &titles).await;
            }
        }

        // The diagnostics panel and `tandem status` account for both windows' streams, with the
        // latency each window measured from commit to shown.
        app.click("button.badge").await;
        app.wait_for_text(
            r#"[role="dialog"][aria-label="Diagnostics"]"#,
            &["board-1", "board-2", " ms"],
        )
        .await;
        let windows = eventually(
            "both windows' latency in tandem status",
            UI_TIMEOUT,
            async || {
                let output = sandbox.tandem(&["status", "--json"]);
                let status: serde_json::Value = serde_json::from_slice(&output.stdout).ok()?;
                let gui = status["peers"]
                    .as_array()?
                    .iter()
                    .find(|p| p["kind"] == "gui")?;
                let windows = gui["report"]["windows"].as_array()?.clone();
                let measured = windows
                    .iter()
                    .filter(|w| w["latency"]["samples"].as_u64() > Some(0));
                (measured.count() == 2).then_some(windows)
            },
        )
        .await;
        for window in windows {
            let latency = &window["latency"];
            assert!(
                latency["p50_ms"].as_u64() <= latency["p99_ms"].as_u64(),
                "{window}"
            );
        }
        app.quit().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_links_to_the_other_instances_and_takes_over_the_hub_when_it_dies() {
    let sandbox = Sandbox::new();
    let created = sandbox.tandem(&["task", "ls"]);
    assert!(created.status.success(), "{created:?}");
    let mut hub = crate::bridge::hub_process(&sandbox).await;
    on_desktop(&sandbox, async |desktop| {
        let app = desktop.launch().await;
        app.wait_for_text(".badge", &["Live · 2 instances"]).await;

        let output = sandbox.tandem(&["task", "add", "Through the hub"]);
        assert!(output.status.success(), "{output:?}");
        app.card("To do", "Through the hub").await;

        hub.kill().expect("kill -9 the headless instance");
        hub.wait().expect("it is gone");
        // The app's own instance wins the election and serves; the badge counts it alone.
        app.wait_for_text(".badge", &["Live · 1 instance"]).await;
        let status = sandbox.tandem(&["status", "--json"]);
        let status: serde_json::Value =
            serde_json::from_slice(&status.stdout).expect("status JSON");
        let hub_id = status["hub"].as_str().expect("a hub serves");
        let peers = status["peers"].as_array().expect("peers");
        let serving = peers
            .iter()
            .find(|p| p["instance"] == hub_id)
            .expect("the hub is a peer");
        assert_eq!(serving["kind"], "gui", "the app took over: {status}");

        let output = sandbox.tandem(&["task", "add", "Through the new hub"]);
        assert!(output.status.success(), "{output:?}");
        app.card("To do", "Through the new hub").await;
        app.quit().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ten_thousand_cards_written_at_once_by_another_program_show_and_the_stream_goes_on() {
    let sandbox = Sandbox::new();
    assert!(sandbox.tandem(&["task", "add", "First"]).status.success());
    on_desktop(&sandbox, async |desktop| {
        let app = desktop.launch().await;
        app.wait_for_text(".summary", &["1 card"]).await;
        // One transaction of 10,000 rows, as a script or another tool writes them.
        crate::common::sqlite3(
            sandbox.db(),
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
             INSERT INTO tasks (id, project_id, column_id, title, position, created_at, updated_at)
             SELECT printf('bulk-%05d', i), c.project_id, c.id, printf('Bulk card %05d', i),
                    100000 + i * 1024, 0, 0
             FROM n, (SELECT id, project_id FROM columns ORDER BY position LIMIT 1) AS c",
        );
        app.wait_for_text(".summary", &["10001 cards"]).await;
        // The stream goes on after the snapshot, in order: the next change arrives as ever.
        assert!(sandbox
            .tandem(&["task", "add", "After the bulk"])
            .status
            .success());
        app.wait_for_text(".summary", &["10002 cards"]).await;
        // At the bottom of a long column (drawn as it scrolls): found through the filter.
        app.find(r#"input[aria-label^="Filter cards"]"#)
            .await
            .send_keys("After the bulk")
            .await
            .unwrap();
        app.wait_for_titles("To do", &["After the bulk"]).await;
    })
    .await;
}

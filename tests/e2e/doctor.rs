//! A healthy desktop, as `tandem doctor` sees it while the app runs: every check passes, and
//! the app has started its log file.

use super::on_desktop;
use crate::common::Sandbox;

#[tokio::test(flavor = "multi_thread")]
async fn doctor_passes_every_check_on_a_healthy_desktop_and_the_app_keeps_a_log() {
    let sandbox = Sandbox::new();
    assert!(sandbox.tandem(&["task", "add", "Healthy"]).status.success());
    on_desktop(&sandbox, async |desktop| {
        let app = desktop.launch().await;
        app.wait_for_titles("To do", &["Healthy"]).await;

        let output = desktop.tandem(&sandbox, &["doctor"]);
        let text = String::from_utf8(output.stdout).unwrap();
        assert_eq!(output.status.code(), Some(0), "{text}");
        let names: Vec<&str> = text
            .lines()
            .map(|l| {
                assert!(l.starts_with("✓ "), "{l}");
                l[4..].split("  ").next().unwrap().trim()
            })
            .collect();
        assert_eq!(
            names,
            [
                "database",
                "schema",
                "socket folder",
                "hub",
                "settings",
                "tray",
                "notifications",
                "log folder"
            ]
        );
        assert!(text.contains("served by"), "the app serves the hub: {text}");

        // The app's log file says it started.
        let dir = sandbox.log_dir();
        let file = std::fs::read_dir(&dir)
            .expect("the log folder")
            .next()
            .expect("a log file")
            .unwrap()
            .path();
        let log = std::fs::read_to_string(&file).unwrap();
        assert!(log.contains("Tandem app"), "{log}");
        app.quit().await;
    })
    .await;
}

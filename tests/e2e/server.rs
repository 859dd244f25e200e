//! A real window on a team board: machine B's window follows machine A's command line and a
//! `psql` session through the server, says Offline when the server stops, refuses an edit
//! meanwhile, and catches up once the server is back.

use std::sync::Arc;

use tandem::testing::TestServer;

use super::{on_desktop, ENTER, UI_TIMEOUT};
use crate::common::{eventually, Sandbox};

#[tokio::test(flavor = "multi_thread")]
async fn a_window_follows_another_machine_goes_offline_with_the_server_and_catches_up() {
    let server = Arc::new(TestServer::start().expect("a server of its own"));
    let database = server.database();
    let (a, b) = (
        Sandbox::on_server(&database.url),
        Sandbox::on_server(&database.url),
    );
    on_desktop(&b, async |desktop| {
        let app = desktop.launch().await;
        app.find(r#"section[aria-label="To do"]"#).await;
        app.wait_for_text("button.badge", &["Live"]).await;

        let added = a.tandem(&["task", "add", "From machine A"]);
        assert!(added.status.success(), "{added:?}");
        app.card("To do", "From machine A").await;
        server
            .psql(
                &database.name,
                "UPDATE tasks SET title = 'Renamed in psql' WHERE title = 'From machine A'",
            )
            .expect("psql updates");
        app.card("To do", "Renamed in psql").await;

        let stopping = server.clone();
        tokio::task::spawn_blocking(move || stopping.crash())
            .await
            .unwrap()
            .expect("the server stops");
        app.wait_for_text("button.badge", &["Offline · localhost"])
            .await;

        // An edit made meanwhile is refused, said so, and rolled back on screen.
        app.find(r#"input[aria-label="Add a card to To do"]"#)
            .await
            .send_keys(&format!("While offline{ENTER}"))
            .await
            .unwrap();
        app.wait_for_text(".notice.error", &["cannot be reached"])
            .await;
        app.wait_for_titles("To do", &["Renamed in psql"]).await;

        let starting = server.clone();
        tokio::task::spawn_blocking(move || starting.start_again())
            .await
            .unwrap()
            .expect("the server starts again");
        app.wait_for_text("button.badge", &["Live"]).await;
        let later = eventually("machine A to write again", UI_TIMEOUT, async || {
            let output = a.tandem(&["task", "add", "After the outage"]);
            output.status.success().then_some(output)
        })
        .await;
        assert!(later.status.success());
        app.card("To do", "After the outage").await;
    })
    .await;
}

//! Data in and out through the window: File ▸ Import… shows what a file would do before it
//! runs, lands its cards in every window, and refuses a bad file whole; File ▸ Export… writes a
//! file Tandem reads back.

use super::{on_desktop, App};
use crate::common::Sandbox;

const IMPORT: &str = r#"[role="dialog"][aria-label="Import cards"]"#;
const EXPORT: &str = r#"[role="dialog"][aria-label="Export"]"#;

/// Types `path` into the panel's file field, replacing what it held.
async fn type_path(app: &App, field: &str, path: &std::path::Path) {
    let input = app.find(field).await;
    input.clear().await.unwrap();
    input.send_keys(path.to_str().unwrap()).await.unwrap();
}

/// Each column's titles in the sandbox's first project, as the database has them.
async fn titles(sandbox: &Sandbox) -> Vec<(String, Vec<String>)> {
    let store = sandbox.store().await;
    let inbox = store.first_project().await.unwrap();
    let board = store.board(&inbox.id).await.unwrap();
    board
        .columns
        .iter()
        .map(|c| {
            let mut tasks: Vec<_> = board.tasks.iter().filter(|t| t.column_id == c.id).collect();
            tasks.sort_by_key(|t| t.position);
            (
                c.name.clone(),
                tasks.iter().map(|t| t.title.clone()).collect(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_csv_imported_through_the_window_shows_its_mapping_first_and_lands_in_every_window() {
    let sandbox = Sandbox::new();
    assert!(sandbox.tandem(&["task", "add", "Keep"]).status.success());
    let dir = sandbox.dir.path();
    let good = dir.join("sheet.csv");
    std::fs::write(
        &good,
        "Title,Estimate,Column,Labels,Comments\n\
         Call the printer,\"ask for the proof, then pay\",To do,Errand,Before noon\n\
         Book the hall,,Doing,Errand;Venue,\n\
         Send invitations,,To do,,\n",
    )
    .unwrap();
    let untitled = dir.join("untitled.csv");
    std::fs::write(&untitled, "Heading,Column\nA,To do\n").unwrap();
    let before = titles(&sandbox).await;

    on_desktop(&sandbox, async |desktop| {
        let app = desktop.launch().await;
        app.wait_for_titles("To do", &["Keep"]).await;
        // The driver stays on the first window.
        let (_, second) = super::live::open_second_window(&app).await;

        app.find(r#"section[aria-label="To do"]"#).await;
        app.press_with_ctrl(&['i']).await;
        let path = format!("{IMPORT} #import-path");

        // A missing file and a CSV without a title column are refused, saying why.
        type_path(&app, &path, &dir.join("missing.csv")).await;
        app.wait_for_text(&format!("{IMPORT} [role=\"alert\"]"), &["cannot read"])
            .await;
        type_path(&app, &path, &untitled).await;
        app.wait_for_text(
            &format!("{IMPORT} [role=\"alert\"]"),
            &["no title column", "Heading, Column"],
        )
        .await;
        let go = app
            .find(&format!(r#"{IMPORT} button[type="submit"]"#))
            .await;
        assert!(!go.is_enabled().await.unwrap(), "nothing to import");

        // The good file: its kind, its header's mapping and where its cards land, first.
        type_path(&app, &path, &good).await;
        app.wait_for_text(
            IMPORT,
            &[
                "A CSV spreadsheet: 3 cards, with 1 comment",
                "Inbox: 3 cards",
                "Import 3 cards",
            ],
        )
        .await;
        app.wait_for_text(
            &format!(r#"{IMPORT} table[aria-label="How the header maps"]"#),
            &[
                "Title", "title", "Estimate", "ignored", "Labels", "labels", "Comments", "comments",
            ],
        )
        .await;
        // How it was read, and what it leaves out, before anything is written.
        app.wait_for_text(
            &format!("{IMPORT} .reading"),
            &["Read as UTF-8, cells separated by commas"],
        )
        .await;
        app.wait_for_text(
            &format!(r#"{IMPORT} [aria-label="Left out or read differently"]"#),
            &["1 column of the file left out, none of a card's fields: Estimate"],
        )
        .await;
        assert_eq!(titles(&sandbox).await, before, "a preview writes nothing");

        app.click(&format!(r#"{IMPORT} button[type="submit"]"#))
            .await;
        app.gone(IMPORT).await;
        app.wait_for_titles("To do", &["Keep", "Call the printer", "Send invitations"])
            .await;
        app.wait_for_titles("Doing", &["Book the hall"]).await;
        app.client.switch_to_window(second).await.unwrap();
        app.wait_for_titles("To do", &["Keep", "Call the printer", "Send invitations"])
            .await;
        app.wait_for_titles("Doing", &["Book the hall"]).await;
        app.wait_for_text(
            r#"section[aria-label="Doing"] [data-task-id][aria-label="Book the hall"]"#,
            &["Errand", "Venue"],
        )
        .await;

        // Exported from the window, the board reads back as Tandem's own JSON.
        app.press_with_ctrl(&['e']).await;
        let file = dir.join("out.json");
        type_path(&app, &format!("{EXPORT} #export-path"), &file).await;
        app.click(&format!(r#"{EXPORT} button[type="submit"]"#))
            .await;
        app.gone(EXPORT).await;
        let written: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        assert_eq!(written["format"], "tandem-board");
        let cards: usize = written["projects"][0]["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["cards"].as_array().unwrap().len())
            .sum();
        assert_eq!(cards, 4);
        app.quit().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backup_restored_from_the_command_line_shows_in_every_open_window() {
    let sandbox = Sandbox::new();
    let ok = |args: &[&str]| {
        let output = sandbox.tandem(args);
        assert!(output.status.success(), "tandem {args:?}: {output:?}");
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    };
    let plan = ok(&["task", "add", "Plan the launch"]);
    ok(&["task", "add", "Ship it", "--column", "Done"]);
    let backup = sandbox.dir.path().join("friday.db");
    ok(&["backup", backup.to_str().unwrap()]);
    on_desktop(&sandbox, async |desktop| {
        let app = desktop.launch().await;
        app.wait_for_titles("To do", &["Plan the launch"]).await;
        // The driver stays on the first window.
        let (_, second) = super::live::open_second_window(&app).await;

        // Changed after the backup, and seen changed.
        ok(&["task", "edit", &plan, "--title", "Plan the party"]);
        ok(&["task", "add", "Monday's card"]);
        app.wait_for_titles("To do", &["Plan the party", "Monday's card"])
            .await;

        ok(&["restore", backup.to_str().unwrap()]);
        app.wait_for_titles("To do", &["Plan the launch"]).await;
        app.wait_for_titles("Done", &["Ship it"]).await;
        app.client.switch_to_window(second).await.unwrap();
        app.wait_for_titles("To do", &["Plan the launch"]).await;
        app.wait_for_titles("Done", &["Ship it"]).await;
        app.quit().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn files_other_tools_wrote_preview_how_they_were_read_and_what_is_left_out_then_import() {
    let sandbox = Sandbox::new();
    let fixture = |name: &str| {
        std::path::PathBuf::from(format!(
            "{}/tests/fixtures/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
    };
    // Each file as its tool wrote it, what the preview says of it, and its first card.
    let files: [(&str, &[&str], &str); 10] = [
        (
            "csv/excel-us.csv",
            &["1 due date read as month/day, as “12/24/2026 7:30 PM” in the file shows"],
            "Plan the picnic",
        ),
        (
            "csv/excel-mac.csv",
            &["Read as Mac Roman, cells separated by commas", "Status"],
            "Crêpes for the party",
        ),
        (
            "csv/excel-de.csv",
            &[
                "Read as Windows-1252, cells separated by semicolons",
                "Titel",
                "Fällig",
            ],
            "Äpfel kaufen",
        ),
        (
            "csv/excel-unicode.txt",
            &["Read as UTF-16LE, cells separated by tabs"],
            "Café menu",
        ),
        (
            "csv/jira.csv",
            &[
                "6 columns of the file left out",
                "1 person left off their cards, not a login: “Ann Lee”",
                "1 due date left out, not a date Tandem reads: “next sprint”",
                "Summary",
            ],
            "Login page times out",
        ),
        (
            "csv/asana.csv",
            &["Section/Column", "“Carol Diaz”", "Offsite 2027"],
            "Draft the agenda",
        ),
        (
            "csv/github-projects.csv",
            &["Read as UTF-8, cells separated by commas", "Assignees"],
            "Crash when the config is empty",
        ),
        (
            "csv/trello.csv",
            &["Card Name", "List Name", "Product"],
            "Plan the sprint",
        ),
        (
            "trello.json",
            &[
                "2 attachments added to their cards' descriptions as links",
                "1 card of a closed list brought in archived, each naming its list: “Old ideas”",
                "2 custom fields left out",
            ],
            "Write the copy",
        ),
        (
            "trello-2015.json",
            &["A Trello board: 3 cards", "Garden 2015"],
            "Tulips",
        ),
    ];
    let stray = sandbox.dir.path().join("stray-quote.csv");
    std::fs::write(
        &stray,
        "title,column\nA,To do\n\"unterminated,To do\nB,Done\n",
    )
    .unwrap();
    on_desktop(&sandbox, async |desktop| {
        let app = desktop.launch().await;
        app.find(r#"section[aria-label="To do"]"#).await;
        let path = format!("{IMPORT} #import-path");
        let go = format!(r#"{IMPORT} button[type="submit"]"#);

        // A stray quote is refused at its line, and nothing can be imported.
        app.press_with_ctrl(&['i']).await;
        type_path(&app, &path, &stray).await;
        app.wait_for_text(
            &format!("{IMPORT} [role=\"alert\"]"),
            &["line 3: a quote opened here is never closed"],
        )
        .await;
        assert!(!app.find(&go).await.is_enabled().await.unwrap());
        // Esc closes the panel.
        app.find(&path).await.send_keys("\u{E00C}").await.unwrap();
        app.gone(IMPORT).await;

        // Every file: how it was read and what it leaves out, before anything is written; then
        // imported, its cards on the board.
        for (file, said, card) in files {
            app.press_with_ctrl(&['i']).await;
            type_path(&app, &path, &fixture(file)).await;
            app.wait_for_text(IMPORT, said).await;
            if file == "csv/jira.csv" {
                // The longest preview: it scrolls within the panel, the buttons in view.
                super::axe::clean(&app, "the import panel's preview of Jira's CSV").await;
            }
            app.click(&go).await;
            app.gone(IMPORT).await;
            let found = sandbox.tandem(&["search", card]);
            assert!(
                String::from_utf8_lossy(&found.stdout).contains(card),
                "{file}: {found:?}"
            );
        }
        // The window shows the project the last import made.
        app.card("Ideas", "Tulips").await;
    })
    .await;

    // Every card of every file, archived ones too: a CSV's cards that name no project land in
    // the project the window shows (GitHub's, after Asana's made Offsite 2027).
    let exported = sandbox.tandem(&["export", "json"]);
    let board: serde_json::Value = serde_json::from_slice(&exported.stdout).unwrap();
    let cards: std::collections::BTreeMap<&str, usize> = board["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let columns = p["columns"].as_array().unwrap();
            let cards = columns.iter().map(|c| c["cards"].as_array().unwrap().len());
            (p["name"].as_str().unwrap(), cards.sum())
        })
        .collect();
    assert_eq!(
        cards,
        [
            ("Garden 2015", 3),
            ("Inbox", 8),
            ("Offsite 2027", 5),
            ("Product", 2),
            ("Website", 3),
            ("Website relaunch", 6),
        ]
        .into()
    );
}

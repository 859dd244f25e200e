//! The `tandem` command line, run as a user would: the real binary on a real database file, with
//! no display (it must never need one).

use std::process::Output;

use tandem::model::{Task, TaskId};

use crate::common::{log, sqlite3, Sandbox};

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).trim().to_owned()
}

/// Asserts the command failed as a user error: exit 2, one line on stderr that contains
/// `message`, nothing on stdout.
fn assert_user_error(output: &Output, message: &str) {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(2), "exit code; stderr: {err}");
    assert_eq!(err.lines().count(), 1, "one line: {err:?}");
    assert!(err.starts_with("tandem: "), "{err:?}");
    assert!(err.contains(message), "{err:?} should mention {message:?}");
    assert!(output.stdout.is_empty(), "nothing on stdout");
}

fn add(sandbox: &Sandbox, args: &[&str]) -> TaskId {
    let mut all = vec!["task", "add"];
    all.extend_from_slice(args);
    let output = sandbox.tandem(&all);
    assert!(output.status.success(), "{}", stderr(&output));
    TaskId(stdout(&output))
}

fn list(sandbox: &Sandbox, args: &[&str]) -> Vec<Task> {
    let mut all = vec!["task", "ls", "--json"];
    all.extend_from_slice(args);
    let output = sandbox.tandem(&all);
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_slice(&output.stdout).expect("ls --json prints tasks")
}

/// The name of the column a task is in, read back through the CLI.
fn column_of(sandbox: &Sandbox, id: &TaskId) -> String {
    let text = stdout(&sandbox.tandem(&["task", "ls"]));
    let mut column = String::new();
    for line in text.lines() {
        if line.starts_with("  ") && !line.starts_with("    ") {
            column = line
                .trim()
                .rsplit_once(" (")
                .map_or("", |(n, _)| n)
                .to_owned();
        } else if line.trim_start().starts_with(&id.0) {
            return column;
        }
    }
    panic!("{id} is not listed:\n{text}");
}

#[tokio::test]
async fn add_prints_the_id_and_ls_shows_the_task_in_its_column() {
    let sandbox = Sandbox::new();
    let id = add(&sandbox, &["Write the README"]);
    let doing = add(&sandbox, &["Review", "--column", "doing"]);

    let tasks = list(&sandbox, &[]);
    assert_eq!(tasks.len(), 2);
    assert_eq!(tasks[0].id, id);
    assert_eq!(tasks[0].title, "Write the README");
    assert_eq!(column_of(&sandbox, &id), "To do");
    assert_eq!(column_of(&sandbox, &doing), "Doing");

    let text = stdout(&sandbox.tandem(&["task", "ls", "--project", "inbox"]));
    assert!(text.starts_with("Inbox\n  To do (1)\n"), "{text}");
    assert!(text.contains(&format!("{id}  Write the README")), "{text}");
}

#[tokio::test]
async fn add_with_json_prints_the_whole_task() {
    let sandbox = Sandbox::new();
    let output = sandbox.tandem(&["--json", "task", "add", "Plan"]);
    let task: Task = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!((task.title.as_str(), task.version), ("Plan", 1));
}

#[tokio::test]
async fn move_puts_the_task_in_the_column_at_the_index() {
    let sandbox = Sandbox::new();
    let first = add(&sandbox, &["First", "--column", "Done"]);
    let task = add(&sandbox, &["Ship it"]);

    let output = sandbox.tandem(&["task", "move", &task.0, "--column", "Done", "--index", "0"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let done: Vec<TaskId> = list(&sandbox, &[]).into_iter().map(|t| t.id).collect();
    assert_eq!(
        done,
        [task.clone(), first],
        "moved above the other Done task"
    );
    assert_eq!(column_of(&sandbox, &task), "Done");

    let output = sandbox.tandem(&["task", "move", &task.0, "--column", "doing"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(column_of(&sandbox, &task), "Doing");
}

#[tokio::test]
async fn rm_removes_the_task() {
    let sandbox = Sandbox::new();
    let task = add(&sandbox, &["Temporary"]);
    let output = sandbox.tandem(&["task", "rm", &task.0]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(list(&sandbox, &[]).is_empty());
}

#[tokio::test]
async fn bad_input_is_a_one_line_error_with_exit_code_2_and_writes_nothing() {
    let sandbox = Sandbox::new();
    let task = add(&sandbox, &["Existing"]);
    let before = log(&sandbox.store().await).await.len();
    let long = "x".repeat(10_000);

    let cases: &[(&[&str], &str)] = &[
        (&["task", "add", ""], "title: must not be empty"),
        (&["task", "add", "   "], "title: must not be empty"),
        (
            &["task", "add", &long],
            "title: must be at most 500 characters",
        ),
        (
            &["task", "add", "Lost", "--column", "Later"],
            "column Later was not found",
        ),
        (
            &["task", "add", "Lost", "--project", "Nowhere"],
            "project Nowhere was not found",
        ),
        (
            &["task", "move", "no-such-id", "--column", "Done"],
            "task no-such-id was not found",
        ),
        (
            &["task", "move", &task.0, "--column", "Later"],
            "column Later was not found",
        ),
        (
            &["task", "move", &task.0, "--column", "Done", "--index", "-1"],
            "index: must not be negative",
        ),
        (
            &[
                "task", "move", &task.0, "--column", "Done", "--index", "two",
            ],
            "invalid value 'two'",
        ),
        (
            &["task", "rm", "no-such-id"],
            "task no-such-id was not found",
        ),
        (&["task", "add"], "required"),
        (&["task", "frobnicate"], "unrecognized subcommand"),
        (&["--colour", "task", "ls"], "unexpected argument"),
    ];
    for (args, message) in cases {
        let output = sandbox.tandem(args);
        assert_user_error(&output, message);
    }
    assert_eq!(
        log(&sandbox.store().await).await.len(),
        before,
        "no refused command wrote to the log"
    );
    assert_eq!(list(&sandbox, &[]).len(), 1);
}

#[tokio::test]
async fn the_db_flag_wins_over_the_environment() {
    let sandbox = Sandbox::new();
    let other = sandbox.dir.path().join("other.db");
    let output = sandbox
        .command(&["task", "add", "Elsewhere", "--db", other.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(other.exists());
    assert!(
        list(&sandbox, &[]).is_empty(),
        "TANDEM_DB's database is untouched"
    );
}

#[tokio::test]
async fn without_db_or_tandem_db_the_data_folder_is_used() {
    let sandbox = Sandbox::new();
    let output = sandbox
        .command(&["task", "add", "Default"])
        .env_remove("TANDEM_DB")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(sandbox
        .dir
        .path()
        .join("data/dev.tandem.board/tandem.db")
        .exists());
}

#[tokio::test]
async fn a_file_that_is_not_a_database_is_a_clear_error_and_is_left_alone() {
    let sandbox = Sandbox::new();
    std::fs::write(sandbox.db(), "these are my notes, not a database").unwrap();
    let output = sandbox.tandem(&["task", "ls"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(stderr(&output).lines().count(), 1, "{}", stderr(&output));
    assert_eq!(
        std::fs::read_to_string(sandbox.db()).unwrap(),
        "these are my notes, not a database"
    );
}

#[tokio::test]
async fn another_programs_database_is_refused_byte_for_byte_untouched_and_tandems_own_is_marked() {
    let sandbox = Sandbox::new();
    let theirs = sandbox.dir.path().join("notes.db");
    sqlite3(&theirs, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('mine');");
    let before = std::fs::read(&theirs).unwrap();
    let db = theirs.to_str().unwrap();
    for args in [
        &["task", "ls", "--db", db][..],
        &["task", "add", "x", "--db", db],
    ] {
        assert_user_error(&sandbox.tandem(args), "another program's tables (notes)");
    }
    assert_eq!(
        std::fs::read(&theirs).unwrap(),
        before,
        "not a byte changed"
    );
    let companions = ["notes.db-wal", "notes.db-shm", "notes.db-journal"];
    for name in companions {
        assert!(!sandbox.dir.path().join(name).exists(), "{name} was made");
    }

    // Marked by another program, even empty: refused too.
    let marked = sandbox.dir.path().join("marked.db");
    sqlite3(&marked, "PRAGMA application_id = 42; VACUUM;");
    let marked_db = marked.to_str().unwrap();
    assert_user_error(
        &sandbox.tandem(&["task", "ls", "--db", marked_db]),
        "application id is 42",
    );

    // Tandem's own file carries its mark.
    add(&sandbox, &["Marked"]);
    let id = sqlite3(sandbox.db(), "PRAGMA application_id");
    assert_eq!(id.trim(), "1413566020");
}

#[test]
fn a_commands_change_is_in_the_database_file_itself_once_it_ends() {
    let sandbox = Sandbox::new();
    add(&sandbox, &["First"]);
    add(&sandbox, &["Copied with the file"]);
    // The close copied the WAL back into the file and removed it: the file alone, read as it
    // lies on the disk (no WAL), holds the card, as a copy of it taken now would.
    let db = sandbox.db();
    let wal = db.with_file_name("tandem.db-wal");
    assert!(!wal.exists(), "{} is left", wal.display());
    let on_disk = format!("file:{}?immutable=1", db.display());
    let titles = sqlite3(&on_disk, "SELECT title FROM tasks ORDER BY title");
    assert_eq!(titles, "Copied with the file\nFirst\n");
}

/// A board with something of everything: in Inbox, a card with a label, a priority, a due date,
/// a description (with a comma, quotes and a blank line), a checklist, one done, and a
/// conversation (mine, and dana's, edited, as another program wrote it); a card in Done; and an
/// empty project, Garden.
fn a_full_board(sandbox: &Sandbox) {
    let notes = add(sandbox, &["Write the \"release\" notes, v2"]);
    add(sandbox, &["Ship it", "--column", "Done"]);
    ok(sandbox, &["label", "add", "Docs", "--color", "#0075ca"]);
    ok(sandbox, &["task", "label", &notes.0, "Docs"]);
    let description = "Line one, with a comma\n\nLine \"three\"";
    let edit = [
        "task",
        "edit",
        &notes.0,
        "--priority",
        "high",
        "--due",
        "2026-12-24",
    ];
    let mut args = edit.to_vec();
    args.extend(["--description", description]);
    ok(sandbox, &args);
    let draft = ok(sandbox, &["subtask", "add", &notes.0, "Draft"]);
    ok(sandbox, &["subtask", "add", &notes.0, "Review"]);
    ok(sandbox, &["subtask", "check", &draft]);
    ok(sandbox, &["comment", "add", &notes.0, "Draft is **up**"]);
    sqlite3(
        sandbox.db(),
        &format!(
            "INSERT INTO comments (id, task_id, author, body, created_at, updated_at, edited_at)
             VALUES ('c-dana', '{}', 'dana', 'Two points:\n\n- dates\n- names', 4102444800000,
                 4102448400000, 4102448400000)",
            notes.0
        ),
    );
    ok(sandbox, &["project", "add", "Garden"]);
}

#[tokio::test]
async fn export_writes_json_csv_and_markdown_a_spreadsheet_and_a_reader_take_whole() {
    let sandbox = Sandbox::new();
    a_full_board(&sandbox);

    let json: serde_json::Value = serde_json::from_str(&ok(&sandbox, &["export", "json"])).unwrap();
    assert_eq!(json["format"], "tandem-board");
    let projects: Vec<&str> = json["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(projects, ["Inbox", "Garden"]);
    let card = &json["projects"][0]["columns"][0]["cards"][0];
    assert_eq!(
        card["description"],
        "Line one, with a comma\n\nLine \"three\""
    );
    assert_eq!(card["labels"], serde_json::json!(["Docs"]));
    assert_eq!(
        card["checklist"][0],
        serde_json::json!({"title": "Draft", "done": true})
    );
    let me = sandbox.store().await.login().to_owned();
    assert_eq!(card["comments"][0]["author"], me.as_str());
    assert_eq!(card["comments"][0]["body"], "Draft is **up**");
    assert_eq!(
        card["comments"][1],
        serde_json::json!({"author": "dana", "body": "Two points:\n\n- dates\n- names",
            "at": "2100-01-01T00:00:00Z", "edited": "2100-01-01T01:00:00Z"})
    );
    assert_eq!(
        json["projects"][0]["columns"][2]["cards"][0]["title"],
        "Ship it"
    );

    let csv = ok(&sandbox, &["export", "csv", "--project", "inbox"]);
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = rows.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(
        header,
        [
            "project",
            "column",
            "title",
            "description",
            "priority",
            "due",
            "labels",
            "checklist",
            "archived",
            "assignees",
            "comments"
        ]
    );
    let rows: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2, "one row per card");
    let first: Vec<&str> = rows[0].iter().collect();
    assert_eq!(
        first,
        [
            "Inbox",
            "To do",
            "Write the \"release\" notes, v2",
            "Line one, with a comma\n\nLine \"three\"",
            "high",
            "2026-12-24",
            "Docs",
            "[x] Draft\n[ ] Review",
            "",
            "",
            &rows[0][10],
        ]
    );
    assert!(
        rows[0][10].ends_with(", 2100-01-01 00:00 UTC:\nTwo points:\n\n- dates\n- names")
            && rows[0][10].starts_with(&format!("{me}, ")),
        "{}",
        &rows[0][10]
    );

    let markdown = ok(&sandbox, &["export", "markdown", "--project", "Inbox"]);
    for part in [
        "# Inbox",
        "## To do",
        "- **Write the \"release\" notes, v2** — high priority, due 2026-12-24, `Docs`",
        "  Line one, with a comma",
        "  - [x] Draft",
        "  - [ ] Review",
        "  > **dana**, 2100-01-01 00:00 UTC (edited):\n  >\n  > Two points:\n  >\n  > - dates",
        "## Doing\n\n_No cards._",
    ] {
        assert!(markdown.contains(part), "{part:?} in\n{markdown}");
    }

    let file = sandbox.dir.path().join("board.json");
    ok(&sandbox, &["export", "json", "-o", file.to_str().unwrap()]);
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(written, json);
    let nowhere = sandbox.dir.path().join("no-such-folder/board.json");
    assert_user_error(
        &sandbox.tandem(&["export", "csv", "-o", nowhere.to_str().unwrap()]),
        "cannot write",
    );
    assert_user_error(&sandbox.tandem(&["export", "pdf"]), "pdf");
}

#[tokio::test]
async fn backup_writes_a_board_tandem_opens_and_never_replaces_a_file() {
    let sandbox = Sandbox::new();
    let id = add(&sandbox, &["Keep me"]);
    let file = sandbox.dir.path().join("copy.db");
    let said = ok(&sandbox, &["backup", file.to_str().unwrap()]);
    assert_eq!(said, format!("Backed up to {}", file.display()));
    let copy = sandbox.tandem(&["--db", file.to_str().unwrap(), "task", "history", &id.0]);
    assert!(
        stdout(&copy).contains("created \"Keep me\""),
        "{}",
        stdout(&copy)
    );
    assert_user_error(
        &sandbox.tandem(&["backup", file.to_str().unwrap()]),
        "exists already",
    );

    // Without a file: a dated one in the data folder's backups.
    let json: serde_json::Value =
        serde_json::from_str(&ok(&sandbox, &["backup", "--json"])).unwrap();
    let made = std::path::PathBuf::from(json["file"].as_str().unwrap());
    assert!(
        made.starts_with(sandbox.dir.path().join("data/dev.tandem.board/backups")),
        "{made:?}"
    );
    assert!(made.is_file());
}

#[tokio::test]
async fn restore_brings_a_backup_back_keeps_the_board_it_replaces_and_refuses_other_files() {
    let sandbox = Sandbox::new();
    a_full_board(&sandbox);
    let file = sandbox.dir.path().join("friday.db");
    ok(&sandbox, &["backup", file.to_str().unwrap()]);
    let friday = exported(&sandbox);
    let monday = add(&sandbox, &["Monday's card"]);
    ok(&sandbox, &["project", "add", "Side"]);
    let changed = exported(&sandbox);

    let said = ok(&sandbox, &["restore", file.to_str().unwrap()]);
    assert!(
        said.starts_with(&format!(
            "Restored 2 cards in 2 projects from {}.",
            file.display()
        )),
        "{said}"
    );
    assert_eq!(exported(&sandbox), friday);
    // The board it replaced is kept, and opens as it was.
    let kept = said
        .rsplit_once("is kept in ")
        .map(|(_, path)| path.trim_end_matches('.'))
        .expect("says where the old board is kept");
    assert!(
        std::path::Path::new(kept).starts_with(sandbox.dir.path().join("data")),
        "{kept}"
    );
    let old: serde_json::Value =
        serde_json::from_str(&ok(&sandbox, &["--db", kept, "export", "json"])).unwrap();
    assert_eq!(old, changed);
    // The card made since has a history that says what became of it.
    let history = ok(&sandbox, &["--db", kept, "task", "history", &monday.0]);
    assert!(history.contains("created"), "{history}");

    // Not a Tandem database: refused, and nothing changes.
    let seq = logged(&sandbox).await;
    let notes = sandbox.dir.path().join("notes.txt");
    std::fs::write(&notes, "groceries: milk, eggs").unwrap();
    assert_user_error(
        &sandbox.tandem(&["restore", notes.to_str().unwrap()]),
        "nothing was restored",
    );
    assert_user_error(
        &sandbox.tandem(&["restore", "/no/such/backup.db"]),
        "does not exist",
    );
    assert_eq!(logged(&sandbox).await, seq);
    assert_eq!(exported(&sandbox), friday);
}

/// The board as `tandem export json` writes it.
fn exported(sandbox: &Sandbox) -> serde_json::Value {
    serde_json::from_str(&ok(sandbox, &["export", "json"])).expect("export json prints JSON")
}

/// How many changes the log holds.
async fn logged(sandbox: &Sandbox) -> usize {
    sandbox
        .store()
        .await
        .changes_since(0, None)
        .await
        .unwrap()
        .changes
        .len()
}

#[tokio::test]
async fn an_export_imports_back_into_the_identical_board() {
    let from = Sandbox::new();
    a_full_board(&from);
    ok(&from, &["column", "add", "Someday", "--project", "Garden"]);
    ok(
        &from,
        &["column", "limit", "Someday", "2", "--project", "Garden"],
    );
    add(
        &from,
        &["Plant tulips", "--project", "Garden", "--column", "Someday"],
    );
    let old = add(&from, &["Mow the lawn", "--project", "Garden"]);
    ok(&from, &["task", "assign", &old.0, "dana", "eve"]);
    ok(&from, &["task", "archive", &old.0]);
    let file = from.dir.path().join("board.json");
    ok(&from, &["export", "json", "-o", file.to_str().unwrap()]);

    let to = Sandbox::new();
    let said = ok(&to, &["import", "tandem", file.to_str().unwrap()]);
    assert_eq!(
        said,
        "Imported 4 cards (1 archived) with 2 comments into Inbox, Garden"
    );
    assert_eq!(exported(&to), exported(&from));
    assert!(
        exported(&to)
            .to_string()
            .contains(r#""assignees":["dana","eve"]"#),
        "the people came along"
    );

    // A CSV export brings the conversation back too: who said what, to the minute.
    let csv = from.dir.path().join("board.csv");
    ok(&from, &["export", "csv", "-o", csv.to_str().unwrap()]);
    let again = Sandbox::new();
    let said = ok(&again, &["import", "csv", csv.to_str().unwrap()]);
    assert!(said.contains("with 2 comments"), "{said}");
    let thread = |board: &serde_json::Value| -> Vec<(String, String, String)> {
        board["projects"][0]["columns"][0]["cards"][0]["comments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                let at = c["at"].as_str().unwrap();
                (
                    c["author"].as_str().unwrap().to_owned(),
                    c["body"].as_str().unwrap().to_owned(),
                    at[..16].to_owned(),
                )
            })
            .collect()
    };
    assert_eq!(thread(&exported(&again)), thread(&exported(&from)));
    assert_eq!(thread(&exported(&from)).len(), 2);
}

#[tokio::test]
async fn a_spreadsheets_csv_lands_as_a_board_with_its_header_in_any_order_and_case() {
    let sandbox = Sandbox::new();
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/spreadsheet.csv"
    );
    let said = ok(&sandbox, &["import", "csv", file, "--project", "Launch"]);
    assert_eq!(said, "Imported 4 cards into Launch");
    let board = exported(&sandbox);
    let launch = &board["projects"][1];
    assert_eq!(launch["name"], "Launch");
    let columns: Vec<(&str, Vec<&str>)> = launch["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap(),
                c["cards"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|k| k["title"].as_str().unwrap())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        columns,
        [
            ("Backlog", vec!["Plan the launch", "Book the venue"]),
            (
                "In progress",
                vec!["Write the press release", "Fix the login redirect, again"]
            ),
        ]
    );
    let plan = &launch["columns"][0]["cards"][0];
    assert_eq!(
        plan["description"],
        "Who does what, and when.\nSecond line with \"quotes\"."
    );
    assert_eq!(plan["priority"], "high");
    assert_eq!(plan["due_date"], "2027-01-15");
    assert_eq!(plan["labels"], serde_json::json!(["Launch", "Marketing"]));
    assert_eq!(launch["columns"][1]["cards"][1]["priority"], "urgent");
    let labels: Vec<&str> = launch["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["Bug", "Launch", "Marketing"]);

    // Line endings of any kind; without --project, into the first project.
    let crlf = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/crlf.csv");
    assert_eq!(
        ok(&sandbox, &["import", "csv", crlf]),
        "Imported 1 card into Inbox"
    );
}

#[tokio::test]
async fn a_trello_export_lands_as_a_board_in_trellos_order_with_its_labels_and_checklists() {
    let sandbox = Sandbox::new();
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/trello.json");
    let said = ok(&sandbox, &["import", "trello", file]);
    assert_eq!(
        said,
        "Imported 6 cards (2 archived) with 2 comments into Website relaunch\n\
         Left out or read differently:\n  \
         2 attachments added to their cards' descriptions as links: “Brand voice guide”, \
         “copy-draft-v2.pdf”\n  \
         1 card of a closed list brought in archived, each naming its list: “Old ideas”\n  \
         2 custom fields left out, Tandem having no place for them: “Estimate”, “Team”"
    );
    let board = exported(&sandbox);
    let site = &board["projects"][1];
    assert_eq!(site["name"], "Website relaunch");
    // Open lists in Trello's order; a closed card comes in archived, and so does a closed
    // list's, in the first column, naming its list.
    let columns: Vec<(&str, Vec<&str>)> = site["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let cards = c["cards"].as_array().unwrap();
            (
                c["name"].as_str().unwrap(),
                cards.iter().map(|k| k["title"].as_str().unwrap()).collect(),
            )
        })
        .collect();
    assert_eq!(
        columns,
        [
            (
                "To Do",
                vec![
                    "Write the copy",
                    "A card of a closed list",
                    "Redesign the navigation"
                ]
            ),
            (
                "Doing",
                vec!["An old card, archived in Trello", "Fix the 404 on /pricing"]
            ),
            ("Done", vec!["Launch"]),
        ]
    );
    // Comments come in oldest first, with their authors and dates; one whose author has no
    // username Tandem takes as a login is the importer's, led by the author's name.
    let me = sandbox.store().await.login().to_owned();
    let navigation = &site["columns"][0]["cards"][2];
    assert_eq!(
        navigation["comments"],
        serde_json::json!([
            {"author": me, "body": "**Former Member:** Mobile first, please.",
                "at": "2027-01-05T11:00:00Z"},
            {"author": "annlee", "body": "Shipped to staging.\n\nSee https://example.com/staging",
                "at": "2027-01-06T09:30:00Z"},
        ])
    );
    let closed = &site["columns"][1]["cards"][0];
    assert_eq!(closed["archived"], true);
    assert_eq!(closed["labels"], serde_json::json!(["Bug"]));
    let doing = ok(&sandbox, &["task", "ls", "--project", "Website relaunch"]);
    assert!(!doing.contains("An old card"), "{doing}");
    let archive = ok(
        &sandbox,
        &["task", "ls", "--archived", "--project", "Website relaunch"],
    );
    assert!(
        archive.contains("An old card, archived in Trello"),
        "{archive}"
    );
    let labels: Vec<(&str, &str)> = site["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["name"].as_str().unwrap(), l["color"].as_str().unwrap()))
        .collect();
    assert_eq!(
        labels,
        [
            ("Bug", "#eb5a46"),
            ("Design", "#c377e0"),
            ("green", "#61bd4f"),
            ("Someday", "#6b7280")
        ]
    );
    let nav = &site["columns"][0]["cards"][2];
    // Attachments become links; a closed list's card says which list it was in.
    let copy = &site["columns"][0]["cards"][0];
    assert_eq!(
        copy["description"],
        "Attachments:\n- [Brand voice guide](https://example.com/brand-voice)\n- \
         [copy-draft-v2.pdf](https://trello.com/1/cards/card-copy/attachments/att-2/download/\
         copy-draft-v2.pdf)"
    );
    let of_closed = &site["columns"][0]["cards"][1];
    assert_eq!(of_closed["archived"], true);
    assert!(of_closed["description"]
        .as_str()
        .unwrap()
        .ends_with("(In Trello, in the closed list “Old ideas”.)"));
    assert_eq!(
        nav["description"],
        "Mobile first.\n\n**Keep** the search box."
    );
    assert_eq!(nav["due_date"], "2027-03-01");
    assert_eq!(nav["labels"], serde_json::json!(["Design", "green"]));
    assert_eq!(
        nav["checklist"],
        serde_json::json!([
            {"title": "List the pages", "done": true},
            {"title": "Sketch on paper", "done": false},
            {"title": "Ship it", "done": false},
        ])
    );
    assert_eq!(
        site["columns"][1]["cards"][1]["labels"],
        serde_json::json!(["Bug", "Someday"])
    );
    // Into a project of one's choosing.
    let into = ok(&sandbox, &["import", "trello", file, "--project", "Inbox"]);
    assert!(
        into.starts_with("Imported 6 cards (2 archived) with 2 comments into Inbox\n"),
        "{into}"
    );
}

#[tokio::test]
async fn a_50_mb_trello_export_of_20000_cards_imports_whole_showing_progress() {
    const CARDS: usize = 20_000;
    let sandbox = Sandbox::new();
    let notes = "Steps to reproduce, what we saw, what we expected. ".repeat(50);
    let cards: Vec<serde_json::Value> = (0..CARDS)
        .map(|i| {
            serde_json::json!({
                "id": format!("card-{i}"), "name": format!("Card {i}"), "desc": notes,
                "closed": false, "idList": format!("list-{}", i % 4), "pos": i,
                "idLabels": ["lab-bug"], "due": null,
            })
        })
        .collect();
    let lists: Vec<serde_json::Value> = (0..4)
        .map(|i| serde_json::json!({"id": format!("list-{i}"), "name": format!("List {i}"), "closed": false, "pos": i}))
        .collect();
    let board = serde_json::json!({
        "name": "Big board", "lists": lists, "cards": cards, "checklists": [],
        "labels": [{"id": "lab-bug", "name": "Bug", "color": "red"}],
    });
    let file = sandbox.dir.path().join("big.json");
    std::fs::write(&file, serde_json::to_vec(&board).unwrap()).unwrap();
    assert!(
        std::fs::metadata(&file).unwrap().len() > 50_000_000,
        "a 50 MB file"
    );

    let output = sandbox.tandem(&["import", "trello", file.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        format!("Imported {CARDS} cards into Big board")
    );
    let progress: Vec<String> = stderr(&output).lines().map(str::to_owned).collect();
    assert_eq!(
        progress.len(),
        CARDS / 500,
        "a line every 500 cards: {progress:?}"
    );
    assert_eq!(
        progress.last().unwrap(),
        &format!("tandem: imported {CARDS} of {CARDS} cards")
    );
    let found = ok(
        &sandbox,
        &["search", "--json", "--limit", "10000", "card 1999*"],
    );
    let found: Vec<serde_json::Value> = serde_json::from_str(&found).unwrap();
    assert_eq!(found.len(), 11, "Card 1999 and Card 19990..19999");
}

#[tokio::test]
async fn a_file_that_fails_anywhere_imports_nothing_and_says_where_and_why() {
    let sandbox = Sandbox::new();
    add(&sandbox, &["Already here"]);
    let before = (exported(&sandbox), logged(&sandbox).await);
    let dir = sandbox.dir.path();
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let long = "x".repeat(100_000);
    let cases = [
        (
            vec!["import", "csv"],
            write("empty.csv", ""),
            "the file is empty",
        ),
        (
            vec!["import", "csv"],
            write("no-title.csv", "heading,column\nA,Done\n"),
            "line 1: the header has no title column (it has: heading, column;",
        ),
        (
            vec!["import", "csv"],
            write(
                "long.csv",
                &format!("title,description\nFine,\nToo long,{long}\n"),
            ),
            "line 3: description: must be at most 65536 characters",
        ),
        (
            vec!["import", "csv"],
            write(
                "quote.csv",
                "title,column\nA,To do\n\"unterminated,To do\nB,Done\n",
            ),
            "line 3: a quote opened here is never closed",
        ),
        (
            vec!["import", "csv"],
            write("archived.csv", "title,Archived\nA,yes\nB,maybe\n"),
            "line 3: archived: \"maybe\" is not yes or no",
        ),
        (
            vec!["import", "tandem"],
            write(
                "cut.json",
                r#"{"format": "tandem-board", "version": 1, "projects": [{"name": "#,
            ),
            "cut short",
        ),
        (
            vec!["import", "tandem"],
            write(
                "trello.json",
                r#"{"name": "Board", "lists": [], "cards": []}"#,
            ),
            "not a Tandem export",
        ),
        (
            vec!["import", "tandem"],
            write("empty.json", "  \n"),
            "the file is empty",
        ),
        (
            vec!["import", "csv"],
            dir.join("missing.csv").to_str().unwrap().to_owned(),
            "cannot read",
        ),
    ];
    for (command, file, message) in cases {
        let mut args = command.clone();
        args.push(&file);
        assert_user_error(&sandbox.tandem(&args), message);
    }
    assert_eq!(
        (exported(&sandbox), logged(&sandbox).await),
        before,
        "nothing changed"
    );
}

/// Runs `tandem <args>`, which must succeed; returns what it printed.
fn ok(sandbox: &Sandbox, args: &[&str]) -> String {
    let output = sandbox.tandem(args);
    assert!(
        output.status.success(),
        "tandem {}: {}",
        args.join(" "),
        stderr(&output)
    );
    stdout(&output)
}

#[tokio::test]
async fn a_task_is_edited_labelled_checked_off_and_its_history_says_who_did_what() {
    let sandbox = Sandbox::new();
    let id = add(&sandbox, &["Write the release notes"]);
    ok(&sandbox, &["label", "add", "Bug", "--color", "#D73A4A"]);
    ok(
        &sandbox,
        &[
            "task",
            "edit",
            &id.0,
            "--description",
            "Line one\nLine two",
            "--priority",
            "High",
            "--due",
            "2026-12-24",
        ],
    );
    assert_eq!(ok(&sandbox, &["task", "label", &id.0, "bug"]), "Bug");
    let item = ok(&sandbox, &["subtask", "add", &id.0, "Draft"]);
    ok(&sandbox, &["subtask", "add", &id.0, "Review"]);
    ok(&sandbox, &["subtask", "check", &item]);
    ok(&sandbox, &["task", "move", &id.0, "--next"]);
    sqlite3(
        sandbox.db(),
        &format!("UPDATE tasks SET title = 'Notes' WHERE id = '{id}'"),
    );

    let shown: serde_json::Value =
        serde_json::from_str(&ok(&sandbox, &["task", "show", &id.0, "--json"])).unwrap();
    assert_eq!(shown["task"]["description"], "Line one\nLine two");
    assert_eq!(shown["task"]["priority"], "high");
    assert_eq!(shown["task"]["due_date"], "2026-12-24");
    assert_eq!(shown["labels"][0]["name"], "Bug");
    assert_eq!(shown["subtasks"][0]["done"], true);
    let text = ok(&sandbox, &["task", "show", &id.0]);
    assert!(text.contains("checklist 1/2"), "{text}");
    assert_eq!(column_of(&sandbox, &id), "Doing");

    let history = ok(&sandbox, &["task", "history", &id.0]);
    let lines: Vec<&str> = history.lines().collect();
    let expected = [
        ("the command line", "created \"Write the release notes\""),
        ("the command line", "priority \"none\" → \"high\""),
        ("the command line", "labelled \"Bug\""),
        ("the command line", "checklist: added \"Draft\""),
        ("the command line", "checklist: added \"Review\""),
        ("the command line", "checklist: checked \"Draft\""),
        ("the command line", "moved to \"Doing\""),
        (
            "another program",
            "title \"Write the release notes\" → \"Notes\"",
        ),
    ];
    assert_eq!(lines.len(), expected.len(), "{history}");
    for (line, (who, what)) in lines.iter().zip(expected) {
        assert!(
            line.contains(who) && line.contains(what),
            "{line:?} ≠ {who} {what}"
        );
    }
    let err = sandbox.tandem(&["task", "history", "no-such-task"]);
    assert_user_error(&err, "task no-such-task was not found");
}

#[tokio::test]
async fn archived_cards_leave_the_listing_and_search_and_come_back_with_unarchive() {
    let sandbox = Sandbox::new();
    let shed = add(&sandbox, &["Paint the shed"]);
    let fence = add(&sandbox, &["Mend the fence"]);
    add(&sandbox, &["Sweep the path"]);
    ok(&sandbox, &["task", "archive", &shed.0, &fence.0]);

    let board = ok(&sandbox, &["task", "ls"]);
    assert!(board.contains("Sweep the path"), "{board}");
    assert!(!board.contains("Paint the shed") && !board.contains("Mend the fence"));
    let archive = ok(&sandbox, &["task", "ls", "--archived"]);
    assert!(archive.starts_with("Inbox (archived: 2)"), "{archive}");
    assert!(
        archive.contains(&format!("{shed}  Paint the shed")),
        "{archive}"
    );
    assert!(ok(&sandbox, &["search", "shed"]).is_empty());
    assert_eq!(
        ok(&sandbox, &["search", "shed", "--archived"]),
        format!("{shed}  Paint the shed  (Inbox › To do, archived)")
    );

    // Moving an archived card, archiving an unknown one or one among unknown ones changes
    // nothing and says why.
    let seq = logged(&sandbox).await;
    let moved = sandbox.tandem(&["task", "move", &shed.0, "--next"]);
    assert_user_error(&moved, "unarchive it to move it");
    let unknown = sandbox.tandem(&["task", "unarchive", &shed.0, "no-such-task"]);
    assert_user_error(&unknown, "task no-such-task was not found");
    let none = sandbox.tandem(&["task", "archive"]);
    assert_eq!(none.status.code(), Some(2), "{none:?}");
    assert_eq!(logged(&sandbox).await, seq, "nothing was written");

    ok(&sandbox, &["task", "unarchive", &shed.0]);
    let tasks = list(&sandbox, &[]);
    let titles: Vec<&str> = tasks.iter().map(|t| t.title.as_str()).collect();
    assert_eq!(
        titles,
        ["Paint the shed", "Sweep the path"],
        "back where it stood"
    );
    let history = ok(&sandbox, &["task", "history", &shed.0]);
    assert!(history.contains("archived"), "{history}");
    assert!(history.contains("unarchived"), "{history}");
}

#[tokio::test]
async fn a_task_moves_to_another_project_with_its_checklist_and_labels() {
    let sandbox = Sandbox::new();
    let bulbs = add(&sandbox, &["Plant bulbs"]);
    ok(&sandbox, &["subtask", "add", &bulbs.0, "Buy them"]);
    ok(&sandbox, &["label", "add", "Outside", "--color", "#16a34a"]);
    ok(&sandbox, &["task", "label", &bulbs.0, "Outside"]);
    ok(&sandbox, &["project", "add", "Garden"]);
    ok(
        &sandbox,
        &[
            "task",
            "move",
            &bulbs.0,
            "--to-project",
            "garden",
            "--column",
            "Doing",
        ],
    );
    assert!(list(&sandbox, &[]).is_empty(), "gone from Inbox");
    let there = list(&sandbox, &["--project", "Garden"]);
    assert_eq!(there.len(), 1);
    assert_eq!(there[0].id, bulbs, "the same card");
    let shown = ok(&sandbox, &["task", "show", &bulbs.0]);
    assert!(shown.contains("labels    Outside"), "{shown}");
    assert!(shown.contains("[ ] Buy them"), "{shown}");
    // Without a column, or to a project that is not there: refused, nothing moves.
    let none = sandbox.tandem(&["task", "move", &bulbs.0, "--to-project", "Inbox"]);
    assert_eq!(none.status.code(), Some(2), "{none:?}");
    assert_user_error(
        &sandbox.tandem(&[
            "task",
            "move",
            &bulbs.0,
            "--to-project",
            "Nowhere",
            "--column",
            "To do",
        ]),
        "Nowhere",
    );
    assert_eq!(list(&sandbox, &["--project", "Garden"]).len(), 1);
}

#[tokio::test]
async fn search_finds_cards_in_every_project_whoever_wrote_them() {
    let sandbox = Sandbox::new();
    let login = add(&sandbox, &["Fix the login page"]);
    ok(&sandbox, &["project", "add", "Garden"]);
    let tulips = add(&sandbox, &["Plant tulips", "--project", "Garden"]);
    ok(
        &sandbox,
        &[
            "task",
            "edit",
            &login.0,
            "--description",
            "Crashes after the OAuth redirect",
        ],
    );
    ok(&sandbox, &["subtask", "add", &tulips.0, "Buy bulbs"]);
    // Another program's write is indexed by the same triggers.
    sqlite3(
        sandbox.db(),
        &format!("UPDATE tasks SET title = 'Plant deployment tulips' WHERE id = '{tulips}'"),
    );

    let found = |args: &[&str]| -> Vec<serde_json::Value> {
        let mut all = vec!["search", "--json"];
        all.extend_from_slice(args);
        serde_json::from_str(&ok(&sandbox, &all)).expect("search --json prints hits")
    };
    let oauth = found(&["oauth"]);
    assert_eq!(oauth.len(), 1);
    assert_eq!(oauth[0]["task_id"], login.0.as_str());
    assert_eq!(oauth[0]["column"], "To do");
    let bulbs = found(&["bulbs deploy*"]);
    assert_eq!(bulbs.len(), 1);
    assert_eq!(
        (&bulbs[0]["title"], &bulbs[0]["project"]),
        (&"Plant deployment tulips".into(), &"Garden".into())
    );
    assert!(found(&["bulbs", "--project", "Inbox"]).is_empty());
    assert_eq!(found(&["\"the login\""]).len(), 1);

    let text = ok(&sandbox, &["search", "tulips"]);
    assert_eq!(
        text,
        format!("{tulips}  Plant deployment tulips  (Garden › To do)")
    );
    let none = sandbox.tandem(&["search", "nothing-here"]);
    assert!(none.status.success());
    assert!(none.stdout.is_empty(), "no line to count");
    assert!(
        stderr(&none).contains("no card matches"),
        "{}",
        stderr(&none)
    );

    assert_user_error(&sandbox.tandem(&["search", "?!"]), "query: type a word");
    assert_user_error(&sandbox.tandem(&["search", "x", "--limit", "0"]), "--limit");
    assert_user_error(
        &sandbox.tandem(&["search", "x", "--project", "Nope"]),
        "Nope",
    );
}

#[tokio::test]
async fn projects_columns_and_labels_are_managed_by_name() {
    let sandbox = Sandbox::new();
    let work = ok(&sandbox, &["project", "add", "Work"]);
    ok(&sandbox, &["project", "rename", "work", "Job"]);
    ok(&sandbox, &["project", "move", "Job", "--index", "0"]);
    let projects = ok(&sandbox, &["project", "ls"]);
    assert!(projects.starts_with(&format!("{work}  Job")), "{projects}");

    let p = ["--project", "Job"];
    ok(
        &sandbox,
        &["column", "add", "Review", p[0], p[1], "--index", "2"],
    );
    ok(&sandbox, &["column", "limit", "review", "2", p[0], p[1]]);
    let task = add(
        &sandbox,
        &["Ship it", "--project", "Job", "--column", "Review"],
    );
    let columns = ok(&sandbox, &["column", "ls", p[0], p[1]]);
    let names: Vec<&str> = columns
        .lines()
        .map(|l| l.split_once("  ").unwrap().1)
        .collect();
    assert_eq!(
        names,
        ["To do (0)", "Doing (0)", "Review (1 of 2)", "Done (0)"]
    );

    let refused = sandbox.tandem(&["column", "rm", "Review", p[0], p[1]]);
    assert_user_error(&refused, "tasks_to: the column holds 1 tasks");
    ok(
        &sandbox,
        &["column", "rm", "Review", "--tasks-to", "Done", p[0], p[1]],
    );
    assert_eq!(column_of_in(&sandbox, "Job", &task), "Done");

    ok(
        &sandbox,
        &["label", "add", "Docs", "--color", "#0075ca", p[0], p[1]],
    );
    ok(
        &sandbox,
        &[
            "label", "edit", "docs", "--name", "Manual", "--color", "#00FF00", p[0], p[1],
        ],
    );
    let labels = ok(&sandbox, &["label", "ls", p[0], p[1]]);
    assert!(labels.ends_with("#00ff00  Manual"), "{labels}");
    ok(&sandbox, &["label", "rm", "Manual", p[0], p[1]]);
    assert_eq!(ok(&sandbox, &["label", "ls", p[0], p[1]]), "");

    let refused = sandbox.tandem(&["project", "rm", "Job"]);
    assert_user_error(&refused, "add --yes");
    ok(&sandbox, &["project", "rm", "Job", "--yes"]);
    assert_eq!(ok(&sandbox, &["project", "ls"]).lines().count(), 1);
    let last = sandbox.tandem(&["project", "rm", "Inbox", "--yes"]);
    assert_user_error(&last, "the last project cannot be deleted");
}

/// The column a task is in, in project `project`.
fn column_of_in(sandbox: &Sandbox, project: &str, id: &TaskId) -> String {
    let tasks: Vec<Task> = serde_json::from_str(&ok(
        sandbox,
        &["task", "ls", "--project", project, "--json"],
    ))
    .unwrap();
    let task = tasks.iter().find(|t| t.id == *id).expect("the task");
    let columns: Vec<serde_json::Value> = serde_json::from_str(&ok(
        sandbox,
        &["column", "ls", "--project", project, "--json"],
    ))
    .unwrap();
    let column = columns
        .iter()
        .find(|c| c["id"] == task.column_id.0)
        .unwrap();
    column["name"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn bad_values_for_the_model_are_refused_by_name_and_change_nothing() {
    let sandbox = Sandbox::new();
    let task = add(&sandbox, &["Existing"]);
    let item = ok(&sandbox, &["subtask", "add", &task.0, "Item"]);
    ok(&sandbox, &["label", "add", "Bug", "--color", "#ff0000"]);
    let before = log(&sandbox.store().await).await.len();
    let cases: &[(&[&str], &str)] = &[
        (
            &["task", "edit", &task.0, "--due", "2026-02-30"],
            "due_date: \"2026-02-30\"",
        ),
        (
            &["task", "edit", &task.0, "--priority", "soon"],
            "not one of none, low",
        ),
        (&["task", "edit", &task.0], "say what to change"),
        (
            &["task", "edit", &task.0, "--description", "bell\u{7}"],
            "description: must be plain text",
        ),
        (
            &["task", "edit", &task.0, "--due", "2026-01-01", "--no-due"],
            "cannot be used with",
        ),
        (&["task", "move", &task.0], "required"),
        (
            &["task", "label", &task.0, "Feature"],
            "label Feature was not found",
        ),
        (
            &["subtask", "add", &task.0, " "],
            "title: must not be empty",
        ),
        (
            &["subtask", "move", &item, "--index", "-3"],
            "index: must not be negative",
        ),
        (
            &["label", "add", "Red", "--color", "red"],
            "color: \"red\" is not a colour",
        ),
        (
            &["label", "add", "bug", "--color", "#00ff00"],
            "the project already has a label named",
        ),
        (
            &["column", "limit", "Doing", "0"],
            "wip_limit: must be from 1 to 999",
        ),
        (
            &["column", "limit", "Doing", "lots"],
            "not a number or `none`",
        ),
        (
            &["column", "add", "doing"],
            "the project already has a column named",
        ),
        (&["project", "add", "inbox"], "already a project named"),
    ];
    for (args, message) in cases {
        assert_user_error(&sandbox.tandem(args), message);
    }
    let after = log(&sandbox.store().await).await.len();
    assert_eq!(after, before, "a refused command logs nothing");
}

#[test]
fn a_command_maps_no_desktop_library_and_no_command_becomes_the_desktop_app() {
    let sandbox = Sandbox::new();
    let traced = sandbox
        .command(&["task", "add", "Light"])
        .env("LD_DEBUG", "files")
        .output()
        .expect("tandem runs");
    assert!(traced.status.success(), "{}", stderr(&traced));
    let mapped: Vec<String> = stderr(&traced)
        .lines()
        .filter(|line| line.contains("file=") && line.contains("needed by"))
        .map(str::to_owned)
        .collect();
    assert!(
        mapped.iter().any(|line| line.contains("libc.so")),
        "LD_DEBUG shows what is mapped: {mapped:?}"
    );
    let desktop: Vec<&String> = mapped
        .iter()
        .filter(|line| {
            ["webkit", "gtk", "gdk", "soup", "javascriptcore"]
                .iter()
                .any(|lib| line.contains(lib))
        })
        .collect();
    assert!(desktop.is_empty(), "a command maps {desktop:?}");

    // Without a command it is the desktop app, which says it has no display to open a window on.
    let app = sandbox.command(&[]).output().expect("tandem runs");
    assert_eq!(app.status.code(), Some(1), "{}", stderr(&app));
    assert!(stderr(&app).contains("no display"), "{}", stderr(&app));
    assert!(
        !stderr(&app).contains("cannot start the desktop app"),
        "{}",
        stderr(&app)
    );
}

#[tokio::test]
async fn whoami_names_the_system_login_and_changes_only_its_own_name_and_colour() {
    let sandbox = Sandbox::new();
    let (login, _) = tandem::store::os_login();
    let said = ok(&sandbox, &["whoami"]);
    assert!(said.starts_with(&format!("{login} (")), "{said}");
    let me: serde_json::Value = serde_json::from_str(&ok(
        &sandbox,
        &[
            "whoami",
            "--name",
            "Ada Lovelace",
            "--color",
            "#1A2B3C",
            "--json",
        ],
    ))
    .unwrap();
    assert_eq!(me["login"], login.as_str());
    assert_eq!(
        (me["name"].as_str(), me["color"].as_str()),
        (Some("Ada Lovelace"), Some("#1a2b3c"))
    );
    assert_user_error(
        &sandbox.tandem(&["whoami", "--color", "blue"]),
        "is not a colour written #RRGGBB",
    );
    assert_user_error(&sandbox.tandem(&["whoami", "--name", "  "]), "name");
    let me: serde_json::Value = serde_json::from_str(&ok(&sandbox, &["whoami", "--json"])).unwrap();
    assert_eq!(me["name"], "Ada Lovelace", "a refused edit changes nothing");

    // Her changes are hers, and history says so by name.
    let id = add(&sandbox, &["Mine"]);
    let history = ok(&sandbox, &["task", "history", &id.0]);
    assert!(
        history.contains("Ada Lovelace (the command line)"),
        "{history}"
    );
    assert_user_error(&sandbox.tandem(&["team", "init"]), "a file has no team");
}

#[test]
fn people_go_on_a_task_and_lists_show_whose_it_is() {
    let sandbox = Sandbox::new();
    let (me, _) = tandem::store::os_login();
    let ship = ok(&sandbox, &["task", "add", "Ship"]);
    let plan = ok(&sandbox, &["task", "add", "Plan"]);
    assert_eq!(
        ok(&sandbox, &["task", "assign", &ship, "dana", &me]),
        format!("On it: {}", {
            let mut both = [me.clone(), "dana".to_owned()];
            both.sort();
            both.join(", ")
        })
    );
    ok(&sandbox, &["task", "assign", &plan, "dana"]);

    let mine = ok(&sandbox, &["task", "ls", "--mine"]);
    assert!(mine.contains("Ship") && !mine.contains("Plan"), "{mine}");
    let danas = ok(&sandbox, &["task", "ls", "--assignee", "dana"]);
    assert!(danas.contains("Ship") && danas.contains("Plan"), "{danas}");
    assert_eq!(
        ok(&sandbox, &["task", "unassign", &plan, "dana"]),
        "Nobody is on it"
    );
    let danas = ok(&sandbox, &["task", "ls", "--assignee", "dana"]);
    assert!(danas.contains("Ship") && !danas.contains("Plan"), "{danas}");
    let history = ok(&sandbox, &["task", "history", &plan]);
    assert!(
        history.contains("assigned dana") && history.contains("unassigned dana"),
        "{history}"
    );

    // Bad input is refused in one line and changes nothing.
    let before = ok(&sandbox, &["task", "ls", "--json"]);
    for args in [
        vec!["task", "assign", &ship, "not a login"],
        vec!["task", "assign", "no-such-task", "dana"],
        vec!["task", "ls", "--mine", "--archived"],
    ] {
        let refused = sandbox.tandem(&args);
        assert!(!refused.status.success(), "{args:?}");
        assert!(!stderr(&refused).is_empty(), "{args:?}");
    }
    assert_eq!(ok(&sandbox, &["task", "ls", "--json"]), before);

    // Exports say who is on a card, and a spreadsheet's Assignees column comes back in.
    let markdown = ok(&sandbox, &["export", "markdown"]);
    assert!(markdown.contains("on it: @dana"), "{markdown}");
    let file = sandbox.dir.path().join("people.csv");
    std::fs::write(&file, "Title,Assignees\nPaint,\"dana; eve\"\n").unwrap();
    ok(&sandbox, &["import", "csv", file.to_str().unwrap()]);
    let evas = ok(&sandbox, &["task", "ls", "--assignee", "eve"]);
    assert!(evas.contains("Paint"), "{evas}");
}

#[test]
fn a_trello_cards_members_become_its_assignees() {
    let sandbox = Sandbox::new();
    let file = sandbox.dir.path().join("trello.json");
    std::fs::write(
        &file,
        r#"{"name": "Launch",
            "members": [{"id": "m1", "username": "ada", "fullName": "Ada L"},
                        {"id": "m2", "username": "grace", "fullName": "Grace H"}],
            "lists": [{"id": "l1", "name": "To do", "pos": 1}],
            "cards": [{"id": "c1", "name": "Ship", "idList": "l1", "pos": 1,
                       "idMembers": ["m2", "m1", "gone"]},
                      {"id": "c2", "name": "Plan", "idList": "l1", "pos": 2}]}"#,
    )
    .unwrap();
    ok(&sandbox, &["import", "trello", file.to_str().unwrap()]);
    let exported = exported(&sandbox).to_string();
    // Members Trello no longer knows are left out; the rest by login.
    assert!(
        exported.contains(
            r#"{"assignees":["ada","grace"],"checklist":[],"description":"","due_date":null,"labels":[],"priority":"none","title":"Ship"}"#
        ),
        "{exported}"
    );
    let adas = ok(
        &sandbox,
        &["task", "ls", "--assignee", "ada", "--project", "Launch"],
    );
    assert!(adas.contains("Ship") && !adas.contains("Plan"), "{adas}");
}

#[test]
fn a_conversation_is_added_from_arguments_and_standard_input_listed_edited_found_and_removed() {
    use std::io::Write;
    let sandbox = Sandbox::new();
    let ship = ok(&sandbox, &["task", "add", "Ship"]);
    let first = ok(&sandbox, &["comment", "add", &ship, "Needs **tulips**"]);
    let mut piped = sandbox
        .command(&["comment", "add", &ship, "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    piped
        .stdin
        .take()
        .unwrap()
        .write_all(b"From a pipe\nover two lines\n")
        .unwrap();
    let second = piped.wait_with_output().unwrap();
    assert!(second.status.success(), "{second:?}");

    ok(&sandbox, &["comment", "edit", &first, "Needs daffodils"]);
    let thread = ok(&sandbox, &["comment", "ls", &ship]);
    assert!(
        thread.contains("Needs daffodils") && thread.contains("(edited)"),
        "{thread}"
    );
    assert!(
        thread.contains("    From a pipe\n    over two lines"),
        "{thread}"
    );
    let found = ok(&sandbox, &["search", "daffodils"]);
    assert!(found.contains("Ship"), "{found}");
    let history = ok(&sandbox, &["task", "history", &ship]);
    assert!(history.contains("edited a comment"), "{history}");

    // Bad input is refused in words and writes nothing.
    let before = ok(&sandbox, &["--json", "comment", "ls", &ship]);
    assert_user_error(&sandbox.tandem(&["comment", "add", &ship, "  "]), "body");
    assert_user_error(
        &sandbox.tandem(&["comment", "add", "nope", "Hi"]),
        "not found",
    );
    assert_user_error(&sandbox.tandem(&["comment", "rm", "nope"]), "not found");
    assert_eq!(ok(&sandbox, &["--json", "comment", "ls", &ship]), before);

    ok(&sandbox, &["comment", "rm", &first]);
    let thread = ok(&sandbox, &["comment", "ls", &ship]);
    assert!(
        !thread.contains("daffodils") && thread.contains("From a pipe"),
        "{thread}"
    );
}

#[tokio::test]
async fn watching_and_the_inbox_are_for_a_team_server_and_a_file_says_so() {
    let sandbox = Sandbox::new();
    let task = add(&sandbox, &["Mine"]);
    for args in [
        &["inbox"][..],
        &["inbox", "read"],
        &["task", "watch", &task.0],
        &["project", "watch", "Inbox"],
    ] {
        assert_user_error(&sandbox.tandem(args), "team's server");
    }
}

#[test]
fn a_board_in_a_file_has_no_outbox_and_says_so() {
    let sandbox = Sandbox::new();
    for args in [
        &["outbox"][..],
        &["outbox", "retry"],
        &["outbox", "drop", "1"],
    ] {
        let refused = sandbox.tandem(args);
        assert_user_error(&refused, "a board in a file has no outbox");
    }
}

#[test]
fn json_names_each_cards_project_column_and_labels_beside_their_ids() {
    let sandbox = Sandbox::new();
    let id = add(&sandbox, &["Ship"]);
    ok(&sandbox, &["label", "add", "Urgent", "--color", "#dc2626"]);
    ok(&sandbox, &["task", "label", &id.0, "Urgent"]);
    let json = |args: &[&str]| -> serde_json::Value {
        let mut args = args.to_vec();
        args.push("--json");
        serde_json::from_str(&ok(&sandbox, &args)).unwrap()
    };
    let card = |value: &serde_json::Value| {
        (
            value["project"].as_str().unwrap().to_owned(),
            value["column"].as_str().unwrap().to_owned(),
            value["labels"][0]["name"].as_str().unwrap().to_owned(),
            value["labels"][0]["id"].is_string(),
            value["column_id"].is_string(),
        )
    };
    let named = |column: &str| ("Inbox".into(), column.into(), "Urgent".into(), true, true);
    assert_eq!(card(&json(&["task", "ls"])[0]), named("To do"));
    assert_eq!(
        card(&json(&["task", "show", &id.0])["task"]),
        named("To do")
    );
    assert_eq!(
        card(&json(&["task", "move", &id.0, "--column", "Doing"])),
        named("Doing")
    );
    assert_eq!(card(&json(&["task", "done", &id.0])), named("Done"));
    assert_eq!(card(&json(&["task", "archive", &id.0])[0]), named("Done"));
    assert_eq!(card(&json(&["task", "ls", "--archived"])[0]), named("Done"));
    assert_eq!(card(&json(&["task", "rm", &id.0])), named("Done"));
}

/// A fixture of `tests/fixtures/csv`, as another tool wrote it.
fn csv_fixture(name: &str) -> String {
    format!("{}/tests/fixtures/csv/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// A card as `cards_of` gives it: column, priority, due date, labels, description.
type Listed = (String, String, Option<String>, Vec<String>, String);

/// The cards of `project` with `--json`, by title.
fn cards_of(sandbox: &Sandbox, project: &str) -> std::collections::BTreeMap<String, Listed> {
    let listed: Vec<serde_json::Value> = serde_json::from_str(&ok(
        sandbox,
        &["task", "ls", "--project", project, "--json"],
    ))
    .unwrap();
    listed
        .iter()
        .map(|c| {
            let mut labels: Vec<String> = c["labels"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["name"].as_str().unwrap().to_owned())
                .collect();
            labels.sort();
            (
                c["title"].as_str().unwrap().to_owned(),
                (
                    c["column"].as_str().unwrap().to_owned(),
                    c["priority"].as_str().unwrap().to_owned(),
                    c["due_date"].as_str().map(str::to_owned),
                    labels,
                    c["description"].as_str().unwrap_or_default().to_owned(),
                ),
            )
        })
        .collect()
}

#[test]
fn jiras_csv_comes_in_with_its_statuses_priorities_labels_and_dates_and_says_what_it_left_out() {
    let sandbox = Sandbox::new();
    let report = ok(&sandbox, &["import", "csv", &csv_fixture("jira.csv")]);
    assert!(
        report.starts_with("Imported 3 cards into Website"),
        "{report}"
    );
    for said in [
        "6 columns of the file left out, none of a card's fields: Issue key, Issue id, Issue \
         Type, Reporter, Created, Story Points",
        "1 person left off their cards, not a login: “Ann Lee”",
        "1 due date left out, not a date Tandem reads: “next sprint”",
    ] {
        assert!(report.contains(said), "{report}\nshould say: {said}");
    }
    let cards = cards_of(&sandbox, "Website");
    let login = &cards["Login page times out"];
    assert_eq!(
        (&login.0[..], &login.1[..], login.2.as_deref(), &login.3[..]),
        (
            "In Progress",
            "urgent",
            Some("2026-12-05"),
            &["frontend".to_owned(), "urgent-fix".to_owned()][..]
        )
    );
    assert_eq!(login.4, "Users see a spinner, then \"502\".");
    let pricing = &cards["Ship the new pricing page"];
    assert_eq!(
        (&pricing.0[..], &pricing.1[..], &pricing.2),
        ("Done", "low", &None)
    );
    assert_eq!(pricing.4, "Copy from marketing.\nDesign from Figma.");
}

#[test]
fn a_spreadsheets_dates_come_in_as_its_locale_wrote_them_and_an_ambiguous_one_is_said() {
    // Excel in the United States: month first, which 12/24 shows.
    let sandbox = Sandbox::new();
    let us = ok(&sandbox, &["import", "csv", &csv_fixture("excel-us.csv")]);
    assert!(
        us.contains(
            "1 due date read as month/day, as “12/24/2026 7:30 PM” in the file shows: \
             “6/12/2026 → 2026-06-12”"
        ),
        "{us}"
    );
    let cards = cards_of(&sandbox, "Inbox");
    assert_eq!(cards["Plan the picnic"].2.as_deref(), Some("2026-06-12"));
    assert_eq!(cards["Book the band"].2.as_deref(), Some("2026-12-24"));

    // Nothing in the file tells: the computer's locale does, and the report says so.
    let file = sandbox.dir.path().join("ambiguous.csv");
    std::fs::write(&file, "title,due\nGarden party,6/12/2026\n").unwrap();
    for (locale, day) in [("de_DE.UTF-8", "2026-12-06"), ("en_US.UTF-8", "2026-06-12")] {
        let sandbox = Sandbox::new();
        let said = sandbox
            .command(&["import", "csv", file.to_str().unwrap()])
            .env("LANG", locale)
            .output()
            .unwrap();
        assert!(said.status.success(), "{said:?}");
        let said = String::from_utf8(said.stdout).unwrap();
        assert!(
            said.contains(&format!("this computer's locale, {locale}")),
            "{said}"
        );
        let cards = cards_of(&sandbox, "Inbox");
        assert_eq!(cards["Garden party"].2.as_deref(), Some(day), "{locale}");
    }
}

#[tokio::test]
async fn a_dry_run_says_what_an_import_would_do_and_writes_nothing() {
    let sandbox = Sandbox::new();
    add(&sandbox, &["Already here"]);
    let before = logged(&sandbox).await;
    let said = ok(
        &sandbox,
        &["import", "csv", &csv_fixture("jira.csv"), "--dry-run"],
    );
    for part in [
        "Would import 3 cards into Website (3 cards, a new project)",
        "Read as UTF-8, cells separated by commas: Summary → title, Issue key (left out)",
        "1 due date left out, not a date Tandem reads: “next sprint”",
        "Nothing was written (--dry-run).",
    ] {
        assert!(said.contains(part), "{said}\nshould say: {part}");
    }
    // The option goes anywhere after `import`, and --json gives the preview the window shows.
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/trello.json");
    let json: serde_json::Value = serde_json::from_str(&ok(
        &sandbox,
        &[
            "--json",
            "import",
            "--dry-run",
            "trello",
            file,
            "--project",
            "Inbox",
        ],
    ))
    .unwrap();
    assert_eq!(
        (&json["cards"], &json["archived"], &json["comments"]),
        (&6.into(), &2.into(), &2.into())
    );
    assert_eq!(
        json["projects"],
        serde_json::json!([{"name": "Inbox", "cards": 6, "new": false}])
    );
    assert_eq!(json["notes"].as_array().unwrap().len(), 3, "{json}");
    assert_eq!(logged(&sandbox).await, before, "nothing written");
    assert_eq!(list(&sandbox, &[]).len(), 1);
}

#[test]
fn asana_github_and_trello_csv_map_their_headers_without_renaming() {
    let sandbox = Sandbox::new();
    let asana = ok(&sandbox, &["import", "csv", &csv_fixture("asana.csv")]);
    assert!(
        asana.starts_with("Imported 3 cards into Offsite 2027"),
        "{asana}"
    );
    assert!(asana.contains("“Carol Diaz”"), "{asana}");
    let offsite = cards_of(&sandbox, "Offsite 2027");
    let agenda = &offsite["Draft the agenda"];
    assert_eq!(
        (
            &agenda.0[..],
            agenda.2.as_deref(),
            &agenda.3[..],
            &agenda.4[..]
        ),
        (
            "Planning",
            Some("2026-12-09"),
            &["agenda".to_owned(), "offsite".to_owned()][..],
            "Two days; one workshop."
        )
    );
    assert_eq!(offsite["Book the venue"].0, "Done");

    let github = ok(
        &sandbox,
        &[
            "import",
            "csv",
            &csv_fixture("github-projects.csv"),
            "--project",
            "App",
        ],
    );
    assert!(github.starts_with("Imported 2 cards into App"), "{github}");
    let app = cards_of(&sandbox, "App");
    assert_eq!(app["Crash when the config is empty"].0, "In Progress");
    assert_eq!(
        app["Crash when the config is empty"].3,
        ["bug".to_owned(), "p1".to_owned()]
    );

    let trello = ok(&sandbox, &["import", "csv", &csv_fixture("trello.csv")]);
    assert!(
        trello.starts_with("Imported 2 cards (1 archived) into Product"),
        "{trello}"
    );
    let product = cards_of(&sandbox, "Product");
    let sprint = &product["Plan the sprint"];
    // The label's colour is Trello's, not its name; the due day is the one Trello's time in UTC
    // falls on here (UTC in these tests).
    assert_eq!(
        (&sprint.0[..], sprint.2.as_deref(), &sprint.3[..]),
        (
            "Doing",
            Some("2026-12-07"),
            &["Team".to_owned(), "Urgent".to_owned()][..]
        )
    );
    assert!(!product.contains_key("Old idea"), "archived, off the board");
}

#[test]
fn excels_csv_in_a_european_locale_and_its_unicode_text_come_in_with_their_accents() {
    let sandbox = Sandbox::new();
    let de = ok(
        &sandbox,
        &[
            "import",
            "csv",
            &csv_fixture("excel-de.csv"),
            "--project",
            "Haus",
        ],
    );
    assert!(de.starts_with("Imported 2 cards into Haus"), "{de}");
    let haus = cards_of(&sandbox, "Haus");
    assert_eq!(
        haus["Äpfel kaufen"],
        (
            "Zu erledigen".to_owned(),
            "none".to_owned(),
            Some("2026-12-06".to_owned()),
            Vec::new(),
            "Für den Kuchen, rote".to_owned()
        )
    );
    assert_eq!(haus["Grüße schreiben"].4, "Weihnachtskarten; an alle");

    let text = ok(
        &sandbox,
        &[
            "import",
            "csv",
            &csv_fixture("excel-unicode.txt"),
            "--project",
            "Café",
        ],
    );
    assert!(text.starts_with("Imported 2 cards into Café"), "{text}");
    let cafe = cards_of(&sandbox, "Café");
    assert_eq!(cafe["Café menu"].4, "Crème brûlée");
    assert_eq!(cafe["Naïve plan"].0, "Doing");

    // Excel for Mac's CSV (Macintosh): Mac Roman, each line ended by a carriage return.
    let mac = ok(
        &sandbox,
        &[
            "import",
            "csv",
            &csv_fixture("excel-mac.csv"),
            "--project",
            "Soirée",
        ],
    );
    assert!(mac.starts_with("Imported 2 cards into Soirée"), "{mac}");
    let soiree = cards_of(&sandbox, "Soirée");
    assert_eq!(soiree["Crêpes for the party"].4, "Crème brûlée");
    assert_eq!(soiree["Soirée plan"].0, "Doing");
    assert_eq!(soiree["Soirée plan"].4, "Über, ç");

    // Read the wrong way on purpose: said how it was read, and nothing written.
    let wrong = sandbox.tandem(&[
        "import",
        "csv",
        &csv_fixture("excel-de.csv"),
        "--delimiter",
        "comma",
        "--encoding",
        "utf-8",
    ]);
    assert_user_error(&wrong, "not UTF-8 text");
    let wrong = sandbox.tandem(&[
        "import",
        "csv",
        &csv_fixture("excel-unicode.txt"),
        "--delimiter",
        "comma",
    ]);
    assert_user_error(&wrong, "read as UTF-16LE separated by comma");
    // --map names a column the file calls otherwise.
    let mapped = ok(
        &sandbox,
        &[
            "import",
            "csv",
            &csv_fixture("jira.csv"),
            "--project",
            "Mapped",
            "--map",
            "description=Issue Type",
        ],
    );
    assert!(mapped.contains("Imported 3 cards"), "{mapped}");
    assert_eq!(
        cards_of(&sandbox, "Mapped")["Update privacy policy"].4,
        "Task"
    );
    let unknown = sandbox.tandem(&[
        "import",
        "csv",
        &csv_fixture("jira.csv"),
        "--map",
        "due=Deadline",
    ]);
    assert_user_error(&unknown, "the file has no column \"Deadline\"");
}

#[test]
fn a_trello_export_of_2015_keeps_the_labels_its_cards_carry_named_by_colour() {
    let sandbox = Sandbox::new();
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/trello-2015.json"
    );
    let said = ok(&sandbox, &["import", "trello", file]);
    assert_eq!(said, "Imported 3 cards into Garden 2015");
    let cards = cards_of(&sandbox, "Garden 2015");
    // Its labels lived only inside the cards, an unnamed one named by the board's labelNames.
    assert_eq!(
        cards["Tomatoes by the wall"].3,
        ["Urgent".to_owned(), "Veg".to_owned()]
    );
    assert_eq!(cards["Tulips"].3, ["Flowers".to_owned()]);
    assert_eq!(cards["Herb spiral"].3, ["Veg".to_owned()]);
    assert_eq!(
        cards["Tomatoes by the wall"].2.as_deref(),
        Some("2015-05-01")
    );
    assert_eq!(cards["Tulips"].0, "Ideas");
}

#[test]
fn trello_due_dates_fall_on_the_day_trello_shows_where_they_are_imported() {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/trello.json");
    // Trello keeps a due date as an instant in UTC and shows it on the day it falls on where
    // it is read: midnight of 10 February in Berlin is written 2027-02-09T23:00:00.000Z.
    for (zone, day, said) in [
        (
            "Europe/Berlin",
            "2027-02-10",
            Some(
                "1 due date given in UTC, each taken as the day it falls on in Europe/Berlin, \
                 this computer's time zone, as Trello shows it: “2027-02-09T23:00:00.000Z → \
                 2027-02-10”",
            ),
        ),
        ("America/New_York", "2027-02-09", None),
        ("UTC", "2027-02-09", None),
    ] {
        let sandbox = Sandbox::new();
        let imported = sandbox
            .command(&["import", "trello", file])
            .env("TZ", zone)
            .output()
            .unwrap();
        assert!(imported.status.success(), "{imported:?}");
        let out = String::from_utf8(imported.stdout).unwrap();
        // Said when the day is not the one written; nothing said when it is.
        match said {
            Some(said) => assert!(out.contains(said), "{zone}: {out}"),
            None => assert!(!out.contains("due date"), "{zone}: {out}"),
        }
        let cards = cards_of(&sandbox, "Website relaunch");
        assert_eq!(
            cards["Fix the 404 on /pricing"].2.as_deref(),
            Some(day),
            "{zone}"
        );
        // 17:00 UTC is the same day in all three.
        assert_eq!(
            cards["Redesign the navigation"].2.as_deref(),
            Some("2027-03-01"),
            "{zone}"
        );
    }
}

#[test]
fn a_file_of_a_gigabyte_is_refused_before_it_is_read() {
    let sandbox = Sandbox::new();
    let big = sandbox.dir.path().join("big.csv");
    // Sparse: a gigabyte on paper, nothing on the disk.
    std::fs::File::create(&big)
        .unwrap()
        .set_len(1024 * 1024 * 1024)
        .unwrap();
    for kind in ["csv", "trello", "tandem"] {
        let refused = sandbox.tandem(&["import", kind, big.to_str().unwrap()]);
        assert_user_error(
            &refused,
            "the file is 1024 MB; Tandem imports files of up to 256 MB",
        );
    }
}

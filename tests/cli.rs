//! The `tandem` command line, run as a user would: the real binary on a real database file, with
//! no display (it must never need one).

use std::process::Output;

use tandem::model::{Task, TaskId};

use crate::common::{log, Sandbox};

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

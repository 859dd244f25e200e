//! Team boards: the real `tandem` binary on several "machines" (sandboxes, each with its own
//! runtime folder and so its own hub) sharing one database on a real PostgreSQL server that the
//! tests start themselves; and the server URLs a user can get wrong.

use std::io::BufRead;
use std::process::{Output, Stdio};
use std::time::Duration;

use tandem::model::Change;
use tandem::testing::TestServer;

use crate::common::{sqlite3, Lines, Process, Sandbox};

/// How long a change may take to cross machines before the test fails.
const DEADLINE: Duration = Duration::from_secs(20);

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).trim().to_owned()
}

#[test]
fn a_cli_write_on_one_machine_reaches_tandem_watch_on_another_with_psqls_too() {
    let database = TestServer::shared().database();
    let (a, b) = (
        Sandbox::on_server(&database.url),
        Sandbox::on_server(&database.url),
    );
    let first = a.tandem(&["task", "add", "Before watching"]);
    assert!(first.status.success(), "{}", stderr(&first));

    let mut watch = Watching::start(&b, "machine B");
    let mut until = |wanted: &dyn Fn(&Change) -> bool| watch.until(wanted);
    let replayed = until(&|c| {
        c.data
            .as_ref()
            .is_some_and(|d| d.get().contains("Before watching"))
    });
    assert!(replayed.origin.is_some());

    let added = a.tandem(&["task", "add", "Typed on machine A"]);
    assert!(added.status.success(), "{}", stderr(&added));
    let task = stdout(&added);
    let live = until(&|c| c.entity_id == task);
    assert_eq!(
        live.origin.as_ref().map(|o| o.actor),
        Some(tandem::model::Actor::Cli)
    );

    TestServer::shared()
        .psql(
            &database.name,
            &format!("UPDATE tasks SET title = 'Typed in psql' WHERE id = '{task}'"),
        )
        .expect("psql updates");
    let from_psql = until(&|c| {
        c.data
            .as_ref()
            .is_some_and(|d| d.get().contains("Typed in psql"))
    });
    assert_eq!(from_psql.origin, None, "psql is not Tandem");

    let seqs: Vec<i64> = watch.seen.iter().map(|c| c.seq).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "every change once, in seq order: {seqs:?}"
    );
}

/// `tandem watch --since 0` on a machine, and every change it printed.
struct Watching {
    _process: Process,
    lines: Lines,
    seen: Vec<Change>,
    what: String,
}

impl Watching {
    fn start(machine: &Sandbox, what: &str) -> Watching {
        let mut process = Process::spawn(
            machine
                .command(&["watch", "--since", "0"])
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
            &format!("tandem watch on {what}"),
        );
        Watching {
            lines: Lines::of(&mut process),
            _process: process,
            seen: Vec::new(),
            what: what.to_owned(),
        }
    }

    /// Reads changes until one is `wanted`, and returns it.
    fn until(&mut self, wanted: &dyn Fn(&Change) -> bool) -> Change {
        loop {
            let line = self
                .lines
                .receiver
                .recv_timeout(DEADLINE)
                .unwrap_or_else(|_| {
                    panic!(
                        "the watch on {} printed nothing more: {:?}",
                        self.what, self.seen
                    )
                });
            let change: Change = serde_json::from_str(&line).expect("each line is a change");
            self.seen.push(change.clone());
            if wanted(&change) {
                return change;
            }
        }
    }
}

/// `tandem hub` on `machine`, once it serves.
fn serve_hub(machine: &Sandbox, what: &str) -> Process {
    let mut hub = Process::spawn(
        machine
            .command(&["hub"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped()),
        &format!("tandem hub on {what}"),
    );
    let mut said = std::io::BufReader::new(hub.stderr.take().expect("piped")).lines();
    let mut lines = Vec::new();
    let serving = said.by_ref().map_while(Result::ok).any(|line| {
        let serving = line.contains("serving the hub");
        lines.push(line);
        serving
    });
    assert!(serving, "{what}'s hub serves: {lines:?}");
    // Whatever else the hub says is read, so it never writes into a closed pipe.
    std::thread::spawn(move || said.for_each(drop));
    hub
}

/// How many connections are listening for the log's notifications on database `name`.
fn listeners(name: &str) -> usize {
    let count = TestServer::shared()
        .psql(
            name,
            &format!(
                "SELECT count(*) FROM pg_stat_activity \
                 WHERE datname = '{name}' AND application_name = 'tandem listener'"
            ),
        )
        .expect("psql counts connections");
    count.trim().parse().expect("a count")
}

/// Waits until `check` holds, failing with `what` at the deadline.
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + DEADLINE;
    while !check() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn three_machines_see_every_change_once_in_order_with_one_listener_per_machine() {
    let database = TestServer::shared().database();
    let [a, b, c] = [(); 3].map(|()| Sandbox::on_server(&database.url));
    // Machine A runs a hub and two watches; machine B one watch, alone; machine C only writes.
    let _hub = serve_hub(&a, "machine A");
    let mut watches = [
        Watching::start(&a, "machine A (first)"),
        Watching::start(&a, "machine A (second)"),
        Watching::start(&b, "machine B"),
    ];
    // A's watches leave listening to A's hub; B's watch has no hub and listens itself.
    eventually(
        "one listener on each machine that follows the board",
        || listeners(&database.name) == 2,
    );

    let mut tasks = Vec::new();
    for n in 0..5 {
        let added = c.tandem(&["task", "add", &format!("From machine C {n}")]);
        assert!(added.status.success(), "{}", stderr(&added));
        tasks.push(stdout(&added));
    }
    TestServer::shared()
        .psql(
            &database.name,
            "UPDATE tasks SET title = title || ' (psql)'",
        )
        .expect("psql updates");
    let moved = a.tandem(&["task", "move", &tasks[0], "--column", "Done"]);
    assert!(moved.status.success(), "{}", stderr(&moved));
    let last: i64 = TestServer::shared()
        .psql(&database.name, "SELECT max(seq) FROM changes")
        .expect("psql reads the log")
        .trim()
        .parse()
        .expect("a seq");

    for watch in &mut watches {
        watch.until(&|c| c.seq == last);
        let seqs: Vec<i64> = watch.seen.iter().map(|c| c.seq).collect();
        assert_eq!(
            seqs,
            (1..=last).collect::<Vec<_>>(),
            "{} printed every change once, in order",
            watch.what
        );
    }
    eventually("still one listener per machine", || {
        listeners(&database.name) == 2
    });
}

#[test]
fn machines_list_the_same_board_and_status_shows_the_server_without_its_password() {
    let url = TestServer::shared().database().url;
    let (a, b) = (Sandbox::on_server(&url), Sandbox::on_server(&url));
    assert!(a.tandem(&["task", "add", "Shared"]).status.success());
    let listed = b.tandem(&["task", "ls"]);
    assert!(stdout(&listed).contains("Shared"), "{}", stdout(&listed));

    let with_password = url.replace("tandem@", "tandem:s3cret@");
    let machine = Sandbox::on_server(&with_password);
    let status = machine.tandem(&["status"]);
    let shown = format!("{}{}", stdout(&status), stderr(&status));
    assert!(!shown.contains("s3cret"), "{shown}");
    assert!(shown.contains("tandem@localhost"), "{shown}");
}

/// Runs `tandem task ls` with `TANDEM_DB=url` in an empty folder; checks it failed with `code`
/// and one line containing `message`, never the password, and created nothing in the folder.
fn refused(url: &str, code: i32, message: &str) {
    let sandbox = Sandbox::new();
    let cwd = sandbox.dir.path().join("cwd");
    std::fs::create_dir(&cwd).unwrap();
    let output = sandbox
        .command(&["task", "ls"])
        .env("TANDEM_DB", url)
        .current_dir(&cwd)
        .output()
        .expect("tandem runs");
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(code), "{url}: {err}");
    assert_eq!(err.lines().count(), 1, "one line: {err:?}");
    assert!(
        err.contains(message),
        "{url}: {err:?} should say {message:?}"
    );
    assert!(!err.contains("s3cret"), "{err}");
    assert!(output.stdout.is_empty());
    let made: Vec<_> = std::fs::read_dir(&cwd).unwrap().collect();
    assert!(made.is_empty(), "{url} created {made:?}");
    assert!(
        !sandbox.dir.path().join("data").exists(),
        "{url}: no board was made in the data folder"
    );
}

#[test]
fn server_urls_a_user_gets_wrong_are_refused_in_one_line_and_change_nothing() {
    // A mistyped scheme, a bad port, an unknown sslmode: the user's to fix (exit 2).
    refused(
        "postgress://ann:s3cret@db.example/boards",
        2,
        "postgress://",
    );
    refused(
        "postgresql://ann:s3cret@db.example:port/boards",
        2,
        "not a valid URL",
    );
    refused(
        "postgresql://ann:s3cret@db.example/boards?sslmode=maybe",
        2,
        "not a usable server URL",
    );
    // Nobody listens: a server failure (exit 1), named by its host.
    refused(
        "postgresql://user:s3cret@127.0.0.1:1/db",
        1,
        "127.0.0.1 cannot be reached",
    );
    // A database that does not exist, and one that holds another application's tables.
    let server = TestServer::shared();
    refused(&server.url("no_such_board"), 2, "no_such_board");
    let database = server.database();
    server
        .psql(&database.name, "CREATE TABLE invoices (id int)")
        .unwrap();
    refused(&database.url, 2, "other tables than Tandem's");
    let tables = server
        .psql(
            &database.name,
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
        )
        .unwrap();
    assert_eq!(
        tables.trim(),
        "1",
        "no table of Tandem's was made beside it"
    );
}

/// `tandem task history ID --json` on `machine`'s database, parsed.
fn history(machine: &Sandbox, id: &str) -> serde_json::Value {
    let output = machine.tandem(&["task", "history", id, "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_slice(&output.stdout).expect("history --json")
}

#[test]
fn db_copy_moves_a_board_to_a_server_and_back_with_its_history_and_refuses_to_overwrite() {
    let database = TestServer::shared().database();
    let desk = Sandbox::new();
    let file = desk.db().display().to_string();
    let added = desk.tandem(&["task", "add", "Travels"]);
    assert!(added.status.success(), "{}", stderr(&added));
    let task = stdout(&added);
    for args in [
        vec!["task", "edit", &task, "--priority", "high"],
        vec!["task", "move", &task, "--next"],
        vec!["subtask", "add", &task, "Pack"],
    ] {
        let output = desk.tandem(&args);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    }
    let before = history(&desk, &task);

    let copy = |from: &str, to: &str, force: bool| {
        let mut args = vec!["db", "copy", "--from", from, "--to", to];
        if force {
            args.push("--force");
        }
        desk.tandem(&args)
    };
    let copied = copy(&file, &database.url, false);
    assert!(copied.status.success(), "{}", stderr(&copied));
    assert!(stdout(&copied).starts_with("Copied"), "{}", stdout(&copied));
    assert!(!stdout(&copied).contains("s3cret"));

    let on_server = Sandbox::on_server(&database.url);
    assert_eq!(history(&on_server, &task), before, "the history came along");
    let next = on_server.tandem(&["task", "add", "After the move"]);
    assert!(next.status.success(), "{}", stderr(&next));
    let log = TestServer::shared()
        .psql(
            &database.name,
            "SELECT count(*) = max(seq) AND max(seq) = (SELECT seq FROM log_head) FROM changes",
        )
        .unwrap();
    assert_eq!(
        log.trim(),
        "t",
        "the log goes on from the copied seqs, gap-free"
    );

    // A target that holds a board is refused and left as it was, unless --force.
    let refused = copy(&file, &database.url, false);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("already holds a board"),
        "{}",
        stderr(&refused)
    );
    let listed = stdout(&on_server.tandem(&["task", "ls"]));
    assert!(listed.contains("After the move"), "{listed}");

    // And back to a new file on another machine.
    let laptop = Sandbox::new();
    let back_file = laptop.db().display().to_string();
    let back = copy(&database.url, &back_file, false);
    assert!(back.status.success(), "{}", stderr(&back));
    assert_eq!(history(&laptop, &task), before);
    let listed = stdout(&laptop.tandem(&["task", "ls"]));
    assert!(listed.contains("After the move"), "{listed}");

    // --force replaces the original file's board with the server's.
    let forced = copy(&database.url, &file, true);
    assert!(forced.status.success(), "{}", stderr(&forced));
    let listed = stdout(&desk.tandem(&["task", "ls"]));
    assert!(listed.contains("After the move"), "{listed}");

    // A source that does not exist: refused, and no target file is made.
    let nowhere = laptop.dir.path().join("missing.db").display().to_string();
    let fresh = laptop.dir.path().join("fresh.db");
    let missing = copy(&nowhere, &fresh.display().to_string(), false);
    assert_eq!(missing.status.code(), Some(2), "{}", stderr(&missing));
    assert!(
        stderr(&missing).contains("no database at"),
        "{}",
        stderr(&missing)
    );
    assert!(!fresh.exists());
}

#[test]
fn db_copy_of_a_large_board_shows_its_progress() {
    let desk = Sandbox::new();
    let file = desk.db().display().to_string();
    assert!(desk.tandem(&["task", "add", "Seed"]).status.success());
    // Six thousand cards written by another program: with their log rows, over 10,000 rows.
    sqlite3(
        &file,
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 6000)
             INSERT INTO tasks (id, project_id, column_id, title, position, created_at, updated_at)
             SELECT 'bulk-' || i, t.project_id, t.column_id, 'Card ' || i, 1000 + i, 0, 0
             FROM n, (SELECT project_id, column_id FROM tasks LIMIT 1) t",
    );
    let database = TestServer::shared().database();
    let copied = desk.tandem(&["db", "copy", "--from", &file, "--to", &database.url]);
    assert!(copied.status.success(), "{}", stderr(&copied));
    let progress = stderr(&copied);
    assert!(progress.contains("copied 5000 of"), "{progress}");
    assert!(progress.lines().count() >= 2, "{progress}");
    let count = TestServer::shared()
        .psql(&database.name, "SELECT count(*) FROM tasks")
        .unwrap();
    assert_eq!(count.trim(), "6001");
}

#[test]
fn a_wrong_password_is_refused_and_the_right_one_comes_from_the_url_pgpassword_or_pgpass() {
    let server = TestServer::start().expect("a server of its own");
    let database = server.database();
    server
        .require_password("right horse")
        .expect("passwords required");
    let with = |password: &str| {
        database
            .url
            .replace("tandem@", &format!("tandem:{password}@"))
    };

    // Wrong: the user's to fix (exit 2), in one line, without the password.
    let sandbox = Sandbox::new();
    let wrong = sandbox
        .command(&["task", "ls"])
        .env("TANDEM_DB", with("s3cret"))
        .env_remove("PGPASSWORD")
        .env("PGPASSFILE", sandbox.dir.path().join("no-pgpass"))
        .output()
        .unwrap();
    let err = stderr(&wrong);
    assert_eq!(wrong.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("refused the user name or password"), "{err}");
    assert!(!err.contains("s3cret"), "{err}");

    // Right, from the URL (percent-encoded), from PGPASSWORD, and from a pgpass file.
    let from_url = sandbox
        .command(&["task", "add", "From the URL"])
        .env("TANDEM_DB", with("right%20horse"))
        .output()
        .unwrap();
    assert!(from_url.status.success(), "{}", stderr(&from_url));
    let from_env = sandbox
        .command(&["task", "add", "From PGPASSWORD"])
        .env("TANDEM_DB", &database.url)
        .env("PGPASSWORD", "right horse")
        .output()
        .unwrap();
    assert!(from_env.status.success(), "{}", stderr(&from_env));
    let pgpass = sandbox.dir.path().join("pgpass");
    std::fs::write(&pgpass, "*:*:*:tandem:right horse\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600)).unwrap();
    let from_file = sandbox
        .command(&["task", "ls"])
        .env("TANDEM_DB", &database.url)
        .env_remove("PGPASSWORD")
        .env("PGPASSFILE", &pgpass)
        .output()
        .unwrap();
    assert!(from_file.status.success(), "{}", stderr(&from_file));
    assert!(stdout(&from_file).contains("From PGPASSWORD"));
}

#[test]
fn a_db_copy_that_fails_midway_leaves_the_server_and_a_new_file_as_they_were() {
    let desk = Sandbox::new();
    let file = desk.db().display().to_string();
    for n in 0..20 {
        let added = desk.tandem(&["task", "add", &format!("Card {n}")]);
        assert!(added.status.success(), "{}", stderr(&added));
    }
    // Another program left a card in a column that does not exist (the sqlite3 shell does not
    // check foreign keys): the server refuses it halfway through the copy.
    sqlite3(&file, "INSERT INTO tasks (id, project_id, column_id, title, position, created_at, updated_at)
             SELECT 'orphan', project_id, 'no-such-column', 'Orphan', 9999, 0, 0 FROM tasks LIMIT 1",);

    let database = TestServer::shared().database();
    let failed = desk.tandem(&["db", "copy", "--from", &file, "--to", &database.url]);
    assert_eq!(failed.status.code(), Some(2), "{}", stderr(&failed));
    assert_eq!(stderr(&failed).lines().count(), 1, "{}", stderr(&failed));
    assert!(
        stderr(&failed).contains("nothing was copied"),
        "{}",
        stderr(&failed)
    );
    let left = TestServer::shared()
        .psql(
            &database.name,
            "SELECT (SELECT count(*) FROM projects) + (SELECT count(*) FROM tasks)
                    + (SELECT count(*) FROM changes) + (SELECT seq FROM log_head)",
        )
        .unwrap();
    assert_eq!(left.trim(), "0", "nothing of the copy stays on the server");

    // The same source to a new file fails too, and the file is gone again.
    let fresh = desk.dir.path().join("fresh.db");
    let failed = desk.tandem(&[
        "db",
        "copy",
        "--from",
        &file,
        "--to",
        &fresh.display().to_string(),
    ]);
    assert_eq!(failed.status.code(), Some(2), "{}", stderr(&failed));
    assert!(!fresh.exists(), "the file the copy made is removed");
}

#[test]
fn tls_verify_full_trusts_the_servers_own_ca_and_refuses_a_server_it_cannot_verify() {
    let server = TestServer::start_with_tls().expect("a TLS server of its own");
    let database = server.database();
    let ca = server.ca().display().to_string();
    let on = |params: &str| Sandbox::on_server(&server.tcp_url(&database.name, params));

    let verified = on(&format!("sslmode=verify-full&sslrootcert={ca}"));
    let added = verified.tandem(&["task", "add", "Over TLS"]);
    assert!(added.status.success(), "{}", stderr(&added));
    let required = on("sslmode=require");
    let listed = required.tandem(&["task", "ls"]);
    assert!(stdout(&listed).contains("Over TLS"), "{}", stderr(&listed));

    // Without the CA the certificate cannot be verified; without TLS the server lets no one in.
    for (params, says) in [
        ("sslmode=verify-full", "certificate"),
        ("sslmode=disable", "pg_hba.conf"),
    ] {
        let refused = on(params)
            .command(&["task", "ls"])
            .env("TANDEM_LOG", "warn")
            .output()
            .unwrap();
        assert_eq!(
            refused.status.code(),
            Some(2),
            "{params}: the user's to fix"
        );
        let err = stderr(&refused);
        assert_eq!(err.lines().count(), 1, "{params}: {err}");
        assert!(err.contains(says), "{params}: {err}");
    }
    let encrypted = server
        .psql(
            &database.name,
            "SELECT count(*) FROM changes WHERE data ->> 'title' = 'Over TLS'",
        )
        .unwrap();
    assert_eq!(encrypted.trim(), "1");
}

#[test]
fn the_owner_adds_a_person_with_a_password_from_stdin_and_their_changes_are_theirs() {
    use std::io::Write as _;
    let server = TestServer::shared();
    let database = server.database();
    let owner = Sandbox::on_server(&database.url);
    let init = owner.tandem(&["team", "init"]);
    assert!(init.status.success(), "{}", stderr(&init));
    let mut adding = owner
        .command(&[
            "team",
            "add",
            "dora",
            "--name",
            "Dora Maar",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tandem runs");
    adding
        .stdin
        .take()
        .unwrap()
        .write_all(b"dora-secret\n")
        .unwrap();
    let added = adding.wait_with_output().unwrap();
    assert!(added.status.success(), "{}", stderr(&added));
    assert!(
        stdout(&added).contains("dora (Dora Maar)"),
        "{}",
        stdout(&added)
    );

    let dora = Sandbox::on_server(&server.url_as("dora", &database.name));
    let said = dora.tandem(&["whoami"]);
    assert!(
        stdout(&said).starts_with("dora (Dora Maar"),
        "{}",
        stderr(&said)
    );
    let task = dora.tandem(&["task", "add", "Dora's card"]);
    assert!(task.status.success(), "{}", stderr(&task));
    let history = owner.tandem(&["task", "history", &stdout(&task)]);
    assert!(
        stdout(&history).contains("Dora Maar (the command line)"),
        "{}",
        stdout(&history)
    );
    let listed = owner.tandem(&["team", "ls"]);
    assert!(stdout(&listed).contains("Dora Maar"), "{}", stdout(&listed));

    // A wrong password is a clear refusal naming the server, never the password.
    let url = server
        .url_as("dora", &database.name)
        .replace("dora-secret", "wrong-guess");
    let refused = Sandbox::on_server(&url).tandem(&["whoami"]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("refused the user name or password"));
    assert!(!stderr(&refused).contains("wrong-guess"));
}

/// A team database with `logins` let in through the CLI; the owner's sandbox and the database.
fn team_of(logins: &[&str]) -> (Sandbox, tandem::testing::TestDatabase) {
    let server = TestServer::shared();
    let database = server.database();
    let owner = Sandbox::on_server(&database.url);
    let init = owner.tandem(&["team", "init"]);
    assert!(init.status.success(), "{}", stderr(&init));
    for login in logins {
        server.login(login).expect("a login");
        let added = owner.tandem(&["team", "add", login]);
        assert!(added.status.success(), "{}", stderr(&added));
    }
    (owner, database)
}

#[test]
fn a_project_one_cannot_see_is_not_found_by_every_command_and_members_are_an_owners_to_change() {
    let (_owner, database) = team_of(&["alice", "bob"]);
    let server = TestServer::shared();
    let alice = Sandbox::on_server(&server.url_as("alice", &database.name));
    let bob = Sandbox::on_server(&server.url_as("bob", &database.name));
    let made = alice.tandem(&["project", "add", "Launch", "--json"]);
    assert!(made.status.success(), "{}", stderr(&made));
    let project: serde_json::Value = serde_json::from_slice(&made.stdout).unwrap();
    let project = project["id"].as_str().unwrap().to_owned();
    let task = stdout(&alice.tandem(&["task", "add", "Secret plan", "--project", "Launch"]));

    let p = project.as_str();
    let t = task.as_str();
    let commands: [&[&str]; 14] = [
        &["task", "ls", "--project", p],
        &["task", "add", "Mine now", "--project", p],
        &["task", "show", t],
        &["task", "history", t],
        &["task", "edit", t, "--title", "Taken"],
        &["task", "move", t, "--next"],
        &["task", "rm", t],
        &["project", "rename", p, "Taken"],
        &["column", "add", "Review", "--project", p],
        &["label", "add", "Bug", "--color", "#aa0000", "--project", p],
        &["export", "json", "--project", p],
        &["search", "plan", "--project", p],
        &["member", "ls", p],
        &["member", "add", p, "bob", "--role", "owner"],
    ];
    for args in commands {
        let refused = bob.tandem(args);
        assert_eq!(
            refused.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&refused)
        );
        assert!(
            stderr(&refused).contains("not found"),
            "{args:?}: {}",
            stderr(&refused)
        );
    }
    let found = bob.tandem(&["search", "Secret"]);
    assert!(
        !stdout(&found).contains("Secret plan"),
        "{}",
        stdout(&found)
    );

    // Alice lets bob read; his writes are refused in words, and change nothing.
    let added = alice.tandem(&["member", "add", "Launch", "bob", "--role", "viewer"]);
    assert!(added.status.success(), "{}", stderr(&added));
    assert!(stdout(&bob.tandem(&["task", "ls", "--project", p])).contains("Secret plan"));
    for args in [
        &["task", "edit", t, "--title", "Viewer was here"][..],
        &["task", "add", "Viewer's card", "--project", p],
        &["member", "add", p, "bob", "--role", "owner"],
    ] {
        let refused = bob.tandem(args);
        assert_eq!(refused.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&refused).contains("your role in this project does not allow this"),
            "{args:?}: {}",
            stderr(&refused)
        );
    }
    let members = stdout(&alice.tandem(&["member", "ls", "Launch"]));
    assert_eq!(
        members
            .lines()
            .map(str::split_whitespace)
            .map(Iterator::collect::<Vec<_>>)
            .collect::<Vec<_>>(),
        [vec!["alice", "owner"], vec!["bob", "viewer"]]
    );
    let bad = alice.tandem(&["member", "add", "Launch", "bob", "--role", "boss"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("not one of owner, editor, commenter, viewer"));
    let gone = alice.tandem(&["member", "rm", "Launch", "bob"]);
    assert!(gone.status.success(), "{}", stderr(&gone));
    let refused = bob.tandem(&["task", "show", t]);
    assert!(
        stderr(&refused).contains("not found"),
        "{}",
        stderr(&refused)
    );
    let on_a_file = Sandbox::new().tandem(&["member", "ls", "Inbox"]);
    assert!(
        stderr(&on_a_file).contains("a file has no members"),
        "{}",
        stderr(&on_a_file)
    );
}

#[test]
fn a_member_is_told_to_upgrade_or_ask_the_owner_when_the_schema_is_not_the_one_it_knows() {
    let (_owner, database) = team_of(&["alice"]);
    let server = TestServer::shared();
    let alice = Sandbox::on_server(&server.url_as("alice", &database.name));
    assert!(alice.tandem(&["whoami"]).status.success());
    // The owner's newer Tandem has applied a migration this one does not know.
    server
        .psql(
            &database.name,
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
             VALUES (29991231000000, 'from the future', true, '\\x00', 0)",
        )
        .expect("psql");
    let refused = alice.tandem(&["task", "add", "Anything"]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("newer Tandem: upgrade Tandem"),
        "{}",
        stderr(&refused)
    );
    // One this Tandem knows is missing: only the owner may apply it.
    server
        .psql(
            &database.name,
            "DELETE FROM _sqlx_migrations WHERE version >= (SELECT max(version) FROM _sqlx_migrations WHERE version < 29991231000000)",
        )
        .expect("psql");
    let refused = alice.tandem(&["task", "add", "Anything"]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("ask them to run `tandem team init`"),
        "{}",
        stderr(&refused)
    );
    assert!(stderr(&refused).contains("nothing was written"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hand_written_frame_on_a_viewers_hub_puts_no_change_in_any_window() {
    use tandem::bridge::frame::{Frame, Hello, PROTO};
    use tandem::model::{Actor, Batch, Op};
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

    let (_owner, database) = team_of(&["alice", "bob"]);
    let server = TestServer::shared();
    let alice = Sandbox::on_server(&server.url_as("alice", &database.name));
    let bob = Sandbox::on_server(&server.url_as("bob", &database.name));
    assert!(alice.tandem(&["project", "add", "Launch"]).status.success());
    let card = stdout(&alice.tandem(&["task", "add", "Ship it", "--project", "Launch"]));
    let added = alice.tandem(&["member", "add", "Launch", "bob", "--role", "viewer"]);
    assert!(added.status.success(), "{}", stderr(&added));

    // Bob's machine: a headless hub, and `tandem watch` linked to it, as a window would be.
    let _hub = Process::spawn(bob.command(&["hub"]).stderr(Stdio::null()), "tandem hub");
    let endpoint = bob.endpoint();
    crate::common::eventually("bob's hub to serve", DEADLINE, async || {
        tandem::bridge::peer::ask_hub(&endpoint, "probe")
            .await
            .ok()
            .flatten()
    })
    .await;
    let mut watch = Watching::start(&bob, "bob's machine");
    watch.until(&|c| c.entity_id == card);
    crate::common::eventually("the watch to join the hub", DEADLINE, async || {
        let welcome = tandem::bridge::peer::ask_hub(&endpoint, "probe")
            .await
            .ok()??;
        (welcome.peers.len() >= 2).then_some(())
    })
    .await;

    // A hand-written client claims the next change: Alice's card renamed by Alice.
    let stream = tokio::net::UnixStream::connect(endpoint.socket())
        .await
        .unwrap();
    let (read, mut send) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    let hello = Frame::Hello(Hello {
        proto: PROTO,
        instance: "forger".into(),
        pid: 1,
        kind: Actor::Gui,
        scope: None,
        last_seq: 0,
    });
    send.write_all(hello.to_line().unwrap().as_bytes())
        .await
        .unwrap();
    let welcome: serde_json::Value =
        serde_json::from_str(&lines.next_line().await.unwrap().unwrap()).unwrap();
    let next = welcome["seq"].as_i64().expect("the welcome tells the seq") + 1;
    let forged: Change = serde_json::from_value(serde_json::json!({
        "seq": next, "op": "update", "entity": "task", "entity_id": card,
        "project_id": null, "data": {"id": card, "title": "Forged"},
        "previous": {"title": "Ship it"}, "author": "alice",
        "origin": {"instance": "alice-laptop", "actor": "gui", "window": "board-1", "mutation_id": null},
        "at": 0
    }))
    .unwrap();
    let batch = Frame::Batch(Batch {
        from_seq: next,
        to_seq: next,
        changes: vec![forged],
    });
    send.write_all(batch.to_line().unwrap().as_bytes())
        .await
        .unwrap();

    // Then a real change: the watch shows it, and never showed the forged one.
    let renamed = alice.tandem(&["task", "edit", &card, "--title", "Shipped"]);
    assert!(renamed.status.success(), "{}", stderr(&renamed));
    let real = watch.until(&|c| {
        c.op == Op::Update && c.data.as_ref().is_some_and(|d| d.get().contains("Shipped"))
    });
    assert_eq!(real.author.as_deref(), Some("alice"));
    assert!(
        watch
            .seen
            .iter()
            .all(|c| !c.data.as_ref().is_some_and(|d| d.get().contains("Forged"))),
        "a forged change reached the machine's windows: {:?}",
        watch.seen
    );
    let shown = stdout(&bob.tandem(&["task", "show", &card]));
    assert!(
        shown.contains("Shipped") && !shown.contains("Forged"),
        "{shown}"
    );
}

/// A server of its own that takes 8 connections, 3 of them kept for superusers (5 for the
/// team), with a team database where alice may write; and its owner's machine.
fn small_team() -> (TestServer, tandem::testing::TestDatabase, Sandbox) {
    let server = TestServer::start_with_connections(8).expect("a server of its own");
    let database = server.database();
    let owner = Sandbox::on_server(&database.url);
    assert!(owner.tandem(&["team", "init"]).status.success());
    server.login("alice").unwrap();
    assert!(owner.tandem(&["team", "add", "alice"]).status.success());
    (server, database, owner)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_server_is_a_state_told_in_words_and_tandem_comes_back_when_a_slot_frees() {
    use sqlx::Connection as _;
    let (server, database, owner) = small_team();
    let alice = Sandbox::on_server(&server.url_as("alice", &database.name));
    let first = alice.tandem(&["task", "add", "Before it filled up"]);
    assert!(first.status.success(), "{}", stderr(&first));
    let store = alice.store().await;

    // Other people's machines take every slot there is.
    let url = server.url_as("alice", &database.name);
    let mut others = Vec::new();
    while let Ok(conn) = sqlx::PgConnection::connect(&url).await {
        others.push(conn);
        assert!(others.len() < 10, "the server took more than it allows");
    }

    // The command line says so in one line naming the setting, exits 1, and writes nothing.
    let refused = alice.tandem(&["task", "add", "While full"]);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    let said = stderr(&refused);
    assert_eq!(said.lines().count(), 1, "{said}");
    assert!(
        said.contains("is full") && said.contains("max_connections"),
        "{said}"
    );
    // A copy that already holds its connection goes on; one that needs a new one is refused
    // cleanly, never half-written.
    let project = store.first_project().await;
    if let Ok(project) = project {
        let new = tandem::store::NewTask {
            project_id: project.id,
            column_id: None,
            title: "From the open copy".into(),
        };
        let origin = tandem::model::Origin::new("open", tandem::model::Actor::Gui);
        if let Err(e) = store.create_task(&origin, new).await {
            assert!(
                matches!(e, tandem::error::Error::ServerFull { .. }),
                "{e:?}"
            );
        }
    }
    // The database's owner still gets in (superusers' slots) and sees why.
    let doctor = owner.tandem(&["doctor"]);
    let lines = stdout(&doctor);
    assert!(
        lines.contains("the server is full (max_connections 8, 3 kept for superusers)"),
        "{lines}"
    );

    // A slot frees up: everything works again by itself, and nothing refused was written.
    others.pop();
    let again = crate::common::eventually("a slot to free up", DEADLINE, async || {
        let output = alice.tandem(&["task", "add", "After a slot freed"]);
        output.status.success().then_some(output)
    })
    .await;
    assert!(again.status.success());
    let listed = stdout(&alice.tandem(&["task", "ls"]));
    assert!(listed.contains("Before it filled up") && listed.contains("After a slot freed"));
    assert!(!listed.contains("While full"), "{listed}");
    drop(others);
}

#[test]
fn more_machines_than_the_server_takes_get_in_as_others_leave_and_nothing_is_lost() {
    // One slot for each machine.
    let (server, database, _owner) = small_team();
    let url = server.url_as("alice", &database.name);
    let machines: Vec<Sandbox> = (0..6).map(|_| Sandbox::on_server(&url)).collect();
    // Alice's connections, and those of them that listen.
    let connections = || -> (usize, usize) {
        let counted = server
            .psql(
                &database.name,
                "SELECT count(*), count(*) FILTER (WHERE application_name = 'tandem listener') \
                 FROM pg_stat_activity WHERE usename = 'alice'",
            )
            .expect("psql counts connections");
        let mut counts = counted
            .trim()
            .split('|')
            .map(|n| n.parse().expect("a count"));
        (counts.next().unwrap_or(0), counts.next().unwrap_or(0))
    };

    // Five machines, each a card written there and then its hub: each holds one connection.
    for (n, machine) in machines[..5].iter().enumerate() {
        let added = machine.tandem(&["task", "add", &format!("From machine {n}")]);
        assert!(added.status.success(), "{}", stderr(&added));
    }
    let mut hubs = Vec::new();
    for (n, machine) in machines[..5].iter().enumerate() {
        hubs.push(serve_hub(machine, &format!("machine {n}")));
        // The last takes the only slot left: its listener takes its first connection's place.
        eventually("each machine to hold one connection, its listener", || {
            connections() == (n + 1, n + 1)
        });
    }

    // The sixth cannot get in: told in one line naming the limit, and nothing is written.
    let sixth = &machines[5];
    let refused = sixth.tandem(&["task", "add", "From machine 5"]);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    let said = stderr(&refused);
    assert!(
        said.lines().count() == 1 && said.contains("is full") && said.contains("max_connections"),
        "{said}"
    );

    // One machine closes Tandem: the sixth gets in, and every card acknowledged is there.
    drop(hubs.remove(0));
    let deadline = std::time::Instant::now() + DEADLINE;
    loop {
        let added = sixth.tandem(&["task", "add", "From machine 5"]);
        if added.status.success() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the sixth machine got in: {}",
            stderr(&added)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let listed = stdout(&sixth.tandem(&["task", "ls"]));
    for n in 0..6 {
        assert_eq!(
            listed.matches(&format!("From machine {n}")).count(),
            1,
            "machine {n}'s card, once: {listed}"
        );
    }
}

#[test]
fn an_idle_machine_holds_one_connection_its_hubs_listener() {
    let server = TestServer::shared();
    let database = server.database();
    let (a, b) = (
        Sandbox::on_server(&database.url),
        Sandbox::on_server(&database.url),
    );
    // Machine B: its hub, and a `tandem watch` linked to it; machine A writes now and then.
    let _hub = Process::spawn(b.command(&["hub"]).stderr(Stdio::null()), "tandem hub");
    let mut watch = Watching::start(&b, "machine B");
    let connections = || -> usize {
        let count = server
            .psql(
                &database.name,
                &format!(
                    "SELECT count(*) FROM pg_stat_activity \
                     WHERE datname = '{}' AND application_name LIKE 'tandem%'",
                    database.name
                ),
            )
            .expect("psql counts connections");
        count.trim().parse().expect("a count")
    };
    let added = a.tandem(&["task", "add", "Wakes machine B"]);
    assert!(added.status.success(), "{}", stderr(&added));
    let task = stdout(&added);
    watch.until(&|c| c.entity_id == task);
    // A's command has exited; B goes quiet: within seconds it holds its listener alone.
    eventually("machine B to hold one connection", || connections() == 1);
    // It hears of the next change all the same, and goes back to its one connection.
    let again = a.tandem(&["task", "add", "Heard while idle"]);
    let task = stdout(&again);
    watch.until(&|c| c.entity_id == task);
    eventually("machine B to hold one connection again", || {
        connections() == 1
    });

    // Copies linked on one machine share its hub: a second one, and a command run there, are
    // heard by both through the hub, which relays what the database says.
    let mut second = Watching::start(&b, "machine B's second copy");
    second.until(&|c| c.entity_id == task);
    let local = b.tandem(&["task", "add", "From machine B itself"]);
    assert!(local.status.success(), "{}", stderr(&local));
    let task = stdout(&local);
    watch.until(&|c| c.entity_id == task);
    second.until(&|c| c.entity_id == task);
    eventually("machine B to hold one connection with two copies", || {
        connections() == 1
    });
}

#[test]
fn the_inbox_tells_each_person_their_news_from_the_command_line_and_marks_it_read() {
    let (_owner, database) = team_of(&["alice", "bob"]);
    let server = TestServer::shared();
    let alice = Sandbox::on_server(&server.url_as("alice", &database.name));
    let bob = Sandbox::on_server(&server.url_as("bob", &database.name));
    let run = |who: &Sandbox, args: &[&str]| {
        let output = who.tandem(args);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        stdout(&output)
    };
    run(&alice, &["project", "add", "Launch"]);
    run(
        &alice,
        &["member", "add", "Launch", "bob", "--role", "editor"],
    );
    let task = run(&alice, &["task", "add", "Ship", "--project", "Launch"]);
    assert_eq!(run(&bob, &["inbox"]), "No unread news");
    run(&alice, &["task", "assign", &task, "bob"]);
    run(
        &alice,
        &["comment", "add", &task, "Over to you, @bob. Details:\nnone"],
    );
    let news = run(&bob, &["inbox"]);
    let lines: Vec<&str> = news.lines().collect();
    assert_eq!(lines.len(), 2, "{news}");
    assert!(
        lines[0].starts_with('●')
            && lines[0].contains("alice mentioned you on “Ship”: Over to you, @bob. Details:")
            && lines[0].contains("in Launch"),
        "{news}"
    );
    assert!(
        lines[1].contains("alice put you on “Ship” in Launch"),
        "{news}"
    );
    // Alice, who did it all, is told nothing; bob stops watching and hears no more.
    assert_eq!(run(&alice, &["inbox", "--all"]), "No news");
    assert_eq!(
        run(&bob, &["task", "unwatch", &task]),
        "Not watching “Ship”"
    );
    run(&alice, &["comment", "add", &task, "Anyone?"]);
    assert_eq!(run(&bob, &["inbox"]).lines().count(), 2);
    assert_eq!(run(&bob, &["task", "watch", &task]), "Watching “Ship”");
    run(&alice, &["comment", "add", &task, "Bob?"]);
    let json: serde_json::Value = serde_json::from_str(&run(&bob, &["inbox", "--json"])).unwrap();
    assert_eq!(json[0]["kind"], "commented");
    assert_eq!(json[0]["excerpt"], "Bob?");
    // Read: one by id, then the rest; read stays on --all.
    let first = json[0]["id"].as_str().unwrap();
    assert_eq!(run(&bob, &["inbox", "read", first]), "Marked 1 read");
    assert_eq!(run(&bob, &["inbox", "read"]), "Marked 2 read");
    assert_eq!(run(&bob, &["inbox"]), "No unread news");
    assert_eq!(run(&bob, &["inbox", "--all"]).lines().count(), 3);
    assert_eq!(
        run(&bob, &["project", "watch", "Launch"]),
        "Watching every card of Launch"
    );
}

#[tokio::test]
async fn the_command_line_works_on_this_machines_copy_while_the_server_is_away_and_sends_its_changes_once_back(
) {
    let server = TestServer::start().expect("a server of its own");
    let database = server.database();
    let machine = Sandbox::on_server(&database.url);
    let added = machine.tandem(&["task", "add", "Plan the launch"]);
    assert!(added.status.success(), "{}", stderr(&added));
    // The copy the app keeps while online.
    let tandem::config::Location::Server(url) =
        tandem::config::Location::parse(&database.url).unwrap()
    else {
        unreachable!("a server's URL")
    };
    let store = tandem::store::Store::open(
        &tandem::config::Location::Server(url.clone()),
        &tandem::model::Origin::new("app", tandem::model::Actor::Gui),
    )
    .await
    .unwrap();
    let cache = machine
        .dir
        .path()
        .join("cache")
        .join(tandem::config::APP_ID);
    store
        .mirror_to(&tandem::store::copy_path(&cache, &url))
        .await
        .unwrap();
    store.close().await;
    let backup = machine.dir.path().join("before.db");
    let made = machine.tandem(&["backup", backup.to_str().unwrap()]);
    assert!(made.status.success(), "{}", stderr(&made));
    server.crash().expect("the server stops");

    let listed = machine.tandem(&["task", "ls"]);
    assert!(listed.status.success(), "{}", stderr(&listed));
    assert!(stdout(&listed).contains("Plan the launch"));
    assert!(
        stderr(&listed).contains("this machine's copy"),
        "{}",
        stderr(&listed)
    );
    let exported = machine.tandem(&["export", "markdown"]);
    assert!(stdout(&exported).contains("Plan the launch"));

    // Changes are queued, say so, and exit 0; what was made offline can be named at once.
    let queued = machine.tandem(&["task", "add", "While away"]);
    assert!(queued.status.success(), "{}", stderr(&queued));
    assert!(
        stderr(&queued).contains("queued: sent to") && stderr(&queued).contains("1 change waiting"),
        "{}",
        stderr(&queued)
    );
    let made = stdout(&queued).trim().to_owned();
    for args in [
        vec!["task", "done", &made],
        vec!["comment", "add", &made, "Written on the train"],
        vec!["subtask", "add", &made, "Seats"],
    ] {
        let out = machine.tandem(&args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }
    let shown = machine.tandem(&["task", "ls"]);
    assert!(stdout(&shown).contains("While away"), "{}", stdout(&shown));
    let outbox = stdout(&machine.tandem(&["outbox"]));
    assert!(
        outbox.contains("waiting  add the card “While away”")
            && outbox.contains("waiting  comment “Written on the train”"),
        "{outbox}"
    );
    let dropped = machine.tandem(&["outbox", "drop", "99"]);
    assert_eq!(dropped.status.code(), Some(2), "{}", stderr(&dropped));
    // What needs the server now is refused, with why, and nothing is queued for it.
    for args in [
        vec!["member", "add", "Inbox", "bob", "--role", "editor"],
        vec!["restore", backup.to_str().unwrap()],
        vec!["inbox"],
    ] {
        let refused = machine.tandem(&args);
        assert_eq!(
            refused.status.code(),
            Some(1),
            "{args:?}: {}",
            stderr(&refused)
        );
        assert!(
            stderr(&refused).contains("cannot be reached"),
            "{args:?}: {}",
            stderr(&refused)
        );
    }
    let still = stdout(&machine.tandem(&["outbox"]));
    assert_eq!(still.matches("waiting").count(), 4, "{still}");

    // The server is back: the next command sends what waited first, once and in order.
    server.start_again().expect("the server starts again");
    let back = machine.tandem(&["task", "ls"]);
    assert!(back.status.success(), "{}", stderr(&back));
    assert!(
        stderr(&back).contains("sent 4 changes made while offline"),
        "{}",
        stderr(&back)
    );
    let on_server = |sql: &str| server.psql(&database.name, sql).unwrap().trim().to_owned();
    assert_eq!(
        on_server(&format!(
            "SELECT c.name FROM tasks t JOIN columns c ON c.id = t.column_id WHERE t.id = '{made}'"
        )),
        "Done"
    );
    assert_eq!(
        on_server("SELECT count(*) FROM comments WHERE body = 'Written on the train'"),
        "1"
    );
    let again = machine.tandem(&["task", "ls"]);
    assert!(!stderr(&again).contains("sent"), "{}", stderr(&again));
    assert!(stdout(&machine.tandem(&["outbox"])).contains("Nothing waits"));
    assert_eq!(
        on_server("SELECT count(*) FROM tasks WHERE title = 'While away'"),
        "1"
    );

    // Without a copy, as before: offline, nothing shown.
    server.crash().expect("the server stops");
    std::fs::remove_dir_all(&cache).unwrap();
    let nothing = machine.tandem(&["task", "ls"]);
    assert_eq!(nothing.status.code(), Some(1));
}

#[tokio::test]
async fn a_command_killed_while_sending_what_waited_leaves_nothing_applied_twice_or_lost() {
    const QUEUED: usize = 1_000;
    let server = TestServer::start().expect("a server of its own");
    let database = server.database();
    let machine = Sandbox::on_server(&database.url);
    let added = machine.tandem(&["task", "add", "Log"]);
    assert!(added.status.success(), "{}", stderr(&added));
    let card = tandem::model::TaskId(stdout(&added));
    let tandem::config::Location::Server(url) =
        tandem::config::Location::parse(&database.url).unwrap()
    else {
        unreachable!("a server's URL")
    };
    let origin = tandem::model::Origin::new("laptop", tandem::model::Actor::Gui);
    let online =
        tandem::store::Store::open(&tandem::config::Location::Server(url.clone()), &origin)
            .await
            .unwrap();
    let file = tandem::store::copy_path(
        &machine
            .dir
            .path()
            .join("cache")
            .join(tandem::config::APP_ID),
        &url,
    );
    online.mirror_to(&file).await.unwrap();
    online.close().await;
    // A thousand changes made while the server was away.
    server.crash().expect("the server stops");
    let copy = tandem::store::Store::open_copy(&url, &file, &origin)
        .await
        .unwrap();
    for i in 0..QUEUED {
        let add = tandem::model::Mutation::CommentAdd {
            task_id: card.clone(),
            body: format!("entry {i}"),
            id: None,
        };
        copy.queue(&origin, add).await.unwrap();
    }
    copy.close().await;
    server.start_again().expect("the server starts again");

    // The first command to open the server sends them: killed partway through.
    let count = "SELECT count(*) FROM comments";
    let on_server = || {
        server
            .psql(&database.name, count)
            .unwrap()
            .trim()
            .parse::<usize>()
    };
    let mut sending = machine.command(&["task", "ls"]).spawn().unwrap();
    let mut partway = 0;
    eventually("some changes sent", || {
        partway = on_server().unwrap_or(0);
        partway >= 20
    });
    sending.kill().unwrap();
    sending.wait().unwrap();
    assert!(partway < QUEUED, "killed partway: {partway} sent");

    // The next sends the rest: each change once.
    let next = machine.tandem(&["task", "ls"]);
    assert!(next.status.success(), "{}", stderr(&next));
    assert!(
        stderr(&next).contains("made while offline"),
        "{}",
        stderr(&next)
    );
    assert_eq!(on_server().unwrap(), QUEUED);
    let distinct = server
        .psql(&database.name, "SELECT count(DISTINCT body) FROM comments")
        .unwrap();
    assert_eq!(distinct.trim(), QUEUED.to_string());
    assert!(stdout(&machine.tandem(&["outbox"])).contains("Nothing waits"));
}

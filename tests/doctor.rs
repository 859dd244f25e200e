//! `tandem doctor` on broken set-ups, each named with what to do and left as it was; and the log
//! file `tandem hub` writes. (A healthy desktop, every line ✓, is an end-to-end test: it needs a
//! tray host and a notification daemon on a session bus.)

use std::process::{Output, Stdio};
use std::time::Duration;

use crate::common::{poll_until, sqlite3, Process, Sandbox};

/// `tandem doctor --json` in `sandbox`, without a desktop session; its checks by name.
fn doctor(sandbox: &Sandbox) -> (Output, Vec<serde_json::Value>) {
    let output = no_desktop(&mut sandbox.command(&["doctor", "--json"]))
        .output()
        .expect("tandem doctor runs");
    let checks = serde_json::from_slice(&output.stdout).expect("doctor --json prints checks");
    (output, checks)
}

/// `command` as it runs over SSH or on a server: no display, no session bus.
fn no_desktop(command: &mut std::process::Command) -> &mut std::process::Command {
    command
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
}

/// The check named `name`.
fn check<'a>(checks: &'a [serde_json::Value], name: &str) -> &'a serde_json::Value {
    checks
        .iter()
        .find(|c| c["check"] == name)
        .unwrap_or_else(|| panic!("no {name} check in {checks:?}"))
}

/// Asserts `name` failed, saying `found` and `fix` among what it found and what to do.
fn failed(checks: &[serde_json::Value], name: &str, found: &str, fix: &str) {
    let c = check(checks, name);
    assert_eq!(c["ok"], false, "{c}");
    let said = c["found"].as_str().unwrap();
    let todo = c["fix"].as_str().unwrap();
    assert!(
        said.contains(found),
        "{name}: {said:?} should say {found:?}"
    );
    assert!(todo.contains(fix), "{name}: {todo:?} should say {fix:?}");
}

/// A sandbox whose database holds a board large enough to span many pages.
fn with_a_board() -> Sandbox {
    let sandbox = Sandbox::new();
    let mut csv = String::from("title,description\n");
    for i in 0..400 {
        csv.push_str(&format!(
            "Card {i},\"{}\"\n",
            "words to fill a page ".repeat(20)
        ));
    }
    let file = sandbox.dir.path().join("cards.csv");
    std::fs::write(&file, csv).unwrap();
    let output = sandbox.tandem(&["import", "csv", file.to_str().unwrap()]);
    assert!(output.status.success(), "{output:?}");
    sandbox
}

#[tokio::test]
async fn doctor_passes_what_is_sound_and_names_each_broken_part_with_what_to_do() {
    let sandbox = with_a_board();
    let (output, checks) = doctor(&sandbox);
    for name in [
        "database",
        "schema",
        "socket folder",
        "hub",
        "settings",
        "log folder",
    ] {
        assert_eq!(check(&checks, name)["ok"], true, "{name}: {checks:?}");
    }
    assert!(check(&checks, "database")["found"]
        .as_str()
        .unwrap()
        .contains("1 project and 400 cards; its integrity check passes"));
    // Without a desktop session, what only a desktop has is not checked, and Tandem is sound.
    for name in ["tray", "notifications"] {
        let c = check(&checks, name);
        assert_eq!(
            (&c["ok"], &c["status"]),
            (&true.into(), &"not_checked".into()),
            "{c}"
        );
        assert!(
            c["found"].as_str().unwrap().contains("no desktop session"),
            "{c}"
        );
    }
    assert_eq!(output.status.code(), Some(0), "{checks:?}");

    // Text: one line per check, a mark and what to do.
    let text = no_desktop(&mut sandbox.command(&["doctor"]))
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.lines().any(|l| l.starts_with("✓ database")), "{text}");
    assert!(text.lines().any(|l| l.starts_with("– tray")), "{text}");
    assert_eq!(text.lines().count(), checks.len());

    // A display, but a session bus that does not answer: a warning saying what it costs.
    let warned = no_desktop(&mut sandbox.command(&["doctor", "--json"]))
        .env("DISPLAY", ":99")
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .output()
        .unwrap();
    let checks: Vec<serde_json::Value> = serde_json::from_slice(&warned.stdout).unwrap();
    let tray = check(&checks, "tray");
    assert_eq!(
        (&tray["ok"], &tray["status"]),
        (&true.into(), &"warn".into()),
        "{tray}"
    );
    assert!(
        tray["fix"]
            .as_str()
            .unwrap()
            .contains("no icon in the tray"),
        "{tray}"
    );
    assert_eq!(warned.status.code(), Some(0), "a warning is not a failure");

    // A garbage settings file.
    let settings = sandbox.settings_file();
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    std::fs::write(&settings, "{ this is not json").unwrap();
    let (_, checks) = doctor(&sandbox);
    failed(&checks, "settings", "is not valid settings", "delete");
    assert_eq!(
        std::fs::read_to_string(&settings).unwrap(),
        "{ this is not json"
    );
    std::fs::remove_file(&settings).unwrap();

    // A socket folder other users may enter.
    use std::os::unix::fs::PermissionsExt;
    let sockets = sandbox.runtime_dir().join("tandem");
    std::fs::create_dir(&sockets).unwrap();
    std::fs::set_permissions(&sockets, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (_, checks) = doctor(&sandbox);
    failed(
        &checks,
        "socket folder",
        "open to other users (mode 755)",
        "chmod 700",
    );
    let mode = std::fs::metadata(&sockets).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o755, "doctor changes nothing");
    std::fs::set_permissions(&sockets, std::fs::Permissions::from_mode(0o700)).unwrap();
    assert_eq!(check(&doctor(&sandbox).1, "socket folder")["ok"], true);

    // A damaged database: pages in the middle of the file overwritten, once every commit is in
    // the file itself rather than its write-ahead log.
    let db = sandbox.db();
    sqlite3(&db, "PRAGMA wal_checkpoint(TRUNCATE)");
    let mut bytes = std::fs::read(&db).unwrap();
    assert!(bytes.len() > 40 * 4096, "a file of many pages");
    for b in &mut bytes[20 * 4096..30 * 4096] {
        *b = 0x5a;
    }
    std::fs::write(&db, &bytes).unwrap();
    let (_, checks) = doctor(&sandbox);
    failed(&checks, "database", "damaged", "tandem restore");
    assert_eq!(std::fs::read(&db).unwrap(), bytes, "doctor writes nothing");
}

#[tokio::test]
async fn doctor_tells_a_server_that_does_not_answer() {
    let sandbox = Sandbox::on_server("postgresql://nobody@127.0.0.1:9/nowhere");
    let (output, checks) = doctor(&sandbox);
    failed(&checks, "database", "cannot be reached", "server runs");
    assert_eq!(output.status.code(), Some(1));
}

#[tokio::test]
async fn the_hub_writes_a_log_file_in_the_users_log_folder() {
    let sandbox = Sandbox::new();
    assert!(sandbox.tandem(&["task", "add", "Log me"]).status.success());
    let _hub = Process::spawn(
        sandbox.command(&["hub"]).stderr(Stdio::null()),
        "tandem hub",
    );
    let dir = sandbox.log_dir();
    let mut seen = String::new();
    let logged = poll_until(Duration::from_secs(20), async || {
        let file = std::fs::read_dir(&dir).ok()?.next()?.ok()?.path();
        seen = std::fs::read_to_string(&file).ok()?;
        let name = file.file_name()?.to_str()?.to_owned();
        (name.starts_with("tandem.") && name.ends_with(".log") && seen.contains("Tandem hub"))
            .then_some(name)
    })
    .await;
    assert!(logged.is_some(), "{dir:?} holds {seen:?}");
    assert!(seen.contains("started (pid"), "{seen}");

    // The command line logs to stderr only: no file of its own.
    let before = std::fs::read_dir(&dir).unwrap().count();
    assert!(sandbox.tandem(&["task", "ls"]).status.success());
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), before);
}

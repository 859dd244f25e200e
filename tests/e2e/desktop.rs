//! The desktop an end-to-end test (or `make bench`'s board figures) drives: an X server, a
//! private D-Bus session, WebKitWebDriver and the app, with helpers to find and wait for what a
//! window shows.

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::common::{eventually, poll_until, tandem_bin, Process, Sandbox};

/// WebDriver key codes: Alt and the right arrow, then "release all modifiers".
pub const ALT_RIGHT: &str = "\u{E00A}\u{E014}\u{E000}";
/// Ctrl+Z and Ctrl+Shift+Z, each released after.
pub const UNDO: &str = "\u{E009}z\u{E000}";
pub const REDO: &str = "\u{E009}\u{E008}z\u{E000}";
/// WebDriver's Enter key.
pub const ENTER: &str = "\u{E007}";
/// ↓.
pub const ARROW_DOWN: &str = "\u{E015}";

/// The conflict dialog.
pub const CONFLICT: &str = r#"[role="alertdialog"][aria-label="Changed elsewhere"]"#;

/// A side of the conflict dialog.
#[derive(Debug, Clone, Copy)]
pub enum Side {
    Mine,
    Theirs,
}

/// The settings panel.
pub const SETTINGS: &str = r#"[role="dialog"][aria-label="Settings"]"#;

/// How long a window may take to show something. Generous: CI machines are shared and slow,
/// and a wait ends as soon as the thing appears.
pub const UI_TIMEOUT: Duration = Duration::from_secs(20);

/// The most one end-to-end test may take, start to end. WebDriver calls have no deadline of
/// their own, so a window that stops answering would otherwise hang the whole run.
pub const TEST_LIMIT: Duration = Duration::from_secs(240);

/// Runs `test` on a fresh desktop for `sandbox`. A test that outlives [`TEST_LIMIT`] fails, with
/// what the driver and the app said, and its desktop is torn down.
pub async fn on_desktop(sandbox: &Sandbox, test: impl AsyncFnOnce(&Desktop)) {
    let desktop = Desktop::start(sandbox).await;
    let finished = tokio::time::timeout(TEST_LIMIT, test(&desktop)).await;
    assert!(
        finished.is_ok(),
        "the test did not finish within {TEST_LIMIT:?}: a window stopped answering"
    );
}

/// A private desktop for one test.
pub struct Desktop {
    /// Our own X server, when the test run has no display.
    xvfb: Option<Child>,
    /// `dbus-run-session -- WebKitWebDriver`, leader of its own process group.
    driver: Child,
    /// The driver's and the apps' stderr, shown when a test fails.
    log: PathBuf,
    /// Every Notify call on the desktop's session bus, as dbus-monitor wrote them.
    notify_log: PathBuf,
    /// Every link the apps handed to the desktop's browser, one a line.
    opened_log: PathBuf,
    display: String,
    url: String,
}

/// Sets what every process on a test's desktop shares: the display, and `sandbox`'s database,
/// data, config and runtime folders.
fn on_this_desktop<'c>(
    command: &'c mut Command,
    sandbox: &Sandbox,
    display: &str,
) -> &'c mut Command {
    let home = sandbox.dir.path();
    // The desktop's "browser" is `browser/xdg-open`, which writes down what it was given.
    let path = std::env::var_os("PATH").unwrap_or_default();
    let path = std::env::join_paths(
        std::iter::once(home.join("browser")).chain(std::env::split_paths(&path)),
    )
    .expect("a PATH");
    if sandbox.given_db {
        command.env("TANDEM_DB", sandbox.database());
    } else {
        command.env_remove("TANDEM_DB");
    }
    command
        .env("DISPLAY", display)
        .env("PATH", path)
        .env_remove("WAYLAND_DISPLAY")
        .env("NO_AT_BRIDGE", "1")
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_RUNTIME_DIR", sandbox.runtime_dir())
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("TANDEM_LOG", "warn")
}

impl Desktop {
    /// Starts a desktop whose app instances use `sandbox`'s database and data folders.
    pub async fn start(sandbox: &Sandbox) -> Desktop {
        let (xvfb, display) = match std::env::var("DISPLAY") {
            Ok(display) if !display.is_empty() => (None, display),
            _ => {
                let (child, display) = start_xvfb();
                (Some(child), display)
            }
        };
        let port = free_port();
        let home = sandbox.dir.path();
        let log = home.join("desktop.log");
        let stderr = std::fs::File::create(&log).expect("a log file");
        use std::os::unix::process::CommandExt;
        let notify_log = home.join("notify.log");
        let opened_log = home.join("opened.log");
        install_browser(&home.join("browser"), &opened_log);
        let session = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/e2e/session.sh");
        let mut driver = Command::new("dbus-run-session");
        driver
            .arg("--")
            .arg(session)
            .arg(&notify_log)
            .args(["WebKitWebDriver", &format!("--port={port}")]);
        let driver = on_this_desktop(&mut driver, sandbox, &display)
            .env("TAURI_WEBVIEW_AUTOMATION", "true")
            .stdout(Stdio::null())
            .stderr(stderr)
            .process_group(0)
            .spawn()
            .expect(
                "WebKitWebDriver starts (is webkit2gtk-driver installed? `make test` installs it)",
            );
        let desktop = Desktop {
            xvfb,
            driver,
            log,
            notify_log,
            opened_log,
            display,
            url: format!("http://127.0.0.1:{port}"),
        };
        eventually("WebKitWebDriver to listen", UI_TIMEOUT, async || {
            TcpStream::connect(("127.0.0.1", port)).ok()
        })
        .await;
        desktop
    }

    /// Starts another instance of the app on this desktop and its session bus, outside
    /// WebDriver (which drives one at a time); it is killed when the test ends.
    pub fn instance(&self, sandbox: &Sandbox) -> Process {
        let log = std::fs::OpenOptions::new()
            .append(true)
            .open(&self.log)
            .expect("the desktop log");
        let mut command = self.on_bus(tandem_bin());
        on_this_desktop(&mut command, sandbox, &self.display)
            .stdout(Stdio::null())
            .stderr(log);
        Process::spawn(&mut command, "another instance")
    }

    /// `tandem <args>` on this desktop's session bus, for `sandbox`.
    pub fn tandem(&self, sandbox: &Sandbox, args: &[&str]) -> std::process::Output {
        let mut command = self.on_bus(tandem_bin());
        on_this_desktop(&mut command, sandbox, &self.display)
            .args(args)
            .output()
            .expect("tandem runs")
    }

    /// A command for `program` on this desktop's display and session bus.
    pub fn on_bus(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let address = std::fs::read_to_string(self.notify_log.with_extension("bus"))
            .expect("the session wrote its bus address");
        let mut command = Command::new(program);
        command
            .env("DISPLAY", &self.display)
            .env("DBUS_SESSION_BUS_ADDRESS", address.trim());
        command
    }

    /// The summaries of the notifications shown on this desktop so far, in order.
    pub fn notifications(&self) -> Vec<String> {
        let log = std::fs::read_to_string(&self.notify_log).unwrap_or_default();
        // A Notify call's arguments: app name, replaces id, icon, summary, body, ...
        log.match_indices("member=Notify")
            .filter_map(|(at, _)| {
                let call = &log[at..];
                call.lines()
                    .filter_map(|l| l.trim().strip_prefix("string \""))
                    .nth(2)
                    .map(|s| s.trim_end_matches('"').to_owned())
            })
            .collect()
    }

    /// The links the apps asked the desktop to open so far, in order.
    pub fn opened(&self) -> Vec<String> {
        let log = std::fs::read_to_string(&self.opened_log).unwrap_or_default();
        log.lines().map(str::to_owned).collect()
    }

    /// Launches an instance of the app and connects to its windows.
    pub async fn launch(&self) -> App {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "webkitgtk:browserOptions".into(),
            json!({ "binary": tandem_bin(), "args": [] }),
        );
        let client = ClientBuilder::native()
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("a WebDriver session with the app");
        App { client }
    }
}

impl Desktop {
    /// How many WebKit web processes the apps on this desktop run: the driver's process group
    /// holds them all.
    pub fn web_processes(&self) -> usize {
        let group = self.driver.id().to_string();
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return 0;
        };
        entries
            .filter_map(|entry| std::fs::read_to_string(entry.ok()?.path().join("stat")).ok())
            .filter(|stat| {
                // pid (comm) state ppid pgrp ...: the name may hold spaces, so split after it.
                let Some((name, rest)) = stat.rsplit_once(')') else {
                    return false;
                };
                let pgrp = rest.split_whitespace().nth(2);
                name.ends_with("(WebKitWebProces") && pgrp == Some(group.as_str())
            })
            .count()
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        // The driver, its D-Bus session and the apps it launched share the driver's group.
        if let Ok(group) = libc::pid_t::try_from(self.driver.id()) {
            // SAFETY: killpg only sends a signal; the group is the one we created for the driver.
            unsafe { libc::killpg(group, libc::SIGTERM) };
        }
        let _ = self.driver.wait();
        if std::thread::panicking() {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            eprintln!("--- what the driver and the app said ---\n{log}");
        }
        if let Some(xvfb) = &mut self.xvfb {
            let _ = xvfb.kill();
            let _ = xvfb.wait();
        }
    }
}

/// Starts Xvfb on a display number of its own choosing and reads that number back.
fn start_xvfb() -> (Child, String) {
    let mut child = Command::new("Xvfb")
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            "1280x800x24",
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("Xvfb starts (is xvfb installed? `make test` installs it)");
    let stdout = child.stdout.take().expect("Xvfb's stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("Xvfb reports its display");
    let number = line.trim();
    assert!(!number.is_empty(), "Xvfb exited without a display");
    (child, format!(":{number}"))
}

fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// One running instance of the app, seen through WebDriver.
pub struct App {
    pub client: Client,
}

impl App {
    /// The first element matching `css`, waiting for it to appear.
    pub async fn find(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(UI_TIMEOUT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element matches {css}: {e}"))
    }

    /// Clicks the first element matching `css`, waiting for it to appear. An element the page
    /// drew anew between finding and clicking is found again.
    pub async fn click(&self, css: &str) {
        eventually(&format!("{css} to take a click"), UI_TIMEOUT, async || {
            let element = self.client.find(Locator::Css(css)).await.ok()?;
            element.click().await.ok()
        })
        .await;
    }

    /// Waits until `css` matches nothing.
    pub async fn gone(&self, css: &str) {
        eventually(&format!("{css} to go"), UI_TIMEOUT, async || {
            let found = self.client.find_all(Locator::Css(css)).await.ok()?;
            found.is_empty().then_some(())
        })
        .await;
    }

    /// The card titled `title` in the column named `column`, waiting for it.
    pub async fn card(&self, column: &str, title: &str) -> Element {
        self.find(&format!(
            r#"section[aria-label="{column}"] [data-task-id][aria-label="{title}"]"#
        ))
        .await
    }

    /// The titles of the cards in the column named `column`, top to bottom; `None` when the
    /// look failed (a card found was drawn anew before its title was read).
    async fn titles(&self, column: &str) -> Option<Vec<String>> {
        let cards = self
            .client
            .find_all(Locator::Css(&format!(
                r#"section[aria-label="{column}"] [data-task-id]"#
            )))
            .await
            .ok()?;
        let mut titles = Vec::new();
        for card in cards {
            titles.push(card.attr("aria-label").await.ok()?.unwrap_or_default());
        }
        Some(titles)
    }

    /// Waits until the column named `column` shows exactly `expected`, top to bottom.
    pub async fn wait_for_titles(&self, column: &str, expected: &[&str]) {
        let mut shown = None;
        let found = poll_until(UI_TIMEOUT, async || {
            shown = self.titles(column).await;
            shown
                .as_deref()
                .is_some_and(|s| s == expected)
                .then_some(())
        })
        .await;
        assert!(
            found.is_some(),
            "{column} shows {shown:?}, expected {expected:?}"
        );
    }

    /// Waits until the element `css` shows text containing every one of `parts`.
    /// The element is found again on every look: a live board may draw it anew meanwhile (a
    /// change from elsewhere, an optimistic edit confirmed), and an element held from before
    /// would never show the new text.
    pub async fn wait_for_text(&self, css: &str, parts: &[&str]) {
        let mut text = String::new();
        let found = poll_until(UI_TIMEOUT, async || {
            let element = self.client.find(Locator::Css(css)).await.ok()?;
            text = element.text().await.ok()?;
            parts.iter().all(|p| text.contains(p)).then_some(())
        })
        .await;
        assert!(found.is_some(), "{css} shows {text:?}, expected {parts:?}");
    }

    /// Waits until the element `css` holds text containing every one of `parts`, shown or not
    /// (what a screen reader reads from a visually hidden element).
    pub async fn wait_for_content(&self, css: &str, parts: &[&str]) {
        let mut text = String::new();
        let found = poll_until(UI_TIMEOUT, async || {
            let element = self.client.find(Locator::Css(css)).await.ok()?;
            text = element.prop("textContent").await.ok()??;
            parts.iter().all(|p| text.contains(p)).then_some(())
        })
        .await;
        assert!(found.is_some(), "{css} holds {text:?}, expected {parts:?}");
    }

    /// Waits until the form field `css` holds `expected`.
    pub async fn wait_for_value(&self, css: &str, expected: &str) {
        let mut value = None;
        let found = poll_until(UI_TIMEOUT, async || {
            let element = self.client.find(Locator::Css(css)).await.ok()?;
            value = element.prop("value").await.ok()?;
            (value.as_deref() == Some(expected)).then_some(())
        })
        .await;
        assert!(
            found.is_some(),
            "{css} holds {value:?}, expected {expected:?}"
        );
    }

    /// Keeps `side` in the conflict dialog, and waits for the dialog to close.
    pub async fn keep(&self, side: Side) {
        let column = match side {
            Side::Mine => 1,
            Side::Theirs => 2,
        };
        self.click(&format!("{CONFLICT} td:nth-of-type({column}) button"))
            .await;
        self.gone(CONFLICT).await;
    }

    /// Opens the settings panel from the keyboard, once the board is shown; returns its selector.
    pub async fn open_settings(&self) -> &'static str {
        self.find(r#"section[aria-label="To do"]"#).await;
        self.press_with_ctrl(&[',']).await;
        SETTINGS
    }

    /// Presses Ctrl with `keys` (modifiers first), then lets go of them all.
    pub async fn press_with_ctrl(&self, keys: &[char]) {
        let mut chord = KeyActions::new("keyboard".into()).then(KeyAction::Down {
            value: Key::Control.into(),
        });
        for &key in keys {
            chord = chord.then(KeyAction::Down { value: key });
        }
        for &key in keys.iter().rev() {
            chord = chord.then(KeyAction::Up { value: key });
        }
        chord = chord.then(KeyAction::Up {
            value: Key::Control.into(),
        });
        self.client
            .perform_actions(chord)
            .await
            .expect("the window takes the keys");
    }

    /// Quits the app by ending the WebDriver session, which closes its windows.
    pub async fn quit(self) {
        self.client.close().await.expect("the session ends");
    }
}

/// Puts in `folder` an `xdg-open` that writes each link it is given to `log` instead of
/// starting a browser: the desktop's apps find it first on their PATH.
fn install_browser(folder: &std::path::Path, log: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(folder).expect("a folder for the browser");
    let script = folder.join("xdg-open");
    let quoted = log.display().to_string().replace('\'', "'\\''");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{quoted}'\n"),
    )
    .expect("the browser script");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
        .expect("the browser runs");
}

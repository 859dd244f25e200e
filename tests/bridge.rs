//! The bridge between instances, with real processes on a real socket: instances in this test
//! process (each with its own store on the shared file, as separate processes would have),
//! `tandem hub`, `tandem watch` and `tandem task` as child processes, and raw socket clients
//! that misbehave on purpose.

use std::collections::BTreeSet;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tandem::bridge::frame::{Frame, Hello, PROTO};
use tandem::bridge::hub::Hub;
use tandem::bridge::{ask_hub, Link, LinkConfig, Timing};
use tandem::model::{Actor, Change, LinkStatus, Origin};
use tandem::store::{NewTask, Store};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::UnixStream;
use tokio::sync::watch;

use crate::common::{eventually, log, open_store, sqlite3, Lines, Process, Sandbox};

const DEADLINE: Duration = Duration::from_secs(20);

/// A copy of Tandem inside this test process: its own store on the sandbox's file, its link,
/// and a record of every seq its bus carried, in order.
struct Instance {
    name: String,
    store: Arc<Store>,
    /// The log's seq when it opened: it publishes what comes after.
    start: i64,
    seen: Arc<Mutex<Vec<i64>>>,
    status: watch::Receiver<LinkStatus>,
    stop: watch::Sender<bool>,
}

struct Options {
    /// May serve the hub.
    serve: bool,
    /// Also watches the file for other programs' commits, as the app does.
    watch_file: bool,
    timing: Timing,
    /// The debounce window of its outgoing batches.
    window: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            serve: true,
            watch_file: false,
            timing: Timing::default(),
            window: Duration::from_millis(20),
        }
    }
}

impl Instance {
    async fn start(sandbox: &Sandbox, name: &str, options: Options) -> Instance {
        let store = Arc::new(
            Store::open(&sandbox.db(), &Origin::new(name, Actor::Gui))
                .await
                .expect("the database opens"),
        );
        let start = store.seq().await.unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let mut bus = store.bus().subscribe();
        tokio::spawn({
            let seen = seen.clone();
            async move {
                while let Ok(committed) = bus.recv().await {
                    seen.lock().unwrap().extend(committed.iter().map(|c| c.seq));
                }
            }
        });
        let (stop, stopped) = watch::channel(false);
        let stopping = move || {
            let mut stopped = stopped.clone();
            async move {
                let _ = stopped.wait_for(|s| *s).await;
            }
        };
        if options.watch_file {
            let store = store.clone();
            let stopping = stopping();
            tokio::spawn(async move {
                store
                    .watch_other_writers(Duration::from_millis(50), stopping)
                    .await
            });
        }
        let config = LinkConfig {
            instance: name.to_owned(),
            kind: Actor::Gui,
            scope: None,
            serve: options.serve,
            window: options.window.into(),
            timing: options.timing,
        };
        let link = Link::new(config, sandbox.endpoint(), store.clone());
        let status = link.status();
        tokio::spawn(link.run(stopping()));
        Instance {
            name: name.to_owned(),
            store,
            start,
            seen,
            status,
            stop,
        }
    }

    async fn add(&self, title: &str) -> Change {
        let mut bus = self.store.bus().subscribe();
        let project = self.store.first_project().await.unwrap().id;
        let new = NewTask {
            project_id: project,
            column_id: None,
            title: title.to_owned(),
        };
        self.store
            .create_task(&Origin::new(&self.name, Actor::Gui), new)
            .await
            .unwrap();
        loop {
            let committed = bus.recv().await.unwrap();
            if let Some(mine) = committed
                .iter()
                .find(|c| c.origin.as_ref().is_some_and(|o| o.instance == self.name))
            {
                return mine.clone();
            }
        }
    }

    /// Waits until the link is live with `instances` linked.
    async fn live_with(&self, instances: u32) {
        let mut status = self.status.clone();
        let reached = tokio::time::timeout(
            DEADLINE,
            status.wait_for(
                |s| matches!(s, LinkStatus::Live { instances: n, .. } if *n == instances),
            ),
        )
        .await;
        assert!(
            reached.is_ok(),
            "{} never saw {instances} instances: {:?}",
            self.name,
            *self.status.borrow()
        );
    }

    fn serving(&self) -> bool {
        matches!(
            *self.status.borrow(),
            LinkStatus::Live { serving: true, .. }
        )
    }

    /// Waits until this instance's bus has carried every change after its start, up to the
    /// log's end, and checks it carried each once, in order.
    async fn has_every_change(&self, observer: &Store) {
        let expected: Vec<i64> = log(observer)
            .await
            .iter()
            .map(|c| c.seq)
            .filter(|&s| s > self.start)
            .collect();
        let seen = self.seen.clone();
        let last = *expected.last().expect("changes were made");
        let ok = crate::common::poll_until(DEADLINE, async || {
            seen.lock()
                .unwrap()
                .last()
                .is_some_and(|&s| s >= last)
                .then_some(())
        })
        .await;
        let seen = self.seen.lock().unwrap().clone();
        assert!(
            ok.is_some(),
            "{} stopped at {:?} of {last}",
            self.name,
            seen.last()
        );
        assert_eq!(
            seen, expected,
            "{}: every change once, in seq order",
            self.name
        );
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}

/// A file with the board created, as the first instance would leave it.
async fn board(sandbox: &Sandbox) -> Store {
    open_store(&sandbox.db()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_on_one_file_each_receive_every_change_over_the_socket() {
    let sandbox = Sandbox::new();
    let observer = board(&sandbox).await;
    // No file watching: whatever an instance hears of the others', it hears over the socket.
    let a = Instance::start(&sandbox, "a", Options::default()).await;
    let b = Instance::start(&sandbox, "b", Options::default()).await;
    let c = Instance::start(&sandbox, "c", Options::default()).await;
    for instance in [&a, &b, &c] {
        instance.live_with(3).await;
    }
    let hubs = [&a, &b, &c].iter().filter(|i| i.serving()).count();
    assert_eq!(hubs, 1, "exactly one instance serves the hub");

    for round in 0..5 {
        for instance in [&a, &b, &c] {
            instance.add(&format!("{} {round}", instance.name)).await;
        }
    }
    // The CLI is a peer too: its change reaches every instance.
    let output = sandbox.tandem(&["task", "add", "From the terminal"]);
    assert!(output.status.success(), "{output:?}");

    for instance in [&a, &b, &c] {
        instance.has_every_change(&observer).await;
    }
}

/// `tandem hub`, started and serving. The database must exist.
pub async fn hub_process(sandbox: &Sandbox) -> Process {
    let child = Process::spawn(
        sandbox.command(&["hub"]).stderr(Stdio::null()),
        "tandem hub",
    );
    let endpoint = sandbox.endpoint();
    eventually("tandem hub to serve", DEADLINE, async || {
        ask_hub(&endpoint, "probe").await.ok().flatten()
    })
    .await;
    child
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_hub_is_killed_another_instance_serves_and_no_change_is_missed() {
    let sandbox = Sandbox::new();
    let observer = board(&sandbox).await;
    let mut hub = hub_process(&sandbox).await;
    let a = Instance::start(&sandbox, "writer", Options::default()).await;
    let b = Instance::start(&sandbox, "reader", Options::default()).await;
    a.live_with(3).await;
    b.live_with(3).await;
    assert!(!a.serving() && !b.serving(), "the hub process serves");

    for n in 0..200 {
        if n == 50 {
            hub.kill().expect("kill -9 the hub");
            hub.wait().expect("the hub is gone");
        }
        a.add(&format!("Task {n}")).await;
    }
    a.live_with(2).await;
    b.live_with(2).await;
    assert_eq!(
        [a.serving(), b.serving()].iter().filter(|s| **s).count(),
        1,
        "one of the survivors took over"
    );
    b.has_every_change(&observer).await;
    a.has_every_change(&observer).await;
}

/// A raw client on the hub's socket.
struct Raw {
    lines: tokio::io::Lines<BufReader<OwnedReadHalf>>,
    send: OwnedWriteHalf,
}

impl Raw {
    async fn connect(sandbox: &Sandbox) -> Raw {
        let stream = UnixStream::connect(sandbox.endpoint().socket())
            .await
            .expect("the hub listens");
        let (read, send) = stream.into_split();
        Raw {
            lines: BufReader::new(read).lines(),
            send,
        }
    }

    async fn say(&mut self, bytes: &[u8]) {
        // The hub may already have closed on us; what it said before is still readable.
        let _ = self.send.write_all(bytes).await;
    }

    async fn hello(&mut self, name: &str) {
        let hello = Frame::Hello(Hello {
            proto: PROTO,
            instance: name.into(),
            pid: 1,
            kind: Actor::Cli,
            scope: None,
            last_seq: 0,
        });
        self.say(hello.to_line().unwrap().as_bytes()).await;
    }

    /// Reads frames until one of type `kind`; returns it. Fails on EOF or after the deadline.
    async fn until(&mut self, kind: &str) -> serde_json::Value {
        let read = async {
            while let Ok(Some(line)) = self.lines.next_line().await {
                let frame: serde_json::Value =
                    serde_json::from_str(&line).expect("the hub sends JSON");
                if frame["type"] == kind {
                    return Some(frame);
                }
            }
            None
        };
        tokio::time::timeout(DEADLINE, read)
            .await
            .unwrap_or_else(|_| panic!("no {kind} frame in time"))
            .unwrap_or_else(|| panic!("closed before a {kind} frame"))
    }

    /// Expects an error frame with `code`, then the end of the stream.
    async fn refused_with(mut self, code: &str) {
        let error = self.until("error").await;
        assert_eq!(error["code"], code, "{error}");
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
        let rest = tokio::time::timeout(DEADLINE, self.lines.next_line()).await;
        assert!(
            matches!(rest, Ok(Ok(None)) | Ok(Err(_))),
            "closed after the error: {rest:?}"
        );
    }
}

/// Serves a hub in this process with short clocks and a small queue.
async fn quick_hub(sandbox: &Sandbox, store: Arc<Store>) -> (watch::Sender<bool>, Timing) {
    let timing = Timing {
        hello_within: Duration::from_millis(300),
        ping_every: Duration::from_millis(200),
        // Long enough for a loaded machine to fill a socket buffer before the deaf peer's
        // silence ends its link.
        silence_limit: Duration::from_secs(8),
        queue: 8,
        ..Timing::default()
    };
    let endpoint = sandbox.endpoint();
    let election = endpoint.try_elect().unwrap().expect("nobody else serves");
    let listener = endpoint.bind(&election).unwrap();
    let (stop, mut stopped) = watch::channel(false);
    let hub = Hub::new("test-hub".into(), store, timing);
    tokio::spawn(async move {
        hub.serve(listener, async move {
            let _ = stopped.wait_for(|s| *s).await;
        })
        .await;
        drop(election);
    });
    (stop, timing)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peers_that_break_the_protocol_are_told_why_and_closed_while_the_others_are_served() {
    let sandbox = Sandbox::new();
    let observer = Arc::new(board(&sandbox).await);
    let (_hub, timing) = quick_hub(&sandbox, observer.clone()).await;
    let options = || Options {
        serve: false,
        timing,
        // Every commit its own batch, so a burst is many lines.
        window: Duration::ZERO,
        ..Options::default()
    };
    let writer = Instance::start(&sandbox, "writer", options()).await;
    let reader = Instance::start(&sandbox, "reader", options()).await;
    writer.live_with(2).await;
    reader.live_with(2).await;

    let mut garbage = Raw::connect(&sandbox).await;
    garbage.say(b"hello there\n").await;
    garbage.refused_with("bad_json").await;

    let mut oversize = Raw::connect(&sandbox).await;
    oversize.say(&vec![b'x'; 1024 * 1024 + 16]).await;
    oversize.refused_with("too_long").await;

    let mut wrong = Raw::connect(&sandbox).await;
    wrong
        .say(b"{\"type\":\"hello\",\"proto\":99,\"instance\":\"x\",\"pid\":1,\"kind\":\"cli\"}\n")
        .await;
    wrong.refused_with("wrong_proto").await;

    let mute = Raw::connect(&sandbox).await;
    mute.refused_with("no_hello").await;

    let mut bad_later = Raw::connect(&sandbox).await;
    bad_later.hello("bad-later").await;
    bad_later.until("welcome").await;
    bad_later.say(b"{\"type\":\"batch\"\n").await;
    bad_later.refused_with("bad_json").await;

    // Says hello, then neither reads nor speaks. Once the socket's buffer is full its queue
    // overflows, and it is told to resync; its silence then ends the link. How much the buffer
    // holds is the kernel's business, so the writer writes until the hub reports the overflow.
    let mut deaf = Raw::connect(&sandbox).await;
    deaf.hello("deaf").await;
    let title = "a long title to fill the deaf peer's socket buffer sooner ".repeat(8);
    let mut written = 0;
    eventually("the deaf peer's queue to overflow", DEADLINE, async || {
        for _ in 0..25 {
            writer.add(&format!("{title}{written}")).await;
            written += 1;
        }
        let peers = ask_hub(&sandbox.endpoint(), "probe").await.ok()??.peers;
        let deaf = peers.into_iter().find(|p| p.instance == "deaf")?;
        (deaf.link.resyncs > 0).then_some(())
    })
    .await;
    // Read at once: the hub gives a stalled write only `silence_limit` before it gives up.
    let resync = deaf.until("resync").await;
    reader.has_every_change(&observer).await;
    assert!(resync["from_seq"].as_i64().is_some(), "{resync}");
    deaf.refused_with("timeout").await;

    // Through all of that, the well-behaved peers kept hearing each other.
    writer.add("After the abuse").await;
    reader.has_every_change(&observer).await;
    let peers = ask_hub(&sandbox.endpoint(), "probe")
        .await
        .unwrap()
        .unwrap()
        .peers;
    let names: BTreeSet<_> = peers.iter().map(|p| p.instance.as_str()).collect();
    assert_eq!(names, BTreeSet::from(["probe", "reader", "writer"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_socket_is_private_and_a_peer_of_another_user_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let sandbox = Sandbox::new();
    let observer = Arc::new(board(&sandbox).await);
    let (_hub, _) = quick_hub(&sandbox, observer).await;
    let socket = sandbox.endpoint().socket().to_path_buf();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(
        mode(socket.parent().unwrap()),
        0o700,
        "the folder is private"
    );
    assert_eq!(mode(&socket), 0o600, "the socket is the owner's only");

    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        panic!("this test drops a child to another uid, which needs root (CI runs as root)");
    }
    // Open the path up, as a careless admin might: the hub's own uid check must still refuse.
    for dir in [
        sandbox.dir.path(),
        &sandbox.runtime_dir(),
        socket.parent().unwrap(),
    ] {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o777)).unwrap();
    use std::os::unix::process::CommandExt;
    // The refusal comes at accept, before the hub reads a byte: the intruder only listens.
    let intruder = std::process::Command::new("socat")
        .args([
            "-u",
            &format!("UNIX-CONNECT:{}", socket.display()),
            "STDOUT",
        ])
        .uid(65534)
        .gid(65534)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("socat runs (make deps installs it)");
    let output = tokio::task::spawn_blocking(move || intruder.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let said = String::from_utf8_lossy(&output.stdout);
    let complaint = String::from_utf8_lossy(&output.stderr);
    let first: serde_json::Value = serde_json::from_str(said.lines().next().unwrap_or("null"))
        .unwrap_or_else(|_| panic!("the hub answers in JSON: {said:?} {complaint}"));
    assert_eq!(first["type"], "error", "{said:?} {complaint}");
    assert_eq!(first["code"], "forbidden", "{said}");
    assert_eq!(said.lines().count(), 1, "nothing but the refusal: {said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_replays_the_log_then_streams_every_change_including_the_sqlite3_shells() {
    let sandbox = Sandbox::new();
    let observer = board(&sandbox).await;
    let first = sandbox.tandem(&["task", "add", "Before watching"]);
    assert!(first.status.success());
    let app = Instance::start(
        &sandbox,
        "app",
        Options {
            watch_file: true,
            ..Options::default()
        },
    )
    .await;
    app.live_with(1).await;

    let mut watch = Process::spawn(
        sandbox
            .command(&["watch", "--since", "2"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null()),
        "tandem watch",
    );
    let lines = Lines::of(&mut watch);
    let seq = observer.seq().await.unwrap();
    let replayed = lines.changes_until(seq);
    assert_eq!(
        replayed.iter().map(|c| c.seq).collect::<Vec<_>>(),
        (3..=seq).collect::<Vec<_>>(),
        "the replay starts after --since"
    );
    let added = app.add("From the app").await;
    let cli = sandbox.tandem(&["task", "add", "From the terminal"]);
    assert!(cli.status.success());
    let task = String::from_utf8_lossy(&cli.stdout).trim().to_owned();
    sqlite3(
        sandbox.db(),
        &format!("UPDATE tasks SET title = 'From the shell' WHERE id = '{task}'"),
    );
    let last = observer.seq().await.unwrap();
    let streamed = lines.changes_until(last);
    assert_eq!(
        streamed.iter().map(|c| c.seq).collect::<Vec<_>>(),
        (seq + 1..=last).collect::<Vec<_>>(),
        "every change once, in order"
    );
    assert_eq!(streamed[0].seq, added.seq);
    let from_shell = streamed.last().unwrap();
    assert!(from_shell.origin.is_none(), "the shell is not Tandem");
    assert!(from_shell
        .data
        .as_ref()
        .unwrap()
        .get()
        .contains("From the shell"));
    // The app's windows hear of the shell's write too.
    app.has_every_change(&observer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_shows_the_hub_and_its_peers_or_that_there_is_none() {
    let sandbox = Sandbox::new();
    let _observer = board(&sandbox).await;
    let alone = sandbox.tandem(&["status"]);
    assert!(alone.status.success());
    let text = String::from_utf8_lossy(&alone.stdout);
    assert!(text.contains("no instance of Tandem is running"), "{text}");

    let mut hub = hub_process(&sandbox).await;
    let app = Instance::start(&sandbox, "app", Options::default()).await;
    app.live_with(2).await;
    let output = sandbox.tandem(&["status", "--json"]);
    assert!(output.status.success(), "{output:?}");
    let status: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let peers = status["peers"].as_array().unwrap();
    let kinds: BTreeSet<_> = peers.iter().map(|p| p["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, BTreeSet::from(["gui", "hub"]), "{status}");
    let hub_id = status["hub"].as_str().unwrap();
    let serving = peers.iter().find(|p| p["instance"] == hub_id).unwrap();
    assert_eq!(serving["kind"], "hub");
    assert_eq!(serving["pid"], hub.id());

    let text = String::from_utf8_lossy(&sandbox.tandem(&["status"]).stdout).into_owned();
    assert!(text.contains(&format!("(hub, pid {})", hub.id())), "{text}");
    assert!(text.contains("peers     2"), "{text}");
    hub.kill().unwrap();
    hub.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_that_cannot_make_a_socket_works_locally_from_the_file() {
    let sandbox = Sandbox::new();
    let observer = board(&sandbox).await;
    // The runtime folder is a file: no socket can be made there.
    let blocked = sandbox.dir.path().join("not-a-folder");
    std::fs::write(&blocked, b"").unwrap();
    let store = Arc::new(
        Store::open(&sandbox.db(), &Origin::new("alone", Actor::Gui))
            .await
            .unwrap(),
    );
    let start = store.seq().await.unwrap();
    let db = std::fs::canonicalize(sandbox.db()).unwrap();
    let endpoint = tandem::bridge::Endpoint::in_dir(blocked.join("tandem"), &db);
    let config = LinkConfig {
        instance: "alone".into(),
        kind: Actor::Gui,
        scope: None,
        serve: true,
        window: Duration::from_millis(20).into(),
        timing: Timing::default(),
    };
    let link = Link::new(config, endpoint, store.clone());
    let mut status = link.status();
    let (stop, mut stopped) = watch::channel(false);
    tokio::spawn(link.run(async move {
        let _ = stopped.wait_for(|s| *s).await;
    }));
    let local = tokio::time::timeout(
        DEADLINE,
        status.wait_for(|s| matches!(s, LinkStatus::LocalOnly { .. })),
    )
    .await
    .is_ok();
    assert!(local, "says it works alone: {:?}", *status.borrow());

    // Changes made elsewhere still arrive, from the file.
    let mut bus = store.bus().subscribe();
    let watcher = tokio::spawn({
        let store = store.clone();
        let mut stopped = stop.subscribe();
        async move {
            store
                .watch_other_writers(Duration::from_millis(50), async move {
                    let _ = stopped.wait_for(|s| *s).await;
                })
                .await
        }
    });
    let output = sandbox.tandem(&["task", "add", "From the terminal"]);
    assert!(output.status.success(), "{output:?}");
    let committed = tokio::time::timeout(DEADLINE, bus.recv())
        .await
        .expect("the file's change arrives")
        .unwrap();
    let last = log(&observer).await.last().unwrap().seq;
    assert!(committed.iter().any(|c| c.seq == last && c.seq > start));
    stop.send_replace(true);
    watcher.await.unwrap().unwrap();
}

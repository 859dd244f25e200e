//! The hub: accepts peers on the endpoint and relays each one's batches to all the others.
//!
//! The hub holds no changes of its own: what a peer missed, it reads from the change log (the
//! file is shared). So the hub never blocks on a peer: each has a bounded queue, and a peer whose
//! queue overflows loses its queued batches and is sent `resync` instead. A peer that breaks the
//! protocol gets an `error` frame and is closed; everyone else is served on, always.

use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use interprocess::local_socket::tokio::{prelude::*, Listener, Stream};
use serde_json::value::RawValue;
use tokio::io::{AsyncWriteExt, BufWriter};
use tokio::sync::{broadcast, mpsc, watch, Notify};
use tokio_util::codec::FramedRead;

use super::frame::{
    Frame, Hello, Line, LineDecoder, LinkCounts, NoticeCounts, PeerInfo, ProtocolError, PROTO,
};
use super::Timing;
use crate::model::{Actor, Batch, ProjectId};
use crate::notice::{Attention, Gatherer, Notice};
use crate::store::Store;
use crate::sync::lock;

/// Control frames (welcome, presence, pong) a peer may have waiting. They are few and small; a
/// peer that lets more pile up is not reading, and loses the oldest.
const CONTROL_QUEUE: usize = 64;

/// The sender of batches the hub read from the log itself: no connection has this number.
const FROM_THE_LOG: u64 = 0;

/// A running hub's shared state.
pub struct Hub {
    /// This hub's instance id, sent in `welcome`.
    instance: String,
    /// Read for the log's seq in `welcome`.
    store: Arc<Store>,
    timing: Timing,
    /// Everyone who said hello, by connection number.
    peers: Mutex<BTreeMap<u64, Registered>>,
    /// The number of the next connection.
    next_id: AtomicU64,
    /// What became of the notifications gathered.
    notices: Mutex<NoticeCounts>,
}

/// A peer that said hello.
struct Registered {
    hello: Hello,
    /// Its current scope (`hello`'s, then the last `subscribe`'s).
    scope: Option<ProjectId>,
    outbox: Arc<Outbox>,
    counts: LinkCounts,
    /// Its latest `report`.
    report: Option<Box<RawValue>>,
    /// Its latest `attention`.
    attention: Attention,
}

impl Hub {
    pub fn new(instance: String, store: Arc<Store>, timing: Timing) -> Arc<Hub> {
        Arc::new(Hub {
            instance,
            store,
            timing,
            peers: Mutex::default(),
            next_id: AtomicU64::new(1),
            notices: Mutex::default(),
        })
    }

    /// Serves `listener` until `shutdown` completes, then closes every connection and returns
    /// once all are closed.
    pub async fn serve(self: Arc<Self>, listener: Listener, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let (stop, stopping) = watch::channel(false);
        // Each connection holds a sender; when all are dropped, every connection has ended.
        let (done, mut all_done) = mpsc::channel::<()>(1);
        let teller = {
            let (hub, stopping, done) = (self.clone(), stopping.clone(), done.clone());
            tokio::spawn(async move {
                hub.tell(stopping).await;
                drop(done);
            })
        };
        // The instances linked to this hub leave watching the database to it, so a server's
        // `LISTEN` costs one connection per machine; what the store reads from the log, the
        // hub relays.
        let watcher = {
            let (hub, mut stopping, done) = (self.clone(), stopping.clone(), done.clone());
            tokio::spawn(async move {
                let stopped = async move { drop(stopping.wait_for(|stop| *stop).await) };
                let watched = hub
                    .store
                    .watch_other_writers(hub.timing.watch_every, stopped);
                if let Err(e) = watched.await {
                    tracing::error!(error = %e, "the hub stopped watching the database");
                }
                drop(done);
            })
        };
        let relayer = {
            let (hub, stopping, done) = (self.clone(), stopping.clone(), done.clone());
            tokio::spawn(async move {
                hub.relay_from_log(stopping).await;
                drop(done);
            })
        };
        loop {
            tokio::select! {
                biased;
                () = &mut shutdown => break,
                accepted = listener.accept() => match accepted {
                    Ok(stream) => {
                        let hub = self.clone();
                        let stopping = stopping.clone();
                        let done = done.clone();
                        tokio::spawn(async move {
                            hub.connection(stream, stopping).await;
                            drop(done);
                        });
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "the hub could not accept a connection");
                        // Out of file descriptors, say: give the system a moment.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
            }
        }
        stop.send_replace(true);
        drop(done);
        let _ = all_done.recv().await;
        let _ = teller.await;
        let _ = watcher.await;
        let _ = relayer.await;
    }

    /// Gathers every change committed to the file, each once and in order, from the hub's own
    /// store (which takes in every instance's changes, the command line's and other programs'),
    /// and sends each notification, when due, to one instance to show.
    async fn tell(&self, mut stopping: watch::Receiver<bool>) {
        let mut bus = self.store.bus().subscribe();
        let mut gatherer = Gatherer::for_person(self.store.login());
        loop {
            let deadline = gatherer.deadline();
            let due = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = async { drop(stopping.wait_for(|stop| *stop).await) } => return,
                received = bus.recv() => match received {
                    Ok(committed) => {
                        let focused = self.focused();
                        let now = Instant::now();
                        for change in committed.iter() {
                            gatherer.push(now, change, &focused);
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::debug!(missed, "too many changes at once to tell them all");
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                () = due => {
                    let names: BTreeMap<ProjectId, String> = match self.store.projects().await {
                        Ok(projects) => projects.into_iter().map(|p| (p.id, p.name)).collect(),
                        Err(e) => {
                            tracing::warn!(error = %e, "cannot read the projects' names");
                            BTreeMap::new()
                        }
                    };
                    let people: BTreeMap<String, String> = match self.store.people().await {
                        Ok(people) => people.into_iter().map(|p| (p.login, p.name)).collect(),
                        Err(e) => {
                            tracing::warn!(error = %e, "cannot read people's names");
                            BTreeMap::new()
                        }
                    };
                    let told = gatherer.due(
                        Instant::now(),
                        |p| names.get(p).cloned(),
                        |login| people.get(login).cloned(),
                    );
                    for notice in told {
                        self.send_notice(notice);
                    }
                }
            }
        }
    }

    /// The windows that have the focus, as (instance, window label).
    fn focused(&self) -> Vec<(String, String)> {
        self.lock()
            .values()
            .filter_map(|peer| {
                let window = peer.attention.focused.clone()?;
                Some((peer.hello.instance.clone(), window))
            })
            .collect()
    }

    /// Sends `notice` to one desktop instance whose user wants notifications: the one the user
    /// is in, if any, else the longest connected.
    fn send_notice(&self, notice: Notice) {
        let line = match Frame::Notify(notice).to_line() {
            Ok(line) => line,
            Err(e) => return tracing::error!(error = %e, "cannot encode a notification"),
        };
        let peers = self.lock();
        let wanting = || {
            peers
                .values()
                .filter(|p| p.hello.kind == Actor::Gui && p.attention.notify)
        };
        let target = wanting()
            .find(|p| p.attention.focused.is_some())
            .or_else(|| wanting().next());
        let mut counts = lock(&self.notices);
        match target {
            Some(peer) => {
                peer.outbox.push_control(line);
                counts.sent += 1;
            }
            None => counts.unwanted += 1,
        }
    }

    /// The peers as the hub sees them, for `welcome`, `presence` and `tandem status`.
    pub fn peers(&self) -> Vec<PeerInfo> {
        self.lock()
            .values()
            .map(|peer| PeerInfo {
                instance: peer.hello.instance.clone(),
                pid: peer.hello.pid,
                kind: peer.hello.kind,
                scope: peer.scope.clone(),
                link: peer.counts,
                report: peer.report.clone(),
                attention: (peer.hello.kind == Actor::Gui).then(|| peer.attention.clone()),
            })
            .collect()
    }

    /// Serves one connection from accept to close.
    async fn connection(&self, stream: Stream, mut stopping: watch::Receiver<bool>) {
        // Reads and writes go through shared references: a stream is both at once.
        let mut send = BufWriter::new(&stream);
        let mut lines = FramedRead::new(&stream, LineDecoder::new());
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let outbox = Arc::new(Outbox::new(self.timing.queue));

        let served = async {
            if !peer_is_this_user(&stream) {
                return Err(ProtocolError::Forbidden);
            }
            let hello = self.hello(&mut lines).await?;
            tracing::debug!(id, instance = %hello.instance, kind = ?hello.kind, "a peer joined");
            self.join(id, hello, &outbox).await?;
            let written = tokio::select! {
                result = self.read(id, &mut lines, &outbox) => return result,
                result = write(&mut send, &outbox, &self.timing) => result,
                _ = stopping.wait_for(|stop| *stop) => return Ok(()),
            };
            // A peer that closed without reading (a CLI command announcing its change) still
            // sent what it sent: take that in before letting it go.
            self.read(id, &mut lines, &outbox).await.and(written)
        }
        .await;
        if self.lock().remove(&id).is_some() {
            tracing::debug!(id, "a peer left");
            self.announce_presence();
        }
        if let Err(e) = served {
            tracing::debug!(id, error = %e, "closing a peer's connection");
            if !matches!(e, ProtocolError::Io(_)) {
                // Best effort, and never for long: the peer may not be reading at all.
                let goodbye = async {
                    if let Ok(line) = e.to_frame().to_line() {
                        send.write_all(line.as_bytes()).await?;
                    }
                    send.flush().await
                };
                let _ = tokio::time::timeout(Duration::from_secs(1), goodbye).await;
            }
        }
        let _ = tokio::time::timeout(Duration::from_secs(1), send.shutdown()).await;
    }

    /// Waits for the peer's `hello`.
    async fn hello(&self, lines: &mut Lines<'_>) -> Result<Hello, ProtocolError> {
        let limit = self.timing.hello_within;
        let line = match tokio::time::timeout(limit, lines.next()).await {
            Err(_) | Ok(None) => return Err(ProtocolError::NoHello(limit)),
            Ok(Some(line)) => line?,
        };
        match Frame::parse(&line)? {
            Frame::Hello(hello) => Ok(hello),
            _ => Err(ProtocolError::Unexpected("a frame before hello")),
        }
    }

    /// Registers the peer and welcomes it; tells the others it came.
    async fn join(&self, id: u64, hello: Hello, outbox: &Arc<Outbox>) -> Result<(), ProtocolError> {
        // The peer reads the log after its own last seq anyway: this only tells it where the
        // log stood when it joined.
        let seq = self.store.seq().await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "the hub could not read the log's seq");
            0
        });
        self.lock().insert(
            id,
            Registered {
                scope: hello.scope.clone(),
                hello,
                outbox: outbox.clone(),
                counts: LinkCounts::default(),
                report: None,
                attention: Attention::default(),
            },
        );
        // Batches relayed from now on queue behind it: control frames are written first.
        let welcome = Frame::Welcome(super::frame::Welcome {
            proto: PROTO,
            hub: self.instance.clone(),
            seq,
            peers: self.peers(),
            notices: *lock(&self.notices),
        });
        outbox.push_control(welcome.to_line()?);
        self.announce_presence();
        Ok(())
    }

    /// Reads the peer's frames until it closes, falls silent, or breaks the protocol.
    async fn read(
        &self,
        id: u64,
        lines: &mut Lines<'_>,
        outbox: &Outbox,
    ) -> Result<(), ProtocolError> {
        let silence = self.timing.silence_limit;
        loop {
            let line = match tokio::time::timeout(silence, lines.next()).await {
                Err(_) => return Err(ProtocolError::Silent(silence)),
                Ok(None) => return Ok(()),
                Ok(Some(line)) => line?,
            };
            match Frame::parse(&line)? {
                // On a server the database is the only source of changes: the hub relays what its
                // own store committed or read from the log, never a peer's word for it (a
                // hand-written frame could claim any change).
                Frame::Batch(_) if self.on_server() => {
                    if let Some(peer) = self.lock().get_mut(&id) {
                        peer.counts.batches_in += 1;
                    }
                }
                Frame::Batch(batch) => self.relay(id, line, &batch),
                Frame::Ping => outbox.push_control(Frame::Pong.to_line()?),
                Frame::Pong => {}
                Frame::Subscribe { scope } => {
                    if let Some(peer) = self.lock().get_mut(&id) {
                        peer.scope = scope;
                    }
                }
                Frame::Report { status } => {
                    if let Some(peer) = self.lock().get_mut(&id) {
                        peer.report = Some(status);
                    }
                }
                Frame::Attention(attention) => {
                    if let Some(peer) = self.lock().get_mut(&id) {
                        peer.attention = attention;
                    }
                }
                Frame::Error { code, message } => {
                    tracing::debug!(id, code, message, "a peer reported an error");
                }
                Frame::Hello(_) => return Err(ProtocolError::Unexpected("a second hello")),
                Frame::Welcome(_)
                | Frame::Presence { .. }
                | Frame::Resync { .. }
                | Frame::Notify(_) => {
                    return Err(ProtocolError::Unexpected("a frame only the hub sends"))
                }
            }
        }
    }

    /// Sends `batch` (received as `line`) to every peer but its sender, each in its scope.
    fn relay(&self, from: u64, line: String, batch: &Batch) {
        let mut whole: Option<Line> = None;
        let mut scoped: BTreeMap<ProjectId, Option<Line>> = BTreeMap::new();
        let mut peers = self.lock();
        if let Some(sender) = peers.get_mut(&from) {
            sender.counts.batches_in += 1;
        }
        for (id, peer) in peers.iter_mut() {
            if *id == from {
                continue;
            }
            let line = match &peer.scope {
                None => whole
                    .get_or_insert_with(|| {
                        let mut line = line.clone();
                        line.push('\n');
                        line.into()
                    })
                    .clone(),
                Some(project) => match scoped
                    .entry(project.clone())
                    .or_insert_with(|| in_scope(batch, project))
                {
                    Some(line) => line.clone(),
                    None => continue,
                },
            };
            peer.counts.batches_out += 1;
            if peer.outbox.push_batch(batch.from_seq, line) {
                peer.counts.resyncs += 1;
            }
        }
    }

    /// Sends what the hub's store reads from the log (other programs' commits, other
    /// machines', what a relay left out) to every peer. Each such read follows what the bus
    /// carried without a gap, so a peer takes it as is, without reading the log; whoever has
    /// some of it already drops those by seq. A hub too far behind tells everyone to resync.
    async fn relay_from_log(&self, mut stopping: watch::Receiver<bool>) {
        // On a server, everything the hub's store publishes: its own instance's commits and
        // what it read from the log, which together are every change, each once, in order.
        let mut found = if self.on_server() {
            self.store.bus().subscribe()
        } else {
            self.store.from_log().subscribe()
        };
        let mut relayed_to = self.store.seq().await.unwrap_or(0);
        loop {
            let committed = tokio::select! {
                _ = stopping.wait_for(|stop| *stop) => return,
                received = found.recv() => match received {
                    Ok(committed) => committed,
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::debug!(missed, "too far behind relaying the log; peers resync");
                        self.resync_everyone(relayed_to + 1);
                        continue;
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
            };
            let (Some(first), Some(last)) = (committed.first(), committed.last()) else {
                continue;
            };
            let frame = Frame::Batch(Batch {
                from_seq: first.seq,
                to_seq: last.seq,
                changes: committed.to_vec(),
            });
            let line = match serde_json::to_string(&frame) {
                Ok(line) => line,
                Err(e) => {
                    tracing::error!(error = %e, "cannot encode changes read from the log");
                    continue;
                }
            };
            if let Frame::Batch(batch) = &frame {
                self.relay(FROM_THE_LOG, line, batch);
            }
            relayed_to = last.seq;
        }
    }

    /// Whether the board is a server's, where peers' batches are not relayed.
    fn on_server(&self) -> bool {
        matches!(self.store.location(), crate::config::Location::Server(_))
    }

    /// Tells every peer to read the log for itself, from `from_seq`.
    fn resync_everyone(&self, from_seq: i64) {
        match (Frame::Resync { from_seq }).to_line() {
            Ok(line) => {
                for peer in self.lock().values() {
                    peer.outbox.push_control(line.clone());
                }
            }
            Err(e) => tracing::error!(error = %e, "cannot encode resync"),
        }
    }

    /// Tells every peer who is connected now.
    fn announce_presence(&self) {
        let presence = Frame::Presence {
            peers: self.peers(),
        };
        match presence.to_line() {
            Ok(line) => {
                for peer in self.lock().values() {
                    peer.outbox.push_control(line.clone());
                }
            }
            Err(e) => tracing::error!(error = %e, "cannot encode presence"),
        }
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<u64, Registered>> {
        lock(&self.peers)
    }
}

type Lines<'s> = FramedRead<&'s Stream, LineDecoder>;

/// `batch` cut down to `project`'s changes, as a line; `None` when the encoding fails.
fn in_scope(batch: &Batch, project: &ProjectId) -> Option<Line> {
    let changes = batch
        .changes
        .iter()
        .filter(|c| c.project_id.as_ref() == Some(project))
        .cloned()
        .collect();
    Frame::Batch(Batch {
        from_seq: batch.from_seq,
        to_seq: batch.to_seq,
        changes,
    })
    .to_line()
    .inspect_err(|e| tracing::error!(error = %e, "cannot encode a scoped batch"))
    .ok()
}

/// Writes what the peer's outbox holds, and a ping every `ping_every`, until a write fails or
/// makes no progress for `silence_limit` (a peer that stopped reading).
async fn write(
    send: &mut BufWriter<&Stream>,
    outbox: &Outbox,
    timing: &Timing,
) -> Result<(), ProtocolError> {
    let ping = Frame::Ping.to_line()?;
    let mut pings = tokio::time::interval_at(
        tokio::time::Instant::now() + timing.ping_every,
        timing.ping_every,
    );
    loop {
        let lines = tokio::select! {
            lines = outbox.take() => lines,
            _ = pings.tick() => vec![ping.clone()],
        };
        let written = async {
            for line in &lines {
                send.write_all(line.as_bytes()).await?;
            }
            send.flush().await
        };
        match tokio::time::timeout(timing.silence_limit, written).await {
            Err(_) => return Err(ProtocolError::Silent(timing.silence_limit)),
            Ok(result) => result?,
        }
    }
}

/// Whether the peer runs as the user this hub runs as.
#[cfg(unix)]
fn peer_is_this_user(stream: &Stream) -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    match stream.peer_creds() {
        Ok(creds) => creds.euid() == Some(me),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read a peer's credentials; refusing it");
            false
        }
    }
}

/// Named pipes are already limited to the user by their default security descriptor.
#[cfg(not(unix))]
fn peer_is_this_user(_stream: &Stream) -> bool {
    true
}

/// What waits to be written to one peer.
pub(super) struct Outbox {
    state: Mutex<Queued>,
    ready: Notify,
    /// The most batches that may wait.
    capacity: usize,
}

#[derive(Default)]
struct Queued {
    control: VecDeque<Line>,
    batches: VecDeque<Line>,
    /// The from_seq of the oldest batch waiting.
    oldest: Option<i64>,
    /// Set when batches were dropped: the first seq the peer must read from the log.
    resync_from: Option<i64>,
}

impl Outbox {
    fn new(capacity: usize) -> Self {
        Self {
            state: Mutex::default(),
            ready: Notify::new(),
            capacity,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Queued> {
        lock(&self.state)
    }

    fn push_control(&self, line: Line) {
        let mut queued = self.lock();
        if queued.control.len() >= CONTROL_QUEUE {
            queued.control.pop_front();
        }
        queued.control.push_back(line);
        drop(queued);
        self.ready.notify_one();
    }

    /// Queues a batch; when the queue is full, drops everything queued and asks the peer to
    /// resync instead. Returns whether it overflowed.
    fn push_batch(&self, from_seq: i64, line: Line) -> bool {
        let mut queued = self.lock();
        let overflowed = queued.batches.len() >= self.capacity;
        if overflowed {
            let first = queued.oldest.unwrap_or(from_seq);
            queued.resync_from = Some(queued.resync_from.map_or(first, |r| r.min(first)));
            queued.batches.clear();
            queued.oldest = None;
        } else {
            queued.oldest.get_or_insert(from_seq);
            queued.batches.push_back(line);
        }
        drop(queued);
        self.ready.notify_one();
        overflowed
    }

    /// Everything waiting, in the order to write it: control frames, a resync, then batches.
    async fn take(&self) -> Vec<Line> {
        loop {
            {
                let mut queued = self.lock();
                let resync = queued
                    .resync_from
                    .take()
                    .and_then(|from_seq| Frame::Resync { from_seq }.to_line().ok());
                let mut lines: Vec<Line> = queued.control.drain(..).collect();
                lines.extend(resync);
                lines.extend(queued.batches.drain(..));
                queued.oldest = None;
                if !lines.is_empty() {
                    return lines;
                }
            }
            self.ready.notified().await;
        }
    }
}

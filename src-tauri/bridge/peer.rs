//! One instance's link to the hub: connect (or win the election and serve), send this
//! instance's commits, put everyone else's on the local bus, and heal when the link breaks.
//!
//! The link never decides what a window sees: it only feeds the store, which publishes every
//! change once, in seq order, whether it came over the socket or from the log. On every
//! (re)connect the store catches up from the log, so nothing committed while the link was down
//! is lost. It must never give up: it retries with jittered backoff forever.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use interprocess::local_socket::tokio::Stream;
use serde_json::value::RawValue;
use tokio::io::{AsyncWriteExt, BufWriter};
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;
use tokio_util::codec::FramedRead;

use super::frame::{Frame, Hello, LineDecoder, PeerInfo, ProtocolError, Welcome, PROTO};
use super::hub::Hub;
use super::{Endpoint, Timing};
use crate::backoff::Backoff;
use crate::debounce::{Debouncer, Window};
use crate::model::{Actor, Batch, Change, LinkStatus, ProjectId};
use crate::notice::{Attention, Notice};
use crate::store::Store;

/// How long an instance goes without a hub before it watches the database itself: a hub that
/// fails over is back within milliseconds, and every new link reads the log anyway.
const WATCH_ALONE_AFTER: Duration = Duration::from_millis(250);

/// How often a GUI instance's diagnostics are offered to the hub, for `tandem status`.
const REPORT_EVERY: Duration = Duration::from_secs(1);

/// Who this instance is on the link.
#[derive(Debug, Clone)]
pub struct LinkConfig {
    pub instance: String,
    pub kind: Actor,
    /// Changes of this project only (`tandem watch --project`); all when `None`.
    pub scope: Option<ProjectId>,
    /// Whether this instance serves the hub when nobody does.
    pub serve: bool,
    /// The debounce window of this instance's outgoing batches.
    pub window: Window,
    pub timing: Timing,
}

/// A source of this instance's diagnostics for the hub.
pub type Reporter = Box<dyn Fn() -> Option<Box<RawValue>> + Send + Sync>;

/// How a desktop instance takes part in notifications: its user's attention, told to the hub as
/// it changes, and what shows the notifications the hub sends it.
pub struct Desk {
    pub attention: watch::Receiver<Attention>,
    pub show: Box<dyn Fn(Notice) + Send + Sync>,
}

/// What a link has done, for diagnostics.
#[derive(Debug, Default)]
pub struct LinkCounters {
    /// Successful handshakes with a hub, the first included.
    pub connects: AtomicU64,
    pub batches_sent: AtomicU64,
    pub batches_received: AtomicU64,
    /// Times the hub said this instance fell behind, and it read the log instead.
    pub resyncs: AtomicU64,
}

/// An instance's link, running until its shutdown completes.
pub struct Link {
    config: LinkConfig,
    endpoint: Endpoint,
    store: Arc<Store>,
    /// Where the link's state is published (the badge, `status`).
    state: watch::Sender<LinkStatus>,
    pub counters: Arc<LinkCounters>,
    reporter: Option<Reporter>,
    desk: Option<Desk>,
}

/// Why a session with a hub ended.
enum Ended {
    Shutdown,
    Lost(ProtocolError),
}

impl Link {
    pub fn new(config: LinkConfig, endpoint: Endpoint, store: Arc<Store>) -> Self {
        Self {
            config,
            endpoint,
            store,
            state: watch::Sender::new(LinkStatus::Connecting),
            counters: Arc::default(),
            reporter: None,
            desk: None,
        }
    }

    /// Tells the hub where the user's attention is, and shows the notifications it sends.
    pub fn with_desk(mut self, desk: Desk) -> Self {
        self.desk = Some(desk);
        self
    }

    /// Offers `reporter`'s diagnostics to the hub once a second, when they change.
    pub fn with_reporter(mut self, reporter: Reporter) -> Self {
        self.reporter = Some(reporter);
        self
    }

    /// The link's state, now and as it changes.
    pub fn status(&self) -> watch::Receiver<LinkStatus> {
        self.state.subscribe()
    }

    /// Links this instance until `shutdown` completes: connects, or serves the hub when there
    /// is none and this instance may, and reconnects whenever the link breaks. While it has no
    /// hub, it watches the database for other writers itself; linked, it leaves that to the
    /// hub, which relays what it finds.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) {
        let shutdown = shared(shutdown);
        let timing = self.config.timing;
        tokio::spawn(watch_while_unlinked(
            self.store.clone(),
            self.state.subscribe(),
            timing.watch_every,
            shutdown.clone(),
        ));
        let mut backoff = Backoff::new(timing.retry_min, timing.retry_max, fastrand::Rng::new());
        let mut serving = false;
        loop {
            match self.endpoint.connect().await {
                Ok(stream) => match self.session(stream, serving, shutdown.clone()).await {
                    Ended::Shutdown => return,
                    Ended::Lost(e) => {
                        tracing::info!(error = %e, "lost the link to the hub; reconnecting");
                        self.state.send_replace(LinkStatus::Reconnecting);
                        backoff.reset();
                        continue;
                    }
                },
                Err(e) => tracing::debug!(error = %e, "no hub answered"),
            }
            if self.config.serve && !serving {
                match self.elect(shutdown.clone()) {
                    Ok(true) => {
                        serving = true;
                        continue;
                    }
                    Ok(false) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot serve the hub; working locally");
                        self.state.send_replace(LinkStatus::LocalOnly {
                            reason: e.kind().to_string(),
                        });
                    }
                }
            }
            if matches!(*self.state.borrow(), LinkStatus::Live { .. }) {
                self.state.send_replace(LinkStatus::Reconnecting);
            }
            tokio::select! {
                () = shutdown.clone() => return,
                () = tokio::time::sleep(backoff.wait()) => {}
            }
        }
    }

    /// Tries to become the hub; on winning, starts serving in the background until shutdown.
    fn elect(&self, shutdown: Shutdown) -> std::io::Result<bool> {
        let Some(election) = self.endpoint.try_elect()? else {
            return Ok(false);
        };
        let listener = self.endpoint.bind(&election)?;
        tracing::info!(socket = %self.endpoint.socket().display(), "serving the hub");
        let hub = Hub::new(
            self.config.instance.clone(),
            self.store.clone(),
            self.config.timing,
        );
        tokio::spawn(async move {
            hub.serve(listener, shutdown).await;
            // Only now may another process bind: the listener is gone.
            drop(election);
        });
        Ok(true)
    }

    /// One connection to a hub, from hello to its end.
    async fn session(&self, stream: Stream, serving: bool, shutdown: Shutdown) -> Ended {
        let mut send = BufWriter::new(&stream);
        let mut lines = FramedRead::new(&stream, LineDecoder::new());
        let timing = self.config.timing;

        // Join the bus before reading where the log stands: what commits after is sent.
        let start = match self.store.seq().await {
            Ok(seq) => seq,
            Err(e) => return Ended::Lost(ProtocolError::Io(std::io::Error::other(e))),
        };
        let mut bus = self.store.bus().subscribe();
        let hello = Frame::Hello(Hello {
            proto: PROTO,
            instance: self.config.instance.clone(),
            pid: std::process::id(),
            kind: self.config.kind,
            scope: self.config.scope.clone(),
            last_seq: start,
        });
        if let Err(e) = send_frame(&mut send, &hello, timing).await {
            return Ended::Lost(e);
        }
        let welcome = match tokio::time::timeout(timing.hello_within, lines.next()).await {
            Err(_) | Ok(None) => return Ended::Lost(ProtocolError::NoHello(timing.hello_within)),
            Ok(Some(Err(e))) => return Ended::Lost(e),
            Ok(Some(Ok(line))) => match Frame::parse(&line) {
                Ok(Frame::Welcome(welcome)) => welcome,
                Ok(Frame::Error { code, message }) => {
                    return Ended::Lost(ProtocolError::Io(std::io::Error::other(format!(
                        "the hub refused us: {code}: {message}"
                    ))))
                }
                Ok(_) => return Ended::Lost(ProtocolError::Unexpected("a frame before welcome")),
                Err(e) => return Ended::Lost(e),
            },
        };
        self.counters.connects.fetch_add(1, Ordering::Relaxed);
        let hub = welcome.hub;
        self.set_live(&hub, serving, &welcome.peers);
        // Whatever was committed while the link was down comes from the log.
        if let Err(e) = self.store.catch_up().await {
            tracing::warn!(error = %e, "could not catch up from the log");
        }

        let mut attention = self.desk.as_ref().map(|desk| desk.attention.clone());
        if let Some(now) = attention.as_mut().map(|a| a.borrow_and_update().clone()) {
            if let Err(e) = send_frame(&mut send, &Frame::Attention(now), timing).await {
                return Ended::Lost(e);
            }
        }
        let mut window = self.config.window.clone();
        let mut outgoing = Debouncer::new(window.now(), start);
        let mut pings =
            tokio::time::interval_at(Instant::now() + timing.ping_every, timing.ping_every);
        let mut reports = tokio::time::interval(REPORT_EVERY);
        let mut last_report: Option<String> = None;
        let mut last_heard = Instant::now();
        tokio::pin!(shutdown);
        loop {
            let deadline = outgoing.deadline();
            let result: Result<(), ProtocolError> = tokio::select! {
                biased;
                () = &mut shutdown => return Ended::Shutdown,
                line = lines.next() => {
                    last_heard = Instant::now();
                    match line {
                        None => Err(ProtocolError::Io(std::io::ErrorKind::UnexpectedEof.into())),
                        Some(Err(e)) => Err(e),
                        Some(Ok(line)) => self.take(&line, &hub, serving, &mut send).await,
                    }
                }
                received = bus.recv() => match received {
                    Ok(committed) => {
                        let mine: Vec<Change> = committed
                            .iter()
                            .filter(|c| c.origin.as_ref().is_some_and(|o| o.instance == self.config.instance))
                            .cloned()
                            .collect();
                        let last = committed.last().map_or(0, |c| c.seq);
                        match outgoing.push(Instant::now(), &mine, last) {
                            Some(batch) => self.send_batch(&mut send, batch).await,
                            None => Ok(()),
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        // Too far behind to say what changed: say how far, and let the others
                        // read the log.
                        let from = outgoing.seen();
                        let to = self.store.seq().await.unwrap_or(from);
                        outgoing = Debouncer::new(window.now(), to);
                        let batch = Batch { from_seq: from + 1, to_seq: to, changes: Vec::new() };
                        self.send_batch(&mut send, batch).await
                    }
                    Err(broadcast::error::RecvError::Closed) => return Ended::Shutdown,
                },
                () = sleep_until(deadline) => match outgoing.flush(Instant::now()) {
                    Some(batch) => self.send_batch(&mut send, batch).await,
                    None => Ok(()),
                },
                w = window.changed() => {
                    outgoing.set_window(w);
                    match outgoing.flush(Instant::now()) {
                        Some(batch) => self.send_batch(&mut send, batch).await,
                        None => Ok(()),
                    }
                }
                Some(now) = changed(&mut attention) => {
                    send_frame(&mut send, &Frame::Attention(now), timing).await
                }
                _ = pings.tick() => {
                    if last_heard.elapsed() > timing.silence_limit {
                        Err(ProtocolError::Silent(timing.silence_limit))
                    } else {
                        send_frame(&mut send, &Frame::Ping, timing).await
                    }
                }
                _ = reports.tick(), if self.reporter.is_some() => {
                    match self.reporter.as_ref().and_then(|report| report()) {
                        Some(status) if last_report.as_deref() != Some(status.get()) => {
                            last_report = Some(status.get().to_owned());
                            send_frame(&mut send, &Frame::Report { status }, timing).await
                        }
                        _ => Ok(()),
                    }
                }
            };
            if let Err(e) = result {
                return Ended::Lost(e);
            }
        }
    }

    /// Acts on one frame from the hub.
    async fn take(
        &self,
        line: &str,
        hub: &str,
        serving: bool,
        send: &mut BufWriter<&Stream>,
    ) -> Result<(), ProtocolError> {
        match Frame::parse(line)? {
            Frame::Batch(batch) => {
                self.counters
                    .batches_received
                    .fetch_add(1, Ordering::Relaxed);
                if let Err(e) = self.store.receive(&batch).await {
                    tracing::warn!(error = %e, "could not take in a relayed batch");
                }
                Ok(())
            }
            Frame::Resync { from_seq } => {
                tracing::info!(from_seq, "the hub dropped batches for us; reading the log");
                self.counters.resyncs.fetch_add(1, Ordering::Relaxed);
                if let Err(e) = self.store.catch_up().await {
                    tracing::warn!(error = %e, "could not catch up from the log");
                }
                Ok(())
            }
            Frame::Presence { peers } => {
                self.set_live(hub, serving, &peers);
                Ok(())
            }
            Frame::Notify(notice) => {
                match &self.desk {
                    Some(desk) => (desk.show)(notice),
                    None => tracing::debug!(
                        "the hub sent a notification to an instance without a desktop"
                    ),
                }
                Ok(())
            }
            Frame::Ping => send_frame(send, &Frame::Pong, self.config.timing).await,
            Frame::Pong => Ok(()),
            Frame::Error { code, message } => Err(ProtocolError::Io(std::io::Error::other(
                format!("the hub closed the link: {code}: {message}"),
            ))),
            Frame::Hello(_)
            | Frame::Welcome(_)
            | Frame::Subscribe { .. }
            | Frame::Report { .. }
            | Frame::Attention(_) => Err(ProtocolError::Unexpected("a frame only peers send")),
        }
    }

    async fn send_batch(
        &self,
        send: &mut BufWriter<&Stream>,
        batch: Batch,
    ) -> Result<(), ProtocolError> {
        self.counters.batches_sent.fetch_add(1, Ordering::Relaxed);
        send_frame(send, &Frame::Batch(batch), self.config.timing).await
    }

    fn set_live(&self, hub: &str, serving: bool, peers: &[PeerInfo]) {
        let instances = peers.iter().filter(|p| p.kind != Actor::Cli).count();
        self.state.send_replace(LinkStatus::Live {
            hub: hub.to_owned(),
            serving,
            instances: u32::try_from(instances).unwrap_or(u32::MAX),
        });
    }
}

/// Watches the database for other writers whenever this instance has had no hub for
/// [`WATCH_ALONE_AFTER`]: before its first link, between links, when it works alone. A linked
/// instance leaves it to the hub, so a machine holds one `LISTEN` connection, not one per copy.
async fn watch_while_unlinked(
    store: Arc<Store>,
    mut status: watch::Receiver<LinkStatus>,
    every: Duration,
    shutdown: Shutdown,
) {
    let linked = |s: &LinkStatus| matches!(s, LinkStatus::Live { .. });
    loop {
        let unlinked = tokio::select! {
            () = shutdown.clone() => return,
            unlinked = status.wait_for(|s| !linked(s)) => unlinked.map(drop),
        };
        if unlinked.is_err() {
            return;
        }
        let relinked = tokio::select! {
            () = shutdown.clone() => return,
            () = tokio::time::sleep(WATCH_ALONE_AFTER) => false,
            relinked = status.wait_for(linked) => relinked.is_ok(),
        };
        if relinked {
            continue;
        }
        tracing::debug!("no hub: watching the database for other writers here");
        let mut until = status.clone();
        let until_linked = {
            let shutdown = shutdown.clone();
            async move {
                tokio::select! {
                    () = shutdown => {}
                    _ = until.wait_for(linked) => {}
                }
            }
        };
        if let Err(e) = store.watch_other_writers(every, until_linked).await {
            tracing::error!(error = %e, "stopped watching the database");
        }
    }
}

/// The next value of `receiver` once it changes; never, when there is none or its sender is gone.
async fn changed<T: Clone>(receiver: &mut Option<watch::Receiver<T>>) -> Option<T> {
    if let Some(r) = receiver {
        if r.changed().await.is_ok() {
            return Some(r.borrow_and_update().clone());
        }
    }
    std::future::pending().await
}

/// Tells the hub, if one is running, about `changes` just committed by a short-lived process
/// (a CLI command), so open windows show them at once. Without a hub there is nobody to tell:
/// anyone who starts later reads the log. Returns whether a hub was told.
pub async fn announce(
    endpoint: &Endpoint,
    instance: &str,
    changes: &[Change],
) -> Result<bool, ProtocolError> {
    let (Some(first), Some(last)) = (changes.first(), changes.last()) else {
        return Ok(false);
    };
    let Ok(stream) = endpoint.connect().await else {
        return Ok(false);
    };
    let mut send = BufWriter::new(&stream);
    let timing = Timing::default();
    send_frame(&mut send, &command_hello(instance, first.seq - 1), timing).await?;
    let batch = Frame::Batch(Batch {
        from_seq: first.seq,
        to_seq: last.seq,
        changes: changes.to_vec(),
    });
    send_frame(&mut send, &batch, timing).await?;
    // The hub reads what was sent before it sees the end of the stream.
    send.shutdown().await?;
    Ok(true)
}

/// Asks the hub, if one is running, who is connected and how their links are doing (its
/// `welcome`). `None` when no hub answers.
pub async fn ask_hub(
    endpoint: &Endpoint,
    instance: &str,
) -> Result<Option<Welcome>, ProtocolError> {
    let Ok(stream) = endpoint.connect().await else {
        return Ok(None);
    };
    let mut send = BufWriter::new(&stream);
    let mut lines = FramedRead::new(&stream, LineDecoder::new());
    let timing = Timing::default();
    send_frame(&mut send, &command_hello(instance, 0), timing).await?;
    let line = match tokio::time::timeout(timing.hello_within, lines.next()).await {
        Err(_) | Ok(None) => return Err(ProtocolError::NoHello(timing.hello_within)),
        Ok(Some(line)) => line?,
    };
    let welcome = match Frame::parse(&line)? {
        Frame::Welcome(welcome) => welcome,
        _ => return Err(ProtocolError::Unexpected("a frame before welcome")),
    };
    send.shutdown().await?;
    Ok(Some(welcome))
}

/// The `hello` of a one-shot CLI connection.
fn command_hello(instance: &str, last_seq: i64) -> Frame {
    Frame::Hello(Hello {
        proto: PROTO,
        instance: instance.to_owned(),
        pid: std::process::id(),
        kind: Actor::Cli,
        scope: None,
        last_seq,
    })
}

async fn send_frame(
    send: &mut BufWriter<&Stream>,
    frame: &Frame,
    timing: Timing,
) -> Result<(), ProtocolError> {
    let line = frame.to_line()?;
    let written = async {
        send.write_all(line.as_bytes()).await?;
        send.flush().await
    };
    match tokio::time::timeout(timing.silence_limit, written).await {
        Err(_) => Err(ProtocolError::Silent(timing.silence_limit)),
        Ok(result) => Ok(result?),
    }
}

type Shutdown = futures_util::future::Shared<std::pin::Pin<Box<dyn Future<Output = ()> + Send>>>;

/// One shutdown signal for the link, its sessions and the hub it may serve.
fn shared(shutdown: impl Future<Output = ()> + Send + 'static) -> Shutdown {
    use futures_util::FutureExt;
    let boxed: std::pin::Pin<Box<dyn Future<Output = ()> + Send>> = Box::pin(shutdown);
    boxed.shared()
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

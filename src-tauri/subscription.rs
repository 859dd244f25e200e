//! One subscriber's live stream: committed changes from the bus, through its own debouncer, to
//! its sink, caught up from the change log whenever it falls behind.
//!
//! A subscription starts from a snapshot and misses nothing after it (I5): it joins the bus
//! *before* the snapshot is read, and the debouncer ignores what the snapshot already holds. A
//! subscriber that lags behind the bus is resynced from the log, never silently dropped. It stops
//! when its [`Subscription`] is dropped or its sink is gone.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{broadcast, oneshot};
use tokio::time::Instant;

use crate::bus::Committed;
use crate::debounce::{Debouncer, Window};
use crate::error::Result;
use crate::latency::Latencies;
use crate::model::{Batch, Board, Change, ProjectId};
use crate::store::Store;

/// Where a subscriber can read the log when it has to catch up.
pub trait Log: Send + Sync + 'static {
    /// The changes after `seq` in `project`, with the range of the log that was read.
    fn since(
        &self,
        seq: i64,
        project: &ProjectId,
    ) -> impl std::future::Future<Output = Result<Batch>> + Send;
}

impl Log for Store {
    async fn since(&self, seq: i64, project: &ProjectId) -> Result<Batch> {
        self.changes_since(seq, Some(project)).await
    }
}

/// What a subscription has done, for diagnostics.
#[derive(Debug, Default)]
pub struct Counters {
    /// Changes in scope taken in from the bus or the log.
    pub taken: AtomicU64,
    pub batches: AtomicU64,
    /// Changes delivered; `taken - changes` were coalesced away.
    pub changes: AtomicU64,
    /// Times the subscriber fell behind the bus and was caught up from the log.
    pub resyncs: AtomicU64,
    /// Times the subscriber found a gap in its stream and read the log to fill it.
    pub gaps_filled: AtomicU64,
    /// Commit→apply latency, as the subscriber reports it.
    pub latency: Mutex<Latencies>,
}

/// A running subscription; dropping it stops the stream.
pub struct Subscription {
    /// Dropped with the subscription, which tells the forwarding task to stop.
    _stop: oneshot::Sender<()>,
    pub counters: Arc<Counters>,
}

/// Subscribes to `project` on `store`: returns the board as of now and starts delivering every
/// later change to `sink`, in batches at most one per `window`. The sink returns `false` when
/// its subscriber is gone.
pub async fn subscribe<S>(
    store: Arc<Store>,
    project: ProjectId,
    window: impl Into<Window>,
    sink: S,
) -> Result<(Board, Subscription)>
where
    S: FnMut(Batch) -> bool + Send + 'static,
{
    let receiver = store.bus().subscribe();
    let board = store.board(&project).await?;
    let subscription = start(store, project, board.seq, window.into(), receiver, sink);
    Ok((board, subscription))
}

/// Starts forwarding `receiver` from `seq` on.
pub fn start<L: Log, S>(
    log: Arc<L>,
    project: ProjectId,
    seq: i64,
    window: Window,
    receiver: broadcast::Receiver<Committed>,
    sink: S,
) -> Subscription
where
    S: FnMut(Batch) -> bool + Send + 'static,
{
    let (stop, stopped) = oneshot::channel();
    let counters = Arc::new(Counters::default());
    let forward = Forward {
        log,
        project,
        debouncer: Debouncer::new(window.now(), seq),
        window,
        sink,
        counters: counters.clone(),
    };
    tokio::spawn(forward.run(receiver, stopped));
    Subscription {
        _stop: stop,
        counters,
    }
}

struct Forward<L, S> {
    log: Arc<L>,
    project: ProjectId,
    debouncer: Debouncer,
    /// W, which the settings may change as the stream runs.
    window: Window,
    sink: S,
    counters: Arc<Counters>,
}

impl<L: Log, S: FnMut(Batch) -> bool + Send + 'static> Forward<L, S> {
    async fn run(
        mut self,
        mut receiver: broadcast::Receiver<Committed>,
        mut stopped: oneshot::Receiver<()>,
    ) {
        loop {
            let deadline = self.debouncer.deadline();
            let keep_going = tokio::select! {
                // A dropped subscription delivers nothing more, even if news is waiting.
                biased;
                _ = &mut stopped => false,
                received = receiver.recv() => match received {
                    Ok(committed) => self.take(&committed),
                    Err(broadcast::error::RecvError::Lagged(_)) => self.resync().await,
                    Err(broadcast::error::RecvError::Closed) => false,
                },
                () = sleep_until(deadline), if deadline.is_some() => {
                    let batch = self.debouncer.flush(Instant::now());
                    self.send(batch)
                }
                window = self.window.changed() => {
                    // What waits may be due at once under a shorter window.
                    self.debouncer.set_window(window);
                    let batch = self.debouncer.flush(Instant::now());
                    self.send(batch)
                }
            };
            if !keep_going {
                return;
            }
        }
    }

    /// Takes one committed transaction in.
    fn take(&mut self, committed: &[Change]) -> bool {
        let Some(last) = committed.last() else {
            return true;
        };
        let mine: Vec<Change> = committed
            .iter()
            .filter(|c| c.project_id.as_ref() == Some(&self.project))
            .cloned()
            .collect();
        self.counters
            .taken
            .fetch_add(mine.len() as u64, Ordering::Relaxed);
        let batch = self.debouncer.push(Instant::now(), &mine, last.seq);
        self.send(batch)
    }

    /// Reads what the bus could not keep for us from the log. What arrives on the bus again
    /// afterwards is ignored by seq, so nothing is applied twice.
    async fn resync(&mut self) -> bool {
        self.counters.resyncs.fetch_add(1, Ordering::Relaxed);
        let from = self.debouncer.seen();
        match self.log.since(from, &self.project).await {
            Ok(read) => {
                self.counters
                    .taken
                    .fetch_add(read.changes.len() as u64, Ordering::Relaxed);
                let batch = self
                    .debouncer
                    .push(Instant::now(), &read.changes, read.to_seq);
                self.send(batch)
            }
            Err(e) => {
                tracing::error!(error = %e, "a lagging subscriber could not be caught up");
                false
            }
        }
    }

    fn send(&mut self, batch: Option<Batch>) -> bool {
        let Some(batch) = batch else {
            return true;
        };
        self.counters.batches.fetch_add(1, Ordering::Relaxed);
        self.counters
            .changes
            .fetch_add(batch.changes.len() as u64, Ordering::Relaxed);
        (self.sink)(batch)
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::value::RawValue;
    use tokio::sync::mpsc;

    use super::*;
    use crate::bus::Bus;
    use crate::model::{EntityKind, Op};

    const W: Duration = Duration::from_millis(100);

    fn change(seq: i64, project: &str, task: &str) -> Change {
        Change {
            seq,
            op: Op::Update,
            entity: EntityKind::Task,
            entity_id: task.to_owned(),
            project_id: Some(ProjectId::from(project)),
            data: RawValue::from_string(format!(r#"{{"seq":{seq}}}"#)).ok(),
            previous: None,
            origin: None,
            author: None,
            at: 0,
        }
    }

    fn committed(changes: Vec<Change>) -> Committed {
        changes.into()
    }

    /// A log that holds the changes 1..=n of project "p", one task each.
    struct FakeLog(i64);

    impl Log for FakeLog {
        async fn since(&self, seq: i64, _project: &ProjectId) -> Result<Batch> {
            Ok(Batch {
                from_seq: seq + 1,
                to_seq: self.0,
                changes: (seq + 1..=self.0)
                    .map(|s| change(s, "p", &format!("t{s}")))
                    .collect(),
            })
        }
    }

    /// A subscription to project "p" from seq 0 whose batches arrive on the returned channel.
    fn subscribed(bus: &Bus, log: FakeLog) -> (Subscription, mpsc::UnboundedReceiver<Batch>) {
        subscribed_with(bus, log, W.into())
    }

    fn subscribed_with(
        bus: &Bus,
        log: FakeLog,
        window: Window,
    ) -> (Subscription, mpsc::UnboundedReceiver<Batch>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let subscription = start(
            Arc::new(log),
            ProjectId::from("p"),
            0,
            window,
            bus.subscribe(),
            move |batch| tx.send(batch).is_ok(),
        );
        (subscription, rx)
    }

    #[tokio::test(start_paused = true)]
    async fn a_new_window_from_the_settings_applies_to_a_running_stream() {
        let bus = Bus::new();
        let (settings, window) = tokio::sync::watch::channel(Duration::from_secs(1));
        let (_subscription, mut batches) = subscribed_with(&bus, FakeLog(0), window.into());
        bus.publish(committed(vec![change(1, "p", "a")]));
        assert_eq!(batches.recv().await.unwrap().to_seq, 1, "the leading edge");
        tokio::time::advance(Duration::from_millis(10)).await;
        bus.publish(committed(vec![change(2, "p", "b")]));
        tokio::time::advance(Duration::from_millis(10)).await;
        let changed_at = Instant::now();
        // No batching from now on: what waits goes at once, not a second after the first.
        settings.send_replace(Duration::ZERO);
        assert_eq!(batches.recv().await.unwrap().to_seq, 2);
        assert_eq!(Instant::now(), changed_at, "no time passed");
        bus.publish(committed(vec![change(3, "p", "c")]));
        assert_eq!(batches.recv().await.unwrap().to_seq, 3);
        assert_eq!(Instant::now(), changed_at, "every change goes on its own");
    }

    #[tokio::test(start_paused = true)]
    async fn an_isolated_change_reaches_the_subscriber_without_waiting() {
        let bus = Bus::new();
        let (_subscription, mut batches) = subscribed(&bus, FakeLog(0));
        let t0 = Instant::now();
        bus.publish(committed(vec![change(1, "p", "a")]));
        let batch = batches.recv().await.unwrap();
        assert_eq!(Instant::now(), t0, "no time passed");
        assert_eq!((batch.from_seq, batch.to_seq), (1, 1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_thousand_changes_in_a_second_arrive_in_at_most_eleven_batches() {
        let bus = Bus::new();
        let (subscription, mut batches) = subscribed(&bus, FakeLog(0));
        for seq in 1..=1000 {
            bus.publish(committed(vec![change(seq, "p", &format!("t{}", seq % 40))]));
            tokio::time::advance(Duration::from_millis(1)).await;
        }
        let mut received = Vec::new();
        while received.last().map(|b: &Batch| b.to_seq) != Some(1000) {
            received.push(batches.recv().await.unwrap());
        }
        assert!(received.len() <= 11, "{} batches", received.len());
        for pair in received.windows(2) {
            assert_eq!(pair[1].from_seq, pair[0].to_seq + 1, "contiguous ranges");
        }
        let counters = &subscription.counters;
        assert_eq!(
            counters.batches.load(Ordering::Relaxed),
            received.len() as u64
        );
        assert_eq!(counters.taken.load(Ordering::Relaxed), 1000);
        let delivered: usize = received.iter().map(|b| b.changes.len()).sum();
        assert_eq!(counters.changes.load(Ordering::Relaxed), delivered as u64);
        assert!(delivered < 1000, "updates to one task coalesced");
    }

    #[tokio::test(start_paused = true)]
    async fn other_projects_changes_advance_the_range_but_are_not_sent() {
        let bus = Bus::new();
        let (_subscription, mut batches) = subscribed(&bus, FakeLog(0));
        bus.publish(committed(vec![change(1, "other", "x")]));
        bus.publish(committed(vec![change(2, "p", "a")]));
        let batch = batches.recv().await.unwrap();
        assert_eq!((batch.from_seq, batch.to_seq), (1, 2));
        assert_eq!(batch.changes.len(), 1);
        assert_eq!(batch.changes[0].entity_id, "a");
    }

    #[tokio::test(start_paused = true)]
    async fn a_subscriber_that_lags_behind_the_bus_is_caught_up_from_the_log() {
        let bus = Bus::with_capacity(2);
        let (subscription, mut batches) = subscribed(&bus, FakeLog(10));
        // Published before the forwarder runs: the bus keeps only the last two.
        for seq in 1..=10 {
            bus.publish(committed(vec![change(seq, "p", &format!("t{seq}"))]));
        }
        let mut seen = std::collections::BTreeSet::new();
        let mut last = 0;
        while last < 10 {
            let batch = batches.recv().await.unwrap();
            assert_eq!(batch.from_seq, last + 1, "contiguous");
            seen.extend(batch.changes.iter().map(|c| c.seq));
            last = batch.to_seq;
        }
        assert_eq!(seen, (1..=10).collect(), "every change, once");
        assert_eq!(subscription.counters.resyncs.load(Ordering::Relaxed), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn dropping_the_subscription_stops_it() {
        let bus = Bus::new();
        let (subscription, mut batches) = subscribed(&bus, FakeLog(0));
        drop(subscription);
        bus.publish(committed(vec![change(1, "p", "a")]));
        assert!(
            batches.recv().await.is_none(),
            "the task ended and dropped its sink"
        );
    }
}

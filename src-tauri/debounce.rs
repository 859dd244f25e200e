//! Per-subscriber throttling and coalescing of committed changes into batches (DESIGN §5).
//!
//! A throttle with a leading edge: a change that arrives after the subscriber has been idle for
//! at least the window W goes out at once; changes within W of the last delivery wait, coalesced,
//! until last delivery + W. So an isolated edit is instant, a burst yields at most one batch per
//! W, and the last change of a burst is never stranded.
//!
//! Pure: time is a parameter, so the rules are tested without a clock. It never reads the
//! database and never drops a change it was given; coalescing only merges changes to one entity.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::value::RawValue;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::error::{Error, Result};
use crate::model::{Batch, Change, EntityKind, Op};

/// The default window: short enough to feel live, long enough to turn a burst of a thousand
/// moves into a handful of repaints.
pub const DEFAULT_WINDOW: Duration = Duration::from_millis(100);

/// The longest window a user may choose: past a second, "live" stops being true.
pub const MAX_WINDOW_MS: u64 = 1000;

/// The environment variable that overrides the window, in milliseconds.
pub const WINDOW_VAR: &str = "TANDEM_DEBOUNCE_MS";

/// Reads the window from `TANDEM_DEBOUNCE_MS`: `None` when unset, `0` means every change goes
/// out on its own, anything but a whole number of ms up to [`MAX_WINDOW_MS`] is an error that
/// names the variable.
pub fn window_from_env() -> Result<Option<Duration>> {
    match std::env::var(WINDOW_VAR) {
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(window_error("is not text")),
        Ok(text) => parse_window(&text).map(Some),
    }
}

/// Parses a window in milliseconds, as `TANDEM_DEBOUNCE_MS` or the settings give it.
pub fn parse_window(text: &str) -> Result<Duration> {
    let ms: u64 = text
        .trim()
        .parse()
        .map_err(|_| window_error(&format!("{text:?} is not a whole number of milliseconds")))?;
    if ms > MAX_WINDOW_MS {
        return Err(window_error(&format!(
            "{ms} is more than the most, {MAX_WINDOW_MS} ms"
        )));
    }
    Ok(Duration::from_millis(ms))
}

fn window_error(reason: &str) -> Error {
    Error::Config {
        name: WINDOW_VAR,
        reason: format!("{reason}; use 0 to {MAX_WINDOW_MS} (0: no batching)"),
    }
}

/// The window W as it is now. The settings may change it while the app runs; every stream
/// follows.
#[derive(Debug, Clone)]
pub struct Window(watch::Receiver<Duration>);

impl Window {
    pub fn now(&self) -> Duration {
        *self.0.borrow()
    }

    /// Completes with the new window when it changes; never, for a window that cannot change.
    /// Cancel-safe.
    pub async fn changed(&mut self) -> Duration {
        if self.0.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
        *self.0.borrow_and_update()
    }
}

impl From<watch::Receiver<Duration>> for Window {
    fn from(receiver: watch::Receiver<Duration>) -> Self {
        Self(receiver)
    }
}

/// A window that never changes.
impl From<Duration> for Window {
    fn from(window: Duration) -> Self {
        Self(watch::Sender::new(window).subscribe())
    }
}

/// One subscriber's throttle: what is pending, and when it may go.
#[derive(Debug)]
pub struct Debouncer {
    /// W: the least time between two deliveries.
    window: Duration,
    /// When the last batch went out; `None` before the first.
    last_delivery: Option<Instant>,
    /// The last seq delivered (or the snapshot's seq before the first batch).
    delivered_to: i64,
    /// Changes waiting for the next delivery.
    pending: Coalesced,
}

impl Debouncer {
    /// A debouncer for a subscriber whose snapshot is at `seq`.
    pub fn new(window: Duration, seq: i64) -> Self {
        Self {
            window,
            last_delivery: None,
            delivered_to: seq,
            pending: Coalesced::default(),
        }
    }

    /// Changes W from now on. What is pending goes at the last delivery plus the new W.
    pub fn set_window(&mut self, window: Duration) {
        self.window = window;
    }

    /// The last seq taken in, delivered or pending: where a catch-up from the log starts.
    pub fn seen(&self) -> i64 {
        self.pending.to_seq.unwrap_or(self.delivered_to)
    }

    /// Takes in a committed transaction's changes that are in the subscriber's scope, and the
    /// transaction's last seq (which may be of a change outside the scope). Returns a batch when
    /// it must go out now (leading edge); else the changes wait for [`Debouncer::deadline`].
    /// Seqs already taken in are ignored, so replaying an overlap from the log is harmless.
    pub fn push(&mut self, now: Instant, changes: &[Change], last_seq: i64) -> Option<Batch> {
        let seen = self.seen();
        if last_seq <= seen {
            return None;
        }
        for change in changes.iter().filter(|c| c.seq > seen) {
            self.pending.add(change.clone());
        }
        self.pending.to_seq = Some(last_seq);
        let idle = self
            .last_delivery
            .is_none_or(|last| now.saturating_duration_since(last) >= self.window);
        if idle {
            self.deliver(now)
        } else {
            None
        }
    }

    /// When the pending changes are due; `None` when nothing waits to be shown.
    pub fn deadline(&self) -> Option<Instant> {
        if self.pending.by_entity.is_empty() {
            return None;
        }
        // Something waits only because a delivery was recent: the leading edge sends the rest.
        self.last_delivery.map(|last| last + self.window)
    }

    /// The pending batch, if it is due at `now`.
    pub fn flush(&mut self, now: Instant) -> Option<Batch> {
        match self.deadline() {
            Some(deadline) if deadline <= now => self.deliver(now),
            _ => None,
        }
    }

    /// Sends what is pending. When nothing in the subscriber's scope is pending nothing goes out:
    /// its seqs join the next batch's range.
    fn deliver(&mut self, now: Instant) -> Option<Batch> {
        if self.pending.by_entity.is_empty() {
            return None;
        }
        let to_seq = self.pending.to_seq?;
        let changes = std::mem::take(&mut self.pending).into_changes();
        let batch = Batch {
            from_seq: self.delivered_to + 1,
            to_seq,
            changes,
        };
        self.delivered_to = to_seq;
        self.last_delivery = Some(now);
        Some(batch)
    }
}

/// Pending changes, at most one per entity.
#[derive(Debug, Default)]
struct Coalesced {
    /// The last seq taken in since the last delivery.
    to_seq: Option<i64>,
    /// Each entity's pending change.
    by_entity: HashMap<(EntityKind, String), Change>,
}

impl Coalesced {
    fn add(&mut self, change: Change) {
        use std::collections::hash_map::Entry;
        match self
            .by_entity
            .entry((change.entity, change.entity_id.clone()))
        {
            Entry::Vacant(slot) => {
                slot.insert(change);
            }
            Entry::Occupied(mut slot) => {
                let merged = merge(slot.get(), change);
                slot.insert(merged);
            }
        }
    }

    /// The pending changes in seq order (each carries the seq of its entity's latest change),
    /// so every stream's seqs only ever increase (I3). A client applies a whole batch before it
    /// draws, so an entity's creation need not come before what refers to it.
    fn into_changes(self) -> Vec<Change> {
        let mut changes: Vec<Change> = self.by_entity.into_values().collect();
        changes.sort_unstable_by_key(|c| c.seq);
        changes
    }
}

/// One change with the effect of `earlier` then `later` on one entity.
///
/// Created then deleted within the window is still a delete, not nothing: the subscriber may
/// hold the entity without having heard of it on the stream (a window shows what it created
/// from its command's answer), and a delete of something it never held costs it nothing.
fn merge(earlier: &Change, later: Change) -> Change {
    match (earlier.op, later.op) {
        (_, Op::Delete) => later,
        // Changed twice: the latest data, and each field's value from before the first change.
        (Op::Update, Op::Update) => Change {
            previous: merge_previous(earlier.previous.as_deref(), later.previous.as_deref()),
            ..later
        },
        // Created (or deleted and created again), then changed: it exists with the latest data.
        // Subscribers apply an insert of an entity they hold as a replacement.
        _ => Change {
            op: Op::Insert,
            previous: None,
            ..later
        },
    }
}

/// The union of two `previous` objects, the earlier's values winning.
fn merge_previous(earlier: Option<&RawValue>, later: Option<&RawValue>) -> Option<Box<RawValue>> {
    let parse = |raw: Option<&RawValue>| -> serde_json::Map<String, serde_json::Value> {
        raw.and_then(|r| serde_json::from_str(r.get()).ok())
            .unwrap_or_default()
    };
    let mut merged = parse(later);
    merged.extend(parse(earlier));
    serde_json::value::to_raw_value(&merged).ok()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    const W: Duration = DEFAULT_WINDOW;

    fn change(seq: i64, op: Op, id: &str, data: &str) -> Change {
        let raw = |s: &str| Some(RawValue::from_string(s.to_owned()).unwrap());
        Change {
            seq,
            op,
            entity: EntityKind::Task,
            entity_id: id.to_owned(),
            project_id: None,
            data: (op != Op::Delete).then(|| raw(data)).flatten(),
            previous: None,
            origin: None,
            author: None,
            at: 0,
        }
    }

    fn update(seq: i64, id: &str, title: &str) -> Change {
        change(seq, Op::Update, id, &format!(r#"{{"title":"{title}"}}"#))
    }

    /// Pushes `c` as a transaction of its own.
    fn push(d: &mut Debouncer, now: Instant, c: Change) -> Option<Batch> {
        let seq = c.seq;
        d.push(now, &[c], seq)
    }

    #[test]
    fn an_isolated_change_goes_out_at_once() {
        let t0 = Instant::now();
        let mut d = Debouncer::new(W, 10);
        let batch = push(&mut d, t0, update(11, "a", "x")).expect("delivered at once");
        assert_eq!((batch.from_seq, batch.to_seq), (11, 11));
        assert_eq!(d.deadline(), None);
        // Idle for a whole window: the next one goes at once too.
        assert!(push(&mut d, t0 + W, update(12, "a", "y")).is_some());
    }

    #[test]
    fn changes_within_the_window_wait_for_its_end_and_go_together() {
        let t0 = Instant::now();
        let mut d = Debouncer::new(W, 0);
        push(&mut d, t0, update(1, "a", "x")).unwrap();
        assert!(push(&mut d, t0 + W / 4, update(2, "b", "x")).is_none());
        assert!(push(&mut d, t0 + W / 2, update(3, "c", "x")).is_none());
        assert_eq!(d.deadline(), Some(t0 + W));
        assert!(d.flush(t0 + W / 2).is_none(), "not before the deadline");
        let batch = d.flush(t0 + W).expect("due");
        assert_eq!((batch.from_seq, batch.to_seq), (2, 3));
        assert_eq!(batch.changes.len(), 2);
    }

    #[test]
    fn a_window_of_zero_sends_every_change_on_its_own() {
        let t0 = Instant::now();
        let mut d = Debouncer::new(Duration::ZERO, 0);
        for seq in 1..=5 {
            assert!(push(&mut d, t0, update(seq, "a", "x")).is_some());
        }
    }

    #[test]
    fn a_thousand_changes_in_a_second_make_at_most_eleven_batches_and_none_is_stranded() {
        let t0 = Instant::now();
        let mut d = Debouncer::new(W, 0);
        let mut batches = Vec::new();
        for seq in 1..=1000i64 {
            let now = t0 + Duration::from_micros(seq as u64 * 1000);
            if let Some(due) = d.deadline().filter(|due| *due <= now) {
                batches.extend(d.flush(due));
            }
            batches.extend(push(
                &mut d,
                now,
                update(seq, &format!("t{}", seq % 50), "x"),
            ));
        }
        while let Some(due) = d.deadline() {
            batches.extend(d.flush(due));
        }
        assert!(batches.len() <= 11, "{} batches", batches.len());
        assert_eq!(
            batches.last().unwrap().to_seq,
            1000,
            "the last change arrives"
        );
        for pair in batches.windows(2) {
            assert_eq!(pair[1].from_seq, pair[0].to_seq + 1, "contiguous ranges");
        }
    }

    #[test]
    fn updates_merge_into_the_latest_keeping_the_first_previous_values() {
        let t0 = Instant::now();
        let mut d = Debouncer::new(W, 0);
        push(&mut d, t0, update(1, "other", "x")).unwrap();
        let mut first = update(2, "a", "B");
        first.previous = RawValue::from_string(r#"{"title":"A","version":1}"#.into()).ok();
        let mut second = change(3, Op::Update, "a", r#"{"title":"B","position":9}"#);
        second.previous = RawValue::from_string(r#"{"position":1,"version":2}"#.into()).ok();
        push(&mut d, t0, first);
        push(&mut d, t0, second);
        let batch = d.flush(t0 + W).unwrap();
        assert_eq!(batch.changes.len(), 1);
        let merged = &batch.changes[0];
        assert_eq!((merged.op, merged.seq), (Op::Update, 3));
        assert_eq!(
            merged.data.as_ref().unwrap().get(),
            r#"{"title":"B","position":9}"#
        );
        let previous: serde_json::Value =
            serde_json::from_str(merged.previous.as_ref().unwrap().get()).unwrap();
        assert_eq!(
            previous,
            serde_json::json!({"title": "A", "version": 1, "position": 1})
        );
    }

    #[test]
    fn create_then_updates_is_one_create_with_the_latest_data() {
        let t0 = Instant::now();
        let mut d = Debouncer::new(W, 0);
        push(&mut d, t0, update(1, "other", "x")).unwrap();
        push(&mut d, t0, change(2, Op::Insert, "a", r#"{"title":"new"}"#));
        push(&mut d, t0, update(3, "a", "renamed"));
        let batch = d.flush(t0 + W).unwrap();
        assert_eq!(batch.changes.len(), 1);
        assert_eq!(batch.changes[0].op, Op::Insert);
        assert_eq!(
            batch.changes[0].data.as_ref().unwrap().get(),
            r#"{"title":"renamed"}"#
        );
    }

    #[test]
    fn updates_then_delete_is_a_delete() {
        let t0 = Instant::now();
        let mut d = Debouncer::new(W, 0);
        push(&mut d, t0, update(1, "other", "x")).unwrap();
        push(&mut d, t0, update(2, "a", "x"));
        push(&mut d, t0, change(3, Op::Delete, "a", ""));
        let batch = d.flush(t0 + W).unwrap();
        assert_eq!(batch.changes.len(), 1);
        assert_eq!(batch.changes[0].op, Op::Delete);
    }

    /// A window that put someone on a card shows them from its own answer; taken off again
    /// within the window, the card must still lose them.
    #[test]
    fn create_then_delete_is_a_delete_for_whoever_learnt_of_it_elsewhere() {
        let t0 = Instant::now();
        let mut d = Debouncer::new(W, 0);
        push(&mut d, t0, update(1, "other", "x")).unwrap();
        push(&mut d, t0, change(2, Op::Insert, "a", "{}"));
        push(&mut d, t0, change(3, Op::Delete, "a", ""));
        let batch = d.flush(t0 + W).unwrap();
        assert_eq!((batch.from_seq, batch.to_seq), (2, 3));
        assert_eq!(batch.changes.len(), 1);
        assert_eq!(batch.changes[0].op, Op::Delete);
        assert_eq!(batch.changes[0].seq, 3);
    }

    #[test]
    fn a_known_entity_deleted_recreated_and_deleted_again_is_deleted() {
        let t0 = Instant::now();
        let mut d = Debouncer::new(W, 0);
        push(&mut d, t0, update(1, "other", "x")).unwrap();
        push(&mut d, t0, change(2, Op::Delete, "a", ""));
        push(&mut d, t0, change(3, Op::Insert, "a", "{}"));
        push(&mut d, t0, change(4, Op::Delete, "a", ""));
        let batch = d.flush(t0 + W).unwrap();
        assert_eq!(batch.changes.len(), 1);
        assert_eq!(batch.changes[0].op, Op::Delete);
    }

    #[test]
    fn changes_outside_the_scope_advance_the_range_without_a_batch() {
        let t0 = Instant::now();
        let mut d = Debouncer::new(W, 5);
        assert!(d.push(t0, &[], 6).is_none(), "another project's change");
        let batch = push(&mut d, t0, update(7, "a", "x")).unwrap();
        assert_eq!((batch.from_seq, batch.to_seq), (6, 7));
    }

    #[test]
    fn seqs_already_taken_in_are_ignored() {
        let t0 = Instant::now();
        let mut d = Debouncer::new(W, 0);
        push(&mut d, t0, update(1, "a", "x")).unwrap();
        assert!(push(&mut d, t0 + W, update(1, "a", "x")).is_none());
        // An overlapping replay: only seq 2 is new.
        let batch = d
            .push(t0 + W, &[update(1, "a", "x"), update(2, "b", "y")], 2)
            .unwrap();
        assert_eq!((batch.from_seq, batch.to_seq), (2, 2));
        assert_eq!(batch.changes.len(), 1);
        assert_eq!(batch.changes[0].entity_id, "b");
    }

    #[test]
    fn the_window_comes_from_the_environment_within_bounds() {
        assert_eq!(parse_window("0").unwrap(), Duration::ZERO);
        assert_eq!(parse_window(" 250 ").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_window("1000").unwrap(), Duration::from_secs(1));
        for bad in ["1001", "-1", "fast", "", "1.5"] {
            let err = parse_window(bad).unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::Config {
                        name: "TANDEM_DEBOUNCE_MS",
                        ..
                    }
                ),
                "{bad:?}: {err}"
            );
            assert!(err.to_string().starts_with("TANDEM_DEBOUNCE_MS: "), "{err}");
        }
    }

    /// What a subscriber's model becomes: each entity's latest data, deleted ones gone.
    fn apply(model: &mut BTreeMap<String, String>, changes: &[Change]) {
        for c in changes {
            match c.op {
                Op::Delete => {
                    model.remove(&c.entity_id);
                }
                Op::Insert | Op::Update => {
                    model.insert(
                        c.entity_id.clone(),
                        c.data.as_ref().unwrap().get().to_owned(),
                    );
                }
            }
        }
    }

    proptest! {
        /// Whatever arrives and whenever, the batches bring a subscriber to the same state as
        /// every change one by one would, over contiguous ranges, ending at the last seq.
        #[test]
        fn batches_converge_to_the_same_state_as_every_change(
            steps in prop::collection::vec((0u8..4, 0usize..6, 0u64..150), 1..120),
        ) {
            let t0 = Instant::now();
            let mut d = Debouncer::new(W, 0);
            let mut exists = [false; 6];
            let mut all = Vec::new();
            let mut batches = Vec::new();
            let mut now = t0;
            for (seq, (kind, entity, gap_ms)) in (1i64..).zip(steps) {
                now += Duration::from_millis(gap_ms);
                if let Some(due) = d.deadline().filter(|due| *due <= now) {
                    batches.extend(d.flush(due));
                }
                let id = format!("e{entity}");
                let op = match (exists[entity], kind) {
                    (false, _) => Op::Insert,
                    (true, 0) => Op::Delete,
                    (true, _) => Op::Update,
                };
                exists[entity] = op != Op::Delete;
                let c = change(seq, op, &id, &format!(r#"{{"v":{seq}}}"#));
                all.push(c.clone());
                batches.extend(push(&mut d, now, c));
            }
            while let Some(due) = d.deadline() {
                batches.extend(d.flush(due));
            }
            let mut expected = BTreeMap::new();
            apply(&mut expected, &all);
            let mut seen = BTreeMap::new();
            let mut last = 0;
            for batch in &batches {
                prop_assert_eq!(batch.from_seq, last + 1);
                for pair in batch.changes.windows(2) {
                    prop_assert!(pair[0].seq < pair[1].seq, "a batch is in seq order");
                }
                apply(&mut seen, &batch.changes);
                last = batch.to_seq;
            }
            prop_assert_eq!(seen, expected);
        }
    }
}

//! In-process fan-out of committed changes.
//!
//! The store publishes each committed transaction's changes here, in commit order, after the
//! commit and before its writer lets the next transaction start. The bus never touches the
//! database and never blocks a writer: a subscriber that falls behind is told it lagged (and
//! must then catch up from the change log) instead of slowing anyone down.

use std::sync::Arc;

use tokio::sync::broadcast;

use crate::model::Change;

/// The changes of one committed transaction, in seq order. Shared, never copied, per subscriber.
pub type Committed = Arc<[Change]>;

/// How many transactions a subscriber may fall behind before it is told it lagged. Large enough
/// to ride out a burst while a window repaints; a lagging subscriber recovers from the log.
pub const BUS_CAPACITY: usize = 4096;

#[derive(Clone)]
pub struct Bus {
    sender: broadcast::Sender<Committed>,
}

impl Bus {
    pub fn new() -> Self {
        Self::with_capacity(BUS_CAPACITY)
    }

    /// A bus that keeps `capacity` transactions for its slowest subscriber.
    pub fn with_capacity(capacity: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity);
        Self { sender }
    }

    /// Hands a committed transaction to every current subscriber. With none, it is dropped:
    /// the change log keeps it for anyone who subscribes later.
    pub fn publish(&self, committed: Committed) {
        let _ = self.sender.send(committed);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Committed> {
        self.sender.subscribe()
    }
}

impl Default for Bus {
    fn default() -> Self {
        Self::new()
    }
}

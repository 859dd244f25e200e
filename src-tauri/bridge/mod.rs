//! The bridge between running copies of Tandem on one database file.
//!
//! Every instance links to one hub over a local socket and sends it the changes it commits; the
//! hub relays them to every other instance, which puts them on its own bus. Whichever instance
//! holds the election lock serves the hub (`tandem hub` can serve one headless); when it dies,
//! another takes over and everyone reconnects. Nothing missed is ever fetched from the hub: each
//! instance reads the change log after its last seq (the file is shared), so a lost link costs
//! latency, never a change.
//!
//! - [`frame`]: the wire format (protocol v1), its limits and its errors.
//! - [`endpoint`]: the socket's place, its permissions, and the election lock.
//! - [`hub`]: accepts peers and relays batches, with bounded queues and liveness checks.
//! - [`peer`]: one instance's link: connect or serve, send its commits, apply the others'.
//!
//! Like the rest of the core, the bridge knows nothing of Tauri.

pub mod endpoint;
pub mod frame;
pub mod hub;
pub mod peer;

use std::time::Duration;

pub use endpoint::Endpoint;
pub use peer::{announce, ask_hub, Link, LinkConfig};

/// The bridge's clocks and limits. Tests shorten them; everyone else uses the defaults.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// How long the hub waits for a new connection's `hello`: long enough for a person typing
    /// into `socat`'s buffer to paste one, short enough that a stray connection goes quickly.
    pub hello_within: Duration,
    /// How often each side pings the other when nothing else is said.
    pub ping_every: Duration,
    /// Silence after which a link is taken for dead: three missed pings. EOF catches a dead
    /// process at once; this catches a hung one.
    pub silence_limit: Duration,
    /// Batches that may wait for one peer before it is told to resync: a second of a heavy
    /// burst even at one batch per commit.
    pub queue: usize,
    /// The first wait before reconnecting: a new hub binds within milliseconds of its election.
    pub retry_min: Duration,
    /// The longest wait between tries, so a hub that comes back is found within two seconds.
    pub retry_max: Duration,
    /// How often the hub (or an instance without one) polls a file's `PRAGMA data_version` for
    /// other programs' commits; on a server, how often it reads the log besides `LISTEN`.
    pub watch_every: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            hello_within: Duration::from_secs(2),
            ping_every: Duration::from_secs(5),
            silence_limit: Duration::from_secs(15),
            queue: 1024,
            retry_min: crate::backoff::RETRY_MIN,
            retry_max: crate::backoff::RETRY_MAX,
            watch_every: Duration::from_millis(50),
        }
    }
}

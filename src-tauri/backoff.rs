//! Jittered exponential backoff, for everything that retries forever: a link looking for its
//! hub, a watcher whose file was locked or whose server went away.

use std::time::Duration;

/// The first wait: a new hub binds within milliseconds of its election.
pub const RETRY_MIN: Duration = Duration::from_millis(10);

/// The longest wait, so whatever comes back is found within two seconds.
pub const RETRY_MAX: Duration = Duration::from_secs(2);

/// Jittered exponential backoff from `min` to `max`: each wait is drawn from the upper half of
/// a doubling ceiling, so processes that lost one hub (or one server) together do not all
/// knock on the next one at the same instant.
#[derive(Debug)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    ceiling: Duration,
    rng: fastrand::Rng,
}

impl Backoff {
    pub fn new(min: Duration, max: Duration, rng: fastrand::Rng) -> Self {
        Self {
            min,
            max,
            ceiling: min,
            rng,
        }
    }

    /// From [`RETRY_MIN`] to [`RETRY_MAX`], seeded from the system.
    pub fn standard() -> Self {
        Self::new(RETRY_MIN, RETRY_MAX, fastrand::Rng::new())
    }

    /// The longest wait this backoff levels off at.
    pub fn max(&self) -> Duration {
        self.max
    }

    /// The next wait.
    pub fn wait(&mut self) -> Duration {
        let ceiling = self.ceiling;
        self.ceiling = (ceiling * 2).min(self.max);
        let half = ceiling / 2;
        let jitter = self
            .rng
            .u64(0..=u64::try_from(half.as_micros()).unwrap_or(u64::MAX));
        half + Duration::from_micros(jitter)
    }

    /// Starts again from the shortest wait, after a try that worked.
    pub fn reset(&mut self) {
        self.ceiling = self.min;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_ten_milliseconds_to_two_seconds_with_jitter_and_never_stops() {
        let mut backoff = Backoff::new(RETRY_MIN, RETRY_MAX, fastrand::Rng::with_seed(7));
        assert_eq!(
            (RETRY_MIN, backoff.max()),
            (Duration::from_millis(10), Duration::from_secs(2))
        );
        let waits: Vec<Duration> = (0..40).map(|_| backoff.wait()).collect();
        assert!(waits[0] >= RETRY_MIN / 2 && waits[0] <= RETRY_MIN);
        assert!(waits.iter().all(|w| *w <= RETRY_MAX));
        assert!(
            waits[20..].iter().all(|w| *w >= RETRY_MAX / 2),
            "it levels off, never gives up"
        );
        assert!(
            waits[20..].windows(2).any(|p| p[0] != p[1]),
            "jittered, not in lock step"
        );
        backoff.reset();
        assert!(backoff.wait() <= RETRY_MIN);
    }
}

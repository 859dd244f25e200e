//! Commit→apply latency, as the windows report it.
//!
//! Only a window knows when it has applied a change, so each window measures `now - change.at`
//! as it applies a batch and reports its samples about once a second. The backend keeps the
//! latest [`SAMPLES`] of each window's stream and answers `status` with their percentiles.

use std::collections::VecDeque;

use crate::error::{Error, Result};
use crate::model::Latency;

/// How many of a window's latest samples its figures are drawn from.
pub const SAMPLES: usize = 1000;

/// The most samples one report may carry: ten seconds of a window applying a change every
/// millisecond, far more than a window that reports each second sends.
pub const MAX_REPORT: usize = 10_000;

/// The longest believable latency. A longer one means a clock went wrong, not a slow window.
pub const MAX_MS: u32 = 3_600_000;

/// A window's latest latency samples, in milliseconds.
#[derive(Debug, Default)]
pub struct Latencies {
    samples: VecDeque<u32>,
}

impl Latencies {
    /// Checks a window's report: at most [`MAX_REPORT`] samples, none over [`MAX_MS`].
    pub fn check(samples: &[u32]) -> Result<()> {
        if samples.len() > MAX_REPORT {
            return Err(Error::invalid(
                "samples_ms",
                format!(
                    "at most {MAX_REPORT} samples a report, not {}",
                    samples.len()
                ),
            ));
        }
        match samples.iter().find(|&&ms| ms > MAX_MS) {
            Some(ms) => Err(Error::invalid(
                "samples_ms",
                format!("{ms} ms is longer than an hour; is a clock wrong?"),
            )),
            None => Ok(()),
        }
    }

    /// Adds samples, forgetting the oldest beyond [`SAMPLES`].
    pub fn record(&mut self, samples: &[u32]) {
        let keep = samples.len().min(SAMPLES);
        let overflow = (self.samples.len() + keep).saturating_sub(SAMPLES);
        self.samples.drain(..overflow);
        self.samples.extend(&samples[samples.len() - keep..]);
    }

    /// The median and 99th percentile (nearest rank) of the kept samples; `None` before any.
    pub fn summary(&self) -> Option<Latency> {
        if self.samples.is_empty() {
            return None;
        }
        let mut sorted: Vec<u32> = self.samples.iter().copied().collect();
        sorted.sort_unstable();
        let rank = |p: f64| {
            // Nearest rank: the smallest sample at or above a fraction p of them.
            let rank = (p * sorted.len() as f64).ceil() as usize;
            sorted[rank.clamp(1, sorted.len()) - 1]
        };
        Some(Latency {
            p50_ms: rank(0.50),
            p99_ms: rank(0.99),
            samples: u32::try_from(sorted.len()).unwrap_or(u32::MAX),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_samples_no_figures() {
        assert_eq!(Latencies::default().summary(), None);
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut latencies = Latencies::default();
        latencies.record(&(1..=100).rev().collect::<Vec<_>>());
        assert_eq!(
            latencies.summary(),
            Some(Latency {
                p50_ms: 50,
                p99_ms: 99,
                samples: 100
            })
        );
        let mut one = Latencies::default();
        one.record(&[7]);
        assert_eq!(one.summary().map(|l| (l.p50_ms, l.p99_ms)), Some((7, 7)));
    }

    #[test]
    fn only_the_latest_samples_count() {
        let mut latencies = Latencies::default();
        latencies.record(&vec![500; SAMPLES]);
        latencies.record(&vec![2; SAMPLES - 20]);
        let summary = latencies.summary().expect("samples");
        assert_eq!(summary.samples as usize, SAMPLES);
        assert_eq!((summary.p50_ms, summary.p99_ms), (2, 500));
        // One report longer than the window keeps its own latest samples.
        latencies.record(&(0..SAMPLES as u32 * 2).collect::<Vec<_>>());
        let summary = latencies.summary().expect("samples");
        assert_eq!(summary.p50_ms, SAMPLES as u32 + SAMPLES as u32 / 2 - 1);
    }

    #[test]
    fn unbelievable_reports_are_refused_by_name() {
        assert!(Latencies::check(&[0, 12, MAX_MS]).is_ok());
        let too_long = Latencies::check(&[3, MAX_MS + 1]).unwrap_err();
        assert!(matches!(
            too_long,
            Error::Invalid {
                field: "samples_ms",
                ..
            }
        ));
        let too_many = Latencies::check(&vec![1; MAX_REPORT + 1]).unwrap_err();
        assert!(too_many.to_string().contains("at most"), "{too_many}");
    }
}

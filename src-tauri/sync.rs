//! Locking the std mutexes that threads share.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks `mutex`. Every change Tandem makes under these locks is a single insert, remove, push
/// or field update, so a panic cannot leave the data half-changed: a poisoned lock still guards
/// consistent data and is good to use.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

//! Locks that outlive a panic: a command that panicked while holding one (a bug caught
//! at its task) must not take every later command down with it. What it guards is kept
//! consistent by its owner between calls, so the data is still good to use.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// `mutex.lock()`, taking the guard back from a poisoned lock.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

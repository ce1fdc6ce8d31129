//! Stopping queries from outside: a [`Cancel`] handle the caller keeps, and a guard that
//! cancels when it is dropped (the server holds one in each request's future, so a client that
//! goes away stops the work it started).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A flag shared between whoever runs queries and whoever may want them stopped; clones share
/// it. Once cancelled, the query running under it stops at its next operator and every query
/// started under it afterwards is refused at once.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// A handle that has not been cancelled.
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// Stops the query running under this handle (and any later one).
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether [`Cancel::cancel`] has been called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// A guard that cancels this handle when it is dropped.
    pub fn on_drop(&self) -> CancelOnDrop {
        CancelOnDrop(self.clone())
    }
}

/// Cancels its [`Cancel`] when dropped: keep it in the future that waits for the work, so that
/// dropping the future (a client that disconnected) stops the work too.
#[derive(Debug)]
#[must_use = "the handle is cancelled when the guard is dropped"]
pub struct CancelOnDrop(Cancel);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_the_flag_and_the_guard_cancels_on_drop() {
        let c = Cancel::new();
        let seen_by_worker = c.clone();
        assert!(!seen_by_worker.is_cancelled());
        {
            let _guard = c.on_drop();
            assert!(!seen_by_worker.is_cancelled());
        }
        assert!(seen_by_worker.is_cancelled());
    }
}

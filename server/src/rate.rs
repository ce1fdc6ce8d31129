//! Per-user rate limits in a sliding window: questions, task commands, exports.
//!
//! Kept in memory, per server instance, and bounded: at most [`MAX_USERS`] users are tracked
//! (users whose window has emptied are dropped first; past the bound, untracked users share one
//! budget, so a flood of accounts is limited together rather than not at all).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most users tracked per limiter.
pub const MAX_USERS: usize = 50_000;
/// The user id the untracked users share once the limiter is full.
const SHARED: i64 = i64::MIN;

/// At most `limit` actions per user in any `window`.
#[derive(Debug)]
pub struct RateLimit {
    limit: usize,
    window: Duration,
    recent: Mutex<HashMap<i64, VecDeque<Instant>>>,
}

/// How long until the next action is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

impl RetryAfter {
    /// Whole seconds to wait, at least 1.
    pub fn seconds(self) -> u64 {
        self.0.as_secs().max(1)
    }
}

impl RateLimit {
    /// `limit` actions per `window`.
    pub fn new(limit: usize, window: Duration) -> RateLimit {
        RateLimit {
            limit,
            window,
            recent: Mutex::new(HashMap::new()),
        }
    }

    /// Counts an action by `user` now, unless the user is at the limit.
    ///
    /// # Errors
    /// [`RetryAfter`] when the user is at the limit (nothing is counted).
    pub fn take(&self, user: i64) -> Result<(), RetryAfter> {
        self.take_at(user, Instant::now())
    }

    fn take_at(&self, user: i64, now: Instant) -> Result<(), RetryAfter> {
        let mut recent = self
            .recent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let window = self.window;
        let expired = |t: &Instant| now.duration_since(*t) >= window;
        if !recent.contains_key(&user) && recent.len() >= MAX_USERS {
            recent.retain(|_, times| times.back().is_some_and(|t| !expired(t)));
        }
        let key = if recent.contains_key(&user) || recent.len() < MAX_USERS {
            user
        } else {
            SHARED
        };
        let times = recent.entry(key).or_default();
        while times.front().is_some_and(expired) {
            times.pop_front();
        }
        if times.len() >= self.limit {
            let oldest = times.front().copied().unwrap_or(now);
            return Err(RetryAfter(
                window.saturating_sub(now.duration_since(oldest)),
            ));
        }
        times.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_is_limited_within_the_window_and_free_after_it() {
        let r = RateLimit::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(r.take_at(1, t0), Ok(()));
        }
        let wait = r.take_at(1, t0 + Duration::from_secs(20)).unwrap_err();
        assert_eq!(wait.seconds(), 40);
        assert_eq!(
            r.take_at(2, t0),
            Ok(()),
            "another user has their own budget"
        );
        assert_eq!(r.take_at(1, t0 + Duration::from_secs(60)), Ok(()));
    }

    #[test]
    fn the_map_is_bounded() {
        let r = RateLimit::new(2, Duration::from_secs(60));
        let t0 = Instant::now();
        for user in 0..i64::try_from(MAX_USERS).unwrap() {
            r.take_at(user, t0).unwrap();
        }
        // Full of live windows: newcomers share one budget.
        assert_eq!(r.take_at(-1, t0), Ok(()));
        assert_eq!(r.take_at(-2, t0), Ok(()));
        assert!(r.take_at(-3, t0).is_err());
        assert_eq!(r.recent.lock().unwrap().len(), MAX_USERS + 1);
        // Once the windows have passed, room is made again.
        assert_eq!(r.take_at(-4, t0 + Duration::from_secs(61)), Ok(()));
        assert_eq!(r.recent.lock().unwrap().len(), 1);
    }
}

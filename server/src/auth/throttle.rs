//! Login throttling: failed attempts counted per account and per client address in a fixed
//! window; past the limit, attempts are refused until the window ends — before the password is
//! even checked, so a locked account cannot be guessed through.
//!
//! Kept in memory, per server instance (bounded: at most [`MAX_KEYS`] keys, expired ones are
//! dropped first). With several instances behind a balancer each counts on its own, so the
//! effective limit is multiplied by the number of instances.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed attempts allowed per account in one window.
pub const ACCOUNT_LIMIT: u32 = 5;
/// Failed attempts allowed per client address in one window (several people may share one).
pub const ADDRESS_LIMIT: u32 = 20;
/// The window, and how long a lock lasts at most.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Largest number of keys held.
pub const MAX_KEYS: usize = 100_000;

/// Which key locked the attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locked {
    /// Too many failures for this account; retry after the duration.
    Account(Duration),
    /// Too many failures from this address.
    Address(Duration),
}

impl Locked {
    /// Whole minutes to wait, at least 1.
    pub fn minutes(self) -> u64 {
        let (Locked::Account(d) | Locked::Address(d)) = self;
        d.as_secs().div_ceil(60).max(1)
    }
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    failures: u32,
}

/// The counters of one server instance.
#[derive(Debug, Default)]
pub struct Throttle {
    windows: Mutex<HashMap<String, Window>>,
}

impl Throttle {
    /// Whether an attempt for `login` from `address` may go ahead now.
    ///
    /// # Errors
    /// [`Locked`] when either counter is at its limit.
    pub fn check(&self, login: &str, address: &str) -> Result<(), Locked> {
        self.check_at(login, address, Instant::now())
    }

    /// Counts a failed attempt.
    pub fn fail(&self, login: &str, address: &str) {
        self.fail_at(login, address, Instant::now());
    }

    /// Clears the account's counter after a successful login (the address keeps its count).
    pub fn succeed(&self, login: &str) {
        if let Ok(mut w) = self.windows.lock() {
            w.remove(&account_key(login));
        }
    }

    fn check_at(&self, login: &str, address: &str, now: Instant) -> Result<(), Locked> {
        let Ok(w) = self.windows.lock() else {
            return Ok(());
        };
        let remaining = |key: &str, limit: u32| {
            w.get(key).and_then(|win| {
                let left = WINDOW.checked_sub(now.duration_since(win.started))?;
                (win.failures >= limit && !left.is_zero()).then_some(left)
            })
        };
        if let Some(left) = remaining(&account_key(login), ACCOUNT_LIMIT) {
            return Err(Locked::Account(left));
        }
        if let Some(left) = remaining(&address_key(address), ADDRESS_LIMIT) {
            return Err(Locked::Address(left));
        }
        Ok(())
    }

    fn fail_at(&self, login: &str, address: &str, now: Instant) {
        let Ok(mut w) = self.windows.lock() else {
            return;
        };
        if w.len() >= MAX_KEYS {
            w.retain(|_, win| now.duration_since(win.started) < WINDOW);
            if w.len() >= MAX_KEYS {
                // Still full of live windows: keep counting the keys already held only.
                for key in [account_key(login), address_key(address)] {
                    if let Some(win) = w.get_mut(&key) {
                        win.failures = win.failures.saturating_add(1);
                    }
                }
                return;
            }
        }
        for key in [account_key(login), address_key(address)] {
            let win = w.entry(key).or_insert(Window {
                started: now,
                failures: 0,
            });
            if now.duration_since(win.started) >= WINDOW {
                *win = Window {
                    started: now,
                    failures: 0,
                };
            }
            win.failures = win.failures.saturating_add(1);
        }
    }
}

fn account_key(login: &str) -> String {
    format!("a:{}", super::accounts::normalize_login(login))
}

fn address_key(address: &str) -> String {
    format!("i:{address}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_locks_after_the_limit_and_unlocks_after_the_window() {
        let t = Throttle::default();
        let t0 = Instant::now();
        for _ in 0..ACCOUNT_LIMIT {
            assert_eq!(t.check_at("hn", "1.2.3.4", t0), Ok(()));
            t.fail_at("hn", "1.2.3.4", t0);
        }
        let locked = t.check_at("HN ", "5.6.7.8", t0).unwrap_err();
        assert!(matches!(locked, Locked::Account(_)));
        assert_eq!(locked.minutes(), 15);
        // Another account from the same address is not locked yet.
        assert_eq!(t.check_at("hcm", "1.2.3.4", t0), Ok(()));
        assert_eq!(t.check_at("hn", "1.2.3.4", t0 + WINDOW), Ok(()));
    }

    #[test]
    fn an_address_locks_after_its_own_limit() {
        let t = Throttle::default();
        let t0 = Instant::now();
        for i in 0..ADDRESS_LIMIT {
            t.fail_at(&format!("user{i}"), "9.9.9.9", t0);
        }
        assert!(matches!(
            t.check_at("someone", "9.9.9.9", t0),
            Err(Locked::Address(_))
        ));
        assert_eq!(t.check_at("someone", "9.9.9.8", t0), Ok(()));
    }

    #[test]
    fn success_clears_the_account() {
        let t = Throttle::default();
        let t0 = Instant::now();
        for _ in 0..ACCOUNT_LIMIT - 1 {
            t.fail_at("hn", "1.1.1.1", t0);
        }
        t.succeed("hn");
        t.fail_at("hn", "1.1.1.1", t0);
        assert_eq!(t.check_at("hn", "1.1.1.1", t0), Ok(()));
    }
}

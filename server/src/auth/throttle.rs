//! Sign-in throttling: attempts counted per account and per client address in a fixed window;
//! past the limit, attempts are refused until the window ends — before the password is even
//! checked, so a locked account cannot be guessed through.
//!
//! Race-free by construction:
//! - An attempt is counted as a failure **before** the password hash runs ([`Throttle::begin`]);
//!   a success takes its count back ([`Attempt::succeeded`]). Simultaneous attempts cannot all
//!   pass the check before any of them is counted.
//! - At most one password hash is in flight per account and per address: an [`Attempt`] holds
//!   both keys' gates until it is dropped, and the next attempt on either key waits for it (a
//!   double-click on "Đăng nhập" waits instead of failing). 41 simultaneous attempts on one
//!   account hash at most [`ACCOUNT_LIMIT`] passwords; the rest are refused without hashing.
//! - Tokens (kiosk links, Bearer tokens) are cheap to check and are not gated, but every wrong
//!   one counts toward the address ([`Throttle::check_address`], [`Throttle::fail_address`]).
//!
//! Bounded: at most [`MAX_KEYS`] keys (expired ones are dropped first; when every slot holds a
//! live window, new keys share one overflow key, so they are throttled together rather than not
//! at all), and a login name longer than [`MAX_LOGIN_CHARS`] is never a key.
//!
//! Kept in memory, per server instance. With several instances behind a balancer each counts on
//! its own, so the effective limit is multiplied by the number of instances.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Mutex as Gate, OwnedMutexGuard};

/// Failed attempts allowed per account in one window.
pub const ACCOUNT_LIMIT: u32 = 5;
/// Failed attempts allowed per client address in one window (several people may share one).
pub const ADDRESS_LIMIT: u32 = 20;
/// The window, and how long a lock lasts at most.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Largest number of keys held.
pub const MAX_KEYS: usize = 100_000;
/// The longest login name (in characters) that is looked up; a longer one is a failed attempt
/// counted against the address only.
pub const MAX_LOGIN_CHARS: usize = 64;

/// The key new accounts and addresses share when the map is full of live windows.
const OVERFLOW_KEY: &str = "overflow";

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

#[derive(Debug)]
struct Window {
    started: Instant,
    failures: u32,
    /// Held by the attempt whose password is being checked.
    gate: Arc<Gate<()>>,
}

impl Window {
    fn new(now: Instant) -> Self {
        Window {
            started: now,
            failures: 0,
            gate: Arc::default(),
        }
    }

    /// The failures of the current window (an expired window counts none).
    fn live_failures(&self, now: Instant) -> u32 {
        if now.duration_since(self.started) < WINDOW {
            self.failures
        } else {
            0
        }
    }

    /// How long the key stays locked at `limit`, if it is.
    fn locked_for(&self, limit: u32, now: Instant) -> Option<Duration> {
        let left = WINDOW.checked_sub(now.duration_since(self.started))?;
        (self.failures >= limit && !left.is_zero()).then_some(left)
    }

    fn count_failure(&mut self, now: Instant) {
        if now.duration_since(self.started) >= WINDOW {
            self.started = now;
            self.failures = 0;
        }
        self.failures = self.failures.saturating_add(1);
    }
}

/// The counters of one server instance.
#[derive(Debug, Default)]
pub struct Throttle {
    windows: Mutex<HashMap<String, Window>>,
}

/// A sign-in attempt in flight: counted as a failure until [`Attempt::succeeded`], and holding
/// its account's and address's gates until dropped.
#[derive(Debug)]
pub struct Attempt {
    account: Option<String>,
    address: String,
    _gates: Vec<OwnedMutexGuard<()>>,
}

impl Attempt {
    /// The password was right: the attempt no longer counts, and the account's earlier
    /// failures are cleared (the address keeps its own earlier count).
    pub fn succeeded(self, throttle: &Throttle) {
        throttle.with(|w| {
            if let Some(key) = &self.account {
                w.remove(key);
            }
            if let Some(win) = w.get_mut(&self.address) {
                win.failures = win.failures.saturating_sub(1);
            }
        });
    }
}

impl Throttle {
    /// Starts a password check for `login` (`None`: no account, the address only) from
    /// `address`: waits for any attempt in flight on either key, then refuses if either is
    /// locked, else counts this attempt as a failure and returns it.
    ///
    /// # Errors
    /// [`Locked`] when either counter is at its limit.
    pub async fn begin(&self, login: Option<&str>, address: &str) -> Result<Attempt, Locked> {
        let address = self.key_for(address_key(address), Instant::now());
        let account = login
            .filter(|l| l.chars().count() <= MAX_LOGIN_CHARS)
            .map(|l| self.key_for(account_key(l), Instant::now()));
        // Always the address first, then the account: two attempts never wait on each other.
        // (Both may be the overflow key: then it is one key.)
        let account = account.filter(|k| *k != address);
        let mut gates = Vec::with_capacity(2);
        for key in std::iter::once(&address).chain(account.as_ref()) {
            if let Some(gate) = self.with(|w| w.get(key).map(|win| Arc::clone(&win.gate))) {
                gates.push(gate.lock_owned().await);
            }
        }
        let now = Instant::now();
        self.with(|w| {
            if let Some(left) = account
                .as_ref()
                .and_then(|k| w.get(k)?.locked_for(ACCOUNT_LIMIT, now))
            {
                return Err(Locked::Account(left));
            }
            if let Some(left) = w
                .get(&address)
                .and_then(|win| win.locked_for(ADDRESS_LIMIT, now))
            {
                return Err(Locked::Address(left));
            }
            for key in std::iter::once(&address).chain(account.as_ref()) {
                w.entry(key.clone())
                    .or_insert_with(|| Window::new(now))
                    .count_failure(now);
            }
            Ok(())
        })?;
        Ok(Attempt {
            account,
            address,
            _gates: gates,
        })
    }

    /// Whether a token may be checked from `address` now (tokens are not gated: see the module
    /// doc).
    ///
    /// # Errors
    /// [`Locked::Address`] when the address is at its limit.
    pub fn check_address(&self, address: &str) -> Result<(), Locked> {
        let now = Instant::now();
        let key = address_key(address);
        self.with(|w| {
            let window = match w.get(&key) {
                Some(win) => Some(win),
                None if w.len() >= MAX_KEYS => w.get(OVERFLOW_KEY),
                None => None,
            };
            match window.and_then(|win| win.locked_for(ADDRESS_LIMIT, now)) {
                Some(left) => Err(Locked::Address(left)),
                None => Ok(()),
            }
        })
    }

    /// Counts a wrong token from `address`.
    pub fn fail_address(&self, address: &str) {
        let now = Instant::now();
        let key = self.key_for(address_key(address), now);
        self.with(|w| {
            w.entry(key)
                .or_insert_with(|| Window::new(now))
                .count_failure(now);
        });
    }

    /// `key` itself when it is held or there is room for it, else the overflow key. Creates
    /// the entry, so that its gate exists.
    fn key_for(&self, key: String, now: Instant) -> String {
        self.with(|w| {
            if !w.contains_key(&key) && w.len() >= MAX_KEYS {
                w.retain(|_, win| win.live_failures(now) > 0 || Arc::strong_count(&win.gate) > 1);
            }
            let key = if w.contains_key(&key) || w.len() < MAX_KEYS {
                key
            } else {
                OVERFLOW_KEY.to_owned()
            };
            w.entry(key.clone()).or_insert_with(|| Window::new(now));
            key
        })
    }

    /// Runs `f` on the map (a poisoned lock is taken over: the counters stay usable).
    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, Window>) -> T) -> T {
        let mut w = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut w)
    }

    /// Number of keys held (for tests and metrics).
    pub fn keys(&self) -> usize {
        self.with(|w| w.len())
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

    async fn fail(t: &Throttle, login: &str, addr: &str) -> Result<(), Locked> {
        t.begin(Some(login), addr).await.map(drop)
    }

    #[tokio::test]
    async fn an_account_locks_after_the_limit() {
        let t = Throttle::default();
        for _ in 0..ACCOUNT_LIMIT {
            assert_eq!(fail(&t, "hn", "1.2.3.4").await, Ok(()));
        }
        let locked = fail(&t, "HN ", "5.6.7.8").await.unwrap_err();
        assert!(matches!(locked, Locked::Account(_)));
        assert_eq!(locked.minutes(), 15);
        // Another account from the same address is not locked yet.
        assert_eq!(fail(&t, "hcm", "1.2.3.4").await, Ok(()));
    }

    #[test]
    fn a_window_forgets_after_it_ends() {
        let t0 = Instant::now();
        let mut w = Window::new(t0);
        for _ in 0..ACCOUNT_LIMIT {
            w.count_failure(t0);
        }
        assert!(w.locked_for(ACCOUNT_LIMIT, t0).is_some());
        assert_eq!(w.locked_for(ACCOUNT_LIMIT, t0 + WINDOW), None);
        w.count_failure(t0 + WINDOW);
        assert_eq!(w.failures, 1);
    }

    #[tokio::test]
    async fn an_address_locks_after_its_own_limit() {
        let t = Throttle::default();
        for i in 0..ADDRESS_LIMIT {
            assert_eq!(fail(&t, &format!("user{i}"), "9.9.9.9").await, Ok(()));
        }
        assert!(matches!(
            fail(&t, "someone", "9.9.9.9").await,
            Err(Locked::Address(_))
        ));
        assert!(matches!(
            t.check_address("9.9.9.9"),
            Err(Locked::Address(_))
        ));
        assert_eq!(fail(&t, "someone", "9.9.9.8").await, Ok(()));
    }

    #[tokio::test]
    async fn success_takes_its_count_back_and_clears_the_account() {
        let t = Throttle::default();
        for _ in 0..ACCOUNT_LIMIT - 1 {
            fail(&t, "hn", "1.1.1.1").await.unwrap();
        }
        t.begin(Some("hn"), "1.1.1.1").await.unwrap().succeeded(&t);
        for _ in 0..ACCOUNT_LIMIT - 1 {
            fail(&t, "hn", "1.1.1.1").await.unwrap();
        }
        assert_eq!(fail(&t, "hn", "1.1.1.1").await, Ok(()));
    }

    #[tokio::test]
    async fn simultaneous_attempts_wait_for_each_other_and_are_counted_before_checking() {
        let t = Arc::new(Throttle::default());
        let first = t.begin(Some("hn"), "1.1.1.1").await.unwrap();
        // While the first attempt's password is being checked, the next one on the same
        // account (from another address) waits.
        let waiting = tokio::spawn({
            let t = Arc::clone(&t);
            async move { t.begin(Some("hn"), "2.2.2.2").await.map(drop) }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        drop(first);
        assert_eq!(waiting.await.unwrap(), Ok(()));
        // 41 at once: exactly the remaining allowance is let through, one at a time.
        let attempts: Vec<_> = (0..41)
            .map(|i| {
                let t = Arc::clone(&t);
                tokio::spawn(
                    async move { t.begin(Some("hn"), &format!("10.0.0.{i}")).await.map(drop) },
                )
            })
            .collect();
        let mut passed = 0;
        for a in attempts {
            passed += u32::from(a.await.unwrap().is_ok());
        }
        assert_eq!(passed, ACCOUNT_LIMIT - 2);
    }

    #[tokio::test]
    async fn wrong_tokens_count_toward_the_address() {
        let t = Throttle::default();
        for _ in 0..ADDRESS_LIMIT {
            assert_eq!(t.check_address("7.7.7.7"), Ok(()));
            t.fail_address("7.7.7.7");
        }
        assert!(t.check_address("7.7.7.7").is_err());
        assert!(matches!(
            fail(&t, "hn", "7.7.7.7").await,
            Err(Locked::Address(_))
        ));
    }

    #[tokio::test]
    async fn long_login_names_are_never_keys() {
        let t = Throttle::default();
        let long = "x".repeat(2_000_000);
        for _ in 0..3 {
            fail(&t, &long, "3.3.3.3").await.unwrap();
        }
        assert_eq!(t.keys(), 1, "only the address is held");
    }

    #[tokio::test]
    async fn a_full_map_throttles_new_keys_together() {
        let t = Throttle::default();
        t.with(|w| {
            let now = Instant::now();
            for i in 0..MAX_KEYS {
                let mut win = Window::new(now);
                win.count_failure(now);
                w.insert(format!("i:filler{i}"), win);
            }
        });
        for i in 0..ADDRESS_LIMIT {
            fail(&t, &format!("new{i}"), &format!("new-address-{i}"))
                .await
                .unwrap();
        }
        assert!(fail(&t, "late", "late-address").await.is_err());
        assert_eq!(t.keys(), MAX_KEYS + 1, "one overflow key beyond the bound");
    }
}

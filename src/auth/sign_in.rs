//! Failed sign-ins: counted per user name and per address; after a few the answers slow
//! down, after more the name or address is refused for a while. Names that do not exist are
//! counted alike, so the limiter does not tell which names are real.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures of one name allowed before answers slow down.
const FREE: u32 = 2;
/// Extra wait per failure past the free ones.
const STEP: Duration = Duration::from_millis(250);
/// Failures of one name within the window that lock it.
const NAME_LOCK: u32 = 5;
/// Failures from one address within the window that lock it (an office behind one address
/// has many users, and a guesser tries many names).
const ADDRESS_LOCK: u32 = 20;
/// Longest hold of one answer.
const MAX_HOLD: Duration = Duration::from_secs(2);
/// How long failures are remembered, and how long a lock lasts.
const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Entries kept before old ones are swept.
const MAX_ENTRIES: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    /// Attempts being checked now: counted against the lock as if they had failed, so that
    /// parallel guesses cannot all pass the check before the first failure is recorded.
    pending: u32,
    last: Instant,
}

/// A sign-in being checked; dropped without [`SignInGuard::failed`] or
/// [`SignInGuard::succeeded`] (an error), its place is given back.
pub struct Attempt<'a> {
    guard: &'a SignInGuard,
    keys: Vec<String>,
    settled: bool,
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if !self.settled {
            self.guard.settle(&self.keys);
        }
    }
}

/// The counts of failed sign-ins of this process.
#[derive(Debug, Default)]
pub struct SignInGuard {
    failures: Mutex<HashMap<String, Failures>>,
}

/// The counters a sign-in touches, with the failures that lock each.
fn keys(name: &str, from: Option<IpAddr>) -> Vec<(String, u32)> {
    let mut keys = vec![(format!("name:{}", name.to_lowercase()), NAME_LOCK)];
    if let Some(ip) = from {
        keys.push((format!("addr:{ip}"), ADDRESS_LOCK));
    }
    keys
}

impl SignInGuard {
    /// How long the caller must wait before it may try again, if it is locked out now.
    pub fn locked(&self, name: &str, from: Option<IpAddr>) -> Option<Duration> {
        let failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        keys(name, from)
            .iter()
            .filter_map(|(k, lock)| failures.get(k).filter(|f| f.count >= *lock))
            .filter(|f| f.last.elapsed() < WINDOW)
            .map(|f| WINDOW - f.last.elapsed())
            .max()
    }

    /// Starts checking a sign-in of `name` from `from`: refused (with how long to wait) when
    /// the failures so far and the attempts being checked now reach a lock.
    pub fn attempt(&self, name: &str, from: Option<IpAddr>) -> Result<Attempt<'_>, Duration> {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if failures.len() > MAX_ENTRIES {
            failures.retain(|_, f| f.last.elapsed() < WINDOW || f.pending > 0);
        }
        let now = Instant::now();
        let keys = keys(name, from);
        for (key, lock) in &keys {
            if let Some(f) = failures.get_mut(key) {
                if f.last.elapsed() >= WINDOW {
                    f.count = 0;
                }
                if f.count + f.pending >= *lock {
                    let wait = if f.count >= *lock { WINDOW.saturating_sub(f.last.elapsed()) } else { STEP };
                    return Err(wait.max(Duration::from_secs(1)));
                }
            }
        }
        for (key, _) in &keys {
            failures.entry(key.clone()).or_insert(Failures { count: 0, pending: 0, last: now }).pending += 1;
        }
        Ok(Attempt { guard: self, keys: keys.into_iter().map(|k| k.0).collect(), settled: false })
    }

    fn settle(&self, keys: &[String]) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        for key in keys {
            if let Some(f) = failures.get_mut(key) {
                f.pending = f.pending.saturating_sub(1);
            }
        }
    }

    /// Records that `attempt` failed; returns how long to hold the answer back.
    pub fn attempt_failed(&self, mut attempt: Attempt<'_>, name: &str, from: Option<IpAddr>) -> Duration {
        attempt.settled = true;
        self.settle(&attempt.keys);
        self.failed(name, from)
    }

    /// Records that `attempt` succeeded.
    pub fn attempt_succeeded(&self, mut attempt: Attempt<'_>, name: &str) {
        attempt.settled = true;
        self.settle(&attempt.keys);
        self.succeeded(name);
    }

    /// Records a failure; returns how long to hold the answer back.
    pub fn failed(&self, name: &str, from: Option<IpAddr>) -> Duration {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if failures.len() > MAX_ENTRIES {
            failures.retain(|_, f| f.last.elapsed() < WINDOW || f.pending > 0);
        }
        let now = Instant::now();
        let mut hold = Duration::ZERO;
        for (key, lock) in keys(name, from) {
            let entry = failures.entry(key).or_insert(Failures { count: 0, pending: 0, last: now });
            if entry.last.elapsed() >= WINDOW {
                entry.count = 0;
            }
            entry.count += 1;
            entry.last = now;
            // Slower as the count nears its lock: a name after FREE failures, an address past half way.
            let free = if lock == NAME_LOCK { FREE } else { lock / 2 };
            hold = hold.max(STEP * entry.count.saturating_sub(free));
        }
        hold.min(MAX_HOLD)
    }

    /// Forgets the failures of a name after it signed in (the address keeps its count: one
    /// good account must not clear an address that is guessing others).
    pub fn succeeded(&self, name: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(f) = failures.get_mut(&format!("name:{}", name.to_lowercase())) {
            f.count = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_slow_down_then_lock_by_name_and_by_address() {
        let guard = SignInGuard::default();
        let a: IpAddr = "127.0.0.2".parse().unwrap();
        let b: IpAddr = "127.0.0.3".parse().unwrap();
        assert_eq!(guard.failed("alice", Some(a)), Duration::ZERO);
        assert_eq!(guard.failed("alice", Some(a)), Duration::ZERO);
        assert_eq!(guard.failed("alice", Some(a)), STEP);
        assert_eq!(guard.failed("alice", Some(b)), STEP * 2);
        assert!(guard.locked("alice", Some(b)).is_none());
        guard.failed("ALICE", Some(b));
        // The name is locked from any address; the addresses have 3 and 2 failures.
        assert!(guard.locked("alice", None).is_some());
        assert!(guard.locked("bob", Some(a)).is_none());
        for i in 0..17 {
            assert!(guard.locked(&format!("x{i}"), Some(a)).is_none());
            guard.failed(&format!("x{i}"), Some(a));
        }
        assert!(guard.locked("anyone", Some(a)).is_some(), "twenty failures from one address lock it");
        assert!(guard.locked("anyone", Some(b)).is_none());
        guard.succeeded("alice");
        assert!(guard.locked("alice", None).is_none());
    }

    #[test]
    fn parallel_attempts_count_before_they_are_checked() {
        let guard = SignInGuard::default();
        let a: IpAddr = "127.0.0.4".parse().unwrap();
        // Twelve guesses at once: only the lock's worth are let through to be checked.
        let let_through: Vec<_> = (0..12).filter_map(|_| guard.attempt("carol", Some(a)).ok()).collect();
        assert_eq!(let_through.len(), NAME_LOCK as usize);
        for attempt in let_through {
            guard.attempt_failed(attempt, "carol", Some(a));
        }
        assert!(guard.locked("carol", None).is_some());
        assert!(guard.attempt("carol", None).is_err());
        // An attempt dropped on an error gives its place back.
        let b: IpAddr = "127.0.0.5".parse().unwrap();
        for _ in 0..10 {
            drop(guard.attempt("dave", Some(b)).unwrap());
        }
        let ok = guard.attempt("dave", Some(b)).unwrap();
        guard.attempt_succeeded(ok, "dave");
        assert!(guard.locked("dave", Some(b)).is_none());
    }
}

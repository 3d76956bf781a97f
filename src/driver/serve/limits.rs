//! What keeps one client from hurting the others: clamped terminal sizes, budgets of wrong
//! class codes, a cap on connections signing in from one address, a typing rate, and a
//! constant-time comparison of the class code.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The widest and tallest terminal a session draws. A client may claim 65535x65535; the
/// screen buffers grow with the area, so the claim is cut to a size real screens reach.
pub const MAX_COLS: u16 = 400;
pub const MAX_ROWS: u16 = 200;

/// A terminal size as a client states it, clamped; 0 (the client does not know) means the
/// classic 80x24.
pub fn clamp_size(cols: u32, rows: u32) -> (u16, u16) {
    let fit = |v: u32, default: u16, max: u16| {
        if v == 0 {
            default
        } else {
            v.min(u32::from(max)) as u16
        }
    };
    (fit(cols, 80, MAX_COLS), fit(rows, 24, MAX_ROWS))
}

/// Whether two byte strings are equal, taking the same time wherever they differ (so the
/// time of a wrong guess tells nothing about how much of it was right).
pub fn same_secret(a: &[u8], b: &[u8]) -> bool {
    let mut diff = u8::from(a.len() != b.len());
    for i in 0..a.len().max(b.len()) {
        diff |= a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0);
    }
    diff == 0
}

/// Wrong class codes one connection may send; the next closes it. OpenSSH asks three times
/// before giving up, so a student with a typo never meets this.
pub const WRONG_CODES_PER_CONNECTION: u32 = 3;

/// Connections from one address that may be signing in at once. When a new one comes and
/// the address has no room, the oldest of them that has not begun to sign in (still silent,
/// or stuck in the key exchange) is closed to make room; only if all have begun is the new
/// one refused. A lab behind one NAT address signs in a few students at a time (each takes
/// seconds), and someone opening silent sockets can never shut a real student out: each
/// real connection pushes out a silent one.
pub const SIGNING_IN_PER_ADDRESS: usize = 16;

/// How long the answer to a wrong code is held back once its address or its name has spent
/// its budget of failures. A right code is never held back or refused: one client's failures
/// cannot lock out the rest of a lab behind the same address.
pub const SLOW_DOWN: Duration = Duration::from_secs(3);

/// Budgets of wrong class codes, per address and per name, refilled over time (token
/// buckets). Spent budgets only slow wrong answers down ([`SLOW_DOWN`]): guessing an 8-letter
/// code at one try per few seconds takes longer than any class, while a right code from the
/// same address or name goes in at once.
#[derive(Debug)]
pub struct LoginLimiter {
    by_address: Buckets<IpAddr>,
    by_name: Buckets<String>,
}

impl LoginLimiter {
    /// A whole lab's typos at once per address; a handful per name.
    pub fn for_class() -> Self {
        Self {
            by_address: Buckets::new(60, Duration::from_secs(2)),
            by_name: Buckets::new(10, Duration::from_secs(6)),
        }
    }

    /// How long to hold back the answer to a wrong code: nothing while both budgets last.
    pub fn slow_down(&self, ip: IpAddr, name: &str, now: Instant) -> Duration {
        if self.by_address.has(&ip, now) && self.by_name.has(&name.to_string(), now) {
            Duration::ZERO
        } else {
            SLOW_DOWN
        }
    }

    /// A wrong code came from this address for this name.
    pub fn failed(&mut self, ip: IpAddr, name: &str, now: Instant) {
        self.by_address.spend(ip, now);
        self.by_name.spend(name.to_string(), now);
    }
}

/// One token bucket per key.
#[derive(Debug)]
struct Buckets<K> {
    burst: f64,
    refill: Duration,
    buckets: HashMap<K, Bucket>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Keys remembered at most; past it, those whose budget is full again are forgotten.
const REMEMBERED: usize = 10_000;

impl<K: std::hash::Hash + Eq> Buckets<K> {
    fn new(burst: u32, refill: Duration) -> Self {
        Self {
            burst: f64::from(burst),
            refill,
            buckets: HashMap::new(),
        }
    }

    fn level(&self, key: &K, now: Instant) -> f64 {
        match self.buckets.get(key) {
            None => self.burst,
            Some(b) => {
                let earned =
                    now.saturating_duration_since(b.at).as_secs_f64() / self.refill.as_secs_f64();
                (b.tokens + earned).min(self.burst)
            }
        }
    }

    fn has(&self, key: &K, now: Instant) -> bool {
        self.level(key, now) >= 1.0
    }

    fn spend(&mut self, key: K, now: Instant) {
        let tokens = (self.level(&key, now) - 1.0).max(0.0);
        if self.buckets.len() >= REMEMBERED && !self.buckets.contains_key(&key) {
            let (burst, refill) = (self.burst, self.refill.as_secs_f64());
            self.buckets.retain(|_, b| {
                b.tokens + now.saturating_duration_since(b.at).as_secs_f64() / refill < burst
            });
        }
        self.buckets.insert(key, Bucket { tokens, at: now });
    }
}

/// Connections still signing in, per address (see [`SIGNING_IN_PER_ADDRESS`]).
#[derive(Debug, Default)]
pub struct SigningIn(Mutex<HashMap<IpAddr, Vec<Pending>>>);

/// A connection signing in, as the cap sees it.
struct Pending {
    id: u64,
    /// Set once the client has sent its first sign-in request.
    asked: Arc<AtomicBool>,
    /// Ends the connection (shuts its socket down) when it is pushed out.
    cut: Box<dyn Fn() + Send + Sync>,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending")
            .field("id", &self.id)
            .field("asked", &self.asked)
            .finish_non_exhaustive()
    }
}

/// One connection's place among those signing in from its address, given back when dropped
/// (signed in, refused or gone).
#[derive(Debug)]
pub struct SigningInSlot {
    all: Arc<SigningIn>,
    ip: IpAddr,
    id: u64,
}

impl SigningIn {
    /// A place for connection `id` from `ip`: when the address has no room, its oldest
    /// connection that has not asked to sign in yet is cut to make some; `None` when all of
    /// them have asked (the new one is refused).
    pub fn take(
        all: &Arc<Self>,
        ip: IpAddr,
        id: u64,
        asked: Arc<AtomicBool>,
        cut: impl Fn() + Send + Sync + 'static,
    ) -> Option<SigningInSlot> {
        let mut map = all.0.lock().unwrap_or_else(PoisonError::into_inner);
        let pending = map.entry(ip).or_default();
        if pending.len() >= SIGNING_IN_PER_ADDRESS {
            let silent = pending
                .iter()
                .position(|p| !p.asked.load(Ordering::Relaxed))?;
            let pushed_out = pending.remove(silent);
            (pushed_out.cut)();
        }
        pending.push(Pending {
            id,
            asked,
            cut: Box::new(cut),
        });
        Some(SigningInSlot {
            all: Arc::clone(all),
            ip,
            id,
        })
    }

    pub fn count(&self, ip: IpAddr) -> usize {
        let map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(&ip).map_or(0, Vec::len)
    }
}

impl Drop for SigningInSlot {
    fn drop(&mut self) {
        let mut map = self.all.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(pending) = map.get_mut(&self.ip) {
            pending.retain(|p| p.id != self.id);
            if pending.is_empty() {
                map.remove(&self.ip);
            }
        }
    }
}

/// A client's typing, limited to a rate no person reaches: a token bucket of bytes. A paste
/// up to the burst goes in at once; bytes beyond the rate are read and dropped, not queued.
/// Dropping, not waiting: a client that floods keys would otherwise leave megabytes in its
/// own kernel's send queue, and its hang-up (the FIN behind them) would reach the server only
/// once they were read, minutes after it left.
#[derive(Debug, Clone, Copy)]
pub struct TypingRate {
    tokens: f64,
    at: Instant,
}

/// Bytes a second a client may type, sustained: a fast typist sends under 100, a held arrow
/// key about 100 (3-byte sequences at 30 a second), a fast mouse wheel under 1,000.
pub const TYPING_RATE: f64 = 1024.0;
/// Bytes a client may send at once: a long paste.
pub const TYPING_BURST: f64 = 64.0 * 1024.0;

impl TypingRate {
    pub fn new(now: Instant) -> Self {
        Self {
            tokens: TYPING_BURST,
            at: now,
        }
    }

    /// Whether `bytes` more fit the rate now; if they do, they are spent.
    pub fn admit(&mut self, bytes: usize, now: Instant) -> bool {
        let earned = now.saturating_duration_since(self.at).as_secs_f64() * TYPING_RATE;
        self.tokens = (self.tokens + earned).min(TYPING_BURST);
        self.at = now;
        let fits = self.tokens >= bytes as f64;
        if fits {
            self.tokens -= bytes as f64;
        }
        fits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_clamped_and_zero_means_classic() {
        assert_eq!(clamp_size(65535, 65535), (MAX_COLS, MAX_ROWS));
        assert_eq!(clamp_size(u32::MAX, 1), (MAX_COLS, 1));
        assert_eq!(clamp_size(0, 0), (80, 24));
        assert_eq!(clamp_size(132, 43), (132, 43));
    }

    #[test]
    fn secrets_compare_by_content_and_length() {
        assert!(same_secret(b"abc123", b"abc123"));
        assert!(!same_secret(b"abc123", b"abc124"));
        assert!(!same_secret(b"abc", b"abc123"));
        assert!(!same_secret(b"", b"a"));
        assert!(same_secret(b"", b""));
    }

    #[test]
    fn spent_budgets_slow_wrong_codes_per_address_and_per_name() {
        let ip: IpAddr = [10, 0, 0, 7].into();
        let other: IpAddr = [10, 0, 0, 8].into();
        let t0 = Instant::now();
        let mut l = LoginLimiter::for_class();
        assert_eq!(l.slow_down(ip, "ann", t0), Duration::ZERO);
        // Ten wrong codes for one name spend that name's budget, not the address's.
        for _ in 0..10 {
            l.failed(ip, "ann", t0);
        }
        assert_eq!(l.slow_down(ip, "ann", t0), SLOW_DOWN);
        assert_eq!(l.slow_down(ip, "bob", t0), Duration::ZERO);
        assert_eq!(l.slow_down(other, "ann", t0), SLOW_DOWN);
        assert_eq!(
            l.slow_down(ip, "ann", t0 + Duration::from_secs(6)),
            Duration::ZERO
        );
        // Sixty from one address, each for a new name, spend the address's.
        for i in 0..60 {
            l.failed(ip, &format!("n{i}"), t0);
        }
        assert_eq!(l.slow_down(ip, "carol", t0), SLOW_DOWN);
        assert_eq!(l.slow_down(other, "carol", t0), Duration::ZERO);
        assert_eq!(
            l.slow_down(ip, "carol", t0 + Duration::from_secs(2)),
            Duration::ZERO
        );
    }

    #[test]
    fn silent_connections_make_room_and_busy_ones_keep_theirs() {
        use std::sync::atomic::AtomicUsize;
        let all = Arc::new(SigningIn::default());
        let ip: IpAddr = [10, 0, 0, 7].into();
        let cuts = Arc::new(AtomicUsize::new(0));
        let mut slots = Vec::new();
        let mut asked = Vec::new();
        for id in 0..SIGNING_IN_PER_ADDRESS as u64 {
            let flag = Arc::new(AtomicBool::new(false));
            let cuts = Arc::clone(&cuts);
            let slot = SigningIn::take(&all, ip, id, Arc::clone(&flag), move || {
                cuts.fetch_add(1, Ordering::Relaxed);
            });
            slots.push(slot.expect("room"));
            asked.push(flag);
        }
        // Full of silent connections: a new one pushes the oldest silent one out.
        let late = SigningIn::take(&all, ip, 100, Arc::new(AtomicBool::new(true)), || {});
        assert!(late.is_some());
        assert_eq!(cuts.load(Ordering::Relaxed), 1);
        assert_eq!(all.count(ip), SIGNING_IN_PER_ADDRESS);
        // Once every one of them is signing in, a new one is refused and none is cut.
        for flag in &asked {
            flag.store(true, Ordering::Relaxed);
        }
        assert!(SigningIn::take(&all, ip, 101, Arc::default(), || {}).is_none());
        assert_eq!(cuts.load(Ordering::Relaxed), 1);
        // Other addresses are not affected, and every place comes back.
        assert!(SigningIn::take(&all, [10, 0, 0, 8].into(), 102, Arc::default(), || {}).is_some());
        drop(slots);
        drop(late);
        assert_eq!(all.count(ip), 0);
    }

    #[test]
    fn typing_goes_in_at_once_up_to_the_burst_then_at_the_rate() {
        let t0 = Instant::now();
        let mut rate = TypingRate::new(t0);
        assert!(rate.admit(TYPING_BURST as usize, t0));
        // The burst is spent: more is dropped, and dropped bytes cost nothing.
        assert!(!rate.admit(1024, t0));
        assert!(!rate.admit(1024, t0 + Duration::from_millis(500)));
        // A second's worth has come back a second later.
        assert!(rate.admit(1024, t0 + Duration::from_secs(1)));
        assert!(!rate.admit(1, t0 + Duration::from_secs(1)));
    }
}

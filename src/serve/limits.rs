//! What keeps one client from hurting the others: clamped terminal sizes, a per-address
//! budget of failed logins, and a constant-time comparison of the class code.

use std::collections::HashMap;
use std::net::IpAddr;
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

/// A budget of failed logins per address, refilled over time (a token bucket).
///
/// Only failures spend it: a whole lab behind one NAT address signs in with the right code
/// and never touches it, and even a lab full of typos has the burst to spare. Someone
/// guessing the code gets `burst` guesses at once, then one per `refill`.
#[derive(Debug)]
pub struct LoginLimiter {
    burst: f64,
    refill: Duration,
    buckets: HashMap<IpAddr, Bucket>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Addresses remembered at most; past it, those whose budget is full again are forgotten.
const REMEMBERED: usize = 10_000;

impl LoginLimiter {
    pub fn new(burst: u32, refill: Duration) -> Self {
        Self {
            burst: f64::from(burst),
            refill,
            buckets: HashMap::new(),
        }
    }

    /// The limiter `llmf serve` uses: 60 failures at once per address (a lab of 60 each
    /// mistyping once), then one more every 2 seconds.
    pub fn for_class() -> Self {
        Self::new(60, Duration::from_secs(2))
    }

    fn level(&self, ip: IpAddr, now: Instant) -> f64 {
        match self.buckets.get(&ip) {
            None => self.burst,
            Some(b) => {
                let earned =
                    now.saturating_duration_since(b.at).as_secs_f64() / self.refill.as_secs_f64();
                (b.tokens + earned).min(self.burst)
            }
        }
    }

    /// Whether this address may try to log in now.
    pub fn allows(&self, ip: IpAddr, now: Instant) -> bool {
        self.level(ip, now) >= 1.0
    }

    /// Records a failed login from this address.
    pub fn failed(&mut self, ip: IpAddr, now: Instant) {
        let tokens = (self.level(ip, now) - 1.0).max(0.0);
        if self.buckets.len() >= REMEMBERED && !self.buckets.contains_key(&ip) {
            let burst = self.burst;
            let refill = self.refill.as_secs_f64();
            self.buckets.retain(|_, b| {
                b.tokens + now.saturating_duration_since(b.at).as_secs_f64() / refill < burst
            });
        }
        self.buckets.insert(ip, Bucket { tokens, at: now });
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
    fn a_nat_lab_gets_its_burst_then_one_per_refill() {
        let ip: IpAddr = [10, 0, 0, 7].into();
        let other: IpAddr = [10, 0, 0, 8].into();
        let t0 = Instant::now();
        let mut l = LoginLimiter::new(3, Duration::from_secs(2));
        for _ in 0..3 {
            assert!(l.allows(ip, t0));
            l.failed(ip, t0);
        }
        assert!(!l.allows(ip, t0));
        // Another address is untouched.
        assert!(l.allows(other, t0));
        // 1.9 s earns 0.95 of a try: not yet; 2 s earns one.
        assert!(!l.allows(ip, t0 + Duration::from_millis(1900)));
        assert!(l.allows(ip, t0 + Duration::from_secs(2)));
        l.failed(ip, t0 + Duration::from_secs(2));
        assert!(!l.allows(ip, t0 + Duration::from_secs(2)));
        // A long pause refills only up to the burst: 3 tries, not 50.
        let later = t0 + Duration::from_secs(100);
        for _ in 0..3 {
            assert!(l.allows(ip, later));
            l.failed(ip, later);
        }
        assert!(!l.allows(ip, later));
    }
}

//! A small seeded random generator (SplitMix64), so every visualizer and every model is
//! reproducible from its seed on every machine without a dependency. Candle's CPU generator
//! cannot be seeded, so the model lab draws every weight, batch offset and sampled token from
//! this one too; its whole state is one `u64`, which a checkpoint saves so a resumed run draws
//! the same batches as an uninterrupted one.

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    /// Rebuilds a generator from [`Rng::state`] (a checkpoint).
    pub fn from_state(state: u64) -> Self {
        Self(state)
    }

    pub fn state(&self) -> u64 {
        self.0
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform on [−√3, √3): mean 0 and variance 1, at a fraction of a normal draw's cost.
    pub fn unit_variance(&mut self) -> f64 {
        (self.unit() * 2.0 - 1.0) * 3f64.sqrt()
    }

    /// Standard normal, by Box–Muller.
    pub fn normal(&mut self) -> f64 {
        let u1 = self.unit().max(1e-300);
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// A whole number in [0, n) (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// A whole number in [lo, hi].
    pub fn int(&mut self, lo: i64, hi: i64) -> i64 {
        let span = (hi - lo + 1) as u64;
        lo + (self.next_u64() % span) as i64
    }
}

/// A stable seed from a word, so the same word always gets the same made-up vector.
pub fn seed_of(word: &str, salt: u64) -> u64 {
    word.bytes().fold(0xCBF2_9CE4_8422_2325 ^ salt, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3)
    })
}

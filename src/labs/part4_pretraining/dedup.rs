//! Near-duplicate detection as web-scale pipelines do it (lesson 16): cut each page into word
//! n-grams ("shingles"), compare pages by the Jaccard similarity of their shingle sets, estimate
//! that similarity cheaply with MinHash signatures, and find candidate pairs without comparing
//! every pair by banding the signatures (locality-sensitive hashing).
//!
//! FineWeb (Penedo et al. 2024, arXiv:2406.17557) used word 5-grams and 112 hash functions in
//! 14 bands of 8 rows, aiming at pages at least ~75% similar; those are the defaults here.

use crate::labs::rng::Rng;
use std::collections::{BTreeSet, HashMap};

/// FineWeb's settings: word 5-grams, 14 bands × 8 rows = 112 hashes.
pub const FINEWEB_NGRAM: usize = 5;
pub const FINEWEB_BANDS: usize = 14;
pub const FINEWEB_ROWS: usize = 8;

/// Lower-cased words: runs of letters and digits; everything else separates them.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The set of word `n`-grams of a text. A text shorter than `n` words is one shingle (all of it),
/// so that even a tiny page can be compared.
pub fn shingles(text: &str, n: usize) -> BTreeSet<String> {
    let w = words(text);
    let n = n.max(1);
    if w.is_empty() {
        return BTreeSet::new();
    }
    if w.len() < n {
        return BTreeSet::from([w.join(" ")]);
    }
    w.windows(n).map(|g| g.join(" ")).collect()
}

/// |A ∩ B| / |A ∪ B|; two empty sets count as identical.
pub fn jaccard(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f64 {
    let inter = a.intersection(b).count();
    let union = a.len() + b.len() - inter;
    if union == 0 {
        1.0
    } else {
        inter as f64 / union as f64
    }
}

/// FNV-1a: a fixed, portable 64-bit hash of a shingle's bytes.
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xCBF2_9CE4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3)
    })
}

/// SplitMix64's finaliser: scrambles every input bit into every output bit.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A family of `k` hash functions h_i(x) = mix(fnv(x) ⊕ key_i) with keys drawn from a seed.
/// Each behaves like an independent random ordering of all shingles, which is what MinHash
/// needs: the chance that two sets share their minimum under one ordering is their Jaccard.
pub struct MinHasher {
    keys: Vec<u64>,
}

impl MinHasher {
    pub fn new(k: usize, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        Self {
            keys: (0..k).map(|_| rng.next_u64()).collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The signature: for each hash function, the smallest hash over the set.
    pub fn signature(&self, set: &BTreeSet<String>) -> Vec<u64> {
        let base: Vec<u64> = set.iter().map(|s| fnv1a(s)).collect();
        self.keys
            .iter()
            .map(|key| base.iter().map(|h| mix(h ^ key)).min().unwrap_or(u64::MAX))
            .collect()
    }
}

/// The MinHash estimate of Jaccard: the share of signature slots where two pages agree.
pub fn estimate(a: &[u64], b: &[u64]) -> f64 {
    let k = a.len().min(b.len());
    if k == 0 {
        return 0.0;
    }
    let same = a.iter().zip(b).filter(|(x, y)| x == y).count();
    same as f64 / k as f64
}

/// The standard error of that estimate with `k` hashes: each slot agrees with probability J,
/// so the count is binomial and the share has std sqrt(J(1 − J)/k).
pub fn estimate_std(j: f64, k: usize) -> f64 {
    (j * (1.0 - j) / k.max(1) as f64).sqrt()
}

/// The chance two pages of similarity `s` become candidates with `bands` bands of `rows` rows:
/// one band matches entirely with probability s^r, so at least one of b does with
/// 1 − (1 − s^r)^b.
pub fn candidate_probability(s: f64, bands: usize, rows: usize) -> f64 {
    let band = s.powi(rows as i32);
    1.0 - (1.0 - band).powi(bands as i32)
}

/// Where the S-curve is steepest, roughly: (1/b)^(1/r).
pub fn lsh_threshold(bands: usize, rows: usize) -> f64 {
    (1.0 / bands.max(1) as f64).powf(1.0 / rows.max(1) as f64)
}

/// Pairs (i < j) whose signatures agree on every row of at least one band: the candidates
/// LSH hands on for an exact check, found by bucketing each band instead of comparing all
/// pairs.
pub fn lsh_candidates(signatures: &[Vec<u64>], bands: usize, rows: usize) -> Vec<(usize, usize)> {
    let mut pairs = BTreeSet::new();
    for band in 0..bands {
        let mut buckets: HashMap<&[u64], Vec<usize>> = HashMap::new();
        for (doc, sig) in signatures.iter().enumerate() {
            if let Some(slice) = sig.get(band * rows..(band + 1) * rows) {
                buckets.entry(slice).or_default().push(doc);
            }
        }
        for docs in buckets.values() {
            for (x, &i) in docs.iter().enumerate() {
                for &j in &docs[x + 1..] {
                    pairs.insert((i.min(j), i.max(j)));
                }
            }
        }
    }
    pairs.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::part4_pretraining::dedup_docs::PAGES;

    fn page(key: &str) -> &'static str {
        PAGES.iter().find(|p| p.key == key).map(|p| p.text).unwrap()
    }

    fn sets(a: &str, b: &str) -> (BTreeSet<String>, BTreeSet<String>) {
        (shingles(page(a), 5), shingles(page(b), 5))
    }

    #[test]
    fn shingles_of_a_small_text() {
        // "The cat sat, the cat sat!" → words the cat sat the cat sat; 3-grams: "the cat sat",
        // "cat sat the", "sat the cat", "the cat sat" again → 3 distinct.
        let s = shingles("The cat sat, the cat sat!", 3);
        assert_eq!(s.len(), 3);
        assert!(s.contains("sat the cat"));
        assert_eq!(shingles("two words", 5).len(), 1);
    }

    /// Exact Jaccard of the planted pairs, computed independently in Python:
    /// words = re.findall(r"[^\W_]+", text.lower()); 5-gram sets; |A∩B| / |A∪B|:
    /// recipe/recipe-copy 87/105 = 0.8286, travel/travel-scraped 83/100 = 0.83,
    /// kettle/kettle-red 69/89 = 0.7753, cookies/cookies-2 17/31 = 0.5484,
    /// news/news-syndicated 52/104 = 0.5, water/water-essay 29/147 = 0.1973,
    /// forum/forum-repost and returns/returns-copy 1.0 (exact copies).
    #[test]
    fn planted_pairs_have_their_known_jaccard() {
        for (a, b, inter, union) in [
            ("recipe", "recipe-copy", 87, 105),
            ("travel", "travel-scraped", 83, 100),
            ("kettle", "kettle-red", 69, 89),
            ("cookies", "cookies-2", 17, 31),
            ("news", "news-syndicated", 52, 104),
            ("water", "water-essay", 29, 147),
            ("forum", "forum-repost", 79, 79),
            ("returns", "returns-copy", 74, 74),
        ] {
            let (x, y) = sets(a, b);
            assert_eq!(x.intersection(&y).count(), inter, "{a}/{b}");
            let j = jaccard(&x, &y);
            assert!(
                (j - inter as f64 / union as f64).abs() < 1e-12,
                "{a}/{b}: {j}"
            );
        }
    }

    /// With k hashes the estimate's std is sqrt(J(1−J)/k); over 20 seeds each estimate stays
    /// within 4 std (plus one slot of rounding) of the exact value, and their mean within
    /// 4·std/sqrt(20).
    #[test]
    fn minhash_estimates_jaccard_within_its_error() {
        let k = 112;
        for (a, b) in [
            ("recipe", "recipe-copy"),
            ("kettle", "kettle-red"),
            ("news", "news-syndicated"),
            ("water", "water-essay"),
        ] {
            let (x, y) = sets(a, b);
            let j = jaccard(&x, &y);
            let std = estimate_std(j, k);
            let mut sum = 0.0;
            for seed in 0..20 {
                let h = MinHasher::new(k, seed);
                let e = estimate(&h.signature(&x), &h.signature(&y));
                assert!(
                    (e - j).abs() <= 4.0 * std + 1.0 / k as f64,
                    "{a}/{b} seed {seed}: {e} vs {j}"
                );
                sum += e;
            }
            let mean = sum / 20.0;
            assert!(
                (mean - j).abs() <= 4.0 * std / 20f64.sqrt(),
                "{a}/{b}: {mean} vs {j}"
            );
        }
        // Identical sets agree on every slot.
        let (x, y) = sets("forum", "forum-repost");
        let h = MinHasher::new(k, 3);
        assert_eq!(estimate(&h.signature(&x), &h.signature(&y)), 1.0);
    }

    /// 1 − (1 − s^r)^b by hand (python3): b=14, r=8:
    /// s=0.75: 0.75**8 = 0.100113; 1 − 0.899887**14 = 0.77163
    /// s=0.5: 1 − (1 − 0.00390625)**14 = 0.05332; s=0.9: 1 − (1 − 0.430467)**14 = 0.99962.
    /// Threshold (1/14)**(1/8) = 0.71901.
    #[test]
    fn lsh_formula() {
        assert!((candidate_probability(0.75, 14, 8) - 0.77163).abs() < 1e-5);
        assert!((candidate_probability(0.5, 14, 8) - 0.05332).abs() < 1e-5);
        assert!((candidate_probability(0.9, 14, 8) - 0.99962).abs() < 1e-5);
        assert_eq!(candidate_probability(1.0, 14, 8), 1.0);
        assert_eq!(candidate_probability(0.0, 14, 8), 0.0);
        assert!((lsh_threshold(14, 8) - 0.71901).abs() < 1e-5);
    }

    #[test]
    fn lsh_finds_the_copies_and_not_the_strangers() {
        let h = MinHasher::new(112, 1);
        let sigs: Vec<Vec<u64>> = PAGES
            .iter()
            .map(|p| h.signature(&shingles(p.text, 5)))
            .collect();
        let pairs = lsh_candidates(&sigs, 14, 8);
        let idx = |k: &str| PAGES.iter().position(|p| p.key == k).unwrap();
        // Exact copies share every band; unrelated pages share none.
        assert!(pairs.contains(&(idx("forum"), idx("forum-repost"))));
        assert!(pairs.contains(&(idx("returns"), idx("returns-copy"))));
        assert!(!pairs.contains(&(idx("recipe"), idx("tyre"))));
        // A pair at J ≈ 0.2 is found with probability 1 − (1 − 0.2^8)^14 ≈ 3.6e-5.
        assert!(!pairs.contains(&(idx("water"), idx("water-essay"))));
    }
}

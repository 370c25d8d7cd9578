//! SplitMix64, the deterministic generator behind every seeded data set of the project: the demo
//! estate, the generated patch pairs of the property tests, the benchmarks' inputs. One copy, no
//! dependencies, so pure crates can use it in their tests and examples, and the same seed gives the
//! same data on every machine.

#![deny(missing_docs)]

/// A SplitMix64 stream (Steele, Lea and Flood, 2014): small, fast, good enough for test data, never
/// for anything secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// The stream of `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The stream of `seed` for the thing called `name` (FNV-1a of the name mixed in), so that one
    /// named thing's draws do not depend on how many another one made.
    pub fn for_name(seed: u64, name: &str) -> Self {
        let mut hash = 0xcbf2_9ce4_8422_2325u64;
        for b in name.bytes() {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        Self(seed ^ hash)
    }

    /// The next 64 random bits.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One of `items` (which must not be empty).
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    /// One of the values of `(value, weight)` pairs, with probability proportional to its weight.
    pub fn weighted<'a>(&mut self, choices: &[(&'a str, u64)]) -> &'a str {
        let total: u64 = choices.iter().map(|(_, w)| w).sum();
        let mut draw = self.below(total);
        for (value, weight) in choices {
            if draw < *weight {
                return value;
            }
            draw -= weight;
        }
        choices.first().map_or("", |(v, _)| v)
    }

    /// `items` in a random order (Fisher–Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }

    /// `len` random lower-case hex digits (at most 32).
    pub fn hex(&mut self, len: usize) -> String {
        let mut out = format!("{:016x}{:016x}", self.next(), self.next());
        out.truncate(len);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stream_is_splitmix64() {
        // Reference values of SplitMix64 seeded with 0 (Vigna's splitmix64.c).
        let mut r = SplitMix64::new(0);
        assert_eq!(r.next(), 0xe220_a839_7b1d_cdaf);
        assert_eq!(r.next(), 0x6e78_9e6a_a1b9_65f4);
    }

    #[test]
    fn draws_stay_in_bounds() {
        let mut r = SplitMix64::for_name(7, "bucket");
        for _ in 0..1_000 {
            assert!((3..=5).contains(&r.range(3, 5)));
            assert!(r.below(4) < 4);
            assert!(["a", "b"].contains(&r.weighted(&[("a", 1), ("b", 3)])));
        }
        assert_eq!(r.below(0), 0);
        assert_eq!(r.hex(12).len(), 12);
        let mut items = [1, 2, 3, 4];
        r.shuffle(&mut items);
        items.sort();
        assert_eq!(items, [1, 2, 3, 4]);
        assert_ne!(SplitMix64::for_name(7, "a"), SplitMix64::for_name(7, "b"));
    }
}

//! The seeded draws behind every plan: SplitMix64, one stream per bucket, so the same spec gives
//! the same estate on every machine and one bucket's draws do not depend on another's.

/// SplitMix64: small, fast and the same everywhere.
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64, name: &str) -> Self {
        // FNV-1a of the bucket name, so each bucket's draws do not depend on the others'.
        let mut hash = 0xcbf2_9ce4_8422_2325u64;
        for b in name.bytes() {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        Self(seed ^ hash)
    }

    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    pub(super) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }

    pub(super) fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.next() % items.len() as u64) as usize]
    }

    /// True `percent` times in a hundred.
    pub(super) fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    pub(super) fn hex(&mut self, len: usize) -> String {
        let mut out = format!("{:016x}{:016x}", self.next(), self.next());
        out.truncate(len);
        out
    }

    /// A storage class drawn from `(class, weight)` pairs.
    pub(super) fn weighted(&mut self, classes: &[(&'static str, u64)]) -> &'static str {
        let total: u64 = classes.iter().map(|(_, w)| w).sum();
        let mut draw = self.next() % total;
        for (class, weight) in classes {
            if draw < *weight {
                return class;
            }
            draw -= weight;
        }
        classes[0].0
    }
}

//! The bytes-by-storage-class chart's numbers, shared by the HTML and text parts.

use std::collections::BTreeMap;

/// One storage class's bar: its bytes and its share of all bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassShare {
    /// Storage class (`STANDARD`, `GLACIER`, ...).
    pub storage_class: String,
    /// Bytes in the class.
    pub bytes: u64,
    /// Share of all bytes in tenths of a percent; the shares of a chart add up to exactly 1000.
    pub tenths_of_percent: u32,
}

/// The chart's bars: classes holding bytes, largest first (ties by name), with shares that add up to
/// 100.0% exactly (largest-remainder rounding), so the printed percentages and bar widths agree.
pub fn storage_class_shares(bytes_by_class: &BTreeMap<String, u64>) -> Vec<ClassShare> {
    let mut classes: Vec<(&String, u64)> = bytes_by_class
        .iter()
        .filter(|(_, bytes)| **bytes > 0)
        .map(|(class, bytes)| (class, *bytes))
        .collect();
    classes.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let total: u128 = classes.iter().map(|(_, bytes)| u128::from(*bytes)).sum();
    if total == 0 {
        return Vec::new();
    }
    let mut shares: Vec<(u32, u128)> = classes
        .iter()
        .map(|(_, bytes)| {
            let scaled = u128::from(*bytes) * 1000;
            // scaled / total <= 1000: fits.
            (
                u32::try_from(scaled / total).unwrap_or(1000),
                scaled % total,
            )
        })
        .collect();
    let floor_sum: u32 = shares.iter().map(|(tenths, _)| *tenths).sum();
    let mut by_remainder: Vec<usize> = (0..shares.len()).collect();
    by_remainder.sort_by(|&a, &b| shares[b].1.cmp(&shares[a].1).then(a.cmp(&b)));
    for &index in by_remainder
        .iter()
        .take(1000usize.saturating_sub(floor_sum as usize))
    {
        shares[index].0 += 1;
    }
    classes
        .into_iter()
        .zip(shares)
        .map(|((class, bytes), (tenths, _))| ClassShare {
            storage_class: class.clone(),
            bytes,
            tenths_of_percent: tenths,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shares(classes: &[(&str, u64)]) -> Vec<ClassShare> {
        storage_class_shares(&classes.iter().map(|(c, b)| ((*c).into(), *b)).collect())
    }

    #[test]
    fn shares_add_up_to_exactly_one_hundred_percent() {
        for classes in [
            vec![("A", 1), ("B", 1), ("C", 1)],
            vec![
                ("A", 1),
                ("B", 1),
                ("C", 1),
                ("D", 1),
                ("E", 1),
                ("F", 1),
                ("G", 1),
            ],
            vec![("STANDARD", u64::MAX), ("GLACIER", u64::MAX), ("X", 1)],
            vec![("ONLY", 42)],
            vec![("A", 999_999), ("B", 1)],
        ] {
            let chart = shares(&classes);
            let sum: u32 = chart.iter().map(|s| s.tenths_of_percent).sum();
            assert_eq!(sum, 1000, "{chart:?}");
        }
    }

    #[test]
    fn largest_first_ties_by_name_and_empty_classes_dropped() {
        let chart = shares(&[("B", 10), ("A", 10), ("C", 30), ("Z", 0)]);
        let names: Vec<_> = chart.iter().map(|s| s.storage_class.as_str()).collect();
        assert_eq!(names, ["C", "A", "B"]);
        let tenths: Vec<_> = chart.iter().map(|s| s.tenths_of_percent).collect();
        assert_eq!(tenths, [600, 200, 200]);
        // A third each: 333.3 rounds so the first (largest remainder, then order) gets the spare tenth.
        let thirds: Vec<_> = shares(&[("A", 1), ("B", 1), ("C", 1)])
            .iter()
            .map(|s| s.tenths_of_percent)
            .collect();
        assert_eq!(thirds, [334, 333, 333]);
        assert!(shares(&[("A", 0)]).is_empty());
        assert!(shares(&[]).is_empty());
    }
}

//! What the scanned buckets' storage costs a month: each bucket's billed bytes per storage class
//! (from its figures, S3's minimum sizes and archive overheads applied) times a price table.
//!
//! The built-in table (`data/s3-storage-prices.json`) holds AWS's list prices with their source and
//! date; a region it does not list is priced as its default region, and the report says so. An
//! operator's table (the Harvester input's `storage_prices`) replaces prices class by class.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::report::BucketReport;

const BUILTIN_PRICES: &str = include_str!("../data/s3-storage-prices.json");

/// Bytes in the GB of S3's GB-month.
const GB: f64 = (1u64 << 30) as f64;

/// An amount to a hundredth of a cent: what `summary.json` states.
fn round_usd(amount: f64) -> f64 {
    (amount * 10_000.0).round() / 10_000.0
}

/// USD per GB-month per region and billed storage class, and the Intelligent-Tiering monitoring fee.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceTable {
    /// Where the prices come from.
    pub source: String,
    /// When they were read (`YYYY-MM`).
    pub date: String,
    /// The region whose prices stand in for a region the table does not list.
    pub default_region: String,
    /// Region → billed storage class (as in `BucketFigures::billed_bytes_by_storage_class`) → USD per
    /// GB-month.
    pub regions: BTreeMap<String, BTreeMap<String, f64>>,
    /// USD per 1,000 objects monitored by Intelligent-Tiering (128 KiB and larger) per month.
    pub intelligent_tiering_monitoring_per_1000_objects: f64,
}

impl PriceTable {
    /// The table kept in the repository.
    pub fn builtin() -> &'static PriceTable {
        static TABLE: OnceLock<PriceTable> = OnceLock::new();
        TABLE.get_or_init(|| {
            serde_json::from_str(BUILTIN_PRICES).expect("data/s3-storage-prices.json is valid")
        })
    }

    /// `source, date`, as the report names the table.
    pub fn label(&self) -> String {
        format!("{}, {}", self.source, self.date)
    }

    /// The price of `class` in `region`, and whether it is the default region's.
    fn price(&self, region: &str, class: &str) -> Option<(f64, bool)> {
        if let Some(price) = self.regions.get(region).and_then(|r| r.get(class)) {
            return Some((*price, false));
        }
        let fallback = self.regions.get(&self.default_region)?.get(class)?;
        Some((*fallback, region != self.default_region))
    }
}

/// The run's monthly storage cost, as `summary.json`'s `cost`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostReport {
    /// The estate's storage per month, USD.
    pub monthly_usd: f64,
    /// The price table used: `source, date`.
    pub price_table: String,
    /// Per storage class (billed class names), USD per month, over every bucket.
    pub by_storage_class: BTreeMap<String, f64>,
    /// Per bucket with figures, most expensive first.
    pub buckets: Vec<BucketCost>,
    /// What the estimate could not price or priced by stand-in, in words.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// One bucket's monthly storage cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BucketCost {
    /// Owning account id.
    pub account: String,
    /// The bucket's region.
    pub region: String,
    /// Bucket name.
    pub bucket: String,
    /// USD per month: storage plus Intelligent-Tiering monitoring.
    pub monthly_usd: f64,
}

/// The monthly storage cost of the buckets with figures, priced by `table`.
pub fn estimate(buckets: &[BucketReport], table: &PriceTable) -> CostReport {
    let mut by_storage_class = BTreeMap::new();
    let mut unpriced: BTreeMap<String, u64> = BTreeMap::new();
    let mut stand_in: BTreeMap<String, ()> = BTreeMap::new();
    let mut costs = Vec::new();
    for bucket in buckets {
        let Some(figures) = &bucket.figures else {
            continue;
        };
        let mut monthly = 0.0;
        for (class, bytes) in &figures.billed_bytes_by_storage_class {
            match table.price(&bucket.region, class) {
                Some((price, by_default)) => {
                    let usd = *bytes as f64 / GB * price;
                    monthly += usd;
                    *by_storage_class.entry(class.clone()).or_insert(0.0) += usd;
                    if by_default {
                        stand_in.insert(bucket.region.clone(), ());
                    }
                }
                None => *unpriced.entry(class.clone()).or_insert(0) += bytes,
            }
        }
        let monitoring = figures.monitored_versions as f64 / 1000.0
            * table.intelligent_tiering_monitoring_per_1000_objects;
        if monitoring > 0.0 {
            monthly += monitoring;
            *by_storage_class
                .entry("INTELLIGENT_TIERING monitoring".to_owned())
                .or_insert(0.0) += monitoring;
        }
        costs.push(BucketCost {
            account: bucket.account.clone(),
            region: bucket.region.clone(),
            bucket: bucket.bucket.clone(),
            monthly_usd: round_usd(monthly),
        });
    }
    costs.sort_by(|a, b| {
        b.monthly_usd.total_cmp(&a.monthly_usd).then_with(|| {
            (&a.account, &a.region, &a.bucket).cmp(&(&b.account, &b.region, &b.bucket))
        })
    });
    let mut notes: Vec<String> = stand_in
        .into_keys()
        .map(|region| {
            format!(
                "{region} is priced as {} (the price table has no prices for it)",
                table.default_region
            )
        })
        .collect();
    notes.extend(unpriced.into_iter().map(|(class, bytes)| {
        format!("{bytes} bytes in storage class {class} are not priced (not in the price table)")
    }));
    for usd in by_storage_class.values_mut() {
        *usd = round_usd(*usd);
    }
    CostReport {
        monthly_usd: round_usd(costs.iter().map(|c| c.monthly_usd).sum()),
        price_table: table.label(),
        by_storage_class,
        buckets: costs,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BucketFigures, BucketStatus};

    fn bucket(region: &str, name: &str, billed: &[(&str, u64)], monitored: u64) -> BucketReport {
        BucketReport {
            account: "111111111111".into(),
            region: region.into(),
            bucket: name.into(),
            status: BucketStatus::Done,
            reason: None,
            figures: Some(BucketFigures {
                billed_bytes_by_storage_class: billed
                    .iter()
                    .map(|(class, bytes)| ((*class).to_owned(), *bytes))
                    .collect(),
                monitored_versions: monitored,
                ..BucketFigures::default()
            }),
        }
    }

    const GIB: u64 = 1 << 30;

    #[test]
    fn buckets_are_priced_per_billed_class_most_expensive_first() {
        let buckets = [
            bucket("us-east-1", "cold", &[("DEEP_ARCHIVE", 1000 * GIB)], 0),
            bucket(
                "us-east-1",
                "hot",
                &[
                    ("STANDARD", 100 * GIB),
                    ("INTELLIGENT_TIERING/INFREQUENT", 10 * GIB),
                ],
                4000,
            ),
        ];
        let cost = estimate(&buckets, PriceTable::builtin());
        // 100 GiB x 0.023 + 10 GiB x 0.0125 + 4,000 monitored objects x 0.0025 / 1,000.
        assert_eq!(cost.buckets[0].bucket, "hot");
        assert_eq!(cost.buckets[0].monthly_usd, 2.435);
        assert_eq!(cost.buckets[1].monthly_usd, 0.99);
        assert_eq!(cost.monthly_usd, 3.425);
        assert_eq!(cost.by_storage_class["DEEP_ARCHIVE"], 0.99);
        assert_eq!(
            cost.by_storage_class["INTELLIGENT_TIERING monitoring"],
            0.01
        );
        assert!(cost.notes.is_empty(), "{:?}", cost.notes);
        assert!(cost.price_table.contains("2026-06"));
    }

    #[test]
    fn a_region_or_class_the_table_lacks_is_said() {
        let buckets = [
            bucket("eu-central-1", "elsewhere", &[("STANDARD", GIB)], 0),
            bucket("us-east-1", "odd", &[("UNKNOWN", 5), ("STANDARD", GIB)], 0),
        ];
        let cost = estimate(&buckets, PriceTable::builtin());
        assert_eq!(cost.monthly_usd, 0.046);
        assert_eq!(
            cost.notes,
            [
                "eu-central-1 is priced as us-east-1 (the price table has no prices for it)",
                "5 bytes in storage class UNKNOWN are not priced (not in the price table)",
            ]
        );
    }

    #[test]
    fn a_region_the_table_lists_uses_its_own_prices() {
        let mut table = PriceTable::builtin().clone();
        table.regions.insert(
            "eu-central-1".into(),
            BTreeMap::from([("STANDARD".into(), 0.0245)]),
        );
        let cost = estimate(
            &[bucket("eu-central-1", "b", &[("STANDARD", 2 * GIB)], 0)],
            &table,
        );
        assert_eq!(cost.monthly_usd, 0.049);
        assert!(cost.notes.is_empty());
    }

    #[test]
    fn every_class_s3_bills_has_a_builtin_price() {
        let table = PriceTable::builtin();
        let prices = &table.regions[&table.default_region];
        for class in [
            "STANDARD",
            "INTELLIGENT_TIERING",
            "INTELLIGENT_TIERING/FREQUENT",
            "INTELLIGENT_TIERING/INFREQUENT",
            "INTELLIGENT_TIERING/ARCHIVE_INSTANT_ACCESS",
            "INTELLIGENT_TIERING/ARCHIVE",
            "INTELLIGENT_TIERING/DEEP_ARCHIVE",
            "STANDARD_IA",
            "ONEZONE_IA",
            "GLACIER_IR",
            "GLACIER",
            "DEEP_ARCHIVE",
            "REDUCED_REDUNDANCY",
            "EXPRESS_ONEZONE",
        ] {
            assert!(prices.get(class).is_some_and(|p| *p > 0.0), "{class}");
        }
    }
}

//! What the scanned buckets' storage costs a month: each bucket's billed bytes per storage class
//! (from its figures, S3's minimum sizes and archive overheads applied) times a price table.
//!
//! Savings come from the built-in queries that find what lifecycle rules could remove or move:
//! noncurrent versions to expire, cold STANDARD objects to transition, small objects kept where a
//! class bills them a minimum size (see [`savings`]).
//!
//! The built-in table (`data/s3-storage-prices.json`) holds AWS's list prices with their source and
//! date; a region it does not list is priced as its default region, and the report says so. An
//! operator's table (the Harvester input's `storage_prices`) replaces prices class by class.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use consolidation::billed_bytes;

use crate::catalogue::{COLD_AFTER_DAYS, NONCURRENT_EXPIRY_DAYS};
use crate::report::{BucketReport, QueryReport, QueryState};

const BUILTIN_PRICES: &str = include_str!("../data/s3-storage-prices.json");

/// Every billed storage class the figures count and a price table may price.
pub const PRICED_CLASSES: &[&str] = &[
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
];

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
    /// What concrete actions would save a month, most first.
    pub savings: Vec<Saving>,
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

impl CostReport {
    /// What the savings would save a month together.
    pub fn savings_monthly_usd(&self) -> f64 {
        self.savings.iter().map(|s| s.monthly_usd).sum()
    }
}

/// One action the inventory justifies, and what it would save a month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Saving {
    /// `expire_noncurrent_versions`, `transition_cold_standard` or `move_small_objects`.
    pub action: String,
    /// Owning account id.
    pub account: String,
    /// The bucket's region.
    pub region: String,
    /// Bucket name.
    pub bucket: String,
    /// USD saved per month.
    pub monthly_usd: f64,
    /// What to do and what the figure rests on.
    pub detail: String,
}

/// The monthly storage cost of the buckets with figures, and the savings the queries' results
/// justify, priced by `table`.
pub fn estimate(
    buckets: &[BucketReport],
    queries: &[QueryReport],
    table: &PriceTable,
) -> CostReport {
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
                "{region} is priced as {} where the price table has no price for it",
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
    let (savings, saving_notes) = savings(queries, table);
    notes.extend(saving_notes);
    CostReport {
        monthly_usd: round_usd(costs.iter().map(|c| c.monthly_usd).sum()),
        price_table: table.label(),
        by_storage_class,
        buckets: costs,
        savings,
        notes,
    }
}

/// The built-in queries the savings are priced from.
const SAVINGS_QUERIES: [&str; 3] = [
    "noncurrent_versions_to_expire",
    "cold_standard_objects",
    "small_objects_in_archive_classes",
];

/// A query's succeeded result as rows of named values.
struct Rows<'a>(&'a QueryReport);

impl<'a> Rows<'a> {
    fn of(queries: &'a [QueryReport], name: &str) -> Option<Self> {
        queries
            .iter()
            .find(|q| q.builtin && q.name == name && q.state == QueryState::Succeeded)
            .map(Rows)
    }

    fn each(&self) -> impl Iterator<Item = Row<'a>> + '_ {
        self.0.rows.iter().map(|row| Row {
            columns: &self.0.columns,
            row,
        })
    }
}

struct Row<'a> {
    columns: &'a [String],
    row: &'a [Option<String>],
}

impl Row<'_> {
    fn text(&self, column: &str) -> &str {
        self.columns
            .iter()
            .position(|c| c == column)
            .and_then(|i| self.row.get(i)?.as_deref())
            .unwrap_or_default()
    }

    fn number(&self, column: &str) -> u64 {
        self.text(column).parse().unwrap_or(0)
    }
}

/// A saving for one bucket, from one result row.
fn saving(action: &str, row: &Row<'_>, monthly_usd: f64, detail: String) -> Saving {
    Saving {
        action: action.to_owned(),
        account: row.text("account").to_owned(),
        region: row.text("region").to_owned(),
        bucket: row.text("bucket").to_owned(),
        monthly_usd: round_usd(monthly_usd),
        detail,
    }
}

/// USD per month of `bytes` in `class` of `region` (0 when the table has no price).
fn monthly(table: &PriceTable, region: &str, class: &str, bytes: u64) -> f64 {
    table
        .price(region, class)
        .map_or(0.0, |(price, _)| bytes as f64 / GB * price)
}

/// The savings of the actions the built-in queries' results justify, most first, and notes on
/// what could not be estimated.
pub fn savings(queries: &[QueryReport], table: &PriceTable) -> (Vec<Saving>, Vec<String>) {
    let mut savings = expire_noncurrent_versions(queries, table);
    savings.extend(transition_cold_standard(queries, table));
    savings.extend(move_small_objects(queries, table));
    savings.retain(|s| s.monthly_usd > 0.0);
    savings.sort_by(|a, b| {
        b.monthly_usd.total_cmp(&a.monthly_usd).then_with(|| {
            (&a.action, &a.account, &a.region, &a.bucket)
                .cmp(&(&b.action, &b.account, &b.region, &b.bucket))
        })
    });
    (savings, savings_notes(queries))
}

/// `noncurrent_versions_to_expire`'s rows summed per bucket: what they are billed where they are.
fn expire_noncurrent_versions(queries: &[QueryReport], table: &PriceTable) -> Vec<Saving> {
    let mut expired: BTreeMap<(String, String, String), (f64, u64, u64)> = BTreeMap::new();
    if let Some(rows) = Rows::of(queries, "noncurrent_versions_to_expire") {
        for row in rows.each() {
            let (versions, bytes) = (row.number("versions"), row.number("bytes"));
            let class = row.text("storage_class");
            let region = row.text("region");
            let (in_class, as_standard) = billed_bytes(class, versions, bytes);
            let usd = monthly(table, region, class, in_class)
                + monthly(table, region, "STANDARD", as_standard);
            let key = (
                row.text("account").to_owned(),
                region.to_owned(),
                row.text("bucket").to_owned(),
            );
            let entry = expired.entry(key).or_default();
            *entry = (entry.0 + usd, entry.1 + versions, entry.2 + bytes);
        }
    }
    expired
        .into_iter()
        .map(
            |((account, region, bucket), (usd, versions, bytes))| Saving {
                action: "expire_noncurrent_versions".to_owned(),
                account,
                region,
                bucket,
                monthly_usd: round_usd(usd),
                detail: format!(
                "{versions} versions ({bytes} bytes) noncurrent for more than \
                 {NONCURRENT_EXPIRY_DAYS} days: a lifecycle rule with \
                 NoncurrentVersionExpiration (NoncurrentDays {NONCURRENT_EXPIRY_DAYS}) deletes them"
            ),
            },
        )
        .collect()
}

/// `cold_standard_objects`' rows: STANDARD less STANDARD_IA.
fn transition_cold_standard(queries: &[QueryReport], table: &PriceTable) -> Vec<Saving> {
    let Some(rows) = Rows::of(queries, "cold_standard_objects") else {
        return Vec::new();
    };
    rows.each()
        .map(|row| {
            let (objects, bytes) = (row.number("objects"), row.number("bytes"));
            let region = row.text("region");
            let usd = monthly(table, region, "STANDARD", bytes)
                - monthly(table, region, "STANDARD_IA", bytes);
            let detail = format!(
                "{objects} objects ({bytes} bytes) in STANDARD, 128 KiB or larger, not modified \
                 for {COLD_AFTER_DAYS} days: a lifecycle transition to STANDARD_IA (or \
                 Intelligent-Tiering) if they are rarely read; the inventory cannot tell reads, \
                 and STANDARD_IA bills retrievals and one transition request per object"
            );
            saving("transition_cold_standard", &row, usd, detail)
        })
        .collect()
}

/// `small_objects_in_archive_classes`' rows: what they are billed there less what STANDARD would.
fn move_small_objects(queries: &[QueryReport], table: &PriceTable) -> Vec<Saving> {
    let Some(rows) = Rows::of(queries, "small_objects_in_archive_classes") else {
        return Vec::new();
    };
    rows.each()
        .map(|row| {
            let (versions, bytes) = (row.number("versions"), row.number("bytes"));
            let (class, region) = (row.text("storage_class"), row.text("region"));
            let (in_class, as_standard) = billed_bytes(class, versions, bytes);
            let usd = monthly(table, region, class, in_class)
                + monthly(table, region, "STANDARD", as_standard)
                - monthly(table, region, "STANDARD", bytes);
            let detail = format!(
                "{versions} versions under 128 KiB ({bytes} bytes) in {class}, billed at least \
                 {in_class} bytes there: keep them in STANDARD (a lifecycle filter \
                 ObjectSizeGreaterThan 131072) or aggregate them"
            );
            saving("move_small_objects", &row, usd, detail)
        })
        .collect()
}

/// What the savings leave out: rows a query found beyond those kept, and Bucket Keys.
fn savings_notes(queries: &[QueryReport]) -> Vec<String> {
    let mut notes = Vec::new();
    for name in SAVINGS_QUERIES {
        if Rows::of(queries, name).is_some_and(|r| r.0.truncated) {
            notes.push(format!(
                "{name} found more rows than the report keeps: its savings are those of the rows \
                 kept (the largest), a lower bound; the query in Athena has them all"
            ));
        }
    }
    if Rows::of(queries, "kms_without_bucket_key").is_some_and(|r| !r.0.rows.is_empty()) {
        notes.push(
            "SSE-KMS objects without a Bucket Key (see the query): the KMS requests a Bucket Key \
             saves are not in the inventory, so that saving is not estimated"
                .to_owned(),
        );
    }
    notes
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
        let cost = estimate(&buckets, &[], PriceTable::builtin());
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
        let cost = estimate(&buckets, &[], PriceTable::builtin());
        assert_eq!(cost.monthly_usd, 0.046);
        assert_eq!(
            cost.notes,
            [
                "eu-central-1 is priced as us-east-1 where the price table has no price for it",
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
            &[],
            &table,
        );
        assert_eq!(cost.monthly_usd, 0.049);
        assert!(cost.notes.is_empty());
    }

    fn result(name: &str, columns: &[&str], rows: &[&[&str]]) -> QueryReport {
        QueryReport::succeeded(name, columns, rows)
    }

    #[test]
    fn savings_are_priced_from_the_queries_most_first() {
        let gib = GIB.to_string();
        let ten_gib = (10 * GIB).to_string();
        let per_class = [
            "account",
            "region",
            "bucket",
            "storage_class",
            "versions",
            "bytes",
        ];
        let queries = [
            // 10 GiB of noncurrent STANDARD and 1,000 tiny noncurrent GLACIER versions in "a".
            result(
                "noncurrent_versions_to_expire",
                &per_class,
                &[
                    &["1", "us-east-1", "a", "STANDARD", "5", &ten_gib],
                    &["1", "us-east-1", "a", "GLACIER", "1000", "1000"],
                ],
            ),
            // 1 GiB of cold STANDARD in "b".
            result(
                "cold_standard_objects",
                &["account", "region", "bucket", "objects", "bytes"],
                &[&["1", "us-east-1", "b", "3", &gib]],
            ),
            // 8,192 objects of 1 KiB in STANDARD_IA in "c": billed 1 GiB there.
            result(
                "small_objects_in_archive_classes",
                &per_class,
                &[&["1", "us-east-1", "c", "STANDARD_IA", "8192", "8388608"]],
            ),
            result("kms_without_bucket_key", &["bucket"], &[&["d"]]),
        ];
        let (savings, notes) = savings(&queries, PriceTable::builtin());
        let found: Vec<(&str, &str, f64)> = savings
            .iter()
            .map(|s| (s.action.as_str(), s.bucket.as_str(), s.monthly_usd))
            .collect();
        // a: 10 GiB x 0.023 + (1000 B + 1000 x 32 KiB) x 0.0036 + 1000 x 8 KiB x 0.023.
        // c: 1 GiB x 0.0125 - 8 MiB x 0.023. b: 1 GiB x (0.023 - 0.0125).
        assert_eq!(
            found,
            [
                ("expire_noncurrent_versions", "a", 0.2303),
                ("move_small_objects", "c", 0.0123),
                ("transition_cold_standard", "b", 0.0105),
            ]
        );
        assert!(
            savings[0].detail.contains("NoncurrentDays 30"),
            "{}",
            savings[0].detail
        );
        assert_eq!(
            notes.len(),
            1,
            "the Bucket Key saving is said to be unmeasured"
        );
    }

    #[test]
    fn a_truncated_query_makes_its_savings_a_lower_bound() {
        let mut cold = result(
            "cold_standard_objects",
            &["account", "region", "bucket", "objects", "bytes"],
            &[&["1", "us-east-1", "b", "3", "1073741824"]],
        );
        cold.truncated = true;
        let (savings, notes) = savings(&[cold], PriceTable::builtin());
        assert_eq!(savings.len(), 1);
        assert_eq!(notes.len(), 1);
        assert!(
            notes[0].starts_with("cold_standard_objects found more rows"),
            "{notes:?}"
        );
    }

    #[test]
    fn a_failed_query_gives_no_saving() {
        let mut failed = result(
            "cold_standard_objects",
            &["account", "region", "bucket", "objects", "bytes"],
            &[&["1", "us-east-1", "b", "3", "1073741824"]],
        );
        failed.state = QueryState::Failed;
        assert_eq!(savings(&[failed], PriceTable::builtin()), (vec![], vec![]));
    }

    #[test]
    fn every_class_s3_bills_has_a_builtin_price() {
        let table = PriceTable::builtin();
        let prices = &table.regions[&table.default_region];
        for class in PRICED_CLASSES {
            assert!(prices.get(*class).is_some_and(|p| *p > 0.0), "{class}");
        }
        assert_eq!(
            prices.len(),
            PRICED_CLASSES.len(),
            "no price for a class never billed"
        );
    }
}

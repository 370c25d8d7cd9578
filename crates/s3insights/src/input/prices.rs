//! `storage_prices`: the operator's storage prices, which replace the built-in table's
//! (`crate::cost::PriceTable::builtin`) region by region and class by class.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};

use super::partitions::Partition;
use super::{kind, shown, Collector};
use crate::cost::{PriceTable, PRICED_CLASSES};

/// The operator's prices, as given (validated).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StoragePrices {
    /// Where the prices come from (e.g. "our EDP rates").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// When they were set (free text, e.g. `2026-11`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Region → billed storage class → USD per GB-month.
    #[serde(default)]
    pub regions: BTreeMap<String, BTreeMap<String, Number>>,
    /// USD per 1,000 objects monitored by Intelligent-Tiering per month.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intelligent_tiering_monitoring_per_1000_objects: Option<Number>,
}

impl StoragePrices {
    /// `table` with these prices in place of its own.
    pub fn applied_to(&self, table: &PriceTable) -> PriceTable {
        let mut out = table.clone();
        for (region, classes) in &self.regions {
            let prices = out.regions.entry(region.clone()).or_default();
            for (class, price) in classes {
                prices.insert(class.clone(), price.as_f64().unwrap_or_default());
            }
        }
        if let Some(fee) = &self.intelligent_tiering_monitoring_per_1000_objects {
            out.intelligent_tiering_monitoring_per_1000_objects = fee.as_f64().unwrap_or_default();
        }
        out.source = format!(
            "{} (with the operator's prices{})",
            table.source,
            self.source
                .as_deref()
                .map(|s| format!(": {s}"))
                .unwrap_or_default()
        );
        if let Some(date) = &self.date {
            out.date = format!("{}; operator's prices {date}", table.date);
        }
        out
    }
}

const FIELD: &str = "storage_prices";
const KEYS: [&str; 4] = [
    "source",
    "date",
    "regions",
    "intelligent_tiering_monitoring_per_1000_objects",
];
/// Most characters of `source` and `date`: they are shown in the report.
const MAX_LABEL_CHARS: usize = 200;
/// A price above this (USD per GB-month) is surely a mistake (S3's dearest class costs ~$0.11).
const MAX_PRICE: f64 = 10.0;

/// `storage_prices`, if given: every problem added to `c`.
pub(super) fn storage_prices(
    object: &Map<String, Value>,
    partition: &Partition,
    c: &mut Collector,
) -> Option<StoragePrices> {
    let given = match object.get(FIELD) {
        None | Some(Value::Null) => return None,
        Some(Value::Object(given)) => given,
        Some(other) => {
            c.add(FIELD, format!("must be an object, got {}", kind(other)));
            return None;
        }
    };
    for key in given.keys().filter(|k| !KEYS.contains(&k.as_str())) {
        c.add(
            format!("{FIELD}.{key}"),
            format!("unknown field (known fields: {})", KEYS.join(", ")),
        );
    }
    let mut prices = StoragePrices {
        source: label(given, "source", c),
        date: label(given, "date", c),
        ..StoragePrices::default()
    };
    match given.get("regions") {
        None | Some(Value::Null) => {}
        Some(Value::Object(regions)) => {
            for (region, classes) in regions {
                let at = format!("{FIELD}.regions.{region}");
                if !partition.has_region(region) {
                    c.add(at.clone(), "is not a region of this partition");
                }
                prices
                    .regions
                    .insert(region.clone(), class_prices(classes, &at, c));
            }
        }
        Some(other) => c.add(
            format!("{FIELD}.regions"),
            format!("must be an object of region names, got {}", kind(other)),
        ),
    }
    let fee = "intelligent_tiering_monitoring_per_1000_objects";
    prices.intelligent_tiering_monitoring_per_1000_objects = given
        .get(fee)
        .and_then(|v| price(v, &format!("{FIELD}.{fee}"), c));
    Some(prices)
}

fn label(given: &Map<String, Value>, key: &str, c: &mut Collector) -> Option<String> {
    match given.get(key)? {
        Value::String(s) if !s.trim().is_empty() && s.chars().count() <= MAX_LABEL_CHARS => {
            Some(s.clone())
        }
        other => {
            c.add(
                format!("{FIELD}.{key}"),
                format!(
                    "must be text of 1 to {MAX_LABEL_CHARS} characters, got {}",
                    shown(other)
                ),
            );
            None
        }
    }
}

fn class_prices(classes: &Value, at: &str, c: &mut Collector) -> BTreeMap<String, Number> {
    let Value::Object(classes) = classes else {
        c.add(
            at,
            format!(
                "must be an object of storage classes and prices, got {}",
                kind(classes)
            ),
        );
        return BTreeMap::new();
    };
    let mut out = BTreeMap::new();
    for (class, value) in classes {
        let at = format!("{at}.{class}");
        if !PRICED_CLASSES.contains(&class.as_str()) {
            c.add(
                at.clone(),
                format!(
                    "unknown storage class (known: {})",
                    PRICED_CLASSES.join(", ")
                ),
            );
        }
        if let Some(price) = price(value, &at, c) {
            out.insert(class.clone(), price);
        }
    }
    out
}

fn price(value: &Value, at: &str, c: &mut Collector) -> Option<Number> {
    match value {
        Value::Number(n) if n.as_f64().is_some_and(|p| (0.0..=MAX_PRICE).contains(&p)) => {
            Some(n.clone())
        }
        other => {
            c.add(
                at,
                format!(
                    "must be a price in USD from 0 to {MAX_PRICE}, got {}",
                    shown(other)
                ),
            );
            None
        }
    }
}

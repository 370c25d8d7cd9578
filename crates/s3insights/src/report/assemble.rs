//! A run's report from its stored state: the run record, its input, its buckets, its accounts and
//! its queries' outcomes, as the report function reads them.

use chrono::{DateTime, Utc};

use super::comparison::compare;
use super::{AthenaReport, BucketReport, QueryReport, RunOutcome, RunReport};
use crate::cost::{estimate, PriceTable};
use crate::input::HarvesterInput;
use crate::state::{AccountRecord, BucketRecord, RunRecord, RunStatus};

/// What the state table and the consolidated bucket hold of a run.
#[derive(Debug, Clone)]
pub struct StoredRun {
    /// The run record.
    pub run: RunRecord,
    /// The validated input.
    pub input: HarvesterInput,
    /// Every bucket of the run.
    pub buckets: Vec<BucketRecord>,
    /// Every account of the run.
    pub accounts: Vec<AccountRecord>,
    /// The queries' outcomes (none if the analysis never wrote them).
    pub queries: Vec<QueryReport>,
}

/// Where the report is made: the deployment's name and the region its queries ran in.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    /// `DeploymentName`.
    pub deployment: &'a str,
    /// The host region.
    pub region: &'a str,
}

/// The run's report, made at `now`: buckets sorted by account, region and name; notes from the run
/// and from its accounts (unreachable ones, excluded buckets, buckets in other regions).
pub fn assemble(stored: &StoredRun, origin: Origin<'_>, now: DateTime<Utc>) -> RunReport {
    let run = &stored.run;
    let mut buckets: Vec<BucketReport> = stored
        .buckets
        .iter()
        .map(|b| BucketReport {
            account: b.account.clone(),
            region: b.region.clone(),
            bucket: b.bucket.clone(),
            status: b.status,
            reason: b.reason.clone(),
            figures: b.figures.clone(),
        })
        .collect();
    buckets.sort_by(|a, b| {
        (&a.account, &a.region, &a.bucket).cmp(&(&b.account, &b.region, &b.bucket))
    });
    let mut notes = run.notes.clone();
    notes.extend(stored.accounts.iter().flat_map(account_notes));
    // A smoke test's figures describe a sample, not what the buckets hold.
    let cost = (!run.is_smoke_test && buckets.iter().any(|b| b.figures.is_some())).then(|| {
        let table = match &stored.input.storage_prices {
            Some(operator) => operator.applied_to(PriceTable::builtin()),
            None => PriceTable::builtin().clone(),
        };
        estimate(&buckets, &stored.queries, &table)
    });
    RunReport {
        run_id: run.run_id.clone(),
        deployment: origin.deployment.to_string(),
        outcome: if run.status == RunStatus::Failed {
            RunOutcome::Failed
        } else {
            RunOutcome::Succeeded
        },
        cause: run.cause.clone(),
        started_at: DateTime::parse_from_rfc3339(&run.created_at)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or(now),
        finished_at: now,
        is_smoke_test: run.is_smoke_test,
        // The run's accounts: those listed and those read from the organization.
        accounts: stored
            .input
            .run_accounts()
            .unwrap_or_else(|_| stored.input.accounts.clone())
            .into_iter()
            .map(|a| a.id)
            .collect(),
        unreachable_accounts: stored
            .accounts
            .iter()
            .filter(|a| a.status == "unreachable")
            .map(|a| a.account.clone())
            .collect(),
        regions: run.regions.clone(),
        athena: AthenaReport {
            database: run.database.clone(),
            table: run.table.clone(),
            region: origin.region.to_string(),
        },
        buckets,
        queries: stored.queries.clone(),
        comparison: None,
        comparison_reason: Some(NOT_COMPARED.to_owned()),
        cost,
        notes,
        input: serde_json::to_value(&stored.input).unwrap_or_default(),
    }
}

/// What the report says of one account, if anything.
fn account_notes(account: &AccountRecord) -> Vec<String> {
    let mut notes = Vec::new();
    if account.status == "unreachable" {
        notes.push(format!(
            "Account {} could not be reached, none of its buckets were inventoried: {}",
            account.account,
            account.reason.as_deref().unwrap_or("no reason given")
        ));
    }
    if account.excluded > 0 || account.other_regions > 0 {
        notes.push(format!(
            "Account {}: {} bucket(s) excluded (input or this deployment's own), {} in regions the run does not cover",
            account.account, account.excluded, account.other_regions
        ));
    }
    notes
}

/// Why a report has no comparison until [`with_previous_run`] found one.
const NOT_COMPARED: &str = "no earlier report was looked at";

/// `report` compared with `previous`, the latest earlier report [`super::comparable`] allows, if
/// any; `read` is how many earlier reports were looked at, for the reason when none was.
pub fn with_previous_run(report: &mut RunReport, previous: Option<&RunReport>, read: usize) {
    match previous {
        Some(previous) => {
            report.comparison = Some(compare(report, previous));
            report.comparison_reason = None;
        }
        None => {
            report.comparison = None;
            report.comparison_reason = Some(format!(
                "no earlier successful run of this deployment covered these accounts and regions \
                 ({read} earlier reports read)"
            ));
        }
    }
}

/// The note a run keeps when its report email could not be sent (the report itself is stored).
pub fn email_not_sent(reason: &str) -> String {
    format!("The report email was not sent: {reason}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BucketStatus;
    use chrono::TimeZone;
    use serde_json::json;

    fn stored() -> StoredRun {
        let raw = json!({
            "run_id": "r1",
            "accounts": [{"id": "000000000000"}, {"id": "111111111111"}],
            "sender_email_address": "a@example.com",
            "recipient_email_addresses": ["b@example.com"],
            "supported_regions": ["us-east-1"],
        });
        let rules = crate::catalogue::input_rules(crate::input::partition_of("us-east-1"));
        let input = crate::input::validate(&raw, &rules).expect("valid input");
        let created = Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap();
        let mut run = crate::run::first_record(&input, "exec", created);
        run.notes.push("from the ledger".into());
        let bucket = |account: &str, name: &str| {
            let mut b = crate::configuration::first_record("r1", account, "us-east-1", name, "t");
            b.status = BucketStatus::Done;
            b
        };
        StoredRun {
            run,
            input,
            buckets: vec![
                bucket("111111111111", "a"),
                bucket("000000000000", "z"),
                bucket("000000000000", "b"),
            ],
            accounts: vec![
                AccountRecord {
                    account: "000000000000".into(),
                    status: "configured".into(),
                    excluded: 2,
                    ..Default::default()
                },
                AccountRecord {
                    account: "111111111111".into(),
                    status: "unreachable".into(),
                    reason: Some("AccessDenied".into()),
                    ..Default::default()
                },
            ],
            queries: Vec::new(),
        }
    }

    #[test]
    fn the_report_sorts_buckets_and_gathers_every_note() {
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 11, 0, 0).unwrap();
        let origin = Origin {
            deployment: "s3i",
            region: "eu-west-1",
        };
        let report = assemble(&stored(), origin, now);
        let names: Vec<&str> = report.buckets.iter().map(|b| b.bucket.as_str()).collect();
        assert_eq!(names, ["b", "z", "a"]);
        assert_eq!(report.outcome, RunOutcome::Succeeded);
        assert_eq!(
            report.started_at,
            Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap()
        );
        assert_eq!(report.finished_at, now);
        assert_eq!(report.accounts, ["000000000000", "111111111111"]);
        assert_eq!(report.athena.region, "eu-west-1");
        assert_eq!(report.deployment, "s3i");
        assert_eq!(report.notes.len(), 3, "{:?}", report.notes);
        assert_eq!(report.notes[0], "from the ledger");
        assert!(report.notes[1].contains("2 bucket(s) excluded"));
        assert!(
            report.notes[2].contains("could not be reached")
                && report.notes[2].contains("AccessDenied")
        );
        assert_eq!(report.input["run_id"], "r1");
    }

    #[test]
    fn the_cost_uses_the_operator_prices_and_skips_smoke_tests() {
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 11, 0, 0).unwrap();
        let origin = Origin {
            deployment: "s3i",
            region: "us-east-1",
        };
        let mut stored = stored();
        let gib = 1u64 << 30;
        stored.buckets[0].figures = Some(crate::BucketFigures {
            billed_bytes_by_storage_class: [("STANDARD".to_owned(), 10 * gib)].into(),
            ..Default::default()
        });
        let builtin = assemble(&stored, origin, now).cost.expect("a cost");
        assert_eq!(builtin.monthly_usd, 0.23);
        stored.input.storage_prices = Some(
            serde_json::from_value(
                json!({"source": "EDP", "regions": {"us-east-1": {"STANDARD": 0.02}}}),
            )
            .expect("prices"),
        );
        let operator = assemble(&stored, origin, now).cost.expect("a cost");
        assert_eq!(operator.monthly_usd, 0.2);
        assert!(
            operator.price_table.contains("operator's prices: EDP"),
            "{}",
            operator.price_table
        );
        stored.run.is_smoke_test = true;
        assert_eq!(
            assemble(&stored, origin, now).cost,
            None,
            "a sample's figures are not priced"
        );
    }

    #[test]
    fn a_failed_run_reports_failed_with_its_cause() {
        let mut stored = stored();
        crate::run::record_failure(&mut stored.run, &json!({"Error": "X", "Cause": "why"}), "t");
        stored.run.created_at = "garbled".into();
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 11, 0, 0).unwrap();
        let origin = Origin {
            deployment: "s3i",
            region: "us-east-1",
        };
        let report = assemble(&stored, origin, now);
        assert_eq!(report.outcome, RunOutcome::Failed);
        assert_eq!(report.cause.as_deref(), Some("why"));
        assert_eq!(report.started_at, now, "an unreadable start reads as now");
        assert_eq!(
            email_not_sent("MessageRejected"),
            "The report email was not sent: MessageRejected"
        );
    }
}

//! The run ledger's decisions: a run's first record and deadline, what a failure records, who may
//! clean a run, and what a Cleanup achieved.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{json, Value};

use crate::input::HarvesterInput;
use crate::staging::DELETE_COMPLETE;
use crate::state::{
    run_pk, AccountRecord, RunRecord, RunStatus, StagingStackRecord, CLEANUP_PENDING,
};

/// The longest a smoke test waits for its reports before the rest are `timed_out`: it writes its
/// own reports within minutes.
pub const SMOKE_TEST_WAIT: Duration = Duration::minutes(30);

/// Longest cause kept on a run. Step Functions allows 32 KB of cause and a DynamoDB item 400 KB:
/// causes stay readable and bounded.
pub const MAX_CAUSE: usize = 16 * 1024;

/// RFC 3339 to the second, as every time in the state table is written.
pub fn timestamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// When a run started at `created` stops waiting for reports: after `inventory_timeout_hours`, or
/// [`SMOKE_TEST_WAIT`] for a smoke test if that is sooner.
pub fn deadline(input: &HarvesterInput, created: DateTime<Utc>) -> DateTime<Utc> {
    let wait = Duration::hours(i64::from(input.inventory_timeout_hours));
    created
        + if input.is_smoke_test {
            wait.min(SMOKE_TEST_WAIT)
        } else {
            wait
        }
}

/// The record of a run `execution_id` starts at `created`: running, with cleanup pending from the
/// start (whatever it creates later, Cleanup finds it).
pub fn first_record(
    input: &HarvesterInput,
    execution_id: &str,
    created: DateTime<Utc>,
) -> RunRecord {
    RunRecord {
        pk: run_pk(&input.run_id),
        sk: "run".into(),
        run_id: input.run_id.clone(),
        status: RunStatus::Running,
        execution_id: execution_id.to_string(),
        created_at: timestamp(created),
        deadline: timestamp(deadline(input, created)),
        regions: input.supported_regions.clone(),
        account_count: input
            .run_accounts()
            .map_or(input.accounts.len(), |a| a.len()) as u64,
        is_smoke_test: input.is_smoke_test,
        database: input.athena_database_name.clone(),
        table: input.athena_table_name.clone(),
        cleanup_pending: Some(CLEANUP_PENDING.into()),
        error: None,
        cause: None,
        finished_at: None,
        notes: Vec::new(),
        cleanup: None,
        probe_cursor: None,
    }
}

/// The report's note on where the run's accounts came from, when an organization was read.
pub fn organization_note(input: &HarvesterInput) -> Option<String> {
    let (asked, resolved) = (
        input.organization.as_ref()?,
        input.resolved_organization.as_ref()?,
    );
    let listed = input.accounts.len();
    Some(format!(
        "Accounts from AWS Organizations {}: {} ACTIVE account(s) under {} ({} excluded by exclude_accounts, {} not active){}; the list is runs/{}/accounts.json",
        resolved.id,
        resolved.accounts.len(),
        asked.units.join(", "),
        resolved.excluded,
        resolved.inactive,
        if listed > 0 { format!(", with {listed} listed account(s)") } else { String::new() },
        input.run_id,
    ))
}

/// Records a failure (`{Error, Cause}` from the state machine's Catch) on `record`: its error type
/// (`Unknown` if none) and its cause, cut to [`MAX_CAUSE`] bytes on a character boundary.
pub fn record_failure(record: &mut RunRecord, error: &Value, finished_at: &str) {
    let error_type = error["Error"].as_str().unwrap_or("Unknown").to_string();
    let mut cause = error["Cause"].as_str().unwrap_or_default().to_string();
    if cause.len() > MAX_CAUSE {
        let mut cut = MAX_CAUSE;
        while !cause.is_char_boundary(cut) {
            cut -= 1;
        }
        cause.truncate(cut);
    }
    record.status = RunStatus::Failed;
    record.error = Some(error_type);
    record.cause = Some(cause);
    record.finished_at = Some(finished_at.to_string());
}

/// Whether a Cleanup that names a run may clean it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CleanupAccess {
    /// The run's own Harvester execution asks: it may, even while it runs.
    Owner,
    /// A person asks: only once the run's execution has stopped.
    IfStopped,
    /// Another Harvester execution asks: never.
    NotOwned,
}

/// Who may clean a run owned by `owner` (its execution): `requested_by` is set only by a Harvester
/// execution, to itself.
pub fn cleanup_access(owner: &str, requested_by: Option<&str>) -> CleanupAccess {
    match requested_by.filter(|r| !r.is_empty()) {
        None => CleanupAccess::IfStopped,
        Some(requester) if requester == owner => CleanupAccess::Owner,
        Some(_) => CleanupAccess::NotOwned,
    }
}

/// What one Cleanup of `run_id` achieved, from its accounts' removal records and its staging
/// stacks' records: `{run_id, complete, configurations_removed, stacks_removed, not_removed,
/// cleaned_at}`; complete when nothing is left.
pub fn cleanup_outcome(
    run_id: &str,
    accounts: &[AccountRecord],
    stacks: &[StagingStackRecord],
    cleaned_at: &str,
) -> Value {
    let mut not_removed = Vec::new();
    let mut configurations_removed = 0u64;
    for account in accounts {
        match account
            .removal
            .as_deref()
            .map(serde_json::from_str::<Value>)
        {
            Some(Ok(removal)) => {
                configurations_removed += removal["removed"].as_u64().unwrap_or(0);
                for item in removal["not_removed"].as_array().into_iter().flatten() {
                    not_removed.push(json!({
                        "kind": "inventory_configuration",
                        "account": account.account,
                        "bucket": item["bucket"],
                        "reason": item["reason"],
                    }));
                }
            }
            _ => not_removed.push(json!({
                "kind": "inventory_configurations",
                "account": account.account,
                "reason": "the account's configurations were not processed by this cleanup",
            })),
        }
    }
    let mut stacks_removed = 0u64;
    for stack in stacks {
        let reason = match &stack.not_removed {
            Some(reason) => reason.clone(),
            None if stack.stack_status == DELETE_COMPLETE => {
                stacks_removed += 1;
                continue;
            }
            None => format!("last seen {}", stack.stack_status),
        };
        not_removed.push(json!({
            "kind": "staging_stack",
            "region": stack.region,
            "stack": stack.stack_name,
            "reason": reason,
        }));
    }
    json!({
        "run_id": run_id,
        "complete": not_removed.is_empty(),
        "configurations_removed": configurations_removed,
        "stacks_removed": stacks_removed,
        "not_removed": not_removed,
        "cleaned_at": cleaned_at,
    })
}

/// Records a Cleanup's `outcome` on the run: still pending unless it was complete.
pub fn record_cleanup(record: &mut RunRecord, outcome: &Value) {
    record.cleanup = Some(outcome.to_string());
    record.cleanup_pending = if outcome["complete"] == true {
        None
    } else {
        Some(CLEANUP_PENDING.into())
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn input(smoke: bool, hours: u32) -> HarvesterInput {
        let raw = json!({
            "run_id": "r1",
            "accounts": [{"id": "000000000000"}],
            "sender_email_address": "a@example.com",
            "recipient_email_addresses": ["b@example.com"],
            "supported_regions": ["us-east-1"],
            "is_smoke_test": smoke,
            "inventory_timeout_hours": hours,
        });
        crate::input::validate(
            &raw,
            &crate::catalogue::input_rules(crate::input::partition_of("us-east-1")),
        )
        .expect("valid input")
    }

    fn created() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap()
    }

    #[test]
    fn a_smoke_test_waits_at_most_half_an_hour() {
        assert_eq!(
            deadline(&input(false, 48), created()),
            created() + Duration::hours(48)
        );
        assert_eq!(
            deadline(&input(true, 48), created()),
            created() + SMOKE_TEST_WAIT
        );
        let record = first_record(&input(true, 48), "exec", created());
        assert_eq!(record.created_at, "2026-11-26T10:00:00Z");
        assert_eq!(record.deadline, "2026-11-26T10:30:00Z");
        assert_eq!(record.status, RunStatus::Running);
        assert_eq!(record.cleanup_pending.as_deref(), Some(CLEANUP_PENDING));
        assert_eq!((record.pk.as_str(), record.sk.as_str()), ("run#r1", "run"));
    }

    #[test]
    fn a_failure_keeps_a_bounded_cause_cut_on_a_character() {
        let mut record = first_record(&input(false, 48), "exec", created());
        let cause = format!("{}é", "x".repeat(MAX_CAUSE - 1));
        record_failure(&mut record, &json!({"Error": "Boom", "Cause": cause}), "t");
        assert_eq!(record.status, RunStatus::Failed);
        assert_eq!(record.error.as_deref(), Some("Boom"));
        assert_eq!(record.cause.as_deref().map(str::len), Some(MAX_CAUSE - 1));
        assert_eq!(record.finished_at.as_deref(), Some("t"));
        record_failure(&mut record, &json!({}), "t");
        assert_eq!(record.error.as_deref(), Some("Unknown"));
        assert_eq!(record.cause.as_deref(), Some(""));
    }

    #[test]
    fn only_the_owner_cleans_a_running_run() {
        assert_eq!(cleanup_access("e1", Some("e1")), CleanupAccess::Owner);
        assert_eq!(cleanup_access("e1", Some("e2")), CleanupAccess::NotOwned);
        assert_eq!(cleanup_access("e1", None), CleanupAccess::IfStopped);
        assert_eq!(cleanup_access("e1", Some("")), CleanupAccess::IfStopped);
    }

    fn stack(status: &str, not_removed: Option<&str>) -> StagingStackRecord {
        StagingStackRecord {
            region: "eu-west-1".into(),
            stack_name: "s3i-r1-staging".into(),
            stack_status: status.into(),
            not_removed: not_removed.map(str::to_string),
            ..Default::default()
        }
    }

    #[test]
    fn cleanup_is_complete_only_when_nothing_is_left() {
        let removed = AccountRecord {
            account: "111111111111".into(),
            removal: Some(json!({"removed": 3, "not_removed": []}).to_string()),
            ..Default::default()
        };
        let done = [stack("DELETE_COMPLETE", None)];
        let outcome = cleanup_outcome("r1", std::slice::from_ref(&removed), &done, "t");
        assert_eq!(outcome["complete"], true);
        assert_eq!(outcome["configurations_removed"], 3);
        assert_eq!(outcome["stacks_removed"], 1);
        let mut record = first_record(&input(false, 48), "exec", created());
        record_cleanup(&mut record, &outcome);
        assert_eq!(record.cleanup_pending, None);

        let partly = AccountRecord {
            removal: Some(
                json!({"removed": 1, "not_removed": [{"bucket": "b", "reason": "refused"}]})
                    .to_string(),
            ),
            ..removed.clone()
        };
        let unprocessed = AccountRecord {
            account: "222222222222".into(),
            removal: None,
            ..Default::default()
        };
        let stacks = [
            stack(
                "DELETE_FAILED",
                Some("DELETE_FAILED after 3 deletion attempts: x"),
            ),
            stack("DELETE_IN_PROGRESS", None),
        ];
        let outcome = cleanup_outcome("r1", &[partly, unprocessed], &stacks, "t");
        assert_eq!(outcome["complete"], false);
        assert_eq!(outcome["stacks_removed"], 0);
        let kinds: Vec<&str> = outcome["not_removed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["kind"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            [
                "inventory_configuration",
                "inventory_configurations",
                "staging_stack",
                "staging_stack"
            ]
        );
        assert_eq!(
            outcome["not_removed"][3]["reason"],
            "last seen DELETE_IN_PROGRESS"
        );
        record_cleanup(&mut record, &outcome);
        assert_eq!(record.cleanup_pending.as_deref(), Some(CLEANUP_PENDING));
    }
}

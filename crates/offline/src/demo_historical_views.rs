//! The Historical part of the demo looking back: the history as SQL (`insights historical sql`, on
//! the local Athena), the member account as it was between two rounds of changes (what `insights
//! historical at` prints), and the revert plans that would take each changed resource back there
//! (what `insights historical revert` prints; a dry run: nothing is applied).

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Utc};
use historical::point_in_time::Scope;
use historical::revert::plan;
use historical::Technology;
use historical_aws::store::DurableStore;

use crate::demo_historical::{step, Subject};
use local_aws::sdk::Target;

/// This run's revisions from the history table, by SQL through the operator CLI: one row each,
/// `revisions` of them.
pub(crate) fn history_as_sql(host: &Target, subjects: &[Subject], revisions: usize) -> Result<()> {
    let arns: Vec<String> = subjects.iter().map(|s| format!("'{}'", s.arn)).collect();
    let query = format!(
        "SELECT event_time, tech, change_kind, event_name, principal, arn FROM revisions \
         WHERE arn IN ({}) ORDER BY event_time",
        arns.join(", ")
    );
    step("Historical: the history as SQL (insights historical sql \"SELECT ... FROM revisions ...\")");
    eprintln!("  {query}");
    let table = crate::demo::run_insights(host, &["historical", "sql", &query])?;
    for line in table.lines() {
        eprintln!("  {line}");
    }
    let rows = table.lines().count().saturating_sub(1);
    if rows != revisions {
        bail!("the history table has {rows} rows of this run's resources, the Durable tables {revisions} revisions");
    }
    Ok(())
}

/// Every technology's resources in `account` as they were at `at`; the subjects' lines printed and
/// checked: all five were there then (the doomed bucket not yet deleted).
pub(crate) async fn state_at(
    stores: &impl Fn(Technology) -> Result<DurableStore>,
    subjects: &[Subject],
    account: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    let time = at.format("%Y-%m-%dT%H:%M:%SZ");
    step(&format!(
        "Historical: the member account as it was at {time}, after round one (insights historical at --time {time} --account {account})"
    ));
    let scope = Scope {
        account: Some(account.to_owned()),
        region: None,
    };
    let mut found = Vec::new();
    for tech in Technology::ALL {
        let store = stores(tech)?;
        let revisions = store
            .in_force_at(at, &scope)
            .await
            .with_context(|| format!("reading {} as of {time}", store.table()))?;
        found.extend(revisions.into_iter().map(|r| (tech, r)));
    }
    eprintln!(
        "  {} resources recorded then in {account} (earlier demo runs' included); this run's:",
        found.len()
    );
    let mut missing = Vec::new();
    for subject in subjects {
        match found
            .iter()
            .find(|(_, r)| r.item["arn"].as_str() == Some(&subject.arn))
        {
            Some((tech, r)) => eprintln!(
                "  {tech:<13} {}  since {}  {}",
                subject.arn,
                r.item["eventTime"].as_str().unwrap_or("-"),
                r.item["eventName"].as_str().unwrap_or("-")
            ),
            None => missing.push(subject.arn.clone()),
        }
    }
    if !missing.is_empty() {
        bail!("not in the account as it was at {time}: {missing:?}");
    }
    Ok(())
}

/// The revert plan of each subject back to `at`, printed; the bucket's, the group's and the role's
/// checked against what rounds two and three changed.
pub(crate) async fn revert_plans(
    stores: &impl Fn(Technology) -> Result<DurableStore>,
    subjects: &[Subject],
    at: DateTime<Utc>,
) -> Result<()> {
    let time = at.format("%Y-%m-%dT%H:%M:%SZ");
    step(&format!(
        "Historical: revert plans back to {time} (insights historical revert ARN --to {time}; a dry run)"
    ));
    let mut wrong = Vec::new();
    for subject in subjects {
        let store = stores(subject.tech)?;
        let Some(current) = store.latest(&subject.arn).await? else {
            bail!("{}: no revision", subject.arn);
        };
        let target = store.latest_at_or_before(&subject.arn, at).await?;
        let plan = plan(subject.tech, &subject.arn, &current, target.as_ref());
        eprintln!("  {}", subject.arn);
        if plan.is_nothing_to_do() {
            eprintln!("    nothing to do: as it was then");
        }
        for call in &plan.calls {
            eprintln!(
                "    {} {} {}",
                call.service, call.operation, call.parameters
            );
        }
        for part in &plan.cannot_restore {
            eprintln!("    cannot restore {}: {}", part.path, part.reason);
        }
        let operations: Vec<&str> = plan.calls.iter().map(|c| c.operation).collect();
        let expected: &[&str] = match subject.tech {
            Technology::S3 if plan.cannot_restore.is_empty() => {
                &["DeleteBucketPolicy", "DeleteBucketTagging"]
            }
            Technology::SecurityGroup => &["RevokeSecurityGroupIngress"],
            Technology::IamRole => &["UpdateAssumeRolePolicy"],
            _ => &[],
        };
        if operations != expected {
            wrong.push(format!(
                "{}: {operations:?}, expected {expected:?}",
                subject.arn
            ));
        }
    }
    if !wrong.is_empty() {
        bail!("unexpected revert plans:\n  {}", wrong.join("\n  "));
    }
    Ok(())
}

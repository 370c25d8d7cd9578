//! The Historical part of the demo looking back: the member account as it was between two rounds of
//! changes (what `insights historical at` prints), and the revert plans that would take each changed
//! resource back there (what `insights historical revert` prints; a dry run: nothing is applied).

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Utc};
use historical::point_in_time::Scope;
use historical::revert::plan;
use historical::Technology;
use historical_aws::store::DurableStore;

use crate::demo_historical::{step, Subject};

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
        let revisions = stores(subject.tech)?.revisions(&subject.arn).await?;
        let Some(current) = revisions.last() else {
            bail!("{}: no revision", subject.arn);
        };
        let target = revisions.iter().rev().find(|r| r.event_time <= at);
        let plan = plan(subject.tech, &subject.arn, current, target);
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

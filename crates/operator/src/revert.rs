//! `insights historical revert ARN --to T`: the plan that takes a resource back to the revision in
//! force at `T` (`historical::revert`), printed; with `--apply`, after a confirmation, its calls made
//! in the resource's account (`historical_aws::revert`).

use std::io::{BufRead as _, Write as _};

use anyhow::{anyhow, bail, Context as _};
use chrono::{DateTime, Utc};
use historical::revert::{plan, RevertPlan};
use historical::tech::GLOBAL_REGION;
use historical::Technology;
use historical_aws::revert::Reverter;
use platform::roles::{member_role_name, RoleAssumer};

use crate::context::{sdk_message, Context};
use crate::history::durable_store;
use crate::render;

/// How `revert` runs.
pub struct Options {
    /// Print the plan as JSON.
    pub json: bool,
    /// Make the plan's calls.
    pub apply: bool,
    /// Do not ask before applying.
    pub yes: bool,
    /// The member role's ExternalId (needed to apply in another account).
    pub external_id: Option<String>,
}

/// Prints the revert plan of `arn` back to `to`, and applies it when asked.
pub async fn revert(
    ctx: &Context,
    arn: &str,
    to: DateTime<Utc>,
    options: &Options,
) -> anyhow::Result<()> {
    let tech = Technology::of_arn(arn)
        .ok_or_else(|| anyhow!("`{arn}` is not the ARN of a resource Historical records"))?;
    let store = durable_store(ctx, tech).await?;
    let read = |e| anyhow!("read the history of `{arn}` from `{}`: {e}", store.table());
    let current = store
        .latest(arn)
        .await
        .map_err(read)?
        .ok_or_else(|| anyhow!("no recorded revision of `{arn}` in `{}`", store.table()))?;
    let target = store.latest_at_or_before(arn, to).await.map_err(read)?;
    let plan = plan(tech, arn, &current, target.as_ref());
    if options.json {
        println!("{}", serde_json::to_string_pretty(&plan)?);
    } else {
        print!("{}", plan_text(&plan, to, render::stdout_colour()));
    }
    if !options.apply {
        return Ok(());
    }
    if plan.calls.is_empty() {
        eprintln!("insights: nothing to apply");
        return Ok(());
    }
    let account = current.item["accountId"].as_str().unwrap_or_default();
    let region = match current.item["Region"].as_str() {
        Some(GLOBAL_REGION) | None => ctx.region.clone(),
        Some(region) => region.to_owned(),
    };
    if !options.yes && !confirmed(&plan, account)? {
        bail!("not applied: not confirmed");
    }
    let reverter = Reverter::new(&acting_in(ctx, account, &region, options).await?);
    for (i, call) in plan.calls.iter().enumerate() {
        reverter.apply(call).await.with_context(|| {
            format!(
                "call {} of {} failed ({} before it were made)",
                i + 1,
                plan.calls.len(),
                i
            )
        })?;
        eprintln!("insights: applied {} {}", call.service, call.operation);
    }
    eprintln!(
        "insights: {} calls applied; the change reaches Historical like any other (CloudTrail, then the collector)",
        plan.calls.len()
    );
    Ok(())
}

/// Asks on the terminal; `true` for `y` or `yes`.
fn confirmed(plan: &RevertPlan, account: &str) -> anyhow::Result<bool> {
    eprint!(
        "Apply these {} calls to {} in account {account}? [y/N] ",
        plan.calls.len(),
        plan.arn
    );
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// SDK configuration acting in `account` and `region`: the operator's own in its own account,
/// else the deployment's member role (which must have its optional revert policy).
async fn acting_in(
    ctx: &Context,
    account: &str,
    region: &str,
    options: &Options,
) -> anyhow::Result<aws_config::SdkConfig> {
    let me = aws_sdk_sts::Client::new(&ctx.config)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| anyhow!("sts:GetCallerIdentity: {}", sdk_message(&e)))?;
    let home = me.account().unwrap_or_default().to_owned();
    let external_id = match (&options.external_id, account == home) {
        (_, true) => String::new(),
        (Some(id), false) => id.clone(),
        (None, false) => bail!(
            "{account} is a member account: pass the deployment's ExternalId with --external-id \
             (or INSIGHTS_EXTERNAL_ID); its member role needs AllowRevert=true (cross-account-role.yaml)"
        ),
    };
    let deployment = ctx.output("DeploymentName").await?;
    let roles = RoleAssumer::new(
        ctx.config.clone(),
        home,
        member_role_name(&deployment),
        external_id,
        format!("{deployment}-historical-revert"),
    );
    Ok(roles.config_for_region(account, region).await?)
}

/// The plan for a person: what it reverts, the patch, the calls, what it cannot restore.
fn plan_text(plan: &RevertPlan, to: DateTime<Utc>, colour: bool) -> String {
    let mut out = format!(
        "Revert {} from its revision of {} to the one in force at {} ({})\n",
        plan.arn,
        plan.current_revision,
        to.format("%Y-%m-%dT%H:%M:%SZ"),
        plan.target_revision
            .as_deref()
            .unwrap_or("none: not recorded yet")
    );
    if plan.is_nothing_to_do() {
        out.push_str("Nothing to do: it is as it was then.\n");
        return out;
    }
    out.push_str(&format!("Patch ({} operations):\n", plan.patch.len()));
    for op in &plan.patch {
        for line in render::render_op(op, colour).lines() {
            out.push_str(&format!("    {line}\n"));
        }
    }
    out.push_str(&format!(
        "Calls ({}, a dry run: nothing was changed; --apply makes them):\n",
        plan.calls.len()
    ));
    for call in &plan.calls {
        out.push_str(&format!(
            "    {} {} {}\n",
            call.service, call.operation, call.parameters
        ));
    }
    if !plan.cannot_restore.is_empty() {
        out.push_str("Cannot be restored:\n");
        for part in &plan.cannot_restore {
            let path = if part.path.is_empty() {
                "(the resource)"
            } else {
                &part.path
            };
            out.push_str(&format!("    {path}: {}\n", part.reason));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use historical::revert::ApiCall;
    use historical::PatchOp;
    use serde_json::json;

    #[test]
    fn the_plan_reads_as_patch_calls_and_what_is_left() {
        let plan = RevertPlan {
            arn: "arn:aws:s3:::b".into(),
            tech: Technology::S3,
            current_revision: "2026-12-01T05:00:00Z".into(),
            target_revision: Some("2026-12-01T01:00:00Z".into()),
            patch: vec![PatchOp::Remove {
                path: "/configuration/Policy".into(),
            }],
            calls: vec![ApiCall {
                service: "s3",
                operation: "DeleteBucketPolicy",
                parameters: json!({"Bucket": "b"}),
            }],
            cannot_restore: vec![historical::revert::Unrestorable {
                path: "/configuration/Website".into(),
                reason: "not restorable".into(),
            }],
        };
        let to = Utc.with_ymd_and_hms(2026, 12, 1, 2, 0, 0).unwrap();
        assert_eq!(
            plan_text(&plan, to, false),
            "Revert arn:aws:s3:::b from its revision of 2026-12-01T05:00:00Z to the one in force at \
             2026-12-01T02:00:00Z (2026-12-01T01:00:00Z)\n\
             Patch (1 operations):\n    - /configuration/Policy\n\
             Calls (1, a dry run: nothing was changed; --apply makes them):\n    \
             s3 DeleteBucketPolicy {\"Bucket\":\"b\"}\n\
             Cannot be restored:\n    /configuration/Website: not restorable\n"
        );
    }
}

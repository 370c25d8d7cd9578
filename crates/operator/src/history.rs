//! `insights historical history`: every Durable revision of one resource, oldest first; and
//! `insights historical at`: every recorded resource as it was at a past time.

use anyhow::{anyhow, Context as _};
use chrono::{DateTime, Utc};
use historical::point_in_time::Scope;
use historical::{Revision, Technology};
use historical_aws::store::{DurableStore, Offload};
use serde_json::Value;

use crate::context::Context;
use crate::render;

/// The stack output naming `tech`'s Durable table (`S3DurableTableName`, ...).
pub fn durable_table_output(tech: Technology) -> &'static str {
    match tech {
        Technology::S3 => "S3DurableTableName",
        Technology::SecurityGroup => "SecurityGroupDurableTableName",
        Technology::Vpc => "VpcDurableTableName",
        Technology::IamRole => "IamRoleDurableTableName",
    }
}

/// Prints the history of `arn`, coloured (see [`render`]) or as JSON.
pub async fn history(ctx: &Context, arn: &str, json: bool) -> anyhow::Result<()> {
    let tech = Technology::of_arn(arn).ok_or_else(|| {
        anyhow!(
            "`{arn}` is not the ARN of a resource Historical records: expected an S3 bucket \
             (arn:aws:s3:::NAME), a security group (arn:aws:ec2:REGION:ACCOUNT:security-group/sg-...), \
             a VPC (arn:aws:ec2:REGION:ACCOUNT:vpc/vpc-...) or an IAM role (arn:aws:iam::ACCOUNT:role/NAME)"
        )
    })?;
    let store = durable_store(ctx, tech).await?;
    let table = store.table().to_owned();
    let revisions: Vec<Value> = store
        .revisions(arn)
        .await
        .with_context(|| format!("read the history of `{arn}` from `{table}`"))?
        .into_iter()
        .map(|r| r.item)
        .collect();
    if json {
        println!("{}", serde_json::to_string_pretty(&revisions)?);
        return Ok(());
    }
    if revisions.is_empty() {
        eprintln!("no recorded revision of `{arn}` in `{table}`");
        return Ok(());
    }
    let colour = render::stdout_colour();
    for (i, item) in revisions.iter().enumerate() {
        if i > 0 {
            println!();
        }
        print!("{}", render::render_revision(item, colour));
    }
    Ok(())
}

/// `tech`'s Durable store, its configurations offloaded to the stack's offload bucket.
pub async fn durable_store(ctx: &Context, tech: Technology) -> anyhow::Result<DurableStore> {
    let table = ctx.output(durable_table_output(tech)).await?;
    let bucket = ctx.output("HistoricalOffloadBucketName").await?;
    Ok(DurableStore::new(
        ctx.dynamodb(),
        &table,
        Offload::new(ctx.s3(), bucket, format!("historical/{tech}/durable/")),
    ))
}

/// Prints every resource of `tech` (all four when `None`) in `scope` as it was at `time`: a table of
/// the revisions in force, or the revisions themselves as JSON.
pub async fn at(
    ctx: &Context,
    time: DateTime<Utc>,
    scope: &Scope,
    tech: Option<Technology>,
    json: bool,
) -> anyhow::Result<()> {
    let technologies = tech.map_or_else(|| Technology::ALL.to_vec(), |t| vec![t]);
    let mut found: Vec<(Technology, Revision)> = Vec::new();
    for tech in technologies {
        let store = durable_store(ctx, tech).await?;
        let revisions = store
            .in_force_at(time, scope)
            .await
            .with_context(|| format!("read `{}` as of {time}", store.table()))?;
        found.extend(revisions.into_iter().map(|r| (tech, r)));
    }
    if json {
        let items: Vec<&Value> = found.iter().map(|(_, r)| &r.item).collect();
        println!("{}", serde_json::to_string_pretty(&items)?);
        return Ok(());
    }
    print!("{}", at_table(time, &found));
    Ok(())
}

/// The human view of [`at`]: a heading, then one line per resource.
fn at_table(time: DateTime<Utc>, found: &[(Technology, Revision)]) -> String {
    let heading = format!(
        "{} resources as they were at {}\n",
        found.len(),
        time.format("%Y-%m-%dT%H:%M:%SZ")
    );
    if found.is_empty() {
        return heading;
    }
    let text = |item: &Value, name: &str| item[name].as_str().unwrap_or("-").to_owned();
    let rows: Vec<Vec<String>> = found
        .iter()
        .map(|(tech, r)| {
            vec![
                tech.to_string(),
                text(&r.item, "accountId"),
                text(&r.item, "Region"),
                text(&r.item, "arn"),
                text(&r.item, "eventTime"),
                text(&r.item["change"], "kind"),
                text(&r.item, "eventName"),
                render::principal(&r.item),
            ]
        })
        .collect();
    heading
        + &crate::table::render(
            &[
                "tech", "account", "region", "arn", "since", "change", "event", "by",
            ],
            &rows,
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_point_in_time_table_has_a_line_per_resource() {
        use chrono::TimeZone;
        let time = Utc.with_ymd_and_hms(2026, 12, 1, 9, 30, 0).unwrap();
        assert_eq!(
            at_table(time, &[]),
            "0 resources as they were at 2026-12-01T09:30:00Z\n"
        );
        let revision = Revision {
            event_time: time,
            item: serde_json::json!({
                "arn": "arn:aws:s3:::b", "accountId": "111111111111", "Region": "eu-west-1",
                "eventTime": "2026-12-01T09:00:00Z", "eventName": "PutBucketPolicy",
                "change": {"kind": "updated"}, "userIdentity": {"arn": "arn:aws:iam::111111111111:user/ana"},
            }),
        };
        let text = at_table(time, &[(Technology::S3, revision)]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "1 resources as they were at 2026-12-01T09:30:00Z");
        assert!(lines[1].starts_with("tech  account "), "{text}");
        assert_eq!(
            lines[2].split_whitespace().collect::<Vec<_>>(),
            [
                "s3",
                "111111111111",
                "eu-west-1",
                "arn:aws:s3:::b",
                "2026-12-01T09:00:00Z",
                "updated",
                "PutBucketPolicy",
                "arn:aws:iam::111111111111:user/ana"
            ]
        );
    }

    #[test]
    fn every_technology_has_its_table_output() {
        for tech in Technology::ALL {
            assert!(durable_table_output(tech).ends_with("DurableTableName"));
        }
        assert_eq!(
            Technology::of_arn("arn:aws:s3:::b").map(durable_table_output),
            Some("S3DurableTableName")
        );
    }
}

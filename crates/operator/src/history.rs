//! `insights historical history`: every Durable revision of one resource, oldest first.

use anyhow::{anyhow, Context as _};
use historical::Technology;
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
    let table = ctx.output(durable_table_output(tech)).await?;
    let bucket = ctx.output("HistoricalOffloadBucketName").await?;
    let store = DurableStore::new(
        ctx.dynamodb(),
        &table,
        Offload::new(ctx.s3(), bucket, format!("historical/{tech}/durable/")),
    );
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

#[cfg(test)]
mod tests {
    use super::*;

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

//! The demo's second S3Insights run ([`second_run`]): the estate changed after the first run
//! (objects added to one bucket, among them a secret-like key and, its ACLs turned on, an object
//! readable by everyone; another bucket emptied and deleted), harvested again, and the second
//! report's comparison with the first checked.

use anyhow::{bail, Context, Result};
use aws_sdk_s3::types::{
    ObjectCannedAcl, ObjectOwnership, OwnershipControls, OwnershipControlsRule,
};
use fixtures::estate::{BucketKind, EstateSpec, SeededBucket, SeededEstate};
use local_aws::paths::Workspace;
use local_aws::sdk::Target;
use serde_json::Value;

use crate::demo::{download_report, harvest, step, Deployed, Harvest};

/// Step 6 of the demo: the estate changed (objects added to one bucket, another emptied and deleted) and
/// harvested again; the second report's comparison with the first is printed and checked.
pub(crate) async fn second_run(
    workspace: &Workspace,
    host: &Target,
    deployed: &Deployed,
    spec: &EstateSpec,
    estate: &SeededEstate,
    first: &Harvest,
) -> Result<Harvest> {
    let mut plain = estate
        .buckets
        .iter()
        .filter(|b| b.kind == BucketKind::Plain && b.name != first.excluded);
    let (grown, deleted) = plain
        .next()
        .zip(plain.next())
        .context("the estate has no two plain buckets to change")?;
    step(&format!(
        "Changing the estate: {} objects added to {} (among them {SECRET_KEY} and, its ACLs turned \
         on, {PUBLIC_KEY} readable by everyone), {} emptied and deleted",
        ADDED_OBJECTS + 2,
        grown.name,
        deleted.name
    ));
    let s3 = |b: &SeededBucket| host.as_account(&b.account).in_region(&b.region).s3();
    for i in 0..ADDED_OBJECTS {
        let key = format!("added/{i}.txt");
        put(&s3(grown), &grown.name, &key, None).await?;
    }
    put(&s3(grown), &grown.name, SECRET_KEY, None).await?;
    allow_acls(&s3(grown), &grown.name)
        .await
        .map_err(|e| anyhow::anyhow!("turning on the ACLs of {}: {e}", grown.name))?;
    put(
        &s3(grown),
        &grown.name,
        PUBLIC_KEY,
        Some(ObjectCannedAcl::PublicRead),
    )
    .await?;
    delete_plain_bucket(&s3(deleted), &deleted.name).await?;
    let second = harvest(workspace, host, spec, estate).await?;
    let files = download_report(
        host,
        &deployed.consolidated,
        &second.run_id,
        &second.report_dir,
    )
    .await;
    if let Some((_, Err(e))) = files.iter().find(|(name, _)| *name == "summary.json") {
        bail!("the second run's summary.json: {e:#}");
    }
    crate::demo::picture_report(&second.report_dir)?;
    check_comparison(&second, &first.run_id, &grown.name, &deleted.name)?;
    Ok(second)
}

/// Plain objects the demo adds to one bucket between its two runs, besides these two.
const ADDED_OBJECTS: i64 = 3;
/// A secret-like key added between the runs.
const SECRET_KEY: &str = "config/.env";
/// An object made readable by everyone (ACL `public-read`) between the runs.
const PUBLIC_KEY: &str = "public/index.html";

/// Puts a small object, with a canned ACL if given.
async fn put(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    acl: Option<ObjectCannedAcl>,
) -> Result<()> {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .set_acl(acl)
        .body(format!("demo object {key}").into_bytes().into())
        .send()
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "putting s3://{bucket}/{key}: {}",
                aws_sdk_s3::error::DisplayErrorContext(&e)
            )
        })?;
    Ok(())
}

/// Turns a bucket's ACLs back on, as an older bucket may have them: object writer ownership, and
/// no public access block (new buckets have ACLs off and public ACLs blocked).
async fn allow_acls(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
) -> std::result::Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let rule = OwnershipControlsRule::builder()
        .object_ownership(ObjectOwnership::ObjectWriter)
        .build()?;
    s3.put_bucket_ownership_controls()
        .bucket(bucket)
        .ownership_controls(OwnershipControls::builder().rules(rule).build()?)
        .send()
        .await?;
    s3.delete_public_access_block()
        .bucket(bucket)
        .send()
        .await?;
    Ok(())
}

/// Every object of a bucket without versioning, then the bucket.
async fn delete_plain_bucket(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<()> {
    let context = |e: &dyn std::fmt::Display| anyhow::anyhow!("deleting {bucket}: {e}");
    let pages: Vec<_> = s3
        .list_objects_v2()
        .bucket(bucket)
        .into_paginator()
        .send()
        .collect::<Result<_, _>>()
        .await
        .map_err(|e| context(&aws_sdk_s3::error::DisplayErrorContext(&e)))?;
    for key in pages
        .into_iter()
        .flat_map(|page| page.contents.unwrap_or_default())
        .filter_map(|object| object.key)
    {
        s3.delete_object()
            .bucket(bucket)
            .key(&key)
            .send()
            .await
            .map_err(|e| context(&aws_sdk_s3::error::DisplayErrorContext(&e)))?;
    }
    s3.delete_bucket()
        .bucket(bucket)
        .send()
        .await
        .map_err(|e| context(&aws_sdk_s3::error::DisplayErrorContext(&e)))?;
    Ok(())
}

/// The second report's comparison: with the first run, the grown bucket `changed` by the added
/// objects, the deleted one `gone`, and the headline printed.
fn check_comparison(second: &Harvest, first: &str, grown: &str, deleted: &str) -> Result<()> {
    step("What changed since the first run (the second report's comparison)");
    let path = second.report_dir.join("summary.json");
    let summary: Value = serde_json::from_str(
        &std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?,
    )?;
    let comparison = &summary["comparison"];
    if comparison["previous_run"] != first {
        bail!(
            "the second run is not compared with the first ({first}): {comparison} {}",
            summary["comparison_reason"]
        );
    }
    let change = |name: &str| {
        comparison["buckets"]
            .as_array()
            .and_then(|b| b.iter().find(|b| b["bucket"] == name))
            .cloned()
            .with_context(|| format!("{name} is not in the comparison"))
    };
    let grew = change(grown)?;
    if grew["status"] != "changed" || grew["objects_delta"] != ADDED_OBJECTS + 2 {
        bail!(
            "{grown} should be changed by +{} objects: {grew}",
            ADDED_OBJECTS + 2
        );
    }
    let found = |finding: &str, key: &str| {
        comparison[finding].as_array().is_some_and(|objects| {
            objects
                .iter()
                .any(|o| o["bucket"] == grown && o["key"] == key)
        })
    };
    if !found("new_secret_like_keys", SECRET_KEY) || !found("new_public_objects", PUBLIC_KEY) {
        bail!(
            "the comparison should find {SECRET_KEY} new and secret-like and {PUBLIC_KEY} newly public: {comparison}"
        );
    }
    let gone = change(deleted)?;
    if gone["status"] != "gone" {
        bail!("{deleted} should be gone: {gone}");
    }
    let text = std::fs::read_to_string(second.report_dir.join("report.txt"))?;
    for line in text.lines().filter(|l| {
        l.starts_with("Since run ") || l.starts_with("New since then") || l.starts_with("- new ")
    }) {
        eprintln!("  {line}");
    }
    eprintln!(
        "  checked: {grown} changed (+{} objects), {deleted} gone, {SECRET_KEY} new and \
         secret-like, {PUBLIC_KEY} newly public, compared with run {first}",
        ADDED_OBJECTS + 2
    );
    Ok(())
}

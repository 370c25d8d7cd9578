//! Making a plan's calls against the local AWS: each bucket created and filled as its owning
//! account, phase after phase, calls of a phase concurrent, a bucket left by an earlier seeding of
//! the same plan removed first.

use std::collections::HashMap;
use std::time::Instant;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, Delete,
    ObjectIdentifier, StorageClass, VersioningConfiguration,
};
use futures::stream::{self, StreamExt, TryStreamExt};
use platform::s3_keys;

use super::{BucketPlan, EstateError, EstateSpec, Op, SeededBucket, SeededEstate};
use crate::sdk::Target;

fn api<E: std::error::Error + 'static>(action: impl Into<String>) -> impl FnOnce(E) -> EstateError {
    let action = action.into();
    move |e| EstateError::Api {
        action,
        message: aws_sdk_s3::error::DisplayErrorContext(&e).to_string(),
    }
}

/// [`seed_reporting`] without progress lines.
pub async fn seed(target: &Target, spec: &EstateSpec) -> Result<SeededEstate, EstateError> {
    seed_reporting(target, spec, |_| {}).await
}

/// Create the estate of `spec` in the local AWS `target` points at (its account is not used: each
/// bucket is created and filled as its owning account), calling `progress` with one line per step.
/// A bucket of the plan that already exists (an earlier seeding) is emptied of every version and
/// deleted first, so seeding the same spec twice gives the same estate.
pub async fn seed_reporting(
    target: &Target,
    spec: &EstateSpec,
    progress: impl Fn(&str),
) -> Result<SeededEstate, EstateError> {
    let begun = Instant::now();
    let plan = spec.plan()?;
    let mut clients: HashMap<(String, String), aws_sdk_s3::Client> = HashMap::new();
    for bucket in &plan.buckets {
        clients
            .entry((bucket.account.clone(), bucket.region.clone()))
            .or_insert_with(|| {
                target
                    .as_account(&bucket.account)
                    .in_region(&bucket.region)
                    .s3()
            });
    }
    let client = |b: &BucketPlan| clients[&(b.account.clone(), b.region.clone())].clone();

    // Remove what an earlier seeding left, then create every bucket.
    let replaced: Vec<bool> = stream::iter(plan.buckets.iter())
        .map(|b| {
            let s3 = client(b);
            async move { remove_if_present(&s3, &b.name).await }
        })
        .buffer_unordered(spec.concurrency)
        .try_collect()
        .await?;
    let replaced = replaced.into_iter().filter(|r| *r).count();
    stream::iter(plan.buckets.iter())
        .map(|b| {
            let s3 = client(b);
            async move { create_bucket(&s3, b).await }
        })
        .buffer_unordered(spec.concurrency)
        .try_collect::<Vec<()>>()
        .await?;
    let versioned = plan
        .buckets
        .iter()
        .filter(|b| b.kind.is_versioned())
        .count();
    progress(&format!(
        "created {} buckets ({versioned} versioned){} in {:.1} s",
        plan.buckets.len(),
        if replaced > 0 {
            format!(", replacing {replaced} left by an earlier seeding")
        } else {
            String::new()
        },
        begun.elapsed().as_secs_f64()
    ));

    let phases = plan
        .buckets
        .iter()
        .map(|b| b.phases.len())
        .max()
        .unwrap_or(0);
    let (mut puts, mut deletes) = (0usize, 0usize);
    for phase in 0..phases {
        let started = Instant::now();
        let calls: Vec<(aws_sdk_s3::Client, &str, &Op)> = plan
            .buckets
            .iter()
            .flat_map(|b| {
                let s3 = client(b);
                b.phases
                    .get(phase)
                    .into_iter()
                    .flatten()
                    .map(move |op| (s3.clone(), b.name.as_str(), op))
            })
            .collect();
        let (p, d) = calls.iter().fold((0, 0), |(p, d), (_, _, op)| match op {
            Op::Put { .. } => (p + 1, d),
            Op::Delete { .. } => (p, d + 1),
        });
        stream::iter(calls)
            .map(|(s3, bucket, op)| async move { apply(&s3, bucket, op).await })
            .buffer_unordered(spec.concurrency)
            .try_collect::<Vec<()>>()
            .await?;
        puts += p;
        deletes += d;
        let seconds = started.elapsed().as_secs_f64();
        progress(&format!(
            "{}: {p} puts, {d} deletes in {seconds:.1} s ({:.0} calls/s)",
            PHASE_NAMES.get(phase).copied().unwrap_or("more"),
            (p + d) as f64 / seconds.max(0.001)
        ));
    }
    Ok(SeededEstate {
        buckets: plan
            .buckets
            .into_iter()
            .map(|b| SeededBucket {
                account: b.account,
                region: b.region,
                name: b.name,
                kind: b.kind,
                expected: b.expected,
            })
            .collect(),
        puts,
        deletes,
        replaced,
        seconds: begun.elapsed().as_secs_f64(),
    })
}

const PHASE_NAMES: [&str; 5] = [
    "objects",
    "overwrites",
    "second overwrites",
    "deletes",
    "keys put again after deletion",
];

async fn remove_if_present(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<bool, EstateError> {
    if s3.head_bucket().bucket(bucket).send().await.is_err() {
        return Ok(false);
    }
    let mut key_marker = None;
    let mut version_marker = None;
    let decode = |value: Option<&str>| {
        s3_keys::decode_opt(value).map_err(|e| EstateError::Api {
            action: format!("list versions of {bucket}"),
            message: e.to_string(),
        })
    };
    loop {
        let page = s3
            .list_object_versions()
            .bucket(bucket)
            .set_key_marker(key_marker)
            .set_version_id_marker(version_marker)
            .encoding_type(s3_keys::LISTING_ENCODING)
            .send()
            .await
            .map_err(api(format!("list versions of {bucket}")))?;
        let mut versions = Vec::new();
        for (key, version) in page
            .versions()
            .iter()
            .map(|v| (v.key(), v.version_id()))
            .chain(
                page.delete_markers()
                    .iter()
                    .map(|m| (m.key(), m.version_id())),
            )
        {
            if let Some(key) = decode(key)? {
                versions.push((key, version.map(str::to_string)));
            }
        }
        delete_versions(s3, bucket, versions).await?;
        if page.is_truncated() != Some(true) {
            break;
        }
        key_marker = decode(page.next_key_marker())?;
        version_marker = page.next_version_id_marker().map(str::to_string);
    }
    s3.delete_bucket()
        .bucket(bucket)
        .send()
        .await
        .map_err(api(format!("delete {bucket}")))?;
    Ok(true)
}

/// Deletes `(key, version)`s: a thousand at a time with DeleteObjects, except keys XML cannot carry
/// in its request body, which are deleted one at a time.
async fn delete_versions(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    versions: Vec<(String, Option<String>)>,
) -> Result<(), EstateError> {
    let (batched, single): (Vec<_>, Vec<_>) = versions
        .into_iter()
        .partition(|(key, _)| s3_keys::xml_safe(key));
    for (key, version) in single {
        s3.delete_object()
            .bucket(bucket)
            .key(&key)
            .set_version_id(version)
            .send()
            .await
            .map_err(api(format!("delete {key:?} from {bucket}")))?;
    }
    let ids: Vec<ObjectIdentifier> = batched
        .into_iter()
        .filter_map(|(key, version)| {
            ObjectIdentifier::builder()
                .key(key)
                .set_version_id(version)
                .build()
                .ok()
        })
        .collect();
    for chunk in ids.chunks(1000) {
        let delete = Delete::builder()
            .set_objects(Some(chunk.to_vec()))
            .quiet(true)
            .build()
            .map_err(|e| EstateError::Api {
                action: format!("empty {bucket}"),
                message: e.to_string(),
            })?;
        s3.delete_objects()
            .bucket(bucket)
            .delete(delete)
            .send()
            .await
            .map_err(api(format!("empty {bucket}")))?;
    }
    Ok(())
}

async fn create_bucket(s3: &aws_sdk_s3::Client, bucket: &BucketPlan) -> Result<(), EstateError> {
    // us-east-1 takes no location constraint; every other region requires its own.
    let location = (bucket.region != "us-east-1").then(|| {
        CreateBucketConfiguration::builder()
            .location_constraint(BucketLocationConstraint::from(bucket.region.as_str()))
            .build()
    });
    s3.create_bucket()
        .bucket(&bucket.name)
        .set_create_bucket_configuration(location)
        .send()
        .await
        .map_err(api(format!(
            "create bucket {} as {}",
            bucket.name, bucket.account
        )))?;
    if bucket.kind.is_versioned() {
        s3.put_bucket_versioning()
            .bucket(&bucket.name)
            .versioning_configuration(
                VersioningConfiguration::builder()
                    .status(BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send()
            .await
            .map_err(api(format!("enable versioning of {}", bucket.name)))?;
    }
    Ok(())
}

async fn apply(s3: &aws_sdk_s3::Client, bucket: &str, op: &Op) -> Result<(), EstateError> {
    match op {
        Op::Put {
            key,
            size,
            storage_class,
            fill,
        } => {
            let class = (*storage_class != "STANDARD").then(|| StorageClass::from(*storage_class));
            s3.put_object()
                .bucket(bucket)
                .key(key)
                .body(ByteStream::from(vec![*fill; *size as usize]))
                .set_storage_class(class)
                .send()
                .await
                .map_err(api(format!("put {key:?} into {bucket}")))?;
        }
        Op::Delete { key } => {
            s3.delete_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .map_err(api(format!("delete {key:?} from {bucket}")))?;
        }
    }
    Ok(())
}

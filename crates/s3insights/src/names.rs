//! Names of everything a run creates or writes, derived from the deployment, the run id, the host
//! account and the region — so that any function (and Cleanup, long after a failure) finds them again
//! without a lookup, and so that "ours" can be told from a user's own resources.
//!
//! Deployment names are 3–15 lower-case letters and digits (template parameter `DeploymentName`), run
//! ids 1–12 (see [`crate::input`]): the longest staging bucket name is then
//! 15 + 1 + 12 + 5 + 12 + 1 + 14 = 60 characters, inside S3's 63.

/// Names scoped to one deployment in one host account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    /// `DeploymentName`.
    pub name: String,
    /// The host account id.
    pub host_account: String,
}

/// Prefix of every inventory configuration id this deployment puts; Cleanup removes only ids that
/// start with it (S3 allows `[A-Za-z0-9._-]`, at most 64 characters).
pub const CONFIGURATION_PREFIX: &str = "s3insights-";

impl Deployment {
    /// Names for `name` in `host_account`.
    pub fn new(name: impl Into<String>, host_account: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            host_account: host_account.into(),
        }
    }

    /// The staging bucket of `run_id` in `region`: the inventory destination of every source bucket
    /// of that region.
    pub fn staging_bucket(&self, run_id: &str, region: &str) -> String {
        format!("{}-{run_id}-stg-{}-{region}", self.name, self.host_account)
    }

    /// The run id a staging bucket belongs to, if `bucket` is one of this deployment's staging
    /// buckets in `region`.
    pub fn run_of_staging_bucket(&self, bucket: &str, region: &str) -> Option<String> {
        let rest = bucket.strip_prefix(&format!("{}-", self.name))?;
        let run = rest.strip_suffix(&format!("-stg-{}-{region}", self.host_account))?;
        (!run.is_empty()
            && run
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
        .then(|| run.to_string())
    }

    /// The staging stack of `run_id` (`regional-transient.yaml`; same name in every region).
    pub fn staging_stack(&self, run_id: &str) -> String {
        format!("{}-{run_id}-staging", self.name)
    }

    /// The SNS topic of the staging stack (same name in every region).
    pub fn staging_topic(&self, run_id: &str) -> String {
        format!("{}-{run_id}-inventory", self.name)
    }

    /// Whether `bucket` is one of this deployment's own buckets, never inventoried: the consolidated
    /// bucket, or a staging bucket of any run.
    pub fn is_own_bucket(&self, bucket: &str, consolidated_bucket: &str) -> bool {
        bucket == consolidated_bucket
            || (bucket.starts_with(&format!("{}-", self.name))
                && bucket.contains(&format!("-stg-{}-", self.host_account)))
    }

    /// The inventory configuration id put on every source bucket of `run_id`.
    pub fn configuration_id(&self, run_id: &str) -> String {
        format!("{CONFIGURATION_PREFIX}{}-{run_id}", self.name)
    }
}

/// Where a run keeps its files in the consolidated bucket.
pub mod keys {
    /// The validated input, kept for the report and for Cleanup.
    pub fn input(run_id: &str) -> String {
        format!("runs/{run_id}/input.json")
    }

    /// The account list a Distributed Map reads (one item per account), so the execution's own
    /// JSON never carries it.
    pub fn accounts(run_id: &str) -> String {
        format!("runs/{run_id}/accounts.json")
    }

    /// Athena statements that register the run's partitions, one item per statement.
    pub fn partition_statements(run_id: &str) -> String {
        format!("runs/{run_id}/partitions.json")
    }

    /// The queries a run executes (`{name, sql}` items a Distributed Map reads).
    pub fn query_plan(run_id: &str) -> String {
        format!("runs/{run_id}/query-plan.json")
    }

    /// Outcome of every query (state, first rows), written by the analysis and read by the report.
    pub fn query_outcomes(run_id: &str) -> String {
        format!("runs/{run_id}/queries.json")
    }

    /// The earlier run the analysis chose to compare the run with (or none), for the report.
    pub fn previous_run(run_id: &str) -> String {
        format!("runs/{run_id}/previous-run.json")
    }

    /// Athena's result location for the run.
    pub fn athena_results(run_id: &str) -> String {
        format!("athena/{run_id}/")
    }

    /// The table location: every consolidated file of the run lives below it.
    pub fn inventory_root(run_id: &str) -> String {
        format!("inventory/run={run_id}/")
    }

    /// The folder of one source bucket's consolidated files (a partition's location).
    pub fn inventory_partition(run_id: &str, account: &str, region: &str, bucket: &str) -> String {
        format!("inventory/run={run_id}/account={account}/region={region}/bucket={bucket}/")
    }

    /// Where every run's report folder is.
    pub const REPORTS_PREFIX: &str = "reports/";

    /// The report folder of a run.
    pub fn report_dir(run_id: &str) -> String {
        format!("{REPORTS_PREFIX}{run_id}/")
    }

    /// The HTML report.
    pub fn report_html(run_id: &str) -> String {
        format!("reports/{run_id}/report.html")
    }

    /// The plain-text report.
    pub fn report_text(run_id: &str) -> String {
        format!("reports/{run_id}/report.txt")
    }

    /// The JSON summary (per-bucket status and figures).
    pub fn summary_json(run_id: &str) -> String {
        format!("reports/{run_id}/summary.json")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staging_bucket_names_round_trip_and_fit_s3_limits() {
        let d = Deployment::new("s3insightsprod1", "123456789012");
        let name = d.staging_bucket("abcdefghijkl", "ap-southeast-2");
        assert!(name.len() <= 63, "{name} is {} chars", name.len());
        assert!(crate::input::is_bucket_name(&name));
        assert_eq!(
            d.run_of_staging_bucket(&name, "ap-southeast-2").as_deref(),
            Some("abcdefghijkl")
        );
        assert_eq!(d.run_of_staging_bucket(&name, "us-east-1"), None);
        assert_eq!(
            Deployment::new("other", "123456789012").run_of_staging_bucket(&name, "ap-southeast-2"),
            None
        );
    }

    #[test]
    fn own_buckets_are_the_consolidated_one_and_every_staging_bucket() {
        let d = Deployment::new("s3i", "123456789012");
        assert!(d.is_own_bucket("s3i-consolidated-x", "s3i-consolidated-x"));
        assert!(d.is_own_bucket(&d.staging_bucket("r1", "eu-west-1"), "other"));
        assert!(d.is_own_bucket(&d.staging_bucket("r2", "us-east-1"), "other"));
        // Another deployment's staging bucket, or one of another host account, is a user's bucket.
        let other = Deployment::new("s3j", "123456789012").staging_bucket("r1", "eu-west-1");
        assert!(!d.is_own_bucket(&other, "other"));
        let elsewhere = Deployment::new("s3i", "210987654321").staging_bucket("r1", "eu-west-1");
        assert!(!d.is_own_bucket(&elsewhere, "other"));
        assert!(!d.is_own_bucket("photos", "other"));
    }

    #[test]
    fn configuration_ids_are_ours_and_valid() {
        let id =
            Deployment::new("s3insightsprod1", "123456789012").configuration_id("abcdefghijkl");
        assert!(id.starts_with(CONFIGURATION_PREFIX));
        assert!(id.len() <= 64);
        assert!(id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)));
    }
}

//! A run's staging stacks (`regional-transient.yaml`, stack `<D>-<run>-staging`, one per region):
//! their parameters, their record, and what a stack status means while one is created or deleted.
//!
//! Stack statuses are CloudFormation's names
//! (<https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_Stack.html>).

use crate::names::Deployment;
use crate::state::{run_pk, staging_stack_sk, StagingStackRecord};

/// Accounts per `SourceAccounts*` parameter: 300 ids of 12 digits and their commas stay under
/// CloudFormation's 4,096-character limit on a parameter value.
pub const ACCOUNTS_PER_PARAMETER: usize = 300;

/// Deletion attempts before a stack is reported as not removable.
pub const MAX_DELETE_ATTEMPTS: u32 = 3;

/// The status recorded for a stack that does not exist.
pub const DOES_NOT_EXIST: &str = "DOES_NOT_EXIST";

/// The status recorded once a stack is gone.
pub const DELETE_COMPLETE: &str = "DELETE_COMPLETE";

/// The template's four account-list parameters, filled in order (empty ones stay empty, and the
/// template omits their policy statements).
pub fn source_account_parameters(accounts: &[String]) -> Vec<(String, String)> {
    let names = [
        "SourceAccounts",
        "SourceAccounts2",
        "SourceAccounts3",
        "SourceAccounts4",
    ];
    let mut chunks = accounts.chunks(ACCOUNTS_PER_PARAMETER);
    names
        .iter()
        .map(|name| {
            let value = chunks.next().map(|c| c.join(",")).unwrap_or_default();
            (name.to_string(), value)
        })
        .collect()
}

/// A fresh record of `run_id`'s staging stack in `region`, last seen in `status`.
pub fn record(
    deployment: &Deployment,
    run_id: &str,
    region: &str,
    status: &str,
) -> StagingStackRecord {
    StagingStackRecord {
        pk: run_pk(run_id),
        sk: staging_stack_sk(region),
        region: region.to_string(),
        stack_name: deployment.staging_stack(run_id),
        staging_bucket: deployment.staging_bucket(run_id, region),
        stack_status: status.to_string(),
        delete_attempts: 0,
        not_removed: None,
    }
}

/// Where a stack being created is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Creation {
    /// `CREATE_COMPLETE`: settled.
    Complete,
    /// `CREATE_IN_PROGRESS`: look again.
    InProgress,
    /// Any other status: settled, failed (the first failed resource says why).
    Failed,
    /// The stack does not exist: settled, failed.
    Missing,
}

/// What `status` (`None`: the stack does not exist) means for a stack being created.
pub fn creation(status: Option<&str>) -> Creation {
    match status {
        Some("CREATE_COMPLETE") => Creation::Complete,
        Some("CREATE_IN_PROGRESS") => Creation::InProgress,
        Some(_) => Creation::Failed,
        None => Creation::Missing,
    }
}

/// Where a stack being deleted is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deletion {
    /// Gone (`DELETE_COMPLETE`, or no such stack): settled.
    Gone,
    /// `DELETE_IN_PROGRESS`: look again.
    InProgress,
    /// Not deleted after [`MAX_DELETE_ATTEMPTS`]: settled, reported as not removed.
    GiveUp,
    /// Not deleted (something landed in the bucket after it was emptied, or the stack was never
    /// asked to go, as after a crash): empty the bucket and ask again.
    AskAgain,
}

/// What `status` (`None`: the stack does not exist) means for a stack being deleted, after
/// `attempts` deletion requests.
pub fn deletion(status: Option<&str>, attempts: u32) -> Deletion {
    match status {
        None | Some(DELETE_COMPLETE) => Deletion::Gone,
        Some("DELETE_IN_PROGRESS") => Deletion::InProgress,
        Some(_) if attempts >= MAX_DELETE_ATTEMPTS => Deletion::GiveUp,
        Some(_) => Deletion::AskAgain,
    }
}

/// Why a stack is reported as not removed.
pub fn not_removed(status: &str, attempts: u32, detail: &str) -> String {
    format!("{status} after {attempts} deletion attempts: {detail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thousand_accounts_fit_the_four_parameters_under_the_size_limit() {
        let accounts: Vec<String> = (0..1200).map(|i| format!("{i:012}")).collect();
        let parameters = source_account_parameters(&accounts);
        assert_eq!(parameters.len(), 4);
        assert!(parameters.iter().all(|(_, v)| v.len() <= 4096));
        let all: Vec<&str> = parameters.iter().flat_map(|(_, v)| v.split(',')).collect();
        assert_eq!(all.len(), 1200);
        let few = source_account_parameters(&accounts[..2]);
        assert_eq!(few[0].1, "000000000000,000000000001");
        assert!(few[1..].iter().all(|(_, v)| v.is_empty()));
    }

    #[test]
    fn a_record_names_the_stack_and_its_bucket() {
        let d = Deployment::new("s3i", "000000000000");
        let r = record(&d, "r1", "eu-west-1", "CREATE_REQUESTED");
        assert_eq!(
            (r.pk.as_str(), r.sk.as_str()),
            ("run#r1", "region#eu-west-1")
        );
        assert_eq!(r.stack_name, "s3i-r1-staging");
        assert_eq!(r.staging_bucket, d.staging_bucket("r1", "eu-west-1"));
        assert_eq!(r.stack_status, "CREATE_REQUESTED");
        assert_eq!((r.delete_attempts, r.not_removed), (0, None));
    }

    #[test]
    fn creation_settles_on_complete_or_any_failure() {
        assert_eq!(creation(Some("CREATE_COMPLETE")), Creation::Complete);
        assert_eq!(creation(Some("CREATE_IN_PROGRESS")), Creation::InProgress);
        assert_eq!(creation(Some("ROLLBACK_COMPLETE")), Creation::Failed);
        assert_eq!(creation(Some("CREATE_FAILED")), Creation::Failed);
        assert_eq!(creation(None), Creation::Missing);
    }

    #[test]
    fn deletion_is_asked_again_until_the_attempts_run_out() {
        assert_eq!(deletion(None, 0), Deletion::Gone);
        assert_eq!(deletion(Some("DELETE_COMPLETE"), 1), Deletion::Gone);
        assert_eq!(
            deletion(Some("DELETE_IN_PROGRESS"), 9),
            Deletion::InProgress
        );
        assert_eq!(deletion(Some("DELETE_FAILED"), 1), Deletion::AskAgain);
        assert_eq!(deletion(Some("CREATE_COMPLETE"), 2), Deletion::AskAgain);
        assert_eq!(
            deletion(Some("DELETE_FAILED"), MAX_DELETE_ATTEMPTS),
            Deletion::GiveUp
        );
        assert_eq!(
            not_removed("DELETE_FAILED", 3, "StagingBucket: not empty"),
            "DELETE_FAILED after 3 deletion attempts: StagingBucket: not empty"
        );
    }
}

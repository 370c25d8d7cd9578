//! The pieces of configuration several functions read, each from its own variable: every function's
//! configuration (`handlers::<function>::Config`) is assembled from these, reading only what it uses.
//!
//! | variable | read by | what |
//! |---|---|---|
//! | `STATE_TABLE` | every function | the state table |
//! | `CONSOLIDATED_BUCKET` | all but the monitor | the consolidated bucket |
//! | `DEPLOYMENT_NAME` | staging stacks, configurator, processor, monitor; the report (its heading) | the prefix of every name |
//! | `HOST_ACCOUNT_ID` | staging stacks, configurator, processor, monitor | the host account (staging bucket names, the member role's home) |
//! | `EXTERNAL_ID` | configurator, processor, monitor (they reach member accounts) | the member role's ExternalId |
//! | `INVENTORY_QUEUE_ARN` | staging stacks | the queue every staging topic feeds |
//! | `STAGING_STACK_ROLE_ARN` | staging stacks | CloudFormation's role for the staging stacks |
//! | `MONITOR_INTERVAL_SECONDS` | run monitor | the longest wait between two checks |

use aws_config::SdkConfig;
use platform::config::{self, ConfigError, Lookup};
use platform::roles::RoleAssumer;
use s3insights::names::Deployment;

use crate::store::{StateReader, StateStore};

/// The state table (`STATE_TABLE`), read and write.
pub fn state_store(env: &impl Lookup, sdk: &SdkConfig) -> Result<StateStore, ConfigError> {
    let table = config::required(env, "STATE_TABLE")?;
    Ok(StateStore::new(aws_sdk_dynamodb::Client::new(sdk), table))
}

/// The state table (`STATE_TABLE`), read only.
pub fn state_reader(env: &impl Lookup, sdk: &SdkConfig) -> Result<StateReader, ConfigError> {
    let table = config::required(env, "STATE_TABLE")?;
    Ok(StateReader::new(aws_sdk_dynamodb::Client::new(sdk), table))
}

/// The consolidated bucket (`CONSOLIDATED_BUCKET`).
pub fn consolidated_bucket(env: &impl Lookup) -> Result<String, ConfigError> {
    config::required(env, "CONSOLIDATED_BUCKET")
}

/// The deployment's names (`DEPLOYMENT_NAME`, `HOST_ACCOUNT_ID`, a 12-digit account id).
pub fn deployment(env: &impl Lookup) -> Result<Deployment, ConfigError> {
    let name = config::required(env, "DEPLOYMENT_NAME")?;
    let host = config::account_id(env, "HOST_ACCOUNT_ID")?;
    Ok(Deployment::new(name, host))
}

/// Member accounts through the deployment's role (`EXTERNAL_ID`); the host account is reached with
/// the function's own credentials.
pub fn member_roles(
    env: &impl Lookup,
    sdk: &SdkConfig,
    deployment: &Deployment,
) -> Result<RoleAssumer, ConfigError> {
    let external_id = config::required(env, "EXTERNAL_ID")?;
    Ok(RoleAssumer::new(
        sdk.clone(),
        deployment.host_account.clone(),
        platform::roles::member_role_name(&deployment.name),
        external_id,
        format!("{}-harvester", deployment.name),
    ))
}

/// The function's own region (`us-east-1` if the configuration has none).
pub fn own_region(sdk: &SdkConfig) -> String {
    sdk.region()
        .map(|r| r.to_string())
        .unwrap_or_else(|| "us-east-1".to_string())
}

/// The function's own account in any region: the staging buckets and stacks of a run live in the
/// host account, one per region.
#[derive(Clone, Debug)]
pub struct HostRegions(SdkConfig);

impl HostRegions {
    /// From the function's own configuration.
    pub fn new(sdk: &SdkConfig) -> Self {
        Self(sdk.clone())
    }

    /// The function's configuration in `region`.
    pub fn config(&self, region: &str) -> SdkConfig {
        self.0
            .to_builder()
            .region(aws_config::Region::new(region.to_string()))
            .build()
    }

    /// S3 in `region`.
    pub fn s3(&self, region: &str) -> aws_sdk_s3::Client {
        platform::aws::s3_client(&self.config(region))
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! What the configuration tests share: a recording environment and an SDK configuration that
    //! makes no call.

    use platform::config::RecordingEnv;

    /// A valid value for every variable a configuration may read.
    fn answer(name: &str) -> Option<String> {
        Some(match name {
            "HOST_ACCOUNT_ID" => "000000000000".into(),
            "MONITOR_INTERVAL_SECONDS" => "60".into(),
            "INVENTORY_QUEUE_ARN" => "arn:aws:sqs:us-east-1:000000000000:q".into(),
            _ => format!("value-of-{name}"),
        })
    }

    /// An SDK configuration in us-east-1 with no credentials: building clients makes no call.
    pub fn sdk() -> aws_config::SdkConfig {
        aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .build()
    }

    /// Asserts that `C::from_env` reads exactly `variables`; the configuration it built.
    pub fn reads_exactly<C: platform::serve::FromEnv>(variables: &[&str]) -> C {
        let env = RecordingEnv::new(answer);
        let config = C::from_env(&env, &sdk())
            .unwrap_or_else(|err| panic!("{}: {err}", std::any::type_name::<C>()));
        let expected: std::collections::BTreeSet<String> =
            variables.iter().map(|v| v.to_string()).collect();
        assert_eq!(env.asked(), expected, "{}", std::any::type_name::<C>());
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_account_is_twelve_digits() {
        let env = [("DEPLOYMENT_NAME", "s3i"), ("HOST_ACCOUNT_ID", "12345")];
        let err = deployment(&env).unwrap_err();
        assert!(err.to_string().contains("HOST_ACCOUNT_ID"), "{err}");
        let env = [
            ("DEPLOYMENT_NAME", "s3i"),
            ("HOST_ACCOUNT_ID", "000000000000"),
        ];
        assert_eq!(
            deployment(&env).unwrap(),
            Deployment::new("s3i", "000000000000")
        );
        let err = deployment(&[("HOST_ACCOUNT_ID", "000000000000")]).unwrap_err();
        assert_eq!(
            err,
            ConfigError::Missing {
                name: "DEPLOYMENT_NAME".into()
            }
        );
    }
}

//! Reaching member accounts through their cross-account role.
//!
//! S3Insights and Historical read resources in many accounts. Each member account carries a role
//! (`cross-account-role.yaml`) that trusts the host account and requires an ExternalId, so a confused
//! deputy cannot borrow it. [`RoleAssumer`] assumes that role with STS and keeps the temporary
//! credentials until five minutes before they expire: a Lambda that touches the same account for every
//! message of a batch calls STS once, not once per message. The host account itself is reached with
//! the function's own credentials, with no AssumeRole at all.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_config::SdkConfig;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use tokio::sync::Mutex;

/// How long before expiry cached credentials are replaced, so a call never starts with credentials
/// that lapse while it runs.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// Why a member account could not be reached.
#[derive(Debug, thiserror::Error)]
pub enum RoleError {
    /// STS refused or failed the AssumeRole call (trust policy, wrong ExternalId, missing role).
    #[error("cannot assume role {role_arn}: {message}")]
    AssumeRole {
        /// The role that was asked for.
        role_arn: String,
        /// What STS answered.
        message: String,
    },
    /// STS answered without credentials, which AWS documents as impossible; kept as an error all the same.
    #[error("AssumeRole on {role_arn} returned no credentials")]
    NoCredentials {
        /// The role that was asked for.
        role_arn: String,
    },
    /// An account id that is not twelve digits is refused before any call.
    #[error("account id {0:?} is not a 12-digit AWS account id")]
    InvalidAccount(String),
}

/// The ARN of the role named `role_name` in `account`.
pub fn role_arn(account: &str, role_name: &str) -> String {
    format!("arn:aws:iam::{account}:role/{role_name}")
}

/// The role name every member account deploys (`cross-account-role.yaml`): one role per
/// deployment, used by both S3Insights and Historical.
pub fn member_role_name(deployment: &str) -> String {
    format!("{deployment}-cross-account-iam-role")
}

/// True for a 12-digit AWS account id.
pub fn is_account_id(account: &str) -> bool {
    account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
}

#[derive(Clone)]
struct CachedCredentials {
    credentials: Credentials,
    expires: SystemTime,
}

/// Assumes the member-account role and caches the credentials per account.
#[derive(Clone)]
pub struct RoleAssumer {
    base: SdkConfig,
    sts: aws_sdk_sts::Client,
    home_account: String,
    role_name: String,
    external_id: String,
    session_name: String,
    cache: Arc<Mutex<HashMap<String, CachedCredentials>>>,
}

impl RoleAssumer {
    /// An assumer for `role_name` with `external_id`, from `base`, the function's own configuration.
    /// `home_account` is the account the function runs in: it is reached with `base` directly.
    pub fn new(
        base: SdkConfig,
        home_account: impl Into<String>,
        role_name: impl Into<String>,
        external_id: impl Into<String>,
        session_name: impl Into<String>,
    ) -> Self {
        let sts = aws_sdk_sts::Client::new(&base);
        Self {
            base,
            sts,
            home_account: home_account.into(),
            role_name: role_name.into(),
            external_id: external_id.into(),
            session_name: session_name.into(),
            cache: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// The account this function runs in.
    pub fn home_account(&self) -> &str {
        &self.home_account
    }

    /// SDK configuration acting in `account`: the base configuration for the home account, otherwise
    /// the base configuration with the assumed role's credentials.
    pub async fn config_for(&self, account: &str) -> Result<SdkConfig, RoleError> {
        if !is_account_id(account) {
            return Err(RoleError::InvalidAccount(account.to_string()));
        }
        if account == self.home_account {
            return Ok(self.base.clone());
        }
        let credentials = self.credentials_for(account).await?;
        Ok(self
            .base
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .build())
    }

    /// The same as [`RoleAssumer::config_for`] in another region.
    pub async fn config_for_region(
        &self,
        account: &str,
        region: &str,
    ) -> Result<SdkConfig, RoleError> {
        let config = self.config_for(account).await?;
        Ok(config
            .to_builder()
            .region(aws_config::Region::new(region.to_string()))
            .build())
    }

    async fn credentials_for(&self, account: &str) -> Result<Credentials, RoleError> {
        let mut cache = self.cache.lock().await;
        if let Some(cached) = cache.get(account) {
            if still_fresh(cached.expires, SystemTime::now()) {
                return Ok(cached.credentials.clone());
            }
        }
        let arn = role_arn(account, &self.role_name);
        let answer = self
            .sts
            .assume_role()
            .role_arn(&arn)
            .role_session_name(&self.session_name)
            .external_id(&self.external_id)
            .send()
            .await
            .map_err(|e| RoleError::AssumeRole {
                role_arn: arn.clone(),
                message: crate::sdk_error::summary("sts:AssumeRole", &e),
            })?;
        let c = answer
            .credentials()
            .ok_or_else(|| RoleError::NoCredentials {
                role_arn: arn.clone(),
            })?;
        let expires = SystemTime::try_from(*c.expiration())
            .unwrap_or_else(|_| SystemTime::now() + Duration::from_secs(900));
        let credentials = Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_string()),
            Some(expires),
            "cross-account-role",
        );
        cache.insert(
            account.to_string(),
            CachedCredentials {
                credentials: credentials.clone(),
                expires,
            },
        );
        Ok(credentials)
    }
}

/// Whether credentials expiring at `expires` may still be handed out at `now`.
fn still_fresh(expires: SystemTime, now: SystemTime) -> bool {
    expires
        .duration_since(now)
        .map(|left| left > REFRESH_MARGIN)
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arn_names_the_member_account() {
        assert_eq!(
            role_arn("111122223333", "s3insights-cross-account"),
            "arn:aws:iam::111122223333:role/s3insights-cross-account"
        );
    }

    #[test]
    fn account_ids_are_twelve_digits() {
        assert!(is_account_id("000000000000"));
        assert!(!is_account_id("12345678901"));
        assert!(!is_account_id("12345678901a"));
        assert!(!is_account_id(""));
    }

    #[test]
    fn credentials_are_refreshed_five_minutes_before_expiry() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert!(still_fresh(now + Duration::from_secs(3600), now));
        assert!(still_fresh(
            now + REFRESH_MARGIN + Duration::from_secs(1),
            now
        ));
        assert!(!still_fresh(now + REFRESH_MARGIN, now));
        assert!(!still_fresh(now - Duration::from_secs(1), now));
    }

    #[tokio::test]
    async fn invalid_account_is_refused_before_any_call() {
        let base = SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .build();
        let assumer = RoleAssumer::new(base, "000000000000", "r", "x", "s");
        let err = assumer.config_for("nope").await.unwrap_err();
        assert!(matches!(err, RoleError::InvalidAccount(_)));
        // The home account is reached without STS.
        assert!(assumer.config_for("000000000000").await.is_ok());
    }
}

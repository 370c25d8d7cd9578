//! Which accounts the poller visits: a fixed list, a SWAG file in S3, or AWS Organizations.
//!
//! `ACCOUNT_SOURCE` picks one, so an operator never wonders which of several lists won:
//! * `list`: `ENABLED_ACCOUNTS`, comma-separated 12-digit ids (the original's fallback);
//! * `swag`: the SWAG v2 accounts file `s3://SWAG_BUCKET/SWAG_DATA_FILE` (default
//!   `accounts.json`), filtered as the original did: `provider` `aws`, `owner` = `SWAG_OWNER`,
//!   `account_status` not `deleted`, `environment` `test` when `TEST_ACCOUNTS_ONLY` is `true`, and a
//!   `historical` service with any enabled status;
//! * `organizations`: every `ACTIVE` account of the organization (`ListAccounts`, every page),
//!   called from the host account (the management account or a delegated administrator).

use aws_config::SdkConfig;
use platform::config::{self, ConfigError, Lookup};
use platform::roles::is_account_id;
use serde_json::Value;

use crate::error::FunctionError;
use crate::settings::list;

/// Where the account list comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountSource {
    /// A fixed list.
    List(Vec<String>),
    /// A SWAG v2 accounts file.
    Swag {
        /// The bucket.
        bucket: String,
        /// The object key.
        key: String,
        /// The bucket's region, if not the function's.
        region: Option<String>,
        /// The `owner` kept.
        owner: String,
        /// Only `environment: test` accounts.
        test_only: bool,
    },
    /// AWS Organizations.
    Organizations,
}

impl AccountSource {
    /// From `ACCOUNT_SOURCE` and its variables; errors name the variable at fault.
    pub fn from_env(env: &impl Lookup) -> Result<Self, ConfigError> {
        let source = config::optional(env, "ACCOUNT_SOURCE").unwrap_or_else(|| "list".into());
        match source.trim() {
            "list" => {
                let accounts = list(env, "ENABLED_ACCOUNTS");
                if let Some(bad) = accounts.iter().find(|a| !is_account_id(a)) {
                    return Err(ConfigError::Invalid {
                        name: "ENABLED_ACCOUNTS".into(),
                        value: accounts.join(","),
                        reason: format!("{bad:?} is not a 12-digit account id"),
                    });
                }
                Ok(AccountSource::List(accounts))
            }
            "swag" => Ok(AccountSource::Swag {
                bucket: config::required(env, "SWAG_BUCKET")?,
                key: config::optional(env, "SWAG_DATA_FILE")
                    .unwrap_or_else(|| "accounts.json".into()),
                region: config::optional(env, "SWAG_REGION"),
                owner: config::required(env, "SWAG_OWNER")?,
                test_only: config::optional(env, "TEST_ACCOUNTS_ONLY")
                    .is_some_and(|v| v.trim().eq_ignore_ascii_case("true")),
            }),
            "organizations" => Ok(AccountSource::Organizations),
            other => Err(ConfigError::Invalid {
                name: "ACCOUNT_SOURCE".into(),
                value: other.into(),
                reason: "expected list, swag or organizations".into(),
            }),
        }
    }

    /// The source's name in logs and errors.
    pub fn name(&self) -> &'static str {
        match self {
            AccountSource::List(_) => "list",
            AccountSource::Swag { .. } => "swag",
            AccountSource::Organizations => "organizations",
        }
    }
}

fn text<'a>(account: &'a Value, field: &str) -> &'a str {
    account
        .get(field)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// The ids a SWAG v2 accounts document selects (see the module docs), in file order.
pub fn swag_accounts(document: &Value, owner: &str, test_only: bool) -> Vec<String> {
    let Some(accounts) = document.as_array() else {
        return Vec::new();
    };
    accounts
        .iter()
        .filter(|a| text(a, "provider") == "aws")
        .filter(|a| text(a, "owner") == owner)
        .filter(|a| text(a, "account_status") != "deleted")
        .filter(|a| !test_only || text(a, "environment") == "test")
        .filter(|a| {
            a.get("services")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|s| text(s, "name") == "historical")
                .flat_map(|s| {
                    s.get("status")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                })
                .any(|status| status.get("enabled").and_then(Value::as_bool) == Some(true))
        })
        .map(|a| text(a, "id").to_string())
        .filter(|id| is_account_id(id))
        .collect()
}

/// The accounts of `source`, read now.
pub async fn accounts(
    source: &AccountSource,
    sdk: &SdkConfig,
) -> Result<Vec<String>, FunctionError> {
    let failed = |message: String| FunctionError::Accounts {
        source_name: source.name(),
        message,
    };
    match source {
        AccountSource::List(accounts) => Ok(accounts.clone()),
        AccountSource::Swag {
            bucket,
            key,
            region,
            owner,
            test_only,
        } => {
            let config = match region {
                Some(r) => sdk
                    .to_builder()
                    .region(aws_config::Region::new(r.clone()))
                    .build(),
                None => sdk.clone(),
            };
            let object = platform::aws::s3_client(&config)
                .get_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .map_err(|e| {
                    failed(format!(
                        "GetObject s3://{bucket}/{key}: {}",
                        platform::sdk_error::summary("GetObject", &e)
                    ))
                })?;
            let bytes = object
                .body
                .collect()
                .await
                .map_err(|e| failed(format!("reading s3://{bucket}/{key}: {e}")))?
                .into_bytes();
            let document: Value = serde_json::from_slice(&bytes)
                .map_err(|e| failed(format!("s3://{bucket}/{key} is not JSON: {e}")))?;
            if !document.is_array() {
                return Err(failed(format!(
                    "s3://{bucket}/{key} is not a SWAG v2 list of accounts"
                )));
            }
            Ok(swag_accounts(&document, owner, *test_only))
        }
        AccountSource::Organizations => {
            let client = aws_sdk_organizations::Client::new(sdk);
            let mut pages = client.list_accounts().into_paginator().send();
            let mut out = Vec::new();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| {
                    failed(format!(
                        "ListAccounts: {}",
                        platform::sdk_error::summary("ListAccounts", &e)
                    ))
                })?;
                for account in page.accounts() {
                    let active = account.status().is_none_or(|s| s.as_str() == "ACTIVE");
                    if let (true, Some(id)) = (active, account.id()) {
                        out.push(id.to_string());
                    }
                }
            }
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn account(id: &str, owner: &str, status: &str, env: &str, enabled: bool) -> Value {
        json!({
            "id": id, "provider": "aws", "owner": owner, "account_status": status,
            "environment": env,
            "services": [
                {"name": "other", "status": [{"region": "all", "enabled": true}]},
                {"name": "historical", "status": [
                    {"region": "us-east-1", "enabled": false},
                    {"region": "all", "enabled": enabled}
                ]}
            ]
        })
    }

    #[test]
    fn swag_keeps_enabled_live_accounts_of_the_owner() {
        let doc = json!([
            account("111111111111", "acme", "ready", "prod", true),
            account("222222222222", "acme", "deleted", "prod", true),
            account("333333333333", "other", "ready", "prod", true),
            account("444444444444", "acme", "ready", "test", true),
            account("555555555555", "acme", "ready", "prod", false),
            {"id": "666666666666", "provider": "gcp", "owner": "acme", "account_status": "ready"},
            account("not-an-id", "acme", "ready", "prod", true),
        ]);
        assert_eq!(
            swag_accounts(&doc, "acme", false),
            vec!["111111111111", "444444444444"]
        );
        assert_eq!(swag_accounts(&doc, "acme", true), vec!["444444444444"]);
        assert!(swag_accounts(&json!({"accounts": []}), "acme", false).is_empty());
    }

    #[test]
    fn the_source_is_chosen_explicitly() {
        let env = [("ENABLED_ACCOUNTS", "111111111111, 222222222222")];
        assert_eq!(
            AccountSource::from_env(&env).unwrap(),
            AccountSource::List(vec!["111111111111".into(), "222222222222".into()])
        );
        let env = [("ACCOUNT_SOURCE", "list"), ("ENABLED_ACCOUNTS", "1111")];
        assert!(AccountSource::from_env(&env)
            .unwrap_err()
            .to_string()
            .contains("\"1111\" is not a 12-digit account id"));
        let env = [("ACCOUNT_SOURCE", "swag"), ("SWAG_BUCKET", "b")];
        assert!(AccountSource::from_env(&env)
            .unwrap_err()
            .to_string()
            .contains("SWAG_OWNER"));
        let env = [
            ("ACCOUNT_SOURCE", "swag"),
            ("SWAG_BUCKET", "b"),
            ("SWAG_OWNER", "acme"),
            ("TEST_ACCOUNTS_ONLY", "True"),
        ];
        assert_eq!(
            AccountSource::from_env(&env).unwrap(),
            AccountSource::Swag {
                bucket: "b".into(),
                key: "accounts.json".into(),
                region: None,
                owner: "acme".into(),
                test_only: true
            }
        );
        let env = [("ACCOUNT_SOURCE", "organizations")];
        assert_eq!(
            AccountSource::from_env(&env).unwrap(),
            AccountSource::Organizations
        );
        let env = [("ACCOUNT_SOURCE", "ldap")];
        assert!(AccountSource::from_env(&env)
            .unwrap_err()
            .to_string()
            .contains("expected list, swag or organizations"));
    }
}

//! Configuration shared by several functions: which tables hold which technology, the member
//! role, the function's own region.
//!
//! Tables are named in one variable per kind, `tech=table` pairs separated by commas
//! (`CURRENT_TABLES=s3=historical-s3-current,vpc=historical-vpc-current`), so one set of functions
//! serves every technology and adding one is a template line, not a new function.

use std::collections::BTreeMap;

use aws_config::SdkConfig;
use historical::Technology;
use platform::config::{self, ConfigError, Lookup};
use platform::roles::RoleAssumer;

use crate::error::FunctionError;
use crate::store::{CurrentStore, DurableStore, Offload};

/// Which table holds each technology (one kind: Current or Durable).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TableNames(BTreeMap<Technology, String>);

impl TableNames {
    /// Parses `tech=table,...` from the variable `name`; every pair must name a known technology
    /// and a table, and no technology twice.
    pub fn parse(name: &str, value: &str) -> Result<Self, ConfigError> {
        let invalid = |reason: String| ConfigError::Invalid {
            name: name.into(),
            value: value.into(),
            reason,
        };
        let mut tables = BTreeMap::new();
        for pair in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (tech, table) = pair
                .split_once('=')
                .ok_or_else(|| invalid(format!("{pair:?} is not tech=table")))?;
            let tech: Technology = tech.trim().parse().map_err(|e| invalid(format!("{e}")))?;
            let table = table.trim();
            if table.is_empty() {
                return Err(invalid(format!("{tech} has no table name")));
            }
            if tables.insert(tech, table.to_string()).is_some() {
                return Err(invalid(format!("{tech} is named twice")));
            }
        }
        if tables.is_empty() {
            return Err(invalid("no technology is named".into()));
        }
        Ok(Self(tables))
    }

    /// From the required variable `name`.
    pub fn from_env(env: &impl Lookup, name: &str) -> Result<Self, ConfigError> {
        Self::parse(name, &config::required(env, name)?)
    }

    /// The table of `tech`.
    pub fn get(&self, tech: Technology) -> Option<&str> {
        self.0.get(&tech).map(String::as_str)
    }

    /// The technologies named, in order.
    pub fn technologies(&self) -> impl Iterator<Item = Technology> + '_ {
        self.0.keys().copied()
    }
}

/// One kind of store (Current or Durable) per recorded technology.
#[derive(Debug, Clone)]
pub struct Tables<T> {
    kind: &'static str,
    stores: BTreeMap<Technology, T>,
}

/// The Current stores.
pub type CurrentTables = Tables<CurrentStore>;
/// The Durable stores.
pub type DurableTables = Tables<DurableStore>;

impl<T> Tables<T> {
    /// Stores over the tables named by `variable`, offloading to `OFFLOAD_BUCKET` under
    /// `historical/<tech>/<kind, lower case>/`.
    fn from_env(
        env: &impl Lookup,
        sdk: &SdkConfig,
        variable: &str,
        kind: &'static str,
        store: impl Fn(aws_sdk_dynamodb::Client, &str, Offload) -> T,
    ) -> Result<Self, ConfigError> {
        let names = TableNames::from_env(env, variable)?;
        let bucket = config::required(env, "OFFLOAD_BUCKET")?;
        let dynamodb = aws_sdk_dynamodb::Client::new(sdk);
        let s3 = platform::aws::s3_client(sdk);
        let prefix = kind.to_ascii_lowercase();
        let stores = names
            .technologies()
            .map(|tech| {
                let offload = Offload::new(
                    s3.clone(),
                    bucket.clone(),
                    format!("historical/{tech}/{prefix}/"),
                );
                let table = names.get(tech).unwrap_or_default();
                (tech, store(dynamodb.clone(), table, offload))
            })
            .collect();
        Ok(Self { kind, stores })
    }

    /// The store of `tech`, or an error naming the technology.
    pub fn get(&self, tech: Technology) -> Result<&T, FunctionError> {
        self.stores
            .get(&tech)
            .ok_or_else(|| FunctionError::NoTable {
                kind: self.kind,
                tech: tech.to_string(),
            })
    }

    /// The technologies recorded.
    pub fn technologies(&self) -> impl Iterator<Item = Technology> + '_ {
        self.stores.keys().copied()
    }
}

impl Tables<CurrentStore> {
    /// The Current stores of `CURRENT_TABLES`.
    pub fn current_from_env(env: &impl Lookup, sdk: &SdkConfig) -> Result<Self, ConfigError> {
        Self::from_env(env, sdk, "CURRENT_TABLES", "Current", |c, t, o| {
            CurrentStore::new(c, t, o)
        })
    }
}

impl Tables<DurableStore> {
    /// The Durable stores of `DURABLE_TABLES`.
    pub fn durable_from_env(env: &impl Lookup, sdk: &SdkConfig) -> Result<Self, ConfigError> {
        Self::from_env(env, sdk, "DURABLE_TABLES", "Durable", |c, t, o| {
            DurableStore::new(c, t, o)
        })
    }
}

/// The function's own region (`us-east-1` if the configuration has none).
pub fn own_region(sdk: &SdkConfig) -> String {
    sdk.region()
        .map(|r| r.to_string())
        .unwrap_or_else(|| "us-east-1".to_string())
}

/// The member-account role of this deployment (`DEPLOYMENT_NAME`, `EXTERNAL_ID`); the host
/// account (`HOST_ACCOUNT_ID`) is reached with the function's own credentials.
pub fn member_roles(
    env: &impl Lookup,
    sdk: &SdkConfig,
    session: &str,
) -> Result<RoleAssumer, ConfigError> {
    let deployment = config::required(env, "DEPLOYMENT_NAME")?;
    let external_id = config::required(env, "EXTERNAL_ID")?;
    let host = config::account_id(env, "HOST_ACCOUNT_ID")?;
    Ok(RoleAssumer::new(
        sdk.clone(),
        host,
        platform::roles::member_role_name(&deployment),
        external_id,
        format!("{deployment}-historical-{session}"),
    ))
}

/// A comma-separated list variable (blanks dropped); empty when unset.
pub fn list(env: &impl Lookup, name: &str) -> Vec<String> {
    config::optional(env, name)
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_pair_technologies_with_tables() {
        let names =
            TableNames::parse("CURRENT_TABLES", " s3=a , vpc=b,").expect("two technologies");
        assert_eq!(names.get(Technology::S3), Some("a"));
        assert_eq!(names.get(Technology::Vpc), Some("b"));
        assert_eq!(names.get(Technology::IamRole), None);
        assert_eq!(
            names.technologies().collect::<Vec<_>>(),
            vec![Technology::S3, Technology::Vpc]
        );
    }

    #[test]
    fn bad_table_names_say_what_is_wrong() {
        for (value, expected) in [
            ("s3", "is not tech=table"),
            ("ec2=a", "unknown technology \"ec2\""),
            ("s3=", "s3 has no table name"),
            ("s3=a,s3=b", "s3 is named twice"),
            (" , ", "no technology is named"),
        ] {
            let err = TableNames::parse("CURRENT_TABLES", value).unwrap_err();
            let text = err.to_string();
            assert!(
                text.contains("CURRENT_TABLES") && text.contains(expected),
                "{value:?}: {text}"
            );
        }
    }

    #[test]
    fn lists_drop_blanks() {
        let env = [("POLL_REGIONS", " us-east-1, ,eu-west-1 ")];
        assert_eq!(list(&env, "POLL_REGIONS"), vec!["us-east-1", "eu-west-1"]);
        assert!(list(&env, "UNSET").is_empty());
    }
}

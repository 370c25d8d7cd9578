//! Configuration from the process environment.
//!
//! Lambda functions get their configuration from environment variables set by the template. Reading them
//! through these helpers gives one error shape for every binary: the variable's name and what is wrong
//! with it, so a misconfigured deployment fails at cold start with a message an operator can act on.

use std::str::FromStr;

/// A configuration value that is missing or cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// The variable is not set, or set to the empty string.
    #[error("environment variable {name} is required but not set")]
    Missing {
        /// The variable's name.
        name: String,
    },
    /// The variable is set but its value does not parse.
    #[error("environment variable {name}={value:?} is invalid: {reason}")]
    Invalid {
        /// The variable's name.
        name: String,
        /// Its value.
        value: String,
        /// Why the value cannot be used.
        reason: String,
    },
}

/// Source of configuration values; the process environment in production, a map in tests.
pub trait Lookup {
    /// The value of `name`, if set.
    fn get(&self, name: &str) -> Option<String>;
}

/// The real process environment.
#[derive(Debug, Default, Clone, Copy)]
pub struct ProcessEnv;

impl Lookup for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl<const N: usize> Lookup for [(&str, &str); N] {
    fn get(&self, name: &str) -> Option<String> {
        self.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }
}

/// A required, non-empty string variable.
pub fn required(env: &impl Lookup, name: &str) -> Result<String, ConfigError> {
    match env.get(name) {
        Some(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(ConfigError::Missing { name: name.into() }),
    }
}

/// A required 12-digit AWS account id (`HOST_ACCOUNT_ID`, ...).
pub fn account_id(env: &impl Lookup, name: &str) -> Result<String, ConfigError> {
    let value = required(env, name)?;
    if crate::roles::is_account_id(&value) {
        Ok(value)
    } else {
        Err(ConfigError::Invalid {
            name: name.into(),
            value,
            reason: "not a 12-digit account id".into(),
        })
    }
}

/// An environment for tests that answers with `answer` and records every name asked for: a
/// function's tests check that its configuration reads exactly the variables its template entry
/// sets.
pub struct RecordingEnv<F: Fn(&str) -> Option<String>> {
    answer: F,
    asked: std::cell::RefCell<std::collections::BTreeSet<String>>,
}

impl<F: Fn(&str) -> Option<String>> RecordingEnv<F> {
    /// An environment whose variable `name` is `answer(name)`.
    pub fn new(answer: F) -> Self {
        Self {
            answer,
            asked: Default::default(),
        }
    }

    /// Every name asked for so far, sorted.
    pub fn asked(&self) -> std::collections::BTreeSet<String> {
        self.asked.borrow().clone()
    }
}

impl<F: Fn(&str) -> Option<String>> Lookup for RecordingEnv<F> {
    fn get(&self, name: &str) -> Option<String> {
        self.asked.borrow_mut().insert(name.to_string());
        (self.answer)(name)
    }
}

/// An optional string variable; the empty string counts as unset.
pub fn optional(env: &impl Lookup, name: &str) -> Option<String> {
    env.get(name).filter(|v| !v.trim().is_empty())
}

/// An optional variable parsed as `T`, with `default` when unset.
pub fn parsed_or<T>(env: &impl Lookup, name: &str, default: T) -> Result<T, ConfigError>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    match optional(env, name) {
        None => Ok(default),
        Some(value) => value
            .trim()
            .parse()
            .map_err(|e: T::Err| ConfigError::Invalid {
                name: name.into(),
                reason: e.to_string(),
                value,
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_are_twelve_digits_and_a_recording_env_records() {
        let env = RecordingEnv::new(|name| (name == "A").then(|| "123456789012".to_string()));
        assert_eq!(account_id(&env, "A"), Ok("123456789012".into()));
        let short = [("B", "1234")];
        assert!(matches!(
            account_id(&short, "B"),
            Err(ConfigError::Invalid { .. })
        ));
        assert!(account_id(&env, "C").is_err());
        assert_eq!(env.asked().into_iter().collect::<Vec<_>>(), ["A", "C"]);
    }

    #[test]
    fn missing_and_empty_are_both_missing() {
        let env = [("EMPTY", " ")];
        assert_eq!(
            required(&env, "NOPE"),
            Err(ConfigError::Missing {
                name: "NOPE".into()
            })
        );
        assert!(matches!(
            required(&env, "EMPTY"),
            Err(ConfigError::Missing { .. })
        ));
        assert_eq!(optional(&env, "EMPTY"), None);
    }

    #[test]
    fn parsed_values_name_the_variable_when_invalid() {
        let env = [("N", "12"), ("BAD", "twelve")];
        assert_eq!(parsed_or(&env, "N", 1u32), Ok(12));
        assert_eq!(parsed_or(&env, "UNSET", 7u32), Ok(7));
        let err = parsed_or(&env, "BAD", 1u32).unwrap_err();
        assert!(err.to_string().contains("BAD=\"twelve\""), "{err}");
    }
}

//! Historical's seven Lambda functions, one module each, named as the function. Each module has
//! its configuration (read from the function's own variables, `platform::serve::FromEnv`, listed
//! in its `VARIABLES`) and its `handle`: read (a queue, a stream, a table, AWS), decide (the
//! `historical` crate), write. Each binary's `main.rs` is `platform::serve::run(<module>::handle)`.
//!
//! ```text
//! schedule ─▶ poller_tasker ─▶ [poller task queue] ─▶ poller ─▶ [poll queue] ─┐
//! CloudTrail (EventBridge, off-region SNS) ─▶ [event queue] ──────────────────┴▶ collector
//! collector ─▶ Current tables ─(stream)▶ current_proxy ─▶ [differ queue] ─▶ differ
//! differ ─▶ Durable tables ─(stream)▶ durable_proxy ─▶ history table (S3), change-feed topic (SNS)
//! schedule ─▶ history_compactor: a day's history files merged into one
//! ```
//!
//! Every queue has a dead-letter queue; every SQS and stream handler reports partial batch
//! failures, so one bad message is retried (and in the end parked) without its batch.
//!
//! The two stream proxies are two modules: they share no configuration (the Current proxy sends
//! to the Differ queue, the Durable proxy publishes to the change-feed topic) and the routing of
//! a record is `historical::proxy`'s; what they do share, reading a stream record and reporting
//! one that failed, is the [`crate::stream`] adapter.

pub mod collector;
pub mod current_proxy;
pub mod differ;
pub mod durable_proxy;
pub mod history_compactor;
pub mod poller;
pub mod poller_tasker;

/// One Historical function as the template deploys it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Function {
    /// Its logical id in `template.yaml`.
    pub logical_id: &'static str,
    /// Its binary (`lambdas/<binary>`).
    pub binary: &'static str,
    /// The environment variables its configuration reads: exactly those its template entry sets.
    pub variables: &'static [&'static str],
}

/// Every Historical function.
pub const FUNCTIONS: [Function; 7] = [
    Function {
        logical_id: "PollerTaskerFunction",
        binary: "historical-poller-tasker",
        variables: poller_tasker::Config::VARIABLES,
    },
    Function {
        logical_id: "PollerFunction",
        binary: "historical-poller",
        variables: poller::Config::VARIABLES,
    },
    Function {
        logical_id: "CollectorFunction",
        binary: "historical-collector",
        variables: collector::Config::VARIABLES,
    },
    Function {
        logical_id: "CurrentProxyFunction",
        binary: "historical-current-proxy",
        variables: current_proxy::Config::VARIABLES,
    },
    Function {
        logical_id: "DifferFunction",
        binary: "historical-differ",
        variables: differ::Config::VARIABLES,
    },
    Function {
        logical_id: "DurableProxyFunction",
        binary: "historical-durable-proxy",
        variables: durable_proxy::Config::VARIABLES,
    },
    Function {
        logical_id: "HistoryCompactorFunction",
        binary: "historical-history-compactor",
        variables: history_compactor::Config::VARIABLES,
    },
];

#[cfg(test)]
mod tests {
    //! Each configuration reads exactly its `VARIABLES`: no more (a variable read but not listed
    //! would be missing from the template, which `tests/tests/historical_template.rs` compares with
    //! [`FUNCTIONS`]), no fewer.

    use std::collections::{BTreeMap, BTreeSet};

    use aws_config::{BehaviorVersion, Region, SdkConfig};
    use platform::config::RecordingEnv;
    use platform::serve::FromEnv;

    use super::*;

    /// A valid value for every variable any configuration reads.
    const VALUES: &[(&str, &str)] = &[
        ("CURRENT_TABLES", "s3=s3-current,vpc=vpc-current"),
        ("DURABLE_TABLES", "s3=s3-durable,vpc=vpc-durable"),
        ("OFFLOAD_BUCKET", "offload"),
        ("DEPLOYMENT_NAME", "historical"),
        ("EXTERNAL_ID", "external"),
        ("HOST_ACCOUNT_ID", "123456789012"),
        ("TTL_SECONDS", "3600"),
        ("POLL_QUEUE_URL", "https://sqs/poll"),
        ("POLLER_TASK_QUEUE_URL", "https://sqs/tasks"),
        ("POLL_JITTER_SECONDS", "60"),
        ("POLL_REGIONS", "us-east-1,eu-west-1"),
        ("ENABLED_ACCOUNTS", "111122223333"),
        ("SWAG_BUCKET", "swag"),
        ("SWAG_DATA_FILE", "accounts.json"),
        ("SWAG_REGION", "eu-west-1"),
        ("SWAG_OWNER", "acme"),
        ("TEST_ACCOUNTS_ONLY", "false"),
        ("PROXY_REGIONS", "us-east-1"),
        ("DIFFER_QUEUE_URL", "https://sqs/differ"),
        (
            "CHANGE_FEED_TOPIC_ARN",
            "arn:aws:sns:us-east-1:123456789012:feed",
        ),
    ];

    /// The names `C` reads, in every environment of `environments`, its configuration valid in each.
    fn read<C: FromEnv>(environments: &[&[(&'static str, &'static str)]]) -> BTreeSet<String> {
        let sdk = SdkConfig::builder()
            .region(Region::new("us-east-1"))
            .behavior_version(BehaviorVersion::latest())
            .build();
        let mut asked = BTreeSet::new();
        for overrides in environments {
            let mut values: BTreeMap<_, _> = VALUES.iter().copied().collect();
            values.extend(overrides.iter().copied());
            let env = RecordingEnv::new(|name| values.get(name).map(|v| v.to_string()));
            if let Err(e) = C::from_env(&env, &sdk) {
                panic!("{}: {e}", std::any::type_name::<C>());
            }
            asked.extend(env.asked());
        }
        asked
    }

    fn names(variables: &[&str]) -> BTreeSet<String> {
        variables.iter().map(|v| v.to_string()).collect()
    }

    #[test]
    fn each_configuration_reads_exactly_its_variables() {
        let sources: &[&[(&str, &str)]] = &[
            &[("ACCOUNT_SOURCE", "list")],
            &[("ACCOUNT_SOURCE", "swag")],
            &[("ACCOUNT_SOURCE", "organizations")],
        ];
        assert_eq!(
            read::<poller_tasker::Config>(sources),
            names(poller_tasker::Config::VARIABLES)
        );
        assert_eq!(
            read::<poller::Config>(&[&[]]),
            names(poller::Config::VARIABLES)
        );
        assert_eq!(
            read::<collector::Config>(&[&[]]),
            names(collector::Config::VARIABLES)
        );
        assert_eq!(
            read::<current_proxy::Config>(&[&[]]),
            names(current_proxy::Config::VARIABLES)
        );
        assert_eq!(
            read::<differ::Config>(&[&[]]),
            names(differ::Config::VARIABLES)
        );
        assert_eq!(
            read::<durable_proxy::Config>(&[&[]]),
            names(durable_proxy::Config::VARIABLES)
        );
        assert_eq!(
            read::<history_compactor::Config>(&[&[]]),
            names(history_compactor::Config::VARIABLES)
        );
    }
}

//! S3Insights' seven Lambda functions, one module each, named as the function. Each has its own
//! configuration (`Config`, read once per cold start from the variables its template entry sets:
//! `Config::VARIABLES`; what it does with the state table: `Config::STATE_TABLE`) and a `handle`; each binary's `main.rs` is
//! `platform::serve::run(<module>::handle)`.
//!
//! | function (template) | binary | module | requests |
//! |---|---|---|---|
//! | `RunLedgerFunction` | `s3insights-run-ledger` | [`run_ledger`] | `start`, `fail`, `finish`, `runs_to_clean`, `cleaned` |
//! | `StagingStacksFunction` | `s3insights-staging-stacks` | [`staging_stacks`] | `create_stack`, `create_status`, `delete_stack`, `delete_status` |
//! | `InventoryConfiguratorFunction` | `s3insights-inventory-configurator` | [`inventory_configurator`] | `configure_account`, `remove_configurations`, `smoke_reports` |
//! | `InventoryProcessorFunction` | `s3insights-inventory-processor` | [`inventory_processor`] | SQS batches of S3 event notifications |
//! | `RunMonitorFunction` | `s3insights-run-monitor` | [`run_monitor`] | `check` |
//! | `AnalysisFunction` | `s3insights-analysis` | [`analysis`] | `prepare`, `summarise` |
//! | `ReportFunction` | `s3insights-report` | [`report`] | `send` |

pub mod analysis;
pub mod inventory_configurator;
pub mod inventory_processor;
pub mod report;
pub mod run_ledger;
pub mod run_monitor;
pub mod staging_stacks;

use crate::store::Access;

/// One function as the template declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Function {
    /// Its logical id in `template.yaml`.
    pub logical_id: &'static str,
    /// Its binary (`lambdas/<binary>`).
    pub binary: &'static str,
    /// The environment variables its configuration reads: exactly those its template entry sets.
    pub variables: &'static [&'static str],
    /// What it does with the state table: the policy its template entry must grant.
    pub state_table: Access,
}

/// Every S3Insights function.
pub const FUNCTIONS: [Function; 7] = [
    Function {
        logical_id: "RunLedgerFunction",
        binary: "s3insights-run-ledger",
        variables: run_ledger::Config::VARIABLES,
        state_table: run_ledger::Config::STATE_TABLE,
    },
    Function {
        logical_id: "StagingStacksFunction",
        binary: "s3insights-staging-stacks",
        variables: staging_stacks::Config::VARIABLES,
        state_table: staging_stacks::Config::STATE_TABLE,
    },
    Function {
        logical_id: "InventoryConfiguratorFunction",
        binary: "s3insights-inventory-configurator",
        variables: inventory_configurator::Config::VARIABLES,
        state_table: inventory_configurator::Config::STATE_TABLE,
    },
    Function {
        logical_id: "InventoryProcessorFunction",
        binary: "s3insights-inventory-processor",
        variables: inventory_processor::Config::VARIABLES,
        state_table: inventory_processor::Config::STATE_TABLE,
    },
    Function {
        logical_id: "RunMonitorFunction",
        binary: "s3insights-run-monitor",
        variables: run_monitor::Config::VARIABLES,
        state_table: run_monitor::Config::STATE_TABLE,
    },
    Function {
        logical_id: "AnalysisFunction",
        binary: "s3insights-analysis",
        variables: analysis::Config::VARIABLES,
        state_table: analysis::Config::STATE_TABLE,
    },
    Function {
        logical_id: "ReportFunction",
        binary: "s3insights-report",
        variables: report::Config::VARIABLES,
        state_table: report::Config::STATE_TABLE,
    },
];

//! The billable units of a run, counted by one rule wherever they are counted (the offline CLI's
//! execution summary, the operator CLI's `costs`), so that the figures in docs/operations.md and an
//! operator's own run are comparable.
//!
//! Pure: callers read the execution history, the Lambda `REPORT` log lines and Athena's statistics,
//! and hand them here.

/// One megabyte as Athena rounds (2^20 bytes).
const MEGABYTE: u64 = 1 << 20;

/// Athena's minimum charge per query: 10 MB.
pub const ATHENA_MINIMUM_BYTES: u64 = 10 * MEGABYTE;

/// State transitions a Standard workflow is billed for, from its history's event types (in any
/// order): every state entered, inner states of Map and Parallel included, plus every Task retry
/// (AWS bills a retry as a transition; the history shows it as one more `TaskScheduled` than the
/// Task states entered).
pub fn state_transitions<'a>(event_types: impl IntoIterator<Item = &'a str>) -> u64 {
    let (mut entered, mut scheduled, mut tasks_entered) = (0u64, 0u64, 0u64);
    for kind in event_types {
        if kind.ends_with("StateEntered") {
            entered += 1;
        }
        if kind == "TaskScheduled" {
            scheduled += 1;
        }
        if kind == "TaskStateEntered" {
            tasks_entered += 1;
        }
    }
    entered + scheduled.saturating_sub(tasks_entered)
}

/// The bytes Athena bills for a query that scanned `scanned` bytes: rounded up to the megabyte,
/// at least 10 MB (a failed or cancelled query is billed what it scanned, the same way).
pub fn athena_billed_bytes(scanned: u64) -> u64 {
    scanned
        .div_ceil(MEGABYTE)
        .saturating_mul(MEGABYTE)
        .max(ATHENA_MINIMUM_BYTES)
}

/// One Lambda invocation as its `REPORT` log line tells it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InvocationReport {
    /// `Duration`, milliseconds.
    pub duration_ms: f64,
    /// `Billed Duration`, milliseconds (for the `provided` runtimes it includes the init duration).
    pub billed_ms: u64,
    /// `Memory Size`, MB: the function's configured memory.
    pub memory_mb: u64,
    /// `Max Memory Used`, MB.
    pub max_memory_used_mb: u64,
}

impl InvocationReport {
    /// Parses a line Lambda writes to the function's log group at the end of every invocation:
    /// `REPORT RequestId: <id>\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\t
    /// Max Memory Used: 18 MB[\tInit Duration: 28.58 ms]`. `None` for any other line.
    pub fn parse(line: &str) -> Option<Self> {
        let rest = line.trim().strip_prefix("REPORT RequestId:")?;
        let field = |name: &str, unit: &str| -> Option<&str> {
            rest.split('\t')
                .map(str::trim)
                .find_map(|part| part.strip_prefix(name)?.strip_prefix(':'))
                .map(|value| value.trim().trim_end_matches(unit).trim())
        };
        Some(Self {
            duration_ms: field("Duration", "ms")?.parse().ok()?,
            billed_ms: field("Billed Duration", "ms")?.parse().ok()?,
            memory_mb: field("Memory Size", "MB")?.parse().ok()?,
            max_memory_used_mb: field("Max Memory Used", "MB")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
        })
    }

    /// GB-seconds billed: billed seconds × configured memory in GB (1 GB = 1,024 MB, as Lambda's
    /// pricing counts).
    pub fn gb_seconds(&self) -> f64 {
        self.billed_ms as f64 / 1000.0 * self.memory_mb as f64 / 1024.0
    }
}

/// Every invocation of one function in a window, summed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FunctionUsage {
    /// Invocations (`REPORT` lines).
    pub invocations: u64,
    /// Σ billed milliseconds.
    pub billed_ms: u64,
    /// Σ GB-seconds.
    pub gb_seconds: f64,
    /// The largest `Max Memory Used`, MB.
    pub peak_memory_mb: u64,
    /// The configured memory of the last invocation seen, MB.
    pub memory_mb: u64,
}

impl FunctionUsage {
    /// Adds one invocation.
    pub fn add(&mut self, report: &InvocationReport) {
        self.invocations += 1;
        self.billed_ms += report.billed_ms;
        self.gb_seconds += report.gb_seconds();
        self.peak_memory_mb = self.peak_memory_mb.max(report.max_memory_used_mb);
        self.memory_mb = report.memory_mb;
    }

    /// The usage of every `REPORT` line among `lines` (other lines are skipped).
    pub fn of_lines<'a>(lines: impl IntoIterator<Item = &'a str>) -> Self {
        let mut usage = Self::default();
        for report in lines.into_iter().filter_map(InvocationReport::parse) {
            usage.add(&report);
        }
        usage
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line as AWS Lambda writes it for a `provided.al2023` function's cold start (the format of
    /// the Lambda developer guide's "Monitoring" pages).
    const AWS_COLD: &str = "REPORT RequestId: 3604209a-e9a3-11e6-939a-754dd98c7be3\tDuration: 12.34 ms\tBilled Duration: 41 ms\tMemory Size: 256 MB\tMax Memory Used: 18 MB\tInit Duration: 28.58 ms\t";

    #[test]
    fn an_aws_report_line_is_read() {
        let r = InvocationReport::parse(AWS_COLD).unwrap();
        assert_eq!(r.duration_ms, 12.34);
        assert_eq!(r.billed_ms, 41);
        assert_eq!(r.memory_mb, 256);
        assert_eq!(r.max_memory_used_mb, 18);
        assert!((r.gb_seconds() - 0.041 * 0.25).abs() < 1e-12);
    }

    #[test]
    fn other_lines_are_not_reports() {
        assert_eq!(
            InvocationReport::parse("START RequestId: x Version: $LATEST"),
            None
        );
        assert_eq!(InvocationReport::parse("{\"level\":\"INFO\"}"), None);
        assert_eq!(
            InvocationReport::parse("REPORT RequestId: x\tDuration: fast"),
            None
        );
    }

    #[test]
    fn usage_sums_the_reports_only() {
        let warm = "REPORT RequestId: b\tDuration: 1000 ms\tBilled Duration: 1000 ms\tMemory Size: 1024 MB\tMax Memory Used: 80 MB";
        let usage = FunctionUsage::of_lines([AWS_COLD, "END RequestId: b", warm]);
        assert_eq!(usage.invocations, 2);
        assert_eq!(usage.billed_ms, 1041);
        assert_eq!(usage.peak_memory_mb, 80);
        assert!((usage.gb_seconds - (0.041 * 0.25 + 1.0)).abs() < 1e-9);
    }

    #[test]
    fn athena_rounds_up_to_the_megabyte_with_a_ten_megabyte_minimum() {
        assert_eq!(athena_billed_bytes(0), ATHENA_MINIMUM_BYTES);
        assert_eq!(athena_billed_bytes(7107), ATHENA_MINIMUM_BYTES);
        assert_eq!(athena_billed_bytes(10 * MEGABYTE + 1), 11 * MEGABYTE);
        assert_eq!(athena_billed_bytes(64 * MEGABYTE), 64 * MEGABYTE);
    }

    #[test]
    fn transitions_count_states_entered_and_task_retries() {
        let history = [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskFailed",
            "TaskScheduled", // a retry
            "TaskStarted",
            "TaskSucceeded",
            "TaskStateExited",
            "MapStateEntered",
            "MapIterationStarted",
            "TaskStateEntered", // inside the Map
            "TaskScheduled",
            "SucceedStateEntered",
            "ExecutionSucceeded",
        ];
        assert_eq!(state_transitions(history), 5 + 1);
        assert_eq!(state_transitions([]), 0);
    }
}

//! What the report lists, in which order: shared by the HTML and text parts so they agree.

use super::comparison::{BucketChange, ChangeStatus, Comparison, ObjectKey};
use super::model::{BucketReport, RunReport};
use crate::cost::CostReport;
use crate::StatusGroup;

/// Status groups in the order a reader needs them: what went wrong first (with reasons), then what is
/// unfinished, then what went well.
pub(crate) const GROUP_ORDER: [StatusGroup; 5] = [
    StatusGroup::Failed,
    StatusGroup::TimedOut,
    StatusGroup::InProgress,
    StatusGroup::Done,
    StatusGroup::Empty,
];

/// How many buckets the "top buckets" table lists.
pub(crate) const TOP_BUCKETS: usize = 10;

/// How many buckets the storage cost table lists, and how many savings the savings table.
pub(crate) const TOP_COST_BUCKETS: usize = 10;

/// How many new public objects, and how many new secret-like keys, the comparison lists at the top of
/// the report (the rest are counted; the comparison queries' tables below list them).
pub(crate) const NEW_FINDINGS_LISTED: usize = 3;

/// The new findings the top of the report lists, per kind (`public`, `secret-like`): the first
/// [`NEW_FINDINGS_LISTED`] objects, and how many more there are.
pub(crate) fn new_findings(
    comparison: &Comparison,
) -> [(&'static str, &[ObjectKey], Option<u64>); 2] {
    [
        (
            "public",
            &comparison.new_public_objects,
            comparison.public_count(),
        ),
        (
            "secret-like",
            &comparison.new_secret_like_keys,
            comparison.secret_like_count(),
        ),
    ]
    .map(|(what, objects, count)| {
        let listed = &objects[..objects.len().min(NEW_FINDINGS_LISTED)];
        let count = usize::try_from(count).unwrap_or(usize::MAX);
        (what, listed, unlisted(count, listed.len()))
    })
}

/// The buckets that changed, the biggest changes first (the comparison's order), at most `limit`.
pub(crate) fn changed_buckets(comparison: &Comparison, limit: usize) -> Vec<&BucketChange> {
    comparison
        .buckets
        .iter()
        .filter(|b| b.status != ChangeStatus::Same)
        .take(limit)
        .collect()
}

/// A signed byte count, humanised: `+1.5 GiB`, `-3 B`, `±0 B`.
pub(crate) fn signed_bytes(delta: i64) -> String {
    let size = super::format::human_bytes(delta.unsigned_abs());
    match delta.signum() {
        1 => format!("+{size}"),
        -1 => format!("-{size}"),
        _ => format!("±{size}"),
    }
}

/// A signed count with thousands separators: `+1,234`.
pub(crate) fn signed_count(delta: i64) -> String {
    let count = super::format::group_thousands(delta.unsigned_abs());
    match delta.signum() {
        1 => format!("+{count}"),
        -1 => format!("-{count}"),
        _ => format!("±{count}"),
    }
}

/// Most buckets listed per status group (the rest are counted; `summary.json` has them all).
pub(crate) const MAX_BUCKETS_LISTED: usize = 50;

/// A query result value as the report shows it: byte counts humanised (`1.5 GiB`), counts with
/// thousands separators, timestamps to the minute; anything else, or a value that does not parse,
/// as it is. `summary.json` keeps the exact values.
pub(crate) fn humanised(column: &str, value: &str) -> String {
    let column = column.to_ascii_lowercase();
    let bytes = column == "bytes" || column == "size" || column.ends_with("_bytes");
    let count = matches!(
        column.as_str(),
        "objects" | "versions" | "current_objects" | "noncurrent_versions" | "delete_markers"
    );
    let date = column.ends_with("_date") || column == "newest_write";
    match value.parse::<u64>() {
        Ok(n) if bytes => return super::format::human_bytes(n),
        Ok(n) if count => return super::format::group_thousands(n),
        _ => {}
    }
    // Athena's and DuckDB's timestamps: `2024-03-02 10:11:12.000` (or with a `T`).
    let looks_like_time = value.len() >= 16
        && value.as_bytes()[4] == b'-'
        && matches!(value.as_bytes()[10], b' ' | b'T')
        && value.as_bytes()[13] == b':';
    if date && looks_like_time && value.is_char_boundary(16) {
        return format!("{} {}", &value[..10], &value[11..16]);
    }
    value.to_owned()
}

/// How many of `len` items a list showing at most `shown` leaves out, if any.
pub(crate) fn unlisted(len: usize, shown: usize) -> Option<u64> {
    (len > shown).then(|| (len - shown) as u64)
}

/// A saving's action as the report names it.
pub(crate) fn action_title(action: &str) -> &str {
    match action {
        "expire_noncurrent_versions" => "Expire noncurrent versions",
        "transition_cold_standard" => "Transition cold STANDARD objects",
        "move_small_objects" => "Move small objects out",
        other => other,
    }
}

/// The storage classes by monthly cost, most expensive first (ties by name).
pub(crate) fn classes_by_cost(cost: &CostReport) -> Vec<(&str, f64)> {
    let mut classes: Vec<(&str, f64)> = cost
        .by_storage_class
        .iter()
        .map(|(class, usd)| (class.as_str(), *usd))
        .collect();
    classes.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    classes
}

/// Most query result rows shown per query, whatever the report holds.
pub(crate) const MAX_ROWS_SHOWN: usize = 50;

/// Most characters of a table cell (object keys can be 1,024 bytes).
pub(crate) const MAX_CELL_CHARS: usize = 200;

/// Most characters of a failure reason.
pub(crate) const MAX_REASON_CHARS: usize = 1_000;

/// A group's heading.
pub(crate) fn group_title(group: StatusGroup) -> &'static str {
    match group {
        StatusGroup::Failed => "Failed",
        StatusGroup::TimedOut => "Timed out",
        StatusGroup::InProgress => "Still in progress",
        StatusGroup::Done => "Done",
        StatusGroup::Empty => "Empty",
    }
}

/// Whether a group's buckets need the reader's attention (they are listed with their reasons).
pub(crate) fn needs_attention(group: StatusGroup) -> bool {
    matches!(
        group,
        StatusGroup::Failed | StatusGroup::TimedOut | StatusGroup::InProgress
    )
}

/// The buckets of `group`, by account, region, bucket.
pub(crate) fn buckets_in(report: &RunReport, group: StatusGroup) -> Vec<&BucketReport> {
    let mut buckets: Vec<_> = report
        .buckets
        .iter()
        .filter(|b| b.status.group() == group)
        .collect();
    buckets.sort_by(|a, b| {
        (&a.account, &a.region, &a.bucket, a.status)
            .cmp(&(&b.account, &b.region, &b.bucket, b.status))
    });
    buckets
}

/// The buckets holding the most bytes, largest first (ties by account, region, bucket).
pub(crate) fn top_buckets(report: &RunReport) -> Vec<(&BucketReport, u64)> {
    let mut buckets: Vec<_> = report
        .buckets
        .iter()
        .filter_map(|b| b.figures.as_ref().map(|f| (b, f.bytes)))
        .filter(|(_, bytes)| *bytes > 0)
        .collect();
    buckets.sort_by(|(a, a_bytes), (b, b_bytes)| {
        b_bytes.cmp(a_bytes).then_with(|| {
            (&a.account, &a.region, &a.bucket).cmp(&(&b.account, &b.region, &b.bucket))
        })
    });
    buckets.truncate(TOP_BUCKETS);
    buckets
}

/// `part` of `whole` in tenths of a percent, rounded half up (0 when `whole` is 0).
pub(crate) fn share_tenths(part: u64, whole: u64) -> u32 {
    if whole == 0 {
        return 0;
    }
    let tenths = (u128::from(part) * 1000 + u128::from(whole) / 2) / u128::from(whole);
    u32::try_from(tenths.min(1000)).unwrap_or(1000)
}

/// The console link of a query, rebuilt from its execution id and the run's region: the stored
/// [`super::QueryReport::console_link`] is never put in a page.
pub(crate) fn query_link(report: &RunReport, query: &super::QueryReport) -> Option<String> {
    let id = query.execution_id.as_deref()?;
    crate::catalogue::console_link(&report.athena.region, id).ok()
}

/// How an instant is shown.
pub(crate) fn instant(at: &chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

#[cfg(test)]
mod tests {
    use super::humanised;

    #[test]
    fn query_values_are_humanised_by_column() {
        assert_eq!(humanised("bytes", "1610612736"), "1.5 GiB");
        assert_eq!(humanised("size", "912"), "912 B");
        assert_eq!(humanised("noncurrent_bytes", "2048"), "2.0 KiB");
        assert_eq!(humanised("versions", "1234567"), "1,234,567");
        assert_eq!(
            humanised("last_modified_date", "2024-03-02 10:11:12.000"),
            "2024-03-02 10:11"
        );
        assert_eq!(
            humanised("newest_write", "2019-03-04T12:00:00Z"),
            "2019-03-04 12:00"
        );
        // Anything else, or what does not parse, as it is.
        assert_eq!(humanised("key", "1610612736"), "1610612736");
        assert_eq!(humanised("bytes", "n/a"), "n/a");
        assert_eq!(humanised("last_modified_date", "soon"), "soon");
        assert_eq!(humanised("days_since_write", "2000"), "2000");
    }
}

//! A bucket's status change: one conditional update, so duplicate and late decisions change nothing.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use s3insights::BucketStatus;

use super::{conditional_failed, now, run_pk, s, BucketChange, StateStore};
use crate::error::{sdk_error, FunctionError};

/// The parts of a bucket's conditional update.
#[derive(Debug, Clone, PartialEq)]
struct Update {
    /// `SET ... [REMOVE ...]`.
    expression: String,
    /// `attribute_exists(pk) AND (#status = :from0 OR ...)`.
    condition: String,
    /// The expression's values.
    values: HashMap<String, AttributeValue>,
}

/// The update that moves a bucket of `run_id` from one of `from` to `change.to`, written `at`.
/// Leaving `in_progress` removes the sparse-index key `in_progress_run`; a change without a reason
/// removes the old one.
fn update(
    run_id: &str,
    from: &[BucketStatus],
    change: &BucketChange<'_>,
    at: String,
) -> Result<Update, FunctionError> {
    let mut set = vec!["#status = :to", "updated_at = :now"];
    let mut remove = Vec::new();
    let mut values = HashMap::from([
        (":to".to_string(), s(change.to.as_str())),
        (":now".to_string(), s(at)),
    ]);
    let mut put = |clause: &'static str, name: &str, value: AttributeValue| {
        set.push(clause);
        values.insert(name.to_string(), value);
    };
    match change.reason {
        Some(reason) => put("reason = :reason", ":reason", s(reason)),
        None => remove.push("reason"),
    }
    if let Some(figures) = change.figures {
        let value = serde_dynamo::to_attribute_value(figures)
            .map_err(|e| FunctionError::corrupt("bucket figures", e))?;
        put("figures = :figures", ":figures", value);
    }
    if let Some(manifest) = change.manifest_key {
        put("manifest_key = :manifest", ":manifest", s(manifest));
    }
    if let Some(files) = change.files {
        put(
            "files = :files",
            ":files",
            AttributeValue::N(files.to_string()),
        );
    }
    if let Some(configured) = change.configured {
        put(
            "configured = :configured",
            ":configured",
            AttributeValue::Bool(configured),
        );
    }
    if change.to == BucketStatus::InProgress {
        put("in_progress_run = :run", ":run", s(run_id));
    } else {
        remove.push("in_progress_run");
    }
    let mut expression = format!("SET {}", set.join(", "));
    if !remove.is_empty() {
        expression.push_str(" REMOVE ");
        expression.push_str(&remove.join(", "));
    }
    let mut condition = Vec::new();
    for (i, status) in from.iter().enumerate() {
        let name = format!(":from{i}");
        condition.push(format!("#status = {name}"));
        values.insert(name, s(status.as_str()));
    }
    let condition = format!("attribute_exists(pk) AND ({})", condition.join(" OR "));
    Ok(Update {
        expression,
        condition,
        values,
    })
}

impl StateStore {
    /// Moves a bucket to `change.to` if its status is one of `from`; `Ok(false)` when it was not (a
    /// duplicate or late message, or a concurrent decision that won).
    pub async fn transition_bucket(
        &self,
        run_id: &str,
        sk: &str,
        from: &[BucketStatus],
        change: BucketChange<'_>,
    ) -> Result<bool, FunctionError> {
        let update = update(run_id, from, &change, now())?;
        let answer = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(run_pk(run_id)))
            .key("sk", s(sk))
            .expression_attribute_names("#status", "status")
            .set_expression_attribute_values(Some(update.values))
            .update_expression(update.expression)
            .condition_expression(update.condition)
            .send()
            .await;
        match answer {
            Ok(_) => Ok(true),
            Err(err) if conditional_failed(&err) => Ok(false),
            Err(err) => Err(sdk_error(
                format!("update bucket {sk} of run {run_id}"),
                err,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_leaving_in_progress_leaves_the_sparse_index() {
        let change = BucketChange::to(BucketStatus::TimedOut).because("late");
        let u = update("r1", &[BucketStatus::InProgress], &change, "t".into()).unwrap();
        assert_eq!(
            u.expression,
            "SET #status = :to, updated_at = :now, reason = :reason REMOVE in_progress_run"
        );
        assert_eq!(u.condition, "attribute_exists(pk) AND (#status = :from0)");
        assert_eq!(u.values[":to"], s("timed_out"));
        assert_eq!(u.values[":from0"], s("in_progress"));
        assert_eq!(u.values[":reason"], s("late"));
    }

    #[test]
    fn a_bucket_entering_in_progress_joins_it_and_loses_its_reason() {
        let mut change = BucketChange::to(BucketStatus::InProgress);
        change.configured = Some(true);
        let from = [
            BucketStatus::InventoryConfigurationNotCreated,
            BucketStatus::BucketIsEmpty,
        ];
        let u = update("r1", &from, &change, "t".into()).unwrap();
        assert_eq!(
            u.expression,
            "SET #status = :to, updated_at = :now, configured = :configured, in_progress_run = :run REMOVE reason"
        );
        assert_eq!(
            u.condition,
            "attribute_exists(pk) AND (#status = :from0 OR #status = :from1)"
        );
        assert_eq!(u.values[":run"], s("r1"));
        assert_eq!(u.values[":configured"], AttributeValue::Bool(true));
    }

    #[test]
    fn a_done_bucket_keeps_its_figures_manifest_and_files() {
        let figures = s3insights::BucketFigures::default();
        let mut change = BucketChange::to(BucketStatus::Done);
        change.figures = Some(&figures);
        change.manifest_key = Some("m/manifest.json");
        change.files = Some(2);
        let u = update("r1", &[BucketStatus::InProgress], &change, "t".into()).unwrap();
        assert_eq!(
            u.expression,
            "SET #status = :to, updated_at = :now, figures = :figures, manifest_key = :manifest, files = :files REMOVE reason, in_progress_run"
        );
        assert_eq!(u.values[":files"], AttributeValue::N("2".into()));
        assert_eq!(u.values[":manifest"], s("m/manifest.json"));
        assert!(matches!(u.values[":figures"], AttributeValue::M(_)));
    }
}

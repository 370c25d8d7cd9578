//! The report (`s3insights-report`): assembled from the run's stored state
//! (`s3insights::report::assemble`), stored under `reports/<run_id>/`, then emailed.
//!
//! The report is stored before the email is sent, so an SES refusal (an unverified sandbox address)
//! loses nothing: the refusal is recorded on the run and returned, and the run goes on to clean up.

use aws_config::SdkConfig;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use platform::config::{ConfigError, Lookup};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::config;
use crate::earlier_reports::{self, PreviousRunChoice};
use crate::error::FunctionError;
use crate::s3::{get_json, put_bytes, put_json};
use crate::store::{Access, StateStore};
use s3insights::names::keys;
use s3insights::report::{
    assemble, email_not_sent, render_html, render_text, subject, with_previous_run, Coverage,
    Origin, RunReport, StoredRun,
};

/// The report's configuration and clients.
pub struct Config {
    store: StateStore,
    consolidated_bucket: String,
    deployment_name: String,
    region: String,
    s3: aws_sdk_s3::Client,
    ses: aws_sdk_sesv2::Client,
}

impl Config {
    /// What it does with the state table (its template policy).
    pub const STATE_TABLE: Access = Access::ReadWrite;

    /// The variables it reads.
    pub const VARIABLES: &'static [&'static str] =
        &["STATE_TABLE", "CONSOLIDATED_BUCKET", "DEPLOYMENT_NAME"];
}

impl platform::serve::FromEnv for Config {
    fn from_env(env: &impl Lookup, sdk: &SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            store: config::state_store(env, sdk)?,
            consolidated_bucket: config::consolidated_bucket(env)?,
            deployment_name: platform::config::required(env, "DEPLOYMENT_NAME")?,
            region: config::own_region(sdk),
            s3: platform::aws::s3_client(sdk),
            ses: aws_sdk_sesv2::Client::new(sdk),
        })
    }
}

/// A report request.
#[derive(Debug, Deserialize)]
pub struct ReportRequest {
    /// `send`.
    pub action: String,
    /// Run id.
    pub run_id: String,
}

/// Handles one request.
pub async fn handle(config: &Config, request: Value) -> Result<Value, FunctionError> {
    let request: ReportRequest =
        serde_json::from_value(request).map_err(FunctionError::undecodable)?;
    if request.action != "send" {
        return Err(FunctionError::no_action("the report", &request.action));
    }
    // Boxed: the email future is deep enough to overflow the compiler's layout recursion limit.
    Box::pin(send(config, &request.run_id)).await
}

/// What the state table and the consolidated bucket hold of the run.
async fn stored(config: &Config, run_id: &str) -> Result<StoredRun, FunctionError> {
    let store = &config.store;
    let bucket = &config.consolidated_bucket;
    Ok(StoredRun {
        run: store.require_run(run_id).await?,
        input: get_json(&config.s3, bucket, &keys::input(run_id)).await?,
        buckets: store.buckets(run_id).await?,
        // None yet if the run failed before its analysis.
        queries: get_json(&config.s3, bucket, &keys::query_outcomes(run_id))
            .await
            .unwrap_or_default(),
        accounts: store.accounts(run_id).await?,
    })
}

/// Stores the report's three files.
async fn store_report(
    config: &Config,
    run_id: &str,
    report: &RunReport,
) -> Result<(String, String), FunctionError> {
    let (html, text) = (render_html(report), render_text(report));
    let (s3, bucket) = (&config.s3, &config.consolidated_bucket);
    let html_type = "text/html; charset=utf-8";
    put_bytes(
        s3,
        bucket,
        &keys::report_html(run_id),
        html.clone().into_bytes(),
        html_type,
    )
    .await?;
    let text_type = "text/plain; charset=utf-8";
    put_bytes(
        s3,
        bucket,
        &keys::report_text(run_id),
        text.clone().into_bytes(),
        text_type,
    )
    .await?;
    put_json(s3, bucket, &keys::summary_json(run_id), report).await?;
    Ok((html, text))
}

async fn send(config: &Config, run_id: &str) -> Result<Value, FunctionError> {
    let mut stored = stored(config, run_id).await?;
    let origin = Origin {
        deployment: &config.deployment_name,
        region: &config.region,
    };
    let mut report = assemble(&stored, origin, chrono::Utc::now());
    let (previous, read) = previous_run(config, &report).await?;
    with_previous_run(&mut report, previous.as_ref(), read);
    let (html, text) = store_report(config, run_id, &report).await?;
    let input = &stored.input;
    let sent = config
        .ses
        .send_email()
        .from_email_address(&input.sender_email_address)
        .destination(
            Destination::builder()
                .set_to_addresses(Some(input.recipient_email_addresses.clone()))
                .build(),
        )
        .content(
            EmailContent::builder()
                .simple(message(&report, html, text)?)
                .build(),
        )
        .send()
        .await;
    let email = match sent {
        Ok(answer) => json!({"sent": true, "message_id": answer.message_id()}),
        Err(err) => {
            let reason = platform::sdk_error::summary("ses:SendEmail", &err);
            stored.run.notes.push(email_not_sent(&reason));
            config.store.put("run", &stored.run).await?;
            json!({"sent": false, "reason": reason})
        }
    };
    let bucket = &config.consolidated_bucket;
    Ok(json!({
        "report": format!("s3://{bucket}/{}", keys::report_html(run_id)),
        "summary": format!("s3://{bucket}/{}", keys::summary_json(run_id)),
        "email": email,
        "buckets": report.buckets.len(),
    }))
}

/// The run to compare with: the one the analysis chose (its comparison queries read that run's
/// table), or, when the analysis did not run, the latest comparable one.
async fn previous_run(
    config: &Config,
    report: &RunReport,
) -> Result<(Option<RunReport>, usize), FunctionError> {
    let (s3, bucket) = (&config.s3, &config.consolidated_bucket);
    let chosen: Option<PreviousRunChoice> =
        get_json(s3, bucket, &keys::previous_run(&report.run_id))
            .await
            .ok();
    match chosen {
        Some(PreviousRunChoice {
            run_id: Some(id),
            read,
        }) => {
            let previous = get_json(s3, bucket, &keys::summary_json(&id)).await?;
            Ok((Some(previous), read))
        }
        Some(PreviousRunChoice { run_id: None, read }) => Ok((None, read)),
        None => earlier_reports::previous_run(s3, bucket, &Coverage::of(report)).await,
    }
}

/// The email: the subject, and the HTML and text parts.
fn message(report: &RunReport, html: String, text: String) -> Result<Message, FunctionError> {
    let content = |data: String| {
        Content::builder()
            .data(data)
            .charset("UTF-8")
            .build()
            .map_err(|e| FunctionError::Aws {
                operation: "build email".into(),
                message: e.to_string(),
            })
    };
    Ok(Message::builder()
        .subject(content(subject(report))?)
        .body(
            Body::builder()
                .html(content(html)?)
                .text(content(text)?)
                .build(),
        )
        .build())
}

#[cfg(test)]
mod tests {
    use super::Config;

    #[test]
    fn reads_only_its_variables_and_uses_the_state_table_as_declared() {
        let config = crate::config::testing::reads_exactly::<Config>(Config::VARIABLES);
        assert_eq!(config.store.access(), Config::STATE_TABLE);
    }
}

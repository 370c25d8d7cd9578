//! The report: built from the run's stored state, stored under `reports/<run_id>/`, then emailed.
//!
//! The report is stored before the email is sent, so an SES refusal (an unverified sandbox address)
//! loses nothing: the refusal is recorded on the run and returned, and the run goes on to clean up.

use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::HarvestError;
use crate::s3util::{get_json, put_bytes, put_json};
use crate::store::{AccountRecord, RunRecord, RunStatus, StateStore};
use crate::HarvestContext;
use s3insights::input::HarvesterInput;
use s3insights::names::keys;
use s3insights::report::{
    render_html, render_text, subject, AthenaReport, BucketReport, QueryReport, RunOutcome,
    RunReport,
};

/// A report request.
#[derive(Debug, Deserialize)]
pub struct ReportRequest {
    /// `send`.
    pub action: String,
    /// Run id.
    pub run_id: String,
}

/// Handles one request.
pub async fn handle(ctx: &HarvestContext, request: Value) -> Result<Value, HarvestError> {
    let request: ReportRequest =
        serde_json::from_value(request).map_err(|e| HarvestError::UnknownRequest(e.to_string()))?;
    if request.action != "send" {
        return Err(HarvestError::UnknownRequest(format!(
            "the report has no action {:?}",
            request.action
        )));
    }
    // Boxed: the email future is deep enough to overflow the compiler's layout recursion limit.
    Box::pin(send(ctx, &request.run_id)).await
}

fn parse_time(text: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_else(|_| chrono::Utc::now())
}

/// Builds the report from the run's records and files.
pub async fn build(
    ctx: &HarvestContext,
    run_id: &str,
) -> Result<(RunReport, HarvesterInput, RunRecord), HarvestError> {
    let store = StateStore::new(ctx.dynamodb.clone(), &ctx.state_table);
    let run = store.require_run(run_id).await?;
    let input: HarvesterInput =
        get_json(&ctx.s3, &ctx.consolidated_bucket, &keys::input(run_id)).await?;
    let mut buckets: Vec<BucketReport> = store
        .buckets(run_id)
        .await?
        .into_iter()
        .map(|b| BucketReport {
            account: b.account,
            region: b.region,
            bucket: b.bucket,
            status: b.status,
            reason: b.reason,
            figures: b.figures,
        })
        .collect();
    buckets.sort_by(|a, b| {
        (&a.account, &a.region, &a.bucket).cmp(&(&b.account, &b.region, &b.bucket))
    });
    let queries: Vec<QueryReport> = get_json(
        &ctx.s3,
        &ctx.consolidated_bucket,
        &keys::query_outcomes(run_id),
    )
    .await
    .unwrap_or_default();
    let mut notes = run.notes.clone();
    for account in store
        .query_prefix::<AccountRecord>(run_id, "account#")
        .await?
    {
        if account.status == "unreachable" {
            notes.push(format!(
                "Account {} could not be reached, none of its buckets were inventoried: {}",
                account.account,
                account.reason.as_deref().unwrap_or("no reason given")
            ));
        }
        if account.excluded > 0 || account.other_regions > 0 {
            notes.push(format!(
                "Account {}: {} bucket(s) excluded (input or this deployment's own), {} in regions the run does not cover",
                account.account, account.excluded, account.other_regions
            ));
        }
    }
    let report = RunReport {
        run_id: run_id.to_string(),
        deployment: ctx.deployment.name.clone(),
        outcome: if run.status == RunStatus::Failed {
            RunOutcome::Failed
        } else {
            RunOutcome::Succeeded
        },
        cause: run.cause.clone(),
        started_at: parse_time(&run.created_at),
        finished_at: chrono::Utc::now(),
        is_smoke_test: run.is_smoke_test,
        accounts: input.accounts.iter().map(|a| a.id.clone()).collect(),
        regions: run.regions.clone(),
        athena: AthenaReport {
            database: run.database.clone(),
            table: run.table.clone(),
            region: ctx.region.clone(),
        },
        buckets,
        queries,
        notes,
        input: serde_json::to_value(&input).unwrap_or_default(),
    };
    Ok((report, input, run))
}

async fn send(ctx: &HarvestContext, run_id: &str) -> Result<Value, HarvestError> {
    let (report, input, mut run) = build(ctx, run_id).await?;
    let html = render_html(&report);
    let text = render_text(&report);
    let bucket = &ctx.consolidated_bucket;
    put_bytes(
        &ctx.s3,
        bucket,
        &keys::report_html(run_id),
        html.clone().into_bytes(),
        "text/html; charset=utf-8",
    )
    .await?;
    put_bytes(
        &ctx.s3,
        bucket,
        &keys::report_text(run_id),
        text.clone().into_bytes(),
        "text/plain; charset=utf-8",
    )
    .await?;
    put_json(&ctx.s3, bucket, &keys::summary_json(run_id), &report).await?;
    let content = |data: String| {
        Content::builder()
            .data(data)
            .charset("UTF-8")
            .build()
            .map_err(|e| HarvestError::Aws {
                operation: "build email".into(),
                message: e.to_string(),
            })
    };
    let message = Message::builder()
        .subject(content(subject(&report))?)
        .body(
            Body::builder()
                .html(content(html)?)
                .text(content(text)?)
                .build(),
        )
        .build();
    let sent = ctx
        .ses
        .send_email()
        .from_email_address(&input.sender_email_address)
        .destination(
            Destination::builder()
                .set_to_addresses(Some(input.recipient_email_addresses.clone()))
                .build(),
        )
        .content(EmailContent::builder().simple(message).build())
        .send()
        .await;
    let email = match sent {
        Ok(answer) => json!({"sent": true, "message_id": answer.message_id()}),
        Err(err) => {
            let reason = platform::sdk_error::summary("ses:SendEmail", &err);
            let store = StateStore::new(ctx.dynamodb.clone(), &ctx.state_table);
            run.notes
                .push(format!("The report email was not sent: {reason}"));
            store.put("run", &run).await?;
            json!({"sent": false, "reason": reason})
        }
    };
    Ok(json!({
        "report": format!("s3://{bucket}/{}", keys::report_html(run_id)),
        "summary": format!("s3://{bucket}/{}", keys::summary_json(run_id)),
        "email": email,
        "buckets": report.buckets.len(),
    }))
}

//! The plain-text part of the report email, and its subject.
//!
//! Written for a terminal or a text-only mail reader: headed sections, columns aligned with spaces, a
//! bar chart of `#`. Values are made visible and cut like in the HTML part (a key can hold escape
//! sequences a terminal would obey); nothing is HTML-escaped.

use super::chart::storage_class_shares;
use super::comparison::{findings_line, headline};
use super::format::{cell, group_thousands, human_bytes, human_duration, multi_line, percent, usd};
use super::model::{QueryReport, QueryState, RunOutcome, RunReport};
use super::sections::{
    action_title, buckets_in, changed_buckets, classes_by_cost, group_title, humanised, instant,
    needs_attention, new_findings, query_link, share_tenths, signed_bytes, signed_count,
    top_buckets, unlisted, GROUP_ORDER, MAX_BUCKETS_LISTED, MAX_CELL_CHARS, MAX_REASON_CHARS,
    MAX_ROWS_SHOWN, TOP_COST_BUCKETS,
};
use super::totals::RunTotals;
use crate::cost::CostReport;
use crate::StatusGroup;

/// Narrower cells than HTML: a terminal line is short.
const MAX_TEXT_CELL_CHARS: usize = 80;

/// Width of a full chart bar, in characters.
const BAR_WIDTH: u32 = 40;

/// Longest subject: SES accepts more, but mail clients show about this much.
const MAX_SUBJECT_CHARS: usize = 200;

/// The email subject: run, size, and what went wrong, e.g.
/// `S3Insights run r1: 42 buckets, 1.2 TiB — 2 failed, 1 query failed`.
///
/// Control characters become spaces (a subject is a mail header: no line breaks may reach it).
pub fn subject(report: &RunReport) -> String {
    let totals = report.totals();
    let mut subject = String::new();
    if report.is_smoke_test {
        subject.push_str("[smoke test] ");
    }
    subject.push_str(&format!("S3Insights run {}", report.run_id));
    if report.outcome == RunOutcome::Failed {
        subject.push_str(" FAILED");
    }
    subject.push_str(&format!(
        ": {} bucket{}, {}",
        group_thousands(totals.buckets),
        if totals.buckets == 1 { "" } else { "s" },
        human_bytes(totals.figures.bytes)
    ));
    let failed_queries = report
        .queries
        .iter()
        .filter(|q| matches!(q.state, QueryState::Failed | QueryState::Cancelled))
        .count();
    let mut problems = Vec::new();
    for (group, label) in [
        (StatusGroup::Failed, "failed"),
        (StatusGroup::TimedOut, "timed out"),
        (StatusGroup::InProgress, "unfinished"),
    ] {
        let count = totals.in_group(group);
        if count > 0 {
            problems.push(format!("{} {label}", group_thousands(count)));
        }
    }
    if failed_queries > 0 {
        problems.push(format!(
            "{failed_queries} quer{} failed",
            if failed_queries == 1 { "y" } else { "ies" }
        ));
    }
    if !problems.is_empty() {
        subject.push_str(" — ");
        subject.push_str(&problems.join(", "));
    }
    let flat: String = subject
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    super::format::shorten(&flat, MAX_SUBJECT_CHARS).into_owned()
}

/// The report as plain text.
pub fn render_text(report: &RunReport) -> String {
    let totals = report.totals();
    let mut out = String::with_capacity(8 * 1024);
    header(&mut out, report);
    since_last_run(&mut out, report);
    figures(&mut out, &totals);
    storage_cost(&mut out, report);
    if !report.notes.is_empty() {
        heading(&mut out, "Notes");
        for note in &report.notes {
            out.push_str(&format!("- {}\n", cell(note, MAX_REASON_CHARS)));
        }
    }
    attention(&mut out, report);
    storage_chart(&mut out, &totals);
    top_bucket_table(&mut out, report, &totals);
    queries(&mut out, report);
    settled_buckets(&mut out, report);
    heading(&mut out, "Input");
    let json = serde_json::to_string_pretty(&report.input)
        .unwrap_or_else(|_| "(the input could not be shown)".into());
    out.push_str(&multi_line(&json));
    out.push('\n');
    out
}

fn heading(out: &mut String, title: &str) {
    out.push('\n');
    out.push_str(title);
    out.push('\n');
    out.push_str(&"-".repeat(title.chars().count()));
    out.push('\n');
}

fn header(out: &mut String, report: &RunReport) {
    let title = format!(
        "S3Insights run {}: {}",
        cell(&report.run_id, MAX_TEXT_CELL_CHARS),
        report.outcome.as_str()
    );
    out.push_str(&title);
    out.push('\n');
    out.push_str(&"=".repeat(title.chars().count()));
    out.push('\n');
    let seconds = (report.finished_at - report.started_at).num_seconds();
    let list = |items: &[String]| {
        if items.is_empty() {
            "none".to_owned()
        } else {
            items
                .iter()
                .map(|i| cell(i, MAX_TEXT_CELL_CHARS))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let rows = vec![
        vec![
            "Deployment".into(),
            cell(&report.deployment, MAX_TEXT_CELL_CHARS),
        ],
        vec!["Started".into(), instant(&report.started_at)],
        vec![
            "Finished".into(),
            format!(
                "{} ({})",
                instant(&report.finished_at),
                human_duration(seconds)
            ),
        ],
        vec![
            "Accounts".into(),
            format!("{}: {}", report.accounts.len(), list(&report.accounts)),
        ],
        vec![
            "Regions".into(),
            format!("{}: {}", report.regions.len(), list(&report.regions)),
        ],
        vec![
            "Athena".into(),
            format!(
                "database {}, table {}, region {}",
                cell(&report.athena.database, MAX_TEXT_CELL_CHARS),
                cell(&report.athena.table, MAX_TEXT_CELL_CHARS),
                cell(&report.athena.region, MAX_TEXT_CELL_CHARS)
            ),
        ],
    ];
    table(out, "", None, &rows, &[]);
    if report.is_smoke_test {
        out.push_str("\nSMOKE TEST: this run covered a small sample of buckets; its figures are not the whole estate's.\n");
    }
    if report.outcome == RunOutcome::Failed {
        out.push_str(&format!(
            "\nTHE RUN FAILED: {}. What it gathered before failing is below.\n",
            report
                .cause
                .as_deref()
                .map(|c| cell(c, MAX_REASON_CHARS))
                .unwrap_or_else(|| "no cause was recorded".into())
        ));
    }
}

fn figures(out: &mut String, totals: &RunTotals) {
    heading(out, "Figures");
    let f = &totals.figures;
    let mut rows = vec![vec!["Buckets".to_owned(), group_thousands(totals.buckets)]];
    for group in GROUP_ORDER {
        let count = totals.in_group(group);
        if count > 0 || group != StatusGroup::InProgress {
            rows.push(vec![
                format!("  {}", group_title(group).to_lowercase()),
                group_thousands(count),
            ]);
        }
    }
    rows.extend([
        vec!["Objects".to_owned(), group_thousands(f.objects)],
        vec![
            "Noncurrent versions".to_owned(),
            group_thousands(f.noncurrent_versions),
        ],
        vec![
            "Delete markers".to_owned(),
            group_thousands(f.delete_markers),
        ],
        vec!["Bytes, all versions".to_owned(), human_bytes(f.bytes)],
        vec!["  exactly".to_owned(), group_thousands(f.bytes)],
        vec![
            "Bytes, noncurrent".to_owned(),
            human_bytes(f.noncurrent_bytes),
        ],
    ]);
    table(out, "", None, &rows, &[1]);
}

fn attention(out: &mut String, report: &RunReport) {
    let groups: Vec<_> = GROUP_ORDER
        .into_iter()
        .filter(|g| needs_attention(*g))
        .map(|g| (g, buckets_in(report, g)))
        .filter(|(_, buckets)| !buckets.is_empty())
        .collect();
    if groups.is_empty() {
        return;
    }
    heading(out, "Buckets that need attention");
    let rows: Vec<Vec<String>> = groups
        .into_iter()
        .flat_map(|(_, buckets)| buckets)
        .map(|b| {
            vec![
                cell(&b.account, MAX_TEXT_CELL_CHARS),
                cell(&b.region, MAX_TEXT_CELL_CHARS),
                cell(&b.bucket, MAX_TEXT_CELL_CHARS),
                b.status.as_str().to_owned(),
                b.reason
                    .as_deref()
                    .map(|r| cell(r, MAX_REASON_CHARS))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    table(
        out,
        "",
        Some(&["ACCOUNT", "REGION", "BUCKET", "STATUS", "REASON"]),
        &rows,
        &[],
    );
}

fn queries(out: &mut String, report: &RunReport) {
    heading(out, "Queries");
    if report.queries.is_empty() {
        out.push_str("No query was run.\n");
        return;
    }
    for (i, query) in report.queries.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        query_section(out, report, query);
    }
}

fn query_section(out: &mut String, report: &RunReport, query: &QueryReport) {
    out.push_str(&format!(
        "[{}] {} ({}, {})\n",
        query.state.as_str(),
        cell(&query.title, MAX_TEXT_CELL_CHARS),
        cell(&query.name, MAX_TEXT_CELL_CHARS),
        if query.builtin {
            "built-in"
        } else {
            "your query"
        }
    ));
    let mut facts = Vec::new();
    if let Some(bytes) = query.data_scanned_bytes {
        facts.push(format!("scanned {}", human_bytes(bytes)));
    }
    let shown = query.rows.len().min(MAX_ROWS_SHOWN);
    if query.state == QueryState::Succeeded {
        facts.push(match (shown, query.truncated || query.rows.len() > shown) {
            (0, _) => "no rows".to_owned(),
            (n, true) => format!("first {n} rows (more in Athena)"),
            (1, false) => "1 row".to_owned(),
            (n, false) => format!("{n} rows"),
        });
    }
    if !facts.is_empty() {
        out.push_str(&format!("  {}\n", facts.join(", ")));
    }
    if let Some(link) = query_link(report, query) {
        out.push_str(&format!("  Console: {link}\n"));
    }
    if let Some(description) = &query.description {
        out.push_str(&format!("  {}\n", cell(description, MAX_REASON_CHARS)));
    }
    if let Some(reason) = &query.reason {
        out.push_str(&format!("  Reason: {}\n", cell(reason, MAX_REASON_CHARS)));
    }
    if query.state == QueryState::Succeeded && shown > 0 {
        let headers: Vec<String> = query
            .columns
            .iter()
            .map(|c| cell(c, MAX_TEXT_CELL_CHARS))
            .collect();
        let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
        let rows: Vec<Vec<String>> = query
            .rows
            .iter()
            .take(MAX_ROWS_SHOWN)
            .map(|row| {
                row.iter()
                    .zip(&query.columns)
                    .map(|(v, column)| match v {
                        Some(v) => cell(&humanised(column, v), MAX_TEXT_CELL_CHARS),
                        None => "NULL".to_owned(),
                    })
                    .collect()
            })
            .collect();
        out.push('\n');
        table(out, "    ", Some(&header_refs), &rows, &[]);
    }
    // As in the HTML part: built-in SQL only when it did not succeed.
    if !query.builtin || query.state != QueryState::Succeeded {
        out.push_str("  SQL:\n");
        for line in multi_line(&query.sql).lines() {
            out.push_str(format!("    {line}").trim_end());
            out.push('\n');
        }
    }
}

fn storage_chart(out: &mut String, totals: &RunTotals) {
    heading(out, "Bytes by storage class");
    let shares = storage_class_shares(&totals.figures.bytes_by_storage_class);
    if shares.is_empty() {
        out.push_str("No bytes were consolidated.\n");
        return;
    }
    let rows: Vec<Vec<String>> = shares
        .iter()
        .map(|s| {
            let filled = ((s.tenths_of_percent * BAR_WIDTH + 500) / 1000) as usize;
            vec![
                cell(&s.storage_class, MAX_TEXT_CELL_CHARS),
                format!(
                    "{}{}",
                    "#".repeat(filled),
                    ".".repeat(BAR_WIDTH as usize - filled)
                ),
                percent(s.tenths_of_percent),
                human_bytes(s.bytes),
            ]
        })
        .collect();
    table(out, "", None, &rows, &[2, 3]);
}

fn top_bucket_table(out: &mut String, report: &RunReport, totals: &RunTotals) {
    let top = top_buckets(report);
    if top.is_empty() {
        return;
    }
    heading(out, "Top buckets by bytes");
    let rows: Vec<Vec<String>> = top
        .into_iter()
        .enumerate()
        .map(|(rank, (b, bytes))| {
            let figures = b.figures.as_ref();
            vec![
                (rank + 1).to_string(),
                cell(&b.bucket, MAX_TEXT_CELL_CHARS),
                cell(&b.account, MAX_TEXT_CELL_CHARS),
                cell(&b.region, MAX_TEXT_CELL_CHARS),
                group_thousands(figures.map(|f| f.objects).unwrap_or(0)),
                human_bytes(bytes),
                percent(share_tenths(bytes, totals.figures.bytes)),
                figures
                    .and_then(|f| f.largest_object.as_ref())
                    .map(|o| {
                        format!(
                            "{} ({})",
                            cell(&o.key, MAX_TEXT_CELL_CHARS),
                            human_bytes(o.size)
                        )
                    })
                    .unwrap_or_default(),
            ]
        })
        .collect();
    table(
        out,
        "",
        Some(&[
            "#",
            "BUCKET",
            "ACCOUNT",
            "REGION",
            "OBJECTS",
            "BYTES",
            "SHARE",
            "LARGEST OBJECT",
        ]),
        &rows,
        &[0, 4, 5, 6],
    );
}

/// What changed since the previous run: the headline and the buckets that changed most.
fn since_last_run(out: &mut String, report: &RunReport) {
    let Some(comparison) = &report.comparison else {
        if let Some(reason) = &report.comparison_reason {
            out.push_str(&format!(
                "\nNot compared with an earlier run: {}\n",
                cell(reason, MAX_REASON_CHARS)
            ));
        }
        return;
    };
    heading(out, &headline(comparison));
    out.push_str(&findings_line(comparison));
    out.push('\n');
    for (what, listed, more) in new_findings(comparison) {
        for object in listed {
            out.push_str(&format!(
                "- new {what}: {} / {} ({}, {})\n",
                cell(&object.bucket, MAX_TEXT_CELL_CHARS),
                cell(&object.key, MAX_TEXT_CELL_CHARS),
                cell(&object.account, MAX_TEXT_CELL_CHARS),
                cell(&object.region, MAX_TEXT_CELL_CHARS),
            ));
        }
        if let Some(more) = more {
            out.push_str(&format!(
                "- and {} more new {what} (the comparison queries below)\n",
                group_thousands(more)
            ));
        }
    }
    out.push('\n');
    let rows: Vec<Vec<String>> = changed_buckets(comparison, TOP_COST_BUCKETS)
        .into_iter()
        .map(|b| {
            vec![
                cell(&b.bucket, MAX_TEXT_CELL_CHARS),
                cell(&b.account, MAX_TEXT_CELL_CHARS),
                cell(&b.region, MAX_TEXT_CELL_CHARS),
                b.status.as_str().to_owned(),
                signed_count(b.objects_delta),
                signed_bytes(b.bytes_delta),
            ]
        })
        .collect();
    if !rows.is_empty() {
        table(
            out,
            "",
            Some(&["BUCKET", "ACCOUNT", "REGION", "STATUS", "OBJECTS", "BYTES"]),
            &rows,
            &[4, 5],
        );
    }
}

/// The estate's storage a month: the total, per storage class and the most expensive buckets.
fn storage_cost(out: &mut String, report: &RunReport) {
    let Some(cost) = &report.cost else {
        return;
    };
    heading(out, "Storage cost");
    out.push_str(&format!(
        "{} per month (price table: {})\n",
        usd(cost.monthly_usd),
        cell(&cost.price_table, MAX_REASON_CHARS)
    ));
    for note in &cost.notes {
        out.push_str(&format!("- {}\n", cell(note, MAX_REASON_CHARS)));
    }
    let classes: Vec<Vec<String>> = classes_by_cost(cost)
        .into_iter()
        .map(|(class, usd_month)| vec![cell(class, MAX_TEXT_CELL_CHARS), usd(usd_month)])
        .collect();
    table(
        out,
        "",
        Some(&["STORAGE CLASS", "USD / MONTH"]),
        &classes,
        &[1],
    );
    out.push('\n');
    let buckets: Vec<Vec<String>> = cost
        .buckets
        .iter()
        .take(TOP_COST_BUCKETS)
        .map(|b| {
            vec![
                cell(&b.bucket, MAX_TEXT_CELL_CHARS),
                cell(&b.account, MAX_TEXT_CELL_CHARS),
                cell(&b.region, MAX_TEXT_CELL_CHARS),
                usd(b.monthly_usd),
            ]
        })
        .collect();
    table(
        out,
        "",
        Some(&["BUCKET", "ACCOUNT", "REGION", "USD / MONTH"]),
        &buckets,
        &[3],
    );
    if let Some(more) = unlisted(cost.buckets.len(), TOP_COST_BUCKETS) {
        out.push_str(&format!("... and {} more buckets\n", group_thousands(more)));
    }
    savings(out, cost);
}

/// What concrete actions would save a month, most first.
fn savings(out: &mut String, cost: &CostReport) {
    if cost.savings.is_empty() {
        return;
    }
    let total = cost.savings_monthly_usd();
    out.push_str(&format!("\nSavings: up to {} per month\n", usd(total)));
    for saving in cost.savings.iter().take(TOP_COST_BUCKETS) {
        out.push_str(&format!(
            "- {} a month: {} in {} ({}, {}): {}\n",
            usd(saving.monthly_usd),
            action_title(&saving.action),
            cell(&saving.bucket, MAX_TEXT_CELL_CHARS),
            cell(&saving.account, MAX_TEXT_CELL_CHARS),
            cell(&saving.region, MAX_TEXT_CELL_CHARS),
            cell(&saving.detail, MAX_REASON_CHARS),
        ));
    }
    if let Some(more) = unlisted(cost.savings.len(), TOP_COST_BUCKETS) {
        out.push_str(&format!(
            "... and {} more in summary.json\n",
            group_thousands(more)
        ));
    }
}

fn settled_buckets(out: &mut String, report: &RunReport) {
    for group in GROUP_ORDER.into_iter().filter(|g| !needs_attention(*g)) {
        let buckets = buckets_in(report, group);
        if buckets.is_empty() {
            continue;
        }
        heading(
            out,
            &format!(
                "{} buckets ({})",
                group_title(group),
                group_thousands(buckets.len() as u64)
            ),
        );
        let listed = buckets.len().min(MAX_BUCKETS_LISTED);
        let more = buckets.len() - listed;
        let rows: Vec<Vec<String>> = buckets
            .into_iter()
            .take(listed)
            .map(|b| {
                let mut row = vec![
                    cell(&b.account, MAX_TEXT_CELL_CHARS),
                    cell(&b.region, MAX_TEXT_CELL_CHARS),
                    cell(&b.bucket, MAX_TEXT_CELL_CHARS),
                    b.status.as_str().to_owned(),
                ];
                if group == StatusGroup::Done {
                    let f = b.figures.as_ref();
                    row.push(
                        f.map(|f| group_thousands(f.objects))
                            .unwrap_or_else(|| "-".into()),
                    );
                    row.push(
                        f.map(|f| human_bytes(f.bytes))
                            .unwrap_or_else(|| "-".into()),
                    );
                }
                row
            })
            .collect();
        if group == StatusGroup::Done {
            table(
                out,
                "",
                Some(&["ACCOUNT", "REGION", "BUCKET", "STATUS", "OBJECTS", "BYTES"]),
                &rows,
                &[4, 5],
            );
        } else {
            table(
                out,
                "",
                Some(&["ACCOUNT", "REGION", "BUCKET", "STATUS"]),
                &rows,
                &[],
            );
        }
        if more > 0 {
            out.push_str(&format!(
                "... and {} more (every bucket in summary.json)\n",
                group_thousands(more as u64)
            ));
        }
    }
}

/// Writes `rows` as space-aligned columns, each line starting with `indent`; columns listed in
/// `numeric` are right-aligned. Cells must already be single-line. Trailing spaces are trimmed.
fn table(
    out: &mut String,
    indent: &str,
    headers: Option<&[&str]>,
    rows: &[Vec<String>],
    numeric: &[usize],
) {
    let columns = rows
        .iter()
        .map(Vec::len)
        .chain(headers.map(<[&str]>::len))
        .max()
        .unwrap_or(0);
    let mut widths = vec![0usize; columns];
    let all = headers
        .map(|h| h.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
        .into_iter()
        .chain(rows.iter().cloned());
    let all: Vec<Vec<String>> = all.collect();
    for row in &all {
        for (i, value) in row.iter().enumerate() {
            widths[i] = widths[i].max(value.chars().count());
        }
    }
    for row in &all {
        let mut line = String::from(indent);
        for (i, value) in row.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            let pad = " ".repeat(widths[i] - value.chars().count());
            if numeric.contains(&i) {
                line.push_str(&pad);
                line.push_str(value);
            } else {
                line.push_str(value);
                line.push_str(&pad);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

// The HTML part uses the same cut for cells; keep the two in the same order of magnitude.
const _: () = assert!(MAX_TEXT_CELL_CHARS <= MAX_CELL_CHARS);

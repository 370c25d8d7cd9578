//! The HTML part of the report email.
//!
//! Email clients drop `<style>` blocks and scripts and block remote resources, so the page is tables
//! and divs with inline styles only, a chart made of table cells sized in percent, no images, no
//! JavaScript. Every value is escaped with [`escape_html`] after control and bidirectional characters
//! are made visible; attribute values are constants or links this crate builds.

use super::chart::storage_class_shares;
use super::comparison::{findings_line, headline};
use super::format::{
    cell, group_thousands, human_bytes, human_duration, multi_line, one_line, percent,
    shorten_middle, usd,
};
use super::model::{BucketReport, QueryReport, QueryState, RunOutcome, RunReport};
use super::sections::{
    action_title, buckets_in, changed_buckets, classes_by_cost, group_title, humanised, instant,
    needs_attention, new_findings, query_link, share_tenths, signed_bytes, signed_count,
    top_buckets, unlisted, GROUP_ORDER, MAX_BUCKETS_LISTED, MAX_CELL_CHARS, MAX_REASON_CHARS,
    MAX_ROWS_SHOWN, TOP_COST_BUCKETS,
};
use super::text::subject;
use super::totals::RunTotals;
use crate::cost::CostReport;
use crate::StatusGroup;

const FONT: &str = "font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;";
const MONO: &str = "font-family:SFMono-Regular,Consolas,'Liberation Mono',Menlo,monospace;";
const H2: &str =
    "font-size:17px;margin:24px 0 8px 0;padding-bottom:4px;border-bottom:1px solid #e5e7eb;";
const H3: &str = "font-size:14px;margin:14px 0 6px 0;";
const TABLE: &str = "border-collapse:collapse;width:100%;font-size:13px;";
const TH: &str = "text-align:left;padding:5px 8px;border-bottom:2px solid #d1d5db;background:#f9fafb;white-space:nowrap;";
const TH_NUM: &str = "text-align:right;padding:5px 8px;border-bottom:2px solid #d1d5db;background:#f9fafb;white-space:nowrap;";
/// A query's column names: the operator's own, of any length, so broken at their soft breaks (`_`),
/// mid-word only when a part alone is wider than the column.
const TH_COLUMN: &str = "text-align:left;padding:5px 8px;border-bottom:2px solid #d1d5db;background:#f9fafb;overflow-wrap:anywhere;";
const TD: &str =
    "padding:5px 8px;border-bottom:1px solid #e5e7eb;vertical-align:top;word-break:break-word;";
const TD_NUM: &str = "padding:5px 8px;border-bottom:1px solid #e5e7eb;vertical-align:top;text-align:right;white-space:nowrap;";
/// Identifiers (bucket names, keys): broken at the soft breaks [`identifier`] marks, mid-word only
/// when a part alone is wider than the cell.
const TD_MONO: &str = "padding:5px 8px;border-bottom:1px solid #e5e7eb;vertical-align:top;overflow-wrap:anywhere;font-family:SFMono-Regular,Consolas,'Liberation Mono',Menlo,monospace;";
/// How much of `bucket/key` a new finding at the top of the report shows: one line at 1,024 px.
const FINDING_CHARS: usize = 70;
const MUTED: &str = "color:#6b7280;";
const BAR: &str = "#2563eb";
const BAR_REST: &str = "#e5e7eb";

/// `text` with `&`, `<`, `>`, `"` and `'` replaced by entities: safe in element content and in
/// double- or single-quoted attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A value on one line, escaped.
fn text(value: &str) -> String {
    escape_html(&one_line(value))
}

/// A value in a table cell: one line, cut to `max` characters, escaped.
fn short(value: &str, max: usize) -> String {
    escape_html(&cell(value, max))
}

/// An identifier in a table cell ([`short`]), with a soft break (`<wbr>`) after each `/`, `-`,
/// `.` and `_`, so a narrow column breaks it between its parts, not mid-word.
fn identifier(value: &str, max: usize) -> String {
    let escaped = short(value, max);
    let mut out = String::with_capacity(escaped.len() + escaped.len() / 4);
    for ch in escaped.chars() {
        out.push(ch);
        if matches!(ch, '/' | '-' | '.' | '_') {
            out.push_str("<wbr>");
        }
    }
    out
}

/// (background, foreground) of a status group.
fn group_colours(group: StatusGroup) -> (&'static str, &'static str) {
    match group {
        StatusGroup::Failed => ("#fdecea", "#b42318"),
        StatusGroup::TimedOut => ("#fff4e5", "#b54708"),
        StatusGroup::InProgress => ("#eef4ff", "#1d4ed8"),
        StatusGroup::Done => ("#ecfdf3", "#067647"),
        StatusGroup::Empty => ("#f2f4f7", "#475467"),
    }
}

fn state_colours(state: QueryState) -> (&'static str, &'static str) {
    match state {
        QueryState::Succeeded => group_colours(StatusGroup::Done),
        QueryState::Failed => group_colours(StatusGroup::Failed),
        QueryState::Cancelled => group_colours(StatusGroup::TimedOut),
        QueryState::NotRun => group_colours(StatusGroup::Empty),
    }
}

/// A small coloured label; `label` is trusted text.
fn badge(label: &str, (background, foreground): (&str, &str)) -> String {
    format!(
        "<span style=\"display:inline-block;white-space:nowrap;padding:1px 6px;border-radius:4px;font-size:12px;font-weight:bold;background:{background};color:{foreground};\">{label}</span>"
    )
}

/// The report as a self-contained HTML email part.
pub fn render_html(report: &RunReport) -> String {
    let totals = report.totals();
    let mut out = String::with_capacity(16 * 1024);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(&format!(
        "<title>{}</title>\n</head>\n",
        text(&subject(report))
    ));
    out.push_str("<body style=\"margin:0;padding:0;background:#f3f4f6;\">\n");
    out.push_str(&format!(
        "<div style=\"max-width:1000px;margin:0 auto;padding:16px 20px;background:#ffffff;color:#111827;font-size:14px;line-height:1.45;{FONT}\">\n"
    ));
    // Above the fold of a 1,024 x 768 window (a test measures it in a browser): the header, what is
    // new since the last run, the summary tiles and the money; the tables that detail them follow.
    header(&mut out, report);
    since_last_run(&mut out, report);
    figures(&mut out, report, &totals);
    storage_cost(&mut out, report);
    changed_buckets_table(&mut out, report);
    notes(&mut out, report);
    attention(&mut out, report);
    storage_chart(&mut out, &totals);
    top_bucket_table(&mut out, report, &totals);
    queries(&mut out, report);
    settled_buckets(&mut out, report);
    input(&mut out, report);
    out.push_str(&format!(
        "<p style=\"margin:24px 0 0 0;font-size:12px;{MUTED}\">Query the run's data in Athena: database <code>{}</code>, table <code>{}</code>, region {}.</p>\n",
        short(&report.athena.database, MAX_CELL_CHARS),
        short(&report.athena.table, MAX_CELL_CHARS),
        short(&report.athena.region, MAX_CELL_CHARS),
    ));
    out.push_str("</div>\n</body>\n</html>\n");
    out
}

fn header(out: &mut String, report: &RunReport) {
    out.push_str(&format!(
        "<h1 style=\"font-size:22px;margin:0 0 6px 0;\">S3Insights run {}</h1>\n",
        short(&report.run_id, MAX_CELL_CHARS)
    ));
    let outcome = match report.outcome {
        RunOutcome::Succeeded => badge("SUCCEEDED", group_colours(StatusGroup::Done)),
        RunOutcome::Failed => badge("FAILED", group_colours(StatusGroup::Failed)),
    };
    let seconds = (report.finished_at - report.started_at).num_seconds();
    out.push_str(&format!(
        "<p style=\"margin:0 0 12px 0;{MUTED}\">{outcome} Deployment <b style=\"color:#111827;\">{}</b> &middot; {} &rarr; {} ({})</p>\n",
        short(&report.deployment, MAX_CELL_CHARS),
        instant(&report.started_at),
        instant(&report.finished_at),
        human_duration(seconds),
    ));
    if report.is_smoke_test {
        banner(
            out,
            group_colours(StatusGroup::InProgress),
            "<b>Smoke test.</b> This run covered a small sample of buckets: its figures are not the whole estate's.",
        );
    }
    if report.outcome == RunOutcome::Failed {
        let cause = report
            .cause
            .as_deref()
            .map(|c| short(c, MAX_REASON_CHARS))
            .unwrap_or_else(|| "no cause was recorded".into());
        banner(
            out,
            group_colours(StatusGroup::Failed),
            &format!("<b>The run failed:</b> {cause}. What it gathered before failing is below."),
        );
    }
}

/// A full-width coloured paragraph; `html` must already be escaped.
fn banner(out: &mut String, (background, foreground): (&str, &str), html: &str) {
    out.push_str(&format!(
        "<p style=\"margin:0 0 12px 0;padding:8px 12px;border-radius:6px;background:{background};color:{foreground};\">{html}</p>\n"
    ));
}

fn tile(value: &str, label: &str, (background, foreground): (&str, &str)) -> String {
    format!(
        "<td style=\"background:{background};border-radius:6px;padding:8px 10px;text-align:center;vertical-align:top;\"><div style=\"font-size:20px;font-weight:bold;color:{foreground};white-space:nowrap;\">{value}</div><div style=\"font-size:12px;color:#4b5563;\">{label}</div></td>"
    )
}

fn figures(out: &mut String, report: &RunReport, totals: &RunTotals) {
    let neutral = group_colours(StatusGroup::Empty);
    let coloured = |group: StatusGroup| {
        if totals.in_group(group) > 0 {
            group_colours(group)
        } else {
            neutral
        }
    };
    let mut buckets = vec![
        tile(&group_thousands(totals.buckets), "buckets", neutral),
        tile(
            &group_thousands(totals.in_group(StatusGroup::Done)),
            "done",
            coloured(StatusGroup::Done),
        ),
        tile(
            &group_thousands(totals.in_group(StatusGroup::Empty)),
            "empty",
            neutral,
        ),
        tile(
            &group_thousands(totals.in_group(StatusGroup::Failed)),
            "failed",
            coloured(StatusGroup::Failed),
        ),
        tile(
            &group_thousands(totals.in_group(StatusGroup::TimedOut)),
            "timed out",
            coloured(StatusGroup::TimedOut),
        ),
    ];
    if totals.in_group(StatusGroup::InProgress) > 0 {
        buckets.push(tile(
            &group_thousands(totals.in_group(StatusGroup::InProgress)),
            "in progress",
            coloured(StatusGroup::InProgress),
        ));
    }
    let f = &totals.figures;
    let data = [
        tile(&group_thousands(f.objects), "objects", neutral),
        tile(&human_bytes(f.bytes), "in all versions", neutral),
        tile(&human_bytes(f.noncurrent_bytes), "noncurrent", neutral),
        tile(
            &group_thousands(f.noncurrent_versions),
            "noncurrent versions",
            neutral,
        ),
        tile(
            &group_thousands(f.delete_markers),
            "delete markers",
            neutral,
        ),
        tile(
            &format!("{} / {}", report.accounts.len(), report.regions.len()),
            "accounts / regions",
            neutral,
        ),
    ];
    out.push_str("<div id=\"summary\">\n");
    for row in [buckets.concat(), data.concat()] {
        out.push_str(&format!(
            "<table role=\"presentation\" cellpadding=\"0\" cellspacing=\"6\" style=\"border-collapse:separate;width:100%;margin:0;\"><tr>{row}</tr></table>\n"
        ));
    }
    out.push_str("</div>\n");
    let accounts: Vec<String> = report
        .accounts
        .iter()
        .map(|a| short(a, MAX_CELL_CHARS))
        .collect();
    let regions: Vec<String> = report
        .regions
        .iter()
        .map(|r| short(r, MAX_CELL_CHARS))
        .collect();
    out.push_str(&format!(
        "<p style=\"margin:6px 0 0 0;font-size:12px;{MUTED}\">Accounts: {}. Regions: {}. {} bytes in all.</p>\n",
        if accounts.is_empty() { "none".into() } else { accounts.join(", ") },
        if regions.is_empty() { "none".into() } else { regions.join(", ") },
        group_thousands(f.bytes),
    ));
}

fn notes(out: &mut String, report: &RunReport) {
    if report.notes.is_empty() {
        return;
    }
    out.push_str(&format!(
        "<h2 style=\"{H2}\">Notes</h2>\n<ul style=\"margin:0;padding-left:20px;\">\n"
    ));
    for note in &report.notes {
        out.push_str(&format!("<li>{}</li>\n", short(note, MAX_REASON_CHARS)));
    }
    out.push_str("</ul>\n");
}

fn table_start(out: &mut String, headers: &[(&str, bool)]) {
    out.push_str(&format!(
        "<table cellpadding=\"0\" cellspacing=\"0\" style=\"{TABLE}\">\n<tr>"
    ));
    for (header, numeric) in headers {
        out.push_str(&format!(
            "<th style=\"{}\">{header}</th>",
            if *numeric { TH_NUM } else { TH }
        ));
    }
    out.push_str("</tr>\n");
}

fn status_badge(bucket: &BucketReport) -> String {
    badge(bucket.status.as_str(), group_colours(bucket.status.group()))
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
    out.push_str(&format!(
        "<h2 style=\"{H2}\">Buckets that need attention</h2>\n"
    ));
    for (group, buckets) in groups {
        out.push_str(&format!(
            "<h3 style=\"{H3}\">{} ({})</h3>\n",
            group_title(group),
            group_thousands(buckets.len() as u64)
        ));
        table_start(
            out,
            &[
                ("Account", false),
                ("Region", false),
                ("Bucket", false),
                ("Status", false),
                ("Reason", false),
            ],
        );
        for b in buckets {
            out.push_str(&format!(
                "<tr><td style=\"{TD}\">{}</td><td style=\"{TD}\">{}</td><td style=\"{TD_MONO}\">{}</td><td style=\"{TD}\">{}</td><td style=\"{TD}\">{}</td></tr>\n",
                short(&b.account, MAX_CELL_CHARS),
                short(&b.region, MAX_CELL_CHARS),
                identifier(&b.bucket, MAX_CELL_CHARS),
                status_badge(b),
                b.reason.as_deref().map(|r| short(r, MAX_REASON_CHARS)).unwrap_or_default(),
            ));
        }
        out.push_str("</table>\n");
    }
}

fn queries(out: &mut String, report: &RunReport) {
    out.push_str(&format!("<h2 style=\"{H2}\">Queries</h2>\n"));
    if report.queries.is_empty() {
        out.push_str(&format!("<p style=\"{MUTED}\">No query was run.</p>\n"));
        return;
    }
    for query in &report.queries {
        query_block(out, report, query);
    }
}

fn query_block(out: &mut String, report: &RunReport, query: &QueryReport) {
    out.push_str("<div style=\"border:1px solid #e5e7eb;border-radius:6px;padding:10px 12px;margin:0 0 12px 0;\">\n");
    out.push_str(&format!(
        "<div>{} <b>{}</b> <span style=\"{MONO}font-size:12px;{MUTED}\">{}</span> <span style=\"font-size:12px;{MUTED}\">{}</span></div>\n",
        badge(query.state.as_str(), state_colours(query.state)),
        short(&query.title, MAX_CELL_CHARS),
        short(&query.name, MAX_CELL_CHARS),
        if query.builtin { "built-in" } else { "your query" },
    ));
    let mut facts = Vec::new();
    if let Some(bytes) = query.data_scanned_bytes {
        facts.push(format!("scanned {}", human_bytes(bytes)));
    }
    if query.state == QueryState::Succeeded {
        let shown = query.rows.len().min(MAX_ROWS_SHOWN);
        facts.push(match (shown, query.truncated || query.rows.len() > shown) {
            (0, _) => "no rows".to_owned(),
            (n, true) => format!("first {n} rows (more in Athena)"),
            (1, false) => "1 row".to_owned(),
            (n, false) => format!("{n} rows"),
        });
    }
    if let Some(link) = query_link(report, query) {
        facts.push(format!(
            "<a href=\"{}\" style=\"color:#1d4ed8;\">open in the Athena console</a>",
            escape_html(&link)
        ));
    }
    if !facts.is_empty() {
        out.push_str(&format!(
            "<div style=\"font-size:12px;margin-top:2px;{MUTED}\">{}</div>\n",
            facts.join(" &middot; ")
        ));
    }
    if let Some(description) = &query.description {
        out.push_str(&format!(
            "<p style=\"margin:6px 0;\">{}</p>\n",
            short(description, MAX_REASON_CHARS)
        ));
    }
    if let Some(reason) = &query.reason {
        out.push_str(&format!(
            "<p style=\"margin:6px 0;color:#b42318;\">{}</p>\n",
            short(reason, MAX_REASON_CHARS)
        ));
    }
    if query.state == QueryState::Succeeded && !query.rows.is_empty() {
        result_table(out, query);
    }
    // Built-in SQL is in the catalogue and behind the console link; show it only when it is the
    // user's, or when it did not succeed (to see what failed).
    if !query.builtin || query.state != QueryState::Succeeded {
        out.push_str(&format!(
        "<pre style=\"margin:8px 0 0 0;padding:6px 8px;background:#f9fafb;border-radius:4px;font-size:11px;white-space:pre-wrap;word-break:break-all;{MONO}\">{}</pre>\n",
        escape_html(&multi_line(&query.sql))
    ));
    }
    out.push_str("</div>\n");
}

fn result_table(out: &mut String, query: &QueryReport) {
    out.push_str(&format!(
        "<table cellpadding=\"0\" cellspacing=\"0\" style=\"{TABLE}margin-top:6px;\">\n<tr>"
    ));
    for column in &query.columns {
        out.push_str(&format!(
            "<th style=\"{TH_COLUMN}\">{}</th>",
            identifier(column, MAX_CELL_CHARS)
        ));
    }
    out.push_str("</tr>\n");
    for row in query.rows.iter().take(MAX_ROWS_SHOWN) {
        out.push_str("<tr>");
        for (value, column) in row.iter().zip(&query.columns) {
            match value {
                Some(value) => out.push_str(&format!(
                    "<td style=\"{TD_MONO}\">{}</td>",
                    identifier(&humanised(column, value), MAX_CELL_CHARS)
                )),
                None => out.push_str(&format!("<td style=\"{TD}color:#9ca3af;\">NULL</td>")),
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}

fn storage_chart(out: &mut String, totals: &RunTotals) {
    out.push_str(&format!("<h2 style=\"{H2}\">Bytes by storage class</h2>\n"));
    let shares = storage_class_shares(&totals.figures.bytes_by_storage_class);
    if shares.is_empty() {
        out.push_str(&format!(
            "<p style=\"{MUTED}\">No bytes were consolidated.</p>\n"
        ));
        return;
    }
    table_start(
        out,
        &[
            ("Storage class", false),
            ("", false),
            ("Bytes", true),
            ("Share", true),
        ],
    );
    for share in shares {
        out.push_str(&format!(
            "<tr><td style=\"{TD}white-space:nowrap;\">{}</td>{}<td style=\"{TD_NUM}\">{}</td><td style=\"{TD_NUM}\">{}</td></tr>\n",
            short(&share.storage_class, MAX_CELL_CHARS),
            bar(share.tenths_of_percent),
            human_bytes(share.bytes),
            percent(share.tenths_of_percent),
        ));
    }
    out.push_str("</table>\n");
}

/// A table cell holding a horizontal bar `tenths` of a percent long (tables, not CSS, so every
/// email client draws it), the cell 55% of its table wide.
fn bar(tenths: u32) -> String {
    bar_in(tenths, "55%")
}

/// [`bar`] in a cell `cell_width` wide.
fn bar_in(tenths: u32, cell_width: &str) -> String {
    let width = percent(tenths);
    let mut bar = String::new();
    if tenths > 0 {
        bar.push_str(&format!(
            "<td width=\"{width}\" style=\"width:{width};background:{BAR};height:14px;font-size:0;line-height:0;\">&nbsp;</td>"
        ));
    }
    if tenths < 1000 {
        bar.push_str(&format!(
            "<td style=\"background:{BAR_REST};height:14px;font-size:0;line-height:0;\">&nbsp;</td>"
        ));
    }
    format!(
        "<td style=\"{TD}width:{cell_width};vertical-align:middle;\"><table role=\"presentation\" cellpadding=\"0\" cellspacing=\"0\" width=\"100%\" style=\"border-collapse:collapse;width:100%;\"><tr>{bar}</tr></table></td>"
    )
}

/// What changed since the previous run: the headline and the buckets that changed most.
fn since_last_run(out: &mut String, report: &RunReport) {
    let Some(comparison) = &report.comparison else {
        if let Some(reason) = &report.comparison_reason {
            out.push_str(&format!(
                "<p style=\"margin:8px 0;font-size:12px;{MUTED}\">Not compared with an earlier run: {}</p>\n",
                short(reason, MAX_REASON_CHARS)
            ));
        }
        return;
    };
    out.push_str(&format!(
        "<h2 id=\"since-last-run\" style=\"{H2}\">{}</h2>\n<p style=\"margin:0 0 6px 0;\">{}</p>\n",
        short(&headline(comparison), MAX_REASON_CHARS),
        short(&findings_line(comparison), MAX_REASON_CHARS)
    ));
    let items: Vec<String> = new_findings(comparison)
        .into_iter()
        .flat_map(|(what, listed, more)| {
            let listed = listed.iter().map(move |o| {
                let object = format!("{}/{}", o.bucket, o.key);
                let object = one_line(&object);
                format!(
                    "<li>new {what}: <span style=\"{MONO}overflow-wrap:anywhere;\">{}</span> ({}, {})</li>",
                    identifier(&shorten_middle(&object, FINDING_CHARS), FINDING_CHARS),
                    short(&o.account, MAX_CELL_CHARS),
                    short(&o.region, MAX_CELL_CHARS),
                )
            });
            let more = more.map(|more| {
                format!(
                    "<li style=\"{MUTED}\">and {} more new {what} (the comparison queries below)</li>",
                    group_thousands(more)
                )
            });
            listed.chain(more)
        })
        .collect();
    if !items.is_empty() {
        out.push_str(&format!(
            "<ul style=\"margin:0 0 8px 0;padding-left:20px;\">{}</ul>\n",
            items.join("")
        ));
    }
}

/// The buckets that changed since the last run, a bar each: below the money, as its detail.
fn changed_buckets_table(out: &mut String, report: &RunReport) {
    let Some(comparison) = &report.comparison else {
        return;
    };
    let changed = changed_buckets(comparison, TOP_COST_BUCKETS);
    if changed.is_empty() {
        return;
    }
    out.push_str(&format!(
        "<h2 style=\"{H2}\">Buckets changed since run {}</h2>\n",
        short(&comparison.previous_run, MAX_CELL_CHARS)
    ));
    table_start(
        out,
        &[
            ("Bucket", false),
            ("Account", false),
            ("Region", false),
            ("Status", false),
            ("Objects", true),
            ("Bytes", true),
            ("", false),
        ],
    );
    // The bars: each bucket's bytes changed, against the largest change shown.
    let largest = changed
        .iter()
        .map(|b| b.bytes_delta.unsigned_abs())
        .max()
        .unwrap_or(0);
    for bucket in changed {
        let tenths = share_tenths(bucket.bytes_delta.unsigned_abs(), largest);
        out.push_str(&format!(
            "<tr><td style=\"{TD_MONO}\">{}</td><td style=\"{TD}\">{}</td><td style=\"{TD}\">{}</td><td style=\"{TD}\">{}</td><td style=\"{TD_NUM}\">{}</td><td style=\"{TD_NUM}\">{}</td>{}</tr>\n",
            identifier(&bucket.bucket, MAX_CELL_CHARS),
            short(&bucket.account, MAX_CELL_CHARS),
            short(&bucket.region, MAX_CELL_CHARS),
            bucket.status.as_str(),
            signed_count(bucket.objects_delta),
            signed_bytes(bucket.bytes_delta),
            bar_in(tenths, "25%"),
        ));
    }
    out.push_str("</table>\n");
}

/// The estate's storage a month: the total, a bar per storage class, the most expensive buckets.
fn storage_cost(out: &mut String, report: &RunReport) {
    let Some(cost) = &report.cost else {
        return;
    };
    out.push_str(&format!(
        "<h2 id=\"storage-cost\" style=\"{H2}\">Storage cost: {} per month</h2>\n<p style=\"margin:0 0 8px 0;font-size:12px;{MUTED}\">Price table: {}</p>\n",
        usd(cost.monthly_usd),
        short(&cost.price_table, MAX_REASON_CHARS),
    ));
    for note in &cost.notes {
        out.push_str(&format!(
            "<p style=\"margin:0 0 4px 0;font-size:12px;{MUTED}\">{}</p>\n",
            short(note, MAX_REASON_CHARS)
        ));
    }
    table_start(
        out,
        &[
            ("Storage class", false),
            ("", false),
            ("USD / month", true),
            ("Share", true),
        ],
    );
    for (class, monthly) in classes_by_cost(cost) {
        let tenths = if cost.monthly_usd > 0.0 {
            (monthly / cost.monthly_usd * 1000.0).round() as u32
        } else {
            0
        };
        out.push_str(&format!(
            "<tr><td style=\"{TD}white-space:nowrap;\">{}</td>{}<td style=\"{TD_NUM}\">{}</td><td style=\"{TD_NUM}\">{}</td></tr>\n",
            short(class, MAX_CELL_CHARS),
            bar(tenths.min(1000)),
            usd(monthly),
            percent(tenths.min(1000)),
        ));
    }
    out.push_str("</table>\n");
    table_start(
        out,
        &[
            ("Bucket", false),
            ("Account", false),
            ("Region", false),
            ("USD / month", true),
        ],
    );
    for bucket in cost.buckets.iter().take(TOP_COST_BUCKETS) {
        out.push_str(&format!(
            "<tr><td style=\"{TD_MONO}\">{}</td><td style=\"{TD}\">{}</td><td style=\"{TD}\">{}</td><td style=\"{TD_NUM}\">{}</td></tr>\n",
            identifier(&bucket.bucket, MAX_CELL_CHARS),
            short(&bucket.account, MAX_CELL_CHARS),
            short(&bucket.region, MAX_CELL_CHARS),
            usd(bucket.monthly_usd),
        ));
    }
    out.push_str("</table>\n");
    if let Some(more) = unlisted(cost.buckets.len(), TOP_COST_BUCKETS) {
        out.push_str(&format!(
            "<p style=\"margin:4px 0 0 0;font-size:12px;{MUTED}\">and {} more buckets (every bucket in summary.json)</p>\n",
            group_thousands(more)
        ));
    }
    savings(out, cost);
}

/// What concrete actions would save a month, most first.
fn savings(out: &mut String, cost: &CostReport) {
    if cost.savings.is_empty() {
        return;
    }
    let total = cost.savings_monthly_usd();
    out.push_str(&format!(
        "<h3 style=\"font-size:15px;margin:14px 0 6px 0;\">Savings: up to {} per month</h3>\n",
        usd(total)
    ));
    table_start(
        out,
        &[
            ("USD / month", true),
            ("Action", false),
            ("Bucket", false),
            ("Account", false),
            ("Region", false),
            ("Why", false),
        ],
    );
    for saving in cost.savings.iter().take(TOP_COST_BUCKETS) {
        out.push_str(&format!(
            "<tr><td style=\"{TD_NUM}\">{}</td><td style=\"{TD}\">{}</td><td style=\"{TD_MONO}\">{}</td><td style=\"{TD}\">{}</td><td style=\"{TD}\">{}</td><td style=\"{TD}font-size:12px;\">{}</td></tr>\n",
            usd(saving.monthly_usd),
            short(action_title(&saving.action), MAX_CELL_CHARS),
            identifier(&saving.bucket, MAX_CELL_CHARS),
            short(&saving.account, MAX_CELL_CHARS),
            short(&saving.region, MAX_CELL_CHARS),
            short(&saving.detail, MAX_REASON_CHARS),
        ));
    }
    out.push_str("</table>\n");
    if let Some(more) = unlisted(cost.savings.len(), TOP_COST_BUCKETS) {
        out.push_str(&format!(
            "<p style=\"margin:4px 0 0 0;font-size:12px;{MUTED}\">and {} more savings in summary.json</p>\n",
            group_thousands(more)
        ));
    }
}

fn top_bucket_table(out: &mut String, report: &RunReport, totals: &RunTotals) {
    let top = top_buckets(report);
    if top.is_empty() {
        return;
    }
    out.push_str(&format!("<h2 style=\"{H2}\">Top buckets by bytes</h2>\n"));
    table_start(
        out,
        &[
            ("#", true),
            ("Bucket", false),
            ("Account", false),
            ("Region", false),
            ("Objects", true),
            ("Bytes", true),
            ("Share", true),
            ("Largest object", false),
        ],
    );
    for (rank, (bucket, bytes)) in top.into_iter().enumerate() {
        let figures = bucket.figures.as_ref();
        let largest = figures
            .and_then(|f| f.largest_object.as_ref())
            .map(|o| {
                format!(
                    "<span style=\"{MONO}overflow-wrap:anywhere;\">{}</span> <span style=\"{MUTED}white-space:nowrap;\">({})</span>",
                    identifier(&o.key, MAX_CELL_CHARS),
                    human_bytes(o.size)
                )
            })
            .unwrap_or_default();
        out.push_str(&format!(
            "<tr><td style=\"{TD_NUM}\">{}</td><td style=\"{TD_MONO}\">{}</td><td style=\"{TD}\">{}</td><td style=\"{TD}\">{}</td><td style=\"{TD_NUM}\">{}</td><td style=\"{TD_NUM}\">{}</td><td style=\"{TD_NUM}\">{}</td><td style=\"{TD}\">{largest}</td></tr>\n",
            rank + 1,
            identifier(&bucket.bucket, MAX_CELL_CHARS),
            short(&bucket.account, MAX_CELL_CHARS),
            short(&bucket.region, MAX_CELL_CHARS),
            group_thousands(figures.map(|f| f.objects).unwrap_or(0)),
            human_bytes(bytes),
            percent(share_tenths(bytes, totals.figures.bytes)),
        ));
    }
    out.push_str("</table>\n");
}

fn settled_buckets(out: &mut String, report: &RunReport) {
    for group in GROUP_ORDER.into_iter().filter(|g| !needs_attention(*g)) {
        let buckets = buckets_in(report, group);
        if buckets.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "<h2 style=\"{H2}\">{} buckets ({})</h2>\n",
            group_title(group),
            group_thousands(buckets.len() as u64)
        ));
        if group == StatusGroup::Done {
            table_start(
                out,
                &[
                    ("Account", false),
                    ("Region", false),
                    ("Bucket", false),
                    ("Objects", true),
                    ("Versions", true),
                    ("Bytes", true),
                ],
            );
        } else {
            table_start(
                out,
                &[
                    ("Account", false),
                    ("Region", false),
                    ("Bucket", false),
                    ("Status", false),
                ],
            );
        }
        let more = buckets.len().saturating_sub(MAX_BUCKETS_LISTED);
        for b in buckets.into_iter().take(MAX_BUCKETS_LISTED) {
            let row_start = format!(
                "<tr><td style=\"{TD}\">{}</td><td style=\"{TD}\">{}</td><td style=\"{TD_MONO}\">{}</td>",
                short(&b.account, MAX_CELL_CHARS),
                short(&b.region, MAX_CELL_CHARS),
                identifier(&b.bucket, MAX_CELL_CHARS),
            );
            let rest = match (group, &b.figures) {
                (StatusGroup::Done, Some(f)) => format!(
                    "<td style=\"{TD_NUM}\">{}</td><td style=\"{TD_NUM}\">{}</td><td style=\"{TD_NUM}\">{}</td>",
                    group_thousands(f.objects),
                    group_thousands(f.rows),
                    human_bytes(f.bytes)
                ),
                (StatusGroup::Done, None) => format!(
                    "<td style=\"{TD_NUM}\">&ndash;</td><td style=\"{TD_NUM}\">&ndash;</td><td style=\"{TD_NUM}\">&ndash;</td>"
                ),
                _ => format!("<td style=\"{TD}\">{}</td>", status_badge(b)),
            };
            out.push_str(&format!("{row_start}{rest}</tr>\n"));
        }
        out.push_str("</table>\n");
        if more > 0 {
            out.push_str(&format!(
                "<p style=\"margin:4px 0 0 0;font-size:12px;{MUTED}\">and {} more (every bucket in summary.json)</p>\n",
                group_thousands(more as u64)
            ));
        }
    }
}

fn input(out: &mut String, report: &RunReport) {
    out.push_str(&format!(
        "<h2 style=\"{H2}\">Input</h2>\n<p style=\"margin:0 0 6px 0;{MUTED}\">The Harvester input of this run.</p>\n"
    ));
    let json = serde_json::to_string_pretty(&report.input)
        .unwrap_or_else(|_| "(the input could not be shown)".into());
    out.push_str(&format!(
        "<pre style=\"margin:0;padding:8px 10px;background:#f9fafb;border-radius:4px;font-size:12px;white-space:pre-wrap;word-break:break-all;{MONO}\">{}</pre>\n",
        escape_html(&multi_line(&json))
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_break_between_their_parts_and_stay_escaped() {
        assert_eq!(
            identifier("logs/2024/a-b_c.txt", 200),
            "logs/<wbr>2024/<wbr>a-<wbr>b_<wbr>c.<wbr>txt"
        );
        assert_eq!(
            identifier("</script>", 200),
            "&lt;/<wbr>script&gt;",
            "no break inside an entity"
        );
    }

    #[test]
    fn escapes_the_five_html_specials() {
        assert_eq!(
            escape_html("<a href=\"x\" title='y'>&amp;</a>"),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;"
        );
        assert_eq!(escape_html("ключ ✓"), "ключ ✓");
    }

    #[test]
    fn values_are_made_visible_before_escaping() {
        assert_eq!(short("<b>\u{1b}[1m", 200), "&lt;b&gt;\\u{1b}[1m");
        assert_eq!(short("<<<<", 3), "&lt;&lt;…");
    }
}

//! The report's renderings: golden files, escaping of hostile values, stability, and the JSON form.
//!
//! Golden files live in `tests/fixtures/`; regenerate them after an intended change with
//! `UPDATE_GOLDEN=1 cargo test -p s3insights --test report` and review the diff.

#[path = "support/reports.rs"]
mod reports;

use std::fs;
use std::path::PathBuf;

use reports::{hostile_report, sample_report, HOSTILE};
use s3insights::report::{render_html, render_text, subject, QueryState, RunReport};
use s3insights::BucketStatus;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn golden(name: &str, actual: &str) {
    let path = fixture(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        fs::create_dir_all(path.parent().expect("fixtures dir")).expect("mkdir");
        // Written aside then renamed: another test may be reading the file meanwhile.
        let aside = path.with_extension("new");
        fs::write(&aside, actual).expect("write golden file");
        fs::rename(&aside, &path).expect("replace golden file");
        return;
    }
    let expected = fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (create it with UPDATE_GOLDEN=1)", path.display()));
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(e, a)| e != a)
            .map(|i| i + 1)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()) + 1);
        panic!(
            "{} differs from the rendering from line {line} on; if the change is intended, run with UPDATE_GOLDEN=1 and review the diff",
            path.display()
        );
    }
}

#[test]
fn renderings_match_the_golden_files() {
    let report = sample_report();
    golden("report.html", &render_html(&report));
    golden("report.txt", &render_text(&report));
    golden("subject.txt", &format!("{}\n", subject(&report)));
    let json = serde_json::to_string_pretty(&report).expect("json");
    golden("summary.json", &format!("{json}\n"));
}

#[test]
fn the_json_summary_round_trips() {
    for report in [sample_report(), hostile_report()] {
        let json = serde_json::to_string(&report).expect("serialise");
        let back: RunReport = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(back, report);
    }
    // The stored golden summary still reads (old summaries stay renderable).
    let stored = fs::read_to_string(fixture("summary.json")).expect("golden summary");
    let read: RunReport = serde_json::from_str(&stored).expect("stored summary reads");
    assert_eq!(read, sample_report());
}

#[test]
fn json_uses_domain_spellings() {
    let json = serde_json::to_value(sample_report()).expect("json");
    assert_eq!(json["outcome"], "succeeded");
    assert_eq!(json["started_at"], "2024-05-01T08:00:00Z");
    assert_eq!(json["buckets"][3]["status"], "bucket_access_lost");
    assert_eq!(json["queries"][0]["state"], "SUCCEEDED");
    assert_eq!(json["queries"][0]["rows"][1][5], serde_json::Value::Null);
}

/// One parsed start tag: its name and attributes.
struct Tag {
    name: String,
    attributes: Vec<(String, String)>,
}

/// Every tag of `html`, parsed strictly: a `<` that does not start a well-formed tag panics.
fn tags(html: &str) -> Vec<Tag> {
    let mut tags = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        let after = &rest[start + 1..];
        let end = after.find('>').expect("unclosed tag");
        let inner = &after[..end];
        rest = &after[end + 1..];
        if inner.eq_ignore_ascii_case("!DOCTYPE html") {
            continue;
        }
        let inner = inner.strip_prefix('/').unwrap_or(inner);
        let name_end = inner.find(' ').unwrap_or(inner.len());
        let name = inner[..name_end].to_owned();
        let mut attributes = Vec::new();
        let mut attrs = &inner[name_end..];
        loop {
            attrs = attrs.trim_start();
            if attrs.is_empty() {
                break;
            }
            let eq = attrs
                .find("=\"")
                .unwrap_or_else(|| panic!("bad attribute in <{inner}>"));
            let attr_name = attrs[..eq].to_owned();
            let value_end = attrs[eq + 2..].find('"').expect("unclosed attribute value");
            attributes.push((attr_name, attrs[eq + 2..eq + 2 + value_end].to_owned()));
            attrs = &attrs[eq + 2 + value_end + 1..];
        }
        tags.push(Tag { name, attributes });
    }
    tags
}

const ALLOWED_TAGS: [&str; 23] = [
    "html", "head", "meta", "title", "body", "div", "h1", "h2", "h3", "p", "b", "span", "table",
    "tr", "th", "td", "ul", "li", "pre", "code", "a", "br", "wbr",
];
const ALLOWED_ATTRIBUTES: [&str; 10] = [
    "style",
    "id", // fixed section names (the layout test finds the sections by them), never a value
    "lang",
    "charset",
    "name",
    "content",
    "role",
    "cellpadding",
    "cellspacing",
    "width",
];
const CONSOLE: &str =
    "https://eu-west-1.console.aws.amazon.com/athena/home?region=eu-west-1#/query-editor/history/";

fn assert_safe_html(html: &str) {
    for tag in tags(html) {
        assert!(
            ALLOWED_TAGS.contains(&tag.name.as_str()),
            "tag <{}>",
            tag.name
        );
        for (name, value) in &tag.attributes {
            if name == "href" {
                assert_eq!(tag.name, "a");
                assert!(value.starts_with(CONSOLE), "href {value}");
                let id = &value[CONSOLE.len()..];
                assert!(
                    id.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-._~%".contains(c)),
                    "href id {id}"
                );
            } else {
                assert!(
                    ALLOWED_ATTRIBUTES.contains(&name.as_str()),
                    "attribute {name}"
                );
                if name == "id" {
                    assert!(
                        ["since-last-run", "summary", "storage-cost"].contains(&value.as_str()),
                        "id {value}"
                    );
                }
                assert!(!value.contains(['<', '>', '&']), "{name}={value}");
            }
        }
    }
    let lower = html.to_lowercase();
    for banned in [
        "<script",
        "<img",
        "<iframe",
        "javascript:alert(document",
        "onerror=",
    ] {
        if banned == "onerror=" {
            // The text "onerror=alert(1)" may appear escaped in content, never inside a tag.
            continue;
        }
        assert!(!lower.contains(banned), "{banned} in the HTML");
    }
    for c in ['\u{1b}', '\u{7}', '\r', '\u{202E}'] {
        assert!(!html.contains(c), "{c:?} in the HTML");
    }
}

#[test]
fn html_escapes_every_hostile_value() {
    let report = hostile_report();
    let html = render_html(&report);
    if let Some(dir) = std::env::var_os("REPORT_DUMP_DIR") {
        // To look at the hostile rendering: REPORT_DUMP_DIR=/tmp cargo test ... --test report
        let dir = PathBuf::from(dir);
        fs::write(dir.join("hostile.html"), &html).expect("dump html");
        fs::write(dir.join("hostile.txt"), render_text(&report)).expect("dump text");
    }
    assert_safe_html(&html);
    for hostile in HOSTILE {
        if hostile.contains(['<', '>', '"', '\'', '&']) {
            assert!(!html.contains(hostile), "{hostile:?} unescaped");
        }
    }
    // The hostile text is still there for the reader, escaped.
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
    assert!(html.contains("&#39; OR 1=1 --"));
    assert!(html.contains("ключ ✓ 鍵 \\u{202e}gpj.exe\\u{1b}[31mRED\\u{7}\\u{d}\\u{a}X-Header"));
    // The stored console link is never used; links are rebuilt, and an id is percent-encoded.
    assert!(!html.contains("document.cookie"));
    assert!(html.contains(&format!(
        "{CONSOLE}%22%3E%3Cscript%3Ealert%281%29%3C%2Fscript%3E"
    )));
    // A 1,200-character key is cut (and may break after each `/`).
    assert!(!html.contains(&"k/<wbr>".repeat(300)));
    assert!(html.contains(&format!("{}k…", "k/<wbr>".repeat(99))));
}

#[test]
fn the_sample_html_is_well_formed_and_links_only_to_the_console() {
    let html = render_html(&sample_report());
    assert_safe_html(&html);
    let links: Vec<_> = tags(&html)
        .into_iter()
        .flat_map(|t| t.attributes)
        .filter(|(name, _)| name == "href")
        .map(|(_, v)| v)
        .collect();
    assert_eq!(links.len(), 5, "one per started query");
    // Every opened element is closed (void elements aside), in order.
    let mut stack = Vec::new();
    let mut rest = html.as_str();
    while let Some(start) = rest.find('<') {
        let inner_end = rest[start..].find('>').expect("tag end");
        let inner = &rest[start + 1..start + inner_end];
        rest = &rest[start + inner_end + 1..];
        let name = inner.split(' ').next().unwrap_or_default();
        if name.starts_with('!') || name == "meta" || name == "br" || name == "wbr" {
            continue;
        }
        if let Some(closing) = name.strip_prefix('/') {
            assert_eq!(
                stack.pop(),
                Some(closing.to_owned()),
                "mismatched </{closing}>"
            );
        } else {
            stack.push(name.to_owned());
        }
    }
    assert!(stack.is_empty(), "unclosed {stack:?}");
}

#[test]
fn no_link_is_built_from_a_hostile_region() {
    let mut report = hostile_report();
    report.athena.region = "x.evil.example/\"".into();
    let html = render_html(&report);
    assert!(!html.contains("href="));
    assert!(!render_text(&report).contains("Console:"));
}

#[test]
fn text_and_subject_carry_no_control_characters() {
    let report = hostile_report();
    let text = render_text(&report);
    for c in ['\u{1b}', '\u{7}', '\r', '\u{202E}'] {
        assert!(!text.contains(c), "{c:?} in the text part");
    }
    assert!(text.contains("\\u{1b}[31mRED"));
    let subject = subject(&report);
    assert!(!subject.chars().any(char::is_control), "{subject:?}");
    assert!(subject.chars().count() <= 200);
    assert!(subject.starts_with("[smoke test] S3Insights run <script>"));
}

#[test]
fn the_text_part_lists_every_bucket_status_and_query_state() {
    let report = sample_report();
    let text = render_text(&report);
    for bucket in &report.buckets {
        let line = text
            .lines()
            .find(|l| {
                l.contains(&format!(" {} ", bucket.bucket)) && l.contains(bucket.status.as_str())
            })
            .unwrap_or_else(|| panic!("no line for {} {}", bucket.bucket, bucket.status));
        if let Some(reason) = &bucket.reason {
            assert!(line.contains(reason.as_str()), "{line}");
        }
    }
    for query in &report.queries {
        assert!(
            text.contains(&format!("[{}] {}", query.state.as_str(), query.title)),
            "{}",
            query.name
        );
    }
    assert!(text.contains("COLUMN_NOT_FOUND"));
    assert!(text.contains("first 2 rows (more in Athena)"));
    assert!(
        text.contains(
            "Bytes, all versions            4.3 TiB\n  exactly            4,740,570,154,496\n"
        ),
        "{text}"
    );
    // Not the HTML duplicated.
    assert!(!text.contains("<td") && !text.contains("<table") && !text.contains("<p"));
    assert!(!text.contains("&amp;"));
    // Failed buckets come before done ones.
    let failed = text.find(" legacy ").expect("legacy");
    let done = text.find("\nDone buckets (").expect("done buckets");
    assert!(failed < done);
}

#[test]
fn the_text_columns_are_aligned() {
    let text = render_text(&sample_report());
    let section: Vec<&str> = text
        .split("Buckets that need attention\n---------------------------\n")
        .nth(1)
        .expect("section")
        .lines()
        .take_while(|l| !l.is_empty())
        .collect();
    assert_eq!(section.len(), 4, "{section:?}");
    let column = |name: &str| section[0].find(name).expect("header");
    for row in &section[1..] {
        for header in ["REGION", "BUCKET", "STATUS", "REASON"] {
            let at = column(header);
            assert_ne!(row.as_bytes()[at], b' ', "{row}");
            assert_eq!(row.as_bytes()[at - 1], b' ', "{row}");
        }
    }
}

#[test]
fn renderings_do_not_depend_on_bucket_or_class_order() {
    let report = sample_report();
    let mut shuffled = report.clone();
    shuffled.buckets.reverse();
    shuffled.buckets.rotate_left(3);
    assert_eq!(render_html(&report), render_html(&shuffled));
    assert_eq!(render_text(&report), render_text(&shuffled));
    assert_eq!(subject(&report), subject(&shuffled));
}

#[test]
fn chart_bars_add_up_to_the_whole() {
    let html = render_html(&sample_report());
    let chart = html
        .split("Bytes by storage class</h2>")
        .nth(1)
        .and_then(|rest| rest.split("</table>\n").next())
        .expect("chart");
    let tenths: u32 = chart
        .split("<td width=\"")
        .skip(1)
        .map(|cell| {
            let value = cell.split('%').next().expect("width");
            let (whole, tenth) = value.split_once('.').expect("one decimal");
            whole.parse::<u32>().expect("whole") * 10 + tenth.parse::<u32>().expect("tenth")
        })
        .sum();
    assert_eq!(tenths, 1000);
}

#[test]
fn subject_says_what_went_wrong() {
    let report = sample_report();
    assert_eq!(
        subject(&report),
        "S3Insights run 2024-05-01-weekly: 8 buckets, 4.3 TiB — 2 failed, 1 timed out, 1 query failed"
    );
    let mut clean = report.clone();
    clean.buckets.retain(|b| b.status == BucketStatus::Done);
    clean.queries.retain(|q| q.state == QueryState::Succeeded);
    assert_eq!(
        subject(&clean),
        "S3Insights run 2024-05-01-weekly: 4 buckets, 4.3 TiB"
    );
}

#[test]
fn a_comparison_with_the_previous_run_heads_both_parts() {
    let current = sample_report();
    let mut previous = sample_report();
    previous.run_id = "2024-04-24-weekly".into();
    previous.started_at = current.started_at - chrono::Duration::days(7);
    previous.finished_at = current.finished_at - chrono::Duration::days(7);
    // data-lake had 1,000 fewer objects and 1 GiB less; app-assets did not exist yet.
    previous.buckets.retain(|b| b.bucket != "app-assets");
    for bucket in &mut previous.buckets {
        if let (Some(figures), "data-lake") = (&mut bucket.figures, bucket.bucket.as_str()) {
            figures.objects -= 1_000;
            figures.bytes -= 1 << 30;
        }
    }
    assert!(s3insights::report::comparable(
        &s3insights::report::Coverage::of(&current),
        &previous
    ));
    let mut report = current;
    s3insights::report::with_previous_run(&mut report, Some(&previous), 1);
    let comparison = report.comparison.as_ref().expect("compared");
    assert_eq!(report.comparison_reason, None);
    let headline = "Since run 2024-04-24-weekly of 2024-04-24 10:17 UTC: 1 new, 0 gone, 1 changed \
                    and 3 unchanged buckets; objects +53,000, bytes +16.0 GiB";
    assert_eq!(s3insights::report::headline(comparison), headline);
    let text = render_text(&report);
    let html = render_html(&report);
    for part in [&text, &html] {
        let at = part.find(headline).expect("the headline");
        assert!(
            at < part.find("Storage cost").expect("cost"),
            "above the money"
        );
    }
    assert!(
        text.contains("app-assets") && text.contains("+1.0 GiB"),
        "{text}"
    );
    assert_safe_html(&html);
}

#[test]
fn the_money_and_the_charts_come_before_the_query_tables() {
    let report = sample_report();
    for part in [render_html(&report), render_text(&report)] {
        let at = |what: &str| part.find(what).unwrap_or_else(|| panic!("{what} missing"));
        let first_query = at("Objects that look like secrets");
        for section in [
            "Storage cost",
            "Bytes by storage class",
            "Top buckets by bytes",
        ] {
            assert!(at(section) < first_query, "{section} after the queries");
        }
    }
}

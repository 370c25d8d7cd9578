//! The report's HTML part laid out by a real browser (issue 19, point 3): Debian's Chromium, headless,
//! in a 1,024 x 768 window. Nothing overflows sideways, not even the hostile report's long unbroken
//! keys and HTML specials; and a compared run's report shows, above the fold, what changed since the
//! last run, the summary tiles and the money.
//!
//! The report has no scripts (it is an email); the test measures a copy of it with a probe script
//! added, which writes what it measured into the page, read back with `--dump-dom`.
//! `scripts/test` installs Chromium when it is missing (`ensure_chromium` in `scripts/common.sh`).

#[allow(dead_code)] // The report tests' fixed reports; this test uses two of them.
#[path = "../../crates/s3insights/tests/support/reports.rs"]
mod reports;

use fixtures::browser::{Browser, WINDOW};
use s3insights::report::{render_html, with_previous_run, ObjectKey, RunReport};
use serde_json::Value;

/// Measures the page once it is laid out: the viewport, how wide the document is, where the
/// sections the test names start and end (document coordinates), and the first elements that reach
/// past the viewport's right edge.
const PROBE: &str = r#"<script>
(function () {
  var box = function (id) {
    var e = document.getElementById(id);
    if (!e) { return null; }
    var r = e.getBoundingClientRect();
    return { top: r.top + scrollY, bottom: r.bottom + scrollY };
  };
  var wide = [];
  document.querySelectorAll("body *").forEach(function (e) {
    var r = e.getBoundingClientRect();
    if (r.right > innerWidth + 0.5 && wide.length < 5) {
      wide.push(e.tagName + " " + Math.round(r.right) + "px: " + (e.textContent || "").slice(0, 80));
    }
  });
  var out = {
    width: innerWidth,
    height: innerHeight,
    document_width: document.documentElement.scrollWidth,
    wider_than_window: wide,
    since_last_run: box("since-last-run"),
    summary: box("summary"),
    storage_cost: box("storage-cost")
  };
  var pre = document.createElement("pre");
  pre.id = "layout-probe";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>"#;

/// The report as Chromium lays it out in the test window.
fn layout(name: &str, report: &RunReport) -> Value {
    let browser = Browser::find().unwrap_or_else(|e| panic!("{e}"));
    let html = render_html(report);
    assert!(!html.contains("<script"), "the report itself has no script");
    let probed = html.replacen("</body>", &format!("{PROBE}</body>"), 1);
    let dir = std::env::temp_dir().join(format!("report-layout-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let page = dir.join(format!("{name}.html"));
    std::fs::write(&page, probed).expect("write the probed report");
    let dom = browser
        .dump_dom(&page, WINDOW)
        .unwrap_or_else(|e| panic!("{e}"));
    let start = dom
        .find("<pre id=\"layout-probe\">")
        .unwrap_or_else(|| panic!("{name}: the probe wrote nothing; the page as loaded:\n{dom}"))
        + "<pre id=\"layout-probe\">".len();
    let end = start + dom[start..].find("</pre>").expect("the probe's end");
    let json = dom[start..end]
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    let measured: Value = serde_json::from_str(&json).expect("the probe's JSON");
    let version = browser.version().unwrap_or_else(|e| panic!("{e}"));
    eprintln!("{name} in {version}: {measured}");
    measured
}

fn number(measured: &Value, path: &[&str]) -> f64 {
    let mut at = measured;
    for step in path {
        at = &at[*step];
    }
    at.as_f64()
        .unwrap_or_else(|| panic!("{} not measured in {measured}", path.join(".")))
}

fn assert_nothing_overflows(name: &str, measured: &Value) {
    let width = number(measured, &["width"]);
    assert_eq!(width, f64::from(WINDOW.0), "{name}: the window's width");
    assert!(
        number(measured, &["document_width"]) <= width,
        "{name}: the page is wider than the window: {measured}"
    );
    assert_eq!(
        measured["wider_than_window"],
        serde_json::json!([]),
        "{name}: elements reach past the window's right edge"
    );
}

/// The sample report compared with an earlier run: a bucket new, one grown, one gone, and more new
/// public objects and secret-like keys than the top of the report lists, with long keys.
fn compared_report() -> RunReport {
    let mut report = reports::sample_report();
    let mut previous = reports::sample_report();
    previous.run_id = "2024-04-24-weekly".into();
    previous.started_at = report.started_at - chrono::Duration::days(7);
    previous.finished_at = report.finished_at - chrono::Duration::days(7);
    previous.buckets.retain(|b| b.bucket != "app-assets");
    for bucket in &mut previous.buckets {
        if let Some(figures) = &mut bucket.figures {
            figures.objects += 1_000;
            figures.bytes += 1 << 30;
        }
    }
    let mut gone = previous.buckets[0].clone();
    gone.bucket = "retired-analytics-exports-2019-eu-west-1-111111111111".into();
    previous.buckets.push(gone);
    with_previous_run(&mut report, Some(&previous), 2);
    let comparison = report.comparison.as_mut().expect("compared");
    let object = |n: usize, key: String| ObjectKey {
        account: "222222222222".into(),
        region: "us-east-1".into(),
        bucket: format!("data-lake-exports-{n}"),
        key,
    };
    comparison.new_public_objects = (0..8)
        .map(|n| object(n, format!("public/{}/index-{n}.html", "x".repeat(150))))
        .collect();
    comparison.new_secret_like_keys = (0..8)
        .map(|n| object(n, format!("deploy/{}/.env", "y".repeat(150))))
        .collect();
    comparison.new_unencrypted_versions = Some(1_234);
    report
}

#[test]
fn a_compared_report_shows_the_change_the_tiles_and_the_money_above_the_fold() {
    let report = compared_report();
    let measured = layout("compared", &report);
    assert_nothing_overflows("compared", &measured);
    let fold = number(&measured, &["height"]);
    // The fold of a 1,024 x 768 window: its viewport, less the browser's own bars.
    assert!(
        (500.0..=768.0).contains(&fold),
        "the viewport's height: {fold}"
    );
    let since = number(&measured, &["since_last_run", "top"]);
    let tiles = number(&measured, &["summary", "bottom"]);
    let money = number(&measured, &["storage_cost", "bottom"]);
    assert!(
        since < tiles,
        "what changed comes before the tiles: {measured}"
    );
    assert!(
        tiles <= fold,
        "the summary tiles end below the fold: {measured}"
    );
    assert!(
        money <= fold,
        "the storage cost heading ends below the fold: {measured}"
    );
}

#[test]
fn nothing_overflows_sideways_in_any_report() {
    for (name, report) in [
        ("sample", reports::sample_report()),
        ("hostile", reports::hostile_report()),
        ("compared", compared_report()),
    ] {
        let measured = layout(name, &report);
        assert_nothing_overflows(name, &measured);
    }
}

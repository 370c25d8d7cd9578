//! Revisions and their JSON Patches as text: green `+` add, red `-` remove, yellow `~` replace.
//! Colour only when stdout is a terminal and `NO_COLOR` is not set (<https://no-color.org>).

use std::io::IsTerminal;

use historical::message::ChangeSummary;
use historical::PatchOp;
use serde_json::Value;

const GREEN: &str = "\x1b[32m";
const RED: &str = "\x1b[31m";
const YELLOW: &str = "\x1b[33m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// Whether to colour: only on a terminal, and never when `NO_COLOR` is set to a non-empty value.
pub fn use_colour(is_terminal: bool, no_color: Option<&str>) -> bool {
    is_terminal && no_color.is_none_or(str::is_empty)
}

/// [`use_colour`] for this process's stdout and environment.
pub fn stdout_colour() -> bool {
    let no_color = std::env::var("NO_COLOR").ok();
    use_colour(std::io::stdout().is_terminal(), no_color.as_deref())
}

fn paint(text: &str, colour: &str, on: bool) -> String {
    if on {
        format!("{colour}{text}{RESET}")
    } else {
        text.to_string()
    }
}

/// Values longer than this are shown pretty-printed over several lines.
const ONE_LINE: usize = 100;

/// One patch operation: `+ /path: value`, `- /path`, `~ /path: value` (`""`, the whole document,
/// is shown as `/`). A long object or array value continues over several lines, each with the
/// operation's sign (and colour), so a created revision's whole document stays readable.
pub fn render_op(op: &PatchOp, colour: bool) -> String {
    let shown = |path: &str| {
        if path.is_empty() {
            "/".to_string()
        } else {
            path.to_string()
        }
    };
    let (sign, colour_code, path, value) = match op {
        PatchOp::Add { path, value } => ('+', GREEN, shown(path), Some(value)),
        PatchOp::Remove { path } => ('-', RED, shown(path), None),
        PatchOp::Replace { path, value } => ('~', YELLOW, shown(path), Some(value)),
    };
    let Some(value) = value else {
        return paint(&format!("{sign} {path}"), colour_code, colour);
    };
    let compact = serde_json::to_string(value).unwrap_or_else(|_| value.to_string());
    let text = if compact.len() <= ONE_LINE || !(value.is_object() || value.is_array()) {
        compact
    } else {
        serde_json::to_string_pretty(value).unwrap_or(compact)
    };
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            let line = if i == 0 {
                format!("{sign} {path}: {line}")
            } else {
                format!("{sign}   {line}")
            };
            paint(&line, colour_code, colour)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Who made the change ([`historical::history::principal`]), `-` for a poll.
pub fn principal(item: &Value) -> String {
    historical::history::principal(item).unwrap_or_else(|| "-".to_owned())
}

/// A Durable revision: a heading (time, change kind, event name, principal), then its patch
/// indented, one operation per line.
pub fn render_revision(item: &Value, colour: bool) -> String {
    let text = |name: &str| item[name].as_str().unwrap_or("-").to_string();
    let change: Option<ChangeSummary> = serde_json::from_value(item["change"].clone()).ok();
    let kind = change.as_ref().map_or("-", |c| c.kind.as_str());
    let heading = format!(
        "{}  {}  {}  {}",
        text("eventTime"),
        kind,
        text("eventName"),
        principal(item)
    );
    let mut out = paint(&heading, BOLD, colour);
    out.push('\n');
    match change {
        None => out.push_str("    (no change recorded on this revision)\n"),
        Some(c) if c.patch_omitted => {
            out.push_str("    (patch too large to store; compare the configurations with --json)\n")
        }
        Some(c) if c.patch.is_empty() => out.push_str("    (empty patch)\n"),
        Some(c) => {
            for op in &c.patch {
                for line in render_op(op, colour).lines() {
                    out.push_str("    ");
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn revision() -> Value {
        json!({
            "arn": "arn:aws:s3:::b",
            "eventTime": "2024-01-02T03:04:05Z",
            "eventName": "PutBucketPolicy",
            "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111111111111:user/alice"},
            "change": {"kind": "updated", "patch": [
                {"op": "add", "path": "/configuration/Tags/env", "value": "prod"},
                {"op": "remove", "path": "/configuration/Policy/Statement/1"},
                {"op": "replace", "path": "/configuration/Versioning", "value": {"Status": "Enabled"}},
            ]},
        })
    }

    #[test]
    fn plain_without_colour() {
        assert_eq!(
            render_revision(&revision(), false),
            "2024-01-02T03:04:05Z  updated  PutBucketPolicy  arn:aws:iam::111111111111:user/alice\n\
             \x20   + /configuration/Tags/env: \"prod\"\n\
             \x20   - /configuration/Policy/Statement/1\n\
             \x20   ~ /configuration/Versioning: {\"Status\":\"Enabled\"}\n"
        );
    }

    #[test]
    fn coloured_lines() {
        let text = render_revision(&revision(), true);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("\x1b[1m2024-01-02T03:04:05Z") && lines[0].ends_with(RESET));
        assert_eq!(
            lines[1],
            "    \x1b[32m+ /configuration/Tags/env: \"prod\"\x1b[0m"
        );
        assert_eq!(
            lines[2],
            "    \x1b[31m- /configuration/Policy/Statement/1\x1b[0m"
        );
        assert!(lines[3].starts_with("    \x1b[33m~ /configuration/Versioning"));
    }

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(use_colour(true, None));
        assert!(use_colour(true, Some("")));
        assert!(!use_colour(true, Some("1")));
        assert!(!use_colour(false, None));
    }

    #[test]
    fn polls_omitted_patches_and_whole_documents() {
        let poll = json!({"eventTime": "t", "eventName": "PollS3",
                          "change": {"kind": "created", "patch": [], "patch_omitted": true}});
        let text = render_revision(&poll, false);
        assert!(text.starts_with("t  created  PollS3  -\n"), "{text}");
        assert!(text.contains("patch too large"));
        let whole = PatchOp::Replace {
            path: String::new(),
            value: json!({}),
        };
        assert_eq!(render_op(&whole, false), "~ /: {}");
        let long = PatchOp::Add {
            path: "/configuration".into(),
            value: json!({"Policy": "x".repeat(60), "Tags": {"env": "y".repeat(40)}}),
        };
        let plain = render_op(&long, false);
        let lines: Vec<&str> = plain.lines().collect();
        assert_eq!(lines[0], "+ /configuration: {");
        assert!(lines[1..].iter().all(|l| l.starts_with("+   ")), "{plain}");
        let coloured = render_op(&long, true);
        assert!(coloured
            .lines()
            .all(|l| l.starts_with(GREEN) && l.ends_with(RESET)));
        assert_eq!(principal(&json!({"principalId": "AIDA1"})), "AIDA1");
    }
}

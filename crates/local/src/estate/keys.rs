//! Keys that look like what real buckets hold, by theme (photos, load-balancer and application
//! logs, database backups, source trees, data-lake partitions), each with its size range and the
//! storage classes to draw from; and the credential-like and hostile names a report must handle
//! with care.

use std::ops::RangeInclusive;

use super::Theme;
use splitmix::SplitMix64 as Rng;

/// Credential-like names: the report's `secret_like_keys` query must find each.
pub(super) const SECRET_KEYS: &[&str] = &[
    ".env",
    "config/prod/.env.production",
    "home/deploy/.ssh/id_rsa",
    "infra/live/terraform.tfstate",
    "gcp/service-account/credentials.json",
    ".aws/credentials",
    "certs/api.example.com.key",
    "keys/jenkins-deploy.pem",
    "it/vault/passwords.kdbx",
];

/// Names a report must escape or make visible rather than interpret.
pub(super) const HOSTILE_KEYS: &[&str] = &[
    "<script>alert(1)</script>.html",
    "a\"quote'.txt",
    "uploads/\"><img src=x onerror=alert(document.domain)>.png",
    "docs/Read me first (v2).txt",
    "shared/Q3 report & notes + 100% final.docx",
    "sql/'; DROP TABLE objects;--.sql",
    "exports/données clients été 2023.csv",
    "資料/報告書-2024年.pdf",
    "Ünïcödé/Привет мир/नमस्ते.txt",
    "emoji/🎉 launch party 🥳.jpg",
    "invoices/invoice-2024-03\u{202e}fdp.exe",
    "tmp/back\\slash\\path.txt",
];

const APPS: &[&str] = &["api", "web", "worker", "auth", "billing", "search"];
const HOSTS: &[&str] = &["db-primary", "db-replica", "bastion", "ci-runner", "mail"];
const MODULES: &[&str] = &[
    "auth",
    "billing",
    "inventory",
    "report",
    "http",
    "storage",
    "util",
];
const WORDS: &[&str] = &[
    "summary",
    "customers",
    "orders",
    "invoices",
    "churn",
    "forecast",
    "campaign",
    "survey",
];
const EVENTS: &[&str] = &[
    "Summer party",
    "Offsite Lisbon",
    "Product launch",
    "Team day",
];

fn date(r: &mut Rng, years: RangeInclusive<u64>) -> (u64, u64, u64) {
    (
        r.range(*years.start(), *years.end()),
        r.range(1, 12),
        r.range(1, 28),
    )
}

/// A key, its size range and its storage classes, for a bucket of `theme` in `account`/`region`.
pub(super) fn themed_object(
    theme: Theme,
    r: &mut Rng,
    account: &str,
    region: &str,
) -> (String, (u64, u64), &'static [(&'static str, u64)]) {
    const HOT: &[(&str, u64)] = &[("STANDARD", 1)];
    const LOGS: &[(&str, u64)] = &[
        ("STANDARD", 6),
        ("STANDARD_IA", 3),
        ("INTELLIGENT_TIERING", 1),
    ];
    const MEDIA: &[(&str, u64)] = &[
        ("STANDARD", 5),
        ("STANDARD_IA", 2),
        ("GLACIER_IR", 2),
        ("ONEZONE_IA", 1),
    ];
    const ARCHIVE: &[(&str, u64)] = &[
        ("STANDARD", 2),
        ("STANDARD_IA", 2),
        ("GLACIER", 3),
        ("DEEP_ARCHIVE", 2),
    ];
    const LAKE: &[(&str, u64)] = &[("STANDARD", 4), ("INTELLIGENT_TIERING", 3)];
    match theme {
        Theme::Media => match r.next() % 4 {
            0 | 1 => {
                let (y, m, _) = date(r, 2019..=2024);
                let n = r.range(1, 9999);
                (
                    format!("photos/{y}/{m:02}/IMG_{n:04}.jpg"),
                    (1500, 9000),
                    MEDIA,
                )
            }
            2 => {
                let (y, m, _) = date(r, 2021..=2024);
                let event = r.pick(EVENTS);
                let n = r.range(1, 300);
                (
                    format!("photos/{y}/{m:02}/{event} {n}.HEIC"),
                    (2000, 12000),
                    MEDIA,
                )
            }
            _ => {
                let (y, ..) = date(r, 2020..=2024);
                let n = r.range(1, 999);
                if r.chance(50) {
                    (format!("videos/{y}/clip-{n:03}.mp4"), (8000, 48000), MEDIA)
                } else {
                    let w = r.pick(&[160u64, 320, 640]);
                    (
                        format!("thumbnails/{w}x{w}/{}.webp", r.hex(16)),
                        (100, 900),
                        HOT,
                    )
                }
            }
        },
        Theme::Logs => match r.next() % 3 {
            0 => {
                let app = r.pick(APPS);
                let (y, m, d) = date(r, 2023..=2024);
                let h = r.range(0, 23);
                (
                    format!("logs/{app}/{y}/{m:02}/{d:02}/{app}-{h:02}.log.gz"),
                    (300, 6000),
                    LOGS,
                )
            }
            1 => {
                let (y, m, d) = date(r, 2023..=2024);
                let (h, mi) = (r.range(0, 23), r.range(0, 59) / 5 * 5);
                let lb = r.hex(16);
                let ip = (r.range(0, 255), r.range(1, 254));
                let tail = r.hex(8);
                (
                    format!(
                        "AWSLogs/{account}/elasticloadbalancing/{region}/{y}/{m:02}/{d:02}/\
                         {account}_elasticloadbalancing_{region}_app.web.{lb}_{y}{m:02}{d:02}T{h:02}{mi:02}Z_10.0.{}.{}_{tail}.log.gz",
                        ip.0, ip.1
                    ),
                    (200, 4000),
                    LOGS,
                )
            }
            _ => {
                let (y, m, d) = date(r, 2024..=2024);
                let h = r.range(0, 23);
                let dist = r.hex(13).to_uppercase();
                let tail = r.hex(8);
                (
                    format!("cloudfront/E{dist}.{y}-{m:02}-{d:02}-{h:02}.{tail}.gz"),
                    (150, 3000),
                    LOGS,
                )
            }
        },
        Theme::Backups => match r.next() % 3 {
            0 => {
                let (y, m, d) = date(r, 2020..=2024);
                (
                    format!("backups/db-{y}-{m:02}-{d:02}.sql.gz"),
                    (6000, 60000),
                    ARCHIVE,
                )
            }
            1 => {
                let host = r.pick(HOSTS);
                let (y, m, d) = date(r, 2022..=2024);
                let what = r.pick(&["etc", "home", "var-lib", "srv"]);
                (
                    format!("backups/{host}/{y}-{m:02}-{d:02}/{what}.tar.gz"),
                    (2000, 30000),
                    ARCHIVE,
                )
            }
            _ => {
                let vol = r.hex(17);
                let n = r.range(1, 400);
                (
                    format!("snapshots/vol-{vol}/{n:06}.snap"),
                    (4000, 16000),
                    ARCHIVE,
                )
            }
        },
        Theme::Code => match r.next() % 4 {
            0 | 1 => {
                let module = r.pick(MODULES);
                let file = r.pick(&[
                    "mod", "client", "error", "config", "model", "handler", "tests",
                ]);
                (format!("src/{module}/{file}.rs"), (40, 6000), HOT)
            }
            2 => {
                let name = r.pick(&["app", "vendor", "runtime", "polyfills"]);
                (
                    format!("web/static/js/{name}.{}.js", r.hex(8)),
                    (800, 20000),
                    HOT,
                )
            }
            _ => {
                let doc = r.pick(&[
                    "README",
                    "CHANGELOG",
                    "CONTRIBUTING",
                    "adr-0007-storage",
                    "runbook",
                ]);
                let n = r.range(1, 40);
                (format!("docs/{doc}-{n}.md"), (60, 4000), HOT)
            }
        },
        Theme::Data => match r.next() % 4 {
            0 | 1 => {
                let table = r.pick(WORDS);
                let (y, m, _) = date(r, 2022..=2024);
                let part = r.range(0, 199);
                (
                    format!(
                        "lake/{table}/year={y}/month={m:02}/part-{part:05}-{}.snappy.parquet",
                        r.hex(12)
                    ),
                    (2000, 24000),
                    LAKE,
                )
            }
            2 => {
                let (y, m, d) = date(r, 2024..=2024);
                let h = r.range(0, 23);
                let n = r.range(0, 999);
                (
                    format!("raw/events/{y}/{m:02}/{d:02}/{h:02}/events-{n:04}.json.gz"),
                    (500, 8000),
                    LAKE,
                )
            }
            _ => {
                let word = r.pick(WORDS);
                let q = r.range(1, 4);
                let y = r.range(2021, 2024);
                (
                    format!("exports/{word} Q{q} {y} (final).xlsx"),
                    (3000, 20000),
                    LAKE,
                )
            }
        },
    }
}

//! The Rust half of `scripts/bench-ingest` (run that, not this).
//!
//! * `ingest_bench generate --rows N --out FILE.csv.gz --schema FILE` writes a
//!   realistic all-versions CSV (gzip) S3 Inventory data file with every
//!   optional field, streaming (constant memory), and its manifest
//!   `fileSchema`.
//! * `ingest_bench consolidate --input FILE.csv.gz --schema FILE --output FILE.parquet
//!   [--compression zstd|snappy] [--row-group-rows N] [--row-group-bytes N] [--batch-size N]`
//!   runs [`consolidation::consolidate_file_with`] on it and prints one JSON
//!   line: rows, seconds, rows/s, peak RSS (`VmHWM`), output size, row groups,
//!   and the figures. `--stage read` times the reader alone (no Parquet),
//!   `--stage inflate` the gzip inflation alone (zlib-rs, the floor).
//!
//! An example rather than a `[[bench]]` or binary: examples are built only on
//! demand, so `cargo build --workspace` stays cheap.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::time::Instant;

use chrono::{DateTime, Utc};
use consolidation::{consolidate_file_with, ConsolidateOptions, OutputCompression};
use inventory_format::key_encoding::encode_csv_key;
use inventory_format::manifest::{fields_from_schema, file_schema};
use inventory_format::{report_fields, FileFormat, InventoryField};

type Error = Box<dyn std::error::Error>;

fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let command = args.next().unwrap_or_default();
    let flags = parse_flags(args)?;
    match command.as_str() {
        "generate" => generate(&flags),
        "consolidate" => consolidate(&flags),
        _ => {
            Err("usage: ingest_bench generate|consolidate --flag value ... (see the source)".into())
        }
    }
}

fn parse_flags(args: impl Iterator<Item = String>) -> Result<HashMap<String, String>, Error> {
    let args: Vec<String> = args.collect();
    let mut flags = HashMap::new();
    for pair in args.chunks(2) {
        match pair {
            [flag, value] if flag.starts_with("--") => {
                flags.insert(flag.trim_start_matches("--").to_owned(), value.clone());
            }
            _ => return Err(format!("expected --flag value pairs, got {pair:?}").into()),
        }
    }
    Ok(flags)
}

fn flag<'a>(flags: &'a HashMap<String, String>, name: &str) -> Result<&'a str, Error> {
    flags
        .get(name)
        .map(String::as_str)
        .ok_or_else(|| format!("missing --{name}").into())
}

fn number(flags: &HashMap<String, String>, name: &str, default: usize) -> Result<usize, Error> {
    match flags.get(name) {
        Some(v) => Ok(v.parse()?),
        None => Ok(default),
    }
}

// ---------------------------------------------------------------- consolidate

fn consolidate(flags: &HashMap<String, String>) -> Result<(), Error> {
    // As the inventory processor does.
    consolidation::retain_freed_memory();
    let schema = std::fs::read_to_string(flag(flags, "schema")?)?;
    let fields = fields_from_schema(FileFormat::Csv, schema.trim())?;
    let defaults = ConsolidateOptions::default();
    let options = ConsolidateOptions {
        batch_size: number(flags, "batch-size", defaults.batch_size)?,
        max_row_group_rows: number(flags, "row-group-rows", defaults.max_row_group_rows)?,
        max_row_group_bytes: number(flags, "row-group-bytes", defaults.max_row_group_bytes)?,
        compression: match flags.get("compression").map(String::as_str) {
            None | Some("zstd") => OutputCompression::Zstd,
            Some("snappy") => OutputCompression::Snappy,
            Some(other) => return Err(format!("unknown --compression {other}").into()),
        },
    };
    let input = flag(flags, "input")?;
    match flags.get("stage").map(String::as_str) {
        Some("read") => return read_only(input, &fields, options.batch_size),
        Some("inflate") => return inflate_only(input),
        _ => {}
    }
    let output = flag(flags, "output")?;

    let started = Instant::now();
    let figures = consolidate_file_with(
        &options,
        input,
        FileFormat::Csv,
        &fields,
        File::open(input)?,
        File::create(output)?,
    )?;
    let seconds = started.elapsed().as_secs_f64();
    let peak_rss_kb = vm_hwm_kb();

    let metadata = parquet::file::reader::FileReader::metadata(
        &parquet::file::reader::SerializedFileReader::new(File::open(output)?)?,
    )
    .clone();
    let report = serde_json::json!({
        "rows": figures.rows,
        "seconds": seconds,
        "rows_per_second": figures.rows as f64 / seconds,
        "peak_rss_kb": peak_rss_kb,
        "output_bytes": std::fs::metadata(output)?.len(),
        "row_groups": metadata.num_row_groups(),
        "figures": figures,
    });
    println!("{report}");
    Ok(())
}

/// Profiling aid (`--stage read`): the reader alone (decompress, parse, build
/// batches), to see how the time splits between the two threads.
fn read_only(input: &str, fields: &[InventoryField], batch_size: usize) -> Result<(), Error> {
    let started = Instant::now();
    let mut rows = 0;
    for batch in
        inventory_format::read_data_file(FileFormat::Csv, fields, File::open(input)?, batch_size)?
    {
        rows += batch?.num_rows();
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({"stage": "read", "rows": rows, "seconds": seconds})
    );
    Ok(())
}

/// The inflate floor (`--stage inflate`): the gzip member(s) inflated by the same zlib-rs our
/// reader uses, into nothing, on this thread.
fn inflate_only(input: &str) -> Result<(), Error> {
    let started = Instant::now();
    let mut gz = flate2::read::MultiGzDecoder::new(std::io::BufReader::with_capacity(
        1 << 20,
        File::open(input)?,
    ));
    let bytes = std::io::copy(&mut gz, &mut std::io::sink())?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({"stage": "inflate", "bytes": bytes, "seconds": seconds, "peak_rss_kb": vm_hwm_kb()})
    );
    Ok(())
}

/// Peak resident set size of this process, from `/proc/self/status`.
fn vm_hwm_kb() -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

// ------------------------------------------------------------------- generate

fn generate(flags: &HashMap<String, String>) -> Result<(), Error> {
    let rows = number(flags, "rows", 1_000_000)?;
    let optional: Vec<_> = InventoryField::ALL
        .into_iter()
        .filter(InventoryField::is_optional)
        .collect();
    let fields = report_fields(&optional, true);
    std::fs::write(
        flag(flags, "schema")?,
        file_schema(FileFormat::Csv, &fields) + "\n",
    )?;

    let gz = flate2::write::GzEncoder::new(
        BufWriter::with_capacity(1 << 20, File::create(flag(flags, "out")?)?),
        flate2::Compression::default(),
    );
    let mut csv = csv::WriterBuilder::new()
        .has_headers(false)
        .quote_style(csv::QuoteStyle::Always)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(gz);
    let mut generator = Generator::new();
    let mut row: Vec<String> = Vec::with_capacity(fields.len());
    let mut written = 0;
    while written < rows {
        for version in generator.next_object() {
            if written == rows {
                break;
            }
            row.clear();
            row.extend(fields.iter().map(|&f| version.value(f)));
            csv.write_record(&row)?;
            written += 1;
        }
    }
    csv.into_inner()
        .map_err(|e| e.to_string())?
        .finish()?
        .flush()?;
    eprintln!("generated {written} rows");
    Ok(())
}

use splitmix::SplitMix64 as Rng;

/// `len` characters drawn from `alphabet`.
fn chars(rng: &mut Rng, alphabet: &[u8], len: usize) -> String {
    (0..len)
        .map(|_| char::from(alphabet[rng.below(alphabet.len() as u64) as usize]))
        .collect()
}

const HEX: &[u8] = b"0123456789abcdef";
const VERSION_CHARS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz._";
const OWNER: &str = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be";
const OTHER_OWNER: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9";
/// 2018-01-01T00:00:00Z and 2025-12-31T00:00:00Z, in epoch milliseconds.
const FIRST_DATE: i64 = 1_514_764_800_000;
const LAST_DATE: i64 = 1_767_139_200_000;
const DAY: i64 = 86_400_000;

/// One inventory row, as CSV text per field.
struct Version {
    bucket: &'static str,
    key: String,
    version_id: String,
    is_latest: bool,
    is_delete_marker: bool,
    size: u64,
    last_modified: i64,
    e_tag: String,
    storage_class: &'static str,
    multipart: bool,
    replication_status: &'static str,
    encryption_status: &'static str,
    lock_until: Option<i64>,
    lock_mode: &'static str,
    tier: &'static str,
    checksum: &'static str,
    acl: &'static str,
    owner: &'static str,
    expiration: Option<i64>,
}

impl Version {
    fn value(&self, field: InventoryField) -> String {
        use InventoryField as F;
        let data = !self.is_delete_marker;
        let text = |present: bool, v: &str| if present { v.to_owned() } else { String::new() };
        match field {
            F::Bucket => self.bucket.to_owned(),
            F::Key => encode_csv_key(&self.key),
            F::VersionId => self.version_id.clone(),
            F::IsLatest => self.is_latest.to_string(),
            F::IsDeleteMarker => self.is_delete_marker.to_string(),
            F::Size => text(data, &self.size.to_string()),
            F::LastModifiedDate => date(Some(self.last_modified)),
            F::ETag => text(data, &self.e_tag),
            F::StorageClass => text(data, self.storage_class),
            F::IsMultipartUploaded => text(data, &self.multipart.to_string()),
            F::ReplicationStatus => text(data, self.replication_status),
            F::EncryptionStatus => text(data, self.encryption_status),
            F::ObjectLockRetainUntilDate => date(self.lock_until.filter(|_| data)),
            F::ObjectLockMode => text(data && self.lock_until.is_some(), self.lock_mode),
            F::ObjectLockLegalHoldStatus => text(data, "OFF"),
            F::IntelligentTieringAccessTier => text(data, self.tier),
            F::BucketKeyStatus => text(
                data,
                if self.encryption_status == "SSE-KMS" {
                    "ENABLED"
                } else {
                    "DISABLED"
                },
            ),
            F::ChecksumAlgorithm => text(data, self.checksum),
            F::ObjectAccessControlList => text(data, self.acl),
            F::ObjectOwner => self.owner.to_owned(),
            F::LifecycleExpirationDate => date(self.expiration.filter(|_| data)),
        }
    }
}

fn date(millis: Option<i64>) -> String {
    millis
        .and_then(DateTime::<Utc>::from_timestamp_millis)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_default()
}

/// Yields the versions of one object at a time, newest first, like S3
/// (keys in UTF-8 binary order is not reproduced: consolidation does not
/// depend on order).
struct Generator {
    rng: Rng,
    object: u64,
    acl: &'static str,
    shared_acl: &'static str,
}

impl Generator {
    fn new() -> Self {
        Generator {
            rng: Rng::new(0x5EED),
            object: 0,
            acl: leak(acl(&[OWNER])),
            shared_acl: leak(acl(&[OWNER, OTHER_OWNER])),
        }
    }

    fn key(&mut self) -> String {
        let n = self.object;
        let rng = &mut self.rng;
        let tenant = rng.below(400);
        let day = rng.below(28) + 1;
        let month = rng.below(12) + 1;
        let year = 2018 + rng.below(8);
        let name = chars(rng, HEX, 16);
        match rng.below(1000) {
            0 => format!("uploads/<script>alert({n})</script>.html"),
            1 => format!("Shared Documents/Q{} report, \"final\" ({n}).xlsx", month / 4 + 1),
            2..=4 => format!("photos/été {year}/日本語 写真 {n}.jpg"),
            5..=9 => format!("tmp/a+b 100% {n}.txt"),
            10..=399 => format!(
                "logs/AWSLogs/123456789012/elasticloadbalancing/eu-west-1/{year}/{month:02}/{day:02}/123456789012_elb_{name}_{n}.log.gz"
            ),
            400..=699 => format!("tenants/{tenant:04}/media/{year}/{month:02}/{name}-{n}.jpg"),
            700..=899 => format!("backups/db/{year}-{month:02}-{day:02}/part-{n:08}.parquet"),
            _ => format!("assets/build-{}/static/js/main.{name}.chunk.js", rng.below(5000)),
        }
    }

    fn next_object(&mut self) -> Vec<Version> {
        self.object += 1;
        let key = self.key();
        let rng = &mut self.rng;
        // Most objects have one version; some many (overwritten configs, logs rotated in place).
        let versions = match rng.below(100) {
            0..=69 => 1,
            70..=89 => 2,
            90..=97 => 3 + rng.below(3),
            _ => 6 + rng.below(10),
        };
        let deleted = rng.chance(8);
        let mut newest = FIRST_DATE + rng.below((LAST_DATE - FIRST_DATE) as u64) as i64;
        let mut out = Vec::with_capacity(versions as usize + 1);
        if deleted {
            out.push(self.version(&key, true, true, newest));
            newest -= self.rng.below(30) as i64 * DAY + 1;
        }
        for i in 0..versions {
            let latest = i == 0 && !deleted;
            out.push(self.version(&key, latest, false, newest));
            newest -= self.rng.below(200) as i64 * DAY + 1;
        }
        out
    }

    fn version(&mut self, key: &str, latest: bool, delete_marker: bool, modified: i64) -> Version {
        let rng = &mut self.rng;
        // Sizes spread over eight orders of magnitude, most small.
        let exponent = rng.weighted(&[
            ("1", 5),
            ("2", 15),
            ("3", 25),
            ("4", 25),
            ("5", 15),
            ("6", 8),
            ("7", 5),
            ("9", 2),
        ]);
        let scale = 10u64.pow(exponent.parse().unwrap_or(3));
        let size = scale + rng.below(scale * 9);
        let multipart = size > 16 * 1024 * 1024;
        let e_tag = if multipart {
            format!("{}-{}", chars(rng, HEX, 32), size / (8 * 1024 * 1024) + 1)
        } else {
            chars(rng, HEX, 32)
        };
        let storage_class = rng.weighted(&[
            ("STANDARD", 70),
            ("STANDARD_IA", 10),
            ("INTELLIGENT_TIERING", 8),
            ("GLACIER", 5),
            ("DEEP_ARCHIVE", 4),
            ("GLACIER_IR", 3),
        ]);
        let tier = if storage_class == "INTELLIGENT_TIERING" {
            rng.weighted(&[
                ("FREQUENT", 5),
                ("INFREQUENT", 3),
                ("ARCHIVE_INSTANT_ACCESS", 2),
            ])
        } else {
            ""
        };
        let lock_until = rng
            .chance(5)
            .then(|| modified + 365 * DAY * (1 + rng.below(7) as i64));
        let lock_mode = rng.weighted(&[("GOVERNANCE", 3), ("COMPLIANCE", 1)]);
        let shared = rng.chance(3);
        Version {
            bucket: "acme-prod-media-eu-west-1",
            key: key.to_owned(),
            version_id: chars(rng, VERSION_CHARS, 32),
            is_latest: latest,
            is_delete_marker: delete_marker,
            size,
            last_modified: modified,
            e_tag,
            storage_class,
            multipart,
            replication_status: rng.weighted(&[
                ("", 80),
                ("COMPLETED", 17),
                ("PENDING", 2),
                ("FAILED", 1),
            ]),
            encryption_status: rng.weighted(&[("SSE-S3", 80), ("SSE-KMS", 15), ("NOT-SSE", 5)]),
            lock_until,
            lock_mode,
            tier,
            checksum: rng.weighted(&[("CRC64NVME", 50), ("CRC32", 20), ("SHA256", 5), ("", 25)]),
            acl: if shared { self.shared_acl } else { self.acl },
            owner: OWNER,
            // Noncurrent versions expire 90 days after they stopped being current (approximated).
            expiration: (!latest).then_some(modified + 90 * DAY),
        }
    }
}

/// The base64 JSON ACL S3 writes, granting FULL_CONTROL to each owner.
fn acl(owners: &[&str]) -> String {
    let grants: Vec<String> = owners
        .iter()
        .map(|o| {
            format!(r#"{{"permission":"FULL_CONTROL","type":"CanonicalUser","canonicalId":"{o}"}}"#)
        })
        .collect();
    let json = format!(
        r#"{{"version":"2022-11-10","status":"AVAILABLE","grants":[{}]}}"#,
        grants.join(",")
    );
    base64(json.as_bytes())
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The two ACL strings live for the whole run.
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

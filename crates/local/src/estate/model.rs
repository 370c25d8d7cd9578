//! A model of S3 versioning: replaying a bucket's planned calls on it gives the figures a correct
//! inventory of the bucket reports, so what the estate expects agrees with what its calls create
//! by construction; and how a report's figures differ from them.

use std::collections::BTreeMap;

use s3insights::BucketFigures;

use super::Op;

/// What a correct inventory report (all versions) of a bucket counts: the figures the report's
/// `summary.json` must show for it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExpectedFigures {
    /// Every version and delete marker.
    pub rows: u64,
    /// Current versions that are not delete markers.
    pub objects: u64,
    /// Versions neither current nor delete markers.
    pub noncurrent_versions: u64,
    /// Delete markers, current or not.
    pub delete_markers: u64,
    /// Bytes of every version.
    pub bytes: u64,
    /// Bytes of current versions.
    pub current_bytes: u64,
    /// Bytes of noncurrent versions.
    pub noncurrent_bytes: u64,
    /// Bytes per storage class over every version (a class appears when a version is in it, even
    /// with 0 bytes).
    pub bytes_by_storage_class: BTreeMap<String, u64>,
}

impl ExpectedFigures {
    /// Replay `phases` on a model of S3: unversioned, an overwrite replaces and a delete removes;
    /// versioned, every put is a new version and every delete a new delete marker.
    pub(super) fn replay(phases: &[Vec<Op>], versioned: bool) -> Self {
        // Per key: its versions, oldest first; `None` is a delete marker.
        let mut keys: BTreeMap<&str, Vec<Option<(u64, &'static str)>>> = BTreeMap::new();
        for op in phases.iter().flatten() {
            let versions = keys.entry(op.key()).or_default();
            match op {
                Op::Put {
                    size,
                    storage_class,
                    ..
                } => {
                    if !versioned {
                        versions.clear();
                    }
                    versions.push(Some((*size, storage_class)));
                }
                Op::Delete { .. } => {
                    if versioned {
                        versions.push(None);
                    } else {
                        versions.clear();
                    }
                }
            }
        }
        let mut out = ExpectedFigures::default();
        for versions in keys.values() {
            let count = versions.len();
            for (i, version) in versions.iter().enumerate() {
                out.rows += 1;
                let current = i + 1 == count;
                match version {
                    None => out.delete_markers += 1,
                    Some((size, class)) => {
                        out.bytes += size;
                        *out.bytes_by_storage_class
                            .entry(class.to_string())
                            .or_default() += size;
                        if current {
                            out.objects += 1;
                            out.current_bytes += size;
                        } else {
                            out.noncurrent_versions += 1;
                            out.noncurrent_bytes += size;
                        }
                    }
                }
            }
        }
        out
    }

    /// Whether the bucket holds no version and no delete marker (S3 delivers no report for it).
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// How `figures` differ from these, one line per field (empty when they agree).
    pub fn differences(&self, figures: &BucketFigures) -> Vec<String> {
        let mut out = Vec::new();
        let mut field = |name: &str, expected: u64, found: u64| {
            if expected != found {
                out.push(format!("{name}: seeded {expected}, reported {found}"));
            }
        };
        field("rows", self.rows, figures.rows);
        field("objects", self.objects, figures.objects);
        field(
            "noncurrent_versions",
            self.noncurrent_versions,
            figures.noncurrent_versions,
        );
        field(
            "delete_markers",
            self.delete_markers,
            figures.delete_markers,
        );
        field("bytes", self.bytes, figures.bytes);
        field("current_bytes", self.current_bytes, figures.current_bytes);
        field(
            "noncurrent_bytes",
            self.noncurrent_bytes,
            figures.noncurrent_bytes,
        );
        if self.bytes_by_storage_class != figures.bytes_by_storage_class {
            out.push(format!(
                "bytes_by_storage_class: seeded {:?}, reported {:?}",
                self.bytes_by_storage_class, figures.bytes_by_storage_class
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_models_versioning() {
        let put = |key: &str, size, class| Op::Put {
            key: key.into(),
            size,
            storage_class: class,
            fill: b'x',
        };
        let del = |key: &str| Op::Delete { key: key.into() };
        let phases = vec![
            vec![
                put("a", 10, "STANDARD"),
                put("b", 20, "GLACIER"),
                put("c", 0, "STANDARD"),
            ],
            vec![put("a", 11, "STANDARD_IA")],
            vec![del("b"), del("c")],
            vec![put("c", 5, "STANDARD")],
        ];
        let versioned = ExpectedFigures::replay(&phases, true);
        assert_eq!(versioned.rows, 7);
        assert_eq!(versioned.objects, 2); // a (11), c (5)
        assert_eq!(versioned.noncurrent_versions, 3); // a (10), b (20), c (0)
        assert_eq!(versioned.delete_markers, 2);
        assert_eq!(versioned.bytes, 46);
        assert_eq!(versioned.current_bytes, 16);
        assert_eq!(versioned.noncurrent_bytes, 30);
        assert_eq!(
            versioned.bytes_by_storage_class,
            BTreeMap::from([
                ("GLACIER".into(), 20),
                ("STANDARD".into(), 15),
                ("STANDARD_IA".into(), 11)
            ])
        );
        let plain = ExpectedFigures::replay(&phases, false);
        assert_eq!(plain.rows, 2);
        assert_eq!(plain.objects, 2);
        assert_eq!(plain.noncurrent_versions + plain.delete_markers, 0);
        assert_eq!(plain.bytes, 16);
    }
}

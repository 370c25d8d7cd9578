//! Planning an estate without touching the network: its buckets (account, region, name, kind,
//! theme, in account, region, index order) and, per bucket, the S3 calls that fill it, phase by
//! phase, with the figures those calls leave. Everything is drawn from the spec's seed, so the same
//! spec gives the same plan.

use std::collections::BTreeSet;

use super::keys::{themed_object, HOSTILE_KEYS, SECRET_KEYS};
use super::{
    BucketKind, BucketPlan, EstateError, EstatePlan, EstateSpec, ExpectedFigures, Op, Theme,
};
use splitmix::SplitMix64 as Rng;

impl EstateSpec {
    /// The plan: every bucket and the calls that fill it. Fails on a name S3 would refuse.
    pub fn plan(&self) -> Result<EstatePlan, EstateError> {
        let mut problems = Vec::new();
        if !valid_prefix(&self.name_prefix) {
            problems.push(format!(
                "name prefix {:?} must be lower-case letters, digits and '-', starting with a letter or digit",
                self.name_prefix
            ));
        }
        for account in &self.accounts {
            if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
                problems.push(format!("account {account:?} is not a 12-digit id"));
            }
        }
        if self.objects_per_bucket.is_empty() {
            problems.push(format!(
                "objects per bucket {:?} is an empty range",
                self.objects_per_bucket
            ));
        }
        if self.concurrency == 0 {
            problems.push("concurrency must be at least 1".into());
        }
        let mut buckets = Vec::new();
        let mut global = 0usize;
        for account in &self.accounts {
            for region in &self.regions {
                for index in 0..self.buckets_per_account_region {
                    let kind = BucketKind::of(global);
                    let theme = Theme::ALL[global % Theme::ALL.len()];
                    let name = format!(
                        "{}-{account}-{region}-{index}-{}",
                        self.name_prefix,
                        theme.as_str()
                    );
                    if name.len() > 63 {
                        problems.push(format!("bucket name {name} is longer than 63 characters"));
                    }
                    let bucket = plan_bucket(self, account, region, name, kind, theme, global);
                    buckets.push(bucket);
                    global += 1;
                }
            }
        }
        if problems.is_empty() {
            Ok(EstatePlan { buckets })
        } else {
            Err(EstateError::Invalid(problems.join("; ")))
        }
    }
}

fn valid_prefix(prefix: &str) -> bool {
    !prefix.is_empty()
        && prefix.len() <= 20
        && prefix
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !prefix.starts_with('-')
        && !prefix.ends_with('-')
}

impl BucketKind {
    /// The kind of the `global`-th bucket of an estate.
    fn of(global: usize) -> Self {
        if global == 9 {
            return BucketKind::VersionedAllDeleted;
        }
        match global % 8 {
            1 | 4 | 6 => BucketKind::Versioned,
            3 => BucketKind::Empty,
            _ => BucketKind::Plain,
        }
    }
}

impl EstatePlan {
    /// S3 calls the plan makes (puts, deletes).
    pub fn calls(&self) -> (usize, usize) {
        let ops = self.buckets.iter().flat_map(|b| b.phases.iter().flatten());
        ops.fold((0, 0), |(puts, deletes), op| match op {
            Op::Put { .. } => (puts + 1, deletes),
            Op::Delete { .. } => (puts, deletes + 1),
        })
    }
}

fn plan_bucket(
    spec: &EstateSpec,
    account: &str,
    region: &str,
    name: String,
    kind: BucketKind,
    theme: Theme,
    global: usize,
) -> BucketPlan {
    let mut r = Rng::for_name(spec.seed, &name);
    let mut phases: Vec<Vec<Op>> = Vec::new();
    if kind != BucketKind::Empty {
        let wanted = r.range(
            *spec.objects_per_bucket.start() as u64,
            *spec.objects_per_bucket.end() as u64,
        ) as usize;
        // Distinct keys with their size range and storage classes, in creation order.
        type Planned = (String, (u64, u64), &'static [(&'static str, u64)]);
        let mut seen = BTreeSet::new();
        let mut objects: Vec<Planned> = Vec::new();
        let mut add = |key: String,
                       sizes: (u64, u64),
                       classes: &'static [(&'static str, u64)],
                       objects: &mut Vec<Planned>| {
            if seen.insert(key.clone()) {
                objects.push((key, sizes, classes));
            }
        };
        // Two special names in every bucket, all of them in the first bucket of the estate.
        const ANY: &[(&str, u64)] = &[("STANDARD", 1)];
        let specials: Vec<&str> = SECRET_KEYS.iter().chain(HOSTILE_KEYS).copied().collect();
        let chosen: Vec<&str> = if global == 0 {
            specials.clone()
        } else {
            vec![
                specials[(2 * global) % specials.len()],
                specials[(2 * global + 1) % specials.len()],
            ]
        };
        for key in chosen {
            add(key.to_string(), (20, 2500), ANY, &mut objects);
        }
        if theme == Theme::Media {
            // A "folder" placeholder, as the console creates: a zero-byte object.
            add("photos/".into(), (0, 0), ANY, &mut objects);
        }
        let mut attempts = 0;
        while objects.len() < wanted.max(1) && attempts < wanted * 20 {
            attempts += 1;
            let (key, sizes, classes) = themed_object(theme, &mut r, account, region);
            add(key, sizes, classes, &mut objects);
        }
        let put = |r: &mut Rng, key: &str, sizes: (u64, u64), classes: &[(&'static str, u64)]| {
            // Now and then a larger object (tens of KiB), so the largest object stands out.
            let size = if sizes.1 > 0 && r.chance(2) {
                r.range(sizes.1, sizes.1 * 4)
            } else {
                r.range(sizes.0, sizes.1)
            };
            Op::Put {
                key: key.to_string(),
                size,
                storage_class: r.weighted(classes),
                fill: b'a' + (r.next() % 26) as u8,
            }
        };
        let first: Vec<Op> = objects
            .iter()
            .map(|(key, sizes, classes)| put(&mut r, key, *sizes, classes))
            .collect();
        phases.push(first);
        let pick = |r: &mut Rng, percent: u64| -> Vec<usize> {
            (0..objects.len()).filter(|_| r.chance(percent)).collect()
        };
        let rewrite = |r: &mut Rng, indices: &[usize]| -> Vec<Op> {
            indices
                .iter()
                .map(|&i| {
                    let (key, sizes, classes) = &objects[i];
                    put(r, key, *sizes, classes)
                })
                .collect()
        };
        let delete = |indices: &[usize]| -> Vec<Op> {
            indices
                .iter()
                .map(|&i| Op::Delete {
                    key: objects[i].0.clone(),
                })
                .collect()
        };
        match kind {
            BucketKind::Plain => {
                let overwritten = pick(&mut r, 10);
                phases.push(rewrite(&mut r, &overwritten));
                phases.push(Vec::new());
                let deleted = pick(&mut r, 5);
                phases.push(delete(&deleted));
            }
            BucketKind::Versioned => {
                let overwritten = pick(&mut r, 30);
                phases.push(rewrite(&mut r, &overwritten));
                let again: Vec<usize> = overwritten
                    .iter()
                    .copied()
                    .filter(|_| r.chance(25))
                    .collect();
                phases.push(rewrite(&mut r, &again));
                let deleted = pick(&mut r, 12);
                phases.push(delete(&deleted));
                let restored: Vec<usize> =
                    deleted.iter().copied().filter(|_| r.chance(30)).collect();
                phases.push(rewrite(&mut r, &restored));
            }
            BucketKind::VersionedAllDeleted => {
                let overwritten = pick(&mut r, 30);
                phases.push(rewrite(&mut r, &overwritten));
                phases.push(Vec::new());
                let all: Vec<usize> = (0..objects.len()).collect();
                phases.push(delete(&all));
            }
            BucketKind::Empty => {}
        }
        while phases.last().is_some_and(Vec::is_empty) {
            phases.pop();
        }
    }
    let expected = ExpectedFigures::replay(&phases, kind.is_versioned());
    BucketPlan {
        account: account.to_string(),
        region: region.to_string(),
        name,
        kind,
        theme,
        phases,
        expected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> EstateSpec {
        EstateSpec::demo(&["000000000000", "111111111111", "222222222222"])
    }

    #[test]
    fn the_demo_estate_is_what_its_documentation_says() {
        let plan = spec().plan().unwrap();
        assert_eq!(plan.buckets.len(), 36);
        let kinds = |k: BucketKind| plan.buckets.iter().filter(|b| b.kind == k).count();
        assert_eq!(kinds(BucketKind::Empty), 5);
        assert_eq!(kinds(BucketKind::VersionedAllDeleted), 1);
        assert_eq!(
            kinds(BucketKind::Versioned) + kinds(BucketKind::VersionedAllDeleted),
            13
        );
        let (puts, deletes) = plan.calls();
        assert!(
            puts > 3000 && deletes > 100,
            "{puts} puts, {deletes} deletes"
        );
        let names: BTreeSet<&str> = plan.buckets.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(names.len(), plan.buckets.len(), "bucket names are unique");
        for b in &plan.buckets {
            assert!(b.name.len() <= 63, "{}", b.name);
            assert_eq!(
                b.expected.is_empty(),
                b.kind == BucketKind::Empty,
                "{}",
                b.name
            );
        }
        let all_deleted = plan
            .buckets
            .iter()
            .find(|b| b.kind == BucketKind::VersionedAllDeleted)
            .unwrap();
        assert_eq!(all_deleted.expected.objects, 0);
        assert!(all_deleted.expected.delete_markers > 0);
        let versioned: Vec<_> = plan
            .buckets
            .iter()
            .filter(|b| b.kind == BucketKind::Versioned)
            .collect();
        assert!(versioned
            .iter()
            .all(|b| b.expected.noncurrent_versions > 0 && b.expected.delete_markers > 0));
        let classes: BTreeSet<&String> = plan
            .buckets
            .iter()
            .flat_map(|b| b.expected.bytes_by_storage_class.keys())
            .collect();
        assert!(classes.len() >= 6, "{classes:?}");
        let keys: BTreeSet<&str> = plan
            .buckets
            .iter()
            .flat_map(|b| b.phases.iter().flatten().map(Op::key))
            .collect();
        for special in SECRET_KEYS.iter().chain(HOSTILE_KEYS) {
            assert!(keys.contains(special), "{special}");
        }
    }

    #[test]
    fn the_same_spec_gives_the_same_plan() {
        assert_eq!(spec().plan().unwrap(), spec().plan().unwrap());
        let other = EstateSpec { seed: 7, ..spec() };
        assert_ne!(spec().plan().unwrap(), other.plan().unwrap());
    }

    #[test]
    fn phases_touch_each_key_once() {
        for b in spec().plan().unwrap().buckets {
            for phase in &b.phases {
                let keys: BTreeSet<&str> = phase.iter().map(Op::key).collect();
                assert_eq!(keys.len(), phase.len(), "{}", b.name);
            }
        }
    }

    #[test]
    fn invalid_specs_are_refused_with_every_reason() {
        let bad = EstateSpec {
            name_prefix: "Demo".into(),
            accounts: vec!["123".into()],
            ..spec()
        };
        let err = bad.plan().unwrap_err().to_string();
        assert!(err.contains("Demo") && err.contains("123"), "{err}");
    }
}

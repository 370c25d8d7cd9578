//! `apply(diff(a, b), a) == b` for many generated pairs, raw and normalised, from a small
//! deterministic generator (the workspace's SplitMix64 stream, `splitmix`).

use historical::patch::canonical_string;
use historical::{apply, diff, normalise, PatchOp, Technology};
use serde_json::{json, Map, Value};

use splitmix::SplitMix64 as Rng;

const KEYS: &[&str] = &["a", "b", "c/d", "e~f", "~1", "", "Rules", "0", "-"];

fn value(rng: &mut Rng, depth: u32) -> Value {
    match rng.below(if depth == 0 { 4 } else { 7 }) {
        0 => Value::Null,
        1 => json!(rng.below(5)),
        2 => json!(["x", "y", "z~", "w/"][rng.below(4) as usize]),
        3 => json!(rng.below(2) == 0),
        4 | 5 => {
            let mut map = Map::new();
            for _ in 0..rng.below(5) {
                let key = KEYS[rng.below(KEYS.len() as u64) as usize];
                map.insert(key.to_string(), value(rng, depth - 1));
            }
            Value::Object(map)
        }
        _ => Value::Array((0..rng.below(6)).map(|_| value(rng, depth - 1)).collect()),
    }
}

/// A small edit of `v`: change, add or remove something somewhere, or shuffle an array.
fn mutate(rng: &mut Rng, v: &Value, depth: u32) -> Value {
    match v {
        Value::Object(map) if rng.below(4) != 0 && !map.is_empty() => {
            let mut map = map.clone();
            let keys: Vec<String> = map.keys().cloned().collect();
            let key = &keys[rng.below(keys.len() as u64) as usize];
            match rng.below(3) {
                0 => {
                    map.remove(key);
                }
                1 => {
                    let new = mutate(rng, &map[key], depth.saturating_sub(1));
                    map.insert(key.clone(), new);
                }
                _ => {
                    let k = KEYS[rng.below(KEYS.len() as u64) as usize];
                    map.insert(k.to_string(), value(rng, depth.min(2)));
                }
            }
            Value::Object(map)
        }
        Value::Array(items) if rng.below(4) != 0 => {
            let mut items = items.clone();
            let n = items.len() as u64;
            match rng.below(4) {
                0 if n > 0 => {
                    items.remove(rng.below(n) as usize);
                }
                1 if n > 0 => {
                    let i = rng.below(n) as usize;
                    items[i] = mutate(rng, &items[i], depth.saturating_sub(1));
                }
                2 if n > 1 => items.swap(rng.below(n) as usize, rng.below(n) as usize),
                _ => items.insert(rng.below(n + 1) as usize, value(rng, depth.min(2))),
            }
            Value::Array(items)
        }
        _ => value(rng, depth),
    }
}

#[test]
fn apply_of_diff_gives_the_target() {
    let mut rng = Rng::new(20_240_314);
    for case in 0..5_000 {
        let a = value(&mut rng, 4);
        let mut b = a.clone();
        for _ in 0..=rng.below(3) {
            b = mutate(&mut rng, &b, 4);
        }
        let patch = diff(&a, &b);
        assert_eq!(
            apply(&patch, &a).as_ref(),
            Ok(&b),
            "case {case}: {a} -> {b}: {patch:?}"
        );
        assert_eq!(patch.is_empty(), a == b, "case {case}");
        // the wire form round-trips too
        let wire: Vec<PatchOp> =
            serde_json::from_str(&serde_json::to_string(&patch).unwrap()).unwrap();
        assert_eq!(wire, patch);
        // and between normalised forms, which is what the Differ publishes
        let (na, nb) = (normalise(Technology::S3, &a), normalise(Technology::S3, &b));
        assert_eq!(apply(&diff(&na, &nb), &na).as_ref(), Ok(&nb), "case {case}");
        // unrelated pairs too
        let c = value(&mut rng, 3);
        assert_eq!(apply(&diff(&a, &c), &a).as_ref(), Ok(&c), "case {case}");
    }
}

#[test]
fn normalised_arrays_are_sorted_canonically() {
    let mut rng = Rng::new(7);
    for _ in 0..500 {
        let v = normalise(Technology::Vpc, &json!({"x": value(&mut rng, 4)}));
        check_sorted(&v);
    }
}

fn check_sorted(v: &Value) {
    match v {
        Value::Array(items) => {
            let keys: Vec<String> = items.iter().map(canonical_string).collect();
            assert!(keys.windows(2).all(|w| w[0] <= w[1]), "{v}");
            items.iter().for_each(check_sorted);
        }
        Value::Object(map) => map.values().for_each(check_sorted),
        _ => {}
    }
}

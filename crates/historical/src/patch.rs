//! RFC 6902 JSON Patch between two JSON values, and its application.
//!
//! [`diff`] emits only `add`, `remove` and `replace`, with RFC 6901 pointers (`~` → `~0`,
//! `/` → `~1`). Objects are compared key by key. Arrays are walked as a merge: equal elements are
//! kept; an element whose neighbours both match is patched in place (a changed rule field becomes
//! one small `replace`); otherwise the smaller element, in canonical-serialisation order, is
//! removed (from `a`) or added (from `b`), by index. Every op is index-based, so applying the ops
//! in order gives exactly `b` for any arrays (correctness first). On arrays sorted canonically,
//! which is what [`crate::normalise()`] produces, the merge is also close to minimal: an inserted
//! or deleted element costs one op, not a replace of every later index.
//!
//! The Differ computes patches between normalised forms (compare is order-insensitive), so a patch
//! applies to the normalised previous revision, not to the raw stored item.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One RFC 6902 operation; serialises as `{"op": "add", "path": "/a~1b", "value": ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum PatchOp {
    /// Insert a member or array element (an existing member is replaced).
    Add {
        /// JSON Pointer of the target.
        path: String,
        /// The new value.
        value: Value,
    },
    /// Remove the target, which must exist.
    Remove {
        /// JSON Pointer of the target.
        path: String,
    },
    /// Replace the target, which must exist (`""` replaces the whole document).
    Replace {
        /// JSON Pointer of the target.
        path: String,
        /// The new value.
        value: Value,
    },
}

/// A patch that does not apply: the pointer is malformed or names nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    /// Not an RFC 6901 pointer (`/` first, `~` only as `~0` or `~1`).
    #[error("malformed JSON pointer {0:?}")]
    BadPointer(String),
    /// A member or element on the path does not exist.
    #[error("JSON pointer {0:?} names nothing")]
    NotFound(String),
}

/// Escape one reference token per RFC 6901: `~` first, then `/`.
pub fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Unescape one reference token per RFC 6901: `~1` first, then `~0`; a stray `~` is an error.
pub fn unescape_token(token: &str) -> Option<String> {
    let mut out = String::with_capacity(token.len());
    let mut chars = token.chars();
    while let Some(c) = chars.next() {
        if c == '~' {
            match chars.next() {
                Some('0') => out.push('~'),
                Some('1') => out.push('/'),
                _ => return None,
            }
        } else {
            out.push(c);
        }
    }
    Some(out)
}

/// The ops turning `a` into `b`; empty when they are equal.
pub fn diff(a: &Value, b: &Value) -> Vec<PatchOp> {
    let mut out = Vec::new();
    let mut path = String::new();
    diff_into(a, b, &mut path, &mut out);
    out
}

fn diff_into(a: &Value, b: &Value, path: &mut String, out: &mut Vec<PatchOp>) {
    if a == b {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => diff_objects(x, y, path, out),
        (Value::Array(x), Value::Array(y)) => diff_arrays(x, y, path, out),
        _ => out.push(PatchOp::Replace {
            path: path.clone(),
            value: b.clone(),
        }),
    }
}

fn with_token<F: FnOnce(&mut String)>(path: &mut String, token: &str, f: F) {
    let len = path.len();
    path.push('/');
    path.push_str(&escape_token(token));
    f(path);
    path.truncate(len);
}

fn diff_objects(
    a: &Map<String, Value>,
    b: &Map<String, Value>,
    path: &mut String,
    out: &mut Vec<PatchOp>,
) {
    for (key, old) in a {
        match b.get(key) {
            None => with_token(path, key, |p| out.push(PatchOp::Remove { path: p.clone() })),
            Some(new) => with_token(path, key, |p| diff_into(old, new, p, out)),
        }
    }
    for (key, new) in b {
        if !a.contains_key(key) {
            with_token(path, key, |p| {
                out.push(PatchOp::Add {
                    path: p.clone(),
                    value: new.clone(),
                })
            });
        }
    }
}

/// Canonical text of a value (keys sorted at every level), the order arrays are sorted in.
pub fn canonical_string(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (n, key) in keys.into_iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                out.push_str(&Value::from(key.as_str()).to_string());
                out.push(':');
                if let Some(v) = map.get(key) {
                    write_canonical(v, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

fn diff_arrays(a: &[Value], b: &[Value], path: &mut String, out: &mut Vec<PatchOp>) {
    let mut a_keys: Vec<Option<String>> = vec![None; a.len()];
    let mut b_keys: Vec<Option<String>> = vec![None; b.len()];
    // Invariant: the array being patched is b[..j] ++ a[i..], so the next index is j.
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            i += 1;
            j += 1;
            continue;
        }
        let index = j.to_string();
        if a.get(i + 1) == b.get(j + 1) {
            with_token(path, &index, |p| diff_into(&a[i], &b[j], p, out));
            i += 1;
            j += 1;
            continue;
        }
        let ka = a_keys[i].get_or_insert_with(|| canonical_string(&a[i]));
        let kb = b_keys[j].get_or_insert_with(|| canonical_string(&b[j]));
        if ka.as_str().cmp(kb.as_str()) == Ordering::Less {
            with_token(path, &index, |p| {
                out.push(PatchOp::Remove { path: p.clone() })
            });
            i += 1;
        } else {
            with_token(path, &index, |p| {
                out.push(PatchOp::Add {
                    path: p.clone(),
                    value: b[j].clone(),
                })
            });
            j += 1;
        }
    }
    let index = j.to_string();
    for _ in i..a.len() {
        with_token(path, &index, |p| {
            out.push(PatchOp::Remove { path: p.clone() })
        });
    }
    for (n, value) in b.iter().enumerate().skip(j) {
        with_token(path, &n.to_string(), |p| {
            out.push(PatchOp::Add {
                path: p.clone(),
                value: value.clone(),
            })
        });
    }
}

/// Apply `patch` to a copy of `value`, in order, per RFC 6902 (`-` appends to an array).
pub fn apply(patch: &[PatchOp], value: &Value) -> Result<Value, PatchError> {
    let mut doc = value.clone();
    for op in patch {
        apply_one(op, &mut doc)?;
    }
    Ok(doc)
}

fn split_pointer(path: &str) -> Result<Vec<String>, PatchError> {
    if path.is_empty() {
        return Ok(Vec::new());
    }
    let rest = path
        .strip_prefix('/')
        .ok_or_else(|| PatchError::BadPointer(path.to_string()))?;
    rest.split('/')
        .map(|t| unescape_token(t).ok_or_else(|| PatchError::BadPointer(path.to_string())))
        .collect()
}

fn array_index(token: &str, len: usize, path: &str) -> Result<usize, PatchError> {
    let valid = !token.is_empty()
        && token.bytes().all(|b| b.is_ascii_digit())
        && (token == "0" || !token.starts_with('0'));
    let index: usize = if valid {
        token
            .parse()
            .map_err(|_| PatchError::BadPointer(path.to_string()))?
    } else {
        return Err(PatchError::BadPointer(path.to_string()));
    };
    if index > len {
        return Err(PatchError::NotFound(path.to_string()));
    }
    Ok(index)
}

fn apply_one(op: &PatchOp, doc: &mut Value) -> Result<(), PatchError> {
    let path = match op {
        PatchOp::Add { path, .. } | PatchOp::Remove { path } | PatchOp::Replace { path, .. } => {
            path
        }
    };
    let tokens = split_pointer(path)?;
    let Some((last, parents)) = tokens.split_last() else {
        return match op {
            PatchOp::Add { value, .. } | PatchOp::Replace { value, .. } => {
                *doc = value.clone();
                Ok(())
            }
            PatchOp::Remove { .. } => Err(PatchError::NotFound(path.clone())),
        };
    };
    let mut target = doc;
    for token in parents {
        target = match target {
            Value::Object(map) => map.get_mut(token),
            Value::Array(items) => {
                let len = items.len();
                items.get_mut(array_index(token, len, path)?)
            }
            _ => None,
        }
        .ok_or_else(|| PatchError::NotFound(path.clone()))?;
    }
    let not_found = || PatchError::NotFound(path.clone());
    match (target, op) {
        (Value::Object(map), PatchOp::Add { value, .. }) => {
            map.insert(last.clone(), value.clone());
        }
        (Value::Object(map), PatchOp::Remove { .. }) => {
            map.remove(last).ok_or_else(not_found)?;
        }
        (Value::Object(map), PatchOp::Replace { value, .. }) => {
            *map.get_mut(last).ok_or_else(not_found)? = value.clone();
        }
        (Value::Array(items), PatchOp::Add { value, .. }) => {
            let index = if last == "-" {
                items.len()
            } else {
                array_index(last, items.len(), path)?
            };
            items.insert(index, value.clone());
        }
        (Value::Array(items), PatchOp::Remove { .. }) => {
            let index = array_index(last, items.len(), path)?;
            if index >= items.len() {
                return Err(not_found());
            }
            items.remove(index);
        }
        (Value::Array(items), PatchOp::Replace { value, .. }) => {
            let index = array_index(last, items.len(), path)?;
            *items.get_mut(index).ok_or_else(not_found)? = value.clone();
        }
        _ => return Err(not_found()),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pointer_escaping() {
        assert_eq!(escape_token("a/b~c"), "a~1b~0c");
        assert_eq!(unescape_token("a~1b~0c").unwrap(), "a/b~c");
        assert_eq!(unescape_token("~01").unwrap(), "~1");
        assert!(unescape_token("a~2").is_none());
        let a = json!({"a/b": 1, "m~n": {"x": 1}});
        let b = json!({"a/b": 2, "m~n": {"x": 1, "y": 2}});
        let patch = diff(&a, &b);
        assert_eq!(
            serde_json::to_value(&patch).unwrap(),
            json!([{"op": "replace", "path": "/a~1b", "value": 2},
                   {"op": "add", "path": "/m~0n/y", "value": 2}])
        );
        assert_eq!(apply(&patch, &a).unwrap(), b);
    }

    #[test]
    fn sorted_insert_is_one_op() {
        let a = json!([1, 2, 4, 5, 6]);
        let b = json!([1, 2, 3, 4, 5, 6]);
        let patch = diff(&a, &b);
        assert_eq!(patch.len(), 1, "{patch:?}");
        assert_eq!(apply(&patch, &a).unwrap(), b);
    }

    #[test]
    fn in_place_change_is_a_small_replace() {
        let a = json!([{"p": 22, "d": "ssh"}, {"p": 443, "d": "web"}]);
        let b = json!([{"p": 22, "d": "ssh!"}, {"p": 443, "d": "web"}]);
        assert_eq!(
            serde_json::to_value(diff(&a, &b)).unwrap(),
            json!([{"op": "replace", "path": "/0/d", "value": "ssh!"}])
        );
    }

    #[test]
    fn root_and_errors() {
        assert_eq!(
            diff(&json!(1), &json!({"a": 1})),
            vec![PatchOp::Replace {
                path: String::new(),
                value: json!({"a": 1})
            }]
        );
        let bad = [PatchOp::Remove { path: "/x".into() }];
        assert_eq!(
            apply(&bad, &json!({})),
            Err(PatchError::NotFound("/x".into()))
        );
        let bad = [PatchOp::Remove { path: "x".into() }];
        assert!(matches!(
            apply(&bad, &json!({})),
            Err(PatchError::BadPointer(_))
        ));
        let bad = [PatchOp::Remove { path: "/01".into() }];
        assert!(matches!(
            apply(&bad, &json!([1, 2])),
            Err(PatchError::BadPointer(_))
        ));
        let add = [PatchOp::Add {
            path: "/-".into(),
            value: json!(3),
        }];
        assert_eq!(apply(&add, &json!([1, 2])).unwrap(), json!([1, 2, 3]));
    }
}

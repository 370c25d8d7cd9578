//! AWS partitions and their regions, kept as data: `data/regions.json`, extracted from the
//! partitions document the AWS SDK for Rust embeds (its `source` says which crate, version, file and
//! date; `data/extract_regions.py` writes it again after an SDK update).
//!
//! A run covers regions of its host's partition only: the functions' credentials, the staging stacks
//! and the buckets' notifications never cross a partition. Which partition the host is in is found
//! the way the SDK's endpoint resolver finds it: the region is listed by a partition, else it matches
//! a partition's `region_regex`, else it is `aws`.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

const REGIONS_JSON: &str = include_str!("../../data/regions.json");

/// Where the region data comes from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Source {
    /// The crate whose embedded document was read (`aws-sdk-s3`).
    #[serde(rename = "crate")]
    pub krate: String,
    /// Its version.
    pub version: String,
    /// The file of the crate that holds the document.
    pub file: String,
    /// What exactly was taken from it.
    pub what: String,
    /// The day it was extracted (`YYYY-MM-DD`).
    pub extracted: String,
    /// The script that extracted it.
    pub by: String,
}

/// One AWS partition (`aws`, `aws-cn`, `aws-us-gov`, ...) and its regions.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Partition {
    /// The partition's id, as in ARNs.
    pub id: String,
    /// The SDK's pattern for the partition's region names (including regions newer than the list).
    pub region_regex: String,
    /// Region name → description (`us-east-1` → `US East (N. Virginia)`), sorted by name.
    pub regions: BTreeMap<String, String>,
}

impl Partition {
    /// True when `region` is one of the partition's regions.
    pub fn has_region(&self, region: &str) -> bool {
        self.regions.contains_key(region)
    }

    /// The partition's region names, sorted.
    pub fn region_names(&self) -> impl Iterator<Item = &str> {
        self.regions.keys().map(String::as_str)
    }
}

#[derive(Debug, Deserialize)]
struct Document {
    source: Source,
    partitions: Vec<Partition>,
}

fn document() -> &'static Document {
    static DOCUMENT: OnceLock<Document> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        // A unit test parses the same file: a malformed one never reaches a build that ships.
        serde_json::from_str(REGIONS_JSON).expect("data/regions.json is valid")
    })
}

/// Every partition the SDK lists, in its order (`aws` first).
pub fn partitions() -> &'static [Partition] {
    &document().partitions
}

/// Where the region data comes from.
pub fn source() -> &'static Source {
    &document().source
}

/// The partition with this id, if any.
pub fn partition(id: &str) -> Option<&'static Partition> {
    partitions().iter().find(|p| p.id == id)
}

/// The partition `region` belongs to: the one listing it, else the one whose pattern it matches,
/// else `aws` (the SDK's own order of rules).
pub fn partition_of(region: &str) -> &'static Partition {
    let all = partitions();
    all.iter()
        .find(|p| p.has_region(region))
        .or_else(|| {
            all.iter()
                .find(|p| matches_pattern(&p.region_regex, region))
        })
        .unwrap_or(&all[0])
}

/// One element of a region pattern.
#[derive(Debug, PartialEq)]
enum Item {
    Literal(char),
    /// `\w+` (true) or `\d+` (false).
    OneOrMore {
        word: bool,
    },
    Alternatives(Vec<String>),
}

/// Parses the small regular-expression subset the partitions document uses: `^`, `$`, literals,
/// `\-`, `\w+`, `\d+` and groups of literal alternatives `(us|eu)`. Anything else: `None`.
fn parse_pattern(pattern: &str) -> Option<Vec<Item>> {
    let body = pattern.strip_prefix('^')?.strip_suffix('$')?;
    let mut items = Vec::new();
    let mut chars = body.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '\\' => match chars.next()? {
                class @ ('w' | 'd') => {
                    if chars.next()? != '+' {
                        return None;
                    }
                    items.push(Item::OneOrMore { word: class == 'w' });
                }
                other if !other.is_ascii_alphanumeric() => items.push(Item::Literal(other)),
                _ => return None,
            },
            '(' => {
                let mut group = String::new();
                loop {
                    match chars.next()? {
                        ')' => break,
                        c if c.is_ascii_alphanumeric() || c == '|' || c == '-' => group.push(c),
                        _ => return None,
                    }
                }
                items.push(Item::Alternatives(
                    group.split('|').map(str::to_string).collect(),
                ));
            }
            c if c.is_ascii_alphanumeric() || c == '-' => items.push(Item::Literal(c)),
            _ => return None,
        }
    }
    Some(items)
}

fn matches_items(items: &[Item], text: &str) -> bool {
    let Some((first, rest)) = items.split_first() else {
        return text.is_empty();
    };
    match first {
        Item::Literal(c) => text
            .strip_prefix(*c)
            .is_some_and(|after| matches_items(rest, after)),
        Item::Alternatives(options) => options.iter().any(|option| {
            text.strip_prefix(option.as_str())
                .is_some_and(|after| matches_items(rest, after))
        }),
        Item::OneOrMore { word } => {
            let class = |c: char| {
                if *word {
                    c.is_ascii_alphanumeric() || c == '_'
                } else {
                    c.is_ascii_digit()
                }
            };
            let run = text.chars().take_while(|c| class(*c)).count();
            // Longest first, backtracking to one character.
            (1..=run).rev().any(|n| matches_items(rest, &text[n..]))
        }
    }
}

/// True when `text` matches the partition pattern `pattern` (an unsupported pattern matches nothing).
fn matches_pattern(pattern: &str, text: &str) -> bool {
    parse_pattern(pattern).is_some_and(|items| matches_items(&items, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_parses_and_names_its_source() {
        let source = source();
        assert_eq!(source.krate, "aws-sdk-s3");
        assert!(!source.version.is_empty() && source.extracted.len() == 10);
        let ids: Vec<&str> = partitions().iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids[0], "aws");
        for id in ["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b"] {
            assert!(ids.contains(&id), "{id} missing from {ids:?}");
        }
        assert!(partition("aws").unwrap().has_region("us-east-1"));
        assert!(partition("aws-us-gov").unwrap().has_region("us-gov-west-1"));
        assert!(partition("aws-cn").unwrap().has_region("cn-north-1"));
        for p in partitions() {
            assert!(!p.regions.is_empty(), "{} has no region", p.id);
            assert!(
                p.region_names().all(|r| !r.ends_with("-global")),
                "{} lists a pseudo-region",
                p.id
            );
        }
    }

    #[test]
    fn every_region_matches_its_own_partition_pattern_only() {
        for p in partitions() {
            assert!(
                parse_pattern(&p.region_regex).is_some(),
                "{}",
                p.region_regex
            );
            for region in p.region_names() {
                assert!(matches_pattern(&p.region_regex, region), "{region}");
                for other in partitions().iter().filter(|o| o.id != p.id) {
                    assert!(
                        !matches_pattern(&other.region_regex, region),
                        "{region} matches {}'s pattern too",
                        other.id
                    );
                }
                assert_eq!(partition_of(region).id, p.id);
            }
        }
    }

    #[test]
    fn a_region_newer_than_the_data_goes_by_pattern_then_to_aws() {
        assert_eq!(partition_of("ap-southeast-9").id, "aws");
        assert_eq!(partition_of("cn-south-7").id, "aws-cn");
        assert_eq!(partition_of("us-gov-central-1").id, "aws-us-gov");
        assert_eq!(partition_of("us-isob-north-2").id, "aws-iso-b");
        assert_eq!(partition_of("nowhere").id, "aws");
        assert_eq!(partition_of("").id, "aws");
        assert!(!matches_pattern("^(us|eu)\\-\\w+\\-\\d+$", "us-east-"));
        assert!(!matches_pattern("^(us|eu)\\-\\w+\\-\\d+$", "us-east-1x"));
        assert!(
            !matches_pattern("[a-z]+", "us"),
            "unsupported patterns match nothing"
        );
    }
}

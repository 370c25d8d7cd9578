//! What IAM allowed and denied on the local AWS, and what it granted that nothing used.
//!
//! The launcher records every authorization it makes (`emulator/iam_access.py`); [`fetch`] reads the
//! per-principal view (`GET /_offline/iam/report`), [`AccessReport::render`] prints it for people.
//! The unused grants are the least-privilege candidates: an action on a resource that a role's Allow
//! statements grant and that no allowed request of that role matched while the local AWS ran.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::admin::{Admin, AdminError};

/// One kind of authorization: a principal doing an action on a resource, and how often.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// The principal as policies name it (a role session is recorded as its role).
    pub principal: String,
    /// The caller exactly (the session ARN of a role).
    pub session: String,
    /// The IAM action, e.g. `s3:PutInventoryConfiguration`.
    pub action: String,
    /// The resource ARN (`*` where the action has none).
    pub resource: String,
    /// `allowed`, `implicit-deny` or `explicit-deny`.
    pub decision: String,
    /// How many requests were decided so.
    pub count: u64,
}

impl Decision {
    /// Whether the request was refused.
    pub fn denied(&self) -> bool {
        self.decision != "allowed"
    }
}

/// A granted action on a resource that no allowed request used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnusedGrant {
    /// The policy's name (inline) or ARN (managed).
    pub policy: String,
    /// The action (pattern) granted.
    pub action: String,
    /// The resource (pattern) granted.
    pub resource: String,
}

/// One principal's use of its permissions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrincipalAccess {
    /// The principal (role ARN, account root, ...).
    pub principal: String,
    /// Every action and resource it used, allowed or denied.
    pub used: Vec<Decision>,
    /// Granted and never used (roles only).
    pub unused_grants: Vec<UnusedGrant>,
}

/// The whole report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessReport {
    /// Every principal that made a request or holds a role.
    pub principals: Vec<PrincipalAccess>,
}

impl AccessReport {
    /// Every denied decision, of every principal.
    pub fn denials(&self) -> impl Iterator<Item = &Decision> {
        self.principals
            .iter()
            .flat_map(|p| p.used.iter())
            .filter(|d| d.denied())
    }

    /// The report for people: per principal, denials first, then what it used, then unused grants.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let denied = self.denials().count();
        let _ = writeln!(
            out,
            "IAM on the local AWS: {} principals, {denied} denied kinds of request",
            self.principals.len()
        );
        for principal in &self.principals {
            if principal.used.is_empty() && principal.unused_grants.is_empty() {
                continue;
            }
            let _ = writeln!(out, "\n{}", principal.principal);
            for d in principal.used.iter().filter(|d| d.denied()) {
                let _ = writeln!(
                    out,
                    "  DENIED  {} on {} ({}, {}x)",
                    d.action, d.resource, d.decision, d.count
                );
            }
            for d in principal.used.iter().filter(|d| !d.denied()) {
                let _ = writeln!(
                    out,
                    "  used    {} on {} ({}x)",
                    d.action, d.resource, d.count
                );
            }
            for g in &principal.unused_grants {
                let _ = writeln!(
                    out,
                    "  unused  {} on {} (policy {})",
                    g.action, g.resource, g.policy
                );
            }
        }
        out
    }
}

/// The report of the local AWS at `endpoint`.
pub async fn fetch(endpoint: &str) -> Result<AccessReport, AdminError> {
    Admin::new(endpoint).get("/_offline/iam/report").await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision(action: &str, decision: &str) -> Decision {
        Decision {
            principal: "arn:aws:iam::000000000000:role/r".into(),
            session: "arn:aws:sts::000000000000:assumed-role/r/f".into(),
            action: action.into(),
            resource: "arn:aws:s3:::b".into(),
            decision: decision.into(),
            count: 2,
        }
    }

    #[test]
    fn denials_are_listed_first_and_counted() {
        let report = AccessReport {
            principals: vec![PrincipalAccess {
                principal: "arn:aws:iam::000000000000:role/r".into(),
                used: vec![
                    decision("s3:ListBucket", "allowed"),
                    decision("s3:PutInventoryConfiguration", "implicit-deny"),
                ],
                unused_grants: vec![UnusedGrant {
                    policy: "p".into(),
                    action: "s3:GetObject".into(),
                    resource: "arn:aws:s3:::b/*".into(),
                }],
            }],
        };
        assert_eq!(report.denials().count(), 1);
        let text = report.render();
        assert!(text.contains("1 denied kinds of request"), "{text}");
        let denied = text.find("DENIED  s3:PutInventoryConfiguration").unwrap();
        let used = text.find("used    s3:ListBucket").unwrap();
        let unused = text
            .find("unused  s3:GetObject on arn:aws:s3:::b/* (policy p)")
            .unwrap();
        assert!(denied < used && used < unused, "{text}");
    }
}

//! IAM roles (global): `GetRole` plus the role's inline policies, attached managed policies and
//! tags, each listing read to its last page.
//!
//! Top-level attributes: `RoleName`, `RoleId` and `Path`; `Region` is `us-east-1`, where CloudTrail
//! records IAM (the ARN has no region). `configuration` is the role as `GetRole` names it minus
//! `Tags` (`Arn`, `RoleName`, `RoleId`, `Path`, `CreateDate`, `Description`, `MaxSessionDuration`,
//! `PermissionsBoundary`, `RoleLastUsed`, `AssumeRolePolicyDocument` as parsed JSON: IAM returns it
//! URL-encoded), plus `InlinePolicies: [{PolicyName, PolicyDocument}]` (documents parsed) and
//! `AttachedManagedPolicies: [{PolicyName, PolicyArn}]`, the shape `historical`'s rules expect.
//! `NoSuchEntity` at any step means the role is gone.

use aws_sdk_iam::types::Role;
use historical::resource::{Described, Listed};
use historical::tech::GLOBAL_REGION;
use historical::Technology;
use serde_json::{json, Map, Value};

use super::error::{sdk_error, ApiError};
use super::json::{flatten_tags, policy_document, prune, time};
use super::{AccountClients, DescribeError};

/// Schema version of IAM role items (new technology).
pub const VERSION: u32 = 1;

/// Every role of the account (ListRoles, every page).
pub async fn list(clients: &AccountClients) -> Result<Vec<Listed>, DescribeError> {
    let iam = clients.iam();
    let resource = format!("IAM roles of {}", clients.account());
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = iam
            .list_roles()
            .set_marker(marker.take())
            .send()
            .await
            .map_err(|e| sdk_error(e, &resource, "ListRoles"))?;
        out.extend(page.roles().iter().map(|r| Listed {
            id: r.role_name().to_string(),
            region: GLOBAL_REGION.to_string(),
            created: time(Some(r.create_date())).as_str().map(str::to_string),
            described: None,
        }));
        match page.marker() {
            Some(m) if page.is_truncated() => marker = Some(m.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

/// Maps an IAM failure: `NoSuchEntity` is [`DescribeError::Gone`].
fn iam_error<E>(
    err: aws_sdk_iam::error::SdkError<E, aws_sdk_iam::config::http::HttpResponse>,
    role: &str,
    operation: &'static str,
) -> DescribeError
where
    E: aws_sdk_iam::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let api = ApiError::from_sdk(err);
    if api.code_is(&["NoSuchEntity"]) {
        DescribeError::Gone {
            resource: role.to_string(),
            operation,
        }
    } else {
        api.into_error(role, operation)
    }
}

/// The role `name` (a name, or `/path/name`: the path is dropped); `None` when it does not exist.
pub async fn describe(
    clients: &AccountClients,
    name: &str,
) -> Result<Option<Described>, DescribeError> {
    let name = name.rsplit('/').next().unwrap_or(name);
    let iam = clients.iam();
    let role = match iam.get_role().role_name(name).send().await {
        Ok(answer) => answer.role,
        Err(e) => match iam_error(e, name, "GetRole") {
            DescribeError::Gone { .. } => return Ok(None),
            other => return Err(other),
        },
    };
    let Some(role) = role else { return Ok(None) };
    let (inline, attached, tags) = futures::try_join!(
        inline_policies(&iam, name),
        attached_policies(&iam, name),
        role_tags(&iam, name),
    )?;
    let mut configuration = role_configuration(&role);
    if let Value::Object(c) = &mut configuration {
        c.insert("InlinePolicies".into(), Value::Array(inline));
        c.insert("AttachedManagedPolicies".into(), Value::Array(attached));
    }
    let mut attributes = Map::new();
    attributes.insert("RoleName".into(), json!(role.role_name()));
    attributes.insert("RoleId".into(), json!(role.role_id()));
    attributes.insert("Path".into(), json!(role.path()));
    Ok(Some(Described {
        // Keyed by name, as events name roles (see `historical`'s IAM rules); the real ARN is
        // `configuration.Arn`.
        arn: Technology::IamRole
            .rules()
            .arn(clients.account(), GLOBAL_REGION, role.role_name()),
        account_id: clients.account().to_string(),
        region: GLOBAL_REGION.to_string(),
        configuration,
        tags,
        version: VERSION,
        attributes,
    }))
}

/// The role as `GetRole` names it, minus `Tags`, with its trust policy parsed.
pub(crate) fn role_configuration(role: &Role) -> Value {
    prune(json!({
        "Arn": role.arn(),
        "RoleName": role.role_name(),
        "RoleId": role.role_id(),
        "Path": role.path(),
        "CreateDate": time(Some(role.create_date())),
        "Description": role.description(),
        "MaxSessionDuration": role.max_session_duration(),
        "AssumeRolePolicyDocument": role.assume_role_policy_document().map(policy_document),
        "PermissionsBoundary": role.permissions_boundary().map(|b| json!({
            "PermissionsBoundaryType": b.permissions_boundary_type().map(|t| t.as_str()),
            "PermissionsBoundaryArn": b.permissions_boundary_arn(),
        })),
        "RoleLastUsed": role.role_last_used().map(|u| json!({
            "LastUsedDate": time(u.last_used_date()),
            "Region": u.region(),
        })),
    }))
}

/// `[{PolicyName, PolicyDocument}]` of every inline policy, documents parsed, sorted by name.
async fn inline_policies(
    iam: &aws_sdk_iam::Client,
    role: &str,
) -> Result<Vec<Value>, DescribeError> {
    let mut names = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = iam
            .list_role_policies()
            .role_name(role)
            .set_marker(marker.take())
            .send()
            .await
            .map_err(|e| iam_error(e, role, "ListRolePolicies"))?;
        names.extend(page.policy_names().iter().cloned());
        match page.marker() {
            Some(m) if page.is_truncated() => marker = Some(m.to_string()),
            _ => break,
        }
    }
    names.sort();
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let policy = iam
            .get_role_policy()
            .role_name(role)
            .policy_name(&name)
            .send()
            .await
            .map_err(|e| iam_error(e, role, "GetRolePolicy"))?;
        out.push(json!({
            "PolicyName": name,
            "PolicyDocument": policy_document(policy.policy_document()),
        }));
    }
    Ok(out)
}

/// `[{PolicyName, PolicyArn}]` of every attached managed policy.
async fn attached_policies(
    iam: &aws_sdk_iam::Client,
    role: &str,
) -> Result<Vec<Value>, DescribeError> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = iam
            .list_attached_role_policies()
            .role_name(role)
            .set_marker(marker.take())
            .send()
            .await
            .map_err(|e| iam_error(e, role, "ListAttachedRolePolicies"))?;
        out.extend(
            page.attached_policies().iter().map(|p| {
                prune(json!({"PolicyName": p.policy_name(), "PolicyArn": p.policy_arn()}))
            }),
        );
        match page.marker() {
            Some(m) if page.is_truncated() => marker = Some(m.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

/// The role's tags, flattened (ListRoleTags, every page).
async fn role_tags(
    iam: &aws_sdk_iam::Client,
    role: &str,
) -> Result<std::collections::BTreeMap<String, String>, DescribeError> {
    let mut pairs = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = iam
            .list_role_tags()
            .role_name(role)
            .set_marker(marker.take())
            .send()
            .await
            .map_err(|e| iam_error(e, role, "ListRoleTags"))?;
        pairs.extend(
            page.tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string())),
        );
        match page.marker() {
            Some(m) if page.is_truncated() => marker = Some(m.to_string()),
            _ => break,
        }
    }
    Ok(flatten_tags(
        pairs
            .iter()
            .map(|(k, v)| (Some(k.as_str()), Some(v.as_str()))),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_types::DateTime;

    #[test]
    fn trust_policy_is_decoded() {
        let role = Role::builder()
            .path("/ops/")
            .role_name("admin")
            .role_id("AROA1")
            .arn("arn:aws:iam::123456789012:role/ops/admin")
            .create_date(DateTime::from_secs(0))
            .assume_role_policy_document("%7B%22Version%22%3A%222012-10-17%22%7D")
            .max_session_duration(3600)
            .build()
            .expect("role");
        let c = role_configuration(&role);
        assert_eq!(
            c["AssumeRolePolicyDocument"],
            json!({"Version": "2012-10-17"})
        );
        assert_eq!(c["CreateDate"], "1970-01-01T00:00:00Z");
        assert_eq!(c["MaxSessionDuration"], 3600);
        assert!(c.get("Description").is_none());
    }
}

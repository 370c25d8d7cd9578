//! EC2 security groups: `DescribeSecurityGroups` in the event's region.
//!
//! Top-level attributes as the original: `GroupId`, `GroupName`, `VpcId` (absent for EC2-Classic
//! groups) and `OwnerId`; `configuration` is the rest of the group as the API's JSON names it
//! (`Description`, `IpPermissions`, `IpPermissionsEgress`, `SecurityGroupArn`), `Tags` flattened.
//! Listing reads every page within one call, 1000 groups a page (the API's maximum), unlike the
//! original's one page of 200 per invocation re-queued through SQS: tokens are not re-queued, so
//! they cannot expire in a queue. Each listed group carries its description, as the original
//! poller's `collected`.

use aws_sdk_ec2::types::{IpPermission, SecurityGroup};
use historical::resource::{Described, Listed};
use historical::Technology;
use serde_json::{json, Map, Value};

use super::error::{sdk_error, ApiError};
use super::json::{flatten_tags, prune};
use super::{AccountClients, DescribeError};

/// Schema version of security group items (the original's, same shape).
pub const VERSION: u32 = 1;

/// Page size of the listing: `DescribeSecurityGroups`' maximum `MaxResults`.
pub const PAGE_SIZE: i32 = 1000;

/// Every security group of the account in `region`, described.
pub async fn list(clients: &AccountClients, region: &str) -> Result<Vec<Listed>, DescribeError> {
    let ec2 = clients.ec2_in(region);
    let resource = format!("security groups of {} in {region}", clients.account());
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = ec2
            .describe_security_groups()
            .max_results(PAGE_SIZE)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| sdk_error(e, &resource, "DescribeSecurityGroups"))?;
        for group in page.security_groups() {
            let described = to_described(clients.account(), region, group);
            out.push(Listed {
                id: group.group_id().unwrap_or_default().to_string(),
                region: region.to_string(),
                created: None,
                described: Some(described),
            });
        }
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

/// The group `id` in `region`, `None` when it does not exist (`InvalidGroup.NotFound`).
pub async fn describe(
    clients: &AccountClients,
    region: &str,
    id: &str,
) -> Result<Option<Described>, DescribeError> {
    let answer = clients
        .ec2_in(region)
        .describe_security_groups()
        .group_ids(id)
        .send()
        .await;
    let answer = match answer {
        Ok(a) => a,
        Err(e) => {
            let api = ApiError::from_sdk(e);
            if api.code_is(&["InvalidGroup.NotFound"]) {
                return Ok(None);
            }
            return Err(api.into_error(id, "DescribeSecurityGroups"));
        }
    };
    let group = answer
        .security_groups()
        .iter()
        .find(|g| g.group_id() == Some(id));
    Ok(group.map(|g| to_described(clients.account(), region, g)))
}

/// A group as stored.
pub(crate) fn to_described(account: &str, region: &str, group: &SecurityGroup) -> Described {
    let id = group.group_id().unwrap_or_default();
    let owner = group.owner_id().unwrap_or(account);
    let mut attributes = Map::new();
    attributes.insert("GroupId".into(), json!(id));
    attributes.insert("GroupName".into(), json!(group.group_name()));
    if let Some(vpc) = group.vpc_id() {
        attributes.insert("VpcId".into(), json!(vpc));
    }
    attributes.insert("OwnerId".into(), json!(owner));
    Described {
        arn: Technology::SecurityGroup.rules().arn(owner, region, id),
        account_id: account.to_string(),
        region: region.to_string(),
        configuration: configuration(group),
        tags: flatten_tags(group.tags().iter().map(|t| (t.key(), t.value()))),
        version: VERSION,
        attributes,
    }
}

/// The group minus its top-level attributes and tags, in the API's JSON names.
pub(crate) fn configuration(group: &SecurityGroup) -> Value {
    prune(json!({
        "Description": group.description(),
        "IpPermissions": group.ip_permissions().iter().map(permission).collect::<Vec<_>>(),
        "IpPermissionsEgress": group.ip_permissions_egress().iter().map(permission).collect::<Vec<_>>(),
        "SecurityGroupArn": group.security_group_arn(),
    }))
}

/// One rule set (`IpPermission`) as the API's JSON.
fn permission(p: &IpPermission) -> Value {
    json!({
        "IpProtocol": p.ip_protocol(),
        "FromPort": p.from_port(),
        "ToPort": p.to_port(),
        "IpRanges": p.ip_ranges().iter().map(|r| json!({
            "CidrIp": r.cidr_ip(), "Description": r.description(),
        })).collect::<Vec<_>>(),
        "Ipv6Ranges": p.ipv6_ranges().iter().map(|r| json!({
            "CidrIpv6": r.cidr_ipv6(), "Description": r.description(),
        })).collect::<Vec<_>>(),
        "PrefixListIds": p.prefix_list_ids().iter().map(|r| json!({
            "PrefixListId": r.prefix_list_id(), "Description": r.description(),
        })).collect::<Vec<_>>(),
        "UserIdGroupPairs": p.user_id_group_pairs().iter().map(|g| json!({
            "GroupId": g.group_id(),
            "GroupName": g.group_name(),
            "UserId": g.user_id(),
            "VpcId": g.vpc_id(),
            "VpcPeeringConnectionId": g.vpc_peering_connection_id(),
            "PeeringStatus": g.peering_status(),
            "Description": g.description(),
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ec2::types::{IpRange, Tag, UserIdGroupPair};

    #[test]
    fn group_to_item() {
        let group = SecurityGroup::builder()
            .group_id("sg-1")
            .group_name("web")
            .description("web tier")
            .owner_id("123456789012")
            .vpc_id("vpc-1")
            .tags(Tag::builder().key("Name").value("web").build())
            .ip_permissions(
                IpPermission::builder()
                    .ip_protocol("tcp")
                    .from_port(443)
                    .to_port(443)
                    .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                    .user_id_group_pairs(UserIdGroupPair::builder().group_id("sg-2").build())
                    .build(),
            )
            .build();
        let d = to_described("123456789012", "eu-west-1", &group);
        assert_eq!(
            d.arn,
            "arn:aws:ec2:eu-west-1:123456789012:security-group/sg-1"
        );
        assert_eq!(d.tags["Name"], "web");
        assert_eq!(d.attributes["VpcId"], "vpc-1");
        assert_eq!(
            d.configuration,
            json!({"Description": "web tier", "IpPermissionsEgress": [],
                   "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                     "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [], "PrefixListIds": [],
                     "UserIdGroupPairs": [{"GroupId": "sg-2"}]}]})
        );
    }
}

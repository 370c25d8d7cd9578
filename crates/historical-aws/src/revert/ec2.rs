//! A security group's rules and tags put back.

use aws_sdk_ec2::types::{IpPermission, IpRange, Ipv6Range, PrefixListId, Tag, UserIdGroupPair};
use historical::revert::ApiCall;
use serde_json::Value;

use super::{int, items, text, Parameters, RevertError, Sent};

pub(super) async fn apply(ec2: &aws_sdk_ec2::Client, call: &ApiCall) -> Result<(), RevertError> {
    let p = Parameters::of(call);
    let op = call.operation;
    match op {
        "CreateTags" | "DeleteTags" => tags(ec2, &p, op).await,
        _ => rules(ec2, &p, op).await,
    }
}

/// The six rule operations, all `{GroupId, IpPermissions}`.
async fn rules(
    ec2: &aws_sdk_ec2::Client,
    p: &Parameters<'_>,
    op: &'static str,
) -> Result<(), RevertError> {
    let group = p.text("GroupId")?;
    let permissions: Option<Vec<IpPermission>> =
        Some(p.array("IpPermissions")?.iter().map(permission).collect());
    // The six operations take the same request: a group and its rules.
    macro_rules! rule_call {
        ($request:ident) => {
            ec2.$request()
                .group_id(group)
                .set_ip_permissions(permissions)
                .send()
                .await
                .sent(op)
        };
    }
    match op {
        "RevokeSecurityGroupIngress" => rule_call!(revoke_security_group_ingress),
        "AuthorizeSecurityGroupIngress" => rule_call!(authorize_security_group_ingress),
        "UpdateSecurityGroupRuleDescriptionsIngress" => {
            rule_call!(update_security_group_rule_descriptions_ingress)
        }
        "RevokeSecurityGroupEgress" => rule_call!(revoke_security_group_egress),
        "AuthorizeSecurityGroupEgress" => rule_call!(authorize_security_group_egress),
        "UpdateSecurityGroupRuleDescriptionsEgress" => {
            rule_call!(update_security_group_rule_descriptions_egress)
        }
        _ => Err(RevertError::Unknown {
            service: "ec2",
            operation: op,
        }),
    }
}

async fn tags(
    ec2: &aws_sdk_ec2::Client,
    p: &Parameters<'_>,
    op: &'static str,
) -> Result<(), RevertError> {
    let resources = p.strings("Resources")?;
    let tags: Vec<Tag> = p
        .array("Tags")?
        .iter()
        .map(|t| {
            Tag::builder()
                .set_key(text(t, "Key"))
                .set_value(text(t, "Value"))
                .build()
        })
        .collect();
    if op == "CreateTags" {
        ec2.create_tags()
            .set_resources(Some(resources))
            .set_tags(Some(tags))
            .send()
            .await
            .sent(op)
    } else {
        ec2.delete_tags()
            .set_resources(Some(resources))
            .set_tags(Some(tags))
            .send()
            .await
            .sent(op)
    }
}

/// One `IpPermission` in the API's JSON names.
fn permission(value: &Value) -> IpPermission {
    IpPermission::builder()
        .set_ip_protocol(text(value, "IpProtocol"))
        .set_from_port(int(value, "FromPort"))
        .set_to_port(int(value, "ToPort"))
        .set_ip_ranges(Some(
            items(value, "IpRanges")
                .map(|r| {
                    IpRange::builder()
                        .set_cidr_ip(text(r, "CidrIp"))
                        .set_description(text(r, "Description"))
                        .build()
                })
                .collect(),
        ))
        .set_ipv6_ranges(Some(
            items(value, "Ipv6Ranges")
                .map(|r| {
                    Ipv6Range::builder()
                        .set_cidr_ipv6(text(r, "CidrIpv6"))
                        .set_description(text(r, "Description"))
                        .build()
                })
                .collect(),
        ))
        .set_prefix_list_ids(Some(
            items(value, "PrefixListIds")
                .map(|r| {
                    PrefixListId::builder()
                        .set_prefix_list_id(text(r, "PrefixListId"))
                        .set_description(text(r, "Description"))
                        .build()
                })
                .collect(),
        ))
        .set_user_id_group_pairs(Some(
            items(value, "UserIdGroupPairs")
                .map(|g| {
                    UserIdGroupPair::builder()
                        .set_group_id(text(g, "GroupId"))
                        .set_user_id(text(g, "UserId"))
                        .set_vpc_id(text(g, "VpcId"))
                        .set_vpc_peering_connection_id(text(g, "VpcPeeringConnectionId"))
                        .set_description(text(g, "Description"))
                        .build()
                })
                .collect(),
        ))
        .build()
}

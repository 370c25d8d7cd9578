//! VPCs: `DescribeVpcs` in the **event's region** (the original described in the Lambda's region,
//! so off-region VPCs were never found), plus the two DNS attributes of `DescribeVpcAttribute`.
//!
//! Top-level attributes as the original: `VpcId`, `State`, `CidrBlock`, `IsDefault` and `Name`
//! (the `Name` tag, key matched case-insensitively; absent when untagged). `configuration` is the
//! whole VPC as the API's JSON names it minus `Tags`, plus `EnableDnsSupport` and
//! `EnableDnsHostnames` (booleans), which is why `version` is 2 (the original's was 1). Listing
//! reads every page, 1000 VPCs a page (the API's maximum), and carries ids only: the collector
//! describes each (two more calls for the DNS attributes).

use aws_sdk_ec2::types::{Vpc, VpcAttributeName};
use historical::resource::{Described, Listed};
use historical::Technology;
use serde_json::{json, Map, Value};

use super::error::{sdk_error, ApiError};
use super::json::{flatten_tags, name_tag, prune};
use super::{AccountClients, DescribeError};

/// Schema version of VPC items: the original's 1 plus the DNS attributes.
pub const VERSION: u32 = 2;

/// Page size of the listing: `DescribeVpcs`' maximum `MaxResults`.
pub const PAGE_SIZE: i32 = 1000;

const NOT_FOUND: &[&str] = &["InvalidVpcID.NotFound"];

/// Every VPC of the account in `region` (ids only).
pub async fn list(clients: &AccountClients, region: &str) -> Result<Vec<Listed>, DescribeError> {
    let ec2 = clients.ec2_in(region);
    let resource = format!("VPCs of {} in {region}", clients.account());
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = ec2
            .describe_vpcs()
            .max_results(PAGE_SIZE)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| sdk_error(e, &resource, "DescribeVpcs"))?;
        out.extend(page.vpcs().iter().filter_map(|v| {
            Some(Listed {
                id: v.vpc_id()?.to_string(),
                region: region.to_string(),
                created: None,
                described: None,
            })
        }));
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

/// The VPC `id` in `region`, `None` when it does not exist (`InvalidVpcID.NotFound`).
pub async fn describe(
    clients: &AccountClients,
    region: &str,
    id: &str,
) -> Result<Option<Described>, DescribeError> {
    let ec2 = clients.ec2_in(region);
    let answer = match ec2.describe_vpcs().vpc_ids(id).send().await {
        Ok(a) => a,
        Err(e) => {
            let api = ApiError::from_sdk(e);
            if api.code_is(NOT_FOUND) {
                return Ok(None);
            }
            return Err(api.into_error(id, "DescribeVpcs"));
        }
    };
    let Some(vpc) = answer.vpcs().iter().find(|v| v.vpc_id() == Some(id)) else {
        return Ok(None);
    };
    let (support, hostnames) = futures::try_join!(
        dns_attribute(&ec2, id, VpcAttributeName::EnableDnsSupport),
        dns_attribute(&ec2, id, VpcAttributeName::EnableDnsHostnames),
    )?;
    let mut described = to_described(clients.account(), region, vpc);
    if let Value::Object(config) = &mut described.configuration {
        if let Some(v) = support {
            config.insert("EnableDnsSupport".into(), json!(v));
        }
        if let Some(v) = hostnames {
            config.insert("EnableDnsHostnames".into(), json!(v));
        }
    }
    Ok(Some(described))
}

/// One boolean DNS attribute of the VPC; a VPC deleted meanwhile is [`DescribeError::Gone`].
async fn dns_attribute(
    ec2: &aws_sdk_ec2::Client,
    id: &str,
    name: VpcAttributeName,
) -> Result<Option<bool>, DescribeError> {
    let answer = ec2
        .describe_vpc_attribute()
        .vpc_id(id)
        .attribute(name.clone())
        .send()
        .await;
    let answer = match answer {
        Ok(a) => a,
        Err(e) => {
            let api = ApiError::from_sdk(e);
            if api.code_is(NOT_FOUND) {
                return Err(DescribeError::Gone {
                    resource: id.to_string(),
                    operation: "DescribeVpcAttribute",
                });
            }
            return Err(api.into_error(id, "DescribeVpcAttribute"));
        }
    };
    let value = match name {
        VpcAttributeName::EnableDnsSupport => answer.enable_dns_support(),
        _ => answer.enable_dns_hostnames(),
    };
    Ok(value.and_then(|v| v.value()))
}

/// A VPC as stored (without the DNS attributes, which [`describe`] adds).
pub(crate) fn to_described(account: &str, region: &str, vpc: &Vpc) -> Described {
    let id = vpc.vpc_id().unwrap_or_default();
    let tags = flatten_tags(vpc.tags().iter().map(|t| (t.key(), t.value())));
    let mut attributes = Map::new();
    attributes.insert("VpcId".into(), json!(id));
    attributes.insert("State".into(), json!(vpc.state().map(|s| s.as_str())));
    attributes.insert("CidrBlock".into(), json!(vpc.cidr_block()));
    attributes.insert("IsDefault".into(), json!(vpc.is_default().unwrap_or(false)));
    if let Some(name) = name_tag(&tags) {
        attributes.insert("Name".into(), json!(name));
    }
    Described {
        arn: Technology::Vpc.rules().arn(account, region, id),
        account_id: account.to_string(),
        region: region.to_string(),
        configuration: configuration(vpc),
        tags,
        version: VERSION,
        attributes,
    }
}

/// The VPC minus `Tags`, in the API's JSON names.
pub(crate) fn configuration(vpc: &Vpc) -> Value {
    let v4 = vpc.cidr_block_association_set().iter().map(|a| {
        json!({
            "AssociationId": a.association_id(),
            "CidrBlock": a.cidr_block(),
            "CidrBlockState": a.cidr_block_state().map(|s| json!({
                "State": s.state().map(|x| x.as_str()),
                "StatusMessage": s.status_message(),
            })),
        })
    });
    let v6 = vpc.ipv6_cidr_block_association_set().iter().map(|a| {
        json!({
            "AssociationId": a.association_id(),
            "Ipv6CidrBlock": a.ipv6_cidr_block(),
            "Ipv6CidrBlockState": a.ipv6_cidr_block_state().map(|s| json!({
                "State": s.state().map(|x| x.as_str()),
                "StatusMessage": s.status_message(),
            })),
            "NetworkBorderGroup": a.network_border_group(),
            "Ipv6Pool": a.ipv6_pool(),
        })
    });
    prune(json!({
        "VpcId": vpc.vpc_id(),
        "OwnerId": vpc.owner_id(),
        "State": vpc.state().map(|s| s.as_str()),
        "CidrBlock": vpc.cidr_block(),
        "DhcpOptionsId": vpc.dhcp_options_id(),
        "InstanceTenancy": vpc.instance_tenancy().map(|t| t.as_str()),
        "IsDefault": vpc.is_default(),
        "CidrBlockAssociationSet": v4.collect::<Vec<_>>(),
        "Ipv6CidrBlockAssociationSet": v6.collect::<Vec<_>>(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ec2::types::{Tag, VpcState};

    #[test]
    fn vpc_to_item() {
        let vpc = Vpc::builder()
            .vpc_id("vpc-1")
            .cidr_block("10.0.0.0/16")
            .state(VpcState::Available)
            .is_default(false)
            .tags(Tag::builder().key("name").value("main").build())
            .build();
        let d = to_described("123456789012", "eu-west-2", &vpc);
        assert_eq!(d.arn, "arn:aws:ec2:eu-west-2:123456789012:vpc/vpc-1");
        assert_eq!(d.attributes["Name"], "main");
        assert_eq!(d.attributes["State"], "available");
        assert_eq!(d.attributes["IsDefault"], false);
        assert_eq!(
            d.configuration,
            json!({"VpcId": "vpc-1", "State": "available", "CidrBlock": "10.0.0.0/16",
                   "IsDefault": false, "CidrBlockAssociationSet": [],
                   "Ipv6CidrBlockAssociationSet": []})
        );
    }
}

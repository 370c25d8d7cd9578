//! VPCs: the original's event lists (its Terraform never shipped a rule), plus CIDR association,
//! tenancy and tag changes; the id of `CreateVpc` is read from `responseElements.vpc.vpcId`.

use super::{dedup, find_id, partition, tagged_ec2_ids, FieldPath, Technology, TechnologyRules};
use crate::event::Detail;

/// Rules of the `vpc` technology.
pub(super) struct VpcRules;

const UPDATES: &[&str] = &[
    "CreateVpc",
    "ModifyVpcAttribute",
    // additions
    "CreateDefaultVpc",
    "AssociateVpcCidrBlock",
    "DisassociateVpcCidrBlock",
    "ModifyVpcTenancy",
    "CreateTags",
    "DeleteTags",
];

const DELETES: &[&str] = &["DeleteVpc"];

impl TechnologyRules for VpcRules {
    fn technology(&self) -> Technology {
        Technology::Vpc
    }
    fn event_source(&self) -> &'static str {
        "ec2.amazonaws.com"
    }
    fn poll_event_name(&self) -> &'static str {
        "PollVpc"
    }
    fn poll_event_source(&self) -> &'static str {
        "historical.ec2.poller"
    }
    fn update_events(&self) -> &'static [&'static str] {
        UPDATES
    }
    fn delete_events(&self) -> &'static [&'static str] {
        DELETES
    }
    fn arn_service_and_resource(&self) -> (&'static str, &'static str) {
        ("ec2", "vpc/")
    }
    /// `arn:aws:ec2:region:account:vpc/vpc-…`.
    fn arn(&self, account: &str, region: &str, id: &str) -> String {
        format!("arn:{}:ec2:{region}:{account}:vpc/{id}", partition(region))
    }
    /// `vpcId` of the request, of the response (`CreateVpc`: `responseElements.vpc.vpcId`;
    /// CIDR disassociation: nested response), of a poll's `collected` VPC; the `vpc-` ids of
    /// `CreateTags`/`DeleteTags`.
    fn resource_ids(&self, detail: &Detail) -> Vec<String> {
        let keys = &["vpcId", "VpcId"];
        let mut ids: Vec<String> = find_id(detail.request_parameters.as_ref(), keys)
            .or_else(|| find_id(detail.response_elements.as_ref(), keys))
            .or_else(|| find_id(detail.collected.as_ref(), keys))
            .into_iter()
            .collect();
        ids.extend(tagged_ec2_ids(detail, "vpc-"));
        dedup(
            ids.into_iter()
                .filter(|id| id.starts_with("vpc-"))
                .collect(),
        )
    }
    fn resource_id_fields(&self) -> &'static str {
        "a vpc- vpcId or VpcId in requestParameters, responseElements or collected"
    }
    fn ignored_paths(&self) -> &'static [FieldPath] {
        &[]
    }
    fn embedded_json_paths(&self) -> &'static [FieldPath] {
        &[]
    }
}

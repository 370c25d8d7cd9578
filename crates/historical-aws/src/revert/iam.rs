//! A role's trust policy, policies, tags, description and session duration put back.

use aws_sdk_iam::types::Tag;
use historical::revert::ApiCall;

use super::{build_error, int, text, Parameters, RevertError, Sent};

pub(super) async fn apply(iam: &aws_sdk_iam::Client, call: &ApiCall) -> Result<(), RevertError> {
    let p = Parameters::of(call);
    let role = p.text("RoleName")?;
    let op = call.operation;
    match op {
        "UpdateAssumeRolePolicy" => iam
            .update_assume_role_policy()
            .role_name(role)
            .policy_document(p.text("PolicyDocument")?)
            .send()
            .await
            .sent(op),
        "PutRolePolicy" => iam
            .put_role_policy()
            .role_name(role)
            .policy_name(p.text("PolicyName")?)
            .policy_document(p.text("PolicyDocument")?)
            .send()
            .await
            .sent(op),
        "DeleteRolePolicy" => iam
            .delete_role_policy()
            .role_name(role)
            .policy_name(p.text("PolicyName")?)
            .send()
            .await
            .sent(op),
        "AttachRolePolicy" => iam
            .attach_role_policy()
            .role_name(role)
            .policy_arn(p.text("PolicyArn")?)
            .send()
            .await
            .sent(op),
        "DetachRolePolicy" => iam
            .detach_role_policy()
            .role_name(role)
            .policy_arn(p.text("PolicyArn")?)
            .send()
            .await
            .sent(op),
        "UpdateRole" => iam
            .update_role()
            .role_name(role)
            .set_description(text(&call.parameters, "Description"))
            .set_max_session_duration(int(&call.parameters, "MaxSessionDuration"))
            .send()
            .await
            .sent(op),
        "TagRole" => {
            let tags = p
                .array("Tags")?
                .iter()
                .map(|t| {
                    Tag::builder()
                        .set_key(text(t, "Key"))
                        .set_value(text(t, "Value"))
                        .build()
                        .map_err(|e| build_error(op, "Tags", e))
                })
                .collect::<Result<Vec<_>, _>>()?;
            iam.tag_role()
                .role_name(role)
                .set_tags(Some(tags))
                .send()
                .await
                .sent(op)
        }
        "UntagRole" => {
            let keys = p.strings("TagKeys")?;
            iam.untag_role()
                .role_name(role)
                .set_tag_keys(Some(keys))
                .send()
                .await
                .sent(op)
        }
        _ => Err(RevertError::Unknown {
            service: "iam",
            operation: op,
        }),
    }
}

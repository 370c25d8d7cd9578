//! STS AssumeRole offline, as AWS documents it (crates/local-aws/emulator/sts_assume_role.py): the member
//! role of `cross-account-role.yaml` is assumed from the host account only with its ExternalId, and a
//! role that does not exist (never deployed, or its stack deleted) is refused with `AccessDenied`.
//! Each test deploys the template with its own DeploymentName, so they run in parallel.

use std::collections::BTreeMap;

use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sts::operation::assume_role::{AssumeRoleError, AssumeRoleOutput};
use integration::{env, HOST, MEMBER_A};
use local_aws::deploy::{self, DeployRequest};
use local_aws::package::BuildOptions;
use local_aws::sdk::Target;
use platform::roles::{role_arn, RoleAssumer, RoleError};

/// A DeploymentName no other test uses (the template allows `[a-z0-9]{3,15}`).
fn deployment_name() -> String {
    format!("sts{}", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

/// `cross-account-role.yaml` deployed into `target`'s account as stack `<deployment>-role`; returns
/// the stack name and the role's ARN.
async fn deploy_role(target: &Target, deployment: &str, external_id: &str) -> (String, String) {
    let env = env().await;
    let stack = format!("{deployment}-role");
    let request = DeployRequest {
        template: "cross-account-role.yaml".into(),
        stack: stack.clone(),
        parameters: BTreeMap::from([
            ("DeploymentName".to_string(), deployment.to_string()),
            ("HostAccountId".to_string(), HOST.to_string()),
            ("ExternalId".to_string(), external_id.to_string()),
        ]),
        build: BuildOptions::default(),
    };
    let outputs = deploy::deploy(&env.workspace, target, &request)
        .await
        .unwrap_or_else(|e| panic!("deploy {stack}: {e}"));
    let arn = outputs["RoleArn"].clone();
    assert_eq!(
        arn,
        role_arn(
            &target.account,
            &format!("{deployment}-cross-account-iam-role")
        )
    );
    (stack, arn)
}

fn sts(target: &Target) -> aws_sdk_sts::Client {
    aws_sdk_sts::Client::new(&target.sdk_config())
}

async fn assume(
    target: &Target,
    role_arn: &str,
    external_id: Option<&str>,
) -> Result<AssumeRoleOutput, SdkError<AssumeRoleError>> {
    sts(target)
        .assume_role()
        .role_arn(role_arn)
        .role_session_name("sts-offline")
        .set_external_id(external_id.map(str::to_string))
        .send()
        .await
}

/// The refusal AWS gives: HTTP 403, `AccessDenied`, naming the caller and the role.
fn assert_access_denied(
    result: Result<AssumeRoleOutput, SdkError<AssumeRoleError>>,
    caller: &str,
    role_arn: &str,
) {
    let err = match result {
        Ok(out) => panic!("AssumeRole {role_arn} succeeded: {out:?}"),
        Err(e) => e,
    };
    assert_eq!(
        err.raw_response().map(|r| r.status().as_u16()),
        Some(403),
        "{err:?}"
    );
    let service = err.into_service_error();
    assert_eq!(service.code(), Some("AccessDenied"), "{service:?}");
    assert_eq!(
        service.message(),
        Some(
            format!(
                "User: {caller} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
            )
            .as_str()
        )
    );
}

const HOST_ROOT: &str = "arn:aws:iam::000000000000:root";

#[tokio::test]
async fn the_right_external_id_gives_credentials_acting_in_the_member_account() {
    let env = env().await;
    let member = env.account(MEMBER_A);
    let deployment = deployment_name();
    let (_, arn) = deploy_role(&member, &deployment, "right-external-id").await;

    let out = assume(&env.host, &arn, Some("right-external-id"))
        .await
        .expect("AssumeRole with the deployment's ExternalId");
    let c = out.credentials().expect("credentials");
    let config = aws_sdk_sts::config::Builder::from(&env.host.sdk_config())
        .credentials_provider(aws_sdk_sts::config::Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_string()),
            None,
            "sts-offline",
        ))
        .build();
    let identity = aws_sdk_sts::Client::from_conf(config)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(identity.account(), Some(MEMBER_A));
    assert_eq!(
        identity.arn(),
        Some(
            format!(
                "arn:aws:sts::{MEMBER_A}:assumed-role/{deployment}-cross-account-iam-role/sts-offline"
            )
            .as_str()
        )
    );

    // The product's own path: RoleAssumer reaches the member account's buckets.
    let bucket = integration::unique("sts-member");
    member
        .s3()
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let assumer = RoleAssumer::new(
        env.host.sdk_config(),
        HOST,
        format!("{deployment}-cross-account-iam-role"),
        "right-external-id",
        "sts-offline",
    );
    let config = assumer.config_for(MEMBER_A).await.unwrap();
    let listed = platform::aws::s3_client(&config)
        .list_buckets()
        .send()
        .await
        .unwrap();
    assert!(
        listed.buckets().iter().any(|b| b.name() == Some(&bucket)),
        "{listed:?}"
    );
}

#[tokio::test]
async fn a_wrong_or_missing_external_id_is_refused() {
    let env = env().await;
    let member = env.account(MEMBER_A);
    let (_, arn) = deploy_role(&member, &deployment_name(), "right-external-id").await;

    assert_access_denied(
        assume(&env.host, &arn, Some("wrong-external-id")).await,
        HOST_ROOT,
        &arn,
    );
    assert_access_denied(assume(&env.host, &arn, None).await, HOST_ROOT, &arn);
    // Only the host account is trusted: another account with the right ExternalId is refused too.
    let other = env.account(integration::MEMBER_B);
    assert_access_denied(
        assume(&other, &arn, Some("right-external-id")).await,
        "arn:aws:iam::222222222222:root",
        &arn,
    );
}

#[tokio::test]
async fn a_role_that_does_not_exist_is_refused() {
    let env = env().await;
    let arn = role_arn(MEMBER_A, &format!("{}-nope", deployment_name()));
    assert_access_denied(
        assume(&env.host, &arn, Some("right-external-id")).await,
        HOST_ROOT,
        &arn,
    );

    // RoleAssumer reports it as a refused AssumeRole, with what STS answered.
    let assumer = RoleAssumer::new(
        env.host.sdk_config(),
        HOST,
        format!("{}-nope", deployment_name()),
        "right-external-id",
        "sts-offline",
    );
    match assumer.config_for(MEMBER_A).await {
        Err(RoleError::AssumeRole { message, .. }) => {
            assert!(message.contains("AccessDenied"), "{message}")
        }
        Err(other) => panic!("unexpected error: {other}"),
        Ok(_) => panic!("a role that does not exist was assumed"),
    }
}

#[tokio::test]
async fn access_is_lost_when_the_member_stack_is_deleted() {
    let env = env().await;
    let member = env.account(MEMBER_A);
    let (stack, arn) = deploy_role(&member, &deployment_name(), "right-external-id").await;
    assume(&env.host, &arn, Some("right-external-id"))
        .await
        .expect("AssumeRole before the stack is deleted");

    member
        .cloudformation()
        .delete_stack()
        .stack_name(&stack)
        .send()
        .await
        .unwrap();
    deploy::wait(&member, &stack).await.unwrap();

    assert_access_denied(
        assume(&env.host, &arn, Some("right-external-id")).await,
        HOST_ROOT,
        &arn,
    );
}

#[tokio::test]
async fn a_same_account_role_that_trusts_the_account_is_assumed() {
    let env = env().await;
    let deployment = deployment_name();
    let (_, arn) = deploy_role(&env.host, &deployment, "right-external-id").await;
    let out = assume(&env.host, &arn, Some("right-external-id"))
        .await
        .expect("same-account AssumeRole");
    assert_eq!(
        out.assumed_role_user().map(|u| u.arn()),
        Some(
            format!(
                "arn:aws:sts::{HOST}:assumed-role/{deployment}-cross-account-iam-role/sts-offline"
            )
            .as_str()
        )
    );
    assert_access_denied(assume(&env.host, &arn, None).await, HOST_ROOT, &arn);
}

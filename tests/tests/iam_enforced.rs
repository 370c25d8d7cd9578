//! IAM is enforced by the local AWS (docs/local-aws.md, "IAM"): each kind of check fires, with the
//! outcome a user would see in AWS.

use std::time::Duration;

use integration::env;
use integration::s3insights::*;
use serde_json::json;

/// The member role of `account` (deployed by `member_account`).
async fn member_role_name(account: &str) -> String {
    let iam = env().await.account(account).iam();
    let roles = iam
        .list_roles()
        .send()
        .await
        .expect("list the member's roles");
    roles
        .roles()
        .iter()
        .map(|r| r.role_name().to_string())
        .find(|name| name.ends_with("-cross-account-iam-role"))
        .unwrap_or_else(|| panic!("no member role in {account}"))
}

/// A member account whose role may not put inventory configurations (an explicit Deny, as a
/// member's guard policy would set): its buckets are `inventory_configuration_not_created`, with
/// S3's AccessDenied as the reason, and the run goes on.
#[tokio::test]
async fn a_member_role_that_may_not_put_inventory_configurations_leaves_its_buckets_not_created() {
    let a = member_account().await;
    let refused = bucket(&a, "eu-north-1", "refused", &[("k", b"v")]).await;
    let guard = json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "s3:PutInventoryConfiguration", "Resource": "*"}]
    });
    env()
        .await
        .account(&a)
        .iam()
        .put_role_policy()
        .role_name(member_role_name(&a).await)
        .policy_name("NoInventory")
        .policy_document(guard.to_string())
        .send()
        .await
        .expect("put the guard policy");
    let run = run_id();
    let finished = harvest(&input(&run, &[&a], &["eu-north-1"]), &[]).await;
    assert_eq!(finished.status(), "SUCCEEDED", "{finished:#?}");
    let summary = summary(&run).await;
    let entry = bucket_entry(&summary, &refused);
    assert_eq!(
        entry["status"], "inventory_configuration_not_created",
        "{entry:#}"
    );
    let reason = entry["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("AccessDenied") && reason.contains("s3:PutInventoryConfiguration"),
        "{entry:#}"
    );
}

/// A state machine whose role may not invoke the function its task names fails that task with
/// `Lambda.AWSLambdaException`, naming the role and the action; the function never runs.
#[tokio::test]
async fn a_state_machine_role_without_invoke_permission_fails_the_lambda_task() {
    let env = env().await;
    integration::stack().await;
    let name = local_aws::deploy::physical_id(&env.host, "platform", "RunLedgerFunction")
        .await
        .expect("the run ledger function");
    let function = format!(
        "arn:aws:lambda:{}:{}:function:{name}",
        env.host.region, env.host.account
    );
    let iam = env.host.iam();
    let role = integration::unique("no-invoke");
    let trust = json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    });
    let created = iam
        .create_role()
        .role_name(&role)
        .assume_role_policy_document(trust.to_string())
        .send()
        .await
        .expect("create the role");
    let definition = json!({
        "StartAt": "Invoke",
        "States": {"Invoke": {"Type": "Task", "Resource": function, "End": true}}
    });
    let sfn = env.host.sfn();
    let machine = sfn
        .create_state_machine()
        .name(integration::unique("no-invoke"))
        .definition(definition.to_string())
        .role_arn(created.role().map(|r| r.arn()).unwrap_or_default())
        .send()
        .await
        .expect("create the state machine");
    let started = sfn
        .start_execution()
        .state_machine_arn(machine.state_machine_arn())
        .input(json!({"action": "ListRuns"}).to_string())
        .send()
        .await
        .expect("start it");
    let mut waited = Duration::ZERO;
    let execution = loop {
        let execution = sfn
            .describe_execution()
            .execution_arn(started.execution_arn())
            .send()
            .await
            .expect("describe it");
        if execution.status().as_str() != "RUNNING" || waited > Duration::from_secs(60) {
            break execution;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        waited += Duration::from_millis(200);
    };
    assert_eq!(execution.status().as_str(), "FAILED", "{execution:#?}");
    assert_eq!(
        execution.error(),
        Some("Lambda.AWSLambdaException"),
        "{execution:#?}"
    );
    let cause = execution.cause().unwrap_or_default();
    assert!(
        cause.contains(&format!(":assumed-role/{role}/"))
            && cause.contains("is not authorized to perform: lambda:InvokeFunction"),
        "{cause}"
    );
}

/// CloudFormation creates a stack's resources as the stack role, with the permissions each resource
/// type's handlers need: a staging stack created with a role that lacks one read handler permission
/// (`s3:GetBucketVersioning`, which CloudFormation needs to read the bucket back) fails that bucket
/// with AWS's AccessDenied reason, rolls back, and leaves no bucket behind.
#[tokio::test]
async fn a_stack_role_without_a_handler_permission_fails_the_resource_and_rolls_back() {
    let env = env().await;
    let handlers: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            env.workspace
                .root
                .join("crates/local-aws/emulator/cfn_handler_permissions.json"),
        )
        .expect("the handler permissions"),
    )
    .expect("JSON");
    // Everything the staging stack's handlers may call, but the one permission.
    let mut actions: Vec<String> = handlers["types"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|h| ["create", "read", "delete"].map(|k| h[k].clone()))
        .flat_map(|list| list.as_array().cloned().unwrap_or_default())
        .filter_map(|a| a.as_str().map(str::to_string))
        .filter(|a| a != "s3:GetBucketVersioning")
        .collect();
    actions.sort();
    actions.dedup();
    let iam = env.host.iam();
    let role = integration::unique("stack-role");
    let trust = json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "cloudformation.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    });
    // The staging key's policy manages the key for roles under this path.
    let created = iam
        .create_role()
        .role_name(&role)
        .path("/s3insights-staging-stack/")
        .assume_role_policy_document(trust.to_string())
        .send()
        .await
        .expect("create the stack role");
    let policy = json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]
    });
    iam.put_role_policy()
        .role_name(&role)
        .policy_name("AllButOne")
        .policy_document(policy.to_string())
        .send()
        .await
        .expect("put its policy");
    let sqs = aws_sdk_sqs::Client::new(&env.host.sdk_config());
    let queue = sqs
        .create_queue()
        .queue_name(integration::unique("stack-role"))
        .send()
        .await
        .expect("a queue");
    let queue_arn = format!(
        "arn:aws:sqs:{}:{}:{}",
        env.host.region,
        env.host.account,
        queue.queue_url().unwrap().rsplit('/').next().unwrap()
    );
    let bucket = integration::unique("stackrole-stg");
    let template = std::fs::read_to_string(env.workspace.root.join("regional-transient.yaml"))
        .expect("the staging template");
    let cfn = env.host.cloudformation();
    let stack = integration::unique("stack-role");
    let parameter = |k: &str, v: &str| {
        aws_sdk_cloudformation::types::Parameter::builder()
            .parameter_key(k)
            .parameter_value(v)
            .build()
    };
    cfn.create_stack()
        .stack_name(&stack)
        .template_body(template)
        .role_arn(created.role().map(|r| r.arn()).unwrap_or_default())
        .parameters(parameter("BucketName", &bucket))
        .parameters(parameter("TopicName", &format!("{stack}-inventory")))
        .parameters(parameter("QueueArn", &queue_arn))
        .parameters(parameter("SourceAccounts", &env.host.account))
        .tags(
            aws_sdk_cloudformation::types::Tag::builder()
                .key("s3insights:run")
                .value("stack-role")
                .build(),
        )
        .send()
        .await
        .expect("CreateStack is accepted");
    let mut status = String::new();
    for _ in 0..300 {
        let described = cfn.describe_stacks().stack_name(&stack).send().await;
        status = described
            .ok()
            .and_then(|d| {
                d.stacks()
                    .first()
                    .and_then(|s| s.stack_status().map(|x| x.as_str().to_string()))
            })
            .unwrap_or_default();
        if !status.ends_with("IN_PROGRESS") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(status, "ROLLBACK_COMPLETE");
    let events = cfn
        .describe_stack_events()
        .stack_name(&stack)
        .send()
        .await
        .expect("the stack's events");
    let failed = events
        .stack_events()
        .iter()
        .find(|e| {
            e.logical_resource_id() == Some("StagingBucket")
                && e.resource_status().map(|s| s.as_str()) == Some("CREATE_FAILED")
        })
        .unwrap_or_else(|| panic!("no CREATE_FAILED of StagingBucket: {events:#?}"));
    let reason = failed.resource_status_reason().unwrap_or_default();
    assert!(
        reason.contains(&format!("assumed-role/{role}/AWSCloudFormation"))
            && reason.contains("is not authorized to perform: s3:GetBucketVersioning")
            && reason.contains("HandlerErrorCode: AccessDenied"),
        "{reason}"
    );
    let head = env.host.s3().head_bucket().bucket(&bucket).send().await;
    assert!(head.is_err(), "the bucket was left behind");
}

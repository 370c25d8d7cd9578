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
    finished.assert_succeeded();
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

/// A staging bucket whose policy does not let S3 Inventory (`s3.amazonaws.com`) put objects gets no
/// report: S3 refuses the delivery (the local AWS names the policy, the principal, the action and the
/// source bucket), the bucket waits until the run's deadline and is `timed_out`, and the run still
/// ends and removes everything transient.
#[tokio::test(flavor = "multi_thread")]
async fn a_staging_bucket_policy_without_the_s3_service_principal_gets_no_report_and_the_bucket_times_out(
) {
    let a = member_account().await;
    let data = bucket(&a, "sa-east-1", "unreported", &[("k", b"v")]).await;
    let running = WaitingRun::start(&[&a], &["sa-east-1"], &[(&a, "sa-east-1", &data)]).await;
    let run = running.run.clone();
    let env = env().await;
    let staging = staging_bucket(&run, "sa-east-1");
    let host_s3 = s3(&env.host.account, "sa-east-1").await;
    let policy = host_s3
        .get_bucket_policy()
        .bucket(&staging)
        .send()
        .await
        .expect("the staging bucket's policy");
    let mut document: serde_json::Value =
        serde_json::from_str(policy.policy().unwrap_or_default()).expect("JSON");
    let statements = document["Statement"].as_array_mut().expect("statements");
    let before = statements.len();
    statements.retain(|s| s["Principal"]["Service"] != "s3.amazonaws.com");
    assert!(statements.len() < before, "no S3 statement in {policy:?}");
    if statements.is_empty() {
        host_s3
            .delete_bucket_policy()
            .bucket(&staging)
            .send()
            .await
            .expect("delete the policy");
    } else {
        host_s3
            .put_bucket_policy()
            .bucket(&staging)
            .policy(document.to_string())
            .send()
            .await
            .expect("put the policy without S3");
    }
    let delivered = {
        let data = data.clone();
        tokio::task::spawn_blocking(move || env.offline(&["deliver-inventory", "--bucket", &data]))
            .await
            .unwrap()
    };
    assert!(delivered.status.success(), "{delivered:?}");
    let delivered: serde_json::Value = serde_json::from_slice(&delivered.stdout).expect("JSON");
    let undelivered = delivered["undelivered"].as_array().expect("undelivered");
    assert!(
        delivered["reports"].as_array().unwrap().is_empty(),
        "{delivered:#}"
    );
    let reason = undelivered
        .iter()
        .find(|u| u["sourceBucket"] == data.as_str())
        .and_then(|u| u["reason"].as_str())
        .unwrap_or_else(|| panic!("{data} not reported undelivered: {delivered:#}"));
    assert!(
        reason.contains(&format!(
            "the bucket policy of {staging} does not allow s3.amazonaws.com"
        )) && reason.contains("s3:PutObject")
            && reason.contains(&format!("arn:aws:s3:::{data}")),
        "{reason}"
    );
    pass_deadline(&run).await;
    let finished = running.finish().await;
    finished.assert_succeeded();
    let summary = summary(&run).await;
    let entry = bucket_entry(&summary, &data);
    assert_eq!(entry["status"], "timed_out", "{entry:#}");
    assert!(
        entry["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("no report by the run's deadline"),
        "{entry:#}"
    );
    assert!(left_in(&run, "sa-east-1", &[(&a, &data)]).await.is_empty());
}

/// A topic, its queue and a bucket notifying the topic, with the topic encrypted by a customer managed
/// key whose policy lets S3 use it only when `AllowS3` is `true` (what the staging stack's key does).
const ENCRYPTED_NOTIFICATIONS: &str = r#"
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  AllowS3: {Type: String, AllowedValues: ['true', 'false']}
Conditions:
  S3MayUseKey: !Equals [!Ref AllowS3, 'true']
Resources:
  Key:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Version: '2012-10-17'
        Statement:
          - Sid: Account
            Effect: Allow
            Principal: {AWS: !Sub 'arn:aws:iam::${AWS::AccountId}:root'}
            Action: 'kms:*'
            Resource: '*'
          - !If
            - S3MayUseKey
            - Sid: S3Notifications
              Effect: Allow
              Principal: {Service: s3.amazonaws.com}
              Action: [kms:GenerateDataKey*, kms:Decrypt]
              Resource: '*'
            - !Ref AWS::NoValue
  Topic:
    Type: AWS::SNS::Topic
    Properties: {KmsMasterKeyId: !Ref Key}
  TopicPolicy:
    Type: AWS::SNS::TopicPolicy
    Properties:
      Topics: [!Ref Topic]
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: {Service: s3.amazonaws.com}
            Action: sns:Publish
            Resource: !Ref Topic
            Condition: {StringEquals: {'aws:SourceAccount': !Ref 'AWS::AccountId'}}
  Queue:
    Type: AWS::SQS::Queue
  QueuePolicy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref Queue]
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: {Service: sns.amazonaws.com}
            Action: sqs:SendMessage
            Resource: !GetAtt Queue.Arn
            Condition: {ArnEquals: {'aws:SourceArn': !Ref Topic}}
  Subscription:
    Type: AWS::SNS::Subscription
    Properties: {TopicArn: !Ref Topic, Protocol: sqs, Endpoint: !GetAtt Queue.Arn, RawMessageDelivery: true}
  Bucket:
    Type: AWS::S3::Bucket
    DependsOn: [TopicPolicy, QueuePolicy, Subscription]
    Properties:
      NotificationConfiguration:
        TopicConfigurations:
          - {Event: 's3:ObjectCreated:*', Topic: !Ref Topic}
Outputs:
  Bucket: {Value: !Ref Bucket}
  QueueUrl: {Value: !Ref Queue}
  KeyArn: {Value: !GetAtt Key.Arn}
"#;

/// Creates (or, when `update`, updates) stack `stack` of [`ENCRYPTED_NOTIFICATIONS`] with `AllowS3`
/// = `allow`; returns how it ended (`local_aws::deploy::wait`).
async fn encrypted_notifications(
    stack: &str,
    allow: &str,
    update: bool,
) -> Result<(), local_aws::deploy::DeployError> {
    let env = env().await;
    let cfn = env.host.cloudformation();
    let parameter = aws_sdk_cloudformation::types::Parameter::builder()
        .parameter_key("AllowS3")
        .parameter_value(allow)
        .build();
    if update {
        cfn.update_stack()
            .stack_name(stack)
            .template_body(ENCRYPTED_NOTIFICATIONS)
            .parameters(parameter)
            .send()
            .await
            .expect("UpdateStack");
    } else {
        cfn.create_stack()
            .stack_name(stack)
            .template_body(ENCRYPTED_NOTIFICATIONS)
            .parameters(parameter)
            .send()
            .await
            .expect("CreateStack");
    }
    local_aws::deploy::wait(&env.host, stack).await
}

/// S3 publishes to an encrypted topic only if the topic's KMS key policy allows `s3.amazonaws.com`,
/// as AWS documents. A bucket notification to a topic whose key refuses S3 is itself refused (S3
/// validates a destination by publishing to it): the stack creating it fails. Once the key policy
/// stops allowing S3, objects are still written but no notification arrives, and the refused
/// `kms:GenerateDataKey` of `s3.amazonaws.com` on that key is in the access log.
#[tokio::test]
async fn a_kms_key_policy_without_s3_gets_no_notification_from_the_encrypted_topic() {
    let env = env().await;
    let refused = integration::unique("encrypted-notifications");
    let failed = encrypted_notifications(&refused, "false", false)
        .await
        .expect_err("a notification to a topic whose key refuses S3");
    assert!(
        failed
            .to_string()
            .contains("Unable to validate the following destination configurations"),
        "{failed}"
    );
    let stack = integration::unique("encrypted-notifications");
    encrypted_notifications(&stack, "true", false)
        .await
        .expect("the stack whose key allows S3");
    let outputs = local_aws::deploy::outputs(&env.host, &stack)
        .await
        .expect("its outputs");
    let sqs = aws_sdk_sqs::Client::new(&env.host.sdk_config());
    let put_and_receive = |key: &'static str| {
        let (sqs, outputs) = (sqs.clone(), outputs.clone());
        async move {
            env.host
                .s3()
                .put_object()
                .bucket(&outputs["Bucket"])
                .key(key)
                .body(b"x".to_vec().into())
                .send()
                .await
                .expect("put an object");
            let answer = sqs
                .receive_message()
                .queue_url(&outputs["QueueUrl"])
                .wait_time_seconds(2)
                .max_number_of_messages(10)
                .send()
                .await
                .expect("receive");
            // Object notifications only: S3 also sends an `s3:TestEvent` when it is configured.
            answer
                .messages()
                .iter()
                .map(|m| m.body().unwrap_or_default().to_string())
                .filter(|body| body.contains("\"Records\""))
                .collect::<Vec<_>>()
        }
    };
    let allowed = put_and_receive("while-the-key-allows-s3").await;
    assert!(
        allowed.len() == 1 && allowed[0].contains("while-the-key-allows-s3"),
        "{allowed:?}"
    );
    encrypted_notifications(&stack, "false", true)
        .await
        .expect("the key policy updated without S3");
    let after = put_and_receive("after-the-key-refuses-s3").await;
    assert!(after.is_empty(), "{after:?}");
    let access = local_aws::access::fetch(&env.host.endpoint)
        .await
        .expect("the access log");
    let key = &outputs["KeyArn"];
    assert!(
        access
            .principals
            .iter()
            .flat_map(|p| p.used.iter())
            .any(|d| d.principal == "s3.amazonaws.com"
                && d.action == "kms:GenerateDataKey"
                && &d.resource == key
                && d.decision == "implicit-deny"),
        "no refused kms:GenerateDataKey of s3.amazonaws.com on {key}"
    );
}

/// The name of the role of `logical_id` in the platform stack's functions (its execution role).
async fn function_role(logical_id: &str) -> String {
    let env = env().await;
    integration::stack().await;
    let function = local_aws::deploy::physical_id(&env.host, "platform", logical_id)
        .await
        .expect("the function");
    let lambda = aws_sdk_lambda::Client::new(&env.host.sdk_config());
    let configuration = lambda
        .get_function_configuration()
        .function_name(function)
        .send()
        .await
        .expect("its configuration");
    let role = configuration.role().unwrap_or_default();
    role.rsplit('/').next().unwrap_or_default().to_string()
}

/// Runs the Harvester on `input` while the host role `role` holds the inline policy `deny` (named
/// `name`, removed again afterwards, whatever the run's outcome).
async fn harvest_while_denied(
    role: &str,
    name: &str,
    deny: &serde_json::Value,
    input: &serde_json::Value,
) -> Finished {
    let iam = env().await.host.iam();
    iam.put_role_policy()
        .role_name(role)
        .policy_name(name)
        .policy_document(deny.to_string())
        .send()
        .await
        .expect("put the deny");
    let finished = harvest(input, &[]).await;
    iam.delete_role_policy()
        .role_name(role)
        .policy_name(name)
        .send()
        .await
        .expect("remove the deny");
    finished
}

/// A function whose role may not perform a DynamoDB action it needs (here the report function may not
/// query the run's items: a Deny scoped by `dynamodb:LeadingKeys` to this run, so that every other
/// test's runs keep the permission) fails with the stable errorType `AwsError`, naming the action; the
/// run is recorded failed, Cleanup removes what it created and the execution fails.
#[tokio::test]
async fn a_function_role_without_a_dynamodb_action_fails_the_run_cleanly() {
    let a = member_account().await;
    let data = bucket(&a, "eu-south-1", "denied", &[("k", b"v")]).await;
    let run = run_id();
    let role = function_role("ReportFunction").await;
    let deny = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Deny", "Action": "dynamodb:Query", "Resource": "*",
            "Condition": {"ForAnyValue:StringEquals": {"dynamodb:LeadingKeys": [format!("run#{run}")]}}
        }]
    });
    let finished = harvest_while_denied(
        &role,
        &format!("NoQuery-{run}"),
        &deny,
        &input(&run, &[&a], &["eu-south-1"]),
    )
    .await;
    assert_eq!(finished.status(), "FAILED", "{finished:#?}");
    assert_eq!(finished.summary["error"], "AwsError", "{finished:#?}");
    let cause = finished.summary["cause"].as_str().unwrap_or_default();
    assert!(
        cause.contains("AccessDeniedException")
            && cause.contains(&format!("assumed-role/{role}/"))
            && cause.contains("dynamodb:Query"),
        "{cause}"
    );
    let record = run_record(&run).await.expect("the run record");
    assert_eq!(record["status"], "failed", "{record:#}");
    assert_eq!(record["error"], "AwsError", "{record:#}");
    assert!(left_in(&run, "eu-south-1", &[(&a, &data)]).await.is_empty());
}

/// The stack role missing one handler permission on one run's staging bucket (a Deny scoped to that
/// bucket, so other runs keep it) fails that run's staging stack as CloudFormation fails it; the run
/// fails with `StagingStackFailed` naming the permission, and Cleanup removes what was created.
#[tokio::test]
async fn a_stack_role_missing_a_permission_fails_the_staging_stack_and_cleanup_removes_it() {
    let a = member_account().await;
    let data = bucket(&a, "eu-west-2", "unstaged", &[("k", b"v")]).await;
    let run = run_id();
    let env = env().await;
    integration::stack().await;
    let role = local_aws::deploy::physical_id(&env.host, "platform", "StagingStackRole")
        .await
        .expect("the stack role");
    let role = role.rsplit('/').next().unwrap_or_default().to_string();
    let staging = staging_bucket(&run, "eu-west-2");
    let deny = json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "s3:GetBucketVersioning",
                       "Resource": format!("arn:aws:s3:::{staging}")}]
    });
    let finished = harvest_while_denied(
        &role,
        &format!("NoVersioningRead-{run}"),
        &deny,
        &input(&run, &[&a], &["eu-west-2"]),
    )
    .await;
    assert_eq!(finished.status(), "FAILED", "{finished:#?}");
    assert_eq!(
        finished.summary["error"], "StagingStackFailed",
        "{finished:#?}"
    );
    let cause = finished.summary["cause"].as_str().unwrap_or_default();
    assert!(
        cause.contains("s3:GetBucketVersioning") && cause.contains(&staging),
        "{cause}"
    );
    assert!(left_in(&run, "eu-west-2", &[(&a, &data)]).await.is_empty());
}

/// The SDK configuration of a session of a new role of the host account allowed `policy` (assumed by
/// the account's root, as a user would), for tests of how IAM decides a role's requests.
async fn role_session(prefix: &str, policy: &serde_json::Value) -> aws_config::SdkConfig {
    let env = env().await;
    let iam = env.host.iam();
    let role = integration::unique(prefix);
    let trust = json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{}:root", env.host.account)}, "Action": "sts:AssumeRole"}]
    });
    let created = iam
        .create_role()
        .role_name(&role)
        .assume_role_policy_document(trust.to_string())
        .send()
        .await
        .expect("create the role");
    iam.put_role_policy()
        .role_name(&role)
        .policy_name("Granted")
        .policy_document(policy.to_string())
        .send()
        .await
        .expect("put its policy");
    let assumed = aws_sdk_sts::Client::new(&env.host.sdk_config())
        .assume_role()
        .role_arn(created.role().map(|r| r.arn()).unwrap_or_default())
        .role_session_name(prefix)
        .send()
        .await
        .expect("assume it");
    let c = assumed.credentials().expect("credentials");
    env.host
        .sdk_config()
        .into_builder()
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(
                aws_credential_types::Credentials::new(
                    c.access_key_id(),
                    c.secret_access_key(),
                    Some(c.session_token().to_string()),
                    None,
                    "role-session",
                ),
            ),
        )
        .build()
}

/// A missing key is `404 NoSuchKey` only to a caller allowed `s3:ListBucket` on the bucket; to one
/// allowed `s3:GetObject` alone it is `403 AccessDenied` (`emulator/s3_missing_keys.py`), as S3
/// documents for GetObject and HeadObject.
#[tokio::test]
async fn a_missing_key_is_not_found_only_to_a_caller_who_may_list_the_bucket() {
    let env = env().await;
    let bucket = integration::unique("missing-keys");
    env.host
        .s3()
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create the bucket");
    let get_only = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{bucket}/*")}
    ]});
    let get_and_list = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{bucket}/*")},
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": format!("arn:aws:s3:::{bucket}")}
    ]});
    for (policy, status, code) in [
        (get_only, 403, "AccessDenied"),
        (get_and_list, 404, "NoSuchKey"),
    ] {
        let s3 = aws_sdk_s3::Client::new(&role_session("missing-keys", &policy).await);
        let got = s3
            .get_object()
            .bucket(&bucket)
            .key("absent")
            .send()
            .await
            .expect_err("no such key");
        assert_eq!(
            got.raw_response().map(|r| r.status().as_u16()),
            Some(status),
            "{got:?}"
        );
        assert_eq!(
            aws_sdk_s3::error::ProvideErrorMetadata::code(&got.into_service_error()),
            Some(code)
        );
        let headed = s3
            .head_object()
            .bucket(&bucket)
            .key("absent")
            .send()
            .await
            .expect_err("no such key");
        assert_eq!(
            headed.raw_response().map(|r| r.status().as_u16()),
            Some(status),
            "{headed:?}"
        );
    }
}

/// `dynamodb:LeadingKeys` is the partition key of the items a request names
/// (`emulator/iam_resources.py`): a role allowed its own items only
/// (`ForAllValues:StringEquals`) reads them, and is refused another's, as DynamoDB's fine-grained
/// access control documents.
#[tokio::test]
async fn a_role_scoped_by_dynamodb_leading_keys_reads_only_its_own_items() {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
        ScalarAttributeType,
    };
    let env = env().await;
    let admin = env.dynamodb();
    let table = integration::unique("leading-keys");
    admin
        .create_table()
        .table_name(&table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("create the table");
    let table_arn = format!(
        "arn:aws:dynamodb:{}:{}:table/{table}",
        env.host.region, env.host.account
    );
    let policy = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Query"], "Resource": table_arn,
            "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["mine"]}}
        }]
    });
    let config =
        aws_sdk_dynamodb::config::Builder::from(&role_session("leading-keys", &policy).await)
            .build();
    let scoped = aws_sdk_dynamodb::Client::from_conf(config);
    let get = |pk: &str| {
        scoped
            .get_item()
            .table_name(&table)
            .key("pk", AttributeValue::S(pk.into()))
            .send()
    };
    get("mine").await.expect("its own item");
    let refused = get("theirs").await.expect_err("another's item");
    let refused = refused.into_service_error();
    assert_eq!(
        aws_sdk_dynamodb::error::ProvideErrorMetadata::code(&refused),
        Some("AccessDeniedException")
    );
    let query = |pk: &str| {
        scoped
            .query()
            .table_name(&table)
            .key_condition_expression("#k = :v")
            .expression_attribute_names("#k", "pk")
            .expression_attribute_values(":v", AttributeValue::S(pk.into()))
            .send()
    };
    query("mine").await.expect("a query of its own partition");
    assert!(
        query("theirs").await.is_err(),
        "a query of another's partition"
    );
}

/// An EventBridge rule delivers to an SQS target only if the queue's policy allows
/// `events.amazonaws.com` for that rule (`emulator/service_deliveries.py`): of two queues targeted by
/// one rule, the one whose policy allows it receives the event, the one without a policy does not,
/// and the refusal is in the access log under the service principal.
#[tokio::test]
async fn an_eventbridge_target_whose_policy_does_not_allow_events_receives_nothing() {
    use aws_sdk_eventbridge::types::{PutEventsRequestEntry, Target as RuleTarget};
    use aws_sdk_sqs::types::QueueAttributeName;
    let env = env().await;
    let config = env.host.sdk_config();
    let (sqs, events) = (
        aws_sdk_sqs::Client::new(&config),
        aws_sdk_eventbridge::Client::new(&config),
    );
    let rule = integration::unique("targets");
    let source = format!("offline.{rule}");
    let created = events
        .put_rule()
        .name(&rule)
        .event_pattern(json!({"source": [source]}).to_string())
        .send()
        .await
        .expect("put the rule");
    let rule_arn = created.rule_arn().unwrap_or_default().to_string();
    let mut queues = Vec::new();
    for allowed in [true, false] {
        let url = sqs
            .create_queue()
            .queue_name(integration::unique(if allowed {
                "allowed"
            } else {
                "refused"
            }))
            .send()
            .await
            .expect("a queue")
            .queue_url()
            .unwrap_or_default()
            .to_string();
        let arn = sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .expect("its ARN")
            .attributes()
            .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
            .unwrap_or_default();
        if allowed {
            let policy = json!({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage", "Resource": arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}}
            }]});
            sqs.set_queue_attributes()
                .queue_url(&url)
                .attributes(QueueAttributeName::Policy, policy.to_string())
                .send()
                .await
                .expect("its policy");
        }
        events
            .put_targets()
            .rule(&rule)
            .targets(
                RuleTarget::builder()
                    .id(if allowed { "allowed" } else { "refused" })
                    .arn(&arn)
                    .build()
                    .expect("a target"),
            )
            .send()
            .await
            .expect("target the queue");
        queues.push((url, arn));
    }
    events
        .put_events()
        .entries(
            PutEventsRequestEntry::builder()
                .source(&source)
                .detail_type("Offline test")
                .detail("{}")
                .build(),
        )
        .send()
        .await
        .expect("put the event");
    let received = |url: String| {
        let sqs = sqs.clone();
        async move {
            sqs.receive_message()
                .queue_url(url)
                .wait_time_seconds(2)
                .send()
                .await
                .expect("receive")
                .messages()
                .len()
        }
    };
    assert_eq!(received(queues[0].0.clone()).await, 1, "the allowed queue");
    assert_eq!(received(queues[1].0.clone()).await, 0, "the refused queue");
    let access = local_aws::access::fetch(&env.host.endpoint)
        .await
        .expect("the access log");
    let refused = &queues[1].1;
    assert!(
        access
            .principals
            .iter()
            .flat_map(|p| p.used.iter())
            .any(|d| d.principal == "events.amazonaws.com"
                && d.action == "sqs:SendMessage"
                && &d.resource == refused
                && d.decision == "implicit-deny"),
        "no refused sqs:SendMessage of events.amazonaws.com on {refused}"
    );
}

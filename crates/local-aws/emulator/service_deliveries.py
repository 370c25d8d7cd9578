"""Deliveries by AWS service principals, authorized by the receiving resource's policies as AWS does.

What AWS documents:
- A service that writes to an encrypted SNS topic or SQS queue (S3 event notifications, SNS fan-out,
  EventBridge targets) needs the key policy of the topic's or queue's KMS key to allow the service
  principal `kms:GenerateDataKey*` and `kms:Decrypt` (SNS developer guide, "Enable compatibility
  between event sources from AWS services and encrypted topics"; SQS developer guide, "Configure
  KMS permissions for AWS services"). An AWS managed key (`alias/aws/sns`, `alias/aws/sqs`) cannot
  be used: its key policy allows only principals of the account, through the service.
- An EventBridge rule delivers to an SQS queue or SNS topic only if the queue's or topic's policy
  allows `events.amazonaws.com` (`sqs:SendMessage`, `sns:Publish`), with the rule as
  `aws:SourceArn` (EventBridge user guide, "Using resource-based policies for Amazon EventBridge").
  A refused delivery is a failed invocation: the event is not delivered.
- S3 Inventory writes its reports into the destination bucket as `s3.amazonaws.com`, allowed by the
  destination bucket's policy (`s3:PutObject`, with the source bucket as `aws:SourceArn`, its owner
  as `aws:SourceAccount`, and `s3:x-amz-acl` = `bucket-owner-full-control`), S3 user guide,
  "Configuring Amazon S3 Inventory", "Grant permissions for S3 Inventory and S3 analytics".

What ministack 1.5.33 does: it evaluates the topic's or queue's policy for S3 and SNS deliveries
(`topic_policy_allows`, `queue_policy_allows`) but no key policy, delivers EventBridge targets without
looking at any policy, and has no S3 Inventory.

What this patch changes, under enforced IAM only:
- `topic_policy_allows` and `queue_policy_allows` also require the resource's KMS key policy (when it
  has a key) to allow the delivering service both actions.
- EventBridge SQS and SNS targets are delivered only when those two checks pass for
  `events.amazonaws.com`; a refused one is dropped with a warning naming the rule, the target and why.
- `inventory_delivery(...)` answers whether S3 Inventory may put a report key into a destination
  bucket; the offline CLI asks it (`POST /_offline/s3/inventory-delivery`) before each put and delivers
  nothing when S3 would be refused.
Every decision is recorded for the access report (`iam_access.record`) under the service principal.
"""

import logging

from ministack.core.iam_evaluator import EvalContext, evaluate_resource_policy
from ministack.core.responses import request_scope

import iam_access

logger = logging.getLogger("offline")

KEY_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")


def _auth():
    from ministack.app import AUTH

    return AUTH


def _service_context(source_arn, source_account, extra=None):
    context = {
        "aws:sourcearn": source_arn,
        "aws:sourceaccount": source_account,
        # Older S3/SNS policy samples condition on AWS:SourceOwner.
        "aws:sourceowner": source_account,
    }
    context.update(extra or {})
    return context


def _policy_allows(policy, service, action, resource_arn, region, context):
    """Whether a resource policy allows `service` the action: a Service statement must name it."""
    # AWS services reach each other over TLS: a policy's DenyInsecureTransport does not refuse them.
    ctx = EvalContext(
        principal_arn="*",
        principal_type="Service",
        principal_account="",
        action=action,
        resource_arn=resource_arn,
        region=region,
        service_context=context,
        secure_transport=True,
    )
    return evaluate_resource_policy(policy or "", ctx, service=service).decision == "Allow"


def key_allows(key_ref, owner_account, region, service, source_arn, source_account):
    """(allowed, why) for a service using the KMS key `key_ref` (id, ARN or alias) of a resource."""
    from ministack.services import kms

    if key_ref.startswith("alias/aws/") or ":alias/aws/" in key_ref:
        return False, f"{key_ref} is an AWS managed key, whose key policy no service principal may use"
    with request_scope(owner_account, region):
        record = kms._resolve_key(key_ref)
    if record is None:
        return False, f"KMS key {key_ref} does not exist"
    key_arn = record.get("Arn") or key_ref
    context = _service_context(source_arn, source_account)
    for action in KEY_ACTIONS:
        allowed = _policy_allows(record.get("Policy"), service, action, key_arn, region, context)
        iam_access.record(service, action, key_arn, "allowed" if allowed else "implicit-deny")
        if not allowed:
            return False, f"the key policy of {key_arn} does not allow {service} to perform {action}"
    return True, ""


def _arn_parts(arn):
    parts = arn.split(":", 5)
    return (parts[3], parts[4]) if len(parts) == 6 else ("", "")


def _resource_key_allows(attributes, resource_arn, service, source_arn, source_account):
    key_ref = (attributes or {}).get("KmsMasterKeyId") or ""
    if not key_ref:
        return True, ""
    region, account = _arn_parts(resource_arn)
    return key_allows(key_ref, account, region, service, source_arn, source_account)


def _with_key_check(original, attributes_of, what):
    def allows(resource_arn, service, source_arn, source_account):
        if not original(resource_arn, service, source_arn, source_account):
            return False
        if not _auth():
            return True
        allowed, why = _resource_key_allows(attributes_of(resource_arn), resource_arn, service,
                                            source_arn, source_account)
        if not allowed:
            logger.warning("%s from %s to %s not delivered: %s", what, service, resource_arn, why)
        return allowed
    return allows


def _topic_attributes(topic_arn):
    from ministack.services import sns

    topic = sns._topic_by_arn_any_scope(topic_arn)
    return (topic or {}).get("attributes", {})


def _queue_attributes(queue_arn):
    from ministack.services import sqs

    queue = sqs._queue_by_arn(queue_arn)
    return (queue or {}).get("attributes", {})


def _eventbridge_targets():
    """EventBridge SQS and SNS targets: delivered only when the resource and its key allow the rule."""
    from ministack.core.arn import ArnParseError, parse_arn
    from ministack.services import eventbridge, sns, sqs

    original = eventbridge._invoke_target

    def invoke_target(target, event, rule, view=None):
        arn = target.get("Arn", "")
        try:
            service = parse_arn(arn).service
        except ArnParseError:
            service = ""
        if _auth() and service in ("sqs", "sns"):
            rule_arn = rule.get("Arn", "")
            _region, account = _arn_parts(rule_arn)
            allows = sqs.queue_policy_allows if service == "sqs" else sns.topic_policy_allows
            if not allows(arn, "events.amazonaws.com", rule_arn, account):
                logger.warning("EventBridge rule %s: target %s not delivered: its policy or its key's "
                               "does not allow events.amazonaws.com (FailedInvocations)", rule_arn, arn)
                return None
        return original(target, event, rule, view)

    eventbridge._invoke_target = invoke_target


def inventory_delivery(destination_account, destination_bucket, key, source_account, source_bucket):
    """(allowed, why): may S3 Inventory put `key` into the destination bucket for the source bucket?"""
    from ministack.services import s3

    resource = f"arn:aws:s3:::{destination_bucket}/{key}"
    if not _auth():
        return True, ""
    if not s3._buckets.contains_scoped(destination_account, None, destination_bucket):
        return False, f"destination bucket {destination_bucket} does not exist"
    policy = s3._bucket_policies.get_scoped(destination_account, None, destination_bucket) or ""
    extra = {"s3:x-amz-acl": "bucket-owner-full-control"}
    # aws:SourceOrgID: the organization of the source bucket's owner, when it is a member of one.
    import organizations

    source_org = organizations.organization_of(source_account)
    if source_org:
        extra["aws:sourceorgid"] = source_org
    context = _service_context(f"arn:aws:s3:::{source_bucket}", source_account, extra)
    allowed = _policy_allows(policy, "s3.amazonaws.com", "s3:PutObject", resource, "", context)
    iam_access.record("s3.amazonaws.com", "s3:PutObject", resource, "allowed" if allowed else "implicit-deny")
    if not allowed:
        return False, (f"the bucket policy of {destination_bucket} does not allow s3.amazonaws.com to perform "
                       f"s3:PutObject on {resource} for source bucket arn:aws:s3:::{source_bucket} of "
                       f"account {source_account}")
    return True, ""


def install():
    # After iam_access.install: the topic's or queue's own decision is recorded by its wrapper,
    # and the key's decisions here.
    from ministack.services import sns, sqs

    sns.topic_policy_allows = _with_key_check(sns.topic_policy_allows, _topic_attributes, "delivery")
    sqs.queue_policy_allows = _with_key_check(sqs.queue_policy_allows, _queue_attributes, "delivery")
    _eventbridge_targets()

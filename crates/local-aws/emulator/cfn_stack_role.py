"""CloudFormation acts as the stack's service role, with the permissions each resource handler needs.

What AWS documents:
- "A service role is an IAM role that allows CloudFormation to make calls to resources in a stack on
  your behalf ... CloudFormation uses the role's credentials to make calls"; the caller needs
  `iam:PassRole` on the role (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-iam-servicerole.html).
  The role is the stack's for its later operations too (an update or delete without `RoleARN` uses it).
- Each resource type's handlers call the service APIs; the permissions each handler needs are
  published in the type's registry schema (`handlers.<create|read|update|delete|list>.permissions`,
  https://docs.aws.amazon.com/cloudformation-cli/latest/userguide/resource-type-schema.html), which
  cfn-lint ships (our pin: 1.58.0, `scripts/lint/requirements.txt`). After creating a resource, the
  create handler reads it back (the read handler's permissions); a delete needs the delete handler's.
- A refused call fails the resource: `CREATE_FAILED` (or `DELETE_FAILED`) with the reason
  `Resource handler returned message: "User: arn:aws:sts::<account>:assumed-role/<role>/AWSCloudFormation
  is not authorized to perform: <action> on resource: <arn> ..." (... HandlerErrorCode: AccessDenied)`;
  the stack rolls back and deletes what it had created.

What ministack 1.5.33 does: `RoleARN` is ignored; every resource is created with no principal, so a
role missing permissions deployed and deleted its stacks offline.

The fix, for stacks created with `RoleARN`:
- CreateStack / UpdateStack with `RoleARN` authorize `iam:PassRole` on it for the caller (an
  `AccessDenied` answer otherwise), and the stack keeps the role;
- each resource created is authorized, for a session of the role named `AWSCloudFormation`, with the
  create handler's permissions the resource's properties use (`CREATE_PERMISSIONS` below: the call
  every create makes, plus one per property, e.g. `BucketEncryption` -> `s3:PutEncryptionConfiguration`;
  tags, the stack's propagated ones included, -> the type's tagging action, with `aws:RequestTag/*`
  and `aws:TagKeys`), then with every read handler permission on the created resource; each resource
  deleted with every delete handler permission. An update is authorized with the read handler's;
- the permissions are those of `cfn_handler_permissions.json` (generated from the pinned cfn-lint's
  schemas by `scripts/data/cfn-handler-permissions`; `tests/tests/template_policy.rs` checks it is
  current), for the types a stack role may deploy: any other type is refused (fail closed);
- a refusal before a create fails the resource with nothing created; after it (the read), the
  resource is deleted again and the resource fails, as CloudFormation's rollback would leave it.
"""

import contextvars
import json
import os
import uuid
from urllib.parse import parse_qs

from ministack.services import cloudformation as cfn
from ministack.services.cloudformation import stacks
from role_sessions import denial_message, session_key

_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cfn_handler_permissions.json")
SESSION_NAME = "AWSCloudFormation"

# The create handler's calls by property: (always, {property: [actions]}, tagging action). Each
# action is in the type's create handler permissions (checked at install).
CREATE_PERMISSIONS = {
    "AWS::S3::Bucket": (["s3:CreateBucket"], {
        "BucketEncryption": ["s3:PutEncryptionConfiguration"],
        "PublicAccessBlockConfiguration": ["s3:PutBucketPublicAccessBlock"],
        "OwnershipControls": ["s3:PutBucketOwnershipControls"],
        "LifecycleConfiguration": ["s3:PutLifecycleConfiguration"],
        "NotificationConfiguration": ["s3:PutBucketNotification"],
        "VersioningConfiguration": ["s3:PutBucketVersioning"],
        "CorsConfiguration": ["s3:PutBucketCORS"],
        "WebsiteConfiguration": ["s3:PutBucketWebsite"],
        "LoggingConfiguration": ["s3:PutBucketLogging"],
        "InventoryConfigurations": ["s3:PutInventoryConfiguration"],
        "MetricsConfigurations": ["s3:PutMetricsConfiguration"],
        "AnalyticsConfigurations": ["s3:PutAnalyticsConfiguration"],
        "ReplicationConfiguration": ["s3:PutReplicationConfiguration", "iam:PassRole"],
        "AccelerateConfiguration": ["s3:PutAccelerateConfiguration"],
        "ObjectLockConfiguration": ["s3:PutBucketObjectLockConfiguration"],
        "IntelligentTieringConfigurations": ["s3:PutIntelligentTieringConfiguration"],
    }, "s3:PutBucketTagging"),
    "AWS::S3::BucketPolicy": (["s3:GetBucketPolicy", "s3:PutBucketPolicy"], {}, None),
    "AWS::SNS::Topic": (["sns:CreateTopic", "sns:GetTopicAttributes"], {
        "Subscription": ["sns:Subscribe"],
        "DataProtectionPolicy": ["sns:PutDataProtectionPolicy"],
    }, "sns:TagResource"),
    "AWS::SNS::TopicPolicy": (["sns:SetTopicAttributes"], {}, None),
    "AWS::SNS::Subscription": (["sns:Subscribe"], {"SubscriptionRoleArn": ["iam:PassRole"]}, None),
    "AWS::KMS::Key": (["kms:CreateKey"], {"EnableKeyRotation": ["kms:EnableKeyRotation"]}, "kms:TagResource"),
}

_stack_roles = {}  # (account, region, stack name) -> role ARN
_deleting = contextvars.ContextVar("offline_cfn_deleting", default=False)


class AccessDenied(Exception):
    """A handler call the stack role may not make; the message is CloudFormation's status reason."""


_HANDLERS = {}


def _handlers():
    """The handler permissions by type, read once."""
    if not _HANDLERS:
        with open(_DATA) as f:
            _HANDLERS.update(json.load(f)["types"])
    return _HANDLERS


def _scope():
    from ministack.core.responses import get_account_id, get_region

    return get_account_id(), get_region()


def _tag_context(props):
    tags = {t.get("Key"): t.get("Value") for t in props.get("Tags") or [] if isinstance(t, dict)}
    context = {f"aws:RequestTag/{k}": v for k, v in tags.items()}
    if tags:
        context["aws:TagKeys"] = sorted(tags)
    return context


def _authorize(role_arn, action, resource_arn, context=None):
    from ministack.core import iam_evaluator

    _, region = _scope()
    denied = iam_evaluator.enforce(session_key(role_arn, SESSION_NAME, "cloudformation"), action,
                                   action.split(":", 1)[0], region, resource_arn=resource_arn,
                                   service_context=context)
    if denied is None:
        return
    message = denial_message(denied, role_arn, action, resource_arn)
    raise AccessDenied(
        f'Resource handler returned message: "{message} (Service: {action.split(":")[0]}, Status Code: 403, '
        f'Request ID: {uuid.uuid4()})" (HandlerErrorCode: AccessDenied)')


def _arns(rtype, physical_id, props):
    """The resource ARN(s) a handler's calls name, by type."""
    account, region = _scope()
    if rtype == "AWS::S3::Bucket":
        return [f"arn:aws:s3:::{props.get('BucketName') or physical_id}"]
    if rtype == "AWS::S3::BucketPolicy":
        return [f"arn:aws:s3:::{props.get('Bucket')}"]
    if rtype == "AWS::SNS::Topic":
        name = props.get("TopicName") or (physical_id or "").rsplit(":", 1)[-1]
        return [f"arn:aws:sns:{region}:{account}:{name}"]
    if rtype == "AWS::SNS::TopicPolicy":
        return list(props.get("Topics") or [])
    if rtype == "AWS::SNS::Subscription":
        return [physical_id] if physical_id else [props.get("TopicArn")]
    if rtype == "AWS::KMS::Key":
        return [f"arn:aws:kms:{region}:{account}:key/{physical_id}"] if physical_id else ["*"]
    return ["*"]


# A create's calls that name the resource it made (so they are checked after it exists).
_ON_THE_NEW_RESOURCE = {"kms:EnableKeyRotation"}


def _arns_before(rtype, props, action):
    """What a create call names before the resource exists: a key is created (and tagged) on `*`."""
    if rtype == "AWS::KMS::Key":
        return ["*"]
    if rtype == "AWS::SNS::Subscription":
        return [props.get("TopicArn")]
    return _arns(rtype, None, props)


def _create_checks(rtype, props):
    always, by_property, tagging = CREATE_PERMISSIONS[rtype]
    actions = list(always)
    for name, extra in by_property.items():
        if props.get(name) not in (None, False, [], {}):
            actions += extra
    if tagging and props.get("Tags"):
        actions.append(tagging)
    return actions


def _role_of(stack_name):
    account, region = _scope()
    return _stack_roles.get((account, region, stack_name))


def _provision(original):
    def provision(resource_type, logical_id, props, stack_name):
        role = _role_of(stack_name)
        if role is None:
            return original(resource_type, logical_id, props, stack_name)
        handlers = _handlers()
        if resource_type not in handlers or resource_type not in CREATE_PERMISSIONS:
            raise AccessDenied(f"offline: the handler permissions of {resource_type} are not known to the "
                               "local AWS (crates/local-aws/emulator/cfn_handler_permissions.json), so a "
                               "stack role cannot be checked for it")
        context = _tag_context(props)
        creates = _create_checks(resource_type, props)
        # Calls on the new resource itself (a key's rotation) can only be checked once it exists:
        # the key policy then decides.
        later = [a for a in creates if a in _ON_THE_NEW_RESOURCE]
        for action in (a for a in creates if a not in _ON_THE_NEW_RESOURCE):
            for arn in _arns_before(resource_type, props, action):
                _authorize(role, action, arn, context)
        result = original(resource_type, logical_id, props, stack_name)
        (physical_id, _attrs), _seed = result
        try:
            for action in later + handlers[resource_type].get("read", []):
                for arn in _arns(resource_type, physical_id, props):
                    _authorize(role, action, arn)
        except AccessDenied:
            stacks._delete_resource(resource_type, physical_id, props, stack_name, logical_id)
            raise
        return result
    return provision


def _update(original):
    def update(resource_type, physical_id, old_props, new_props, stack_name, *rest):
        role = _role_of(stack_name)
        if role is not None:
            for action in _handlers().get(resource_type, {}).get("read", []):
                for arn in _arns(resource_type, physical_id, new_props):
                    _authorize(role, action, arn)
        return original(resource_type, physical_id, old_props, new_props, stack_name, *rest)
    return update


def _delete(original):
    def delete(resource_type, physical_id, props, stack_name, *rest):
        role = _role_of(stack_name)
        if role is not None and not _deleting.get():
            for action in _handlers().get(resource_type, {}).get("delete", []):
                for arn in _arns(resource_type, physical_id, props):
                    _authorize(role, action, arn)
        token = _deleting.set(True)
        try:
            return original(resource_type, physical_id, props, stack_name, *rest)
        finally:
            _deleting.reset(token)
    return delete


def _params(headers, body, query_params):
    params = {k: (v[0] if isinstance(v, list) and v else v) for k, v in dict(query_params).items()}
    if "amz-json" in headers.get("content-type", "") and body:
        try:
            params.update(json.loads(body))
        except ValueError:
            pass
        params["Action"] = headers.get("x-amz-target", "").rsplit(".", 1)[-1]
    elif body:
        params.update({k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()})
    return params


def _pass_role_refused(headers, query_params, role_arn):
    from ministack.core import iam_evaluator
    from ministack.core.router import extract_access_key_id

    account, region = _scope()
    denied = iam_evaluator.enforce(extract_access_key_id(headers, query_params) or "", "iam:PassRole", "iam",
                                   region, resource_arn=role_arn)
    if denied is None:
        return None
    principal = getattr(denied, "principal_arn", "")
    from ministack.services.cloudformation.helpers import _error

    return _error(
        "AccessDenied",
        f"User: {principal} is not authorized to perform: iam:PassRole on resource: {role_arn}", 403)


def install():
    from ministack.app import AUTH

    if not AUTH:
        return
    handlers = _handlers()
    for rtype, (always, by_property, tagging) in CREATE_PERMISSIONS.items():
        allowed = set(handlers[rtype]["create"])
        wanted = set(always) | {a for extra in by_property.values() for a in extra} | ({tagging} - {None})
        missing = wanted - allowed
        if missing:
            raise RuntimeError(f"cfn_stack_role: {rtype}: {sorted(missing)} not in its create handler")
    original = cfn.handle_request

    async def handle_request(method, path, headers, body, query_params):
        params = _params(headers, body, query_params)
        action, role_arn = params.get("Action"), params.get("RoleARN")
        if action in ("CreateStack", "UpdateStack") and role_arn:
            refused = _pass_role_refused(headers, query_params, role_arn)
            if refused is not None:
                return refused
            account, region = _scope()
            _stack_roles[(account, region, params.get("StackName"))] = role_arn
        return await original(method, path, headers, body, query_params)

    cfn.handle_request = handle_request
    stacks._provision_keeping_seed = _provision(stacks._provision_keeping_seed)
    stacks._update_keeping_seed = _update(stacks._update_keeping_seed)
    stacks._delete_resource = _delete(stacks._delete_resource)

"""Resource ARNs and condition keys ministack gets wrong or leaves out (IAM enforced).

What AWS documents (Service Authorization Reference, "Actions defined by Amazon Athena",
https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonathena.html): the
query-execution actions (`StartQueryExecution`, `GetQueryExecution`, `GetQueryResults`,
`StopQueryExecution`, ...) are authorized on the `workgroup` the query runs in
(`arn:${Partition}:athena:${Region}:${Account}:workgroup/${WorkGroupName}`; a query started without
`WorkGroup` runs in `primary`); the catalogue actions (`GetTableMetadata`, `ListTableMetadata`,
`GetDatabase`, `ListDatabases`) on the `datacatalog` they name
(`...:datacatalog/${DataCatalogName}`).

What ministack 1.5.33 does: the workgroup only when the request body names one, else `*`. A policy
scoped to `workgroup/primary` (as least privilege asks) then never matched `GetQueryExecution`, which
names a query, not a workgroup: enforced IAM denied what AWS allows.

The fix: the workgroup of the query a request names (from ministack's own record of it; `primary` when
it names none), and the data catalogue's ARN for the catalogue actions.

SES v2 `SendEmail` (https://docs.aws.amazon.com/ses/latest/dg/control-user-access.html, and the
Service Authorization Reference for SES v2): authorized on the sending `identity`
(`arn:${Partition}:ses:${Region}:${Account}:identity/${IdentityName}`), the From address's own
identity when it is one, else its domain's. ministack 1.5.33 authorized it on `*`, so a policy scoped
to identities (`identity/*`) never allowed sending.

`aws:PrincipalArn` (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn):
"For IAM roles, the request context returns the ARN of the role, not the ARN of the user that assumed
the role" — `arn:aws:iam::<account>:role/<path><name>`, its path included. ministack 1.5.33 gave the
session's ARN (`arn:aws:sts::<account>:assumed-role/<name>/<session>`), so a key or bucket policy
naming a role by `aws:PrincipalArn` (our staging key's policy names StagingStackRole by its path)
never matched. The fix answers the role's ARN, from the IAM store, for a role session.

`dynamodb:LeadingKeys` (DynamoDB developer guide, "Using IAM policy conditions for fine-grained access
control"): the partition key values of the items a request names. ministack 1.5.33 leaves it unset,
so a policy scoping a principal to its own items (`ForAllValues:StringEquals`, or a Deny with
`ForAnyValue:StringLike`) is never evaluated as AWS evaluates it. The fix sets it from the request's
`Key`, `Item`, a `Query`'s `KeyConditionExpression` equality on the partition key, and the items of
`TransactWriteItems`, `TransactGetItems`, `BatchWriteItem` and `BatchGetItem` (ministack checks each
transaction item with the request's context, so a transaction carries the keys of all its items: a
condition that refuses one item refuses the transaction, as AWS does), with the table's key schema.
"""

import json
import re

_CATALOG_ACTIONS = {"GetTableMetadata", "ListTableMetadata", "GetDatabase", "ListDatabases"}


def _athena_resource(headers, body, region, account_id):
    from ministack.services import athena

    operation = headers.get("x-amz-target", "").rsplit(".", 1)[-1]
    try:
        request = json.loads(body or b"{}")
    except ValueError:
        return None
    if not isinstance(request, dict):
        return None
    if operation in _CATALOG_ACTIONS:
        catalog = request.get("CatalogName") or "AwsDataCatalog"
        return f"arn:aws:athena:{region}:{account_id}:datacatalog/{catalog}"
    workgroup = request.get("WorkGroup")
    if not workgroup and request.get("QueryExecutionId"):
        execution = athena._executions.get(request["QueryExecutionId"]) or {}
        workgroup = execution.get("WorkGroup")
    if not workgroup and operation in ("StartQueryExecution", "GetQueryExecution", "GetQueryResults",
                                       "StopQueryExecution", "GetQueryRuntimeStatistics"):
        workgroup = "primary"
    return f"arn:aws:athena:{region}:{account_id}:workgroup/{workgroup}" if workgroup else None


def _ses_send_resource(method, path, body, region, account_id):
    if method != "POST" or path.rstrip("/") != "/v2/email/outbound-emails":
        return None
    from ministack.services import ses_v2

    try:
        sender = json.loads(body or b"{}").get("FromEmailAddress") or ""
    except (ValueError, AttributeError):
        return None
    address = sender.rsplit("<", 1)[-1].rstrip(">").strip()
    if not address:
        return None
    identity = address if ses_v2._identities.get(address) is not None else address.rsplit("@", 1)[-1]
    return f"arn:aws:ses:{region}:{account_id}:identity/{identity}"


def _role_arn_of_session(session_arn):
    from ministack.services import iam as iam_svc

    account = session_arn.split(":")[4]
    name = session_arn.split(":assumed-role/", 1)[1].split("/", 1)[0]
    role = iam_svc._roles.get_scoped(account, None, name) or {}
    return role.get("Arn") or f"arn:aws:iam::{account}:role/{name}"


def _install_principal_arn():
    from ministack.core import iam_evaluator

    original = iam_evaluator._resolve_condition_key

    def resolve(key, ctx):
        if key.lower() == "aws:principalarn" and ":assumed-role/" in (ctx.principal_arn or ""):
            return _role_arn_of_session(ctx.principal_arn)
        return original(key, ctx)

    iam_evaluator._resolve_condition_key = resolve


def _partition_key_name(table_name):
    from ministack.services import dynamodb

    name = table_name.rsplit(":table/", 1)[-1] if isinstance(table_name, str) else ""
    table = dynamodb._tables.get(name) if name else None
    return (table or {}).get("pk_name")


def _scalar(attribute_value):
    """The value of a DynamoDB key attribute (`{"S": "run#1"}` -> `run#1`)."""
    if isinstance(attribute_value, dict):
        for kind in ("S", "N", "B"):
            if isinstance(attribute_value.get(kind), str):
                return attribute_value[kind]
    return None


def _query_partition_value(data, pk_name):
    expression = data.get("KeyConditionExpression")
    if not isinstance(expression, str):
        return None
    names = data.get("ExpressionAttributeNames") or {}
    values = data.get("ExpressionAttributeValues") or {}
    for clause in re.split(r"\s+AND\s+", expression, flags=re.IGNORECASE):
        match = re.fullmatch(r"\s*\(?\s*([#\w.]+)\s*=\s*(:\w+)\s*\)?\s*", clause)
        if match and names.get(match.group(1), match.group(1)) == pk_name:
            return _scalar(values.get(match.group(2)))
    return None


def _named_items(data):
    """(table, key-or-item) of every item a request names."""
    table = data.get("TableName")
    for field in ("Key", "Item"):
        if isinstance(data.get(field), dict):
            yield table, data[field]
    for entry in data.get("TransactItems") or []:
        for operation in (entry or {}).values():
            if isinstance(operation, dict):
                yield operation.get("TableName"), operation.get("Key") or operation.get("Item")
    for table_name, requests in (data.get("RequestItems") or {}).items():
        if isinstance(requests, dict):  # BatchGetItem
            for key in requests.get("Keys") or []:
                yield table_name, key
        for request in requests if isinstance(requests, list) else []:  # BatchWriteItem
            put, delete = (request or {}).get("PutRequest"), (request or {}).get("DeleteRequest")
            yield table_name, (put or {}).get("Item") or (delete or {}).get("Key")


def leading_keys(body):
    """The `dynamodb:LeadingKeys` of a DynamoDB request body, or [] when it names no item."""
    try:
        data = json.loads(body or b"{}")
    except (ValueError, TypeError):
        return []
    if not isinstance(data, dict):
        return []
    keys = []
    for table, item in _named_items(data):
        pk_name = _partition_key_name(table)
        value = _scalar((item or {}).get(pk_name)) if pk_name else None
        if value is not None:
            keys.append(value)
    if "KeyConditionExpression" in data:
        pk_name = _partition_key_name(data.get("TableName"))
        value = _query_partition_value(data, pk_name) if pk_name else None
        if value is not None:
            keys.append(value)
    return sorted(set(keys))


def _install_leading_keys():
    from ministack.core import iam_actions

    original = iam_actions.dynamodb_service_context

    def dynamodb_service_context(body):
        context = original(body)
        keys = leading_keys(body)
        if keys:
            context["dynamodb:LeadingKeys"] = keys
        return context

    iam_actions.dynamodb_service_context = dynamodb_service_context


# SQS's batch APIs have no IAM action of their own
# (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-batch-api-actions.html):
# "setting permissions for SendMessage, DeleteMessage, or ChangeMessageVisibility sets permissions for
# the corresponding batch versions of the actions". ministack 1.5.33 authorized them as
# `sqs:SendMessageBatch` etc., which no policy can grant except by a wildcard.
SQS_BATCH_ACTIONS = {
    "sqs:SendMessageBatch": "sqs:SendMessage",
    "sqs:DeleteMessageBatch": "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
}


# Organizations' list-by-parent actions are authorized on the parent (root or OU), as the Service
# Authorization Reference lists them; ministack named `organization/*` for every action.
PARENT_ACTIONS = ("ListAccountsForParent", "ListOrganizationalUnitsForParent", "ListChildren")


def _organizations_parent(headers, body):
    import organizations

    target = headers.get("x-amz-target") or headers.get("X-Amz-Target") or ""
    if target.rsplit(".", 1)[-1] not in PARENT_ACTIONS:
        return None
    try:
        parent = json.loads(body or b"{}").get("ParentId") or ""
    except ValueError:
        return None
    return organizations.parent_arn(parent)


def _install_sqs_batch_actions():
    from ministack.core import iam_actions

    original = iam_actions.extract_iam_action

    def extract_iam_action(service, method, path, headers, body, query_params):
        action = original(service, method, path, headers, body, query_params)
        return SQS_BATCH_ACTIONS.get(action, action)

    iam_actions.extract_iam_action = extract_iam_action


def install():
    _install_principal_arn()
    _install_leading_keys()
    _install_sqs_batch_actions()
    from ministack.core import iam_actions

    original = iam_actions.extract_resource_arn

    def extract_resource_arn(service, method, path, headers, body, query_params, region, account_id):
        found = None
        if service == "organizations":
            found = _organizations_parent(headers, body)
        elif service == "athena":
            found = _athena_resource(headers, body, region, account_id)
        elif service == "ses":
            found = _ses_send_resource(method, path, body, region, account_id)
        if found:
            return found
        return original(service, method, path, headers, body, query_params, region, account_id)

    iam_actions.extract_resource_arn = extract_resource_arn

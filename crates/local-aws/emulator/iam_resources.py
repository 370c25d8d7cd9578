"""Resource ARNs and a condition key ministack gets wrong (IAM enforced).

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
"""

import json

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


def install():
    _install_principal_arn()
    from ministack.core import iam_actions

    original = iam_actions.extract_resource_arn

    def extract_resource_arn(service, method, path, headers, body, query_params, region, account_id):
        found = None
        if service == "athena":
            found = _athena_resource(headers, body, region, account_id)
        elif service == "ses":
            found = _ses_send_resource(method, path, body, region, account_id)
        if found:
            return found
        return original(service, method, path, headers, body, query_params, region, account_id)

    iam_actions.extract_resource_arn = extract_resource_arn

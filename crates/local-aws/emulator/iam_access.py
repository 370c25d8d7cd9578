"""Record every authorization the local AWS makes, for `offline access-report` (an instrument, not a gap).

With IAM enforced (`AUTH=true`, the launcher's default), ministack authorizes each signed request in
`ministack.core.iam_evaluator.enforce(access_key_id, action, service, region, resource_arn, ...)`: it
returns None when the request is allowed and the denial otherwise. Every caller imports it from that
module when it runs, so wrapping the module attribute sees every decision. The wrapper records, for
each decision, the principal (a role session is recorded as its role, as IAM policies name it), the
action, the resource ARN and the outcome (allowed, denied implicitly, denied explicitly); the
decision itself is ministack's, unchanged.

Calls authorized by the launcher's own patches (Step Functions integrations as the state machine's
role, CloudFormation resource handlers as the stack's role, deliveries by service principals) are
recorded through `record` by those patches.

`GET /_offline/iam/access` answers `{"decisions": [{principal, session, action, resource, decision,
count}, ...]}`; `DELETE` forgets them. `GET /_offline/iam/report` answers the least-privilege view
behind `offline access-report`: per role of every account, what it used (allowed or denied) and each
granted (action, resource) of its Allow statements that no allowed decision matched.
"""

import json
import threading

_lock = threading.Lock()
_decisions = {}


def _role_of(arn):
    """`arn:aws:sts::A:assumed-role/R/S` -> `arn:aws:iam::A:role/R`; any other ARN as it is."""
    if ":assumed-role/" not in arn:
        return arn
    prefix, rest = arn.split(":assumed-role/", 1)
    partition_and_account = prefix.replace(":sts:", ":iam:", 1)
    return f"{partition_and_account}:role/{rest.split('/', 1)[0]}"


def record(principal_arn, action, resource, decision):
    """Count one authorization: `decision` is `allowed`, `implicit-deny` or `explicit-deny`."""
    key = (_role_of(principal_arn or "anonymous"), principal_arn or "anonymous", action, resource or "*", decision)
    with _lock:
        _decisions[key] = _decisions.get(key, 0) + 1


def listing():
    with _lock:
        items = list(_decisions.items())
    return [
        {"principal": p, "session": s, "action": a, "resource": r, "decision": d, "count": n}
        for (p, s, a, r, d), n in sorted(items)
    ]


def clear():
    with _lock:
        _decisions.clear()


def _caller_arn(access_key_id):
    from ministack.core import iam_evaluator
    from ministack.core.responses import get_account_id

    try:
        resolved = iam_evaluator.resolve_credential(access_key_id or "", get_account_id())
    except Exception:  # an ambiguous key: ministack refuses it itself
        return ""
    return getattr(resolved, "principal_arn", "") or ""


def install():
    from ministack.core import iam_evaluator

    original = iam_evaluator.enforce

    def enforce(access_key_id, iam_action, service, region, resource_arn="*", service_context=None):
        outcome = original(access_key_id, iam_action, service, region, resource_arn=resource_arn,
                           service_context=service_context)
        if outcome is None:
            record(_caller_arn(access_key_id), iam_action, resource_arn, "allowed")
        elif isinstance(outcome, iam_evaluator.EvalResult):
            decision = "explicit-deny" if outcome.decision == "Deny" else "implicit-deny"
            record(outcome.principal_arn or _caller_arn(access_key_id), iam_action, resource_arn, decision)
        return outcome

    iam_evaluator.enforce = enforce
    _record_deliveries()


def _record_deliveries():
    """Deliveries by a service principal (S3 -> SQS/SNS, SNS -> SQS), decided by the resource policy."""
    from ministack.services import sns, sqs

    def recorded(original, action):
        def allows(resource_arn, service, source_arn, source_account):
            allowed = original(resource_arn, service, source_arn, source_account)
            record(service, action, resource_arn, "allowed" if allowed else "implicit-deny")
            return allowed
        return allows

    sqs.queue_policy_allows = recorded(sqs.queue_policy_allows, "sqs:SendMessage")
    sns.topic_policy_allows = recorded(sns.topic_policy_allows, "sns:Publish")


def _as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _grants(role, account):
    """(policy name, action pattern, resource pattern) of each Allow statement of a role's policies."""
    from ministack.core import iam_evaluator

    documents = list((role.get("InlinePolicies") or {}).items())
    for arn in role.get("AttachedPolicies") or []:
        documents.append((arn, iam_evaluator._resolve_managed_policy_document(arn, account)))
    grants = []
    for name, document in documents:
        if isinstance(document, str):
            try:
                document = json.loads(document)
            except ValueError:
                continue
        for statement in _as_list((document or {}).get("Statement")):
            if statement.get("Effect") != "Allow":
                continue
            for action in _as_list(statement.get("Action")):
                for resource in _as_list(statement.get("Resource")):
                    grants.append((name, action, resource))
    return grants


def _matches(decision, action, resource):
    from ministack.core import iam_evaluator

    return (iam_evaluator.fnmatch_iam(decision["action"], action)
            and iam_evaluator.fnmatch_iam_cs(decision["resource"], resource))


def report():
    """Per role: what it used, and which grants nothing used."""
    from ministack.services import iam as iam_svc

    decisions = listing()
    by_principal = {}
    for decision in decisions:
        by_principal.setdefault(decision["principal"], []).append(decision)
    roles = {}
    for (account, _name), role in iam_svc._roles.to_dict().items():
        roles[role.get("Arn") or f"arn:aws:iam::{account}:role/{_name}"] = (role, account)
    principals = []
    for arn in sorted(set(by_principal) | set(roles)):
        used = by_principal.get(arn, [])
        allowed = [d for d in used if d["decision"] == "allowed"]
        unused = []
        if arn in roles:
            role, account = roles[arn]
            unused = [{"policy": policy, "action": action, "resource": resource}
                      for policy, action, resource in _grants(role, account)
                      if not any(_matches(d, action, resource) for d in allowed)]
        principals.append({"principal": arn, "used": used, "unused_grants": unused})
    return {"principals": principals}

"""STS AssumeRole refuses a role that does not exist or whose trust policy does not allow the caller.

What AWS documents:
- AssumeRole (STS API reference, https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html)
  returns credentials for the role the RoleArn names; the role's trust policy says who may assume it,
  and a role in another account must trust the caller's account. Its `ExternalId` parameter is the
  value a trust policy checks with the `sts:ExternalId` condition key
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-user_externalid.html).
- "I can't assume a role" (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_roles.html):
  the caller's account (or the caller) must be a Principal of the trust policy and every Condition of
  the trust policy must be met, an external ID included; otherwise STS answers HTTP 403 `AccessDenied`
  "User: <caller ARN> is not authorized to perform: sts:AssumeRole on resource: <role ARN>". A role that
  does not exist is refused with the same answer: STS does not disclose whether a role exists.
- Principal (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html):
  `{"AWS": "arn:aws:iam::<account>:root"}` or the bare 12-digit account id names every principal of
  that account; a role ARN names the role's sessions; a user ARN the user; an assumed-role session ARN
  that session; `"*"` (or `{"AWS": "*"}`) everyone. No other wildcard is allowed in a principal.
- Condition operators
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html):
  several operators, keys or values in one Condition block are ANDed across operators and keys and
  ORed across the values of one key; a key the request does not carry (an AssumeRole without
  ExternalId has no `sts:ExternalId`) makes a condition false, except for the negated operators
  (`StringNotEquals`, `StringNotLike`, `ArnNotEquals`, ...), `...IfExists` and `Null`. Condition key
  names are case-insensitive.
- Evaluation (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
  an explicit Deny overrides any Allow; with no Allow the request is implicitly denied.

What ministack 1.5.33 does: with AUTH=false (how the launcher runs it) AssumeRole never evaluates
anything: a role that does not exist, a trust policy naming another account, a wrong or missing
ExternalId all succeed and return credentials acting in the role's account. Our products reach member
accounts only through the role of `cross-account-role.yaml`, so "access lost" (role deleted) and
"wrong ExternalId refused" could not be shown offline. With AUTH=true (IAM enforced, the launcher's
default) ministack has its own check, which this patch leaves alone, except for a role that does not
exist: ministack refuses it with "User: is not authorized ..." (no caller named) and always in XML, so
that refusal is this patch's (the caller named, in the request's protocol).

The fix: before ministack issues the credentials, the role is looked up in the IAM store of the
account the RoleArn names (ministack's `iam._roles`, scoped by account; CloudFormation's
`AWS::IAM::Role` writes the same store in the stack's account, and deleting the stack removes the
role), and its AssumeRolePolicyDocument is evaluated for the caller:
- the caller is ministack's identity of the request's access key: a 12-digit key is its account (its
  ARN `arn:aws:iam::<account>:root`), a session key (AssumeRole credentials, a Lambda function's
  credentials) is `arn:aws:sts::<account>:assumed-role/<role>/<session>`;
- a statement applies when its Action (or NotAction) covers the action (wildcards allowed, case
  ignored), its Principal names the caller as above, and its Condition holds; the supported keys are
  `sts:ExternalId`, `sts:RoleSessionName`, `sts:SourceIdentity`, `aws:PrincipalAccount`,
  `aws:PrincipalArn` (for a session: its role's ARN) and `aws:PrincipalType`; the supported operators
  are `String(Not)Equals(IgnoreCase)`, `String(Not)Like`, `Arn(Not)Equals`, `Arn(Not)Like`, each also
  with `...IfExists`, and `Null`;
- fail closed: an operator or key outside that list (Numeric*, Date*, Bool, IpAddress, ForAnyValue:,
  `aws:PrincipalOrgID`, `aws:SourceIp`, tags, ...) never lets an Allow statement apply and always lets
  a Deny statement apply; a NotPrincipal statement likewise (IAM refuses NotPrincipal in trust
  policies). `aws:PrincipalOrgID` is unsupported because ministack keeps no organisation membership
  for our accounts;
- session tags need `sts:TagSession` and a SourceIdentity needs `sts:SetSourceIdentity` allowed as well,
  as AWS documents for those parameters;
- any matching Deny, or no matching Allow, answers 403 `AccessDenied` with AWS's message, in the query
  (XML) or JSON protocol the request used.
Validation errors (a malformed RoleArn, a missing RoleSessionName) still come from ministack, first,
as in AWS. Everything else (the credentials issued, GetCallerIdentity, the other actions) is
ministack's, unchanged.

Known differences kept: AWS refuses AssumeRole called with root-user credentials; offline every
12-digit access key acts as its account's root (there are no IAM users), so such a caller is treated
as a principal of its account, as an IAM user or role of that account would be. The caller's own
identity policy (sts:AssumeRole allowed on the role) is not evaluated: IAM is not enforced offline.
Policy variables (`${aws:username}`) are compared literally.
"""

import json
import re
from urllib.parse import parse_qs

from ministack.core.responses import error_response_json

from ministack.services import iam, sts

ACTION = "sts:AssumeRole"

_STRING_OPERATORS = {
    "stringequals": (False, False, False),  # (negated, ignore case, wildcards)
    "stringnotequals": (True, False, False),
    "stringequalsignorecase": (False, True, False),
    "stringnotequalsignorecase": (True, True, False),
    "stringlike": (False, False, True),
    "stringnotlike": (True, False, True),
}
_ARN_OPERATORS = {
    "arnequals": False,  # negated; ArnEquals and ArnLike both take wildcards
    "arnlike": False,
    "arnnotequals": True,
    "arnnotlike": True,
}


class _Unsupported(Exception):
    """An operator, key or element this evaluator does not implement (evaluated fail-closed)."""


def _request_params(headers, body, query_params):
    """The request's parameters, parsed as ministack's STS handler parses them."""
    params = dict(query_params or {})
    content_type = headers.get("content-type", "")
    target = headers.get("x-amz-target", "")
    if "amz-json" in content_type and target.startswith("AWSSecurityTokenServiceV20110615."):
        params["Action"] = [target.split(".")[-1]]
        if body:
            try:
                for key, value in json.loads(body).items():
                    params[key] = value if isinstance(value, list) else [str(value)]
            except (json.JSONDecodeError, TypeError, AttributeError):
                pass
    elif body:
        for key, value in parse_qs(body.decode("utf-8", errors="replace")).items():
            params[key] = value
    return params


def _one(params, name):
    value = params.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    return value


def _as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _wildcard(pattern, ignore_case=False):
    """AWS's `*` (any run) and `?` (one character) wildcards; everything else literal."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{body}$", re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _action_matches(patterns, action):
    return any(_wildcard(str(p), ignore_case=True).match(action) for p in _as_list(patterns))


def _role_of_session(arn):
    """`arn:aws:iam::<acct>:role/<name>` for an assumed-role session ARN, else None."""
    m = re.fullmatch(r"arn:([^:]+):sts::(\d{12}):assumed-role/([^/]+)/.+", arn or "")
    return f"arn:{m.group(1)}:iam::{m.group(2)}:role/{m.group(3)}" if m else None


def _principal_matches(principal, caller):
    """Whether a trust policy Principal element names the caller."""
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    for value in _as_list(principal.get("AWS")):
        value = str(value)
        if value == "*":
            return True
        if re.fullmatch(r"\d{12}", value) or re.fullmatch(r"arn:[^:]+:iam::\d{12}:root", value):
            if value.split(":")[4 if value.startswith("arn:") else 0] == caller["account"]:
                return True
            continue
        if value == caller["arn"]:
            return True
        role = re.fullmatch(r"arn:([^:]+):iam::(\d{12}):role/(?:.*/)?([^/]+)", value)
        session_role = _role_of_session(caller["arn"])
        if role and session_role and session_role == f"arn:{role.group(1)}:iam::{role.group(2)}:role/{role.group(3)}":
            return True
        user = re.fullmatch(r"arn:([^:]+):iam::(\d{12}):user/(?:.*/)?([^/]+)", value)
        caller_user = re.fullmatch(r"arn:([^:]+):iam::(\d{12}):user/(?:.*/)?([^/]+)", caller["arn"])
        if user and caller_user and user.groups() == caller_user.groups():
            return True
    return False


def _arn_matches(pattern, value):
    """ArnEquals/ArnLike: each of the six colon-separated parts matched with wildcards."""
    p_parts, v_parts = str(pattern).split(":", 5), str(value).split(":", 5)
    if len(p_parts) != 6 or len(v_parts) != 6:
        return False
    return all(_wildcard(p).match(v) for p, v in zip(p_parts, v_parts))


def _condition_holds(operator, key, expected, context):
    """One operator/key pair of a Condition block; raises _Unsupported for what is not implemented."""
    op = operator.lower()
    if ":" in op:  # ForAnyValue:, ForAllValues:
        raise _Unsupported(operator)
    key_l = key.lower()
    if key_l not in context:
        raise _Unsupported(key)
    actual = context[key_l]
    expected = [str(e) if not isinstance(e, bool) else ("true" if e else "false") for e in _as_list(expected)]
    if op == "null":
        # "true": the key must be absent; "false": present.
        return any((e.lower() == "true") == (actual is None) for e in expected)
    if_exists = op.endswith("ifexists")
    if if_exists:
        op = op[: -len("ifexists")]
    if op in _STRING_OPERATORS:
        negated, ignore_case, wildcards = _STRING_OPERATORS[op]

        def one(e):
            if wildcards:
                return bool(_wildcard(e, ignore_case).match(actual))
            return e.lower() == actual.lower() if ignore_case else e == actual
    elif op in _ARN_OPERATORS:
        negated = _ARN_OPERATORS[op]

        def one(e):
            return _arn_matches(e, actual)
    else:
        raise _Unsupported(operator)
    if actual is None:
        return if_exists or negated
    hit = any(one(e) for e in expected)
    return not hit if negated else hit


def _statement_applies(statement, action, caller, context):
    """Whether the statement covers this request; raises _Unsupported where it cannot tell."""
    if "NotPrincipal" in statement:
        raise _Unsupported("NotPrincipal")
    if "Action" in statement:
        if not _action_matches(statement["Action"], action):
            return False
    elif "NotAction" in statement:
        if _action_matches(statement["NotAction"], action):
            return False
    else:
        return False
    if not _principal_matches(statement.get("Principal"), caller):
        return False
    condition = statement.get("Condition") or {}
    if not isinstance(condition, dict):
        raise _Unsupported("Condition")
    for operator, pairs in condition.items():
        if not isinstance(pairs, dict):
            raise _Unsupported(operator)
        for key, expected in pairs.items():
            if not _condition_holds(operator, key, expected, context):
                return False
    return True


def trust_allows(document, action, caller, context):
    """AWS's evaluation of a role trust policy: an applying Deny refuses, else an applying Allow allows."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except (json.JSONDecodeError, TypeError):
            return False
    if not isinstance(document, dict):
        return False
    statements = [s for s in _as_list(document.get("Statement")) if isinstance(s, dict)]
    allowed = False
    for statement in statements:
        effect = statement.get("Effect")
        try:
            applies = _statement_applies(statement, action, caller, context)
        except _Unsupported:
            applies = effect == "Deny"  # fail closed
        if applies and effect == "Deny":
            return False
        if applies and effect == "Allow":
            allowed = True
    return allowed


def _caller(headers, query_params):
    identity = sts._caller_identity(headers, query_params)
    if not isinstance(identity, dict):
        return None
    arn = identity.get("userArn") or f"arn:aws:iam::{identity['accountId']}:root"
    principal_type = {"AssumedRole": "AssumedRole", "User": "User"}.get(identity.get("principalType"), "Account")
    return {"account": identity["accountId"], "arn": arn, "type": principal_type}


def _role_missing(role_arn):
    parts = role_arn.split(":", 5)
    return iam._roles.get_scoped(parts[4], None, parts[5].rsplit("/", 1)[-1]) is None


def refusal(params, headers, query_params, use_json):
    """The AccessDenied response for an AssumeRole request AWS would refuse, or None to go ahead."""
    role_arn = _one(params, "RoleArn") or ""
    caller = _caller(headers, query_params)
    if caller is None:
        return None  # ministack answers credential errors itself
    parts = role_arn.split(":", 5)
    role_account, role_name = parts[4], parts[5].rsplit("/", 1)[-1]
    role = iam._roles.get_scoped(role_account, None, role_name)
    external_id = _one(params, "ExternalId")
    source_identity = _one(params, "SourceIdentity")
    context = {
        "sts:externalid": external_id,
        "sts:rolesessionname": _one(params, "RoleSessionName"),
        "sts:sourceidentity": source_identity,
        "aws:principalaccount": caller["account"],
        "aws:principalarn": _role_of_session(caller["arn"]) or caller["arn"],
        "aws:principaltype": caller["type"],
    }
    tags, _ = sts._session_tags(params, check=False)
    actions = [ACTION]
    if tags or _one(params, "TransitiveTagKeys.member.1") or params.get("TransitiveTagKeys"):
        actions.append("sts:TagSession")
    if source_identity:
        actions.append("sts:SetSourceIdentity")
    denied = None
    if role is None:
        denied = ACTION
    else:
        document = role.get("AssumeRolePolicyDocument", "{}")
        denied = next((a for a in actions if not trust_allows(document, a, caller, context)), None)
    if denied is None:
        return None
    message = f"User: {caller['arn']} is not authorized to perform: {denied} on resource: {role_arn}"
    if use_json:
        return error_response_json("AccessDenied", message, 403)
    return iam._error(403, "AccessDenied", message, ns="sts")


def install():
    original = sts.handle_request

    async def handle_request(method, path, headers, body, query_params):
        from ministack.app import AUTH

        params = _request_params(headers, body, query_params)
        if _one(params, "Action") == "AssumeRole":
            role_arn = _one(params, "RoleArn") or ""
            _, invalid = sts._assumed_role_arn(role_arn, _one(params, "RoleSessionName"))
            # A malformed request gets ministack's validation error. With IAM enforced, ministack
            # evaluates the trust policy itself, but refuses a missing role naming no caller
            # ("User: is not authorized ...", always in XML): that refusal is ours.
            if invalid is None and (not AUTH or _role_missing(role_arn)):
                answer = refusal(params, headers, query_params, "amz-json" in headers.get("content-type", ""))
                if answer is not None:
                    return answer
        return await original(method, path, headers, body, query_params)

    sts.handle_request = handle_request


# ---------------------------------------------------------------------------------------------------
# Sessions of a deleted role.
#
# AWS: deleting a role does not recall credentials already issued, but every request they sign is
# evaluated against the role's policies, which are gone, so it is denied (AccessDenied); "When you
# delete a role ... any active sessions for the role fail" (IAM user guide, "Deleting roles or instance
# profiles", https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_manage_delete.html).
# ministack 1.5.33 (IAM not enforced) kept honouring such sessions, so a function holding cached
# session credentials never noticed that a member account had withdrawn its role.
# The launcher calls `revoked_session_answer` before every request: a request signed by a session whose
# role no longer exists is refused, in the caller's protocol (JSON services: 400 AccessDeniedException;
# the others: 403 AccessDenied).

_CREDENTIAL = re.compile(r"Credential=([A-Z0-9]+)/")


def _access_key(headers, query_string):
    match = _CREDENTIAL.search(headers.get("authorization", ""))
    if match:
        return match.group(1)
    for part in (query_string or "").split("&"):
        if part.startswith("X-Amz-Credential="):
            return part.split("=", 1)[1].split("%2F", 1)[0].split("/", 1)[0]
    return None


def revoked_session_answer(headers, query_string):
    """(status, content type, body) refusing a request signed by a deleted role's session, or None."""
    key = _access_key(headers, query_string)
    if not key or not key.startswith("ASIA"):
        return None
    session = sts._sessions.get(key)
    if not session:
        return None
    arn = str(session.get("Arn", ""))  # arn:aws:sts::<account>:assumed-role/<role>/<session>
    parts = arn.split(":", 5)
    if len(parts) < 6 or not parts[5].startswith("assumed-role/"):
        return None
    account, role_name = parts[4], parts[5].split("/")[1]
    if iam._roles.get_scoped(account, None, role_name) is not None:
        return None
    message = (f"User: {arn} is not authorized to perform this operation: "
               f"the role {role_name} in account {account} no longer exists")
    if headers.get("x-amz-target") or "amz-json" in headers.get("content-type", ""):
        body = json.dumps({"__type": "AccessDeniedException", "message": message}).encode()
        return 400, "application/x-amz-json-1.0", body
    body = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied</Code>"
            f"<Message>{message}</Message><RequestId>offline</RequestId></Error>").encode()
    return 403, "application/xml", body

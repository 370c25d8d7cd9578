"""Fault injection: make chosen invocations of a function fail, time out or be throttled.

Not an emulator gap but a test instrument: the state machines' Retry and Catch, and the event source
mappings' redrive to DLQs, can only be proved if a real invocation fails on demand. A rule names a
function (its physical name), the kind of fault, how many invocations to let through first (`skip`) and
how many to break (`times`); `matching`, when given, limits the rule to invocations whose JSON payload
contains that text (so concurrent tests can break their own run and nobody else's). Faults are answered with the result shapes ministack itself produces for
those failures, so every caller (Invoke, Step Functions, event source mappings) reacts as it would to
the real thing:
- `error`: an unhandled function error with the given `errorType` / `errorMessage`;
- `timeout`: `Sandbox.Timedout`, "Task timed out after N.00 seconds", as Lambda reports a timeout;
- `throttle`: `TooManyRequestsException` (Step Functions sees `Lambda.TooManyRequestsException`).

A rule with `s3_bucket` instead of `function` breaks listings (ListObjectVersions, ListObjectsV2) of
that bucket with S3's `InternalError` (500), so a caller's handling of a failed listing can be proved;
with `"s3_operation": "get"` it breaks GetObject of that bucket instead (`matching`: text in the key),
so a reader's retry of one object can be proved.

A rule with `dynamodb_table` (a table name) answers `TransactWriteItems` on that table with
`TransactionCanceledException` whose every reason is `TransactionConflict`, as DynamoDB answers when
another transaction writes the same item at the same time (ministack applies requests one at a time
and never does), so a writer's retry of a lost conflict can be proved.
"""

import threading

_rules = []
_lock = threading.Lock()
KINDS = ("error", "timeout", "throttle")


def add(rule: dict) -> dict:
    """Validate and store a rule; returns the stored rule."""
    if rule.get("s3_bucket"):
        operation = rule.get("s3_operation") or "list"
        if operation not in ("list", "get"):
            raise ValueError(f"s3_operation must be 'list' or 'get', not {operation!r}")
        prefix = "s3:" if operation == "list" else "s3get:"
        rule = dict(rule, function=prefix + str(rule["s3_bucket"]))
    if rule.get("dynamodb_table"):
        rule = dict(rule, function="dynamodb-transact:" + str(rule["dynamodb_table"]))
    function = rule.get("function")
    kind = rule.get("kind", "error")
    if not function or not isinstance(function, str):
        raise ValueError("fault rule needs 'function' (the function's physical name)")
    if kind not in KINDS:
        raise ValueError(f"fault kind must be one of {KINDS}, not {kind!r}")
    times = int(rule.get("times", 1))
    skip = int(rule.get("skip", 0))
    if times < 1 or skip < 0:
        raise ValueError("fault rule needs times >= 1 and skip >= 0")
    stored = {
        "function": function,
        "kind": kind,
        "times": times,
        "skip": skip,
        "error_type": rule.get("error_type") or "InjectedFault",
        "message": rule.get("message") or f"fault injected by the offline CLI ({kind})",
        "matching": rule.get("matching") or None,
        "injected": 0,
    }
    with _lock:
        _rules.append(stored)
    return stored


def clear():
    with _lock:
        _rules.clear()


def listing():
    with _lock:
        return [dict(r) for r in _rules]


def _payload_text(event):
    import json

    try:
        if isinstance(event, (bytes, bytearray)):
            event = event.decode("utf-8", "replace")
        if isinstance(event, str):
            event = json.loads(event)
        return json.dumps(event, separators=(",", ":"))
    except (TypeError, ValueError):
        return str(event)


def _take(function_name, event=None):
    """The rule that breaks this invocation, if any, consuming one use of it."""
    with _lock:
        for rule in _rules:
            if rule["function"] != function_name or rule["times"] <= 0:
                continue
            if rule.get("matching") and rule["matching"] not in _payload_text(event):
                continue
            if rule["skip"] > 0:
                rule["skip"] -= 1
                return None
            rule["times"] -= 1
            rule["injected"] += 1
            return dict(rule)
    return None


def _result(rule, config):
    if rule["kind"] == "throttle":
        from ministack.services import lambda_svc

        return lambda_svc._throttle_response(
            reason_code="ReservedFunctionConcurrentInvocationLimitExceeded", msg=rule["message"])
    if rule["kind"] == "timeout":
        timeout = int(config.get("Timeout", 3))
        return {"body": {"errorMessage": f"Task timed out after {timeout}.00 seconds",
                         "errorType": "Sandbox.Timedout"}, "error": True, "log": ""}
    return {"body": {"errorMessage": rule["message"], "errorType": rule["error_type"]},
            "error": True, "log": ""}


def install():
    from ministack.services import lambda_svc

    execute = lambda_svc._execute_function

    def execute_with_faults(func, event):
        config = func.get("config") or func
        rule = _take(config.get("FunctionName", ""), event)
        if rule is not None:
            return _result(rule, config)
        return execute(func, event)

    lambda_svc._execute_function = execute_with_faults

    from ministack.services import s3

    def failing(original):
        def listing(bucket_name, query_params):
            if _take("s3:" + bucket_name) is not None:
                return s3._error("InternalError", "We encountered an internal error. Please try again.", 500)
            return original(bucket_name, query_params)
        return listing

    s3._list_object_versions = failing(s3._list_object_versions)
    s3._list_objects_v2 = failing(s3._list_objects_v2)

    get_object = s3._get_object

    def failing_get(bucket_name, key, headers, query_params=None):
        if _take("s3get:" + bucket_name, key) is not None:
            return s3._error("InternalError", "We encountered an internal error. Please try again.", 500)
        return get_object(bucket_name, key, headers, query_params)

    s3._get_object = failing_get

    import json

    from ministack.services import dynamodb

    transact = dynamodb._transact_write_items

    def conflicting_transact(data):
        items = data.get("TransactItems") or []
        tables = {next(iter(item.values()), {}).get("TableName") for item in items if item}
        for table in tables:
            if table and _take("dynamodb-transact:" + table) is not None:
                reasons = [{"Code": "TransactionConflict",
                            "Message": "Transaction is ongoing for the item"} for _ in items]
                body = {
                    "__type": "TransactionCanceledException",
                    "message": "Transaction cancelled, please refer cancellation reasons for specific reasons ["
                               + ", ".join(r["Code"] for r in reasons) + "]",
                    "CancellationReasons": reasons,
                }
                return 400, {"Content-Type": "application/x-amz-json-1.0",
                             "x-amzn-errortype": "TransactionCanceledException"}, json.dumps(body).encode()
        return transact(data)

    dynamodb._transact_write_items = conflicting_transact

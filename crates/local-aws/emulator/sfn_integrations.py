"""Step Functions service integrations: results and errors shaped as AWS shapes them.

1. Lambda throttling. AWS: a Lambda task whose invocation is throttled fails with
   `Lambda.TooManyRequestsException` (the error the Step Functions guide's Lambda best practice retries).
   ministack 1.5.33 reported `Lambda.Unknown`, which no documented Retry matches. The replacement of
   `_call_lambda` is ministack's own, plus that one case.
2. Types of aws-sdk integration results from XML services (S3, and the query-protocol services). AWS
   returns the SDK's output shape: `KeyCount` and `Size` are numbers, `IsTruncated` a boolean, a list
   is a list even with one element. ministack 1.5.33 returned every XML value as a string (a Choice
   `NumericGreaterThan` on `$.KeyCount` never matched) and a one-element list as an object. The fix
   coerces each result against the operation's output shape in botocore's service model (the pinned
   botocore ministack itself depends on).
3. Optimized Athena integrations (https://docs.aws.amazon.com/step-functions/latest/dg/connect-athena.html):
   `arn:aws:states:::athena:startQueryExecution`, `getQueryExecution`, `getQueryResults`,
   `stopQueryExecution` (Request Response) and `startQueryExecution.sync` (Run a Job; the only Athena
   API that supports it). "The service integration APIs are the same as the corresponding Athena
   APIs": Parameters are the API's request fields and the result is its response, with the API's
   (PascalCase) names and timestamps as epoch milliseconds (as in the recorded output of AWS's own
   sample, aws-samples/serverless-patterns sfn-athena-cdk-python/README.md). `.sync` waits until the
   query ends: SUCCEEDED returns the GetQueryExecution response `{"QueryExecution": {...}}`; FAILED or
   CANCELLED fails the task with `States.TaskFailed` ("A Task state failed during the execution",
   https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html) with that
   GetQueryExecution response as JSON in the cause. The integration page names no error, so this is
   how .sync jobs report a failed job, not an Athena-specific documented name. A request the API
   refuses is `Athena.<ErrorCode>`, the optimized integrations' `<Service>.<Exception>` naming.
   ministack 1.5.33 failed every one of them with States.Runtime "not yet implemented". The calls go
   to ministack's Athena handler in the execution's own account scope, as its other integrations do.

Left as it is: aws-sdk calls act in the local AWS's default account whatever the state machine's
account (ministack signs them with a fixed credential); S3 errors are named S3.<Code>Exception.
"""

import json
import time

import botocore.session
import ministack.services.stepfunctions as sfn

_ExecutionError = sfn._ExecutionError
_session = botocore.session.get_session()
_models = {}


# ---------------------------------------------------------------------------
# 1. Lambda throttling
# ---------------------------------------------------------------------------
def _call_lambda(func_ref, event):
    from ministack.services import lambda_svc

    func, config, func_name = lambda_svc._get_func_record_for_ref(func_ref)
    if not func or not config:
        raise _ExecutionError("Lambda.ResourceNotFoundException", f"Function not found: {func_name}")
    record = lambda_svc._execution_record_for_config(func, config)
    result = lambda_svc._execute_function_with_config_scope(record, event)
    if result.get("throttle"):
        body = result.get("body") or {}
        raise _ExecutionError(
            "Lambda.TooManyRequestsException",
            "%s (Service: Lambda, Status Code: 429, Request ID: %s)"
            % (body.get("message", "Rate Exceeded."), sfn.new_uuid()),
        )
    if result.get("error"):
        body = result.get("body", {})
        if isinstance(body, dict):
            raise _ExecutionError(body.get("errorType", "Lambda.Unknown"), json.dumps(body))
        raise _ExecutionError("Lambda.Unknown", str(body))
    body = result.get("body")
    if body is None or isinstance(body, (dict, list)):
        return body
    try:
        return json.loads(body) if isinstance(body, (str, bytes)) else body
    except (json.JSONDecodeError, TypeError):
        return body


# ---------------------------------------------------------------------------
# 2. Result types from the SDK's output shapes
# ---------------------------------------------------------------------------
def _output_shape(service_name, action):
    key = (service_name, action)
    if key not in _models:
        try:
            model = _session.get_service_model(service_name)
            _models[key] = model.operation_model(action[0].upper() + action[1:]).output_shape
        except Exception:  # unknown service or operation: leave results as they are
            _models[key] = None
    return _models[key]


def _members(shape):
    """Member shapes by SDK name and by wire name (they differ for some XML members)."""
    out = {}
    for name, member in shape.members.items():
        out[name] = member
        out.setdefault(member.serialization.get("name", name), member)
    return out


def coerce(shape, value):
    """`value` as the SDK would hold it for `shape`."""
    if shape is None or value is None:
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        members = _members(shape)
        return {k: coerce(members.get(k) or members.get(k[:1].upper() + k[1:]), v) for k, v in value.items()}
    if kind == "list":
        items = value if isinstance(value, list) else [value]
        return [coerce(shape.member, v) for v in items]
    if kind == "map" and isinstance(value, dict):
        return {k: coerce(shape.value, v) for k, v in value.items()}
    if not isinstance(value, str):
        return value
    try:
        if kind in ("integer", "long"):
            return int(value)
        if kind in ("float", "double"):
            return float(value)
    except ValueError:
        return value
    if kind == "boolean":
        return value.lower() == "true"
    return value


def _typed(dispatch):
    def typed_dispatch(service_info, service_name, action, input_data):
        result = dispatch(service_info, service_name, action, input_data)
        shape = _output_shape(service_info.get("service_key", service_name), action)
        return coerce(shape, result) if isinstance(result, dict) else result

    return typed_dispatch


# ---------------------------------------------------------------------------
# 3. Optimized Athena integrations
# ---------------------------------------------------------------------------
_ATHENA = "arn:aws:states:::athena:"
_ATHENA_ACTIONS = ("startQueryExecution", "getQueryExecution", "getQueryResults", "stopQueryExecution")
_TERMINAL = ("SUCCEEDED", "FAILED", "CANCELLED")


def _optimized(shape, value):
    """An Athena response as an optimized integration returns it: no nulls, timestamps in epoch ms."""
    if shape is None or value is None:
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        return {k: _optimized(shape.members.get(k), v) for k, v in value.items() if v is not None}
    if kind == "list" and isinstance(value, list):
        return [_optimized(shape.member, v) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: _optimized(shape.value, v) for k, v in value.items()}
    if kind == "timestamp" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return round(value * 1000)  # ministack keeps epoch seconds
    return value


def _athena_call(action, request):
    from ministack import app

    operation = action[0].upper() + action[1:]
    headers = {
        "x-amz-target": f"AmazonAthena.{operation}",
        "content-type": "application/x-amz-json-1.1",
    }
    status, _, body = app.call_service_handler_sync(
        app.SERVICE_HANDLERS["athena"], "POST", "/", headers, json.dumps(request or {}), {})
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    result = json.loads(text) if text else {}
    if status >= 400:
        code = str(result.get("__type", "AmazonAthenaException")).rsplit("#", 1)[-1]
        raise _ExecutionError(
            f"Athena.{code}",
            "%s (Service: Athena, Status Code: %d, Request ID: %s)"
            % (result.get("message") or result.get("Message") or code, status, sfn.new_uuid()),
        )
    return _optimized(_output_shape("athena", action), result)


def _invoke_athena(resource, input_data):
    action = resource[len(_ATHENA):]
    sync = action.endswith(".sync")
    action = action[: -len(".sync")] if sync else action
    if action not in _ATHENA_ACTIONS or (sync and action != "startQueryExecution"):
        raise _ExecutionError("States.Runtime", f"{resource} is not a supported Athena integration")
    result = _athena_call(action, input_data)
    if not sync:
        return result
    request = {"QueryExecutionId": result["QueryExecutionId"]}
    pause = 0.05
    while True:
        execution = _athena_call("getQueryExecution", request)
        state = execution.get("QueryExecution", {}).get("Status", {}).get("State")
        if state == "SUCCEEDED":
            return execution
        if state in _TERMINAL:
            raise _ExecutionError("States.TaskFailed", json.dumps(execution, separators=(",", ":")))
        time.sleep(pause)
        pause = min(pause * 2, 0.5)


def install():
    sfn._call_lambda = _call_lambda
    for action in _ATHENA_ACTIONS:
        sfn._SERVICE_DISPATCH[_ATHENA + action] = _invoke_athena
    sfn._dispatch_aws_sdk_rest_xml = _typed(sfn._dispatch_aws_sdk_rest_xml)
    sfn._dispatch_aws_sdk_query = _typed(sfn._dispatch_aws_sdk_query)

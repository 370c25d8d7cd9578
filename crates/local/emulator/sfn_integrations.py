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

Left as it is: aws-sdk calls act in the local AWS's default account whatever the state machine's
account (ministack signs them with a fixed credential); S3 errors are named S3.<Code>Exception.
"""

import json

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


def install():
    sfn._call_lambda = _call_lambda
    sfn._dispatch_aws_sdk_rest_xml = _typed(sfn._dispatch_aws_sdk_rest_xml)
    sfn._dispatch_aws_sdk_query = _typed(sfn._dispatch_aws_sdk_query)

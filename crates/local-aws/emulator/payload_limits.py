"""AWS's payload limits, enforced as AWS enforces them, with AWS's error codes.

Each limit below names the AWS page it comes from; sizes are bytes of the UTF-8 encoding.

Step Functions (developer guide "Step Functions service quotas": "Maximum input or output size for a
task, state, or execution: 256 KiB of data as a UTF-8 encoded string"; API reference StartExecution /
StartSyncExecution `input`: "Length Constraints: Maximum length of 262144 ... expressed as bytes in
UTF-8 encoding"; "Handling errors in Step Functions workflows", States.DataLimitExceeded):
- StartExecution / StartSyncExecution with a larger `input` is refused with 400 ValidationException
  (the API's constraint violation). ministack 1.5.33 started it.
- A Task whose input after Parameters, or whose result, is larger fails with
  `States.DataLimitExceeded` ("The state/task '<name>' returned a result with a size exceeding the
  maximum number of bytes service limit."), as does any state whose output is larger. The error is
  terminal: a `States.ALL` Retry or Catch does not match it (asl.py P5); a Task's own Retry or Catch
  naming it does. A state's output over the limit fails that state, past its Catch. Child executions
  started with `states:startExecution[.sync]` take their input from the Task's Parameters, so a child
  input over the limit fails the Task with `States.DataLimitExceeded` before it starts. ministack
  1.5.33 passed any size.

Lambda (API reference Invoke: "For synchronous invocations, the maximum payload size is 6 MB. For
asynchronous invocations, the maximum payload size is 1 MB."; developer guide "Lambda quotas"):
- Invoke with a request body over 6,291,456 bytes (RequestResponse) or 1,048,576 bytes (Event) is
  refused with 413 RequestEntityTooLargeException. ministack 1.5.33 invoked it.
- A function response over the limit is a function error `Function.ResponseSizeTooLarge`,
  "Response payload size exceeded maximum allowed payload size (6291556 bytes)." (the size AWS
  reports). ministack 1.5.33 returned it.

EventBridge (API reference PutEvents, user guide "Calculating Amazon EventBridge PutEvents event entry
size": Time 14 bytes if given, Source, DetailType, Detail and each Resources entry their UTF-8 bytes;
"The total entry size must be less than 256KB"): a PutEvents request whose entries total more than
262,144 bytes is refused with 400 ValidationException "Total size of the entries in the request is
over the limit.". ministack 1.5.33 accepted it.

SQS (API reference SendMessage, MessageAttributeValue: "All parts of the message attribute, including
Name, Type, and Value, are part of the message size restriction (1 MiB or 1,048,576 bytes)"):
ministack 1.5.33 enforces the queue's MaximumMessageSize (default 1 MiB) on the body alone, and
SendMessageBatch's 1 MiB total on the bodies alone; here the attributes count too, with the same errors
(InvalidParameterValue, BatchRequestTooLong).

SNS Publish (256 KiB, Message and MessageAttributes, InvalidParameter) is enforced by ministack 1.5.33
already and is only proved by a test.
"""

import base64
import contextvars
import json

from ministack.services import eventbridge, lambda_svc, sqs
import ministack.services.stepfunctions as sfn

SFN_PAYLOAD_LIMIT = 262_144
LAMBDA_SYNC_REQUEST_LIMIT = 6_291_456
LAMBDA_ASYNC_REQUEST_LIMIT = 1_048_576
LAMBDA_RESPONSE_LIMIT = 6_291_556
EVENTBRIDGE_ENTRIES_LIMIT = 262_144
SQS_BATCH_LIMIT = 1_048_576

_state_name = contextvars.ContextVar("offline_state_name", default="")


def utf8_size(value) -> int:
    """Bytes of a payload: a string's UTF-8 encoding, bytes as they are, anything else as compact JSON."""
    if value is None:
        return 0
    if isinstance(value, bytes):
        return len(value)
    if isinstance(value, str):
        return len(value.encode("utf-8"))
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8"))


# ---------------------------------------------------------------------------
# Step Functions
# ---------------------------------------------------------------------------
def _data_limit(name, what):
    return sfn._ExecutionError(
        "States.DataLimitExceeded",
        f"The state/task '{name}' {what} with a size exceeding the maximum number of bytes service limit.")


def _refuse_large_input(original):
    def start(data):
        if utf8_size(data.get("input", "{}")) > SFN_PAYLOAD_LIMIT:
            return sfn.error_response_json(
                "ValidationException",
                "1 validation error detected: Value at 'input' failed to satisfy constraint: "
                f"Member must have length less than or equal to {SFN_PAYLOAD_LIMIT}", 400)
        return original(data)
    return start


def _checked_task(original):
    def invoke(resource, input_data, *rest):
        name = _state_name.get() or resource
        if utf8_size(input_data) > SFN_PAYLOAD_LIMIT:
            raise _data_limit(name, "has an input (after Parameters)")
        result = original(resource, input_data, *rest)
        if utf8_size(result) > SFN_PAYLOAD_LIMIT:
            raise _data_limit(name, "returned a result")
        return result
    return invoke


def _checked_state(original):
    def execute(state_def, raw_input, *rest):
        ctx = rest[-1] if rest else None
        name = ((ctx or {}).get("State") or {}).get("Name", "")
        token = _state_name.set(name)
        try:
            output, next_name = original(state_def, raw_input, *rest)
        finally:
            _state_name.reset(token)
        if utf8_size(output) > SFN_PAYLOAD_LIMIT:
            raise _data_limit(name, "returned a result")
        return output, next_name
    return execute


def _install_stepfunctions():
    sfn._start_execution = _refuse_large_input(sfn._start_execution)
    sfn._start_sync_execution = _refuse_large_input(sfn._start_sync_execution)
    sfn._invoke_resource = _checked_task(sfn._invoke_resource)
    sfn._invoke_with_callback = _checked_task(sfn._invoke_with_callback)
    for state_type in ("pass", "task", "choice", "wait", "parallel", "map"):
        name = f"_execute_{state_type}"
        setattr(sfn, name, _checked_state(getattr(sfn, name)))


# ---------------------------------------------------------------------------
# Lambda
# ---------------------------------------------------------------------------
def _invocation(path):
    # /2015-03-31/functions/{name}/invocations
    parts = [p for p in path.split("/") if p]
    return len(parts) == 4 and parts[1] == "functions" and parts[3] == "invocations"


def _install_lambda():
    original_handle = lambda_svc.handle_request
    original_execute = lambda_svc._execute_function

    async def handle_request(method, path, headers, body, query_params):
        if method == "POST" and _invocation(path):
            lowered = {k.lower(): v for k, v in (headers or {}).items()}
            kind = lowered.get("x-amz-invocation-type") or "RequestResponse"
            size = len(body or b"")
            if kind == "Event" and size > LAMBDA_ASYNC_REQUEST_LIMIT:
                return lambda_svc.error_response_json(
                    "RequestEntityTooLargeException",
                    f"{size} byte payload is too large for the Event invocation type "
                    f"(limit {LAMBDA_ASYNC_REQUEST_LIMIT} bytes)", 413)
            if kind == "RequestResponse" and size > LAMBDA_SYNC_REQUEST_LIMIT:
                return lambda_svc.error_response_json(
                    "RequestEntityTooLargeException",
                    f"Request must be smaller than {LAMBDA_SYNC_REQUEST_LIMIT} bytes for the "
                    "InvokeFunction operation", 413)
        return await original_handle(method, path, headers, body, query_params)

    def execute(func, event):
        result = original_execute(func, event)
        if isinstance(result, dict) and not result.get("error") and not result.get("throttle") \
                and utf8_size(result.get("body")) > LAMBDA_RESPONSE_LIMIT:
            return dict(result, error=True, body={
                "errorMessage": "Response payload size exceeded maximum allowed payload size "
                                f"({LAMBDA_RESPONSE_LIMIT} bytes).",
                "errorType": "Function.ResponseSizeTooLarge",
            })
        return result

    lambda_svc.handle_request = handle_request
    lambda_svc._execute_function = execute


# ---------------------------------------------------------------------------
# EventBridge
# ---------------------------------------------------------------------------
def entry_size(entry) -> int:
    """PutEventsRequestEntry size as the EventBridge user guide computes it."""
    size = 14 if entry.get("Time") is not None else 0
    for field in ("Source", "DetailType", "Detail"):
        size += utf8_size(entry.get(field))
    return size + sum(utf8_size(r) for r in entry.get("Resources") or [] if r is not None)


def _install_eventbridge():
    original = eventbridge._put_events

    def put_events(data, allow_aws_source=False):
        if not allow_aws_source and sum(entry_size(e) for e in data.get("Entries") or []) \
                > EVENTBRIDGE_ENTRIES_LIMIT:
            return eventbridge.error_response_json(
                "ValidationException", "Total size of the entries in the request is over the limit.", 400)
        return original(data, allow_aws_source=allow_aws_source)

    eventbridge._put_events = put_events


# ---------------------------------------------------------------------------
# SQS
# ---------------------------------------------------------------------------
def _binary_size(value):
    if isinstance(value, (bytes, bytearray)):
        return len(value)
    try:
        return len(base64.b64decode(value, validate=True))
    except (ValueError, TypeError):
        return utf8_size(value)


def attributes_size(attributes) -> int:
    """Name, type and value of every message attribute, as SQS counts them."""
    total = 0
    for name, attribute in (attributes or {}).items():
        attribute = attribute or {}
        total += utf8_size(name) + utf8_size(attribute.get("DataType"))
        total += utf8_size(attribute.get("StringValue"))
        if attribute.get("BinaryValue") is not None:
            total += _binary_size(attribute["BinaryValue"])
    return total


def _install_sqs():
    original_send = sqs._act_send_message
    original_batch = sqs._act_send_message_batch

    def send_message(data, qurl):
        attrs = attributes_size(data.get("MessageAttributes"))
        try:
            q = sqs._get_q(data.get("QueueUrl", qurl))
        except sqs._Err:
            q = None  # the original answers it
        if attrs and q is not None:
            try:
                max_size = int(q["attributes"].get("MaximumMessageSize", "1048576"))
            except (TypeError, ValueError):
                max_size = 1_048_576
            if utf8_size(data.get("MessageBody", "")) + attrs > max_size:
                raise sqs._Err(
                    "InvalidParameterValue",
                    f"One or more parameters are invalid. Reason: Message must be shorter than {max_size} bytes.")
        return original_send(data, qurl)

    def send_message_batch(data, qurl):
        entries = data.get("Entries") or []
        total = sum(utf8_size(e.get("MessageBody", "")) + attributes_size(e.get("MessageAttributes"))
                    for e in entries)
        if total > SQS_BATCH_LIMIT:
            raise sqs._Err(
                "BatchRequestTooLong",
                f"Batch requests cannot be longer than {SQS_BATCH_LIMIT} bytes. You have sent {total} bytes.")
        return original_batch(data, qurl)

    sqs._act_send_message = send_message
    sqs._act_send_message_batch = send_message_batch
    sqs._HANDLERS["SendMessage"] = send_message
    sqs._HANDLERS["SendMessageBatch"] = send_message_batch


def install():
    _install_stepfunctions()
    _install_lambda()
    _install_eventbridge()
    _install_sqs()

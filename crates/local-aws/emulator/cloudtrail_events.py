"""EventBridge PutEvents stands in for CloudTrail: "AWS API Call via CloudTrail" events can be put.

What AWS documents:
- CloudTrail delivers management events to EventBridge as events whose `detail-type` is
  "AWS API Call via CloudTrail" and whose `source` is the called service's (`aws.s3`, `aws.ec2`,
  `aws.iam`, ...); the `detail` is the CloudTrail record (`eventSource`, `eventName`, `eventTime`,
  `awsRegion`, `recipientAccountId`, `requestParameters`, ...)
  (https://docs.aws.amazon.com/eventbridge/latest/ref/events-structure.html,
  https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-aws-service-specific-topics.html).
  The envelope's `account` and `region` are those of the call: an event a member account's rule
  forwards to another account's bus keeps the member's `account`
  (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html).
- Only AWS services may emit `aws.*` sources: PutEvents refuses such an entry with the per-entry error
  `NotAuthorizedForSourceException`
  (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsResultEntry.html).

What ministack 1.5.33 does: the same refusal (`eventbridge._put_events(data, allow_aws_source=False)`;
only its built-in emitters, such as the Step Functions status events, pass `allow_aws_source=True`).
Nothing plays CloudTrail offline, so the CloudTrail events Historical's collector consumes could not
be produced at all; and every event record takes the caller's account and region
(`get_account_id()`, `get_region()`), so a forwarded member-account event could not be represented.

The fix: PutEvents (ministack's action table reads the module attribute `_put_events`, which this
patch wraps) accepts an entry whose `Source` starts with `aws.` when its `DetailType` is exactly
"AWS API Call via CloudTrail": the entry is what CloudTrail would have emitted. Its event record is
built as ministack builds every record (same bus resolution, id, time, log, rule dispatch, archives),
except that `account` is the detail's `recipientAccountId` and `region` its `awsRegion` when the
Detail JSON carries them (otherwise the caller's, as before). Rules and targets stay those of the
caller's account and region, as for any event put on the caller's bus. Every other `aws.*` entry is
still refused with `NotAuthorizedForSourceException`, exactly as before; entries of one request keep
their order in the answer and `FailedEntryCount` counts every refusal. Requests with more than 10
entries, and ministack's own emitters (`allow_aws_source=True`), go to ministack unchanged.

Known differences kept: the envelope's `time` is when PutEvents ran (ministack ignores an entry's
`Time`), not the detail's `eventTime`; consumers read `detail.eventTime`.
"""

import json

from ministack.core.responses import get_account_id, get_region, json_response, new_uuid

from ministack.services import eventbridge

CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail"


def is_cloudtrail_entry(entry):
    """Whether a PutEvents entry is shaped as CloudTrail's: an `aws.*` source and its detail-type."""
    if not isinstance(entry, dict):
        return False
    source = entry.get("Source")
    return (isinstance(source, str) and source.startswith("aws.")
            and entry.get("DetailType") == CLOUDTRAIL_DETAIL_TYPE)


def _scope_of(detail_text):
    """(account, region) of the event: the CloudTrail record's, else the caller's."""
    account, region = get_account_id(), get_region()
    try:
        detail = json.loads(detail_text) if isinstance(detail_text, str) else None
    except (json.JSONDecodeError, TypeError):
        detail = None
    if isinstance(detail, dict):
        recipient = detail.get("recipientAccountId")
        if isinstance(recipient, str) and recipient:
            account = recipient
        aws_region = detail.get("awsRegion")
        if isinstance(aws_region, str) and aws_region:
            region = aws_region
    return account, region


def _put_cloudtrail_entry(entry):
    """One CloudTrail-shaped entry put as `_put_events` puts an accepted entry; its result entry."""
    event_id = new_uuid()
    bus_name, bus_error = eventbridge._event_bus_name_from_ref(entry.get("EventBusName", "default"))
    if bus_error:
        code, message = bus_error
        return {"ErrorCode": code, "ErrorMessage": message}
    detail = entry.get("Detail", "{}")
    account, region = _scope_of(detail)
    event_record = {
        "EventId": event_id,
        "Source": entry.get("Source", ""),
        "DetailType": entry.get("DetailType", ""),
        "Detail": detail,
        "EventBusName": bus_name,
        "Time": int(eventbridge._now_ts()),
        "Resources": entry.get("Resources", []),
        "Account": account,
        "Region": region,
    }
    eventbridge._events_log_list().append(event_record)
    view = eventbridge._pattern_event_view(event_record)
    eventbridge._dispatch_event(event_record, view)
    eventbridge._archive_event(event_record, view)
    return {"EventId": event_id}


def install():
    original = eventbridge._put_events

    def put_events(data, allow_aws_source=False):
        entries = data.get("Entries", []) if isinstance(data, dict) else []
        if (allow_aws_source or not isinstance(entries, list) or len(entries) > 10
                or not any(is_cloudtrail_entry(e) for e in entries)):
            return original(data, allow_aws_source=allow_aws_source)
        results = []
        for entry in entries:
            if is_cloudtrail_entry(entry):
                results.append(_put_cloudtrail_entry(entry))
                continue
            status, _, body = original(dict(data, Entries=[entry]))
            if status >= 400:  # a request-level error: the request fails as a whole, as before
                return status, _, body
            results.extend(json.loads(body).get("Entries", []))
        failed = sum(1 for r in results if "ErrorCode" in r)
        return json_response({"FailedEntryCount": failed, "Entries": results})

    put_events.__wrapped__ = original
    eventbridge._put_events = put_events

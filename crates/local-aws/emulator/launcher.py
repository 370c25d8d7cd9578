"""The local AWS: ministack (pinned, see requirements.txt) with the fixes this project depends on.

Started by `offline emulator start`, which sets GATEWAY_PORT, AWS_ENDPOINT_URL and the state directory.
Each module next to this one closes one documented gap of ministack 1.5.33 (or adds one offline
instrument) and says what AWS documents, what ministack does, and what the patch changes:

- s3_inventory.py  S3 inventory configuration Put/Get/List/Delete (1.5.33 routes them to bucket calls)
- asl.py           Amazon States Language deviations of the Step Functions interpreter
- sfn_integrations.py  Lambda throttling, aws-sdk result types, optimized Athena integrations
- athena_ddl.py    Athena CREATE/DROP DATABASE, SHOW TABLES, ALTER TABLE ADD/DROP PARTITION; partitioned
                   tables read from their registered partitions
- dynamodb_ttl.py  TTL expiry emits the REMOVE stream record with the service identity
- dynamodb_query.py  Query reads the key range `pk = :v AND begins_with(sk, :p)` names, not the whole
                   partition
- s3_versions.py   GetObjectAcl on a noncurrent version of a deleted key
- s3_listing.py    `encoding-type=url` on ListObjectVersions, S3's `+` for a space in every encoded
                   listing, character references for what XML 1.0 cannot carry
- payload_limits.py  AWS's payload limits: Step Functions execution/state/task data (256 KiB,
                   States.DataLimitExceeded), Lambda Invoke (6 MB sync, 1 MB async, 6 MB response),
                   EventBridge PutEvents entries (256 KB), SQS message attributes in the 1 MiB
- cloudformation_fixes.py  template properties 1.5.33 ignores (a table's TimeToLiveSpecification)
- sts_assume_role.py  AssumeRole refuses a missing role or an untrusted caller (proved in sts_offline.rs)
- cloudtrail_events.py  PutEvents stands in for CloudTrail: "AWS API Call via CloudTrail" entries with
                   an aws.* source are accepted, with the record's account and region (proved in
                   cloudtrail_events.rs)
- faults.py        fault injection for tests (not a gap)
- activity.py      the idle check behind `offline pump --until-idle` (not a gap)
- sfn_iam.py       Step Functions integrations authorized as the state machine's role (or a task's
                   Credentials role), under enforced IAM
- cfn_stack_role.py CloudFormation acts as a stack's RoleARN with its resource handlers' permissions
                   (cfn_handler_permissions.json, from the pinned cfn-lint's registry schemas)
- role_sessions.py the sessions Step Functions and CloudFormation hold of a role (shared, not a patch)
- iam_resources.py resource ARNs ministack authorizes on `*` (Athena's workgroup and data catalogue)
- iam_access.py    records every IAM decision for `offline access-report` (not a gap)
- s3_missing_keys.py  a missing key is 403 AccessDenied to a caller without s3:ListBucket, as in AWS
- service_deliveries.py  deliveries by service principals: KMS key policies of encrypted topics and
                   queues, EventBridge targets' resource policies, S3 Inventory's destination bucket policy

IAM is enforced (ministack's AUTH=true) unless OFFLINE_IAM=off; see docs/local-aws.md, "IAM".

Every patch is proved by a test in tests/tests/emulator_gaps.rs (the Athena ones in athena_offline.rs).
The admin routes under /_offline/ are this launcher's own; everything else is ministack's.
"""

import asyncio
import json
import logging
import os
import resource
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import dynamodb_ttl  # noqa: E402

with dynamodb_ttl.suppress_original_reaper():
    from ministack.services import dynamodb  # noqa: E402,F401

from ministack import app as ministack_app  # noqa: E402
from ministack.services import lambda_svc, s3, sqs, stepfunctions  # noqa: E402,F401

import activity  # noqa: E402
import asl  # noqa: E402
import athena_ddl  # noqa: E402
import cfn_stack_role  # noqa: E402
import cloudformation_fixes  # noqa: E402
import cloudtrail_events  # noqa: E402
import dynamodb_query  # noqa: E402
import faults  # noqa: E402
import iam_access  # noqa: E402
import iam_resources  # noqa: E402
import organizations  # noqa: E402
import payload_limits  # noqa: E402
import s3_inventory  # noqa: E402
import s3_listing  # noqa: E402
import s3_missing_keys  # noqa: E402
import s3_versions  # noqa: E402
import service_deliveries  # noqa: E402
import sfn_iam  # noqa: E402
import sfn_integrations  # noqa: E402
import sts_assume_role  # noqa: E402

PATCHES = {
    "s3-inventory-configurations": s3_inventory.install,
    "s3-noncurrent-version-acl": s3_versions.install,
    "s3-listing-encoding": s3_listing.install,
    "s3-missing-key-without-list": s3_missing_keys.install,
    "asl": asl.install,
    "sfn-integrations": sfn_integrations.install,
    "athena-ddl-and-partitions": athena_ddl.install,
    "dynamodb-ttl-stream-record": dynamodb_ttl.install,
    "dynamodb-query-key-range": dynamodb_query.install,
    "cloudformation-table-ttl": cloudformation_fixes.install,
    "sts-assume-role-trust": sts_assume_role.install,
    "cloudtrail-events-on-eventbridge": cloudtrail_events.install,
    # After asl, sfn-integrations and cloudtrail-events: it wraps what they installed.
    "payload-limits": payload_limits.install,
    "fault-injection": faults.install,
    "iam-access-log": iam_access.install,
    # After the access log: it wraps the deliveries' resource policy checks this one extends.
    "service-deliveries": service_deliveries.install,
    "iam-resource-arns": iam_resources.install,
    "organizations-paging-and-parents": organizations.install,
    # After payload-limits: authorizes each task before it is sized and run.
    "sfn-integrations-as-role": sfn_iam.install,
    "cloudformation-stack-role": cfn_stack_role.install,
}

logger = logging.getLogger("offline")


async def _read_body(receive):
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


async def _respond(send, status, payload):
    data = json.dumps(payload).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]})
    await send({"type": "http.response.body", "body": data})


async def _admin(scope, receive, send):
    path, method = scope["path"], scope["method"]
    body = await _read_body(receive)
    try:
        if path == "/_offline/health":
            from ministack.app import AUTH

            return await _respond(send, 200, {"ok": True, "patches": sorted(PATCHES),
                                              "iam": "enforce" if AUTH else "off"})
        if path == "/_offline/iam/report" and method == "GET":
            return await _respond(send, 200, iam_access.report())
        if path == "/_offline/iam/access":
            if method == "DELETE":
                iam_access.clear()
            return await _respond(send, 200, {"decisions": iam_access.listing()})
        if path == "/_offline/s3/inventory-configurations" and method == "GET":
            return await _respond(send, 200, {"configurations": s3_inventory.all_configurations()})
        if path == "/_offline/s3/inventory-configurations/served" and method == "POST":
            served = json.loads(body or b"{}")
            claimed = s3_inventory.mark_served(served["account"], served["bucket"], served["id"])
            return await _respond(send, 200, dict(served, claimed=claimed))
        if path == "/_offline/s3/inventory-configurations/released" and method == "POST":
            failed = json.loads(body or b"{}")
            released = s3_inventory.release(failed["account"], failed["bucket"], failed["id"])
            return await _respond(send, 200, dict(failed, released=released))
        if path == "/_offline/s3/inventory-delivery" and method == "POST":
            asked = json.loads(body or b"{}")
            allowed, why = service_deliveries.inventory_delivery(
                asked["destinationAccount"], asked["destinationBucket"], asked["key"],
                asked["sourceAccount"], asked["sourceBucket"])
            return await _respond(send, 200, {"allowed": allowed, "reason": why})
        if path == "/_offline/activity" and method == "GET":
            return await _respond(send, 200, activity.snapshot())
        if path == "/_offline/faults":
            if method == "POST":
                return await _respond(send, 200, faults.add(json.loads(body or b"{}")))
            if method == "DELETE":
                faults.clear()
                return await _respond(send, 200, {"rules": []})
            return await _respond(send, 200, {"rules": faults.listing()})
        if path == "/_offline/organizations/accounts":
            if method == "POST":
                return await _respond(send, 200, organizations.place_accounts(json.loads(body or b"{}")))
            return await _respond(send, 200, organizations.describe())
        if path == "/_offline/dynamodb/expire-ttl" and method == "POST":
            return await _respond(send, 200, {"expired": dynamodb_ttl.sweep()})
        return await _respond(send, 404, {"error": f"no offline admin route {method} {path}"})
    except (ValueError, KeyError) as exc:
        return await _respond(send, 400, {"error": str(exc)})


def _over_tls(scope):
    """Every AWS SDK call reaches AWS over TLS; offline it reaches loopback in plain HTTP.

    With IAM enforced, ministack gives `aws:SecureTransport` from the request's scheme or its
    `X-Forwarded-Proto`, so our buckets' `DenyInsecureTransport` statements (as AWS recommends) would
    refuse every call. A request that does not say otherwise is taken as arriving over TLS, as it
    would in AWS; one that sends `X-Forwarded-Proto: http` is plain HTTP (the way a test shows the
    Deny firing). Documented in docs/local-aws.md, "IAM".
    """
    headers = scope.get("headers", [])
    if any(name.lower() == b"x-forwarded-proto" for name, _ in headers):
        return scope
    return dict(scope, headers=list(headers) + [(b"x-forwarded-proto", b"https")])


async def app(scope, receive, send):
    if scope["type"] == "http" and scope["path"].startswith("/_offline/"):
        return await _admin(scope, receive, send)
    if scope["type"] == "http":
        scope = _over_tls(scope)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        refused = sts_assume_role.revoked_session_answer(headers, scope.get("query_string", b"").decode("latin-1"))
        if refused is not None:
            status, content_type, body = refused
            await send({"type": "http.response.start", "status": status,
                        "headers": [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]})
            return await send({"type": "http.response.body", "body": body})
    return await ministack_app.app(scope, receive, send)


def main():
    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    for name, install in PATCHES.items():
        install()
        logger.info("offline patch installed: %s", name)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    config = Config()
    config.bind = [f"127.0.0.1:{os.environ['GATEWAY_PORT']}"]
    config.keep_alive_timeout = 75
    config.loglevel = os.environ.get("LOG_LEVEL", "WARNING")
    asyncio.run(serve(app, config))


if __name__ == "__main__":
    main()

"""Is anything still moving? The answer `offline pump --until-idle` waits on.

AWS has no such question; offline it is what makes a test deterministic without sleeping: after
sending events, wait until every queue that feeds a function is empty, every DynamoDB stream that feeds
a function has been read to its end, and no function is executing. Queues nobody consumes (DLQs,
subscriber queues) are not counted: they are where messages come to rest.
"""

from ministack.core.arn import ArnParseError, parse_arn
from ministack.core.responses import request_scope


def snapshot() -> dict:
    from ministack.services import dynamodb as ddb
    from ministack.services import lambda_svc
    from ministack.services import sqs

    queues, streams = [], []
    for account, region, esm in lambda_svc._iter_all_esms():
        if not esm.get("Enabled", True):
            continue
        arn = esm.get("EventSourceArn", "")
        try:
            spec = parse_arn(arn)
        except ArnParseError:
            continue
        with request_scope(account, region):
            if spec.service == "sqs":
                q = sqs._queue_by_arn(arn)
                pending = len(q["messages"]) if q else 0
                if pending:
                    queues.append({"queue": arn, "messages": pending, "function": esm.get("FunctionName")})
            elif spec.service == "dynamodb" and "/stream/" in arn:
                table_name = arn.split("/stream/")[0].split("/")[-1]
                table = ddb._tables.get(table_name)
                if not table or table.get("LatestStreamArn") != arn:
                    continue
                end = ddb.stream_end_position(table_name)
                with lambda_svc._dynamodb_stream_positions_lock:
                    position = lambda_svc._dynamodb_stream_positions.get(esm["UUID"])
                if position is None:
                    # Not yet anchored: LATEST anchors at the end, TRIM_HORIZON at the start.
                    if esm.get("StartingPosition") == "TRIM_HORIZON":
                        position = ddb.stream_start_position(table_name)
                    else:
                        position = end
                if position < end:
                    streams.append({"stream": arn, "behind": end - position, "function": esm.get("FunctionName")})
    executing, per_function = lambda_svc.executions_in_flight()
    with lambda_svc._esm_inflight_lock:
        batches = sum(lambda_svc._esm_inflight.values())
    idle = not queues and not streams and executing == 0 and batches == 0
    return {
        "idle": idle,
        "queues": queues,
        "streams": streams,
        "executing": executing,
        "executingByFunction": per_function,
        "batchesInFlight": batches,
    }

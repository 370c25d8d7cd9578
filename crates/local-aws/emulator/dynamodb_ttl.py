"""DynamoDB TTL expiry with the stream record AWS documents.

What AWS documents (DynamoDB developer guide, "Time to Live" and "DynamoDB Streams and Time to Live"):
an item whose TTL attribute is in the past is deleted by the service, typically within a few days, and
the deletion appears on the table's stream as a REMOVE record whose `userIdentity` is
`{"type": "Service", "principalId": "dynamodb.amazonaws.com"}` — that is how a consumer tells an
expiry from a user's DeleteItem.

What ministack 1.5.33 does: a reaper thread deletes expired items once a minute but writes no stream
record at all. Historical's Differ writes a deletion marker on TTL expiry, so it needs that record.

The fix: ministack's reaper thread is not started (see `suppress_original_reaper`); ours sweeps every
`OFFLINE_TTL_SWEEP_SECONDS` (default 5; AWS takes hours to days, which no test can wait for) and emits
the REMOVE record with the service identity. `sweep()` also runs on demand through
`POST /_offline/dynamodb/expire-ttl`, so tests need not wait at all.
"""

import logging
import os
import threading
import time

logger = logging.getLogger("offline.ttl")

SERVICE_IDENTITY = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
REAPER_THREAD = "dynamodb-ttl-reaper"

# Set while the sweep emits an expiry, so the change records built then carry the service identity.
_expiring = threading.local()


class suppress_original_reaper:
    """While importing ministack's dynamodb module, do not start its TTL reaper thread."""

    def __enter__(self):
        self._start = threading.Thread.start

        def start(thread, *args, **kwargs):
            if thread.name == REAPER_THREAD:
                return None
            return self._start(thread, *args, **kwargs)

        threading.Thread.start = start
        return self

    def __exit__(self, *exc):
        threading.Thread.start = self._start
        return False


def sweep(now=None):
    """Delete every expired item of every TTL-enabled table, emitting AWS's REMOVE stream record.

    Returns the number of items expired."""
    from ministack.core.responses import request_scope
    from ministack.services import dynamodb as ddb

    now = time.time() if now is None else now
    expired = 0
    with ddb._lock:
        for (account, region, table_name), setting in list(ddb._ttl_settings.all_items()):
            if setting.get("TimeToLiveStatus") != "ENABLED" or not setting.get("AttributeName"):
                continue
            attr = setting["AttributeName"]
            with request_scope(account, region):
                table = ddb._tables.get(table_name)
                if not table:
                    continue
                for pk_val, sk_map in list(table["items"].items()):
                    for sk_val, item in list(sk_map.items()):
                        ttl_value = item.get(attr)
                        # AWS: the attribute must be a Number holding epoch seconds; anything else never expires.
                        if not isinstance(ttl_value, dict) or "N" not in ttl_value:
                            continue
                        try:
                            if float(ttl_value["N"]) > now:
                                continue
                        except ValueError:
                            continue
                        old_item = ddb._remove_item(table, pk_val, sk_val)
                        if old_item is None:
                            continue
                        _expiring.active = True
                        try:
                            ddb._emit_stream_event(table_name, "REMOVE", old_item, None)
                        finally:
                            _expiring.active = False
                        expired += 1
    return expired


def _reaper(interval):
    while True:
        time.sleep(interval)
        try:
            sweep()
        except Exception as exc:  # a sweep failure must never kill the thread
            logger.error("TTL sweep failed: %s", exc)


def install():
    from ministack.services import dynamodb as ddb

    build_change_record = ddb._build_change_record

    def build_with_identity(*args, **kwargs):
        record = build_change_record(*args, **kwargs)
        if getattr(_expiring, "active", False):
            record["userIdentity"] = dict(SERVICE_IDENTITY)
        return record

    ddb._build_change_record = build_with_identity
    interval = float(os.environ.get("OFFLINE_TTL_SWEEP_SECONDS", "5"))
    threading.Thread(target=_reaper, args=(interval,), daemon=True, name="offline-ttl-reaper").start()

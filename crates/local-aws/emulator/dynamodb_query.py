"""DynamoDB Query reads the key range it names, as DynamoDB does.

What DynamoDB does (DynamoDB developer guide, "Query operations"): a Query finds the items of one
partition key value whose sort key satisfies the key condition, reading only that range of the
partition, so its time grows with what it returns, not with the partition.

What ministack 1.5.33 does: every Query sorts every item of the partition and evaluates the key
condition on each, so a query's time grows with the whole partition. A Harvester run keeps all its
records under one partition key; with 10,000 accounts, Cleanup's per-account
`pk = :run AND begins_with(sk, :prefix)` queries made its removal quadratic (about 1.9 accounts/s).

This patch narrows the partition before ministack's own Query runs, for the key condition shape our
functions use, `<pk> = :v AND begins_with(<sk>, :prefix)` on a table's own string sort key: the
items whose sort key starts with the prefix are put in a partition of their own, in a table copy
registered for this one call under a name of its own (the real table, and any request writing to it
meanwhile, are untouched). ministack then validates, sorts, filters, pages and projects exactly as
before, over exactly the items the key condition admits, so the answer is the same. Every other
Query is ministack's, unchanged.
"""

import itertools
import re

_SHAPE = re.compile(
    r"^\s*(?P<pk>[#\w]+)\s*=\s*(?P<pv>:\w+)\s+AND\s+begins_with\s*\(\s*(?P<sk>[#\w]+)\s*,\s*(?P<prefix>:\w+)\s*\)\s*$",
    re.IGNORECASE,
)
_NAME_MAX = 255
_calls = itertools.count()


def _narrowed(dynamodb, data):
    """`(copy name, copy)` of the queried table holding only the key range, or None when the
    query is not of the narrowed shape (ministack then answers it as it is)."""
    if data.get("IndexName") or data.get("KeyConditions"):
        return None
    if data.get("ReturnConsumedCapacity", "NONE") != "NONE":
        return None  # its answer names the table: left to ministack
    match = _SHAPE.match(data.get("KeyConditionExpression") or "")
    if not match:
        return None
    names = data.get("ExpressionAttributeNames") or {}
    values = data.get("ExpressionAttributeValues") or {}
    name = dynamodb._normalize_table_name(data.get("TableName"))
    table = dynamodb._tables.get(name) if isinstance(name, str) else None
    if not table or not table.get("sk_name"):
        return None
    pk_name = names.get(match["pk"], match["pk"])
    sk_name = names.get(match["sk"], match["sk"])
    pk_value, prefix = values.get(match["pv"]), values.get(match["prefix"])
    if pk_name != table.get("pk_name") or sk_name != table.get("sk_name"):
        return None
    if not isinstance(pk_value, dict) or not isinstance(prefix, dict) or set(prefix) != {"S"}:
        return None
    partition = table["items"].get(dynamodb._extract_key_val(pk_value))
    if partition is None:
        return None
    start = prefix["S"]
    in_range = {
        key: item for key, item in partition.items()
        if isinstance(item.get(sk_name), dict) and str(item[sk_name].get("S", "")).startswith(start)
    }
    copy_name = f"{name}.offline-range-{next(_calls)}"
    if len(copy_name) > _NAME_MAX:
        return None
    copy = dict(table)
    copy["items"] = {dynamodb._extract_key_val(pk_value): in_range}
    return copy_name, copy


def install():
    from ministack.services import dynamodb

    query = dynamodb._query

    def ranged_query(data):
        narrowed = _narrowed(dynamodb, data)
        if narrowed is None:
            return query(data)
        copy_name, copy = narrowed
        dynamodb._tables[copy_name] = copy
        try:
            return query(dict(data, TableName=copy_name))
        finally:
            dynamodb._tables.pop(copy_name, None)

    dynamodb._query = ranged_query

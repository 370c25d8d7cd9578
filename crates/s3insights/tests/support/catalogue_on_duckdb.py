"""Runs the built-in query catalogue on DuckDB the way the offline Athena does.

Reads a JSON request on stdin: {"ddl": CREATE EXTERNAL TABLE text, "files": [Parquet paths under
account=/region=/bucket= folders], "queries": [{"name", "sql"}], "more_tables": [{"ddl", "files"}]
(optional: other tables the queries may read, e.g. a previous run's)}. The DDL goes through the offline
Athena's own parser (so it must be a table the local AWS accepts), the table becomes the same DuckDB
relation the local AWS builds over its files, and every query's table reference is rewritten to it
exactly as the local AWS rewrites it. Prints {"table": {...}, "results": {name: {"columns", "rows"} |
{"error"}}} on stdout, every cell as text (or null).
"""

import json
import sys

import duckdb
from ministack.services import athena


def table(ddl_text, files):
    ddl = athena._parse_ddl(ddl_text)
    if not isinstance(ddl, athena._CreateTable):
        raise SystemExit("the offline Athena does not parse the table DDL")
    table_data = athena._create_table_input(ddl)
    return ddl, table_data, athena._table_relation(table_data, files)


def main():
    request = json.load(sys.stdin)
    ddl, table_data, relation = table(request["ddl"], request["files"])
    # More tables (a previous run's), queried beside the first.
    relations = {(ddl.database, ddl.table): relation}
    for extra in request.get("more_tables", []):
        other, _, other_relation = table(extra["ddl"], extra["files"])
        relations[(other.database, other.table)] = other_relation
    out = {
        "table": {
            "database": ddl.database,
            "table": ddl.table,
            "columns": [[c["Name"], c["Type"]] for c in ddl.columns],
            "partition_keys": [[c["Name"], c["Type"]] for c in ddl.partition_keys],
            "location": ddl.location,
            "format": athena._data_format(table_data),
        },
        "results": {},
    }
    for query in request["queries"]:
        sql = query["sql"]
        edits = []
        for ref in athena._table_references(sql):
            if (ref.database, ref.table) not in relations:
                continue
            alias = "" if ref.aliased else f' AS "{ref.table}"'
            edits.append((ref.start, ref.end, relations[(ref.database, ref.table)] + alias))
        for start, end, replacement in sorted(edits, reverse=True):
            sql = sql[:start] + replacement + sql[end:]
        conn = duckdb.connect(":memory:")
        try:
            result = conn.execute(sql)
            columns = [d[0] for d in result.description]
            rows = [[None if v is None else str(v) for v in row] for row in result.fetchall()]
            out["results"][query["name"]] = {"columns": columns, "rows": rows, "references": len(edits)}
        except duckdb.Error as error:
            out["results"][query["name"]] = {"error": str(error), "references": len(edits)}
        finally:
            conn.close()
    json.dump(out, sys.stdout)


main()

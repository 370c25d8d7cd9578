"""Athena DDL on the Glue Data Catalog, and partitioned tables read from their registered partitions.

What AWS documents (Athena user guide, SQL reference):
- CREATE {DATABASE|SCHEMA} [IF NOT EXISTS] name [COMMENT 'c'] [LOCATION 's3://...']
  [WITH DBPROPERTIES ('k'='v', ...)] creates the Glue database (COMMENT becomes its Description);
  without IF NOT EXISTS an existing database is an error.
  https://docs.aws.amazon.com/athena/latest/ug/create-database.html
- DROP {DATABASE|SCHEMA} [IF EXISTS] name [RESTRICT|CASCADE]: RESTRICT (the default) does not drop a
  database that contains tables; CASCADE drops it with all its tables.
  https://docs.aws.amazon.com/athena/latest/ug/drop-database.html
- SHOW TABLES [IN database_name] ['regular_expression'] lists the tables (`*` or `.*` any characters,
  `|` a choice); its StatementType is UTILITY, not DDL, so GetQueryResults carries no header row
  (ministack gives the header row to DML only).
  https://docs.aws.amazon.com/athena/latest/ug/show-tables.html
- ALTER TABLE t ADD [IF NOT EXISTS] PARTITION (k = v [, ...]) [LOCATION 's3://...'] [PARTITION ...]
  registers one or more partitions in one statement; without LOCATION the Hive-style path
  `<table location>/k1=v1/k2=v2/` is assumed; IF NOT EXISTS suppresses the error for a partition that
  exists. ALTER TABLE t DROP [IF EXISTS] PARTITION (k = v [, ...]) [, PARTITION (...)] removes them.
  https://docs.aws.amazon.com/athena/latest/ug/alter-table-add-partition.html
  https://docs.aws.amazon.com/athena/latest/ug/alter-table-drop-partition.html
- A partitioned table is read from its partitions: "When you query a partitioned table, Athena uses the
  predicates in the query to filter the list of partitions. Then it uses the locations of the matching
  partitions to process the files found"; partitions are loaded into the catalog after the table is
  created (MSCK REPAIR TABLE, ALTER TABLE ADD PARTITION, or partition projection), so a Hive table whose
  partitions were never loaded returns no rows.
  https://docs.aws.amazon.com/athena/latest/ug/ctas-partitioning-and-bucketing-what-is-partitioning.html
  https://docs.aws.amazon.com/athena/latest/ug/partitions.html

What ministack 1.5.33 did: none of these statements is parsed, so each went to DuckDB and failed with
a parser error (and CREATE EXTERNAL TABLE in a database never created failed "Schema does not exist").
A partitioned table was read from every file under its LOCATION, its partition columns taken from
`key=value` folder names, whatever partitions were registered (none could be): files of unregistered
partitions were read, a key no folder is named after (`bucket_name` under `bucket=a/` folders) was no
column at all, and a folder named like a data column (`bucket=a` over a `bucket` column) shadowed it.

The patch: the statements above are parsed here (anything else still goes to ministack's own DDL
parser, then DuckDB) and run against ministack's Glue store (glue._databases, _tables, _partitions).
A partitioned table with registered partitions is read from their locations only, each partition's
files with ministack's own reader for the table's format and no Hive folder parsing, its partition
columns the registered values typed as the keys; one with none reads as no rows. Unpartitioned tables
and tables with partition projection (`projection.enabled`) are read as ministack reads them.
Query failures are FAILED executions whose StateChangeReason says why (e.g. "Database s3i already
exists"), as Athena reports DDL failures. Proved by tests/tests/athena_offline.rs.
"""

import contextvars
import copy
import re
import shutil
from dataclasses import dataclass, field

from ministack.services import athena
from ministack.services import glue as glue_svc

_NO_ROWS = {"columns": [], "rows": [], "column_types": []}


@dataclass(frozen=True)
class _CreateDatabase:
    name: str
    if_not_exists: bool = False
    comment: str | None = None
    location: str | None = None
    properties: dict = field(default_factory=dict)


@dataclass(frozen=True)
class _DropDatabase:
    name: str
    if_exists: bool = False
    cascade: bool = False


@dataclass(frozen=True)
class _ShowTables:
    database: str | None
    pattern: str | None = None


@dataclass(frozen=True)
class _AddPartitions:
    database: str | None
    table: str
    partitions: tuple  # ((spec, location or None), ...); spec: ((key, value), ...)
    if_not_exists: bool = False


@dataclass(frozen=True)
class _DropPartitions:
    database: str | None
    table: str
    specs: tuple
    if_exists: bool = False


_OURS = (_CreateDatabase, _DropDatabase, _ShowTables, _AddPartitions, _DropPartitions)


# ---------------------------------------------------------------------------
# Parsing (ministack's own tokenizer; None leaves the statement to ministack)
# ---------------------------------------------------------------------------
def _cursor(query):
    cursor = athena._Cursor(query)
    if cursor.tokens and cursor.tokens[-1][:2] == ("punct", ";"):
        cursor.tokens.pop()
    if any(token[:2] == ("punct", ";") for token in cursor.tokens):
        return None
    return cursor


def _database_keyword(cursor):
    return cursor.keywords("database") or cursor.keywords("schema")


def _parse(query):
    cursor = _cursor(query)
    if cursor is None:
        return None
    if cursor.keywords("create"):
        return _create_database(cursor) if _database_keyword(cursor) else None
    if cursor.keywords("drop"):
        return _drop_database(cursor) if _database_keyword(cursor) else None
    if cursor.keywords("show", "tables"):
        return _show_tables(cursor)
    if cursor.keywords("alter", "table"):
        return _alter_partitions(cursor)
    return None


def _create_database(cursor):
    if_not_exists = cursor.keywords("if", "not", "exists")
    name = cursor.identifier()
    if name is None:
        return None
    comment = location = None
    properties = {}
    while not cursor.at_end():
        if cursor.keywords("comment"):
            comment = cursor.string()
            if comment is None:
                return None
        elif cursor.keywords("location"):
            location = cursor.string()
            if location is None:
                return None
        elif cursor.keywords("with", "dbproperties"):
            parsed = athena._property_list(cursor)
            if parsed is None:
                return None
            properties.update(parsed)
        else:
            return None
    return _CreateDatabase(name, if_not_exists, comment, location, properties)


def _drop_database(cursor):
    if_exists = cursor.keywords("if", "exists")
    name = cursor.identifier()
    if name is None:
        return None
    cascade = cursor.keywords("cascade")
    if not cascade:
        cursor.keywords("restrict")
    return _DropDatabase(name, if_exists, cascade) if cursor.at_end() else None


def _show_tables(cursor):
    database = None
    if cursor.keywords("in") or cursor.keywords("from"):
        database = cursor.identifier()
        if database is None:
            return None
    pattern = None
    if not cursor.at_end():
        pattern = cursor.string()
        if pattern is None:
            return None
    return _ShowTables(database, pattern) if cursor.at_end() else None


def _partition_spec(cursor):
    """``( k = v , ... )`` → ((key, value text), ...); None when malformed."""
    if not cursor.punct("("):
        return None
    spec = []
    while True:
        key = cursor.identifier()
        if key is None or not cursor.punct("="):
            return None
        value = cursor.string()
        if value is None:
            # An unquoted literal (a number, a boolean): its text up to the next `,` or `)`.
            start = end = None
            while not cursor.at_end() and cursor.peek()[:2] not in (("punct", ","), ("punct", ")")):
                start = cursor.peek()[2] if start is None else start
                end = cursor.peek()[3]
                cursor.advance()
            if start is None:
                return None
            value = cursor.text[start:end]
        spec.append((key.lower(), value))
        if cursor.punct(")"):
            return tuple(spec)
        if not cursor.punct(","):
            return None


def _alter_partitions(cursor):
    name = cursor.dotted_name(2)
    if name is None:
        return None
    database, table = name
    if cursor.keywords("add"):
        if_not_exists = cursor.keywords("if", "not", "exists")
        partitions = []
        while cursor.keywords("partition"):
            spec = _partition_spec(cursor)
            if spec is None:
                return None
            location = None
            if cursor.keywords("location"):
                location = cursor.string()
                if location is None:
                    return None
            partitions.append((spec, location))
            cursor.punct(",")
        if not partitions or not cursor.at_end():
            return None
        return _AddPartitions(database, table, tuple(partitions), if_not_exists)
    if cursor.keywords("drop"):
        if_exists = cursor.keywords("if", "exists")
        specs = []
        while cursor.keywords("partition"):
            spec = _partition_spec(cursor)
            if spec is None:
                return None
            specs.append(spec)
            if not cursor.punct(","):
                break
        if not specs or not cursor.at_end():
            return None
        return _DropPartitions(database, table, tuple(specs), if_exists)
    return None


# ---------------------------------------------------------------------------
# Running them against the Glue store
# ---------------------------------------------------------------------------
def _run(ddl, database):
    if isinstance(ddl, _CreateDatabase):
        return _run_create_database(ddl)
    if isinstance(ddl, _DropDatabase):
        return _run_drop_database(ddl)
    if isinstance(ddl, _ShowTables):
        return _run_show_tables(ddl, database)
    if isinstance(ddl, _AddPartitions):
        return _run_add_partitions(ddl, database)
    return _run_drop_partitions(ddl, database)


def _tables_of(database):
    prefix = f"{database}/"
    return sorted(t.get("Name", k[len(prefix):]) for k, t in glue_svc._tables.items() if k.startswith(prefix))


def _run_create_database(ddl):
    if ddl.name in glue_svc._databases:
        if ddl.if_not_exists:
            return _NO_ROWS
        raise ValueError(f"Database {ddl.name} already exists")
    database_input = {"Name": ddl.name, "Parameters": dict(ddl.properties)}
    if ddl.comment is not None:
        database_input["Description"] = ddl.comment
    if ddl.location is not None:
        database_input["LocationUri"] = ddl.location
    status, _, body = glue_svc._create_database({"DatabaseInput": database_input})
    if status >= 300:
        raise ValueError(f"Glue CreateDatabase failed: {body!r}")
    return _NO_ROWS


def _run_drop_database(ddl):
    if ddl.name not in glue_svc._databases:
        if ddl.if_exists:
            return _NO_ROWS
        raise ValueError(f"Database does not exist: {ddl.name}")
    if _tables_of(ddl.name) and not ddl.cascade:
        raise ValueError(f"Database {ddl.name} is not empty. One or more tables exist.")
    glue_svc._delete_database({"Name": ddl.name})  # removes its tables and their partitions too
    return _NO_ROWS


def _show_pattern(pattern):
    """Hive's SHOW TABLES pattern: `|` separates choices, `*` is any characters, case-insensitive."""
    choices = [re.sub(r"(?<!\.)\*", ".*", choice.strip()) for choice in pattern.split("|")]
    return re.compile("|".join(f"(?:{choice})" for choice in choices), re.IGNORECASE)


def _run_show_tables(ddl, database):
    name = ddl.database or database or "default"
    if name not in glue_svc._databases and name != "default":  # Athena's `default` always exists
        raise ValueError(f"Database does not exist: {name}")
    tables = _tables_of(name)
    if ddl.pattern is not None:
        matcher = _show_pattern(ddl.pattern)
        tables = [t for t in tables if matcher.fullmatch(t)]
    return {"columns": ["tab_name"], "rows": [[t] for t in tables], "column_types": ["string"]}


def _table(ddl, database):
    db_name = ddl.database or database or "default"
    table = glue_svc._tables.get(f"{db_name}/{ddl.table}")
    if table is None:
        raise ValueError(f"Table not found {db_name}.{ddl.table}")
    keys = [str(k.get("Name", "")).lower() for k in table.get("PartitionKeys") or []]
    if not keys:
        raise ValueError(f"Table {db_name}.{ddl.table} is not partitioned")
    return db_name, table, keys


def _values(spec, keys, table_name):
    given = dict(spec)
    if len(given) != len(spec) or set(given) != set(keys):
        raise ValueError(
            f"Partition spec {dict(spec)} does not match the partition keys {keys} of table {table_name}")
    return [given[k] for k in keys]


def _run_add_partitions(ddl, database):
    db_name, table, keys = _table(ddl, database)
    store_key = f"{db_name}/{ddl.table}"
    existing = {tuple(p.get("Values") or []) for p in glue_svc._partitions.get(store_key) or []}
    table_location = ((table.get("StorageDescriptor") or {}).get("Location") or "").rstrip("/")
    to_add, seen = [], set()
    for spec, location in ddl.partitions:
        values = _values(spec, keys, ddl.table)
        if tuple(values) in existing or tuple(values) in seen:
            if ddl.if_not_exists:
                continue
            raise ValueError(f"Partition already exists: {dict(zip(keys, values))}")
        seen.add(tuple(values))
        if location is None:  # Hive-style path under the table location
            location = table_location + "/" + "/".join(f"{k}={v}" for k, v in zip(keys, values)) + "/"
        storage = copy.deepcopy(table.get("StorageDescriptor") or {})
        storage["Location"] = location
        to_add.append({"Values": values, "StorageDescriptor": storage, "Parameters": {}})
    for partition in to_add:
        status, _, body = glue_svc._create_partition(
            {"DatabaseName": db_name, "TableName": ddl.table, "PartitionInput": partition})
        if status >= 300:
            raise ValueError(f"Glue CreatePartition failed: {body!r}")
    return _NO_ROWS


def _run_drop_partitions(ddl, database):
    db_name, _, keys = _table(ddl, database)
    store_key = f"{db_name}/{ddl.table}"
    partitions = glue_svc._partitions.get(store_key) or []
    doomed = []
    for spec in ddl.specs:
        given = dict(spec)
        if not set(given) <= set(keys):
            raise ValueError(f"Partition spec {given} names a column that is not a partition key")
        matched = [p for p in partitions
                   if all(v == dict(zip(keys, p.get("Values") or [])).get(k) for k, v in given.items())]
        if not matched and not ddl.if_exists:
            raise ValueError(f"No partition matches {given}")
        doomed.extend(matched)
    for partition in doomed:
        values = partition.get("Values") or []
        glue_svc._delete_partition(
            {"DatabaseName": db_name, "TableName": ddl.table, "PartitionValues": values})
    return _NO_ROWS


# ---------------------------------------------------------------------------
# Reading partitioned tables from their registered partitions
# ---------------------------------------------------------------------------
# Set while ministack rewrites one query's table references: the locations of partitioned tables
# (not to be copied whole) and the work directories of partition files (removed with the query's).
_scope = contextvars.ContextVar("athena_partition_scope", default=None)


def _reads_registered_partitions(table_data):
    parameters = table_data.get("Parameters") or {}
    projected = str(parameters.get("projection.enabled", "")).lower() == "true"
    return bool(table_data.get("PartitionKeys")) and not projected


def _registered(table_data):
    key = f"{table_data.get('DatabaseName')}/{table_data.get('Name')}"
    return glue_svc._partitions.get(key) or []


def _lit(text):
    return "'" + str(text).replace("'", "''") + "'"


def _quoted(name):
    return '"' + name.replace('"', '""') + '"'


_original = {}  # ministack's functions this module wraps, by name (set by install)


def _partitioned_relation(table_data, workdirs):
    """The union of the registered partitions' files, each with its registered partition values."""
    keys = table_data.get("PartitionKeys") or []
    names = [str(k.get("Name", "")) for k in keys]
    unpartitioned = dict(table_data, PartitionKeys=[])
    excluded = ", ".join(_lit(n.lower()) for n in names)
    selects = []
    for partition in _registered(table_data):
        location = (partition.get("StorageDescriptor") or {}).get("Location")
        values = partition.get("Values") or []
        if not location or len(values) != len(keys):
            continue
        files = _original["_materialize_table_files"](location, workdirs)
        if not files:
            continue
        reader = _original["_table_relation"](unpartitioned, files)
        columns = ", ".join(f"CAST({_lit(v)} AS {athena._duckdb_type(k)}) AS {_quoted(n)}"
                            for k, n, v in zip(keys, names, values))
        # The file's columns, but none named like a key (a partition column never comes from the
        # files), then the keys with the registered values.
        selects.append(f"(SELECT COLUMNS(lambda c: lower(c) NOT IN ({excluded})), {columns} FROM {reader})")
    if not selects:
        return _original["_empty_relation"](table_data)
    return "(" + " UNION ALL BY NAME ".join(selects) + ")"


def install():
    for name in ("_parse_ddl", "_run_ddl", "_rewrite_data_paths", "_materialize_table_files",
                 "_table_relation", "_empty_relation"):
        _original[name] = getattr(athena, name)
    original_parse, original_run = _original["_parse_ddl"], _original["_run_ddl"]
    original_rewrite = _original["_rewrite_data_paths"]

    def parse_ddl(query):
        try:
            ours = _parse(query)
        except Exception:  # never worse than ministack: its own parser decides
            ours = None
        return ours if ours is not None else original_parse(query)

    def run_ddl(ddl, database):
        return _run(ddl, database) if isinstance(ddl, _OURS) else original_run(ddl, database)

    async def rewrite_data_paths(query, database, catalog=None):
        skip, keep = set(), set()
        for ref in athena._table_references(query):
            if (ref.catalog or catalog or "").lower().startswith(athena._S3_TABLES_CATALOG_PREFIX):
                continue
            table_data = glue_svc._tables.get(f"{ref.database or database or 'default'}/{ref.table}")
            location = ((table_data or {}).get("StorageDescriptor") or {}).get("Location")
            if location:
                (skip if _reads_registered_partitions(table_data) else keep).add(location)
        scope = {"skip": skip - keep, "workdirs": []}
        token = _scope.set(scope)
        try:
            rewritten, buckets, workdirs = await original_rewrite(query, database, catalog)
        except BaseException:
            for workdir in scope["workdirs"]:
                shutil.rmtree(workdir, ignore_errors=True)
            raise
        finally:
            _scope.reset(token)
        workdirs.extend(scope["workdirs"])
        return rewritten, buckets, workdirs

    def materialize_table_files(location, workdirs):
        scope = _scope.get()
        if scope is not None and location in scope["skip"]:
            return []  # read from its partitions instead (see empty_relation)
        return _original["_materialize_table_files"](location, workdirs)

    # ministack calls _table_relation when the table LOCATION holds files, else _empty_relation:
    # a partitioned table is read from its partitions either way.
    def table_relation(table_data, files):
        scope = _scope.get()
        if scope is not None and _reads_registered_partitions(table_data):
            return _partitioned_relation(table_data, scope["workdirs"])
        return _original["_table_relation"](table_data, files)

    def empty_relation(table_data):
        scope = _scope.get()
        if scope is not None and _reads_registered_partitions(table_data):
            return _partitioned_relation(table_data, scope["workdirs"])
        return _original["_empty_relation"](table_data)

    athena._parse_ddl = parse_ddl
    athena._run_ddl = run_ddl
    athena._rewrite_data_paths = rewrite_data_paths
    athena._materialize_table_files = materialize_table_files
    athena._table_relation = table_relation
    athena._empty_relation = empty_relation

    # GetTableMetadata on a table the catalog does not hold: AWS answers MetadataException (HTTP 400,
    # https://docs.aws.amazon.com/athena/latest/APIReference/API_GetTableMetadata.html#API_GetTableMetadata_Errors);
    # ministack 1.5.33 invented an empty CSV table, so "does this table exist?" was always yes.
    original_get_table_metadata = athena._get_table_metadata

    def get_table_metadata(data):
        database = data.get("DatabaseName", "default")
        table = data.get("TableName", "")
        if f"{database}/{table}" not in glue_svc._tables:
            return athena.error_response_json(
                "MetadataException",
                f"Entity Not Found (Service: AmazonDataCatalog; Status Code: 400; Error Code: "
                f"EntityNotFoundException): table {database}.{table} not found",
                400,
            )
        return original_get_table_metadata(data)

    athena._get_table_metadata = get_table_metadata

"""MontyDB storage engine: MontyDB's SQLite engine plus secondary indexes on chosen fields.

MontyDB (the embedded store) matches every query by decoding and filtering every document of
the collection. This engine keeps MontyDB's files (one SQLite file per collection, table
``documents`` of BSON documents) and its query engine, and adds, in the same file, a table
``ssb_index(field, value, k)`` of the values that each document holds at each indexed field.
SQLite triggers fill it in the transaction that writes the document, so it can never miss a
write (a killed process rolls back both). A query first narrows the documents to those whose
indexed values satisfy the filter's equality / ``$in`` conditions (a superset of the answer),
and MontyDB's own filter then decides on each of them, so answers are those of a full scan.

Use it as ``montydb.set_storage(path, storage=ENGINE)``; ``ensure_index_fields`` declares the
fields of one collection (and indexes the documents it already holds).
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import bson
from bson import json_util
from montydb import MontyCollection
from montydb.cursor import MontyCursor
from montydb.engine.queries import QueryFilter
from montydb.results import DeleteResult
from montydb.storage import StorageDuplicateKeyError
from montydb.storage import sqlite as monty_sqlite

ENGINE = __name__  # the storage name montydb.set_storage writes in <repository>/.monty.storage
PROBE_ROWS = 1000  # index rows a lookup term is first counted up to
MAX_EXACT_INT = 2**53  # ints beyond this are not looked up (SQLite compares them with floats)

_ROWS = (
    "SELECT json_extract(e.value, '$[0]'), json_extract(e.value, '$[1]'), {doc}.k "
    "FROM {source}json_each(ssb_index_values({doc}.v, {fields})) AS e"
)
_NEW_ROWS = _ROWS.format(
    doc="new", source="", fields="(SELECT json_group_array(field) FROM ssb_index_fields)"
)
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS ssb_index_fields(field TEXT PRIMARY KEY)",
    "CREATE TABLE IF NOT EXISTS ssb_index(field TEXT NOT NULL, value, k TEXT NOT NULL, "
    "PRIMARY KEY(field, value, k)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS ssb_index_document ON ssb_index(k)",
    "CREATE TRIGGER IF NOT EXISTS ssb_index_insert AFTER INSERT ON documents BEGIN "
    f"INSERT OR IGNORE INTO ssb_index(field, value, k) {_NEW_ROWS}; END",
    "CREATE TRIGGER IF NOT EXISTS ssb_index_update AFTER UPDATE ON documents BEGIN "
    "DELETE FROM ssb_index WHERE k = old.k; "
    f"INSERT OR IGNORE INTO ssb_index(field, value, k) {_NEW_ROWS}; END",
    "CREATE TRIGGER IF NOT EXISTS ssb_index_delete AFTER DELETE ON documents BEGIN "
    "DELETE FROM ssb_index WHERE k = old.k; END",
)


def _path_values(value, parts: list[str]) -> Iterator:
    """Values at a dotted path, MongoDB style: a list on the way is looked into element-wise
    (and by position for a numeric part), a list at the end gives its elements too."""
    if not parts:
        yield value
        if isinstance(value, list):
            yield from value
        return
    head, rest = parts[0], parts[1:]
    if isinstance(value, dict):
        if head in value:
            yield from _path_values(value[head], rest)
    elif isinstance(value, list):
        if head.isdigit() and int(head) < len(value):
            yield from _path_values(value[int(head)], rest)
        for element in value:
            if isinstance(element, dict | list):
                yield from _path_values(element, parts)


def _indexable(value) -> bool:
    """Strings and finite numbers (not bools): the values lookups are made with."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return abs(value) < 2**63
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, str)


def index_values(raw: bytes | str, fields_json: str) -> str:
    """JSON list of ``[field, value]`` for each indexed field of a stored document (BSON, or
    MontyDB's JSON when it runs without pymongo's bson)."""
    doc = bson.decode(raw) if isinstance(raw, bytes) else json_util.loads(raw)
    rows = []
    for field in json.loads(fields_json):
        values = {(type(v), v) for v in _path_values(doc, field.split(".")) if _indexable(v)}
        rows += [[field, v] for _, v in values]
    return json.dumps(rows)


def collection_file(repository: str | Path, database: str, collection: str) -> Path:
    """The SQLite file of one MontyDB collection."""
    return Path(repository) / database / f"{collection}{monty_sqlite.SQLITE_DB_EXT}"


def _with_index_function(conn: sqlite3.Connection) -> sqlite3.Connection:
    """``conn`` with the function the index triggers call."""
    conn.create_function("ssb_index_values", 2, index_values, deterministic=True)
    return conn


def _lookup_value(value) -> bool:
    """Whether an equality operand can be looked up: strings and exactly representable ints."""
    if isinstance(value, str):
        return True
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) < MAX_EXACT_INT


def _operand_values(condition) -> list | None:
    """Values a field must equal (one of) under ``condition``, or None when not a lookup."""
    if not isinstance(condition, dict):
        return [condition] if _lookup_value(condition) else None
    if not condition or not all(key.startswith("$") for key in condition):
        return None  # an embedded document compared whole
    if "$eq" in condition and _lookup_value(condition["$eq"]):
        return [condition["$eq"]]
    values = condition.get("$in")
    if isinstance(values, list | tuple) and values and all(map(_lookup_value, values)):
        return list(values)
    return None


def lookup_terms(spec: dict, fields: set[str]) -> list[list[tuple[str, list]]]:
    """The filter's conditions that the index answers, as a conjunction of terms, each term a
    union of ``(field, values)``: every matching document satisfies every term."""
    terms: list[list[tuple[str, list]]] = []
    for key, condition in spec.items():
        if key == "$and" and isinstance(condition, list):
            for sub in condition:
                terms += lookup_terms(sub, fields) if isinstance(sub, dict) else []
        elif key == "$or" and isinstance(condition, list) and condition:
            branches = [lookup_terms(s, fields) if isinstance(s, dict) else [] for s in condition]
            if all(branches):
                terms.append([pair for branch in branches for pair in branch[0]])
        elif key in fields:
            values = _operand_values(condition)
            if values is not None:
                terms.append([(key, values)])
    return terms


def _term_sql(term: list[tuple[str, list]]) -> tuple[str, list]:
    clauses, params = [], []
    for field, values in term:
        clauses.append(f"(field = ? AND value IN ({', '.join('?' * len(values))}))")
        params += [field, *values]
    return f"SELECT k FROM ssb_index WHERE {' OR '.join(clauses)}", params


def _most_selective(conn: sqlite3.Connection, terms) -> tuple[str, list]:
    """The term matching the fewest index rows, counting up to ``PROBE_ROWS`` and, while
    every term reaches that, up to ten times more."""
    probes = [_term_sql(term) for term in terms]
    cap = PROBE_ROWS
    while True:
        counts = [
            conn.execute(f"SELECT count(*) FROM ({sql} LIMIT {cap})", params).fetchone()[0]
            for sql, params in probes
        ]
        if min(counts) < cap or len(probes) == 1:
            return probes[counts.index(min(counts))]
        cap *= 10


def indexed_fields(conn: sqlite3.Connection) -> set[str]:
    """Fields indexed in one collection file (none when it has no index tables)."""
    try:
        return {row[0] for row in conn.execute("SELECT field FROM ssb_index_fields")}
    except sqlite3.OperationalError:
        return set()


def _index_ready(conn: sqlite3.Connection, fields: tuple[str, ...]) -> bool:
    """Whether the file has its index triggers and indexes ``fields`` (read only)."""
    triggers = conn.execute(
        "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'ssb_index_%'"
    ).fetchone()[0]
    return triggers == 3 and set(fields) <= indexed_fields(conn)


def ensure_index_fields(db_file: str | Path, fields: tuple[str, ...]) -> list[str]:
    """Index ``fields`` of one collection file (its tables and triggers created if missing),
    indexing the documents already stored; returns the fields newly indexed. Writes nothing
    when all is there already."""
    conn = _with_index_function(sqlite3.connect(db_file, timeout=30))
    try:
        if _index_ready(conn, fields):
            return []
        with conn:
            conn.execute("BEGIN IMMEDIATE")
            for statement in SCHEMA:
                conn.execute(statement)
            new = sorted(set(fields) - indexed_fields(conn))
            conn.executemany("INSERT INTO ssb_index_fields(field) VALUES (?)", [(f,) for f in new])
            if new:
                rows = _ROWS.format(doc="d", source="documents AS d, ", fields="?")
                insert = f"INSERT OR IGNORE INTO ssb_index(field, value, k) {rows}"
                conn.execute(insert, [json.dumps(new)])
        return new
    finally:
        conn.close()


class _KVEngine(monty_sqlite.SQLiteKVEngine):
    """MontyDB's SQLite connections, with the function the index triggers call."""

    def _connect(self, db_file, wconcern=None):
        closing = super()._connect(db_file, wconcern)
        _with_index_function(closing.thing)
        return closing


class IndexedSQLiteStorage(monty_sqlite.SQLiteStorage):
    """MontyDB's SQLite engine whose queries use the collections' ``ssb_index`` tables."""

    def __init__(self, repository, storage_config):
        super().__init__(repository, storage_config)
        self._conn = _KVEngine(self._config)

    @classmethod
    def nice_name(cls):
        """The section of monty.storage.cfg: the same settings as MontyDB's SQLite engine."""
        return monty_sqlite.SQLiteStorage.nice_name()


class IndexedSQLiteDatabase(monty_sqlite.SQLiteDatabase):
    """A folder of collection files, each created with its index tables and triggers."""

    def collection_create(self, col_name):
        """Create the collection file with its (empty) index."""
        super().collection_create(col_name)
        ensure_index_fields(self._col_path(col_name), ())


class IndexedSQLiteCollection(monty_sqlite.SQLiteCollection):
    """Collection whose inserts do not read every stored key first (MontyDB's do)."""

    def write_many(self, docs, check_keys=True, ordered=True):
        """Insert ``docs`` in order; StorageDuplicateKeyError at the first ``_id`` stored."""
        if not self._database.collection_exists(self._name):
            self._database.collection_create(self._name)
        ids = []
        with self._conn._connect(self._col_path, self.wconcern) as conn:
            try:
                for doc in docs:
                    key = monty_sqlite.bson.id_encode(doc["_id"])
                    conn.execute(
                        monty_sqlite.INSERT_RECORD.format(monty_sqlite.SQLITE_RECORD_TABLE),
                        (key, self._encode_doc(doc, check_keys)),
                    )
                    ids.append(doc["_id"])
            except sqlite3.IntegrityError:
                raise StorageDuplicateKeyError() from None
            finally:
                conn.commit()
        return ids


class IndexedSQLiteCursor(monty_sqlite.SQLiteCursor):
    """Reads only the documents the index leaves possible for the cursor's filter."""

    def __init__(self, collection, subject):
        super().__init__(collection, subject)
        self._spec = subject._spec or {}

    def query(self, max_scan):
        """Decoded candidate documents in insertion order (at most ``max_scan``)."""
        if not Path(self._col_path).is_file():
            return iter(())
        with self._conn._connect(self._col_path) as conn:
            terms = lookup_terms(self._spec, indexed_fields(conn))
            sql, params = "SELECT v FROM documents", []
            if terms:
                candidates, params = _most_selective(conn, terms)
                sql += f" WHERE k IN ({candidates}) ORDER BY rowid"
            if max_scan:
                sql += f" LIMIT {int(max_scan)}"
            rows = conn.execute(sql, params).fetchall()
        return (self._decode_doc(row[0]) for row in rows)


class IndexedMontyCollection(MontyCollection):
    """MontyDB collection whose updates, replacements and deletions hand their filter to the
    storage: MontyDB's own read an unfiltered cursor, so each write decoded every document."""

    def _internal_scan_query(self, query_spec):
        """MontyDB's generator (first match twice, then the others), on the filtered cursor."""
        queryfilter = QueryFilter(query_spec)
        documents = self._storage.query(MontyCursor(self, filter=query_spec), 0)
        matches = (queryfilter.fieldwalker for doc in documents if queryfilter(doc))
        first = next(matches, None)
        if first is not None:
            yield first
            yield first
            yield from matches

    def delete_many(self, filter):
        """Delete the documents matching ``filter``."""
        queryfilter = QueryFilter(filter)
        documents = self._storage.query(MontyCursor(self, filter=filter), 0)
        doc_ids = {doc["_id"] for doc in documents if queryfilter(doc)}
        self._storage.delete_many(self, doc_ids)
        return DeleteResult({"n": len(doc_ids)})


IndexedSQLiteStorage.contractor_cls = IndexedSQLiteDatabase
IndexedSQLiteDatabase.contractor_cls = IndexedSQLiteCollection
IndexedSQLiteCollection.contractor_cls = IndexedSQLiteCursor

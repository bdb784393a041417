"""Build the jobflow JobStore and auxiliary collections on the embedded or MongoDB backend.

Embedded: maggma ``MontyStore`` (MontyDB) in the folder of ``embedded://PATH``, on the storage
engine of ``indexed_sqlite`` (MontyDB's SQLite files plus secondary indexes: each write is
committed, so data survive across processes). MongoDB: maggma ``MongoStore``/``GridFSStore`` on
the URI (database from the URI path, default ``ssbscreen``). Both index the fields users filter
by and jobflow looks up (``INDEXES``); see ``benchmarks/store_queries.py``.
"""

from __future__ import annotations

import configparser
import contextlib
import fcntl
import logging
import sqlite3
from pathlib import Path

from jobflow import JobStore
from maggma.core import Store
from maggma.stores import GridFSStore, MongoStore, MontyStore
from montydb import MontyClient, set_storage
from pymongo import MongoClient
from pymongo.errors import ConfigurationError, OperationFailure, PyMongoError

from ssbscreen.store.config import (
    ENV_VAR,
    PASSWORD_ENV,
    USERNAME_ENV,
    embedded_path,
    is_embedded,
    mongo_database,
    redact_uri,
    resolve_store_uri,
)
from ssbscreen.store.indexed_sqlite import (
    ENGINE,
    IndexedMontyCollection,
    collection_file,
    ensure_index_fields,
)
from ssbscreen.store.queries import PHASE_FIELDS

logger = logging.getLogger(__name__)

DOCS_COLLECTION = "outputs"
DATA_COLLECTION = "data"
EMBEDDED_DATABASE = "ssbscreen"
MP_CACHE_COLLECTION = "mp_entries"
REFERENCE_SETS_COLLECTION = "reference_sets"
SERVER_SELECTION_TIMEOUT_MS = 3000
MONGO_CLIENT_KWARGS = {  # fail within ~3 s instead of pymongo's default 30 s
    "serverSelectionTimeoutMS": SERVER_SELECTION_TIMEOUT_MS,
    "connectTimeoutMS": SERVER_SELECTION_TIMEOUT_MS,
}
AUTH_FAILED_CODES = {13, 18}  # Unauthorized, AuthenticationFailed
# what `ssbscreen query` filters by (with the phases --formula looks for in reactions, scans,
# dopings, interfaces and migrations), each after the kind (a query always names the kind, and
# a compound index is what the planner uses for it), plus jobflow's own keys
OUTPUT_INDEXES = (
    "uuid",
    "index",
    "completed_at",
    "output.kind",
    *(
        (("output.kind", 1), (f"output.{field}", 1))
        for field in (
            "key",
            "formula",
            "chemsys",
            "provenance.engine",
            "provenance.model",
            "campaign",
            *sorted({field for fields in PHASE_FIELDS.values() for field in fields}),
        )
    ),
)
DATA_INDEXES = ("blob_uuid", "job_uuid")  # GridFS keeps them under ``metadata.``
MP_CACHE_INDEXES = ("cache_id", "kind", "query_chemsys", "chemsys")
REFERENCE_SETS_INDEXES = ("set_key", "set", "kind")
INDEXES = {
    DOCS_COLLECTION: OUTPUT_INDEXES,
    DATA_COLLECTION: DATA_INDEXES,
    MP_CACHE_COLLECTION: MP_CACHE_INDEXES,
    REFERENCE_SETS_COLLECTION: REFERENCE_SETS_INDEXES,
}


def index_fields(collection: str) -> tuple[str, ...]:
    """Every field that an index of ``collection`` names (the embedded store indexes each
    alone: a lookup uses the most selective one)."""
    fields = (
        [name for name, _ in keys] if isinstance(keys, tuple) else [keys]
        for keys in INDEXES.get(collection, ())
    )
    return tuple(dict.fromkeys(field for group in fields for field in group))


class StoreConnectionError(ConnectionError):
    """The configured MongoDB server cannot be reached."""


class StoreAuthenticationError(StoreConnectionError):
    """The MongoDB server refused the configured credentials."""


def check_mongo_reachable(uri: str, indexes: bool = False) -> None:
    """Ping the MongoDB server of ``uri`` (and create the query indexes when ``indexes``).

    Raises StoreAuthenticationError or StoreConnectionError (one sentence) before anything
    is written, so a bad setting never leaves a partial result.
    """
    try:
        with MongoClient(uri, **MONGO_CLIENT_KWARGS) as client:
            client.admin.command("ping")
            if indexes:
                create_indexes(client[mongo_database(uri)])
    except OperationFailure as err:
        if err.code not in AUTH_FAILED_CODES:
            raise
        raise StoreAuthenticationError(
            f"The MongoDB store at {redact_uri(uri)} refused the credentials (authentication "
            f"failed); fix ${USERNAME_ENV} and ${PASSWORD_ENV} (or 'username'/'password' "
            "under 'store' in ssbscreen.yaml, or the user:password in the URI)."
        ) from None
    except (PyMongoError, ConfigurationError) as err:
        kind = type(err).__name__
        raise StoreConnectionError(
            f"Cannot reach the MongoDB store at {redact_uri(uri)} ({kind} after "
            f"{SERVER_SELECTION_TIMEOUT_MS / 1000:g} s); check that the server is running "
            f"and that ${ENV_VAR} (or 'store:' in ssbscreen.yaml) is right."
        ) from None


def create_indexes(database) -> None:
    """Indexes on the outputs, the GridFS files of ``data``, the MP-entry cache and the stored
    reference sets (idempotent)."""
    for name, indexes in INDEXES.items():
        for keys in indexes:
            if name == DATA_COLLECTION:
                database[f"{name}.files"].create_index(f"metadata.{keys}")
            else:
                database[name].create_index(list(keys) if isinstance(keys, tuple) else keys)


class EmbeddedStore(MontyStore):
    """MontyStore on the indexed SQLite engine that sets up its folder once, under a file lock.

    maggma's MontyStore rewrites ``monty.storage.cfg`` on every connect (a second process
    connecting at that moment reads a half-written file), and two processes creating the
    same collection at once leave one of them without its table; both happen here once,
    under the lock. A store written by MontyDB's plain SQLite engine (ssbscreen before issue
    25) is switched to the indexed engine and its documents indexed, once.
    """

    def connect(self, force_reset: bool = False):
        """Connect; create the folder, set up its storage engine and this collection's index
        first. Raises ValueError naming the folder when its files are not MontyDB's (a damaged
        store)."""
        if not self._coll or force_reset:
            folder = Path(self.database_path)
            folder.mkdir(parents=True, exist_ok=True)  # on first use: bad input creates none
            damaged = f"The embedded store {folder} is damaged"
            fix = "restore the folder from a copy or give another one with --store"
            with (folder / ".ssbscreen.lock").open("w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                engine = folder / ".monty.storage"
                if not engine.is_file() or engine.read_text().strip() != self.storage:
                    set_storage(self.database_path, storage=self.storage, **self.storage_kwargs)
                try:
                    client = MontyClient(self.database_path, **self.client_kwargs)
                except configparser.Error:
                    raise ValueError(
                        f"{damaged}: its monty.storage.cfg is not a storage config; {fix}."
                    ) from None
                database = client[self.database_name]
                table = folder / self.database_name / f"{self.collection_name}.collection"
                if table.is_file() and not _is_sqlite(table):
                    raise ValueError(f"{damaged}: {table.name} is not an SQLite table; {fix}.")
                if self.collection_name not in database.list_collection_names():
                    database.create_collection(self.collection_name)  # not two at once
                new = ensure_index_fields(
                    collection_file(folder, self.database_name, self.collection_name),
                    index_fields(self.collection_name),
                )
                if new:
                    logger.info("indexed %s of %s by %s", self.collection_name, folder, new)
            self._coll = IndexedMontyCollection(database, self.collection_name)

    def query(self, criteria=None, properties=None, sort=None, hint=None, skip=0, limit=0):
        """maggma's query; a projection on top-level fields is made here, not by MontyDB
        (whose projector costs ~0.5 ms a document)."""
        fields = list(properties or ())
        if isinstance(properties, dict) and not all(v in (1, True) for v in properties.values()):
            fields = []  # an exclusion: MontyDB's projector
        if not fields or any("." in field for field in fields):
            yield from super().query(criteria, properties, sort, hint, skip, limit)
            return
        for doc in super().query(criteria, None, sort, hint, skip, limit):
            yield {key: doc[key] for key in ("_id", *fields) if key in doc}


def _is_sqlite(path: Path) -> bool:
    """Whether SQLite reads ``path`` as a database (its header), without writing to it."""
    try:
        with contextlib.closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as db:
            db.execute("PRAGMA schema_version")
    except sqlite3.DatabaseError:
        return False
    return True


def _embedded_store(uri: str, collection: str) -> MontyStore:
    return EmbeddedStore(
        collection,
        database_path=str(embedded_path(uri)),
        database_name=EMBEDDED_DATABASE,
        storage=ENGINE,
    )


def _mongo_store(uri: str, collection: str) -> MongoStore:
    return MongoStore.from_uri(
        uri, collection, database=mongo_database(uri), mongoclient_kwargs=MONGO_CLIENT_KWARGS
    )


def build_collection(name: str, uri: str | None = None, workdir: Path | None = None) -> Store:
    """An auxiliary maggma Store (collection ``name``) on the configured backend (not connected)."""
    uri = resolve_store_uri(uri, workdir)
    if is_embedded(uri):
        return _embedded_store(uri, name)
    check_mongo_reachable(uri)
    return _mongo_store(uri, name)


def build_job_store(
    uri: str | None = None, workdir: Path | None = None, indexes: bool = True
) -> JobStore:
    """jobflow JobStore: docs in ``outputs``, large data in the additional store ``data``.

    Embedded: two MontyDB collections; MongoDB: a collection plus a GridFS bucket ``data``,
    and (``indexes``) the indexes of ``OUTPUT_INDEXES``, ``DATA_INDEXES`` and the MP cache.
    """
    uri = resolve_store_uri(uri, workdir)
    if is_embedded(uri):
        docs = _embedded_store(uri, DOCS_COLLECTION)
        data: Store = _embedded_store(uri, DATA_COLLECTION)
    else:
        check_mongo_reachable(uri, indexes=indexes)
        docs = _mongo_store(uri, DOCS_COLLECTION)
        data = GridFSStore.from_uri(
            uri,
            DATA_COLLECTION,
            database=mongo_database(uri),
            searchable_fields=["job_uuid", "job_index"],
            mongoclient_kwargs=MONGO_CLIENT_KWARGS,
        )
    return JobStore(docs, additional_stores={DATA_COLLECTION: data})

"""Build the jobflow JobStore and auxiliary collections on the embedded or MongoDB backend.

Embedded: maggma ``MontyStore`` (MontyDB, SQLite engine: each write is committed, so data
survive across processes) in the folder of ``embedded://PATH``. MongoDB: maggma
``MongoStore``/``GridFSStore`` on the URI (database from the URI path, default ``ssbscreen``).
"""

from __future__ import annotations

from pathlib import Path

from jobflow import JobStore
from maggma.core import Store
from maggma.stores import GridFSStore, MongoStore, MontyStore
from pymongo import MongoClient
from pymongo.errors import ConfigurationError, PyMongoError

from ssbscreen.store.config import (
    ENV_VAR,
    embedded_path,
    is_embedded,
    mongo_database,
    redact_uri,
    resolve_store_uri,
)

DOCS_COLLECTION = "outputs"
DATA_COLLECTION = "data"
EMBEDDED_DATABASE = "ssbscreen"
SERVER_SELECTION_TIMEOUT_MS = 3000


class StoreConnectionError(ConnectionError):
    """The configured MongoDB server cannot be reached."""


def _mongo_kwargs() -> dict:
    """MongoClient options: fail within ~3 s instead of pymongo's default 30 s."""
    return {
        "serverSelectionTimeoutMS": SERVER_SELECTION_TIMEOUT_MS,
        "connectTimeoutMS": SERVER_SELECTION_TIMEOUT_MS,
    }


def check_mongo_reachable(uri: str) -> None:
    """Ping the MongoDB server of ``uri``; raise StoreConnectionError (one sentence) if down."""
    try:
        with MongoClient(uri, **_mongo_kwargs()) as client:
            client.admin.command("ping")
    except (PyMongoError, ConfigurationError) as err:
        kind = type(err).__name__
        raise StoreConnectionError(
            f"Cannot reach the MongoDB store at {redact_uri(uri)} ({kind} after "
            f"{SERVER_SELECTION_TIMEOUT_MS / 1000:g} s); check that the server is running "
            f"and that ${ENV_VAR} (or 'store:' in ssbscreen.yaml) is right."
        ) from None


def _embedded_store(uri: str, collection: str) -> MontyStore:
    folder = embedded_path(uri)
    folder.mkdir(parents=True, exist_ok=True)
    return MontyStore(
        collection,
        database_path=str(folder),
        database_name=EMBEDDED_DATABASE,
        storage="sqlite",
    )


def _mongo_store(uri: str, collection: str) -> MongoStore:
    return MongoStore.from_uri(
        uri, collection, database=mongo_database(uri), mongoclient_kwargs=_mongo_kwargs()
    )


def build_collection(name: str, uri: str | None = None, workdir: Path | None = None) -> Store:
    """An auxiliary maggma Store (collection ``name``) on the configured backend (not connected)."""
    uri = resolve_store_uri(uri, workdir)
    if is_embedded(uri):
        return _embedded_store(uri, name)
    check_mongo_reachable(uri)
    return _mongo_store(uri, name)


def build_job_store(uri: str | None = None, workdir: Path | None = None) -> JobStore:
    """jobflow JobStore: docs in ``outputs``, large data in the additional store ``data``.

    Embedded: two MontyDB collections; MongoDB: a collection plus a GridFS bucket ``data``.
    """
    uri = resolve_store_uri(uri, workdir)
    if is_embedded(uri):
        docs = _embedded_store(uri, DOCS_COLLECTION)
        data: Store = _embedded_store(uri, DATA_COLLECTION)
    else:
        check_mongo_reachable(uri)
        docs = _mongo_store(uri, DOCS_COLLECTION)
        data = GridFSStore.from_uri(
            uri, DATA_COLLECTION, database=mongo_database(uri), mongoclient_kwargs=_mongo_kwargs()
        )
    return JobStore(docs, additional_stores={DATA_COLLECTION: data})

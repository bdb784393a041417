"""Result storage: jobflow JobStore and auxiliary collections (embedded MontyDB or MongoDB)."""

from ssbscreen.store.config import (
    ENV_VAR,
    PASSWORD_ENV,
    USERNAME_ENV,
    redact_uri,
    resolve_store_uri,
    validate_store_uri,
)
from ssbscreen.store.copy import CopyReport, copy_store
from ssbscreen.store.jobstore import (
    StoreAuthenticationError,
    StoreConnectionError,
    build_collection,
    build_job_store,
    check_mongo_reachable,
)
from ssbscreen.store.queries import query_outputs, stored_outputs

__all__ = [
    "ENV_VAR",
    "PASSWORD_ENV",
    "USERNAME_ENV",
    "CopyReport",
    "StoreAuthenticationError",
    "StoreConnectionError",
    "build_collection",
    "build_job_store",
    "check_mongo_reachable",
    "copy_store",
    "query_outputs",
    "redact_uri",
    "resolve_store_uri",
    "stored_outputs",
    "validate_store_uri",
]

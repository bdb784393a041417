"""Result storage: jobflow JobStore and auxiliary collections (embedded MontyDB or MongoDB)."""

from ssbscreen.store.config import (
    ENV_VAR,
    redact_uri,
    resolve_store_uri,
    validate_store_uri,
)
from ssbscreen.store.jobstore import (
    StoreConnectionError,
    build_collection,
    build_job_store,
    check_mongo_reachable,
)

__all__ = [
    "ENV_VAR",
    "StoreConnectionError",
    "build_collection",
    "build_job_store",
    "check_mongo_reachable",
    "redact_uri",
    "resolve_store_uri",
    "validate_store_uri",
]

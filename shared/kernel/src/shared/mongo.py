"""The MongoDB client (PyMongo's native async driver), idempotent index creation, counters."""

import contextlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pymongo import AsyncMongoClient, IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.settings import ServiceSettings
from shared.tracing import untraced

type Document = dict[str, Any]
type Database = AsyncDatabase[Document]


@dataclass(frozen=True)
class IndexSpec:
    """An index a service needs: created at start-up, a no-op when it already exists."""

    collection: str
    keys: Sequence[tuple[str, int]]
    options: Mapping[str, Any] = field(default_factory=dict)

    def model(self) -> IndexModel:
        return IndexModel(list(self.keys), **self.options)


def create_mongo_client(settings: ServiceSettings) -> AsyncMongoClient[Document]:
    return AsyncMongoClient(
        settings.mongo_url.get_secret_value(),
        tz_aware=True,
        connectTimeoutMS=_milliseconds(settings.mongo_connect_timeout_seconds),
        serverSelectionTimeoutMS=_milliseconds(settings.mongo_server_selection_timeout_seconds),
        socketTimeoutMS=_milliseconds(settings.mongo_socket_timeout_seconds),
        uuidRepresentation="standard",
    )


def _milliseconds(seconds: float) -> int:
    return max(1, round(seconds * 1000))


async def ensure_indexes(db: Database, specs: Sequence[IndexSpec]) -> None:
    by_collection: dict[str, list[IndexModel]] = {}
    for spec in specs:
        by_collection.setdefault(spec.collection, []).append(spec.model())
    for name, models in by_collection.items():
        await db[name].create_indexes(models)


async def increment(
    collection: AsyncCollection[Document],
    document_id: str,
    amounts: Mapping[str, int],
    on_insert: Mapping[str, Any] | None = None,
) -> Document:
    """Add `amounts` to a counter document, creating it (at zero, with `on_insert`) if missing.

    Returns the document after the increment; each caller's counts are its own, as if the
    increments ran one after another. A compare-and-swap, not a find-and-modify: the counter
    is read by `_id`, then updated only where its counts are still the ones read; an update
    that matches nothing lost a race and starts again (someone else's increment landed, so
    the loop always makes progress). Two commands by `_id`, which any server answers from
    its `_id` index: SecantusDB answers a find-and-modify that matches by scanning the whole
    collection (it re-checks the query under `$and`, which its planner cannot index), 28 ms
    of its CPU per increment at 4 000 counters against 1.2 ms for these two (measured). The
    counter is created by an insert, a lost race to create it a duplicate key, read again.
    """
    while True:
        found = await collection.find_one({"_id": document_id})
        if found is None:
            found = {"_id": document_id, **dict.fromkeys(amounts, 0), **(on_insert or {})}
            try:
                await collection.insert_one(dict(found))
            except DuplicateKeyError:
                continue  # another caller created it first
        expected = {field: found.get(field) for field in amounts}
        swapped = await collection.update_one(
            {"_id": document_id, **expected}, {"$inc": dict(amounts)}
        )
        if swapped.matched_count == 1:
            after = {field: (found.get(field) or 0) + amount for field, amount in amounts.items()}
            return {**found, **after}


MIGRATIONS = "migrations"


async def migrate_once(db: Database, name: str, migration: Callable[[], Awaitable[None]]) -> None:
    """Run a data migration at start-up unless it is recorded as done in this database.

    Migrations must be idempotent: replicas starting together may each run it, and one
    interrupted half-way runs again at the next start. Like a background pass, it makes no
    trace of its own.
    """
    with untraced():
        if await db[MIGRATIONS].find_one({"_id": name}) is not None:
            return
        await migration()
        with contextlib.suppress(DuplicateKeyError):
            await db[MIGRATIONS].insert_one({"_id": name})


async def ping(db: Database) -> bool:
    try:
        await db.command("ping")
    except Exception:
        return False
    return True

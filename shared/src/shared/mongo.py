"""The MongoDB client (PyMongo's native async driver) and idempotent index creation."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pymongo import AsyncMongoClient, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from shared.settings import ServiceSettings

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


async def ping(db: Database) -> bool:
    try:
        await db.command("ping")
    except Exception:
        return False
    return True

"""Renders docs/asyncapi.yaml, the AsyncAPI 3 document of CoPost's events, from the code.

Each event class (shared.events) is a channel on the `copost.events` topic exchange whose
address is its routing key (the event type), a message whose payload is the envelope with the
class's schema as `data`, one `send` operation by the service that may publish it
(PRODUCING_SERVICES) and one `receive` operation per service that subscribes to it (read from
each service's composed subscriptions, on an embedded MongoDB: no broker is needed).

It also keeps shared/contracts/event-versions.json: the schema of each event's major version
as last released. An event whose schema changes in a way a consumer of that major version
cannot read (a field removed, retyped or newly required) is refused: give it a new major
version instead (docs/versioning.md). A compatible change must raise the minor version.

`.venv/bin/python docs/asyncapi.py` writes both; docs/tests check they are current, that the
document is valid AsyncAPI 3.0.0 (the official JSON Schema, docs/schemas/) and that no event
broke its major version.
"""

import asyncio
import importlib
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from shared.embedded_mongo import embedded_mongo
from shared.events import EVENT_TYPES, PRODUCING_SERVICES, EventData, EventEnvelope
from shared.service_app import subscribed_event_types
from shared.services import BACKENDS

REPO_ROOT = Path(__file__).resolve().parents[1]
DOCUMENT = REPO_ROOT / "docs" / "asyncapi.yaml"
VERSIONS = REPO_ROOT / "shared" / "contracts" / "event-versions.json"
SCHEMA = REPO_ROOT / "docs" / "schemas" / "asyncapi-3.0.0.json"
EXCHANGE = "copost.events"
SCHEMAS_REF = "#/components/schemas/"
# Titles and descriptions are prose: they may change in any version.
PROSE = frozenset({"title", "description"})

type Consumers = Mapping[str, list[str]]
type Versions = dict[str, dict[str, Any]]


async def consumers_by_service(mongo_url: str) -> dict[str, list[str]]:
    """The event types each backend service subscribes to."""
    return {
        backend: await subscribed_event_types(
            importlib.import_module(f"{backend}.app").create_app(), mongo_url
        )
        for backend in BACKENDS
    }


def _hoisted(model: type[Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """The model's JSON Schema with its nested models moved to components/schemas."""
    schema: dict[str, Any] = model.model_json_schema(ref_template=SCHEMAS_REF + "{model}")
    for name, nested in schema.pop("$defs", {}).items():
        if schemas.setdefault(name, nested) != nested:
            raise ValueError(f"two different schemas are named {name}")
    return schema


def _name(event: type[EventData]) -> str:
    return event.__name__


def document(consumers: Consumers) -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    envelope = _hoisted(EventEnvelope, schemas)
    envelope["properties"].pop("data")
    envelope["required"].remove("data")
    schemas["EventEnvelope"] = envelope
    channels: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for event_type, event in sorted(EVENT_TYPES.items()):
        name = _name(event)
        schemas[name] = _hoisted(event, schemas)
        messages[name] = _message(event)
        channels[event_type] = _channel(event)
        channel_ref = {"$ref": f"#/channels/{_escaped(event_type)}"}
        message_ref = [{"$ref": f"#/channels/{_escaped(event_type)}/messages/{name}"}]
        producer = PRODUCING_SERVICES[event_type.split(".", 1)[0]]
        operations[f"{producer}.send.{event_type}"] = {
            "action": "send",
            "channel": channel_ref,
            "messages": message_ref,
            "summary": f"The {producer} service publishes {event_type} (its outbox relay).",
        }
        for service, handled in consumers.items():
            if event_type in handled:
                operations[f"{service}.receive.{event_type}"] = {
                    "action": "receive",
                    "channel": channel_ref,
                    "messages": message_ref,
                    "summary": f"The {service} service consumes {event_type} "
                    f"from its queue `copost.{service}`.",
                }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "CoPost events",
            "version": "1.0.0",
            "description": "The events CoPost's services publish to each other through "
            "RabbitMQ: every one on the durable topic exchange `copost.events`, with its "
            "type as the routing key, in a JSON envelope whose `data` is the event's "
            "payload. Rendered by docs/asyncapi.py from the event classes of "
            "shared/contracts; versions and deprecation: docs/versioning.md.",
        },
        "defaultContentType": "application/json",
        "servers": {
            "rabbitmq": {
                "host": "rabbitmq:5672",
                "protocol": "amqp",
                "protocolVersion": "0.9.1",
                "description": "The broker of a deployment; each service connects as its "
                "own user and may publish only its own event types.",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": dict(sorted(schemas.items()))},
    }


def _escaped(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _version(event: type[EventData]) -> str:
    return f"{event.major_version}.{event.minor_version}"


def _channel(event: type[EventData]) -> dict[str, Any]:
    name = _name(event)
    return {
        "address": event.event_type,
        "title": event.event_type,
        "messages": {name: {"$ref": f"#/components/messages/{name}"}},
        "bindings": {
            "amqp": {
                "is": "routingKey",
                "exchange": {"name": EXCHANGE, "type": "topic", "durable": True, "vhost": "/"},
                "bindingVersion": "0.3.0",
            }
        },
    }


def _message(event: type[EventData]) -> dict[str, Any]:
    name = _name(event)
    major = event.major_version
    return {
        "name": name,
        "title": f"{event.event_type} {_version(event)}",
        "summary": (event.__doc__ or name).strip().splitlines()[0],
        "contentType": "application/json",
        "headers": {
            "type": "object",
            "properties": {
                "producer": {"type": "string"},
                "version": {"type": "string", "const": _version(event)},
            },
        },
        "payload": {
            "allOf": [
                {"$ref": SCHEMAS_REF + "EventEnvelope"},
                {
                    "type": "object",
                    "required": ["data"],
                    "properties": {
                        "type": {"const": event.event_type},
                        "version": {
                            "type": "string",
                            "pattern": rf"^{major}\.[0-9]+$",
                            "examples": [_version(event)],
                        },
                        "data": {"$ref": SCHEMAS_REF + name},
                    },
                },
            ]
        },
        "bindings": {"amqp": {"messageType": event.event_type, "bindingVersion": "0.3.0"}},
        "x-event-version": _version(event),
    }


def rendered(built: dict[str, Any]) -> str:
    head = "# Rendered by docs/asyncapi.py from the event classes: do not edit by hand.\n"
    return head + yaml.safe_dump(built, sort_keys=False, allow_unicode=True, width=100)


# -- event versions ---------------------------------------------------------------------------


def event_schema(event: type[EventData]) -> dict[str, Any]:
    """The schema a consumer of the event's major version reads, without its prose."""
    return _without_prose(event.model_json_schema())


def _without_prose(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {key: _without_prose(value) for key, value in schema.items() if key not in PROSE}
    if isinstance(schema, list):
        return [_without_prose(value) for value in schema]
    return schema


def _resolved(schema: Any, defs: Mapping[str, Any]) -> Any:
    if isinstance(schema, dict):
        ref = schema.get("$ref", "")
        if ref.startswith("#/$defs/"):
            return _resolved(defs[ref.removeprefix("#/$defs/")], defs)
        return {key: _resolved(value, defs) for key, value in schema.items() if key != "$defs"}
    if isinstance(schema, list):
        return [_resolved(value, defs) for value in schema]
    return schema


def breaking_changes(released: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """What a consumer written for `released` could no longer read in `current`."""
    old = _resolved(released, released.get("$defs", {}))
    new = _resolved(current, current.get("$defs", {}))
    return _object_changes(old, new, prefix="")


def _object_changes(old: dict[str, Any], new: dict[str, Any], *, prefix: str) -> list[str]:
    """The breaking changes of one object schema; an object nested in a field (or in the items
    of a list field) is compared the same way, so an optional field added inside it is not one."""
    changes = []
    for name, schema in old.get("properties", {}).items():
        field = prefix + name
        if name not in new.get("properties", {}):
            changes.append(f"`{field}` was removed")
        elif new["properties"][name] != schema:
            changes += _field_changes(schema, new["properties"][name], field)
    if added := sorted(set(new.get("required", [])) - set(old.get("required", []))):
        changes.append(
            f"{[prefix + a for a in added]} became required (messages already sent lack them)"
        )
    still_there = set(new.get("properties", {}))
    if dropped := sorted(set(old.get("required", [])) - set(new.get("required", [])) & still_there):
        changes.append(f"{[prefix + d for d in dropped]} may now be missing")
    return changes


def _field_changes(old: dict[str, Any], new: dict[str, Any], field: str) -> list[str]:
    if (
        "properties" in old
        and "properties" in new
        and _same_beside(old, new, "properties", "required")
    ):
        return _object_changes(old, new, prefix=f"{field}.")
    if "items" in old and "items" in new and _same_beside(old, new, "items"):
        return _field_changes(old["items"], new["items"], f"{field}[]")
    return [f"`{field}` changed its schema"]


def _same_beside(old: dict[str, Any], new: dict[str, Any], *keys: str) -> bool:
    return {k: v for k, v in old.items() if k not in keys} == {
        k: v for k, v in new.items() if k not in keys
    }


def version_problems(released: Versions) -> list[str]:
    """How the event classes depart from their released versions (empty when all is well)."""
    problems = []
    for event_type, event in sorted(EVENT_TYPES.items()):
        entry = released.get(event_type, {}).get(str(event.major_version))
        if entry is None:
            problems.append(f"{event_type} {event.major_version}.x is not recorded yet")
            continue
        current = event_schema(event)
        if breaking := breaking_changes(entry["schema"], current):
            problems.append(
                f"{event_type} breaks version {event.major_version} ({'; '.join(breaking)}): "
                f"give it major_version {event.major_version + 1} (docs/versioning.md)"
            )
        elif current != entry["schema"] and event.minor_version <= entry["minor"]:
            problems.append(f"{event_type} changed compatibly: raise its minor_version")
        elif current != entry["schema"] or event.minor_version != entry["minor"]:
            problems.append(f"{event_type} {_version(event)} is not recorded yet")
    return problems


def recorded_versions(released: Versions) -> Versions:
    """The released versions with each event's current one recorded, unless that breaks it."""
    versions = json.loads(json.dumps(released))
    for event_type, event in sorted(EVENT_TYPES.items()):
        major = str(event.major_version)
        entry = versions.setdefault(event_type, {}).get(major)
        if entry is not None and breaking_changes(entry["schema"], event_schema(event)):
            continue
        versions[event_type][major] = {"minor": event.minor_version, "schema": event_schema(event)}
    return dict(sorted(versions.items()))


def rendered_versions(versions: Versions) -> str:
    return json.dumps(versions, indent=1, sort_keys=True) + "\n"


def main() -> None:
    server = embedded_mongo()
    mongo_url = server.start()
    try:
        consumers = asyncio.run(consumers_by_service(mongo_url))
    finally:
        server.stop()
    DOCUMENT.write_text(rendered(document(consumers)))
    released: Versions = json.loads(VERSIONS.read_text()) if VERSIONS.exists() else {}
    VERSIONS.write_text(rendered_versions(recorded_versions(released)))
    print(f"wrote {DOCUMENT.relative_to(REPO_ROOT)} and {VERSIONS.relative_to(REPO_ROOT)}")
    if problems := version_problems(json.loads(VERSIONS.read_text())):
        print(*problems, sep="\n", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()

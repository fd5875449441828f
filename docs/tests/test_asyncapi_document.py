"""The AsyncAPI document of the events: current, valid AsyncAPI 3.0.0, and no event breaking
the major version its consumers were written for."""

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator

from shared.events import EVENT_TYPES
from shared.testing import load_script

asyncapi = load_script(Path(__file__).resolve().parents[1] / "asyncapi.py")


@pytest.fixture(scope="module")
def committed() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(asyncapi.DOCUMENT.read_text())
    return loaded


def refused_by_the_specification(document: dict[str, Any]) -> list[str]:
    validator = Draft7Validator(json.loads(asyncapi.SCHEMA.read_text()))
    return [error.message for error in validator.iter_errors(document)]


async def test_the_committed_document_is_rendered_from_the_code(mongo_url: str) -> None:
    consumers = await asyncapi.consumers_by_service(mongo_url)

    current = asyncapi.rendered(asyncapi.document(consumers))

    assert asyncapi.DOCUMENT.read_text() == current, "run .venv/bin/python docs/asyncapi.py"


def test_the_document_is_valid_asyncapi_3(committed: dict[str, Any]) -> None:
    assert refused_by_the_specification(committed) == []
    assert refused_by_the_specification(committed | {"asyncapi": "2.6.0"}) != []


def test_every_reference_of_the_document_resolves(committed: dict[str, Any]) -> None:
    references = re.findall(r"\$ref': '#/([^']+)'", str(committed))

    for reference in references:
        target: Any = committed
        for token in reference.split("/"):
            target = target[token.replace("~1", "/").replace("~0", "~")]
        assert isinstance(target, dict), reference


def test_every_event_has_a_publisher_and_the_consumers_it_has(committed: dict[str, Any]) -> None:
    operations = committed["operations"].values()
    sent = sorted(op["channel"]["$ref"] for op in operations if op["action"] == "send")
    received = {op["channel"]["$ref"] for op in operations if op["action"] == "receive"}

    assert sent == sorted(f"#/channels/{event_type}" for event_type in EVENT_TYPES)
    assert received <= set(sent)
    assert "timeline.receive.post.published" in committed["operations"]


def test_no_event_breaks_its_released_major_version() -> None:
    released = json.loads(asyncapi.VERSIONS.read_text())

    assert asyncapi.version_problems(released) == []


RELEASED = {
    "type": "object",
    "properties": {"post_id": {"type": "string"}, "text": {"type": "string"}},
    "required": ["post_id", "text"],
}


def _changed(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required}


@pytest.mark.parametrize(
    ("current", "breaking"),
    [
        (_changed({"post_id": {"type": "string"}}, ["post_id"]), ["`text` was removed"]),
        (
            _changed({"post_id": {"type": "integer"}, "text": {"type": "string"}}, ["post_id"]),
            ["`post_id` changed its schema", "['text'] may now be missing"],
        ),
        (
            _changed(
                RELEASED["properties"] | {"lang": {"type": "string"}}, ["post_id", "text", "lang"]
            ),
            ["['lang'] became required (messages already sent lack them)"],
        ),
        (_changed(RELEASED["properties"] | {"lang": {"type": "string"}}, ["post_id", "text"]), []),
    ],
    ids=["field removed", "field retyped", "field newly required", "optional field added"],
)
def test_a_change_a_consumer_cannot_read_is_breaking(
    current: dict[str, Any], breaking: list[str]
) -> None:
    assert asyncapi.breaking_changes(RELEASED, current) == breaking


NESTED = {
    "type": "object",
    "properties": {
        "invitations": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"invitee_id": {"type": "string"}},
                "required": ["invitee_id"],
            },
        }
    },
    "required": ["invitations"],
}


def _nested(item: dict[str, Any], required: list[str]) -> dict[str, Any]:
    items = {"type": "object", "properties": item, "required": required}
    return {**NESTED, "properties": {"invitations": {"type": "array", "items": items}}}


@pytest.mark.parametrize(
    ("current", "breaking"),
    [
        (
            _nested(
                {"invitee_id": {"type": "string"}, "credit": {"type": "string"}}, ["invitee_id"]
            ),
            [],
        ),
        (
            _nested({"invitee_id": {"type": "integer"}}, ["invitee_id"]),
            ["`invitations[].invitee_id` changed its schema"],
        ),
        (_nested({}, []), ["`invitations[].invitee_id` was removed"]),
        (
            _nested(
                {"invitee_id": {"type": "string"}, "credit": {"type": "string"}},
                ["invitee_id", "credit"],
            ),
            ["['invitations[].credit'] became required (messages already sent lack them)"],
        ),
    ],
    ids=["optional field added", "field retyped", "field removed", "field newly required"],
)
def test_objects_inside_an_event_are_held_to_the_same_rules(
    current: dict[str, Any], breaking: list[str]
) -> None:
    assert asyncapi.breaking_changes(NESTED, current) == breaking


def test_a_breaking_change_to_a_real_event_asks_for_a_new_major_version() -> None:
    released = json.loads(asyncapi.VERSIONS.read_text())
    entry = released["post.published"]["1"]
    entry["schema"]["properties"]["removed_since"] = {"type": "string"}
    entry["schema"]["required"].append("removed_since")

    assert asyncapi.version_problems(released) == [
        "post.published breaks version 1 (`removed_since` was removed): "
        "give it major_version 2 (docs/versioning.md)"
    ]

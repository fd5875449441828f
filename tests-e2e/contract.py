"""Every answer of the end-to-end suite, checked against the public OpenAPI document.

The e2e clients carry `ApiContract.check` as an httpx response hook: an answer to a documented
operation must have a status that operation declares, one of its declared media types, and a
body that validates against the declared schema (JSON Schema 2020-12, as OpenAPI 3.1 says).
An answer to a path or method the document does not list must be the gateway's 404 or 405
problem. What breaks the contract is collected, and conftest fails the test that saw it.
"""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

DOCUMENT_PATH = Path(__file__).resolve().parents[1] / "docs" / "openapi.json"
DOCUMENT_URI = "urn:copost:openapi"
PUBLIC_PREFIX = "/v1/"
# Answers whose body is a stream that never ends: their status and media type are checked.
STREAM_MEDIA_TYPE = "text/event-stream"
NO_SUCH_OPERATION = {404, 405}
PROBLEM_MEDIA_TYPE = "application/problem+json"


@dataclass(frozen=True)
class _Operation:
    pattern: re.Pattern[str]
    literal_segments: int
    details: dict[str, Any]
    pointer: str  # to the operation in the document, for its schemas' references


def _escaped(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


@dataclass
class ApiContract:
    document: dict[str, Any]
    broken: list[str] = field(default_factory=list)
    checked: int = 0

    def __post_init__(self) -> None:
        resource = Resource.from_contents(self.document, default_specification=DRAFT202012)
        self._registry: Registry[Any] = Registry().with_resource(DOCUMENT_URI, resource)
        self._operations: dict[str, list[_Operation]] = {}
        self._validators: dict[str, Draft202012Validator] = {}
        for path, item in self.document["paths"].items():
            pattern = re.compile("^" + re.sub(r"\{[^}/]+\}", "[^/]+", path) + "$")
            literal = sum(1 for part in path.split("/") if part and not part.startswith("{"))
            for method, details in item.items():
                pointer = f"/paths/{_escaped(path)}/{method}"
                operation = _Operation(pattern, literal, details, pointer)
                self._operations.setdefault(method.upper(), []).append(operation)

    @classmethod
    def committed(cls) -> "ApiContract":
        return cls(json.loads(DOCUMENT_PATH.read_text()))

    async def check(self, response: httpx.Response) -> None:
        """The response hook: record how this answer departs from the document, if it does."""
        request = response.request
        path = request.url.path
        if not path.startswith(PUBLIC_PREFIX):
            return
        media_type = response.headers.get("content-type", "").split(";")[0].strip()
        body = None
        if media_type != STREAM_MEDIA_TYPE:
            body = await response.aread()
        self.checked += 1
        for problem in self.departures(
            request.method, path, response.status_code, media_type, body
        ):
            self.broken.append(f"{request.method} {path} -> {response.status_code}: {problem}")

    def departures(
        self, method: str, path: str, status: int, media_type: str, body: bytes | None
    ) -> list[str]:
        operation = self._operation(method, path)
        if operation is None:
            if status in NO_SUCH_OPERATION and media_type == PROBLEM_MEDIA_TYPE:
                return []
            return ["the document has no such operation"]
        declared = operation.details["responses"].get(str(status))
        if declared is None:
            return [f"undeclared status (declared: {sorted(operation.details['responses'])})"]
        content: dict[str, Any] = declared.get("content", {})
        if not content:
            return [] if not body else ["a body where the document declares none"]
        if media_type not in content:
            return [f"media type {media_type!r} is not among {sorted(content)}"]
        schema = content[media_type].get("schema")
        if schema is None or body is None or schema.get("format") == "binary":
            return []
        pointer = f"{operation.pointer}/responses/{status}/content/{_escaped(media_type)}/schema"
        return self._schema_errors(pointer, body)

    def _operation(self, method: str, path: str) -> _Operation | None:
        matching = [op for op in self._operations.get(method, []) if op.pattern.match(path)]
        return max(matching, key=lambda op: op.literal_segments, default=None)

    def _schema_errors(self, pointer: str, body: bytes) -> list[str]:
        try:
            instance = json.loads(body)
        except ValueError:
            return ["the body is not JSON"]
        validator = self._validators.get(pointer)
        if validator is None:
            validator = Draft202012Validator(
                {"$ref": f"{DOCUMENT_URI}#{pointer}"}, registry=self._registry
            )
            self._validators[pointer] = validator
        return [
            f"{'/'.join(map(str, error.absolute_path)) or 'body'}: {error.message}"
            for error in validator.iter_errors(instance)
        ][:3]

"""The API documents kept in tests/openapi, and JSON Schema validation against them."""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

OPENAPI = Path(__file__).parent / "openapi"
METHODS = ("get", "put", "post", "patch", "delete")


@cache
def document(version: str = "1.10.0") -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((OPENAPI / f"lambda-cloud-api-{version}.json").read_text())
    return loaded


def operations(version: str = "1.10.0") -> list[tuple[str, str]]:
    """Every (METHOD, path) of a document."""
    return [
        (method.upper(), path)
        for path, item in document(version)["paths"].items()
        for method in item
        if method in METHODS
    ]


def template(method: str, path: str, version: str = "1.10.0") -> str | None:
    """The documented path (``/api/v1/instances/{id}``) that a concrete path matches."""
    literal = [p for p in document(version)["paths"] if "{" not in p]
    templated = [p for p in document(version)["paths"] if "{" in p]
    for candidate in literal + templated:
        regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(candidate))
        if method.lower() in document(version)["paths"][candidate] and re.fullmatch(regex, path):
            return candidate
    return None


def _closed(node: Any) -> Any:
    """Schemas with ``additionalProperties: false`` wherever they list properties and say
    nothing else, so that a fixture with a misspelt or invented key fails."""
    if isinstance(node, dict):
        node = {key: _closed(value) for key, value in node.items()}
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        return node
    if isinstance(node, list):
        return [_closed(item) for item in node]
    return node


@cache
def _registry(version: str) -> Registry:
    closed = _closed(copy.deepcopy(document(version)))
    return Registry().with_resource("doc", Resource.from_contents(closed, DRAFT202012))


def response_validator(
    method: str, path: str, status: str = "200", version: str = "1.10.0"
) -> jsonschema.Draft202012Validator:
    """A validator for the JSON body of one documented response."""
    operation = document(version)["paths"][path][method.lower()]
    schema = operation["responses"][status]["content"]["application/json"]["schema"]
    rooted = json.loads(json.dumps(_closed(schema)).replace('"#/components', '"doc#/components'))
    return jsonschema.Draft202012Validator(rooted, registry=_registry(version))

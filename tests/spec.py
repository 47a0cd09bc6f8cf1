"""The API documents kept in tests/openapi, and JSON Schema validation against them."""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import requests
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest
from openapi_core.validation.request.exceptions import RequestBodyValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

OPENAPI = Path(__file__).parent / "openapi"
METHODS = ("get", "put", "post", "patch", "delete")


@cache
def document(version: str = "1.10.0") -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((OPENAPI / f"lambda-cloud-api-{version}.json").read_text())
    return loaded


@cache
def _openapi(version: str) -> OpenAPI:
    """The document with closed object schemas (see :func:`_closed`)."""
    return OpenAPI.from_dict(_closed(copy.deepcopy(document(version))))


def request_violation(request: requests.PreparedRequest, version: str = "1.10.0") -> str | None:
    """Why the document would reject this request (path, method, query, body, auth), or None.

    The request is checked as if it were sent to the document's server, whatever host and
    path prefix the test client used. Its JSON body is checked against closed schemas: the
    document allows keys it does not list, so a misspelt optional key (``host_name``) would
    otherwise pass, and the server would ignore it.
    """
    url = request.url or ""
    start = url.find("/api/")
    canonical = request.copy()
    canonical.url = "https://cloud.lambda.ai" + url[start:]
    try:
        _openapi(version).validate_request(RequestsOpenAPIRequest(canonical))
    except Exception as error:  # noqa: BLE001 - every kind of violation is reported the same way
        cause = error.__cause__
        schema_errors = getattr(cause, "schema_errors", None)
        if isinstance(error, RequestBodyValidationError) and schema_errors:
            # Where and why, without the whole body (which may carry user_data, a secret).
            return "Request body: " + "; ".join(
                f"{e.json_path}: {e.message}" for e in schema_errors
            )
        detail = f"{error}" + (
            f" ({cause})" if cause is not None and str(cause) != str(error) else ""
        )
        return detail
    return None


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
    return jsonschema.Draft202012Validator(
        rooted,
        registry=_registry(version),
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )

"""Properties of the response decoder, with hypothesis.

Payloads shaped like the document's response schemas — optional fields missing, extra fields,
enum values the document does not know yet, nulls where it allows them — always parse.
Garbage — any JSON where the data should be, any bytes as a body — always raises a
``LambdaCloudError`` subclass, never a raw ``KeyError``/``TypeError``/cattrs error.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambdacloud import Client, LambdaCloudError
from lambdacloud._http import decoding

from .spec import document
from .test_operations import OPERATIONS

READS = sorted(key for key in OPERATIONS if key[0] == "GET")
#: Every operation whose answer carries data worth decoding. Not the launch: an answer
#: naming no instance is schema-valid, and rightly an error (covered in test_retries.py).
NOT_DECODED = {
    ("PATCH", "/api/v1/tickets/{ticket_id}"),
    ("POST", "/api/v1/instance-operations/launch"),
}
DECODED = sorted(key for key in OPERATIONS if key not in NOT_DECODED)
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=12,
)


def shaped(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values valid for ``schema`` — plus the liberties a newer server may take with it."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return st.deferred(lambda: shaped(document()["components"]["schemas"][name]))
    if "anyOf" in schema:
        return st.one_of([shaped(option) for option in schema["anyOf"]])
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        unknown = st.text(alphabet="abcdefghij_-", min_size=1, max_size=10)
        return st.sampled_from(schema["enum"]) | unknown
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return _objects(schema)
    if kind == "array":
        low = schema.get("minItems", 0)
        high = schema.get("maxItems", max(low, 3))
        return st.lists(shaped(schema.get("items", {})), min_size=low, max_size=high)
    if kind == "string":
        if schema.get("format") == "date-time":
            return st.datetimes(timezones=st.just(timezone.utc)).map(lambda d: d.isoformat())
        low = schema.get("minLength", 0)
        return st.text(min_size=low, max_size=min(schema.get("maxLength", 12), max(low, 12)))
    if kind == "integer":
        return st.integers(schema.get("minimum", -(10**9)), schema.get("maximum", 10**9))
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    return json_values


def _objects(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    properties = schema.get("properties", {})
    required = set(schema.get("required", [])) & set(properties)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict) and not properties:  # a map, like the instance types
        return st.dictionaries(st.text(min_size=1, max_size=8), shaped(extra), max_size=3)
    base = st.fixed_dictionaries(
        {name: shaped(properties[name]) for name in sorted(required)},
        optional={name: shaped(properties[name]) for name in sorted(set(properties) - required)},
    )
    if extra is False:
        return base
    unknown_fields = st.dictionaries(
        st.text(alphabet="xyz_", min_size=4, max_size=8).filter(lambda k: k not in properties),
        json_values,
        max_size=2,
    )
    return st.builds(lambda known, more: {**more, **known}, base, unknown_fields)


def answer_schema(method: str, path: str) -> dict[str, Any]:
    responses = document()["paths"][path][method.lower()]["responses"]
    ok = responses.get("200") or responses["202"]
    schema: dict[str, Any] = ok["content"]["application/json"]["schema"]
    return schema


class _SecondPage(Exception):
    pass


def answering(client: Client, payload: Any) -> None:
    """Make ``client`` receive ``payload`` (an envelope) for its first request; a second
    request (the next page of a listing) ends the call."""
    calls = []

    def request(method: str, path: str, **options: Any) -> Any:
        calls.append(path)
        if len(calls) > 1:
            raise _SecondPage
        if options.get("envelope"):
            return payload
        return payload.get("data") if isinstance(payload, dict) else payload

    client._api.session.request = request  # type: ignore[method-assign]


def call(operation: tuple[str, str], payload: Any) -> None:
    client = Client(api_key="k", max_retries=0)
    answering(client, payload)
    run: Callable[[Client], Any] = OPERATIONS[operation][0]
    with contextlib.suppress(_SecondPage):
        run(client)


@pytest.mark.random_answers
@pytest.mark.parametrize("operation", DECODED, ids=lambda op: f"{op[0]} {op[1]}")
def test_schema_shaped_answers_always_parse(operation: tuple[str, str]) -> None:
    @SETTINGS
    @given(shaped(answer_schema(*operation)))
    def check(payload: Any) -> None:
        call(operation, payload)

    check()


@pytest.mark.parametrize("operation", READS, ids=lambda op: f"{op[0]} {op[1]}")
def test_garbage_data_raises_only_library_errors(operation: tuple[str, str]) -> None:
    @SETTINGS
    @given(json_values)
    def check(data: Any) -> None:
        with contextlib.suppress(LambdaCloudError):
            call(operation, {"data": data, "page_token": None})

    check()


@SETTINGS
@given(
    status=st.sampled_from([200, 201, 202, 204, 301, 400, 401, 403, 404, 409, 429, 500, 502, 503]),
    body=st.binary(max_size=64) | json_values.map(lambda v: __import__("json").dumps(v).encode()),
    retry_after=st.none() | st.text(max_size=30),
)
def test_any_answer_is_an_envelope_or_a_library_error(
    status: int, body: bytes, retry_after: str | None
) -> None:
    headers = {} if retry_after is None else {"Retry-After": retry_after}
    outcome: dict[str, Any] | LambdaCloudError
    try:
        outcome = decoding.unwrap("GET", "/api/v1/instances", status, headers, body, hidden=())
    except LambdaCloudError as error:
        outcome = error
    if isinstance(outcome, LambdaCloudError):
        assert outcome.status_code == status
    else:
        assert 200 <= status < 300
        assert "data" in outcome

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import responses
from IPython.lib.pretty import pretty
from responses import matchers

from lambdacloud import (
    AuditEvent,
    Client,
    FirewallRule,
    MalformedResponseError,
    Paged,
    ResultStatus,
    ValidationError,
)
from lambdacloud._display import MAX_ROWS
from lambdacloud.audit_events import RESOURCE_TYPES
from lambdacloud.testing import FakeClock, FakeLambdaCloud

from .conftest import API, load

URL = f"{API}/audit-events"
TOKEN = "eyJuZXh0IjoxNzA0MTk2ODAwfQ=="


def page(events: list[Any], token: str | None) -> dict[str, Any]:
    return {"data": events, "page_token": token}


def test_follows_page_tokens_to_the_end(client: Client, mocked: responses.RequestsMock) -> None:
    mocked.get(URL, json=load("audit_events_page1"), match=[matchers.query_string_matcher("")])
    mocked.get(
        URL,
        json=load("audit_events_page2"),
        match=[matchers.query_param_matcher({"page_token": TOKEN})],
    )
    events = list(client.audit_events.list())
    assert [e.action for e in events] == ["launch", "delete", "create"]
    first, second, third = events
    assert isinstance(first, AuditEvent)
    assert first.event_time == "2025-06-01T10:20:30Z"
    assert first.occurred_at == datetime(2025, 6, 1, 10, 20, 30, tzinfo=timezone.utc)
    assert first.resource_lrns == (
        "lrn:lambda:cloud:us-east-1:instance/0920582c7ff041399e34823a0be62549",
    )
    assert first.result is not None
    assert first.result.status is ResultStatus.SUCCESS
    assert first.result.status_code == 200
    assert first.additional_details == {"instance_type": "gpu_1x_a10", "count": 1}
    assert first.actor_email == "me@example.com"
    assert (second.actor_lrn, second.actor_email, second.result, second.surface) == (
        None,
        None,
        None,
        None,
    )
    assert third.result is not None
    assert third.result.status_code is None


def test_reads_the_first_page_at_the_call_and_the_next_when_iteration_reaches_it(
    client: Client, mocked: responses.RequestsMock
) -> None:
    mocked.get(URL, json=load("audit_events_page1"), match=[matchers.query_string_matcher("")])
    mocked.get(
        URL,
        json=load("audit_events_page2"),
        match=[matchers.query_param_matcher({"page_token": TOKEN})],
    )
    events = client.audit_events.list()
    assert len(mocked.calls) == 1  # so that displaying it never touches the network
    assert isinstance(events, Paged)
    assert iter(events) is events
    assert [e.action for e in events.first_page] == ["launch", "delete"]
    assert events.more is True
    next(events)
    next(events)
    assert len(mocked.calls) == 1
    assert next(events).action == "create"
    assert len(mocked.calls) == 2
    assert list(events) == []


def test_reads_the_1_8_3_page_shape(client: Client, mocked: responses.RequestsMock) -> None:
    first = load("audit_events_1_8_3")
    first["data"]["page_token"] = "older-token"
    mocked.get(URL, json=first, match=[matchers.query_string_matcher("")])
    mocked.get(
        URL,
        json=load("audit_events_1_8_3"),
        match=[matchers.query_param_matcher({"page_token": "older-token"})],
    )
    events = list(client.audit_events.list())
    assert [e.action for e in events] == ["terminate", "terminate"]
    assert events[0].actor_email is None
    assert events[0].workspace_lrn is None


def test_empty_first_page(client: Client, mocked: responses.RequestsMock) -> None:
    mocked.get(URL, json=page([], None))
    assert list(client.audit_events.list()) == []


def test_empty_page_with_a_token_goes_on(client: Client, mocked: responses.RequestsMock) -> None:
    mocked.get(URL, json=page([], "next"), match=[matchers.query_string_matcher("")])
    mocked.get(
        URL,
        json=load("audit_events_page2"),
        match=[matchers.query_param_matcher({"page_token": "next"})],
    )
    assert [e.action for e in client.audit_events.list()] == ["create"]


def test_a_repeated_token_raises_instead_of_looping(
    client: Client, mocked: responses.RequestsMock
) -> None:
    served = []

    def same_token(request: Any) -> tuple[int, dict[str, str], str]:
        served.append(request.url)
        if len(served) > 5:
            raise AssertionError("the iterator kept following a repeated token")
        return 200, {}, json.dumps(page([], "same"))

    mocked.add_callback("GET", URL, callback=same_token)
    with pytest.raises(MalformedResponseError, match="same page token"):
        list(client.audit_events.list())
    assert len(served) == 2


def test_filters(client: Client, mocked: responses.RequestsMock) -> None:
    start = datetime(2025, 6, 1, tzinfo=timezone.utc)
    end = datetime(2025, 6, 2, 12, tzinfo=timezone(timedelta(hours=2)))
    mocked.get(
        URL,
        json=page([], None),
        match=[
            matchers.query_param_matcher(
                {
                    "start": "2025-06-01T00:00:00+00:00",
                    "end": "2025-06-02T12:00:00+02:00",
                    "resource_type": "cloud.instance",
                }
            )
        ],
    )
    found = client.audit_events.list(start=start, end=end, resource_type="cloud.instance")
    assert list(found) == []


def test_iso_strings_are_checked_and_normalised(
    client: Client, mocked: responses.RequestsMock
) -> None:
    mocked.get(
        URL,
        json=page([], None),
        match=[
            matchers.query_param_matcher(
                {"start": "2025-06-01T00:00:00+00:00", "end": "2025-06-02T12:30:00+02:00"}
            )
        ],
    )
    found = client.audit_events.list(start="2025-06-01T00:00:00Z", end="2025-06-02 12:30+0200")
    assert list(found) == []


@pytest.mark.parametrize(
    ("options", "argument"),
    [
        ({"start": datetime(2025, 6, 1)}, "start"),
        ({"end": datetime(2025, 6, 1)}, "end"),
        ({"start": "last tuesday"}, "start"),
        ({"start": "2025-06-01T00:00:00"}, "start"),
        ({"end": "2025-06-01"}, "end"),
        ({"start": 1717200000}, "start"),
        ({"resource_type": ""}, "resource_type"),
    ],
)
def test_bad_filters_fail_at_the_call_before_any_request(
    client: Client, mocked: responses.RequestsMock, options: dict[str, Any], argument: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        client.audit_events.list(**options)
    assert raised.value.argument == argument
    assert len(mocked.calls) == 0


def test_event_time_is_kept_as_sent_and_parsed_when_it_can_be(
    client: Client, mocked: responses.RequestsMock
) -> None:
    odd = load("audit_events_page2")
    odd["data"][0]["event_time"] = "sometime on Tuesday"
    mocked.get(URL, json=odd)
    (event,) = client.audit_events.list()
    assert event.event_time == "sometime on Tuesday"
    assert event.occurred_at is None


class TestDisplay:
    """``client.audit_events.list()`` in a notebook: its first page as a table."""

    def test_the_first_page_shows_as_a_table_with_more_available(
        self, client: Client, mocked: responses.RequestsMock
    ) -> None:
        mocked.get(URL, json=load("audit_events_page1"), match=[matchers.query_string_matcher("")])
        events = client.audit_events.list()
        markup = events._repr_html_()
        assert "generator" not in markup
        assert ">2 audit events on the first page, more available</caption>" in markup
        assert "<thead>" in markup
        assert markup.count("<tr>") == 4  # the header, two events, and the note
        assert "… more available: iterate over the listing to read every page</td>" in markup
        text = pretty(events).splitlines()
        assert text[0].split()[:4] == ["event", "time", "service", "name"]
        assert "launch" in text[1]
        assert text[-1] == "… more available: iterate over the listing to read every page"
        assert repr(events) == "<Paged audit events: 2 on the first page, more available>"
        assert len(mocked.calls) == 1  # displaying sent nothing

    def test_a_last_page_says_nothing_more(
        self, client: Client, mocked: responses.RequestsMock
    ) -> None:
        mocked.get(URL, json=load("audit_events_page2"))
        events = client.audit_events.list()
        markup = events._repr_html_()
        assert ">1 audit event</caption>" in markup
        assert "more" not in markup.split("</style>")[1]
        assert events.more is False
        assert "more" not in pretty(events)

    def test_an_empty_listing_says_so(self, client: Client, mocked: responses.RequestsMock) -> None:
        mocked.get(URL, json=page([], None), match=[matchers.query_string_matcher("")])
        mocked.get(URL, json=page([], None), match=[matchers.query_string_matcher("")])
        assert "No audit events." in client.audit_events.list()._repr_html_()
        assert pretty(client.audit_events.list()) == "No audit events."

    def test_an_empty_first_page_with_more_says_so(
        self, client: Client, mocked: responses.RequestsMock
    ) -> None:
        mocked.get(URL, json=page([], "next"))
        events = client.audit_events.list()
        assert "No audit events on the first page; more available" in events._repr_html_()

    def test_the_display_stays_the_first_page_while_iterating(
        self, client: Client, mocked: responses.RequestsMock
    ) -> None:
        mocked.get(URL, json=load("audit_events_page1"), match=[matchers.query_string_matcher("")])
        mocked.get(
            URL,
            json=load("audit_events_page2"),
            match=[matchers.query_param_matcher({"page_token": TOKEN})],
        )
        events = client.audit_events.list()
        before = events._repr_html_()
        assert [e.action for e in events] == ["launch", "delete", "create"]
        assert events._repr_html_() == before


class TestResourceType:
    """``resource_type`` is checked: a mistake the API would answer with nothing raises."""

    @pytest.mark.parametrize(
        ("value", "meant"),
        [
            ("instance", "cloud.instance"),
            ("instances", "cloud.instance"),
            ("ssh-key", "cloud.ssh_key"),
            ("Cloud.Instance", "cloud.instance"),
            ("cloud.instances", "cloud.instance"),
            (" cloud.filesystem", "cloud.filesystem"),
            ("api_key", "cloud.api_key"),
        ],
    )
    def test_a_misspelt_type_fails_at_the_call_saying_what_was_meant(
        self, client: Client, mocked: responses.RequestsMock, value: str, meant: str
    ) -> None:
        with pytest.raises(ValidationError) as raised:
            client.audit_events.list(resource_type=value)
        assert raised.value.argument == "resource_type"
        assert f"Did you mean {meant!r}?" in str(raised.value)
        assert "Known types: " + ", ".join(RESOURCE_TYPES) in str(raised.value)
        assert len(mocked.calls) == 0

    def test_a_type_without_its_service_says_how_types_are_written(self, client: Client) -> None:
        with pytest.raises(ValidationError, match=r"written <service>\.<resource>") as raised:
            client.audit_events.list(resource_type="gpu")
        assert "Did you mean" not in str(raised.value)
        assert "cloud.instance" in str(raised.value)

    def test_an_unknown_type_is_sent_with_a_warning(
        self, client: Client, mocked: responses.RequestsMock, caplog: pytest.LogCaptureFixture
    ) -> None:
        mocked.get(
            URL,
            json=page([], None),
            match=[matchers.query_param_matcher({"resource_type": "cloud.cluster"})],
        )
        assert list(client.audit_events.list(resource_type="cloud.cluster")) == []
        (record,) = [r for r in caplog.records if "resource_type" in r.getMessage()]
        assert record.levelname == "WARNING"
        assert record.name == "lambdacloud"
        assert "'cloud.cluster' is not a resource type this library knows" in record.getMessage()
        assert "cloud.instance" in record.getMessage()

    def test_a_known_type_is_sent_without_a_warning(
        self, client: Client, mocked: responses.RequestsMock, caplog: pytest.LogCaptureFixture
    ) -> None:
        mocked.get(URL, json=page([], None))
        for known in RESOURCE_TYPES:
            list(client.audit_events.list(resource_type=known))
        assert not [r for r in caplog.records if r.levelname == "WARNING"]
        assert len(mocked.calls) == len(RESOURCE_TYPES)

    def test_the_types_the_fake_records_are_known(self) -> None:
        with FakeLambdaCloud(clock=FakeClock(frozen=True), rate_limits=False) as cloud:
            client = cloud.client(rate_limit=False)
            key = client.ssh_keys.create("me")
            filesystem = client.filesystems.create("data", "us-east-1")
            client.firewall_rules.allow(8888)
            ruleset = client.firewall_rulesets.create(
                "web", "us-east-1", [FirewallRule("tcp", 443)]
            )
            instance = client.instances.launch("gpu_1x_a10", ssh_key=key, region="us-east-1")
            instance.terminate()
            ruleset.delete()
            filesystem.delete()
            kinds = {f"{e.service_name}.{e.resource_name}" for e in client.audit_events.list()}
        assert len(kinds) == 5
        assert kinds <= set(RESOURCE_TYPES)

    def test_a_long_first_page_shows_its_first_rows_and_says_what_is_left(
        self, client: Client, mocked: responses.RequestsMock
    ) -> None:
        (event,) = load("audit_events_page2")["data"]
        events = [{**event, "event_id": f"{n:032x}"} for n in range(MAX_ROWS + 7)]
        mocked.get(URL, json=page(events, "next"))
        listing = client.audit_events.list()
        markup = listing._repr_html_()
        assert markup.count("<tr>") == 1 + MAX_ROWS + 1
        assert f">{MAX_ROWS + 7} audit events on the first page, more available</caption>" in (
            markup
        )
        note = "… 7 more on the first page; … more available: iterate over the listing"
        assert note in markup
        assert pretty(listing).splitlines()[-1].startswith(note)

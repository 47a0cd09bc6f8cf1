from __future__ import annotations

from datetime import datetime, timezone

import pytest
import responses
from responses import matchers

from lambdacloud import (
    Client,
    FirewallRule,
    FirewallRuleset,
    FirewallRulesetInUseError,
    GlobalFirewallRuleset,
    Region,
    ValidationError,
)

from .conftest import API, launch_matcher, load

RULESET_ID = "c4d291f47f9d436fa39f58493ce3b50d"
URL = f"{API}/firewall-rulesets"
HTTPS = FirewallRule("tcp", (443, 443), "0.0.0.0/0", "HTTPS")
HTTPS_JSON = {
    "protocol": "tcp",
    "port_range": [443, 443],
    "source_network": "0.0.0.0/0",
    "description": "HTTPS",
}


def test_list(client: Client, mocked: responses.RequestsMock) -> None:
    mocked.get(URL, json=load("firewall_rulesets"))
    web, empty = client.firewall_rulesets.list()
    assert isinstance(web, FirewallRuleset)
    assert web.id == RULESET_ID
    assert web.name == "web-servers"
    assert web.region == Region("us-east-1", "Virginia, USA")
    assert web.rules[0] == HTTPS
    assert web.created == datetime(2025, 6, 1, 10, 20, 30, tzinfo=timezone.utc)
    assert web.instance_ids == ["0920582c7ff041399e34823a0be62549"]
    assert empty.rules == []


def test_get_and_refresh(client: Client, mocked: responses.RequestsMock) -> None:
    mocked.get(f"{URL}/{RULESET_ID}", json=load("firewall_ruleset"))
    renamed = load("firewall_ruleset")
    renamed["data"]["name"] = "renamed"
    mocked.get(f"{URL}/{RULESET_ID}", json=renamed)
    ruleset = client.firewall_rulesets.get(RULESET_ID)
    assert ruleset.refresh() is ruleset
    assert ruleset.name == "renamed"


def test_create(client: Client, mocked: responses.RequestsMock) -> None:
    body = {"name": "web-servers", "region": "us-east-1", "rules": [HTTPS_JSON]}
    mocked.post(URL, json=load("firewall_ruleset"), match=[matchers.json_params_matcher(body)])
    ruleset = client.firewall_rulesets.create("web-servers", Region("us-east-1"), [HTTPS])
    assert ruleset.id == RULESET_ID
    assert ruleset._manager is client.firewall_rulesets


@pytest.mark.parametrize(
    ("name", "rules", "argument"),
    [
        ("", [HTTPS], "name"),
        ("n" * 65, [HTTPS], "name"),
        ("ok", [HTTPS_JSON], "rules[0]"),
        ("ok", None, "rules"),
    ],
)
def test_create_checks_its_input(
    client: Client, mocked: responses.RequestsMock, name: str, rules: object, argument: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        client.firewall_rulesets.create(name, "us-east-1", rules)  # type: ignore[arg-type]
    assert raised.value.argument == argument
    assert len(mocked.calls) == 0


@pytest.mark.parametrize(
    ("options", "body"),
    [
        ({"name": "renamed"}, {"name": "renamed"}),
        ({"rules": [HTTPS]}, {"rules": [HTTPS_JSON]}),
        ({"name": "renamed", "rules": []}, {"name": "renamed", "rules": []}),
    ],
)
def test_update_sends_only_what_changes(
    client: Client,
    mocked: responses.RequestsMock,
    options: dict[str, object],
    body: dict[str, object],
) -> None:
    mocked.patch(
        f"{URL}/{RULESET_ID}",
        json=load("firewall_ruleset"),
        match=[matchers.json_params_matcher(body)],
    )
    assert client.firewall_rulesets.update(RULESET_ID, **options).id == RULESET_ID  # type: ignore[arg-type]


def test_update_needs_something(client: Client, mocked: responses.RequestsMock) -> None:
    with pytest.raises(ValidationError, match="name"):
        client.firewall_rulesets.update(RULESET_ID)


def test_resource_update_and_delete(client: Client, mocked: responses.RequestsMock) -> None:
    mocked.get(f"{URL}/{RULESET_ID}", json=load("firewall_ruleset"))
    renamed = load("firewall_ruleset")
    renamed["data"]["name"] = "renamed"
    mocked.patch(
        f"{URL}/{RULESET_ID}",
        json=renamed,
        match=[matchers.json_params_matcher({"name": "renamed"})],
    )
    mocked.delete(f"{URL}/{RULESET_ID}", json=load("empty"))
    ruleset = client.firewall_rulesets.get(RULESET_ID)
    assert ruleset.update(name="renamed") is ruleset
    assert ruleset.name == "renamed"
    assert ruleset.delete() is None


def test_deleting_a_ruleset_in_use(client: Client, mocked: responses.RequestsMock) -> None:
    error = {
        "code": "firewall-rulesets/firewall-ruleset-in-use",
        "message": "Firewall ruleset is in use by one or more instances.",
        "suggestion": "Terminate all instances that are using the ruleset before deleting it.",
    }
    mocked.delete(f"{URL}/{RULESET_ID}", json={"error": error}, status=400)
    with pytest.raises(FirewallRulesetInUseError) as raised:
        client.firewall_rulesets.delete(RULESET_ID)
    assert raised.value.suggestion is not None


def test_global_ruleset(client: Client, mocked: responses.RequestsMock) -> None:
    mocked.get(f"{URL}/global", json=load("firewall_ruleset_global"))
    body = {"rules": [HTTPS_JSON]}
    updated = load("firewall_ruleset_global")
    updated["data"]["rules"] = [HTTPS_JSON]
    mocked.patch(f"{URL}/global", json=updated, match=[matchers.json_params_matcher(body)])
    ruleset = client.firewall_rulesets.get_global()
    assert isinstance(ruleset, GlobalFirewallRuleset)
    assert ruleset.id == "global"
    assert ruleset.name == "Global Firewall Rules"
    assert ruleset.update(rules=[HTTPS]) is ruleset
    assert ruleset.rules == [HTTPS]


def test_global_ruleset_has_its_own_calls(client: Client, mocked: responses.RequestsMock) -> None:
    with pytest.raises(ValidationError, match="get_global"):
        client.firewall_rulesets.get("global")
    with pytest.raises(ValidationError, match="global"):
        client.firewall_rulesets.delete("global")


def test_launch_takes_ruleset_objects(client: Client, mocked: responses.RequestsMock) -> None:
    mocked.get(URL, json=load("firewall_rulesets"))
    mocked.post(
        f"{API}/instance-operations/launch",
        json=load("launched"),
        match=[
            launch_matcher(
                {
                    "region_name": "us-east-1",
                    "instance_type_name": "gpu_1x_a10",
                    "ssh_key_names": ["k"],
                    "firewall_rulesets": [{"id": RULESET_ID}],
                }
            )
        ],
    )
    mocked.get(f"{API}/instances/0920582c7ff041399e34823a0be62549", json=load("instance_booting"))
    web = client.firewall_rulesets.list()[0]
    client.instances.launch("gpu_1x_a10", region="us-east-1", ssh_key="k", firewall_rulesets=[web])

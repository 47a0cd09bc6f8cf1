from __future__ import annotations

from typing import Any

import pytest
import responses
from IPython.lib.pretty import pretty
from responses import matchers

from lambdacloud import (
    Client,
    FirewallRule,
    MalformedResponseError,
    NetworkProtocol,
    ResourceList,
    ValidationError,
)
from lambdacloud._converter import make_converter, structure
from lambdacloud.firewalls import merge_rules

from .conftest import API, load

URL = f"{API}/firewall-rules"
SSH = FirewallRule("tcp", (22, 22), "0.0.0.0/0", "SSH")
PING = FirewallRule("icmp", None, "0.0.0.0/0", "Ping")
OFFICE = FirewallRule("tcp", (8000, 8100), "203.0.113.0/24", "Office")


class TestRule:
    def test_fields_and_defaults(self) -> None:
        rule = FirewallRule(protocol="tcp", port_range=[443, 443], source_network="1.2.3.4")
        assert rule.protocol is NetworkProtocol.TCP
        assert rule.port_range == (443, 443)
        assert rule.description == ""
        assert FirewallRule("udp", 53).port_range == (53, 53)
        assert FirewallRule("tcp", 22).source_network == "0.0.0.0/0"

    def test_frozen_and_hashable(self) -> None:
        with pytest.raises(AttributeError):
            SSH.description = "changed"  # type: ignore[misc]
        assert {SSH, FirewallRule("tcp", (22, 22), "0.0.0.0/0", "SSH")} == {SSH}

    @pytest.mark.parametrize(
        ("options", "argument"),
        [
            ({"protocol": "icmp", "port_range": (1, 2)}, "port_range"),
            ({"protocol": "tcp", "port_range": None}, "port_range"),
            ({"protocol": "udp", "port_range": None}, "port_range"),
            ({"protocol": "all", "port_range": None}, "port_range"),
            ({"protocol": "tcp", "port_range": (0, 10)}, "port_range"),
            ({"protocol": "tcp", "port_range": (10, 65536)}, "port_range"),
            ({"protocol": "tcp", "port_range": (30, 20)}, "port_range"),
            ({"protocol": "tcp", "port_range": (1, 2, 3)}, "port_range"),
            ({"protocol": "tcp", "port_range": "22"}, "port_range"),
            ({"protocol": "tcp", "port_range": (True, 5)}, "port_range"),
            (
                {"protocol": "tcp", "port_range": 22, "source_network": "1.2.3.4/33"},
                "source_network",
            ),
            ({"protocol": "tcp", "port_range": 22, "source_network": "::/0"}, "source_network"),
            ({"protocol": "tcp", "port_range": 22, "source_network": "anywhere"}, "source_network"),
            ({"protocol": "tcp", "port_range": 22, "description": "d" * 129}, "description"),
            ({"protocol": "", "port_range": 22}, "protocol"),
            ({"protocol": "sctp", "port_range": 22}, "protocol"),
            ({"protocol": "tcp ", "port_range": 22}, "protocol"),
            ({"protocol": 6, "port_range": 22}, "protocol"),
        ],
    )
    def test_invalid_rules_cannot_be_built(self, options: dict[str, Any], argument: str) -> None:
        with pytest.raises(ValidationError) as raised:
            FirewallRule(**options)
        assert raised.value.argument == argument

    def test_protocol_names_are_case_insensitive(self) -> None:
        assert FirewallRule("TCP", 22).protocol is NetworkProtocol.TCP

    @pytest.mark.parametrize("ports", [["22", "22"], [22.0, 22], [True, 22], [22]])
    def test_server_ports_must_be_integers(self, ports: list[Any]) -> None:
        data = {"protocol": "tcp", "port_range": ports, "source_network": "0.0.0.0/0"}
        with pytest.raises(MalformedResponseError):
            structure(Client(api_key="k")._api.converter, data, FirewallRule, "a rule")

    def test_rules_from_the_server_are_kept_even_if_unusual(self) -> None:
        client = Client(api_key="k")
        data = {"protocol": "sctp", "port_range": [1, 2], "source_network": "2001:db8::/32"}
        rule = client._api.converter.structure(data, FirewallRule)
        assert (rule.protocol, rule.port_range, rule.source_network) == (
            "sctp",
            (1, 2),
            "2001:db8::/32",
        )
        assert rule.description == ""


class TestLegacyRules:
    def test_list(self, client: Client, mocked: responses.RequestsMock) -> None:
        mocked.get(URL, json=load("firewall_rules"))
        assert client.firewall_rules.list() == [SSH, PING, OFFICE]

    def test_replace_sends_the_whole_list_under_data(
        self, client: Client, mocked: responses.RequestsMock
    ) -> None:
        body = {
            "data": [
                {
                    "protocol": "tcp",
                    "port_range": [22, 22],
                    "source_network": "0.0.0.0/0",
                    "description": "SSH",
                },
                {"protocol": "icmp", "source_network": "0.0.0.0/0", "description": "Ping"},
            ]
        }
        mocked.put(
            URL,
            json={"data": body["data"]},
            match=[matchers.json_params_matcher(body)],
        )
        assert client.firewall_rules.replace([SSH, PING]) == [SSH, PING]

    def test_replace_with_nothing_clears(
        self, client: Client, mocked: responses.RequestsMock
    ) -> None:
        mocked.put(URL, json={"data": []}, match=[matchers.json_params_matcher({"data": []})])
        assert client.firewall_rules.replace([]) == []

    @pytest.mark.parametrize("rules", [SSH, [{"protocol": "tcp"}], "rules", None])
    def test_replace_takes_only_rule_objects(
        self, client: Client, mocked: responses.RequestsMock, rules: Any
    ) -> None:
        with pytest.raises(ValidationError, match="rules"):
            client.firewall_rules.replace(rules)
        assert len(mocked.calls) == 0


def rule(
    protocol: str, ports: tuple[int, int] | None, source: str = "0.0.0.0/0", text: str = ""
) -> FirewallRule:
    return FirewallRule(protocol, ports, source, text)


MERGE_CASES = [
    pytest.param([], [rule("tcp", (22, 22))], [rule("tcp", (22, 22))], id="into-empty"),
    pytest.param(
        [rule("tcp", (22, 22), text="ssh")],
        [rule("tcp", (22, 22))],
        [rule("tcp", (22, 22), text="ssh")],
        id="already-there",
    ),
    pytest.param(
        [rule("tcp", (20, 30), text="range")],
        [rule("tcp", (22, 22))],
        [rule("tcp", (20, 30), text="range")],
        id="covered-by-a-range",
    ),
    pytest.param(
        [rule("tcp", (22, 22), text="ssh")],
        [rule("tcp", (23, 23), text="telnet")],
        [rule("tcp", (22, 23), text="ssh; telnet")],
        id="adjacent-joins",
    ),
    pytest.param(
        [rule("tcp", (8000, 8100))],
        [rule("tcp", (8050, 8200))],
        [rule("tcp", (8000, 8200))],
        id="overlap-joins",
    ),
    pytest.param(
        [rule("tcp", (22, 22)), rule("tcp", (80, 80))],
        [rule("tcp", (443, 443))],
        [rule("tcp", (22, 22)), rule("tcp", (80, 80)), rule("tcp", (443, 443))],
        id="gaps-stay-separate",
    ),
    pytest.param(
        [rule("tcp", (80, 80)), rule("tcp", (82, 82))],
        [rule("tcp", (81, 81))],
        [rule("tcp", (80, 82))],
        id="fills-a-gap",
    ),
    pytest.param(
        [rule("udp", (22, 22))],
        [rule("tcp", (22, 22))],
        [rule("udp", (22, 22)), rule("tcp", (22, 22))],
        id="other-protocol-untouched",
    ),
    pytest.param(
        [rule("tcp", (22, 22), "1.2.3.4/32")],
        [rule("tcp", (23, 23))],
        [rule("tcp", (22, 22), "1.2.3.4/32"), rule("tcp", (23, 23))],
        id="other-source-untouched",
    ),
    pytest.param(
        [rule("tcp", (22, 22), "1.2.3.4")],
        [rule("tcp", (23, 23), "1.2.3.4/32")],
        [rule("tcp", (22, 23), "1.2.3.4")],
        id="same-source-spelt-differently",
    ),
    pytest.param(
        [rule("icmp", None, text="ping"), rule("tcp", (22, 22))],
        [rule("icmp", None)],
        [rule("icmp", None, text="ping"), rule("tcp", (22, 22))],
        id="icmp-already-allowed",
    ),
    pytest.param(
        [rule("tcp", (22, 22))],
        [rule("icmp", None)],
        [rule("tcp", (22, 22)), rule("icmp", None)],
        id="icmp-added",
    ),
    pytest.param(
        [rule("tcp", (80, 80)), rule("udp", (53, 53)), rule("tcp", (81, 81))],
        [rule("tcp", (1000, 1000))],
        [rule("tcp", (80, 81)), rule("tcp", (1000, 1000)), rule("udp", (53, 53))],
        id="group-merged-in-place-of-its-first-rule",
    ),
    pytest.param(
        [],
        [rule("tcp", (22, 22)), rule("tcp", (23, 25)), rule("tcp", (22, 22))],
        [rule("tcp", (22, 25))],
        id="several-wanted",
    ),
    pytest.param(
        [rule("tcp", (22, 22), text="SSH"), rule("tcp", (23, 23), text="telnet")],
        [rule("tcp", (22, 22))],
        [rule("tcp", (22, 22), text="SSH"), rule("tcp", (23, 23), text="telnet")],
        id="covered-next-to-an-adjacent-rule-changes-nothing",
    ),
    pytest.param(
        [rule("tcp", (22, 22), text="a"), rule("tcp", (22, 22), text="b")],
        [rule("tcp", (22, 22))],
        [rule("tcp", (22, 22), text="a"), rule("tcp", (22, 22), text="b")],
        id="covered-by-duplicates-changes-nothing",
    ),
    pytest.param(
        [rule("tcp", (20, 25)), rule("tcp", (26, 30))],
        [rule("tcp", (24, 27))],
        [rule("tcp", (20, 25)), rule("tcp", (26, 30))],
        id="covered-by-two-rules-together",
    ),
    pytest.param(
        [rule("all", (1, 65535))],
        [rule("tcp", (22, 22)), rule("icmp", None)],
        [rule("all", (1, 65535))],
        id="all-covers-tcp-and-icmp",
    ),
    pytest.param(
        [rule("tcp", (22, 22))],
        [rule("tcp", (22, 22), "1.2.3.4/32")],
        [rule("tcp", (22, 22))],
        id="anyone-covers-one-address",
    ),
    pytest.param(
        [rule("tcp", (22, 22), "1.2.3.4/32")],
        [rule("tcp", (22, 22))],
        [rule("tcp", (22, 22), "1.2.3.4/32"), rule("tcp", (22, 22))],
        id="one-address-does-not-cover-anyone",
    ),
    pytest.param(
        [rule("tcp", (65534, 65534))],
        [rule("tcp", (65535, 65535))],
        [rule("tcp", (65534, 65535))],
        id="top-of-the-port-range",
    ),
    pytest.param(
        [],
        [rule("tcp", (80, 80), text="web"), rule("tcp", (81, 81), text="alt")],
        [rule("tcp", (80, 81), text="web; alt")],
        id="wanted-descriptions-joined",
    ),
]


def server_rule(protocol: str, ports: list[int] | None, text: str) -> FirewallRule:
    data: dict[str, Any] = {
        "protocol": protocol,
        "source_network": "0.0.0.0/0",
        "description": text,
    }
    if ports is not None:
        data["port_range"] = ports
    return structure(make_converter(), data, FirewallRule, "a firewall rule")


def test_rules_that_cannot_merge_are_kept_in_place() -> None:
    odd = [server_rule("tcp", None, "no ports"), server_rule("tcp", [30, 20], "reversed")]
    merged = merge_rules([*odd, rule("tcp", (22, 22), text="ssh")], [rule("tcp", (23, 23))])
    assert merged == [*odd, rule("tcp", (22, 23), text="ssh")]


@pytest.mark.parametrize(("existing", "wanted", "expected"), MERGE_CASES)
def test_merge_rules(
    existing: list[FirewallRule], wanted: list[FirewallRule], expected: list[FirewallRule]
) -> None:
    assert merge_rules(existing, wanted) == expected


class TestAllow:
    def test_adds_what_is_missing_keeping_the_rest(
        self, client: Client, mocked: responses.RequestsMock
    ) -> None:
        mocked.get(URL, json=load("firewall_rules"))
        expected = [
            {
                "protocol": "tcp",
                "port_range": [22, 22],
                "source_network": "0.0.0.0/0",
                "description": "SSH",
            },
            {
                "protocol": "tcp",
                "port_range": [8888, 8888],
                "source_network": "0.0.0.0/0",
                "description": "Jupyter",
            },
            {"protocol": "icmp", "source_network": "0.0.0.0/0", "description": "Ping"},
            {
                "protocol": "tcp",
                "port_range": [8000, 8100],
                "source_network": "203.0.113.0/24",
                "description": "Office",
            },
        ]
        mocked.put(
            URL, json={"data": expected}, match=[matchers.json_params_matcher({"data": expected})]
        )
        result = client.firewall_rules.allow(8888, description="Jupyter")
        assert FirewallRule("tcp", (8888, 8888), "0.0.0.0/0", "Jupyter") in result

    @pytest.mark.parametrize(
        ("ports", "source"),
        [
            (22, "0.0.0.0/0"),
            ([(8010, 8020), 8100], "203.0.113.0/24"),
            ((8000, 8100), "203.0.113.0/24"),
        ],
    )
    def test_nothing_missing_means_nothing_written(
        self, client: Client, mocked: responses.RequestsMock, ports: Any, source: str
    ) -> None:
        mocked.get(URL, json=load("firewall_rules"))
        assert client.firewall_rules.allow(ports, source=source) == [SSH, PING, OFFICE]
        assert [c.request.method for c in mocked.calls] == ["GET"]

    def test_icmp(self, client: Client, mocked: responses.RequestsMock) -> None:
        mocked.get(URL, json={"data": []})
        mocked.put(
            URL,
            json={"data": [{"protocol": "icmp", "source_network": "0.0.0.0/0", "description": ""}]},
            match=[
                matchers.json_params_matcher(
                    {
                        "data": [
                            {"protocol": "icmp", "source_network": "0.0.0.0/0", "description": ""}
                        ]
                    }
                )
            ],
        )
        assert client.firewall_rules.allow(protocol="icmp") == [FirewallRule("icmp")]

    @pytest.mark.parametrize(
        ("ports", "options", "argument"),
        [
            (70000, {}, "port_range"),
            ([], {}, "ports"),
            ("22", {}, "ports"),
            (22, {"source": "10.0.0.0/33"}, "source_network"),
            (22, {"protocol": "icmp"}, "port_range"),
            (22, {"protocol": "tcp "}, "protocol"),
        ],
    )
    def test_bad_input_fails_before_reading(
        self,
        client: Client,
        mocked: responses.RequestsMock,
        ports: Any,
        options: dict[str, Any],
        argument: str,
    ) -> None:
        with pytest.raises(ValidationError) as raised:
            client.firewall_rules.allow(ports, **options)
        assert raised.value.argument == argument
        assert len(mocked.calls) == 0

    def test_docstring_warns_about_us_south_1(self) -> None:
        assert "us-south-1" in (Client(api_key="k").firewall_rules.allow.__doc__ or "")


def test_port_ranges_display_as_people_write_them() -> None:
    rules = ResourceList(
        [
            FirewallRule("tcp", 22, description="SSH"),
            FirewallRule("tcp", (8000, 8100)),
            FirewallRule("icmp"),
        ],
        FirewallRule,
    )
    text = pretty(rules).splitlines()
    assert text[1].split()[:2] == ["tcp", "22"]
    assert text[2].split()[:2] == ["tcp", "8000-8100"]
    assert text[3].split()[:2] == ["icmp", "—"]
    markup = rules._repr_html_()
    assert "22, 22" not in markup
    assert ">22</td>" in markup
    assert ">8000-8100</td>" in markup
    card = rules[0]._repr_html_()
    assert ">22</td>" in card
    assert "22, 22" not in pretty(rules[0])
    assert rules[1]._display_label() == "tcp 8000-8100 from 0.0.0.0/0"
    assert rules[0].to_dict()["port_range"] == [22, 22]  # plain data keeps the API's shape

"""Inbound firewall rules: the rule value object, the account-wide legacy list, and ``allow()``."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from lambdacloud._converter import PORT_RANGE, api_shape, to_api
from lambdacloud._display import Displayable, ResourceList
from lambdacloud._resource import ApiEnum, Manager
from lambdacloud.errors import ValidationError

PORT_MIN, PORT_MAX = 1, 65535
DESCRIPTION_MAX = 128
ANYWHERE = "0.0.0.0/0"

PortsArgument = int | tuple[int, int] | Iterable[int | tuple[int, int]]


class NetworkProtocol(ApiEnum):
    """The protocol a firewall rule applies to."""

    TCP = "tcp"
    UDP = "udp"
    ICMP = "icmp"
    ALL = "all"


def _protocol(value: Any) -> NetworkProtocol:
    try:
        return NetworkProtocol(value.lower() if isinstance(value, str) else value)
    except ValueError:
        raise ValidationError(
            "protocol", f"expected 'tcp', 'udp', 'icmp' or 'all', got {value!r}"
        ) from None


def _api_protocol(value: str) -> NetworkProtocol | str:
    try:
        return NetworkProtocol(value)
    except ValueError:
        return value


def _port_range(value: Any) -> tuple[int, int] | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value, value)
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != 2:
        raise ValidationError("port_range", f"expected (first, last) or one port, got {value!r}")
    first, last = value
    for port in (first, last):
        if isinstance(port, bool) or not isinstance(port, int) or not PORT_MIN <= port <= PORT_MAX:
            raise ValidationError("port_range", f"ports are integers from 1 to 65535, got {port!r}")
    if first > last:
        raise ValidationError("port_range", f"the first port is after the last: {value!r}")
    return (first, last)


def _check_source(_: Any, __: Any, value: Any) -> None:
    if not isinstance(value, str):
        raise ValidationError("source_network", f"expected an IPv4 CIDR string, got {value!r}")
    try:
        ipaddress.IPv4Network(value, strict=False)
    except ValueError:
        raise ValidationError(
            "source_network", f"{value!r} is not an IPv4 network such as 1.2.3.4/32 or 0.0.0.0/0"
        ) from None


def _check_description(_: Any, __: Any, value: Any) -> None:
    if not isinstance(value, str) or len(value) > DESCRIPTION_MAX:
        raise ValidationError("description", f"expected a string of at most {DESCRIPTION_MAX}")


@attrs.frozen
class FirewallRule(Displayable):
    """An inbound rule: traffic of ``protocol`` to ``port_range`` from ``source_network``.

    Checked when built: ICMP rules take no port range, the others need one (one port
    ``22`` is the range ``(22, 22)``); the source is an IPv4 network in CIDR notation
    (``1.2.3.4`` means ``1.2.3.4/32``). A bad rule raises ``ValidationError``. Rules the API
    returns are kept as it sent them, even where they break today's rules (an IPv6 source).

    Attributes:
        protocol: ``tcp``, ``udp``, ``icmp`` or ``all``.
        port_range: The first and last port, inclusive; ``None`` for ICMP.
        source_network: Who may connect; ``0.0.0.0/0`` (the default) is anyone.
        description: Up to 128 characters.
    """

    protocol: NetworkProtocol | str = attrs.field(converter=_protocol)
    port_range: tuple[int, int] | None = attrs.field(
        default=None, converter=_port_range, metadata=api_shape(PORT_RANGE)
    )
    source_network: str = attrs.field(default=ANYWHERE, validator=_check_source)
    description: str = attrs.field(default="", validator=_check_description)

    def __attrs_post_init__(self) -> None:
        if self.protocol == NetworkProtocol.ICMP and self.port_range is not None:
            raise ValidationError("port_range", "ICMP rules take no port range")
        if self.protocol in (NetworkProtocol.TCP, NetworkProtocol.UDP, NetworkProtocol.ALL) and (
            self.port_range is None
        ):
            raise ValidationError("port_range", f"{self.protocol} rules need a port range")

    def _display_row(self) -> dict[str, Any]:
        return {
            "protocol": self.protocol,
            "port_range": ports_text(self.port_range),
            "source_network": self.source_network,
            "description": self.description,
        }

    def _display_label(self) -> str:
        ports = ports_text(self.port_range)
        where = "" if ports is None else f" {ports}"
        about = f" ({self.description})" if self.description else ""
        return f"{self.protocol}{where} from {self.source_network}{about}"

    def to_api(self) -> dict[str, Any]:
        """The rule as the API's JSON object.

        Returns:
            ``{"protocol", "port_range" (unless ICMP), "source_network", "description"}``.

        API: none.
        """
        body: dict[str, Any] = to_api(self)
        return body


def ports_text(ports: tuple[int, int] | None) -> str | None:
    """A port range as people write it: ``22`` for one port, ``8000-8100`` for several."""
    if ports is None:
        return None
    first, last = ports
    return str(first) if first == last else f"{first}-{last}"


def rules_to_api(argument: str, rules: Any) -> list[dict[str, Any]]:
    """A list of ``FirewallRule`` as JSON; anything else is a ``ValidationError``."""
    if isinstance(rules, (str, bytes, FirewallRule)) or not isinstance(rules, Iterable):
        raise ValidationError(argument, "expected a list of FirewallRule")
    body = []
    for index, rule in enumerate(rules):
        if not isinstance(rule, FirewallRule):
            raise ValidationError(f"{argument}[{index}]", f"expected a FirewallRule, got {rule!r}")
        body.append(rule.to_api())
    return body


def merge_rules(
    existing: Sequence[FirewallRule], wanted: Iterable[FirewallRule]
) -> list[FirewallRule]:
    """``existing`` plus what ``wanted`` adds, with port ranges merged per protocol and source.

    A wanted rule that is already allowed changes nothing: by one rule of its protocol (or
    ``all``) whose source network contains its source and whose ports contain its ports,
    or by the rules of its own protocol and source together. Otherwise the well-formed
    rules of its (protocol, source) group are replaced by the union of their port ranges,
    with overlapping and adjacent ranges joined (22-22 and 23-30 become 22-30) and their
    descriptions joined, in the place of the group's first rule. Every other rule, and any
    rule whose ports cannot be merged (as the server may send), is kept as it is.

    Args:
        existing: The current rules.
        wanted: The rules to allow.

    Returns:
        The new list of rules; equal to ``existing`` when nothing was missing.
    """
    rules = list(existing)
    for rule in wanted:
        if any(_covers(have, rule) for have in rules):
            continue
        if rule.port_range is None:
            rules.append(rule)
            continue
        key = _group_key(rule)
        group = [r for r in rules if _group_key(r) == key and _mergeable(r)]
        current = _join_ranges([r.port_range for r in group if r.port_range is not None])
        ranges = _join_ranges([*current, rule.port_range])
        if ranges == current:
            continue
        merged = [
            FirewallRule(
                rule.protocol,
                port_range,
                group[0].source_network if group else rule.source_network,
                _describe(port_range, [*group, rule]),
            )
            for port_range in ranges
        ]
        members = {id(r) for r in group}
        place = next((i for i, r in enumerate(rules) if id(r) in members), len(rules))
        rules = (
            [r for r in rules[:place] if id(r) not in members]
            + merged
            + [r for r in rules[place:] if id(r) not in members]
        )
    return rules


def ports_to_rules(
    ports: PortsArgument | None, *, protocol: str, source: str, description: str
) -> list[FirewallRule]:
    """Rules for ``ports``: one port, a ``(first, last)`` tuple, or a list of either."""
    if ports is None:
        return [FirewallRule(protocol, None, source, description)]
    if isinstance(ports, (int, tuple)):
        entries: list[Any] = [ports]
    elif isinstance(ports, Iterable) and not isinstance(ports, (str, bytes)):
        entries = list(ports)
    else:
        raise ValidationError(
            "ports", f"expected a port, a (first, last) tuple or a list, got {ports!r}"
        )
    if not entries:
        raise ValidationError("ports", "expected at least one port")
    return [FirewallRule(protocol, entry, source, description) for entry in entries]


def _covers(have: FirewallRule, want: FirewallRule) -> bool:
    """Whether ``have`` alone already allows everything ``want`` would."""
    if str(have.protocol) not in (str(want.protocol), str(NetworkProtocol.ALL)):
        return False
    if not _contains(have.source_network, want.source_network):
        return False
    if want.port_range is None or have.protocol == NetworkProtocol.ICMP:
        return want.port_range is None
    if not _mergeable(have):
        return False
    assert have.port_range is not None
    return have.port_range[0] <= want.port_range[0] and want.port_range[1] <= have.port_range[1]


def _contains(outer: str, inner: str) -> bool:
    try:
        return ipaddress.IPv4Network(outer, strict=False).supernet_of(
            ipaddress.IPv4Network(inner, strict=False)
        )
    except ValueError:
        return outer == inner


def _mergeable(rule: FirewallRule) -> bool:
    """Whether the rule's ports are a range that can be joined with others."""
    ports = rule.port_range
    return ports is not None and PORT_MIN <= ports[0] <= ports[1] <= PORT_MAX


def _group_key(rule: FirewallRule) -> tuple[str, str]:
    try:
        network = str(ipaddress.IPv4Network(rule.source_network, strict=False))
    except ValueError:
        network = rule.source_network
    return (str(rule.protocol), network)


def _join_ranges(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    joined: list[tuple[int, int]] = []
    for first, last in sorted(ranges):
        if joined and first <= joined[-1][1] + 1:
            joined[-1] = (joined[-1][0], max(joined[-1][1], last))
        else:
            joined.append((first, last))
    return joined


def _describe(port_range: tuple[int, int], rules: list[FirewallRule]) -> str:
    """The descriptions of the rules a merged range absorbed, joined, at most 128 characters."""
    first, last = port_range
    texts = dict.fromkeys(
        r.description
        for r in rules
        if r.description and r.port_range and r.port_range[0] <= last and r.port_range[1] >= first
    )
    return "; ".join(texts)[:DESCRIPTION_MAX]


class FirewallRuleManager(Manager):
    """``client.firewall_rules``: the account's legacy inbound rules, for every instance.

    Firewall rules do not apply in the ``us-south-1`` region.
    """

    def list(self) -> ResourceList[FirewallRule]:
        """List the inbound firewall rules.

        Returns:
            The rules, in the API's order.

        Raises:
            LambdaCloudError: The request failed.

        API: ``GET /api/v1/firewall-rules``
        """
        data = self._request("GET", "/firewall-rules")
        return self._structure_list(data, FirewallRule, "a list of firewall rules")

    def replace(self, rules: Iterable[FirewallRule]) -> ResourceList[FirewallRule]:
        """Replace all inbound firewall rules with ``rules``.

        Args:
            rules: The complete new list; ``[]`` removes every rule.

        Returns:
            The rules now in force, as the API returns them.

        Raises:
            ValidationError: ``rules`` is not a list of ``FirewallRule``.
            LambdaCloudError: The request failed.

        API: ``PUT /api/v1/firewall-rules``
        """
        body = {"data": rules_to_api("rules", rules)}
        data = self._request("PUT", "/firewall-rules", json_body=body)
        return self._structure_list(data, FirewallRule, "a list of firewall rules")

    def allow(
        self,
        ports: PortsArgument | None = None,
        *,
        protocol: NetworkProtocol | str = NetworkProtocol.TCP,
        source: str = ANYWHERE,
        description: str = "",
    ) -> ResourceList[FirewallRule]:
        """Open ports without losing the existing rules: read, add what is missing, write.

        Only what is not already allowed is added; port ranges of the same protocol and
        source are merged when they overlap or touch. When nothing is missing, nothing is
        written. Another client changing the rules between the read and the write loses
        its change (the API has no conditional write). Firewall rules do not apply in the
        ``us-south-1`` region.

        Args:
            ports: One port (``22``), a range (``(8000, 8100)``), or a list of either;
                ``None`` for ICMP.
            protocol: ``tcp`` (default), ``udp``, ``icmp`` or ``all``.
            source: The IPv4 network allowed to connect; anyone (``0.0.0.0/0``) by default.
            description: A description for the new rules.

        Returns:
            The rules now in force.

        Raises:
            ValidationError: A malformed port, protocol or source; nothing was sent.
            LambdaCloudError: A request failed.

        API: ``GET /api/v1/firewall-rules``, then ``PUT /api/v1/firewall-rules`` if needed.
        """
        wanted = ports_to_rules(ports, protocol=protocol, source=source, description=description)
        current = self.list()
        merged = merge_rules(current, wanted)
        if merged == current:
            return current
        return self.replace(merged)

"""The API's rules that every handler uses: the error envelope, the documented input
constraints (checked the way the API checks them), and page tokens."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from typing import Any

JSON = dict[str, Any]


class ApiError(Exception):
    """An error answer: the status and the API's error envelope."""

    def __init__(self, status: int, code: str, message: str, suggestion: str | None = None):
        super().__init__(message)
        self.status = status
        self.body: JSON = {"code": code, "message": message}
        if suggestion is not None:
            self.body["suggestion"] = suggestion


def invalid(message: str) -> ApiError:
    return ApiError(400, "global/invalid-parameters", message)


def missing(what: str, code: str = "global/object-does-not-exist", status: int = 404) -> ApiError:
    return ApiError(status, code, f"{what} does not exist.", "Check the ID or name and try again.")


def page_token(offset: int) -> str:
    """The token of the page that starts at ``offset`` (audit events, tickets)."""
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def page_offset(token: str | None) -> int:
    """Where the page a token names starts; 0 without a token.

    Raises:
        ApiError: A token this fake did not hand out (400, as the API answers).
    """
    if token is None:
        return 0
    try:
        kind, _, number = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        if kind == "offset" and number.isdigit():
            return int(number)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise invalid("page_token is not a token this API returned.")


# The constraints of the API document, checked the way the API checks them.

HOSTNAME = re.compile(r"[a-z0-9][0-9a-z-]{0,62}")
TAG_KEY = re.compile(r"[a-z][a-z0-9-:]+")
FILESYSTEM_NAME = re.compile(r"[a-zA-Z]+[0-9a-zA-Z-]*")
MOUNT_POINT = re.compile(r"(/home|/lambda/nfs|/data)[/a-zA-Z0-9-]*")
PUBLIC_KEY = re.compile(r"(ssh-(rsa|ed25519|dss)|ecdsa-sha2-nistp\d+|sk-\S+) [A-Za-z0-9+/=]+( .*)?")


def text(
    body: JSON,
    name: str,
    *,
    required: bool = False,
    low: int = 0,
    high: int | None = None,
    pattern: re.Pattern[str] | None = None,
) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise invalid(f"{name} is required.")
        return None
    if not isinstance(value, str):
        raise invalid(f"{name} must be a string.")
    if len(value) < low or (high is not None and len(value) > high):
        raise invalid(f"{name} must have between {low} and {high} characters.")
    if pattern is not None and not pattern.fullmatch(value):
        raise invalid(f"{name} does not match {pattern.pattern}.")
    return value


def strings(body: JSON, name: str) -> list[str]:
    value = body.get(name, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise invalid(f"{name} must be a list of strings.")
    return value


def objects(body: JSON, name: str) -> list[JSON]:
    value = body.get(name, [])
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise invalid(f"{name} must be a list of objects.")
    return value


def tags(body: JSON) -> list[JSON]:
    entries = []
    for entry in objects(body, "tags"):
        key = text(entry, "key", required=True, high=55, pattern=TAG_KEY)
        value = text(entry, "value", required=True, high=128)
        assert key is not None
        assert value is not None
        if key.startswith("lambda-ai-"):
            raise invalid("Tag keys starting with lambda-ai- are reserved.")
        entries.append({"key": key, "value": value})
    return entries


def firewall_rules(items: Any) -> list[JSON]:
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise invalid("rules must be a list of firewall rules.")
    rules = []
    for item in items:
        protocol = item.get("protocol")
        if protocol not in ("tcp", "udp", "icmp", "all"):
            raise invalid("protocol must be one of tcp, udp, icmp, all.")
        ports = item.get("port_range")
        if protocol == "icmp" and ports is not None:
            raise invalid("port_range is not allowed for icmp.")
        if protocol != "icmp" and not (
            isinstance(ports, list)
            and len(ports) == 2
            and all(
                isinstance(p, int) and not isinstance(p, bool) and 1 <= p <= 65535 for p in ports
            )
            and ports[0] <= ports[1]
        ):
            raise invalid("port_range must be [min, max] with ports from 1 to 65535.")
        source = text(item, "source_network", required=True)
        try:
            ipaddress.IPv4Network(source, strict=False)
        except ValueError:
            raise invalid("source_network must be an IPv4 network in CIDR notation.") from None
        description = text(item, "description", required=True, high=128)
        rule: JSON = {"protocol": protocol}
        if ports is not None:
            rule["port_range"] = list(ports)
        rule.update(source_network=source, description=description)
        rules.append(rule)
    return rules

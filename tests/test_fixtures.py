"""The payload fixtures are exactly what the API document describes: no invented keys."""

from __future__ import annotations

import pytest

from .conftest import FIXTURES, load
from .spec import response_validator

# fixture file -> the documented response it stands for (method, path, status, version)
SHAPES: dict[str, tuple[str, str, str, str]] = {
    "instance_active": ("GET", "/api/v1/instances/{id}", "200", "1.10.0"),
    "instance_booting": ("GET", "/api/v1/instances/{id}", "200", "1.10.0"),
    "instance_types": ("GET", "/api/v1/instance-types", "200", "1.10.0"),
    "regions": ("GET", "/api/v1/regions", "200", "1.10.0"),
    "ssh_keys": ("GET", "/api/v1/ssh-keys", "200", "1.10.0"),
    "ssh_key_added": ("POST", "/api/v1/ssh-keys", "200", "1.10.0"),
    "ssh_key_generated": ("POST", "/api/v1/ssh-keys", "200", "1.10.0"),
    "filesystems": ("GET", "/api/v1/file-systems", "200", "1.10.0"),
    "filesystem_created": ("POST", "/api/v1/filesystems", "200", "1.10.0"),
    "filesystem_deleted": ("DELETE", "/api/v1/filesystems/{id}", "200", "1.10.0"),
    "images": ("GET", "/api/v1/images", "200", "1.10.0"),
    "launched": ("POST", "/api/v1/instance-operations/launch", "200", "1.10.0"),
    "empty": ("DELETE", "/api/v1/ssh-keys/{id}", "200", "1.10.0"),
    "firewall_rules": ("GET", "/api/v1/firewall-rules", "200", "1.10.0"),
    "firewall_rulesets": ("GET", "/api/v1/firewall-rulesets", "200", "1.10.0"),
    "firewall_ruleset": ("GET", "/api/v1/firewall-rulesets/{id}", "200", "1.10.0"),
    "firewall_ruleset_global": ("GET", "/api/v1/firewall-rulesets/global", "200", "1.10.0"),
    "audit_events_page1": ("GET", "/api/v1/audit-events", "200", "1.10.0"),
    "audit_events_page2": ("GET", "/api/v1/audit-events", "200", "1.10.0"),
    "audit_events_1_8_3": ("GET", "/api/v1/audit-events", "200", "1.8.3"),
    "tickets_page1": ("GET", "/api/v1/tickets", "200", "1.10.0"),
    "tickets_page2": ("GET", "/api/v1/tickets", "200", "1.10.0"),
    "ticket": ("GET", "/api/v1/tickets/{ticket_id}", "200", "1.10.0"),
    "ticket_created": ("POST", "/api/v1/tickets", "200", "1.10.0"),
    "attachments": ("GET", "/api/v1/tickets/{ticket_id}/attachments", "200", "1.10.0"),
    "attachment": (
        "POST",
        "/api/v1/tickets/{ticket_id}/attachments/{attachment_id}/complete",
        "200",
        "1.10.0",
    ),
    "attachment_initiated": ("POST", "/api/v1/tickets/{ticket_id}/attachments", "200", "1.10.0"),
    "attachment_download": (
        "GET",
        "/api/v1/tickets/{ticket_id}/attachments/{attachment_id}/download",
        "200",
        "1.10.0",
    ),
}


def test_every_fixture_has_a_documented_shape() -> None:
    assert {path.stem for path in FIXTURES.glob("*.json")} == set(SHAPES)


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_fixture_matches_the_document(name: str) -> None:
    method, path, status, version = SHAPES[name]
    errors = [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in response_validator(method, path, status, version).iter_errors(load(name))
    ]
    assert errors == []

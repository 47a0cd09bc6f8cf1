"""The fake cloud's firewall rules, rulesets, the global ruleset, and the audit log."""

from __future__ import annotations

from datetime import datetime

from lambdacloud._timestamps import parse_datetime
from lambdacloud.testing._checks import (
    JSON,
    ApiError,
    firewall_rules,
    invalid,
    missing,
    page_offset,
    page_token,
    text,
)
from lambdacloud.testing._world import Request, World, new_id

GLOBAL_NAME = "Global Firewall Rules"


def list_rules(world: World, request: Request) -> JSON:
    return {"data": [dict(rule) for rule in world.firewall_rules]}


def replace_rules(world: World, request: Request) -> JSON:
    body = request.body if isinstance(request.body, dict) else {}
    if "data" not in body:
        raise invalid('The body must be {"data": [...rules]}.')
    world.firewall_rules = firewall_rules(body["data"])
    world.record(request, "firewall_rule", "replaced", ["inbound"])
    return {"data": [dict(rule) for rule in world.firewall_rules]}


def list_rulesets(world: World, request: Request) -> JSON:
    return {"data": [_ruleset_json(world, r) for r in world.rulesets.values()]}


def create_ruleset(world: World, request: Request) -> JSON:
    body = request.body if isinstance(request.body, dict) else {}
    name = text(body, "name", required=True, high=64)
    region = text(body, "region", required=True)
    if region not in world.regions:
        raise invalid(f"Region {region} does not exist.")
    if "rules" not in body:
        raise invalid("rules is required.")
    ruleset_id = new_id()
    ruleset: JSON = {
        "id": ruleset_id,
        "name": name,
        "region": world.region_json(str(region)),
        "rules": firewall_rules(body["rules"]),
        "created": world.timestamp(),
    }
    world.rulesets[ruleset_id] = ruleset
    world.record(request, "firewall_ruleset", "created", [ruleset_id])
    return {"data": _ruleset_json(world, ruleset)}


def get_ruleset(world: World, request: Request, id: str) -> JSON:
    return {"data": _ruleset_json(world, _find(world, id))}


def update_ruleset(world: World, request: Request, id: str) -> JSON:
    ruleset = _find(world, id)
    body = request.body if isinstance(request.body, dict) else {}
    name = text(body, "name", high=64)
    rules = firewall_rules(body["rules"]) if "rules" in body else None
    if name is not None:
        ruleset["name"] = name
    if rules is not None:
        ruleset["rules"] = rules
    world.record(request, "firewall_ruleset", "updated", [id])
    return {"data": _ruleset_json(world, ruleset)}


def delete_ruleset(world: World, request: Request, id: str) -> JSON:
    _find(world, id)
    if _users(world, id):
        raise ApiError(
            400,
            "firewall-rulesets/firewall-ruleset-in-use",
            "Firewall ruleset is in use by one or more instances.",
            "Terminate all instances that are using the ruleset before deleting it.",
        )
    del world.rulesets[id]
    world.record(request, "firewall_ruleset", "deleted", [id])
    return {"data": {}}


def get_global(world: World, request: Request) -> JSON:
    return {"data": _global_json(world)}


def update_global(world: World, request: Request) -> JSON:
    body = request.body if isinstance(request.body, dict) else {}
    if "rules" in body:
        world.global_rules = firewall_rules(body["rules"])
    world.record(request, "firewall_ruleset", "updated", ["global"])
    return {"data": _global_json(world)}


def audit_events(world: World, request: Request) -> JSON:
    """One page of the audit log, in the 1.10.0 shape: ``page_token`` beside ``data``."""
    start = _time(request, "start")
    end = _time(request, "end")
    kind = request.query.get("resource_type", [None])[0]
    offset = page_offset(request.query.get("page_token", [None])[0])
    matching = [
        event
        for event in world.audit
        if (kind is None or f"{event['service_name']}.{event['resource_name']}" == kind)
        and (start is None or parse_datetime(event["event_time"]) >= start)
        and (end is None or parse_datetime(event["event_time"]) <= end)
    ]
    page = matching[offset : offset + world.audit_page_size]
    following = offset + world.audit_page_size
    token = page_token(following) if following < len(matching) else None
    return {"data": [dict(event) for event in page], "page_token": token}


def _find(world: World, ruleset_id: str) -> JSON:
    ruleset = world.rulesets.get(ruleset_id)
    if ruleset is None:
        raise missing(f"Firewall ruleset {ruleset_id}")
    return ruleset


def _users(world: World, ruleset_id: str) -> list[str]:
    return [
        i.id
        for i in world.instances.values()
        if ruleset_id in i.firewall_ruleset_ids and world.running(i)
    ]


def _ruleset_json(world: World, ruleset: JSON) -> JSON:
    return {
        **ruleset,
        "rules": [dict(rule) for rule in ruleset["rules"]],
        "instance_ids": _users(world, ruleset["id"]),
    }


def _global_json(world: World) -> JSON:
    return {"id": "global", "name": GLOBAL_NAME, "rules": [dict(r) for r in world.global_rules]}


def _time(request: Request, name: str) -> datetime | None:
    value = request.query.get(name, [None])[0]
    if value is None:
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        raise invalid(f"{name} must be an ISO 8601 timestamp.") from None

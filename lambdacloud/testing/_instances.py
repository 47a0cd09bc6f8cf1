"""The fake cloud's instance operations: launch, list, get, update, restart, terminate."""

from __future__ import annotations

import secrets
from typing import Any

from lambdacloud.testing._catalog import DEFAULT_IMAGE_FAMILY
from lambdacloud.testing._checks import (
    HOSTNAME,
    JSON,
    MOUNT_POINT,
    ApiError,
    invalid,
    missing,
    objects,
    strings,
    tags,
    text,
)
from lambdacloud.testing._world import FakeInstance, Request, World, new_id

USER_DATA_MAX = 1024 * 1024


def instance_json(world: World, instance: FakeInstance, status: str | None = None) -> JSON:
    status = status or world.status(instance)
    # A machine has addresses once it first booted (a restart keeps them) until it is gone.
    addressed = world.booted(instance) and status not in ("terminated", "preempted")
    name, gpu, cents, vcpus, memory, storage, gpus, arch = world.instance_types[instance.type_name]
    data: JSON = {"id": instance.id}
    if instance.name is not None:
        data["name"] = instance.name
    if addressed:
        data["ip"] = instance.ip
        data["private_ip"] = instance.private_ip
    data["status"] = status
    data["ssh_key_names"] = list(instance.ssh_key_names)
    data["file_system_names"] = list(instance.file_system_names)
    data["file_system_mounts"] = [dict(m) for m in instance.file_system_mounts]
    data["region"] = world.region_json(instance.region)
    data["instance_type"] = {
        "name": instance.type_name,
        "description": name,
        "gpu_description": gpu,
        "price_cents_per_hour": cents,
        "specs": {"vcpus": vcpus, "memory_gib": memory, "storage_gib": storage, "gpus": gpus},
        "architecture": arch,
    }
    # The document: the image is absent once it cannot be resolved, as for a terminated one.
    if instance.image is not None and status != "terminated":
        data["image"] = dict(instance.image)
    if addressed and status != "terminating":
        data["hostname"] = instance.hostname or "ip-" + instance.ip.replace(".", "-")
        data["jupyter_token"] = instance.jupyter_token
        data["jupyter_url"] = (
            f"https://jupyter-{instance.id}.lambdaspaces.com/?token={instance.jupyter_token}"
        )
    data["actions"] = _actions(status)
    data["tags"] = [dict(t) for t in instance.tags]
    data["firewall_rulesets"] = [{"id": i} for i in instance.firewall_ruleset_ids]
    return data


def _actions(status: str) -> JSON:
    if status == "active":
        return {action: {"available": True} for action in _ACTIONS}
    code, why = {
        "booting": ("vm-has-not-launched", "The instance has not launched yet."),
        "terminating": ("vm-is-terminating", "The instance is terminating."),
        "terminated": ("vm-is-terminating", "The instance is terminated."),
        "preempted": ("vm-is-terminating", "The instance was preempted."),
    }.get(status, ("vm-action-in-progress", "The instance cannot take actions now."))
    blocked = {"available": False, "reason_code": code, "reason_description": why}
    actions = {action: dict(blocked) for action in _ACTIONS}
    if status in ("booting", "preempted"):
        actions["terminate"] = {"available": True}
    return actions


_ACTIONS = ("migrate", "rebuild", "restart", "cold_reboot", "power_cycle", "terminate")


def find(world: World, instance_id: str) -> FakeInstance:
    instance = world.instances.get(instance_id)
    if instance is None:
        raise missing(f"Instance {instance_id}")
    return instance


def list_instances(world: World, request: Request) -> JSON:
    if request.query.get("cluster_id"):
        return {"data": []}  # the fake has no clusters
    statuses = [(i, world.status(i)) for i in world.instances.values()]
    return {"data": [instance_json(world, i, s) for i, s in statuses if s != "terminated"]}


def get_instance(world: World, request: Request, id: str) -> JSON:
    return {"data": instance_json(world, find(world, id))}


def update_instance(world: World, request: Request, id: str) -> JSON:
    instance = find(world, id)
    body = _body(request)
    name = text(body, "name", high=64)
    new_tags = tags(body) if "tags" in body else None
    if name is not None:
        instance.name = name
    if new_tags is not None:
        instance.tags = new_tags
    world.record(request, "instance", "updated", [instance.id])
    return {"data": instance_json(world, instance)}


def launch(world: World, request: Request) -> JSON:
    body = _body(request)
    region = text(body, "region_name", required=True)
    type_name = text(body, "instance_type_name", required=True)
    assert region is not None
    assert type_name is not None
    if region not in world.regions:
        raise invalid(f"Region {region} does not exist.")
    if type_name not in world.instance_types:
        raise missing(f"Instance type {type_name}")
    keys = strings(body, "ssh_key_names")
    if len(keys) != 1:
        raise invalid("Exactly one SSH key must be specified.")
    if keys[0] not in {k["name"] for k in world.ssh_keys.values()}:
        raise missing(f"SSH key {keys[0]}")
    name = text(body, "name", high=64)
    hostname = text(body, "hostname", low=1, high=63, pattern=HOSTNAME)
    user_data = text(body, "user_data")
    if user_data is not None and len(user_data.encode()) > USER_DATA_MAX:
        raise invalid("user_data cannot exceed 1MB.")
    names = strings(body, "file_system_names")
    mounts = [_mount(world, m) for m in objects(body, "file_system_mounts")]
    for fs_name in names:
        fs = _filesystem_named(world, fs_name)
        mounted = [m for m in mounts if m["file_system_id"] == fs["id"]]
        if not mounted:
            mounts.append({"mount_point": fs["mount_point"], "file_system_id": fs["id"]})
    for mount in mounts:
        if world.filesystems[mount["file_system_id"]]["region"]["name"] != region:
            raise ApiError(
                400,
                "instance-operations/launch/file-system-in-wrong-region",
                "A filesystem is in another region than the instance.",
            )
    image = _image(world, body.get("image"), region, world.instance_types[type_name][7])
    rulesets = [_ruleset(world, r, region) for r in objects(body, "firewall_rulesets")]
    new_tags = tags(body)
    # Listed capacity can still be refused at launch, as on the real cloud.
    if world.capacity.available(type_name, region) < 1 or world.capacity.refuse():
        raise ApiError(
            400,
            "instance-operations/launch/insufficient-capacity",
            "Not enough capacity to fulfill launch request.",
            "Try another region or instance type, or try again later.",
        )
    instance_id = new_id()
    window = world.capacity.take(type_name, region, instance_id)
    now = world.now()
    ip, private_ip = world.addresses()
    instance = FakeInstance(
        id=instance_id,
        window=window,
        type_name=type_name,
        region=region,
        ssh_key_names=keys,
        launched_at=now,
        ready_at=now + world.boot_seconds,
        name=name,
        hostname=hostname,
        file_system_names=[world.filesystems[m["file_system_id"]]["name"] for m in mounts],
        file_system_mounts=mounts,
        image=image,
        tags=new_tags,
        firewall_ruleset_ids=rulesets,
        ip=ip,
        private_ip=private_ip,
        jupyter_token=secrets.token_hex(16),
    )
    world.instances[instance.id] = instance
    world.record(request, "instance", "launched", [instance.id])
    return {"data": {"instance_ids": [instance.id]}}


def restart(world: World, request: Request) -> JSON:
    instances = [find(world, i) for i in _ids(request)]
    for instance in instances:
        if world.status(instance) != "active":
            raise ApiError(409, "global/conflict", f"Instance {instance.id} is not active.")
    for instance in instances:
        instance.restart_until = world.now() + world.restart_seconds
        world.record(request, "instance", "restarted", [instance.id])
    return {"data": {"restarted_instances": [instance_json(world, i) for i in instances]}}


def terminate(world: World, request: Request) -> JSON:
    instances = [find(world, i) for i in _ids(request)]
    for instance in instances:
        if world.running(instance):
            world.capacity.give_back(instance.type_name, instance.region, instance.window)
            world.gone(instance)
        if instance.terminate_at is None:
            instance.terminate_at = world.now()
        world.record(request, "instance", "terminated", [instance.id])
    return {"data": {"terminated_instances": [instance_json(world, i) for i in instances]}}


def _ids(request: Request) -> list[str]:
    ids = strings(_body(request), "instance_ids")
    if not ids:
        raise invalid("instance_ids must name at least one instance.")
    return ids


def _body(request: Request) -> JSON:
    if not isinstance(request.body, dict):
        raise invalid("The request body must be a JSON object.")
    return request.body


def _filesystem_named(world: World, name: str) -> JSON:
    for fs in world.filesystems.values():
        if fs["name"] == name:
            return fs
    raise missing(f"Filesystem {name}")


def _mount(world: World, entry: JSON) -> JSON:
    point = text(entry, "mount_point", required=True, high=256, pattern=MOUNT_POINT)
    fs_id = text(entry, "file_system_id", required=True)
    assert fs_id is not None
    if fs_id not in world.filesystems:
        raise missing(f"Filesystem {fs_id}")
    return {"mount_point": point, "file_system_id": fs_id}


def _image(world: World, spec: Any, region: str, architecture: str) -> JSON:
    """The image to boot: by id, or the family's image for the region and architecture."""
    if spec is None:
        spec = {"family": DEFAULT_IMAGE_FAMILY}
    if not isinstance(spec, dict) or not (
        isinstance(spec.get("id"), str) or isinstance(spec.get("family"), str)
    ):
        raise invalid('image must be {"id": ...} or {"family": ...}.')
    if isinstance(spec.get("id"), str):
        found = [i for i in world.images if i["id"] == spec["id"]]
        if not found:
            raise missing(f"Image {spec['id']}")
        image = found[0]
        if image["region"]["name"] != region or image["architecture"] != architecture:
            raise invalid("The image is for another region or architecture.")
    else:
        found = [
            i
            for i in world.images
            if i["family"] == spec["family"]
            and i["region"]["name"] == region
            and i["architecture"] == architecture
        ]
        if not found:
            raise missing(f"Image family {spec['family']}")
        image = found[0]
    return {"id": image["id"], "family": image["family"]}


def _ruleset(world: World, entry: JSON, region: str) -> str:
    ruleset_id = text(entry, "id", required=True)
    assert ruleset_id is not None
    ruleset = world.rulesets.get(ruleset_id)
    if ruleset is None:
        raise missing(f"Firewall ruleset {ruleset_id}")
    if ruleset["region"]["name"] != region:
        raise invalid("Firewall rulesets must be in the same region as the instance.")
    return ruleset_id

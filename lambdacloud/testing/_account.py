"""The fake cloud's catalog and account resources: types, regions, images, keys, filesystems."""

from __future__ import annotations

import base64
import secrets

from lambdacloud.testing import _catalog
from lambdacloud.testing._checks import (
    FILESYSTEM_NAME,
    JSON,
    PUBLIC_KEY,
    ApiError,
    invalid,
    missing,
    text,
)
from lambdacloud.testing._world import Request, World, new_id


def instance_types(world: World, request: Request) -> JSON:
    data = {}
    for name, (
        description,
        gpu,
        cents,
        vcpus,
        memory,
        storage,
        gpus,
        arch,
    ) in world.instance_types.items():
        data[name] = {
            "instance_type": {
                "name": name,
                "description": description,
                "gpu_description": gpu,
                "price_cents_per_hour": cents,
                "specs": {
                    "vcpus": vcpus,
                    "memory_gib": memory,
                    "storage_gib": storage,
                    "gpus": gpus,
                },
                "architecture": arch,
            },
            "regions_with_capacity_available": [
                world.region_json(region)
                for region in world.regions
                if world.capacity.available(name, region) > 0
            ],
        }
    return {"data": data}


def regions(world: World, request: Request) -> JSON:
    return {"data": [world.region_json(name) for name in world.regions]}


def images(world: World, request: Request) -> JSON:
    return {"data": [dict(image) for image in world.images]}


def list_ssh_keys(world: World, request: Request) -> JSON:
    return {"data": [dict(key) for key in world.ssh_keys.values()]}


def add_ssh_key(world: World, request: Request) -> JSON:
    body = request.body if isinstance(request.body, dict) else {}
    name = text(body, "name", required=True, low=1, high=64)
    public_key = text(body, "public_key", low=1, high=4096)
    if any(key["name"] == name for key in world.ssh_keys.values()):
        raise ApiError(400, "global/invalid-parameters", f"An SSH key named {name} exists.")
    key: JSON = {"id": new_id(), "name": name}
    if public_key is None:
        public_key, private_key = _key_pair(str(name))
        answer = {**key, "public_key": public_key, "private_key": private_key}
    else:
        if not PUBLIC_KEY.fullmatch(public_key.strip()):
            raise invalid("public_key is not an OpenSSH public key.")
        answer = {**key, "public_key": public_key}
    world.ssh_keys[key["id"]] = {**key, "public_key": public_key}
    world.record(request, "ssh_key", "created", [key["id"]])
    return {"data": answer}


def delete_ssh_key(world: World, request: Request, id: str) -> JSON:
    if world.ssh_keys.pop(id, None) is None:
        raise missing(f"SSH key {id}", code="global/not-found")
    world.record(request, "ssh_key", "deleted", [id])
    return {"data": {}}


def _key_pair(name: str) -> tuple[str, str]:
    """A key pair shaped like an OpenSSH one. Not a usable key: nothing connects to a fake."""
    blob = b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + secrets.token_bytes(32)
    public = f"ssh-ed25519 {base64.b64encode(blob).decode()} {name}"
    body = base64.b64encode(b"openssh-key-v1\x00" + secrets.token_bytes(200)).decode()
    lines = [body[i : i + 70] for i in range(0, len(body), 70)]
    private = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines)
    return public, private + "\n-----END OPENSSH PRIVATE KEY-----\n"


def list_filesystems(world: World, request: Request) -> JSON:
    return {"data": [_filesystem_json(world, fs) for fs in world.filesystems.values()]}


def create_filesystem(world: World, request: Request) -> JSON:
    body = request.body if isinstance(request.body, dict) else {}
    name = text(body, "name", required=True, low=1, high=60, pattern=FILESYSTEM_NAME)
    region = text(body, "region", required=True)
    if region not in world.regions:
        raise invalid(f"Region {region} does not exist.")
    if any(fs["name"] == name for fs in world.filesystems.values()):
        raise ApiError(400, "global/duplicate", f"A filesystem named {name} already exists.")
    filesystem_id = new_id()
    filesystem: JSON = {
        "id": filesystem_id,
        "name": name,
        "mount_point": f"/lambda/nfs/{name}",
        "created": world.timestamp(),
        "created_by": dict(_catalog.USER),
        "region": world.region_json(str(region)),
        "bytes_used": 0,
    }
    world.filesystems[filesystem_id] = filesystem
    world.record(request, "filesystem", "created", [filesystem_id])
    return {"data": _filesystem_json(world, filesystem)}


def delete_filesystem(world: World, request: Request, id: str) -> JSON:
    filesystem = world.filesystems.get(id)
    if filesystem is None:
        raise missing(f"Filesystem {id}")
    if _in_use(world, id):
        raise ApiError(
            400,
            "filesystems/filesystem-in-use",
            "The filesystem is mounted on an instance.",
            "Terminate the instances that mount it first.",
        )
    del world.filesystems[id]
    world.record(request, "filesystem", "deleted", [id])
    return {"data": {"deleted_ids": [id]}}


def _in_use(world: World, filesystem_id: str) -> bool:
    return any(
        world.running(instance)
        and any(m["file_system_id"] == filesystem_id for m in instance.file_system_mounts)
        for instance in world.instances.values()
    )


def _filesystem_json(world: World, filesystem: JSON) -> JSON:
    return {**filesystem, "is_in_use": _in_use(world, filesystem["id"])}

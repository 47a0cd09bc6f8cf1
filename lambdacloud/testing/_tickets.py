"""The fake cloud's support tickets and their attachments (a beta API, on every fake account)."""

from __future__ import annotations

from typing import Any

from lambdacloud.testing import _catalog, _storage
from lambdacloud.testing._checks import (
    JSON,
    ApiError,
    invalid,
    page_offset,
    page_token,
    strings,
    text,
)
from lambdacloud.testing._world import (
    FakeAttachment,
    FakeTicket,
    Request,
    TicketUpdate,
    World,
    new_id,
)

STATUSES = ("open", "on_hold", "pending", "solved", "confirm_solved")
TYPES = ("service_request", "incident", "automated_event")
REQUEST_TYPES = ("incident", "service_request")
SEVERITIES = ("sev_1", "sev_2", "sev_3")
PRIORITIES = ("low", "normal", "high", "urgent")
UPLOAD_STATUSES = ("pending", "uploaded", "failed", "deleted")
#: Optional strings a new ticket may name, kept as sent.
_DETAILS = ("ip", "instance_id", "cluster_id", "hostname", "device_serial", "requester_email")


def list_tickets(world: World, request: Request) -> JSON:
    """One page of tickets, filtered and ordered, with ``data.page_token`` for the next."""
    apply_updates(world)
    query = request.query
    wanted = {name: _choices(query, name, allowed) for name, allowed in _FILTERS.items()}
    serials = {serial.lower() for serial in _choices(query, "device_serial", None)}
    order_by = _one(query, "order_by", ("created_at", "updated_at")) or "created_at"
    direction = _one(query, "direction", ("asc", "desc")) or "desc"
    offset = page_offset(query.get("page_token", [None])[0])
    matching = [
        ticket
        for ticket in world.tickets.values()
        if all(not allowed or _field(ticket, name) in allowed for name, allowed in wanted.items())
        and (not serials or str(ticket.fields.get("device_serial", "")).lower() in serials)
    ]
    order = {ticket.id: number for number, ticket in enumerate(world.tickets.values())}

    def key(ticket: FakeTicket) -> tuple[float, int]:
        moment = ticket.created if order_by == "created_at" else ticket.updated or ticket.created
        return moment, order[ticket.id]

    matching.sort(key=key, reverse=direction == "desc")
    following = offset + world.ticket_page_size
    page = matching[offset:following]
    token = page_token(following) if following < len(matching) else None
    return {"data": {"tickets": [ticket_json(world, t) for t in page], "page_token": token}}


def create_ticket(world: World, request: Request) -> JSON:
    body = _body(request)
    subject = text(body, "subject", required=True, low=1)
    description = text(body, "description", required=True, low=1)
    kind = _enum(body, "type", REQUEST_TYPES, required=True)
    severity = _enum(body, "severity", SEVERITIES)
    priority = _enum(body, "priority", PRIORITIES)
    if kind == "incident" and severity is None:
        raise invalid("Incident tickets need a severity (sev_1, sev_2 or sev_3).")
    if kind == "service_request" and severity is not None:
        raise invalid("Service requests take no severity.")
    details = {name: text(body, name, low=1) for name in _DETAILS}
    instance_id = details["instance_id"]
    if instance_id is not None and instance_id not in world.instances:
        raise ApiError(
            404,
            "global/not-found",
            f"Instance {instance_id} was not found.",
            "Check the instance ID and try again.",
        )
    assert subject is not None
    assert description is not None
    assert kind is not None
    fields = {"severity": severity, "priority": priority, **details}
    now = world.now()
    ticket = FakeTicket(
        id=new_id(),
        external_id=str(40000 + len(world.tickets) + 1),
        subject=subject,
        description=description,
        type=kind,
        created=now,
        updated=now,
        fields={name: value for name, value in fields.items() if value is not None},
        affected_devices=strings(body, "affected_devices"),
    )
    # The description is the ticket's first comment, by whoever asked.
    author = details["requester_email"] or _catalog.USER["email"]
    ticket.comments.append({"body": description, "author": author, "created_at": _at(world)})
    world.tickets[ticket.id] = ticket
    data: JSON = {
        "id": ticket.id,
        "external_ticket_provider": "zendesk",
        "external_ticket_id": ticket.external_id,
        "status": ticket.status,
        "type": ticket.type,
    }
    data.update(_present(ticket, "severity", "priority"))
    data["affected_devices"] = list(ticket.affected_devices)
    data.update(_present(ticket, "hostname", "device_serial"))
    data["created_at"] = _at(world, ticket.created)
    return {"data": data}


def get_ticket(world: World, request: Request, ticket_id: str) -> JSON:
    apply_updates(world)
    return {"data": ticket_json(world, find_ticket(world, ticket_id))}


def update_ticket(world: World, request: Request, ticket_id: str) -> JSON:
    """Accept a change (the route answers 202) and apply it ``ticket_update_seconds`` later."""
    find_ticket(world, ticket_id)
    body = _body(request)
    changes: JSON = {}
    if "status" in body:
        if body["status"] != "solved":
            raise invalid('status can only be set to "solved".')
        changes["status"] = "solved"
    for name, allowed in (("severity", SEVERITIES), ("priority", PRIORITIES)):
        value = _enum(body, name, allowed)
        if value is not None:
            changes[name] = value
    if "comment" in body:
        comment = body["comment"]
        if not isinstance(comment, dict):
            raise invalid('comment must be {"body": "..."}.')
        changes["comment"] = text(comment, "body", required=True, low=1)
    if "affected_devices" in body:
        changes["affected_devices"] = strings(body, "affected_devices")
    if not changes:
        raise invalid("Nothing to update: pass status, severity, priority, comment or devices.")
    world.ticket_updates.append(
        TicketUpdate(ticket_id, world.now() + world.ticket_update_seconds, changes)
    )
    apply_updates(world)
    return {"data": {}}


def apply_updates(world: World) -> None:
    """Apply the accepted changes that are due, in the order they were accepted."""
    now = world.now()
    due = [update for update in world.ticket_updates if update.due <= now]
    world.ticket_updates = [update for update in world.ticket_updates if update.due > now]
    for update in due:
        ticket = world.tickets[update.ticket_id]
        changes = update.changes
        if changes.get("status") == "solved":
            ticket.status = "solved"
            ticket.resolved = update.due
        ticket.fields.update({k: changes[k] for k in ("severity", "priority") if k in changes})
        if "comment" in changes:
            ticket.comments.append(
                {
                    "body": changes["comment"],
                    "author": ticket.fields.get("requester_email", _catalog.USER["email"]),
                    "created_at": _at(world, update.due),
                }
            )
        if "affected_devices" in changes:
            ticket.affected_devices = list(changes["affected_devices"])
        ticket.updated = update.due


def list_attachments(world: World, request: Request, ticket_id: str) -> JSON:
    find_ticket(world, ticket_id)
    status = _one(request.query, "status", UPLOAD_STATUSES) or "uploaded"
    attachments = [
        attachment_json(world, a)
        for a in world.attachments.values()
        if a.ticket_id == ticket_id and a.status == status
    ]
    return {"data": {"attachments": attachments}}


def initiate_attachment(world: World, request: Request, ticket_id: str) -> JSON:
    """A pending attachment, and a presigned URL on this fake to upload its content to."""
    find_ticket(world, ticket_id)
    body = _body(request)
    filename = text(body, "filename", required=True, low=1, high=255)
    content_type = text(body, "content_type", required=True, low=1)
    size = body.get("size_bytes")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise invalid("size_bytes must be an integer of at least 1.")
    if size > _storage.ATTACHMENT_MAX:
        raise invalid(f"size_bytes cannot exceed {_storage.ATTACHMENT_MAX} bytes.")
    assert filename is not None
    assert content_type is not None
    attachment = FakeAttachment(
        id=new_id(),
        ticket_id=ticket_id,
        filename=filename,
        content_type=content_type,
        size_bytes=size,
        created=world.now(),
    )
    world.attachments[attachment.id] = attachment
    return {
        "data": {
            "attachment_id": attachment.id,
            "upload_url": _storage.presign(world, request.host, attachment.id, upload=True),
            "upload_method": "PUT",
            "upload_status": attachment.status,
            "expires_in": _storage.URL_SECONDS,
        }
    }


def complete_attachment(world: World, request: Request, ticket_id: str, attachment_id: str) -> JSON:
    attachment = find_attachment(world, ticket_id, attachment_id)
    if attachment.content is None:
        raise invalid("The file has not been uploaded to the upload URL yet.")
    if attachment.status != "uploaded":
        attachment.status = "uploaded"
        attachment.uploaded = world.now()
    return {"data": attachment_json(world, attachment)}


def attachment_download(world: World, request: Request, ticket_id: str, attachment_id: str) -> JSON:
    attachment = find_attachment(world, ticket_id, attachment_id)
    if attachment.status != "uploaded":
        raise invalid("The attachment has not finished uploading.")
    url = _storage.presign(world, request.host, attachment.id, upload=False)
    return {"data": {"download_url": url, "expires_in": _storage.URL_SECONDS}}


def delete_attachment(world: World, request: Request, ticket_id: str, attachment_id: str) -> JSON:
    attachment = find_attachment(world, ticket_id, attachment_id)
    attachment.status = "deleted"
    attachment.content = None
    return {"data": {}}


def find_ticket(world: World, ticket_id: str) -> FakeTicket:
    ticket = world.tickets.get(ticket_id)
    if ticket is None:
        raise ApiError(
            404, "global/not-found", "Ticket not found.", "Check the ticket ID and try again."
        )
    return ticket


def find_attachment(world: World, ticket_id: str, attachment_id: str) -> FakeAttachment:
    find_ticket(world, ticket_id)
    attachment = world.attachments.get(attachment_id)
    if attachment is None or attachment.ticket_id != ticket_id or attachment.status == "deleted":
        raise ApiError(
            404,
            "global/object-does-not-exist",
            f"Attachment {attachment_id} does not exist.",
            "Check the attachment ID and try again.",
        )
    return attachment


def ticket_json(world: World, ticket: FakeTicket) -> JSON:
    data: JSON = {
        "id": ticket.id,
        "subject": ticket.subject,
        "description": ticket.description,
        "type": ticket.type,
    }
    data.update(_present(ticket, "severity", "priority"))
    data["status"] = ticket.status
    data["external_ticket_provider"] = "zendesk"
    data["external_ticket_id"] = ticket.external_id
    data.update(_present(ticket, "hostname", "device_serial"))
    data["created_at"] = _at(world, ticket.created)
    data["updated_at"] = _at(world, ticket.updated or ticket.created)
    if ticket.resolved is not None:
        data["resolved_at"] = _at(world, ticket.resolved)
    data["affected_devices"] = list(ticket.affected_devices)
    data["comments"] = [dict(comment) for comment in ticket.comments]
    return data


def attachment_json(world: World, attachment: FakeAttachment) -> JSON:
    data: JSON = {
        "id": attachment.id,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size_bytes": attachment.size_bytes,
        "upload_status": attachment.status,
    }
    if attachment.uploaded is not None:
        data["uploaded_at"] = _at(world, attachment.uploaded)
    data["created_at"] = _at(world, attachment.created)
    return data


_FILTERS = {"status": STATUSES, "type": TYPES, "severity": SEVERITIES, "priority": PRIORITIES}


def _field(ticket: FakeTicket, name: str) -> Any:
    if name in ("status", "type"):
        return getattr(ticket, name)
    return ticket.fields.get(name)


def _present(ticket: FakeTicket, *names: str) -> JSON:
    return {name: ticket.fields[name] for name in names if name in ticket.fields}


def _at(world: World, moment: float | None = None) -> str:
    return world.timestamp(moment)


def _choices(query: dict[str, list[str]], name: str, allowed: tuple[str, ...] | None) -> list[str]:
    """A list filter's values: repeated (``status=a&status=b``) or comma-separated."""
    values = [part for value in query.get(name, []) for part in value.split(",") if part]
    if allowed is not None:
        for value in values:
            if value not in allowed:
                raise invalid(f"{name} must be one of {', '.join(allowed)}.")
    return values


def _one(query: dict[str, list[str]], name: str, allowed: tuple[str, ...]) -> str | None:
    values = query.get(name, [])
    if not values:
        return None
    if len(values) > 1 or values[0] not in allowed:
        raise invalid(f"{name} must be one of {', '.join(allowed)}.")
    return values[0]


def _enum(body: JSON, name: str, allowed: tuple[str, ...], *, required: bool = False) -> str | None:
    value = text(body, name, required=required)
    if value is not None and value not in allowed:
        raise invalid(f"{name} must be one of {', '.join(allowed)}.")
    return value


def _body(request: Request) -> JSON:
    if not isinstance(request.body, dict):
        raise invalid("The request body must be a JSON object.")
    return request.body

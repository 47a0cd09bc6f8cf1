"""``client.tickets``: support tickets (a beta API, enabled per account)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime
from typing import Any, BinaryIO

import attrs

from lambdacloud._api import Api
from lambdacloud._display import ResourceList, badge
from lambdacloud._resource import Manager, Paged, Resource, id_of, path_segment
from lambdacloud._validation import check_text
from lambdacloud.errors import ValidationError
from lambdacloud.tickets.attachments import Attachment, AttachmentManager
from lambdacloud.tickets.models import (
    AttachmentDownload,
    AttachmentUpload,
    AttachmentUploadStatus,
    TicketComment,
    TicketPriority,
    TicketSeverity,
    TicketStatus,
    TicketType,
)


@attrs.define(eq=False, kw_only=True)
class Ticket(Resource["TicketManager"]):
    """A support ticket.

    Attributes:
        id: The ticket's id.
        subject: Its summary.
        description: The text it was opened with.
        status: ``open``, ``on_hold``, ``pending``, ``solved``, ``confirm_solved``.
        created_at: When it was opened.
        comments: Its comment history.
        type: ``service_request``, ``incident`` or ``automated_event``.
        severity: For incidents: ``sev_1`` (worst) to ``sev_3``.
        priority: ``low``, ``normal``, ``high`` or ``urgent``.
        external_ticket_provider: The help desk behind it (``zendesk``).
        external_ticket_id: Its id there.
        hostname: The affected device's hostname.
        device_serial: The affected device's serial number.
        updated_at: When it last changed.
        resolved_at: When it was resolved.
        affected_devices: The devices affected.
    """

    subject: str
    description: str
    status: TicketStatus | str
    created_at: datetime
    comments: list[TicketComment] = attrs.Factory(list)
    type: TicketType | str | None = None
    severity: TicketSeverity | str | None = None
    priority: TicketPriority | str | None = None
    external_ticket_provider: str | None = None
    external_ticket_id: str | None = None
    hostname: str | None = None
    device_serial: str | None = None
    updated_at: datetime | None = None
    resolved_at: datetime | None = None
    affected_devices: list[str] = attrs.Factory(list)

    def _display_row(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "subject": self.subject,
            "status": badge(self.status),
            "type": self.type,
            "severity": self.severity,
            "priority": self.priority,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }

    def refresh(self) -> Ticket:
        """Read the ticket again.

        Returns:
            This ticket, updated in place.

        Raises:
            NotFoundError: No such ticket.
            LambdaCloudError: The request failed.

        API: ``GET /api/v1/tickets/{ticket_id}``
        """
        return self._replace_state(self._bound().get(self))

    def update(
        self,
        *,
        status: str | None = None,
        severity: TicketSeverity | str | None = None,
        priority: TicketPriority | str | None = None,
        comment: str | None = None,
        affected_devices: Iterable[str] | None = None,
    ) -> None:
        """Change the ticket or comment on it: ``TicketManager.update()`` documents it."""
        self._bound().update(
            self,
            status=status,
            severity=severity,
            priority=priority,
            comment=comment,
            affected_devices=affected_devices,
        )

    def list_attachments(
        self, *, status: AttachmentUploadStatus | str | None = None
    ) -> ResourceList[Attachment]:
        """List the ticket's attachments: ``AttachmentManager.list()`` documents it."""
        return self._bound().attachments.list(self, status=status)

    def attach(
        self,
        file: str | os.PathLike[str] | BinaryIO | bytes,
        *,
        filename: str | None = None,
        content_type: str | None = None,
    ) -> Attachment:
        """Attach a file (a path, bytes or a binary file): ``AttachmentManager.attach()``
        documents it."""
        return self._bound().attachments.attach(
            self, file, filename=filename, content_type=content_type
        )


@attrs.frozen
class _TicketPage:
    tickets: list[Ticket]
    page_token: str | None = None


class TicketManager(Manager):
    """``client.tickets``: support tickets (a beta API, enabled per account).

    Attributes:
        attachments: The files attached to tickets (``AttachmentManager``).
    """

    def __init__(self, api: Api) -> None:
        super().__init__(api)
        self.attachments = AttachmentManager(api)
        api.serve(Ticket, self)

    def list(
        self,
        *,
        status: str | Iterable[str] | None = None,
        type: str | Iterable[str] | None = None,
        severity: str | Iterable[str] | None = None,
        priority: str | Iterable[str] | None = None,
        device_serial: str | Iterable[str] | None = None,
        order_by: str | None = None,
        direction: str | None = None,
    ) -> Paged[Ticket]:
        """List tickets: the first page now, each further page when iteration reaches it.

        Each filter takes one value or several (any of them matches).

        Args:
            status: ``open``, ``on_hold``, ``pending``, ``solved``, ``confirm_solved``.
            type: ``incident``, ``service_request``, ``automated_event``.
            severity: ``sev_1``, ``sev_2``, ``sev_3``.
            priority: ``low``, ``normal``, ``high``, ``urgent``.
            device_serial: Serial numbers of affected devices (case-insensitive).
            order_by: ``created_at`` or ``updated_at``.
            direction: ``asc`` or ``desc``.

        Returns:
            An iterator over every matching ticket, following page tokens to the end, that
            displays its first page in a notebook (a ``Paged``).

        Raises:
            ValidationError: A malformed filter; raised here, before any request.
            MalformedResponseError: During iteration, if a page token repeats.
            LambdaCloudError: The first page's request failed (here), or a later page's
                (during iteration).

        API: ``GET /api/v1/tickets``, once per page.
        """
        params: dict[str, Any] = {
            "status": _values("status", status),
            "type": _values("type", type),
            "severity": _values("severity", severity),
            "priority": _values("priority", priority),
            "device_serial": _values("device_serial", device_serial),
            "order_by": _one("order_by", order_by, ("created_at", "updated_at")),
            "direction": _one("direction", direction, ("asc", "desc")),
        }

        def page(token: str | None) -> tuple[list[Ticket], str | None]:
            data = self._request("GET", "/tickets", params={**params, "page_token": token})
            result = self._structure(data, _TicketPage, "a page of tickets")
            return result.tickets, result.page_token

        return Paged(page, "tickets", Ticket)

    def get(self, ticket: Ticket | str) -> Ticket:
        """Read one ticket with its comments.

        Args:
            ticket: The ticket or its id.

        Returns:
            A new object with the ticket's current state.

        Raises:
            NotFoundError: No such ticket.
            LambdaCloudError: The request failed.

        API: ``GET /api/v1/tickets/{ticket_id}``
        """
        data = self._request("GET", f"/tickets/{path_segment(id_of(ticket, 'ticket'))}")
        return self._structure(data, Ticket, "a ticket")

    def create(
        self,
        *,
        subject: str,
        description: str,
        type: TicketType | str,
        severity: TicketSeverity | str | None = None,
        priority: TicketPriority | str | None = None,
        ip: str | None = None,
        instance_id: Resource[Any] | str | None = None,
        cluster_id: str | None = None,
        hostname: str | None = None,
        device_serial: str | None = None,
        requester_email: str | None = None,
        affected_devices: Iterable[str] | None = None,
    ) -> Ticket:
        """Open a support ticket.

        Args:
            subject: A short summary.
            description: What happened or what you need; it becomes the first comment.
            type: ``incident`` or ``service_request``.
            severity: Required for incidents (``sev_1`` to ``sev_3``); not allowed otherwise.
            priority: ``low``, ``normal``, ``high`` or ``urgent``.
            ip: The affected node's IP address.
            instance_id: The affected instance (or its id).
            cluster_id: The affected cluster's id.
            hostname: The affected device's hostname.
            device_serial: The affected device's serial number.
            requester_email: Who should be the requester.
            affected_devices: The devices affected.

        Returns:
            The new ticket: what the API answered plus the subject and description sent
            (its comments are empty until ``Ticket.refresh()``).

        Raises:
            ValidationError: A malformed argument; nothing was sent.
            TicketCreationFailedError: The API could not create it; try again.
            LambdaCloudError: The request failed.

        API: ``POST /api/v1/tickets``
        """
        body: dict[str, Any] = {
            "subject": check_text("subject", subject, min_length=1),
            "description": check_text("description", description, min_length=1),
            "type": _one("type", str(check_text("type", type, min_length=1)), _REQUEST_TYPES),
        }
        if body["type"] == TicketType.INCIDENT and severity is None:
            raise ValidationError("severity", "incident tickets need a severity (sev_1 to sev_3)")
        if body["type"] == TicketType.SERVICE_REQUEST and severity is not None:
            raise ValidationError("severity", "service requests take no severity")
        optional: dict[str, Any] = {
            "severity": severity,
            "priority": priority,
            "ip": ip,
            "instance_id": None if instance_id is None else id_of(instance_id, "instance_id"),
            "cluster_id": cluster_id,
            "hostname": hostname,
            "device_serial": device_serial,
            "requester_email": requester_email,
        }
        for name, value in optional.items():
            if value is not None:
                body[name] = str(check_text(name, value, min_length=1))
        if affected_devices is not None:
            body["affected_devices"] = _values("affected_devices", affected_devices)
        data = self._request("POST", "/tickets", json_body=body)
        if isinstance(data, dict):
            data = {**data, "subject": body["subject"], "description": body["description"]}
        return self._structure(data, Ticket, "a created ticket")

    def update(
        self,
        ticket: Ticket | str,
        *,
        status: str | None = None,
        severity: TicketSeverity | str | None = None,
        priority: TicketPriority | str | None = None,
        comment: str | None = None,
        affected_devices: Iterable[str] | None = None,
    ) -> None:
        """Mark a ticket solved, change its severity or priority, or comment on it.

        The API accepts the change (202) and applies it later, so there is nothing
        truthful to return yet: read the ticket again (``get()`` or
        ``Ticket.refresh()``) to see the result.

        Args:
            ticket: The ticket or its id.
            status: Only ``"solved"`` can be set.
            severity: The new severity.
            priority: The new priority.
            comment: A comment to add.
            affected_devices: The new list of affected devices.

        Returns:
            ``None``.

        Raises:
            ValidationError: Nothing to change, or a malformed argument; nothing was sent.
            LambdaCloudError: The request failed.

        API: ``PATCH /api/v1/tickets/{ticket_id}``
        """
        ticket_id = id_of(ticket, "ticket")
        if status is not None and status != TicketStatus.SOLVED:
            raise ValidationError("status", f"only 'solved' can be set, got {status!r}")
        body: dict[str, Any] = {
            name: str(check_text(name, value, min_length=1))
            for name, value in (("status", status), ("severity", severity), ("priority", priority))
            if value is not None
        }
        if comment is not None:
            body["comment"] = {"body": check_text("comment", comment, min_length=1)}
        if affected_devices is not None:
            body["affected_devices"] = _values("affected_devices", affected_devices)
        if not body:
            raise ValidationError("status", "pass something to change: status, comment, ...")
        # A comment sent twice is posted twice: only retry updates without one.
        self._request(
            "PATCH",
            f"/tickets/{path_segment(ticket_id)}",
            json_body=body,
            idempotent="comment" not in body,
            data_optional=True,
        )

    # The names attachments had before they moved to ``client.tickets.attachments``.

    def list_attachments(
        self, ticket: Ticket | str, *, status: AttachmentUploadStatus | str | None = None
    ) -> ResourceList[Attachment]:
        """List a ticket's attachments: ``AttachmentManager.list()`` (the old name)."""
        return self.attachments.list(ticket, status=status)

    def initiate_attachment_upload(
        self, ticket: Ticket | str, *, filename: str, content_type: str, size_bytes: int
    ) -> AttachmentUpload:
        """Start an upload: ``AttachmentManager.initiate_upload()`` (the old name)."""
        return self.attachments.initiate_upload(
            ticket, filename=filename, content_type=content_type, size_bytes=size_bytes
        )

    def complete_attachment_upload(
        self, ticket: Ticket | str, attachment: Attachment | str
    ) -> Attachment:
        """Mark an upload as finished: ``AttachmentManager.complete_upload()`` (the old name)."""
        return self.attachments.complete_upload(ticket, attachment)

    def attachment_download_url(
        self, ticket: Ticket | str, attachment: Attachment | str
    ) -> AttachmentDownload:
        """Get a download URL: ``AttachmentManager.download_url()`` (the old name)."""
        return self.attachments.download_url(ticket, attachment)

    def delete_attachment(self, ticket: Ticket | str, attachment: Attachment | str) -> None:
        """Delete an attachment: ``AttachmentManager.delete()`` (the old name)."""
        self.attachments.delete(ticket, attachment)

    def attach(
        self,
        ticket: Ticket | str,
        file: str | os.PathLike[str] | BinaryIO | bytes,
        *,
        filename: str | None = None,
        content_type: str | None = None,
    ) -> Attachment:
        """Attach a file to a ticket: ``AttachmentManager.attach()`` documents it."""
        return self.attachments.attach(ticket, file, filename=filename, content_type=content_type)


_REQUEST_TYPES = (TicketType.INCIDENT.value, TicketType.SERVICE_REQUEST.value)


def _values(argument: str, value: str | Iterable[str] | None) -> list[str] | None:
    if value is None:
        return None
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, Iterable):
        raise ValidationError(argument, f"expected a string or a list of strings, got {value!r}")
    return [str(check_text(argument, item, min_length=1)) for item in items]


def _one(argument: str, value: str | None, allowed: tuple[str, ...]) -> str | None:
    if value is not None and value not in allowed:
        raise ValidationError(argument, f"expected one of {', '.join(allowed)}, got {value!r}")
    return value

"""The values of support tickets: statuses, kinds, comments, and attachment transfers."""

from __future__ import annotations

from datetime import datetime

import attrs

from lambdacloud._display import Displayable
from lambdacloud._resource import ApiEnum
from lambdacloud._secrets import secret


class TicketStatus(ApiEnum):
    """Where a ticket stands (older API versions used other values; those stay strings)."""

    OPEN = "open"
    ON_HOLD = "on_hold"
    PENDING = "pending"
    SOLVED = "solved"
    CONFIRM_SOLVED = "confirm_solved"


class TicketType(ApiEnum):
    """What a ticket is about."""

    SERVICE_REQUEST = "service_request"
    INCIDENT = "incident"
    AUTOMATED_EVENT = "automated_event"


class TicketSeverity(ApiEnum):
    """How severe an incident is."""

    SEV_1 = "sev_1"
    SEV_2 = "sev_2"
    SEV_3 = "sev_3"


class TicketPriority(ApiEnum):
    """How urgent a ticket is."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


@attrs.frozen(kw_only=True)
class TicketComment(Displayable):
    """One comment on a ticket.

    Attributes:
        body: What it says.
        author: Who wrote it.
        created_at: When.
    """

    body: str
    author: str
    created_at: datetime

    def _display_label(self) -> str:
        return f"{self.author}: {self.body}"


class AttachmentUploadStatus(ApiEnum):
    """Where an attachment's upload stands."""

    PENDING = "pending"
    UPLOADED = "uploaded"
    FAILED = "failed"
    DELETED = "deleted"


@attrs.frozen(kw_only=True)
class AttachmentUpload(Displayable):
    """Where to upload an attachment's content; the URL grants access and is not shown.

    Attributes:
        attachment_id: The new attachment's id.
        upload_url: The presigned URL to send the file to.
        upload_method: ``PUT`` or ``POST``.
        upload_status: Usually ``pending``.
        expires_in: Seconds the URL stays valid.
    """

    attachment_id: str
    upload_url: str = attrs.field(repr=False, metadata=secret())
    upload_method: str
    upload_status: AttachmentUploadStatus | str
    expires_in: int


@attrs.frozen(kw_only=True)
class AttachmentDownload(Displayable):
    """A temporary download link; the URL grants access and is not shown.

    Attributes:
        download_url: The presigned URL.
        expires_in: Seconds it stays valid.
    """

    download_url: str = attrs.field(repr=False, metadata=secret())
    expires_in: int

"""Support tickets (a beta API, enabled per account) and their attachments.

- ``models``: statuses, kinds, comments, attachment transfers;
- ``manager``: ``Ticket`` and ``client.tickets``;
- ``attachments``: ``Attachment`` and ``client.tickets.attachments``.
"""

from lambdacloud.tickets.attachments import Attachment, AttachmentManager
from lambdacloud.tickets.manager import Ticket, TicketManager
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

__all__ = [
    "Attachment",
    "AttachmentDownload",
    "AttachmentManager",
    "AttachmentUpload",
    "AttachmentUploadStatus",
    "Ticket",
    "TicketComment",
    "TicketManager",
    "TicketPriority",
    "TicketSeverity",
    "TicketStatus",
    "TicketType",
]

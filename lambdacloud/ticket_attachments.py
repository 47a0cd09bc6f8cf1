"""The old home of ticket attachments, kept so that ``import lambdacloud.ticket_attachments``
keeps working; they live in ``lambdacloud.tickets`` (``client.tickets.attachments``)."""

from lambdacloud.tickets.attachments import (
    FILENAME_MAX,
    UPLOAD_METHODS,
    Attachment,
    AttachmentManager,
)
from lambdacloud.tickets.models import AttachmentDownload, AttachmentUpload, AttachmentUploadStatus

#: The old name of what ``client.tickets.attachments`` is.
AttachmentOperations = AttachmentManager

__all__ = [
    "FILENAME_MAX",
    "UPLOAD_METHODS",
    "Attachment",
    "AttachmentDownload",
    "AttachmentManager",
    "AttachmentOperations",
    "AttachmentUpload",
    "AttachmentUploadStatus",
]

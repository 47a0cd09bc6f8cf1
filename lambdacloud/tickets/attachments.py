"""Files attached to support tickets, uploaded straight to storage through presigned URLs."""

from __future__ import annotations

import contextlib
import io
import mimetypes
import os
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

import attrs

from lambdacloud._api import Api
from lambdacloud._display import ResourceList
from lambdacloud._resource import Manager, Resource, id_of, path_segment
from lambdacloud._validation import check_text
from lambdacloud.errors import LambdaCloudError, MalformedResponseError, ValidationError
from lambdacloud.tickets.models import AttachmentDownload, AttachmentUpload, AttachmentUploadStatus

FILENAME_MAX = 255
UPLOAD_METHODS = ("PUT", "POST")


@attrs.define(eq=False, kw_only=True)
class Attachment(Resource["AttachmentManager"]):
    """A file attached to a support ticket.

    Attributes:
        id: The attachment's id.
        ticket_id: The ticket it belongs to.
        filename: The original file name.
        content_type: Its MIME type.
        size_bytes: Its size.
        upload_status: ``pending``, ``uploaded``, ``failed`` or ``deleted``.
        created_at: When the upload was initiated.
        uploaded_at: When the upload finished, once it has.
    """

    filename: str
    content_type: str
    size_bytes: int
    upload_status: AttachmentUploadStatus | str
    created_at: datetime
    uploaded_at: datetime | None = None
    ticket_id: str = ""

    def download_url(self) -> AttachmentDownload:
        """Get a temporary URL to download the file: ``AttachmentManager.download_url()``
        documents it."""
        return self._bound().download_url(self.ticket_id, self)

    def delete(self) -> None:
        """Delete the attachment: ``AttachmentManager.delete()`` documents it."""
        self._bound().delete(self.ticket_id, self)


@attrs.frozen
class _AttachmentList:
    attachments: list[Attachment]


class AttachmentManager(Manager):
    """``client.tickets.attachments``: files attached to support tickets."""

    def __init__(self, api: Api) -> None:
        super().__init__(api)
        api.serve(Attachment, self)

    def list(
        self, ticket: Resource[Any] | str, *, status: AttachmentUploadStatus | str | None = None
    ) -> ResourceList[Attachment]:
        """List a ticket's attachments.

        Args:
            ticket: The ticket or its id.
            status: Only attachments in this upload status; by default the API returns
                only uploaded ones.

        Returns:
            The attachments.

        Raises:
            LambdaCloudError: The request failed.

        API: ``GET /api/v1/tickets/{ticket_id}/attachments``
        """
        ticket_id = id_of(ticket, "ticket")
        params = {"status": None if status is None else check_text("status", status, min_length=1)}
        data = self._request("GET", f"{_path(ticket_id)}/attachments", params=params)
        attachments = self._structure(data, _AttachmentList, "a list of attachments").attachments
        for attachment in attachments:
            attachment.ticket_id = ticket_id
        return ResourceList(attachments, Attachment)

    def initiate_upload(
        self, ticket: Resource[Any] | str, *, filename: str, content_type: str, size_bytes: int
    ) -> AttachmentUpload:
        """Start an upload: the API answers with a presigned URL to send the file to.

        Prefer ``attach()``, which does the whole upload.

        Args:
            ticket: The ticket or its id.
            filename: The file's name (at most 255 characters).
            content_type: Its MIME type, such as ``text/plain`` or ``application/gzip``.
            size_bytes: Its size; at least one byte.

        Returns:
            Where and how to upload the content.

        Raises:
            ValidationError: A malformed argument; nothing was sent.
            LambdaCloudError: The request failed.

        API: ``POST /api/v1/tickets/{ticket_id}/attachments``
        """
        ticket_id = id_of(ticket, "ticket")
        if isinstance(size_bytes, bool) or not isinstance(size_bytes, int) or size_bytes < 1:
            raise ValidationError("size_bytes", f"expected at least 1 byte, got {size_bytes!r}")
        body = {
            "filename": check_text("filename", filename, min_length=1, max_length=FILENAME_MAX),
            "content_type": check_text("content_type", content_type, min_length=1),
            "size_bytes": size_bytes,
        }
        data = self._request("POST", f"{_path(ticket_id)}/attachments", json_body=body)
        return self._structure(data, AttachmentUpload, "an attachment upload")

    def complete_upload(
        self, ticket: Resource[Any] | str, attachment: Attachment | str
    ) -> Attachment:
        """Mark an upload as finished, once the content is in storage.

        Args:
            ticket: The ticket or its id.
            attachment: The attachment or its id.

        Returns:
            The attachment, normally ``uploaded``.

        Raises:
            LambdaCloudError: The request failed.

        API: ``POST /api/v1/tickets/{ticket_id}/attachments/{attachment_id}/complete``
        """
        ticket_id = id_of(ticket, "ticket")
        path = f"{_attachment_path(ticket_id, attachment)}/complete"
        data = self._request("POST", path)
        result = self._structure(data, Attachment, "an attachment")
        result.ticket_id = ticket_id
        return result

    def download_url(
        self, ticket: Resource[Any] | str, attachment: Attachment | str
    ) -> AttachmentDownload:
        """Get a temporary URL to download an attachment.

        Args:
            ticket: The ticket or its id.
            attachment: The attachment or its id.

        Returns:
            The URL and how long it stays valid.

        Raises:
            LambdaCloudError: The request failed.

        API: ``GET /api/v1/tickets/{ticket_id}/attachments/{attachment_id}/download``
        """
        path = f"{_attachment_path(id_of(ticket, 'ticket'), attachment)}/download"
        data = self._request("GET", path)
        return self._structure(data, AttachmentDownload, "an attachment download")

    def delete(self, ticket: Resource[Any] | str, attachment: Attachment | str) -> None:
        """Delete an attachment.

        Args:
            ticket: The ticket or its id.
            attachment: The attachment or its id.

        Raises:
            NotFoundError: No such ticket or attachment.
            LambdaCloudError: The request failed.

        API: ``DELETE /api/v1/tickets/{ticket_id}/attachments/{attachment_id}``
        """
        self._request("DELETE", _attachment_path(id_of(ticket, "ticket"), attachment))

    def attach(
        self,
        ticket: Resource[Any] | str,
        file: str | os.PathLike[str] | BinaryIO | bytes,
        *,
        filename: str | None = None,
        content_type: str | None = None,
    ) -> Attachment:
        """Attach a file to a ticket: initiate, upload to the presigned URL, complete.

        The upload goes straight to storage with the method the API names (PUT or POST),
        with no Authorization header. If the upload fails, the pending attachment is
        deleted again (when the API allows) before the error is raised.

        Args:
            ticket: The ticket or its id.
            file: A path, a binary file object read from its current position, or bytes
                (then ``filename`` is required).
            filename: The name to show; by default the file's own name.
            content_type: The MIME type; by default guessed from the name
                (``application/octet-stream`` when unknown).

        Returns:
            The attachment, normally ``uploaded``.

        Raises:
            ValidationError: No usable name, or an empty file; nothing was sent.
            LambdaCloudError: A request or the upload failed.

        API: ``POST /api/v1/tickets/{ticket_id}/attachments``, the presigned upload, then
        ``POST /api/v1/tickets/{ticket_id}/attachments/{attachment_id}/complete``.
        """
        if isinstance(file, (str, os.PathLike)):
            path = Path(file).expanduser()
            with path.open("rb") as handle:
                return self.attach(
                    ticket, handle, filename=filename or path.name, content_type=content_type
                )
        if isinstance(file, (bytes, bytearray, memoryview)):
            file = io.BytesIO(bytes(file))
        name = filename or Path(str(getattr(file, "name", ""))).name
        if not name:
            raise ValidationError("filename", "the file has no name: pass filename=")
        body, size = _sized(file)
        kind = content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
        upload = self.initiate_upload(ticket, filename=name, content_type=kind, size_bytes=size)
        method = upload.upload_method.upper()
        if method not in UPLOAD_METHODS:
            raise MalformedResponseError(f"The API asked for an upload with {method!r}")
        try:
            self._api.session.upload(method, upload.upload_url, body, content_type=kind)
        except LambdaCloudError:
            with contextlib.suppress(LambdaCloudError):
                self.delete(ticket, upload.attachment_id)
            raise
        return self.complete_upload(ticket, upload.attachment_id)


def _sized(file: Any) -> tuple[BinaryIO, int]:
    """The file and the bytes left in it; unseekable streams are read into memory."""
    if isinstance(file, io.TextIOBase) or not hasattr(file, "read"):
        raise ValidationError("file", f"expected a path, bytes or a binary file, got {file!r}")
    if hasattr(file, "seekable") and file.seekable():
        start = file.tell()
        size = file.seek(0, io.SEEK_END) - start
        file.seek(start)
        body: BinaryIO = file
    else:
        content = file.read()
        if not isinstance(content, bytes):
            raise ValidationError("file", "expected a binary file (open it with 'rb')")
        size, body = len(content), io.BytesIO(content)
    if size < 1:
        raise ValidationError("file", "is empty; the API accepts files of one byte or more")
    return body, size


def _path(ticket_id: str) -> str:
    return f"/tickets/{path_segment(ticket_id)}"


def _attachment_path(ticket_id: str, attachment: Attachment | str) -> str:
    return f"{_path(ticket_id)}/attachments/{path_segment(id_of(attachment, 'attachment'))}"

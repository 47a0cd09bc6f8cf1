"""The storage behind ticket attachments: presigned URLs on the fake itself, S3's manners.

Lambda hands out presigned URLs to object storage; the fake hands out URLs to itself, under
``/_storage/``, signed with a key of its own and valid for an hour of fake time. Like S3, the
storage authenticates the URL's signature and nothing else: a request that also carries an
``Authorization`` header is refused (400), a bad or expired signature is refused (403), and
errors are S3's XML documents, not the API's envelope. No rate limits apply.
"""

from __future__ import annotations

import hashlib
import hmac
from html import escape
from urllib.parse import quote

from lambdacloud.testing._world import FakeAttachment, Request, World

PREFIX = "/_storage/attachments/"
#: The largest attachment the fake takes (Zendesk's limit; the document names none).
ATTACHMENT_MAX = 50 * 1024 * 1024
#: How long a presigned URL stays valid, in seconds of fake time.
URL_SECONDS = 3600

Answer = tuple[int, bytes | str, dict[str, str]]


def presign(world: World, host: str, attachment_id: str, *, upload: bool) -> str:
    """A URL on this fake to upload (PUT or POST) or download (GET) an attachment's content."""
    expires = int(world.now()) + URL_SECONDS
    signature = _sign(world, attachment_id, expires, upload=upload)
    return f"http://{host}{PREFIX}{quote(attachment_id)}?expires={expires}&signature={signature}"


def answer(world: World, request: Request) -> Answer:
    """Serve one storage request: store an upload, or send a download."""
    attachment_id = request.path[len(PREFIX) :]
    upload = request.method in ("PUT", "POST")
    if not upload and request.method not in ("GET", "HEAD"):
        return _error(405, "MethodNotAllowed", "The method is not allowed on this resource.")
    if "authorization" in request.headers:
        return _error(
            400,
            "InvalidArgument",
            "Only one auth mechanism allowed; only the signature query parameter or the "
            "Authorization header should be specified.",
        )
    expires = request.query.get("expires", [""])[0]
    given = request.query.get("signature", [""])[0]
    if not expires.isdigit() or not hmac.compare_digest(
        given, _sign(world, attachment_id, int(expires), upload=upload)
    ):
        return _error(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        )
    if world.now() > int(expires):
        return _error(403, "AccessDenied", "Request has expired.")
    attachment = world.attachments.get(attachment_id)
    if attachment is None or attachment.status == "deleted":
        return _error(404, "NoSuchKey", "The specified key does not exist.")
    if upload:
        return _store(attachment, request)
    if attachment.content is None:
        return _error(404, "NoSuchKey", "The specified key does not exist.")
    return 200, attachment.content, {"Content-Type": attachment.content_type}


def _store(attachment: FakeAttachment, request: Request) -> Answer:
    declared = request.headers.get("content-type", "")
    if declared.split(";")[0].strip() != attachment.content_type.split(";")[0].strip():
        # The content type is part of what the URL was signed for, as with S3.
        return _error(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        )
    if len(request.raw) != attachment.size_bytes:
        return _error(
            400,
            "IncompleteBody",
            "The request body is not the size declared when the upload was initiated.",
        )
    attachment.content = request.raw
    digest = hashlib.md5(request.raw, usedforsecurity=False).hexdigest()
    # S3 answers a PUT with 200 and a POST upload with 204, both with the ETag.
    return (200 if request.method == "PUT" else 204), b"", {"ETag": f'"{digest}"'}


def _sign(world: World, attachment_id: str, expires: int, *, upload: bool) -> str:
    purpose = "upload" if upload else "download"
    message = f"{purpose}\n{attachment_id}\n{expires}".encode()
    return hmac.new(world.storage_key, message, hashlib.sha256).hexdigest()


def _error(status: int, code: str, message: str) -> Answer:
    document = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{escape(message)}</Message></Error>"
    )
    return status, document, {"Content-Type": "application/xml"}

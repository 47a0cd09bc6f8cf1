from __future__ import annotations

import io
import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from responses import matchers

from lambdacloud import (
    Attachment,
    AttachmentUploadStatus,
    Client,
    LambdaCloudError,
    MalformedResponseError,
    ServerError,
    Ticket,
    TicketCreationFailedError,
    TicketStatus,
    ValidationError,
)

from .conftest import API, API_KEY, load

TICKET_ID = "f1e2d3c4b5a647869708192a3b4c5d6e"
ATTACHMENT_ID = "6a7b8c9d0e1f4a2b8c3d4e5f6a7b8c9d"
TICKET_URL = f"{API}/tickets/{TICKET_ID}"
ATTACHMENTS_URL = f"{TICKET_URL}/attachments"
UPLOAD_URL = "https://storage.example.com/uploads/6a7b8c9d"
UPLOAD_SIGNATURE = "c3d4a9e1f0b2476d8e5a1c9b7f3e2d1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e"
DOWNLOAD_SIGNATURE = "0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0"


class TestTickets:
    def test_list_follows_data_page_token(
        self, client: Client, mocked: responses.RequestsMock
    ) -> None:
        mocked.get(
            f"{API}/tickets", json=load("tickets_page1"), match=[matchers.query_string_matcher("")]
        )
        mocked.get(
            f"{API}/tickets",
            json=load("tickets_page2"),
            match=[matchers.query_param_matcher({"page_token": "page-2"})],
        )
        tickets = client.tickets.list()
        assert len(mocked.calls) == 1  # the first page, at the call
        assert [t.subject for t in tickets.first_page] == ["Instance unreachable over SSH"]
        assert tickets.more is True
        open_ticket, solved = list(tickets)
        assert len(mocked.calls) == 2
        assert isinstance(open_ticket, Ticket)
        assert open_ticket.status is TicketStatus.OPEN
        assert open_ticket.comments[1].author == "support"
        assert solved.resolved_at == datetime(2025, 5, 2, 9, tzinfo=timezone.utc)
        assert solved.severity is None

    def test_list_filters_and_ordering(
        self, client: Client, mocked: responses.RequestsMock
    ) -> None:
        mocked.get(
            f"{API}/tickets",
            json={"data": {"tickets": [], "page_token": None}},
            match=[
                matchers.query_string_matcher(
                    "status=open&status=pending&type=incident&severity=sev_1&priority=high"
                    "&priority=urgent&device_serial=SN1&order_by=updated_at&direction=desc"
                )
            ],
        )
        found = client.tickets.list(
            status=["open", TicketStatus.PENDING],
            type="incident",
            severity="sev_1",
            priority=("high", "urgent"),
            device_serial="SN1",
            order_by="updated_at",
            direction="desc",
        )
        assert list(found) == []

    @pytest.mark.parametrize(
        ("options", "argument"),
        [
            ({"order_by": "subject"}, "order_by"),
            ({"direction": "up"}, "direction"),
            ({"status": [""]}, "status"),
            ({"status": 5}, "status"),
        ],
    )
    def test_list_rejects_bad_filters_at_the_call(
        self, client: Client, mocked: responses.RequestsMock, options: dict[str, Any], argument: str
    ) -> None:
        with pytest.raises(ValidationError) as raised:
            client.tickets.list(**options)
        assert raised.value.argument == argument

    def test_get_and_refresh(self, client: Client, mocked: responses.RequestsMock) -> None:
        mocked.get(TICKET_URL, json=load("ticket"))
        mocked.get(TICKET_URL, json=load("ticket"))
        ticket = client.tickets.get(TICKET_ID)
        assert ticket.subject == "Instance unreachable over SSH"
        assert ticket.affected_devices == ["SN123456789"]
        assert ticket.refresh() is ticket

    def test_create_an_incident(self, client: Client, mocked: responses.RequestsMock) -> None:
        body = {
            "subject": "Instance unreachable over SSH",
            "description": "Since 10:00 UTC the instance refuses SSH connections.",
            "type": "incident",
            "severity": "sev_2",
            "priority": "high",
            "instance_id": "0920582c7ff041399e34823a0be62549",
            "affected_devices": ["SN123456789"],
        }
        mocked.post(
            f"{API}/tickets",
            json=load("ticket_created"),
            match=[matchers.json_params_matcher(body)],
        )
        ticket = client.tickets.create(
            subject=body["subject"],
            description=body["description"],
            type="incident",
            severity="sev_2",
            priority="high",
            instance_id="0920582c7ff041399e34823a0be62549",
            affected_devices=["SN123456789"],
        )
        assert ticket.id == TICKET_ID
        assert ticket.subject == body["subject"]
        assert ticket.status == "open"
        assert ticket.comments == []
        assert ticket._manager is client.tickets

    def test_create_a_service_request(self, client: Client, mocked: responses.RequestsMock) -> None:
        body = {"subject": "Quota", "description": "More H100s please.", "type": "service_request"}
        created = load("ticket_created")
        created["data"].update(type="service_request")
        del created["data"]["severity"]
        mocked.post(f"{API}/tickets", json=created, match=[matchers.json_params_matcher(body)])
        assert client.tickets.create(**body).type == "service_request"  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("options", "argument"),
        [
            ({"type": "incident"}, "severity"),
            ({"type": "service_request", "severity": "sev_1"}, "severity"),
            ({"type": "incident", "severity": "sev_1", "description": ""}, "description"),
            (
                {"type": "incident", "severity": "sev_1", "affected_devices": [""]},
                "affected_devices",
            ),
            ({"type": "incident", "severity": "sev_1", "instance_id": ""}, "instance_id"),
        ],
    )
    def test_create_checks_its_input(
        self, client: Client, mocked: responses.RequestsMock, options: dict[str, Any], argument: str
    ) -> None:
        with pytest.raises(ValidationError) as raised:
            client.tickets.create(**{"subject": "s", "description": "d", **options})
        assert raised.value.argument == argument
        assert len(mocked.calls) == 0

    def test_a_single_affected_device_is_a_list(
        self, client: Client, mocked: responses.RequestsMock
    ) -> None:
        body = {
            "subject": "s",
            "description": "d",
            "type": "incident",
            "severity": "sev_1",
            "affected_devices": ["SN1"],
        }
        mocked.post(
            f"{API}/tickets",
            json=load("ticket_created"),
            match=[matchers.json_params_matcher(body)],
        )
        client.tickets.create(
            subject="s", description="d", type="incident", severity="sev_1", affected_devices="SN1"
        )

    def test_create_failure(self, client: Client, mocked: responses.RequestsMock) -> None:
        error = {
            "code": "support-tickets/creation-failed",
            "message": "Failed to create the ticket.",
        }
        mocked.post(f"{API}/tickets", json={"error": error}, status=400)
        with pytest.raises(TicketCreationFailedError):
            client.tickets.create(subject="s", description="d", type="service_request")

    def test_update_is_accepted_and_returns_nothing(
        self, client: Client, mocked: responses.RequestsMock
    ) -> None:
        body = {
            "status": "solved",
            "priority": "low",
            "comment": {"body": "Works again, thanks."},
            "affected_devices": ["SN1", "SN2"],
        }
        mocked.patch(
            TICKET_URL, json=load("empty"), status=202, match=[matchers.json_params_matcher(body)]
        )
        result = client.tickets.update(
            TICKET_ID,
            status="solved",
            priority="low",
            comment="Works again, thanks.",
            affected_devices=["SN1", "SN2"],
        )
        assert result is None

    def test_ticket_update_delegates(self, client: Client, mocked: responses.RequestsMock) -> None:
        mocked.get(TICKET_URL, json=load("ticket"))
        mocked.patch(
            TICKET_URL,
            json=load("empty"),
            status=202,
            match=[matchers.json_params_matcher({"severity": "sev_1"})],
        )
        ticket = client.tickets.get(TICKET_ID)
        assert ticket.update(severity="sev_1") is None
        assert ticket.severity == "sev_2"  # unchanged until the API has applied it

    @pytest.mark.parametrize(
        ("options", "argument"),
        [({"status": "open"}, "status"), ({}, "status"), ({"comment": ""}, "comment")],
    )
    def test_update_checks_its_input(
        self, client: Client, mocked: responses.RequestsMock, options: dict[str, Any], argument: str
    ) -> None:
        with pytest.raises(ValidationError) as raised:
            client.tickets.update(TICKET_ID, **options)
        assert raised.value.argument == argument


class TestAttachments:
    def test_list(self, client: Client, mocked: responses.RequestsMock) -> None:
        mocked.get(
            ATTACHMENTS_URL,
            json=load("attachments"),
            match=[matchers.query_param_matcher({"status": "pending"})],
        )
        log, core = client.tickets.list_attachments(
            TICKET_ID, status=AttachmentUploadStatus.PENDING
        )
        assert isinstance(log, Attachment)
        assert log.ticket_id == TICKET_ID
        assert log.upload_status is AttachmentUploadStatus.UPLOADED
        assert core.uploaded_at is None

    def test_initiate(self, client: Client, mocked: responses.RequestsMock) -> None:
        body = {"filename": "dmesg.log", "content_type": "text/plain", "size_bytes": 11}
        mocked.post(
            ATTACHMENTS_URL,
            json=load("attachment_initiated"),
            match=[matchers.json_params_matcher(body)],
        )
        upload = client.tickets.initiate_attachment_upload(
            TICKET_ID, filename="dmesg.log", content_type="text/plain", size_bytes=11
        )
        assert upload.attachment_id == ATTACHMENT_ID
        assert upload.upload_method == "PUT"
        assert upload.expires_in == 900
        assert UPLOAD_SIGNATURE in upload.upload_url
        assert UPLOAD_SIGNATURE not in repr(upload)

    @pytest.mark.parametrize("size", [0, -1, 1.5, True])
    def test_initiate_checks_the_size(
        self, client: Client, mocked: responses.RequestsMock, size: Any
    ) -> None:
        with pytest.raises(ValidationError, match="size_bytes"):
            client.tickets.initiate_attachment_upload(
                TICKET_ID, filename="f", content_type="t", size_bytes=size
            )

    def test_complete_download_and_delete(
        self, client: Client, mocked: responses.RequestsMock
    ) -> None:
        mocked.post(f"{ATTACHMENTS_URL}/{ATTACHMENT_ID}/complete", json=load("attachment"))
        mocked.get(f"{ATTACHMENTS_URL}/{ATTACHMENT_ID}/download", json=load("attachment_download"))
        mocked.delete(f"{ATTACHMENTS_URL}/{ATTACHMENT_ID}", json=load("empty"))
        attachment = client.tickets.complete_attachment_upload(TICKET_ID, ATTACHMENT_ID)
        assert attachment.upload_status == "uploaded"
        assert attachment.ticket_id == TICKET_ID
        download = attachment.download_url()
        assert download.expires_in == 300
        assert download.download_url.startswith("https://storage.example.com/")
        assert DOWNLOAD_SIGNATURE not in repr(download)
        assert attachment.delete() is None


def expect_attach(
    mocked: responses.RequestsMock,
    method: str,
    size: int,
    content_type: str,
    filename: str = "dmesg.log",
) -> None:
    initiated = load("attachment_initiated")
    initiated["data"]["upload_method"] = method.lower() if method == "POST" else method
    mocked.post(
        ATTACHMENTS_URL,
        json=initiated,
        match=[
            matchers.json_params_matcher(
                {"filename": filename, "content_type": content_type, "size_bytes": size}
            )
        ],
    )
    mocked.add(method, UPLOAD_URL, status=200, body="")
    mocked.post(f"{ATTACHMENTS_URL}/{ATTACHMENT_ID}/complete", json=load("attachment"))


class Unseekable(io.RawIOBase):
    """A pipe-like stream: it can be read once, not rewound."""

    def __init__(self, content: bytes) -> None:
        self._content = io.BytesIO(content)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self._content.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def uploaded(mocked: responses.RequestsMock) -> list[bytes]:
    """The bytes each upload to storage carried."""
    bodies = []
    for call in mocked.calls:
        if call.request.url.startswith(UPLOAD_URL):
            body = call.request.body
            bodies.append(body.read() if hasattr(body, "read") else bytes(body or b""))
    return bodies


class TestAttach:
    @pytest.mark.parametrize("method", ["PUT", "POST"])
    def test_attach_a_path(
        self, client: Client, mocked: responses.RequestsMock, tmp_path: Path, method: str
    ) -> None:
        path = tmp_path / "dmesg.txt"
        path.write_bytes(b"kernel: oom")
        expect_attach(mocked, method, 11, "text/plain", filename="dmesg.txt")
        mocked.get(TICKET_URL, json=load("ticket"))
        ticket = client.tickets.get(TICKET_ID)
        attachment = ticket.attach(path)
        assert attachment.id == ATTACHMENT_ID
        (upload,) = [c.request for c in mocked.calls if c.request.url.startswith(UPLOAD_URL)]
        assert upload.method == method
        assert upload.url.startswith(UPLOAD_URL)
        assert "Authorization" not in upload.headers
        assert upload.headers["Content-Type"] == "text/plain"
        body = upload.body.read() if hasattr(upload.body, "read") else upload.body
        assert body == b"kernel: oom"

    def test_attach_a_file_object_from_its_position(
        self, client: Client, mocked: responses.RequestsMock
    ) -> None:
        handle = io.BytesIO(b"HEADERkernel: oom")
        handle.seek(6)
        expect_attach(mocked, "PUT", 11, "application/x-log")
        client.tickets.attach(
            TICKET_ID, handle, filename="dmesg.log", content_type="application/x-log"
        )
        assert uploaded(mocked) == [b"kernel: oom"]

    @pytest.mark.parametrize(
        "content",
        [b"kernel: oom", bytearray(b"kernel: oom"), Unseekable(b"kernel: oom")],
        ids=["bytes", "bytearray", "unseekable-stream"],
    )
    def test_attach_bytes_and_streams(
        self, client: Client, mocked: responses.RequestsMock, content: Any
    ) -> None:
        expect_attach(mocked, "PUT", 11, "application/octet-stream")
        client.tickets.attach(TICKET_ID, content, filename="dmesg.log")
        assert uploaded(mocked) == [b"kernel: oom"]

    def test_failed_upload_is_an_error_and_the_pending_attachment_is_removed(
        self, mocked: responses.RequestsMock
    ) -> None:
        client = Client(api_key=API_KEY, max_retries=0)
        mocked.post(ATTACHMENTS_URL, json=load("attachment_initiated"))
        mocked.put(UPLOAD_URL, status=503, body="<Error><Code>SlowDown</Code></Error>")
        mocked.delete(f"{ATTACHMENTS_URL}/{ATTACHMENT_ID}", json=load("empty"))
        with pytest.raises(ServerError, match="SlowDown"):
            client.tickets.attach(TICKET_ID, io.BytesIO(b"x"), filename="dmesg.log")
        assert [c.request.method for c in mocked.calls] == ["POST", "PUT", "DELETE"]

    @pytest.mark.parametrize("content", [io.BytesIO(b"kernel: oom"), Unseekable(b"kernel: oom")])
    def test_a_retried_upload_sends_the_whole_file_again(
        self, client: Client, mocked: responses.RequestsMock, content: Any
    ) -> None:
        mocked.post(ATTACHMENTS_URL, json=load("attachment_initiated"))
        mocked.put(UPLOAD_URL, status=500, body="")
        mocked.put(UPLOAD_URL, status=429, body="")
        mocked.put(UPLOAD_URL, status=200, body="")
        mocked.post(f"{ATTACHMENTS_URL}/{ATTACHMENT_ID}/complete", json=load("attachment"))
        client.tickets.attach(TICKET_ID, content, filename="dmesg.log")
        assert uploaded(mocked) == [b"kernel: oom"] * 3

    def test_unknown_upload_method(self, client: Client, mocked: responses.RequestsMock) -> None:
        initiated = load("attachment_initiated")
        initiated["data"]["upload_method"] = "FTP"
        mocked.post(ATTACHMENTS_URL, json=initiated)
        with pytest.raises(MalformedResponseError, match="FTP"):
            client.tickets.attach(TICKET_ID, io.BytesIO(b"x"), filename="dmesg.log")

    @pytest.mark.parametrize(
        ("file", "options", "argument"),
        [
            (io.BytesIO(b""), {"filename": "empty.log"}, "file"),
            (io.BytesIO(b"x"), {}, "filename"),
            (io.StringIO("text"), {"filename": "t.txt"}, "file"),
        ],
    )
    def test_unusable_files_fail_before_any_request(
        self,
        client: Client,
        mocked: responses.RequestsMock,
        file: Any,
        options: dict[str, Any],
        argument: str,
    ) -> None:
        with pytest.raises(ValidationError) as raised:
            client.tickets.attach(TICKET_ID, file, **options)
        assert raised.value.argument == argument
        assert len(mocked.calls) == 0


class TestNoCredentialsLeaveForStorage:
    @pytest.mark.parametrize("setting", ["headers", "auth", "netrc"])
    def test_upload_carries_no_authorization_whatever_the_session_says(
        self,
        mocked: responses.RequestsMock,
        monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path,
        setting: str,
    ) -> None:
        session = requests.Session()
        if setting == "headers":
            session.headers["Authorization"] = "Bearer someone-elses-token"
        elif setting == "auth":
            session.auth = ("user", "password")
        else:
            netrc = tmp_path / "netrc"
            netrc.write_text("default login user password hunter2\n")
            monkeypatch.setenv("NETRC", str(netrc))
        client = Client(api_key=API_KEY, session=session)
        expect_attach(mocked, "PUT", 11, "application/octet-stream")
        client.tickets.attach(TICKET_ID, b"kernel: oom", filename="dmesg.log")
        (upload,) = [c.request for c in mocked.calls if c.request.url.startswith(UPLOAD_URL)]
        assert "Authorization" not in upload.headers
        api_calls = [c.request for c in mocked.calls if c.request.url.startswith(API)]
        assert {r.headers["Authorization"] for r in api_calls} == {f"Bearer {API_KEY}"}

    def test_presigned_signature_stays_out_of_errors_and_logs(
        self, mocked: responses.RequestsMock, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.DEBUG)
        client = Client(api_key=API_KEY, max_retries=0)
        mocked.post(ATTACHMENTS_URL, json=load("attachment_initiated"))
        echo = (
            "<Error><Code>SignatureDoesNotMatch</Code>"
            f"<SignatureProvided>{UPLOAD_SIGNATURE}</SignatureProvided></Error>"
        )
        mocked.put(UPLOAD_URL, status=403, body=echo)
        mocked.delete(f"{ATTACHMENTS_URL}/{ATTACHMENT_ID}", json=load("empty"))
        with pytest.raises(LambdaCloudError) as raised:
            client.tickets.attach(TICKET_ID, b"x", filename="a.log")
        assert "SignatureDoesNotMatch" in str(raised.value)
        assert UPLOAD_SIGNATURE not in str(raised.value)
        assert UPLOAD_SIGNATURE not in caplog.text
        assert "storage.example.com" in caplog.text

    def test_an_unusable_upload_url(self, client: Client, mocked: responses.RequestsMock) -> None:
        initiated = load("attachment_initiated")
        initiated["data"]["upload_url"] = "http://[::1/broken"
        mocked.post(ATTACHMENTS_URL, json=initiated)
        mocked.delete(f"{ATTACHMENTS_URL}/{ATTACHMENT_ID}", json=load("empty"))
        with pytest.raises(MalformedResponseError, match="upload URL"):
            client.tickets.attach(TICKET_ID, b"x", filename="a.log")


def test_an_accepted_update_needs_no_envelope(
    client: Client, mocked: responses.RequestsMock
) -> None:
    mocked.patch(TICKET_URL, status=202, body="")
    mocked.patch(TICKET_URL, status=202, json={})
    assert client.tickets.update(TICKET_ID, priority="low") is None
    assert client.tickets.update(TICKET_ID, priority="low") is None


def test_an_error_envelope_on_an_update_is_still_an_error(
    client: Client, mocked: responses.RequestsMock
) -> None:
    mocked.patch(
        TICKET_URL, status=200, json={"error": {"code": "global/not-found", "message": "no"}}
    )
    with pytest.raises(LambdaCloudError):
        client.tickets.update(TICKET_ID, priority="low")


def test_the_ticket_iterator_stops_on_a_repeated_token(
    client: Client, mocked: responses.RequestsMock
) -> None:
    page = {"data": {"tickets": [], "page_token": "same"}}
    mocked.get(f"{API}/tickets", json=page)
    with pytest.raises(MalformedResponseError, match="same page token"):
        for _ in zip(client.tickets.list(), range(100), strict=False):
            pass
    assert len(mocked.calls) == 2


def test_only_the_documented_request_types_can_be_created(
    client: Client, mocked: responses.RequestsMock
) -> None:
    with pytest.raises(ValidationError, match="type"):
        client.tickets.create(subject="s", description="d", type="automated_event")

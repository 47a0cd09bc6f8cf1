"""FakeLambdaCloud's support tickets and attachments: state, pages, documented errors, storage."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from lambdacloud import (
    Client,
    InvalidParametersError,
    NotFoundError,
    ServerError,
    TicketCreationFailedError,
)
from lambdacloud.testing import FakeClock, FakeLambdaCloud

from .test_testing_e2e import assert_conforms

MISSING = "0" * 32


@pytest.fixture
def cloud() -> Iterator[FakeLambdaCloud]:
    """A fake with small ticket pages; every documented answer is checked afterwards."""
    with FakeLambdaCloud(clock=FakeClock(frozen=True), ticket_page_size=2) as running:
        yield running
        assert_conforms(running)


@pytest.fixture
def client(cloud: FakeLambdaCloud) -> Client:
    return cloud.client()


def raw(
    cloud: FakeLambdaCloud, method: str, path: str, *, body: Any = None, **params: Any
) -> requests.Response:
    """A request the client would refuse to send, straight to the fake."""
    cloud.advance(5)  # past the rate limit: these tests are about the answers
    return requests.request(
        method,
        f"{cloud.url}/api/v1{path}",
        json=body,
        params=params,
        headers={"Authorization": f"Bearer {cloud.api_key}"},
        timeout=5,
    )


def incident(client: Client, subject: str = "GPU falls off the bus", **options: Any) -> Any:
    options.setdefault("severity", "sev_2")
    return client.tickets.create(
        subject=subject, description="nvidia-smi says no devices.", type="incident", **options
    )


class TestTickets:
    def test_created_read_and_listed(self, cloud: FakeLambdaCloud, client: Client) -> None:
        instance_key = client.ssh_keys.create("me")
        instance = client.instances.launch("gpu_1x_a10", ssh_key=instance_key, region=None)
        ticket = incident(
            client,
            priority="high",
            instance_id=instance,
            hostname="gpu-001",
            device_serial="SN123",
            affected_devices=["gpu-001"],
        )
        assert (ticket.status, ticket.type, ticket.severity, ticket.priority) == (
            "open",
            "incident",
            "sev_2",
            "high",
        )
        assert ticket.external_ticket_provider == "zendesk"
        assert ticket.external_ticket_id
        read = ticket.refresh()
        assert read.subject == "GPU falls off the bus"
        assert read.description == "nvidia-smi says no devices."
        # The description is the first comment, by the requester.
        assert [(c.body, c.author) for c in read.comments] == [
            ("nvidia-smi says no devices.", "you@example.com")
        ]
        assert (read.hostname, read.device_serial, read.affected_devices) == (
            "gpu-001",
            "SN123",
            ["gpu-001"],
        )
        assert [t.id for t in client.tickets.list()] == [ticket.id]

    @pytest.mark.parametrize(
        ("body", "complaint"),
        [
            ({"subject": "s", "description": "d", "type": "incident"}, "severity"),
            (
                {
                    "subject": "s",
                    "description": "d",
                    "type": "service_request",
                    "severity": "sev_1",
                },
                "severity",
            ),
            ({"subject": "s", "description": "d", "type": "automated_event"}, "type"),
            ({"subject": "s", "type": "service_request"}, "description"),
            ({"subject": "", "description": "d", "type": "service_request"}, "subject"),
            (
                {"subject": "s", "description": "d", "type": "service_request", "priority": "asap"},
                "priority",
            ),
        ],
    )
    def test_creation_follows_the_documented_rules(
        self, cloud: FakeLambdaCloud, body: dict[str, Any], complaint: str
    ) -> None:
        answer = raw(cloud, "POST", "/tickets", body=body)
        assert answer.status_code == 400
        assert answer.json()["error"]["code"] == "global/invalid-parameters"
        assert complaint in answer.json()["error"]["message"]
        assert raw(cloud, "GET", "/tickets").json()["data"]["tickets"] == []

    def test_an_unknown_instance_is_not_found(self, client: Client) -> None:
        with pytest.raises(NotFoundError):
            incident(client, instance_id=MISSING)

    def test_creation_failed_can_be_injected(self, cloud: FakeLambdaCloud, client: Client) -> None:
        fault = cloud.inject(code="support-tickets/creation-failed", method="POST", path="/tickets")
        with pytest.raises(TicketCreationFailedError) as raised:
            incident(client)
        assert raised.value.status_code == 400
        assert raised.value.suggestion
        assert fault.hits == 1
        assert list(client.tickets.list()) == []
        with pytest.raises(ValueError, match="status"):
            cloud.inject(code="nobody/knows-this")

    def test_filters_order_and_pages(self, cloud: FakeLambdaCloud, client: Client) -> None:
        first = incident(client, "first", priority="low", device_serial="SN-A")
        cloud.advance(10)
        second = client.tickets.create(
            subject="second", description="d", type="service_request", priority="urgent"
        )
        cloud.advance(10)
        third = incident(client, "third", severity="sev_1", device_serial="sn-b")
        # Newest first by default, two per page (ticket_page_size=2): two pages are read.
        assert [t.subject for t in client.tickets.list()] == ["third", "second", "first"]
        pages = [r for r in cloud.requests if r.path == "/api/v1/tickets" and r.method == "GET"]
        assert [len(r.response["data"]["tickets"]) for r in pages if r.status == 200] == [2, 1]
        assert [t.id for t in client.tickets.list(direction="asc")] == [
            first.id,
            second.id,
            third.id,
        ]
        assert [t.id for t in client.tickets.list(type="service_request")] == [second.id]
        assert [t.id for t in client.tickets.list(severity=["sev_1", "sev_3"])] == [third.id]
        assert [t.id for t in client.tickets.list(priority="urgent")] == [second.id]
        assert {t.id for t in client.tickets.list(device_serial=["SN-B", "sn-a"])} == {
            first.id,
            third.id,
        }
        assert list(client.tickets.list(status="solved")) == []
        first.update(comment="still broken")
        cloud.advance(5)
        by_update = client.tickets.list(order_by="updated_at", direction="desc")
        assert [t.id for t in by_update] == [first.id, third.id, second.id]

    @pytest.mark.parametrize(
        "params",
        [{"status": "closed"}, {"order_by": "subject"}, {"direction": "up"}, {"page_token": "x"}],
    )
    def test_bad_list_parameters(self, cloud: FakeLambdaCloud, params: dict[str, str]) -> None:
        answer = raw(cloud, "GET", "/tickets", **params)
        assert answer.status_code == 400
        assert answer.json()["error"]["code"] == "global/invalid-parameters"

    def test_updates_are_accepted_then_applied_later(
        self, cloud: FakeLambdaCloud, client: Client
    ) -> None:
        ticket = incident(client)
        ticket.update(comment="It happens after a restart too.", priority="urgent")
        assert cloud.requests[-1].status == 202
        assert len(ticket.refresh().comments) == 1  # accepted, not applied yet
        cloud.advance(5)  # ticket_update_seconds
        ticket.refresh()
        assert [c.body for c in ticket.comments][-1] == "It happens after a restart too."
        assert ticket.priority == "urgent"
        ticket.update(status="solved", affected_devices=["gpu-002"])
        cloud.advance(5)
        ticket.refresh()
        assert ticket.status == "solved"
        assert ticket.resolved_at is not None
        assert ticket.affected_devices == ["gpu-002"]
        assert [t.id for t in client.tickets.list(status="solved")] == [ticket.id]

    def test_updates_can_apply_at_once(self) -> None:
        with FakeLambdaCloud(ticket_update_seconds=0) as cloud:
            client = cloud.client()
            ticket = incident(client)
            ticket.update(severity="sev_1")
            assert ticket.refresh().severity == "sev_1"

    @pytest.mark.parametrize(
        "body", [{}, {"status": "open"}, {"comment": "text"}, {"comment": {"body": ""}}]
    )
    def test_bad_updates(self, cloud: FakeLambdaCloud, client: Client, body: Any) -> None:
        ticket = incident(client)
        answer = raw(cloud, "PATCH", f"/tickets/{ticket.id}", body=body)
        assert answer.status_code == 400
        assert answer.json()["error"]["code"] == "global/invalid-parameters"

    @pytest.mark.parametrize(
        ("method", "path", "body"),
        [
            ("GET", "/tickets/{t}", None),
            ("PATCH", "/tickets/{t}", {"comment": {"body": "hello"}}),
            ("GET", "/tickets/{t}/attachments", None),
            ("POST", "/tickets/{t}/attachments", {"filename": "a", "content_type": "b"}),
            ("POST", "/tickets/{t}/attachments/{a}/complete", None),
            ("GET", "/tickets/{t}/attachments/{a}/download", None),
            ("DELETE", "/tickets/{t}/attachments/{a}", None),
        ],
    )
    def test_an_unknown_ticket_is_the_documented_404(
        self, cloud: FakeLambdaCloud, method: str, path: str, body: Any
    ) -> None:
        answer = raw(cloud, method, path.format(t=MISSING, a=MISSING), body=body)
        assert answer.status_code == 404
        assert answer.json()["error"] == {
            "code": "global/not-found",
            "message": "Ticket not found.",
            "suggestion": "Check the ticket ID and try again.",
        }


class TestAttachments:
    def test_attach_read_download_delete(
        self, cloud: FakeLambdaCloud, client: Client, tmp_path: Any
    ) -> None:
        ticket = incident(client)
        log = tmp_path / "dmesg.txt"
        log.write_bytes(b"[0.0] NVRM: GPU has fallen off the bus\n")
        attachment = ticket.attach(log)
        assert (attachment.filename, attachment.upload_status) == ("dmesg.txt", "uploaded")
        assert (attachment.content_type, attachment.size_bytes) == ("text/plain", 39)
        assert attachment.uploaded_at is not None
        upload = next(r for r in cloud.requests if r.path.startswith("/_storage/"))
        assert (upload.method, upload.status) == ("PUT", 200)
        assert ticket.list_attachments() == [attachment]
        download = attachment.download_url()
        assert download.expires_in == 3600
        assert requests.get(download.download_url, timeout=5).content == log.read_bytes()
        attachment.delete()
        assert ticket.list_attachments() == []
        assert [a.id for a in ticket.list_attachments(status="deleted")] == [attachment.id]
        with pytest.raises(NotFoundError) as raised:
            attachment.delete()
        assert raised.value.code == "global/object-does-not-exist"
        assert raised.value.suggestion

    def test_pending_until_completed(self, cloud: FakeLambdaCloud, client: Client) -> None:
        ticket = incident(client)
        upload = client.tickets.initiate_attachment_upload(
            ticket, filename="core.gz", content_type="application/gzip", size_bytes=4
        )
        assert (upload.upload_method, upload.upload_status) == ("PUT", "pending")
        assert ticket.list_attachments() == []
        assert [a.id for a in ticket.list_attachments(status="pending")] == [upload.attachment_id]
        with pytest.raises(InvalidParametersError, match="not been uploaded"):
            client.tickets.complete_attachment_upload(ticket, upload.attachment_id)
        with pytest.raises(InvalidParametersError):
            client.tickets.attachment_download_url(ticket, upload.attachment_id)
        stored = requests.put(
            upload.upload_url,
            data=b"\x1f\x8b\x08\x00",
            headers={"Content-Type": "application/gzip"},
            timeout=5,
        )
        assert stored.status_code == 200
        assert stored.headers["ETag"]
        done = client.tickets.complete_attachment_upload(ticket, upload.attachment_id)
        assert done.upload_status == "uploaded"
        assert client.tickets.complete_attachment_upload(ticket, done).uploaded_at == (
            done.uploaded_at
        )

    @pytest.mark.parametrize(
        "body",
        [
            {"filename": "a.txt", "content_type": "text/plain", "size_bytes": 0},
            {"filename": "a.txt", "content_type": "text/plain", "size_bytes": True},
            {"filename": "a.txt", "content_type": "text/plain", "size_bytes": 51 * 2**20},
            {"filename": "a" * 256, "content_type": "text/plain", "size_bytes": 1},
            {"content_type": "text/plain", "size_bytes": 1},
        ],
    )
    def test_initiating_follows_the_document(
        self, cloud: FakeLambdaCloud, client: Client, body: dict[str, Any]
    ) -> None:
        ticket = incident(client)
        answer = raw(cloud, "POST", f"/tickets/{ticket.id}/attachments", body=body)
        assert answer.status_code == 400
        assert answer.json()["error"]["code"] == "global/invalid-parameters"

    def test_an_attachment_of_another_ticket_is_not_found(self, client: Client) -> None:
        ticket, other = incident(client), incident(client)
        attachment = ticket.attach(b"x", filename="x.bin")
        with pytest.raises(NotFoundError) as raised:
            client.tickets.attachment_download_url(other, attachment)
        assert raised.value.code == "global/object-does-not-exist"

    def test_a_failed_upload_leaves_no_pending_attachment(
        self, cloud: FakeLambdaCloud, client: Client
    ) -> None:
        ticket = incident(client)
        storage_down = cloud.inject(status=503, path="/_storage", times=10)
        with pytest.raises(ServerError):
            ticket.attach(b"log", filename="log.txt")
        assert storage_down.hits >= 1
        assert ticket.list_attachments(status="pending") == []
        assert len(ticket.list_attachments(status="deleted")) == 1


class TestStorage:
    """The presigned URLs: S3's manners, on the fake itself."""

    @pytest.fixture
    def upload(self, client: Client) -> Any:
        ticket = incident(client)
        return client.tickets.initiate_attachment_upload(
            ticket, filename="a.txt", content_type="text/plain", size_bytes=5
        )

    def put(self, url: str, **changes: Any) -> requests.Response:
        options: dict[str, Any] = {
            "data": b"hello",
            "headers": {"Content-Type": "text/plain"},
            "timeout": 5,
        }
        options.update(changes)
        return requests.put(url, **options)

    def test_a_request_with_an_authorization_header_is_refused(self, upload: Any) -> None:
        answer = self.put(
            upload.upload_url,
            headers={"Content-Type": "text/plain", "Authorization": "Bearer anything"},
        )
        assert answer.status_code == 400
        assert answer.headers["Content-Type"] == "application/xml"
        assert b"<Code>InvalidArgument</Code>" in answer.content

    @pytest.mark.parametrize(
        "spoil",
        [
            lambda url: url.replace("signature=", "signature=0"),
            lambda url: url.split("?")[0],
            lambda url: url.replace("expires=", "expires=9"),
        ],
    )
    def test_a_bad_signature_is_refused(self, upload: Any, spoil: Any) -> None:
        answer = self.put(spoil(upload.upload_url))
        assert answer.status_code == 403
        assert b"<Code>SignatureDoesNotMatch</Code>" in answer.content

    def test_the_url_expires_after_an_hour(self, cloud: FakeLambdaCloud, upload: Any) -> None:
        cloud.advance(3601)
        answer = self.put(upload.upload_url)
        assert answer.status_code == 403
        assert b"Request has expired" in answer.content

    def test_the_upload_must_be_what_was_declared(self, upload: Any) -> None:
        assert self.put(upload.upload_url, data=b"hello!").status_code == 400
        other_type = self.put(upload.upload_url, headers={"Content-Type": "image/png"})
        assert other_type.status_code == 403

    def test_post_uploads_too_and_a_download_url_cannot_upload(
        self, cloud: FakeLambdaCloud, client: Client, upload: Any
    ) -> None:
        answer = requests.post(
            upload.upload_url, data=b"hello", headers={"Content-Type": "text/plain"}, timeout=5
        )
        assert answer.status_code == 204
        (ticket,) = client.tickets.list()
        done = client.tickets.complete_attachment_upload(ticket, upload.attachment_id)
        download = client.tickets.attachment_download_url(ticket, done).download_url
        assert requests.get(download, timeout=5).content == b"hello"
        assert self.put(download).status_code == 403

    def test_storage_has_no_rate_limit(self, cloud: FakeLambdaCloud, upload: Any) -> None:
        assert {self.put(upload.upload_url).status_code for _ in range(10)} == {200}
        assert cloud.count("PUT", urlsplit(upload.upload_url).path) == 10

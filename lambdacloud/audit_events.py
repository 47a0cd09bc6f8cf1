"""Audit events: the account's audit log: its first page at the call, the rest as the caller
iterates."""

from __future__ import annotations

import builtins
import logging
from datetime import datetime
from typing import Any

import attrs

from lambdacloud._display import Displayable, badge
from lambdacloud._resource import ApiEnum, Manager, Paged
from lambdacloud._timestamps import parse_datetime
from lambdacloud._validation import check_text
from lambdacloud.errors import ValidationError

logger = logging.getLogger("lambdacloud")

#: The resource types the library knows: the API document's example (``cloud.api_key``) and
#: the resources the API manages, as events name them (``<service_name>.<resource_name>``).
#: The API publishes no closed list, so another type is still sent, with a warning.
RESOURCE_TYPES = (
    "cloud.api_key",
    "cloud.filesystem",
    "cloud.firewall_rule",
    "cloud.firewall_ruleset",
    "cloud.instance",
    "cloud.ssh_key",
)


class ResultStatus(ApiEnum):
    """Whether an audited action succeeded. The API may add values: those stay strings."""

    SUCCESS = "success"
    FAILURE = "failure"


@attrs.frozen(kw_only=True)
class AuditResult(Displayable):
    """The result of an audited action.

    Attributes:
        status: ``success`` or ``failure``.
        status_code: The HTTP status, when the action came from an API request.
    """

    status: ResultStatus | str
    status_code: int | None = None

    def _display_label(self) -> str:
        code = f" (HTTP {self.status_code})" if self.status_code is not None else ""
        return f"{self.status}{code}"


@attrs.frozen(kw_only=True)
class AuditEvent(Displayable):
    """One entry of the audit log.

    Fields that the API may send as ``null`` (or that older API versions leave out) are
    ``None``.

    Attributes:
        event_id: The event's id.
        event_time: When it happened, as the API wrote it (an ISO 8601 string; the API
            document types it as a plain string). ``occurred_at`` parses it.
        service_name: The service in which the action was performed.
        resource_name: The type of resource affected.
        action: What was done.
        catalog_version: The version of the event catalog.
        resource_lrns: The Lambda Resource Names of the affected resources.
        actor_lrn: Who did it (stable identifier).
        actor_email: Their email now, if any.
        actor_display_name: Their name now, if any.
        resource_owner_lrn: The account owning the resources.
        request_api_key_lrn: The API key used, if any.
        workspace_lrn: The workspace of the resources, if any.
        client_ip: Where the request came from (``lambda-internal`` for Lambda staff).
        client_user_agent: The client's User-Agent, as it claimed.
        surface: ``console``, ``api`` or ``system``.
        result: The outcome, when recorded.
        additional_details: Event-specific details.
    """

    event_id: str
    event_time: str
    service_name: str
    resource_name: str
    action: str
    catalog_version: str
    resource_lrns: tuple[str, ...] = ()
    actor_lrn: str | None = None
    actor_email: str | None = None
    actor_display_name: str | None = None
    resource_owner_lrn: str | None = None
    request_api_key_lrn: str | None = None
    workspace_lrn: str | None = None
    client_ip: str | None = None
    client_user_agent: str | None = None
    surface: str | None = None
    result: AuditResult | None = None
    additional_details: dict[str, Any] = attrs.field(factory=dict, hash=False)

    def _display_row(self) -> dict[str, Any]:
        return {
            "event_time": self.occurred_at or self.event_time,
            "service_name": self.service_name,
            "action": self.action,
            "resource_name": self.resource_name,
            "actor": self.actor_display_name or self.actor_email or self.actor_lrn,
            "surface": self.surface,
            "result": badge(self.result.status) if self.result else None,
        }

    def _display_title(self) -> str:
        return f"Audit event {self.event_id}"

    @property
    def occurred_at(self) -> datetime | None:
        """``event_time`` as an aware ``datetime``; ``None`` if it is not ISO 8601."""
        try:
            return parse_datetime(self.event_time)
        except ValueError:
            return None


@attrs.frozen
class _Page:
    events: list[AuditEvent]
    page_token: str | None = None


class AuditEventManager(Manager):
    """``client.audit_events``: the account's audit log."""

    def list(
        self,
        *,
        start: datetime | str | None = None,
        end: datetime | str | None = None,
        resource_type: str | None = None,
    ) -> Paged[AuditEvent]:
        """List audit events: the first page now, each further page when iteration reaches it.

        Reads both page shapes the API has used: the events as ``data`` with
        ``page_token`` beside it (API 1.9 and later) and ``data.events`` with
        ``data.page_token`` (API 1.8).

        Args:
            start: The earliest time, inclusive: an aware ``datetime`` or an ISO 8601 string
                with an offset (``2025-06-01T00:00:00Z``).
            end: The latest time, inclusive, in the same forms.
            resource_type: Only events about this type of resource, written
                ``<service_name>.<resource_name>`` as events name it: ``cloud.instance``,
                ``cloud.ssh_key``, ... (``RESOURCE_TYPES``). A type the library does not
                know is sent anyway, with a logged warning: the API returns nothing for a
                type it does not record.

        Returns:
            An iterator over every matching event, following page tokens to the end, that
            displays its first page in a notebook (a ``Paged``).

        Raises:
            ValidationError: A naive ``datetime``, or a string without an offset or unreadable;
                a ``resource_type`` that is not ``<service>.<resource>`` (``instance``
                instead of ``cloud.instance``) or a misspelling of a known one; raised here,
                before any request.
            MalformedResponseError: During iteration, if the API returns a page token it
                returned before (instead of looping forever).
            LambdaCloudError: The first page's request failed (here), or a later page's
                (during iteration).

        API: ``GET /api/v1/audit-events``, once per page.
        """
        params: dict[str, Any] = {
            "start": _timestamp("start", start),
            "end": _timestamp("end", end),
            "resource_type": _resource_type(resource_type),
        }
        return Paged(lambda token: self._page(params, token), "audit events", AuditEvent)

    def _page(
        self, params: dict[str, Any], token: str | None
    ) -> tuple[builtins.list[AuditEvent], str | None]:
        payload = self._request(
            "GET", "/audit-events", params={**params, "page_token": token}, envelope=True
        )
        page = self._structure(_page_shape(payload), _Page, "a page of audit events")
        return page.events, page.page_token


def _page_shape(payload: dict[str, Any]) -> Any:
    """Both page shapes as ``{"events": [...], "page_token": ...}``."""
    data = payload.get("data")
    if isinstance(data, dict) and "events" in data:
        return data
    return {"events": data, "page_token": payload.get("page_token")}


def _resource_type(value: str | None) -> str | None:
    """``value`` checked: a known type, or a ``<service>.<resource>`` one (with a warning)."""
    if value is None:
        return None
    check_text("resource_type", value, min_length=1)
    if value in RESOURCE_TYPES:
        return value
    known = ", ".join(RESOURCE_TYPES)
    words = value.strip().lower().replace("-", "_").replace(" ", "_")
    meant = next(
        (
            known_type
            for known_type in RESOURCE_TYPES
            for spelling in (known_type, known_type.split(".", 1)[1])
            if words in (spelling, spelling + "s")
        ),
        None,
    )
    hint = f" Did you mean {meant!r}?" if meant else ""
    if "." not in value:
        raise ValidationError(
            "resource_type",
            f"{value!r} is not a resource type: types are written <service>.<resource>, as "
            f"events name them, such as 'cloud.instance'.{hint} Known types: {known}",
        )
    if meant:
        raise ValidationError(
            "resource_type", f"{value!r} is not a resource type.{hint} Known types: {known}"
        )
    logger.warning(
        "resource_type %r is not a resource type this library knows (%s): the API returns "
        "no events for a type it does not record",
        value,
        known,
    )
    return value


def _timestamp(argument: str, value: datetime | str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValidationError(
                argument, "naive datetimes are ambiguous: give a timezone (e.g. timezone.utc)"
            )
        return value.isoformat()
    if isinstance(value, str):
        try:
            parsed = parse_datetime(value, assume_utc=False)
        except ValueError:
            raise ValidationError(
                argument, f"{value!r} is not an ISO 8601 timestamp with an offset (Z, +02:00)"
            ) from None
        return parsed.isoformat()
    raise ValidationError(argument, f"expected a datetime or an ISO 8601 string, got {value!r}")

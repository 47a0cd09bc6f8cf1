"""The entry point: ``Client`` holds the session and one manager per resource."""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path
from types import TracebackType
from typing import Any, Literal
from urllib.parse import urlsplit

import requests

from lambdacloud import _clock
from lambdacloud._api import Api
from lambdacloud._clock import Clock, Sleep
from lambdacloud._http.session import Session, Timeout
from lambdacloud.audit_events import AuditEventManager
from lambdacloud.errors import MissingAPIKeyError, ValidationError
from lambdacloud.filesystems import FilesystemManager
from lambdacloud.firewall_rulesets import FirewallRulesetManager
from lambdacloud.firewalls import FirewallRuleManager
from lambdacloud.images import ImageManager
from lambdacloud.instance_types import InstanceTypeManager
from lambdacloud.instances import InstanceManager
from lambdacloud.regions import RegionManager
from lambdacloud.ssh_keys import SSHKeyManager
from lambdacloud.tickets import TicketManager

DEFAULT_BASE_URL = "https://cloud.lambda.ai"
#: Seconds to connect, seconds to wait for each answer.
DEFAULT_TIMEOUT: tuple[float, float] = (10.0, 60.0)
DEFAULT_MAX_RETRIES = 5
API_KEY_ENV = "LAMBDA_API_KEY"
KEY_FILE = Path("~/.lambda_cloud/lambda_keys")

logger = logging.getLogger("lambdacloud")


class Client:
    """A client for the Lambda Cloud API.

    ```python
    from lambdacloud import Client
    with Client() as client:
        for instance in client.instances.list():
            print(instance.name, instance.status)
    ```

    **Retry policy.** A request is retried, up to ``max_retries`` times, when retrying
    cannot do harm:

    - a request that certainly never reached the server (the connection could not be
      opened) or that the server refused with 429 (rate limited) is always retried;
    - GET, PUT, PATCH and DELETE are also retried after a reset connection, a read
      timeout or a 5xx answer (except a ticket update that adds a comment, which would
      be posted twice);
    - a POST is not retried once the server may have acted on it. Above all a launch:
      the API has no idempotency key, so a second attempt could start, and bill, a
      second machine.

    Between attempts the client waits what the server's ``Retry-After`` header asks
    (seconds or an HTTP date, capped at 60 s), or else an exponential backoff
    (0.5 s, 1 s, 2 s, ... at most 8 s) with random jitter. A retry whose wait would end
    after the deadline of the call it serves (a wait's ``timeout``) is not made.

    **Rate limits.** The client keeps itself within the API's limits, however many
    threads share it: requests are paced to about one a second (two at once after a
    pause), and launch attempts, retries included, are spaced at least 12 seconds apart.

    When the library terminates an instance on its own (a ``with`` block ends, or a
    launch cannot be handed over), it also retries that terminate after transient
    failures: terminating twice is harmless, a machine left running is not.

    The exact delays and the set of retried cases may be tuned in any release; that is
    not a breaking change.

    Args:
        api_key: The API key. When ``None``: the ``LAMBDA_API_KEY`` environment variable,
            else the ``api_key = ...`` line of ``~/.lambda_cloud/lambda_keys``.
        base_url: The API's root URL (``https://cloud.lambda.ai``); change it for a proxy
            or a local fake.
        auth: ``"bearer"`` (``Authorization: Bearer <key>``) or ``"basic"`` (the key as
            the user name of HTTP Basic auth).
        timeout: Seconds allowed per request, or a ``(connect, read)`` pair; ``(10, 60)``
            by default.
        max_retries: Retries after a failed attempt, as described above (5 by default);
            ``0`` disables.
        session: A ``requests.Session`` to send with. Every request is prepared and sent
            through it, so its headers, auth, params, cookies, hooks, proxies, ``verify``,
            ``cert`` and mounted adapters apply, as changed at any time; our
            ``Authorization`` header is set last. The client never changes its settings
            and does not close it.
        rate_limit: Pace requests to about one a second (bursts of two), the API's limit.
            ``False`` turns that pacing off (a proxy or a test server with limits of its
            own); launches stay spaced 12 s apart.
        clock: Monotonic seconds, for rate limits, deadlines and waits (tests inject one).
        sleep: How to pause, for retries, rate limits and waits (tests inject one).

    Raises:
        MissingAPIKeyError: No key was given or found.
        ValidationError: An argument is malformed.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        auth: Literal["bearer", "basic"] = "bearer",
        timeout: Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        session: requests.Session | None = None,
        rate_limit: bool = True,
        clock: Clock | None = None,
        sleep: Sleep | None = None,
    ) -> None:
        key = _find_api_key(api_key)
        if not isinstance(rate_limit, bool):
            raise ValidationError("rate_limit", f"expected True or False, got {rate_limit!r}")
        clock = clock or _clock.monotonic
        sleep = sleep or _clock.sleep
        http = Session(
            api_key=key,
            base_url=_check_base_url(base_url),
            auth=_check_auth(auth),
            timeout=_check_timeout(timeout),
            max_retries=_check_max_retries(max_retries),
            http=session,
            clock=clock,
            sleep=sleep,
            rate_limit=rate_limit,
        )
        self._auth = auth
        self._api = api = Api(http, clock=clock, sleep=sleep)
        #: Launch and manage instances.
        self.instances = InstanceManager(api)
        #: The machines on offer and their prices.
        self.instance_types = InstanceTypeManager(api)
        #: The regions of Lambda Cloud.
        self.regions = RegionManager(api)
        #: The account's SSH keys.
        self.ssh_keys = SSHKeyManager(api)
        #: The account's filesystems.
        self.filesystems = FilesystemManager(api)
        #: The images instances can be launched from.
        self.images = ImageManager(api)
        #: The legacy inbound firewall rules, for every instance.
        self.firewall_rules = FirewallRuleManager(api)
        #: The account's firewall rulesets.
        self.firewall_rulesets = FirewallRulesetManager(api)
        #: The account's audit log.
        self.audit_events = AuditEventManager(api)
        #: Support tickets (a beta API) and their attachments.
        self.tickets = TicketManager(api)

    @property
    def base_url(self) -> str:
        """The API's root URL."""
        return self._api.session.base_url

    def __repr__(self) -> str:
        return f"Client(base_url={self.base_url!r}, auth={self._auth!r})"

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
    ) -> Any:
        """Call an endpoint this library does not wrap yet, with the same auth and retries.

        Args:
            method: The HTTP method.
            path: The path, such as ``/api/v1/instances`` (or ``/instances``).
            params: Query parameters.
            json: The JSON body.

        Returns:
            The ``data`` of the response envelope, as plain JSON values.

        Raises:
            LambdaCloudError: The request failed.

        API: ``{method} /api/v1/{path}``, whichever you name.
        """
        return self._api.request(method, path, params=params, json_body=json)

    def close(self) -> None:
        """Close the connections this client opened (not those of a session passed in).

        Every later call raises ``ClientClosedError``.

        API: none.
        """
        self._api.session.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _find_api_key(api_key: str | None) -> str:
    if api_key is not None:
        if not isinstance(api_key, str) or not api_key.strip():
            raise ValidationError("api_key", "expected a non-empty string")
        return _check_key(api_key.strip(), "api_key")
    from_env = os.environ.get(API_KEY_ENV, "").strip()
    if from_env:
        return _check_key(from_env, API_KEY_ENV)
    try:
        key_file = KEY_FILE.expanduser()
    except RuntimeError:  # no home directory to expand ~ to
        key_file = None
    from_file = _read_key_file(key_file) if key_file else None
    if from_file:
        return _check_key(from_file, str(KEY_FILE))
    raise MissingAPIKeyError(
        "No Lambda Cloud API key found. Pass Client(api_key=...), set the "
        f"{API_KEY_ENV} environment variable, or put a line 'api_key = <your key>' in "
        f"{KEY_FILE}. Create a key at https://cloud.lambda.ai/api-keys."
    )


def _check_key(key: str, source: str) -> str:
    """A key that can travel in an HTTP header; the message never shows the key."""
    if not (key.isascii() and key.isprintable()) or any(c.isspace() for c in key):
        raise ValidationError(
            source,
            "the API key has characters no key has (spaces, quotes from a word "
            "processor, non-ASCII); copy it again",
        )
    return key


def _read_key_file(path: Path) -> str | None:
    """The key from lines like ``api_key = KEY`` (or ``api_key=KEY``), if the file has one."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    for line in text.splitlines():
        name, separator, value = line.partition("=")
        if separator and name.strip() == "api_key":
            value = value.strip().strip("\"'")
            if value:
                return value
    return None


def _check_base_url(base_url: str) -> str:
    """The URL without a trailing ``/api/v1``, and without credentials written into it."""
    try:
        parts = urlsplit(base_url) if isinstance(base_url, str) else None
        valid = parts is not None and parts.scheme in ("http", "https") and bool(parts.hostname)
        _ = parts.port if parts is not None else None
    except ValueError:
        valid = False
    if not valid or parts is None:
        shown = _without_credentials(base_url) if isinstance(base_url, str) else base_url
        raise ValidationError("base_url", f"expected an http(s) URL, got {shown!r}")
    if "@" in parts.netloc:
        # The API key authenticates; a password in the URL would only end up in logs.
        logger.warning("base_url: ignoring the user name and password written into it")
        base_url = _without_credentials(base_url)
    url = base_url.rstrip("/")
    return url.removesuffix("/api/v1")


def _without_credentials(url: str) -> str:
    scheme, separator, rest = url.partition("://")
    if not separator:
        return url
    netloc, slash, path = rest.partition("/")
    return f"{scheme}://{netloc.rpartition('@')[2]}{slash}{path}"


def _check_auth(auth: str) -> str:
    if auth not in ("bearer", "basic"):
        raise ValidationError("auth", f"expected 'bearer' or 'basic', got {auth!r}")
    return auth


def _check_timeout(timeout: Timeout) -> Timeout:
    values = timeout if isinstance(timeout, tuple) else (timeout,)
    valid = len(values) in (1, 2) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 and math.isfinite(v)
        for v in values
    )
    if not valid:
        raise ValidationError(
            "timeout", f"expected positive seconds or a (connect, read) pair, got {timeout!r}"
        )
    return timeout


def _check_max_retries(max_retries: int) -> int:
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise ValidationError("max_retries", f"expected an integer >= 0, got {max_retries!r}")
    return max_retries

"""Watch a whole test for secrets escaping into log records, exceptions and reprs.

Every test runs under it (see ``tests/conftest.py``) with logging at DEBUG. Secrets are
collected as they appear: API keys given to clients (and their Basic-auth token),
``user_data`` given to launches, and (except in the contract tier, whose answers are random)
``jupyter_token`` and generated private keys in parsed objects. Each is watched in every
spelling an echo may take (raw, JSON-, HTML- and URL-escaped; see
``lambdacloud._secrets.spellings``).

At the end of the test no spelling of any secret may appear in:

- any log record (its message and any exception logged with it);
- any exception that reached the test, through ``pytest.raises`` or by failing the test,
  or any library error ever built, each with its ``__cause__``/``__context__`` chain
  (``str()`` and ``repr()``);
- the ``repr()`` or ``str()`` of any object the library parsed.
"""

from __future__ import annotations

import base64
import logging
import sys
from collections.abc import Iterator
from types import TracebackType
from typing import Any

import pytest

from lambdacloud import _api, _converter, _secrets, client, errors
from lambdacloud.instances import Instance, request
from lambdacloud.ssh_keys import GeneratedSSHKey

#: Shorter values are not secrets worth the name (the library masks from the same length).
MIN_SECRET = _secrets.MIN_RUN
#: Characters of context shown either side of a leak.
CONTEXT = 40


class SecretWatch(logging.Handler):
    """A root log handler that also keeps what else a test may show: exceptions, parsed objects.

    Args:
        response_secrets: Whether tokens and keys parsed from responses are secrets.
    """

    def __init__(self, *, response_secrets: bool = True) -> None:
        super().__init__(level=logging.DEBUG)
        self.response_secrets = response_secrets
        #: Every spelling of every secret, and what it is a spelling of.
        self.spellings: dict[str, str] = {}
        self.records: list[logging.LogRecord] = []
        self.exceptions: list[BaseException] = []
        self.parsed: list[Any] = []
        #: The root logger's level, and the test failure pytest kept, before the test.
        self.previous_level = logging.NOTSET
        self.previous_failure: object = None

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def secret(self, value: Any, what: str) -> None:
        if isinstance(value, str) and len(value) >= MIN_SECRET:
            for spelling in _secrets.spellings(value):
                if len(spelling) >= MIN_SECRET:
                    self.spellings.setdefault(spelling, what)

    def api_key(self, key: Any) -> None:
        if isinstance(key, str):
            self.secret(key, "the API key")
            basic = base64.b64encode(f"{key}:".encode()).decode("ascii")
            self.secret(basic, "the API key's Basic-auth token")

    def saw(self, parsed: Any) -> None:
        self.parsed.append(parsed)
        if not self.response_secrets:
            return
        for obj in parsed if isinstance(parsed, list) else [parsed]:
            if isinstance(obj, Instance):
                self.secret(obj.jupyter_token, "a jupyter_token")
            if isinstance(obj, GeneratedSSHKey):
                self.secret(obj.private_key, "a generated private key")

    def texts(self) -> Iterator[tuple[str, str]]:
        """``(where, text)`` for everything the test could show."""
        exceptions = list(self.exceptions)
        for record in self.records:
            yield f"log record from {record.name}", record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                exceptions.append(record.exc_info[1])
        for error in _chains(exceptions):
            name = type(error).__name__
            yield f"str() of {name}", str(error)
            yield f"repr() of {name}", repr(error)
        for parsed in self.parsed:
            yield f"repr() of parsed {type(parsed).__name__}", repr(parsed)
            for obj in parsed if isinstance(parsed, list) else [parsed]:
                own_str: object = type(obj).__str__
                if own_str is not object.__str__:  # else str() is repr()
                    yield f"str() of parsed {type(obj).__name__}", str(obj)

    def leaks(self) -> list[str]:
        found: set[str] = set()
        for where, text in self.texts():
            for spelling, what in self.spellings.items():
                at = text.find(spelling)
                if at >= 0:
                    start, end = max(at - CONTEXT, 0), at + len(spelling) + CONTEXT
                    found.add(f"{what} in {where}: …{text[start:end]!r}…")
        return sorted(found)


def _chains(exceptions: list[BaseException]) -> Iterator[BaseException]:
    """Each exception and those in its ``__cause__``/``__context__`` chain, once."""
    seen: set[int] = set()
    pending = list(exceptions)
    while pending:
        error = pending.pop()
        if id(error) not in seen:
            seen.add(id(error))
            yield error
            pending += [e for e in (error.__cause__, error.__context__) if e is not None]


def install(monkeypatch: pytest.MonkeyPatch, *, response_secrets: bool = True) -> SecretWatch:
    """Start watching; undo with :func:`uninstall` (and ``monkeypatch``'s own undo)."""
    watch = SecretWatch(response_secrets=response_secrets)
    root = logging.getLogger()
    # setLevel(), not an attribute write: it also clears every logger's cached
    # isEnabledFor() answers, which may still say "DEBUG is off" from an earlier test.
    watch.previous_level = root.level
    watch.previous_failure = getattr(sys, "last_value", None)
    root.setLevel(logging.DEBUG)
    root.addHandler(watch)

    find_key = client._find_api_key

    def finding(api_key: str | None) -> str:
        watch.api_key(api_key)  # before the checks, so a rejected key is watched too
        key = find_key(api_key)
        watch.api_key(key)
        return key

    check_user_data = request.check_user_data

    def checking(argument: str, value: Any) -> str:
        watch.secret(value, "user_data")
        return check_user_data(argument, value)

    structure = _converter.structure

    def structuring(*args: Any) -> Any:
        parsed = structure(*args)
        watch.saw(parsed)
        return parsed

    init = errors.LambdaCloudError.__init__

    def recording(self: errors.LambdaCloudError, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        watch.exceptions.append(self)

    fill_unfilled = pytest.ExceptionInfo.fill_unfilled

    def filling(
        self: pytest.ExceptionInfo[BaseException],
        exc_info: tuple[type[BaseException], BaseException, TracebackType],
    ) -> None:
        fill_unfilled(self, exc_info)
        watch.exceptions.append(exc_info[1])

    monkeypatch.setattr(client, "_find_api_key", finding)
    monkeypatch.setattr(request, "check_user_data", checking)
    monkeypatch.setattr(_api._converter, "structure", structuring)
    monkeypatch.setattr(errors.LambdaCloudError, "__init__", recording)
    monkeypatch.setattr(pytest.ExceptionInfo, "fill_unfilled", filling)
    return watch


def uninstall(watch: SecretWatch) -> None:
    """Stop watching; add the exception that failed the test, if one did."""
    root = logging.getLogger()
    root.removeHandler(watch)
    root.setLevel(watch.previous_level)
    # pytest keeps the exception that failed a test's call in sys.last_value. An
    # AssertionError is the test's own verdict, and quotes whatever the test compared.
    failure = getattr(sys, "last_value", None)
    if failure is watch.previous_failure or isinstance(failure, AssertionError):
        return
    if isinstance(failure, BaseException):
        watch.exceptions.append(failure)

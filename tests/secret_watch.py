"""Watch a whole test for secrets escaping into log records, error messages and reprs.

Every test runs under it (see ``tests/conftest.py``) with logging at DEBUG. Secrets are
collected as they appear: API keys given to clients, ``user_data`` given to launches,
``jupyter_token`` and generated private keys in parsed objects. At the end of the test, no
secret may appear in any log record, in the ``str()`` or ``repr()`` of any library error, or
in the ``repr()`` of any object the library parsed.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from lambdacloud import _launch, _resource, client, errors
from lambdacloud.instances import Instance
from lambdacloud.ssh_keys import GeneratedSSHKey

#: Shorter values are not secrets worth the name (and would match ordinary text).
MIN_SECRET = 16


class SecretWatch(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.secrets: set[str] = set()
        self.records: list[logging.LogRecord] = []
        self.errors: list[errors.LambdaCloudError] = []
        self.parsed: list[Any] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def secret(self, value: Any) -> None:
        if isinstance(value, str) and len(value) >= MIN_SECRET:
            self.secrets.add(value)

    def saw(self, parsed: Any) -> None:
        self.parsed.append(parsed)
        for obj in parsed if isinstance(parsed, list) else [parsed]:
            if isinstance(obj, Instance):
                self.secret(obj.jupyter_token)
            if isinstance(obj, GeneratedSSHKey):
                self.secret(obj.private_key)

    def leaks(self) -> list[str]:
        texts = [record.getMessage() for record in self.records]
        texts += [text for error in self.errors for text in (str(error), repr(error))]
        texts += [repr(parsed) for parsed in self.parsed]
        return sorted(
            {
                f"{secret[:6]}… in {text[:120]!r}"
                for secret in self.secrets
                for text in texts
                if secret in text
            }
        )


def install(monkeypatch: pytest.MonkeyPatch) -> SecretWatch:
    watch = SecretWatch()
    root = logging.getLogger()
    monkeypatch.setattr(root, "level", logging.DEBUG)
    root.addHandler(watch)

    find_key = client._find_api_key

    def finding(api_key: str | None) -> str:
        key = find_key(api_key)
        watch.secret(key)
        return key

    check_user_data = _launch.check_user_data

    def checking(argument: str, value: Any) -> str:
        watch.secret(value)
        return check_user_data(argument, value)

    structure = _resource.structure

    def structuring(*args: Any) -> Any:
        parsed = structure(*args)
        watch.saw(parsed)
        return parsed

    init = errors.LambdaCloudError.__init__

    def recording(self: errors.LambdaCloudError, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        watch.errors.append(self)

    monkeypatch.setattr(client, "_find_api_key", finding)
    monkeypatch.setattr(_launch, "check_user_data", checking)
    monkeypatch.setattr(_resource, "structure", structuring)
    monkeypatch.setattr(errors.LambdaCloudError, "__init__", recording)
    return watch


def uninstall(watch: SecretWatch) -> None:
    logging.getLogger().removeHandler(watch)

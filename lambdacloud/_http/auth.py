"""The API key on every request, applied last: neither the session's own auth nor
``~/.netrc`` can replace it."""

from __future__ import annotations

from typing import Any

import requests
import requests.auth


class Authorization(requests.auth.AuthBase):
    """Sets the Authorization header (or removes it, for ``None``) as the last step.

    requests applies auth after merging the session's headers, so what is sent is exactly
    ours. The session's own ``auth`` still runs first (it may sign the request or add
    headers of its own); passing an auth also keeps requests from reading ``~/.netrc``.
    """

    def __init__(self, value: str | None, inner: Any = None) -> None:
        self._value = value
        if isinstance(inner, tuple) and len(inner) == 2:
            inner = requests.auth.HTTPBasicAuth(*inner)
        self._inner = inner

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if self._inner is not None:
            request = self._inner(request)
        if self._value is None:
            request.headers.pop("Authorization", None)
        else:
            request.headers["Authorization"] = self._value
        return request

    def __repr__(self) -> str:
        return "<Authorization>"

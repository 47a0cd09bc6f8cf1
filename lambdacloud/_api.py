"""What a client's managers and objects use of it: its session, its converter and its time.

Every manager gets its client's ``Api``, and reaches the client only through it: send a
request, turn an answer into objects (bound to this client), read the clock, sleep. It
sits below the managers so that nothing in the package imports the ``Client`` back.
"""

from __future__ import annotations

from typing import Any, TypeVar

import cattrs

from lambdacloud import _clock, _converter
from lambdacloud._clock import Clock, Sleep
from lambdacloud._http.session import Session

T = TypeVar("T")


class Api:
    """The package-internal face of one ``Client``.

    Args:
        session: The client's HTTP session.
        clock: Monotonic seconds, for rate limits, deadlines and waits.
        sleep: How to wait.
    """

    def __init__(self, session: Session, *, clock: Clock, sleep: Sleep) -> None:
        self.session = session
        self.clock = clock
        self.sleep = sleep
        #: The current UTC time, moving with ``clock`` (see ``_clock.wall_clock``).
        self.now = _clock.wall_clock(clock)
        self._managers: dict[type, object] = {}
        self.converter = self.make_converter()

    def make_converter(self, *, strict: bool = False) -> cattrs.Converter:
        """A converter whose resources are bound to this client (``strict``: for tests)."""
        return _converter.make_converter(bind=self._bind, strict=strict)

    def serve(self, kind: type, manager: object) -> None:
        """Bind every object of ``kind`` (and its subclasses) built from now on to ``manager``."""
        self._managers[kind] = manager

    def _bind(self, obj: Any) -> None:
        for cls in type(obj).__mro__:
            manager = self._managers.get(cls)
            if manager is not None:
                obj._manager = manager
                return

    def request(self, method: str, path: str, **options: Any) -> Any:
        """Send a request through the client's session; see ``Session.request()``."""
        return self.session.request(method, path, **options)

    def structure(self, data: Any, cls: type[T], what: str) -> T:
        """Build ``cls`` from a response's data, bound to this client.

        Raises:
            MalformedResponseError: The data does not have the documented shape.
        """
        return _converter.structure(self.converter, data, cls, what)

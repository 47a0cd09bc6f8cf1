"""``terminate_at_exit=True``: terminate an instance when the interpreter (or the notebook
kernel) exits normally, and say so in the log.

An in-process guard: it does nothing when the process is killed, the machine sleeps or
the kernel dies. For a guard that does not depend on the launching process, launch with
``max_runtime=`` and run ``client.instances.sweep()`` from elsewhere.
"""

from __future__ import annotations

import atexit
import logging
import threading

from lambdacloud._api import Api
from lambdacloud.instances import cleanup
from lambdacloud.instances.instance import InstanceOperations

logger = logging.getLogger("lambdacloud")


class ExitGuard:
    """The instances of one client to terminate at exit.

    Args:
        operations: The instances manager.
        api: Its client's package-internal face.
    """

    def __init__(self, operations: InstanceOperations, api: Api) -> None:
        self._operations = operations
        self._api = api
        self._ids: list[str] = []
        self._lock = threading.Lock()
        self._registered = False

    def add(self, instance_id: str) -> None:
        """Terminate ``instance_id`` at exit."""
        with self._lock:
            if not self._registered:
                atexit.register(self.run)
                self._registered = True
            self._ids.append(instance_id)

    def run(self) -> None:
        """Terminate every guarded instance now (what ``atexit`` calls)."""
        with self._lock:
            ids, self._ids = self._ids, []
        if not ids:
            return
        logger.warning(
            "Terminating instance %s at exit (launched with terminate_at_exit=True)",
            ", ".join(ids),
        )
        outcome = cleanup.terminate(self._operations, self._api, ids)
        warning = outcome.warning("At exit")
        if warning is not None:
            logger.warning(warning)

"""SSH banners for fake instances, so that "is it usable yet?" can be tested end to end.

Each instance gets a loopback address of its own (127.0.1.1, 127.0.1.2, ...: Linux routes all
of 127.0.0.0/8 to the loopback interface) as its ``ip``, and a listener on that address at one
port shared by all, ``cloud.ssh_port``. A connection is answered with an OpenSSH banner once
the instance is active and its sshd is up; before that, it is reset at once; after the
instance is terminated or preempted, nothing listens there.

Where only 127.0.0.1 can be bound (macOS without loopback aliases), every instance gets
127.0.0.1 and one listener answers for all of them: only while every running instance is
ready, so that a readiness check never passes early.

One daemon thread serves every listener, so none can keep the interpreter alive.
"""

from __future__ import annotations

import contextlib
import errno
import queue
import selectors
import socket
import struct
import threading
import time
from collections.abc import Callable

BANNER = b"SSH-2.0-OpenSSH_9.6 FakeLambdaCloud\r\n"
SHARED = "127.0.0.1"
#: Real seconds a connection that got the banner stays open for the client to read it.
_LINGER = 2.0


class SshListeners:
    """The listeners of every instance address, and the thread that answers them.

    Args:
        ready: Whether the instance (or, shared, every running instance) at an address
            would answer SSH now.
    """

    def __init__(self, ready: Callable[[str], bool]) -> None:
        self._ready = ready
        self._selector = selectors.DefaultSelector()
        self._commands: queue.SimpleQueue[tuple[str, str, socket.socket | None]] = (
            queue.SimpleQueue()
        )
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._listeners: dict[str, socket.socket] = {}
        self._answered: dict[socket.socket, float] = {}
        self._stopping = threading.Event()
        self._next = 0
        self.shared = False
        # Holds the port on 127.0.0.1 for the whole life of the fake: the shared listener.
        self._home = socket.socket()
        self._home.bind((SHARED, 0))
        self.port: int = self._home.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, name="FakeLambdaCloud ssh", daemon=True)
        self._selector.register(self._wake_reader, selectors.EVENT_READ, "wake")
        self._thread.start()

    def open(self) -> str:
        """Listen on a new instance address and return it (127.0.0.1 when shared)."""
        while not self.shared:
            self._next += 1
            address = _address(self._next)
            try:
                listener = self._bind(address)
            except OSError as error:
                if error.errno == errno.EADDRNOTAVAIL:
                    self.shared = True  # no loopback aliases here: one listener for all
                    break
                if error.errno == errno.EADDRINUSE:
                    continue  # another program has this address and port: the next one
                raise
            self._command("add", address, listener)
            return address
        if SHARED not in self._listeners:
            self._home.listen()
            self._listeners[SHARED] = self._home
            self._command("add", SHARED, self._home)
        return SHARED

    def close(self, address: str) -> None:
        """Stop listening on an instance's address (nothing answers there any more)."""
        if address != SHARED and self._listeners.pop(address, None) is not None:
            self._command("remove", address, None)

    def stop(self) -> None:
        """Close every listener and connection, and end the thread."""
        self._stopping.set()
        self._wake()
        self._thread.join()

    def _bind(self, address: str) -> socket.socket:
        listener = socket.socket()
        try:
            listener.bind((address, self.port))
            listener.listen()
        except OSError:
            listener.close()
            raise
        listener.setblocking(False)
        self._listeners[address] = listener
        return listener

    def _command(self, what: str, address: str, listener: socket.socket | None) -> None:
        self._commands.put((what, address, listener))
        self._wake()

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_writer.send(b"!")

    def _serve(self) -> None:
        registered: dict[str, socket.socket] = {}
        try:
            while not self._stopping.is_set():
                for key, _ in self._selector.select(timeout=0.5):
                    if key.data == "wake":
                        with contextlib.suppress(OSError):
                            self._wake_reader.recv(4096)
                    elif key.data == "answered":
                        self._drain(key.fileobj)  # type: ignore[arg-type]
                    else:
                        self._accept(key.fileobj, key.data)  # type: ignore[arg-type]
                self._apply(registered)
                now = time.monotonic()
                for connection, until in list(self._answered.items()):
                    if now >= until:
                        self._forget(connection)
        finally:
            for connection in list(self._answered):
                self._forget(connection)
            for listener in registered.values():
                self._selector.unregister(listener)
                listener.close()
            self._home.close()
            self._selector.close()
            self._wake_reader.close()
            self._wake_writer.close()

    def _apply(self, registered: dict[str, socket.socket]) -> None:
        while not self._commands.empty():
            what, address, listener = self._commands.get()
            if what == "add" and listener is not None:
                registered[address] = listener
                self._selector.register(listener, selectors.EVENT_READ, address)
            elif what == "remove" and address in registered:
                gone = registered.pop(address)
                self._selector.unregister(gone)
                gone.close()

    def _accept(self, listener: socket.socket, address: str) -> None:
        try:
            connection, _ = listener.accept()
        except OSError:
            return
        if not self._ready(address):
            # sshd is not up (or the machine is not running): refuse at once, with a reset.
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            connection.close()
            return
        try:
            connection.sendall(BANNER)
            # The banner, then end of our side; the client's own banner is read and dropped
            # until it closes, so that it is never answered with a reset that could race
            # the banner out of its receive buffer.
            connection.shutdown(socket.SHUT_WR)
        except OSError:
            connection.close()
            return
        connection.setblocking(False)
        self._answered[connection] = time.monotonic() + _LINGER
        self._selector.register(connection, selectors.EVENT_READ, "answered")

    def _drain(self, connection: socket.socket) -> None:
        try:
            more = connection.recv(4096)
        except OSError:
            more = b""
        if not more:
            self._forget(connection)

    def _forget(self, connection: socket.socket) -> None:
        self._answered.pop(connection, None)
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(connection)
        connection.close()


def _address(number: int) -> str:
    """The ``number``-th instance address: 127.0.1.1, 127.0.1.2, ..., skipping .0 and .255."""
    per_block = 254
    block, host = divmod(number - 1, per_block)
    block += 1  # 127.0.0.x is left to the host
    return f"127.{block // 256 % 256}.{block % 256}.{host + 1}"

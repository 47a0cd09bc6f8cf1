"""Watching a wait: one line updated in place in a notebook, status changes in a terminal.

``progress=True`` (the default of every wait) picks the display for where the code runs:
a Jupyter kernel gets a line that updates in place; a terminal (standard error is a TTY)
gets a line per status change; anywhere else (a service, a test run, a pipe), nothing.
``progress=False`` turns it off; a function receives each ``WaitProgress`` instead.
Nothing here is needed to run a wait: IPython is used only when it is already loaded.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TextIO

from lambdacloud._display import STYLE, badge, cell_html, text_of
from lambdacloud.errors import ValidationError
from lambdacloud.instances.events import (
    AcquireEvent,
    CapacityRead,
    LaunchAttempt,
    Launched,
    LaunchRefused,
)
from lambdacloud.instances.instance import Progress, ProgressCallback, WaitProgress
from lambdacloud.instances.waiting import reached


def check(progress: object) -> None:
    """Refuse a ``progress`` that is neither a bool nor a function, before any request.

    Raises:
        ValidationError: It is not.
    """
    if not (isinstance(progress, bool) or callable(progress)):
        raise ValidationError(
            "progress",
            f"expected True, False or a function taking a WaitProgress, got {progress!r}",
        )


def reporter(progress: Progress) -> ProgressCallback | None:
    """The callback a wait calls after every poll, or ``None`` for no display.

    Raises:
        ValidationError: ``progress`` is neither a bool nor a function.
    """
    check(progress)
    if progress is True:
        if in_notebook():
            return NotebookProgress()
        if _is_terminal(sys.stderr):
            return TerminalProgress(sys.stderr)
        return None
    return progress or None


def stopped(report: ProgressCallback | None, error: BaseException) -> None:
    """Tell a display of ours that its wait ended with ``error`` (a function hears nothing)."""
    if isinstance(report, (NotebookProgress, TerminalProgress)):
        report.stopped(error)


def in_notebook() -> bool:
    """Whether this runs in a Jupyter kernel (IPython with a kernel attached)."""
    ipython = sys.modules.get("IPython")
    get = getattr(ipython, "get_ipython", None)
    shell = get() if callable(get) else None
    return getattr(shell, "kernel", None) is not None


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def describe(instance: Any) -> str:
    """An instance in a few words: its name and the start of its id (as safe text)."""
    short = text_of(instance.id[:8])
    return f"{text_of(instance.name, 60)} ({short})" if instance.name else short


def summary(state: WaitProgress, error: BaseException | None = None) -> str:
    """The wait on one line, as text (``error``: what ended it, if it failed)."""
    if len(state.instances) == 1:
        what = f"{describe(state.instance)} is {text_of(state.instance.status)}"
    else:
        counts: dict[str, int] = {}
        for instance in state.instances:
            counts[text_of(instance.status)] = counts.get(text_of(instance.status), 0) + 1
        what = ", ".join(f"{count} {status}" for status, count in counts.items())
    return f"{_verb(state, error)} {text_of(state.status)}: {what} · {state.elapsed:.0f} s"


def _verb(state: WaitProgress, error: BaseException | None = None) -> str:
    if error is not None:
        return f"Stopped ({type(error).__name__}) waiting for"
    done = all(reached(text_of(i.status), state.status) for i in state.instances)
    return "Done waiting for" if done else "Waiting for"


class _Line:
    """One progress line, as a notebook shows it (HTML) or as text."""

    def __init__(self, state: WaitProgress, error: BaseException | None = None) -> None:
        self.state = state
        self.error = error

    def __repr__(self) -> str:
        return summary(self.state, self.error)

    def _repr_html_(self) -> str:
        state = self.state
        badges = " ".join(
            f"{cell_html(describe(i), 60)} {cell_html(badge(i.status), 40)}"
            for i in state.instances[:20]
        )
        more = f" and {len(state.instances) - 20} more" if len(state.instances) > 20 else ""
        return (
            f'<div class="lambdacloud-display">{STYLE}{cell_html(_verb(state, self.error), 80)} '
            f"{cell_html(state.status, 40)}: {badges}{more} · {state.elapsed:.0f} s</div>"
        )


class NotebookProgress:
    """Shows a wait as one line that each poll replaces.

    Args:
        display: ``IPython.display.display`` (looked up on first use when ``None``).
    """

    def __init__(self, display: Callable[..., Any] | None = None) -> None:
        self._display = display
        self._handle: Any = None
        self._last: WaitProgress | None = None

    def __call__(self, state: WaitProgress) -> None:
        self._last = state
        self._show(_Line(state))

    def stopped(self, error: BaseException) -> None:
        """Leave the line saying the wait failed, rather than that it goes on."""
        if self._last is not None:
            self._show(_Line(self._last, error))

    def _show(self, line: _Line) -> None:
        if self._handle is None:
            show = self._display if self._display is not None else _ipython_display()
            self._handle = show(line, display_id=True)
        else:
            self._handle.update(line)


def _ipython_display() -> Callable[..., Any]:
    # IPython is already loaded: this runs in a kernel.
    from IPython.display import display  # type: ignore[import-not-found,import-untyped,unused-ignore]

    show: Callable[..., Any] = display
    return show


class TerminalProgress:
    """Prints a line when the wait starts and whenever an instance's status changes.

    Args:
        stream: Where to print (standard error by default).
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._last: dict[str, str] = {}
        self._state: WaitProgress | None = None

    def stopped(self, error: BaseException) -> None:
        """Say that the wait failed, and how long it had lasted."""
        if self._state is not None:
            print(summary(self._state, error), file=self._stream, flush=True)

    def __call__(self, state: WaitProgress) -> None:
        self._state = state
        for instance in state.instances:
            status = text_of(instance.status)
            before = self._last.get(instance.id)
            if before is None:
                line = f"{describe(instance)}: {status}, waiting for {text_of(state.status)}"
            elif before != status:
                line = f"{describe(instance)}: {before} → {status} after {state.elapsed:.0f} s"
            else:
                continue
            self._last[instance.id] = status
            print(line, file=self._stream, flush=True)


class AcquireDisplay:
    """Shows an acquire: one line updated in place in a notebook, or a line per attempt in a
    terminal.

    Args:
        notebook: Update one line in a notebook (else print to ``stream``).
        stream: Where to print in a terminal.
        display: ``IPython.display.display`` (looked up on first use when ``None``).
    """

    def __init__(
        self,
        *,
        notebook: bool,
        stream: TextIO | None = None,
        display: Callable[..., Any] | None = None,
    ) -> None:
        self._notebook = notebook
        self._stream = stream if stream is not None else sys.stderr
        self._display = display
        self._handle: Any = None
        self._last = ""

    def __call__(self, event: AcquireEvent) -> None:
        if isinstance(event, CapacityRead):
            self._last = f"{event.reads} capacity reads" + (
                f", listed: {_pairs(event.available)}" if event.available else ", none listed"
            )
            line = None
        elif isinstance(event, LaunchAttempt):
            line = f"Launching {event.instance_type} in {event.region} (attempt {event.attempt})"
        elif isinstance(event, LaunchRefused):
            line = f"{event.instance_type} in {event.region}: refused ({event.reason})"
        elif isinstance(event, Launched):
            instance = event.instance
            line = (
                f"Acquired {text_of(instance.instance_type.name)} in "
                f"{text_of(instance.region.name)}: {describe(instance)}"
            )
        else:
            return
        if line is not None:
            self._last = line
        text = f"Acquiring: {self._last} · {event.elapsed:.0f} s"
        if self._notebook:
            self._show(text)
        elif line is not None:
            print(text, file=self._stream, flush=True)

    def _show(self, text: str) -> None:
        line = _Text(text)
        if self._handle is None:
            show = self._display if self._display is not None else _ipython_display()
            self._handle = show(line, display_id=True)
        else:
            self._handle.update(line)


class _Text:
    """A line of text, as a notebook shows it."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        return f'<div class="lambdacloud-display">{STYLE}{cell_html(self.text, 300)}</div>'


def _pairs(pairs: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(f"{text_of(t)} in {text_of(r)}" for t, r in pairs[:3]) + (
        " ..." if len(pairs) > 3 else ""
    )


def acquire_reporter(progress: Progress) -> Callable[[AcquireEvent], object] | None:
    """The display of an acquire for ``progress=True`` where the code runs, else ``None``."""
    if progress is not True:
        return None
    if in_notebook():
        return AcquireDisplay(notebook=True)
    if _is_terminal(sys.stderr):
        return AcquireDisplay(notebook=False)
    return None


def both(
    first: Callable[[AcquireEvent], object] | None, second: Callable[[AcquireEvent], object] | None
) -> Callable[[AcquireEvent], object] | None:
    """One callback calling each of the given ones."""
    if first is None or second is None:
        return first or second

    def call(event: AcquireEvent) -> None:
        first(event)
        second(event)

    return call

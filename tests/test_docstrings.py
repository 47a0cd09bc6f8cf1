"""Every public method says what it does, its arguments, what it returns, what it raises and
which endpoint it calls (``API: none`` when it sends nothing) — the API reference is built
from these docstrings. A method that only delegates to a manager's method is documented
once, there: its own docstring is a summary naming that method (``InstanceManager.terminate()``)."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import lambdacloud
import lambdacloud.testing

SECTION = re.compile(r"^(Args|Returns|Raises|Yields):\s*$", re.MULTILINE)
#: ``API: ``GET /api/v1/instances```` (``{method}`` for the escape hatch), or ``API: none``.
ENDPOINT = re.compile(
    r"^API: (none\b.*|``(GET|POST|PUT|PATCH|DELETE|\{method\}) /api/v1/\S*``.*)$", re.MULTILINE
)
#: The manager method a delegating method names in its summary.
DELEGATE = re.compile(r"``(\w+Manager)\.(\w+)\(\)``")


def public_methods() -> Iterator[tuple[str, Callable[..., Any]]]:
    """``Class.method`` for every public method of every public class, defined here."""
    modules = {"lambdacloud": lambdacloud, "lambdacloud.testing": lambdacloud.testing}
    seen: set[int] = set()
    for prefix, module in modules.items():
        for name in module.__all__:
            cls = getattr(module, name)
            if not inspect.isclass(cls) or issubclass(cls, BaseException):
                continue
            for attribute, member in inspect.getmembers(cls):
                function = getattr(member, "__func__", member)
                if attribute.startswith("_") or not inspect.isfunction(function):
                    continue
                if not function.__module__.startswith("lambdacloud") or id(function) in seen:
                    continue
                seen.add(id(function))
                yield f"{prefix}.{name}.{attribute}", function


METHODS = dict(public_methods())


def sections(doc: str) -> dict[str, str]:
    """The indented text under each Google-style section header of a docstring."""
    found: dict[str, str] = {}
    current: list[str] | None = None
    for line in doc.splitlines():
        header = SECTION.fullmatch(line)
        if header:
            current = []
            found[header.group(1)] = ""
            name = header.group(1)
        elif current is not None and (not line.strip() or line[0].isspace()):
            current.append(line)
            found[name] = "\n".join(current)
        else:
            current = None
    return found


def parameters(function: Callable[..., Any]) -> list[str]:
    return [
        name
        for name, parameter in inspect.signature(function).parameters.items()
        if name not in ("self", "cls") and parameter.kind not in (parameter.VAR_POSITIONAL,)
    ]


def returns_something(function: Callable[..., Any]) -> bool:
    annotation = inspect.signature(function).return_annotation
    return annotation not in ("None", None, inspect.Signature.empty)


def test_the_public_methods_are_found() -> None:
    assert "lambdacloud.InstanceManager.launch" in METHODS
    assert "lambdacloud.Instance.terminate" in METHODS
    assert "lambdacloud.testing.FakeLambdaCloud.inject" in METHODS
    assert len(METHODS) > 70


def delegate_of(function: Callable[..., Any]) -> Callable[..., Any] | None:
    """The manager method a delegating method's summary names, if it names one."""
    doc = inspect.getdoc(function) or ""
    summary = doc.split("\n\n", 1)[0]
    named = DELEGATE.search(summary)
    if named is None or named.group(1) == function.__qualname__.split(".")[0]:
        return None
    manager = getattr(lambdacloud, named.group(1))
    delegate: Callable[..., Any] = getattr(manager, named.group(2))
    return delegate


def test_delegating_methods_are_found() -> None:
    assert delegate_of(METHODS["lambdacloud.Instance.terminate"]) is not None
    assert delegate_of(METHODS["lambdacloud.InstanceManager.terminate"]) is None


@pytest.mark.parametrize("name", sorted(METHODS))
def test_every_public_method_is_documented_in_full(name: str) -> None:
    function = METHODS[name]
    doc = inspect.getdoc(function) or ""
    summary = doc.split("\n", 1)[0].strip()
    assert summary, f"{name}: no summary line"
    delegate = delegate_of(function)
    if delegate is not None:
        # Documented once, where it is done: every argument is the manager's to describe.
        assert set(parameters(function)) <= set(parameters(delegate)), name
        return
    found = sections(doc)
    endpoint = ENDPOINT.search(doc)
    assert endpoint, f"{name}: no 'API: ``METHOD /api/v1/...``' line (or 'API: none')"
    wanted = parameters(function)
    if wanted:
        assert "Args" in found, f"{name}: no Args section"
        for parameter in wanted:
            assert re.search(rf"^\s+\**{parameter}\b", found["Args"], re.MULTILINE), (
                f"{name}: argument {parameter!r} is not described"
            )
    if returns_something(function):
        assert "Returns" in found or "Yields" in found, f"{name}: no Returns section"
    if not endpoint.group(1).startswith("none"):
        assert "Raises" in found, f"{name}: no Raises section"
    for section, text in found.items():
        assert re.search(r"^\s+\S", text, re.MULTILINE), f"{name}: an empty {section} section"

"""The package's layers, checked on the import graph (``TYPE_CHECKING`` and function-level
imports included), so the picture in docs/architecture.md stays true:

    package face (lambdacloud, lambdacloud.testing)
      -> client
        -> resources and their managers (instances, tickets, ssh_keys, ...)
          -> _resource -> _api -> _converter, _display -> _http -> base (errors, _secrets, ...)

A module imports only from its own layer or the ones below, never in a circle, and only
``_http`` imports requests, urllib3 or tenacity.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import lambdacloud

ROOT = Path(lambdacloud.__file__).parent
#: Top to bottom; a name is a module or a package (and everything in it).
LAYERS: list[set[str]] = [
    {"lambdacloud", "lambdacloud.testing"},
    {"lambdacloud.client", "lambdacloud.ticket_attachments"},  # (an old module's name)
    {
        "lambdacloud.instances",
        "lambdacloud.tickets",
        "lambdacloud.audit_events",
        "lambdacloud.filesystems",
        "lambdacloud.firewall_rulesets",
        "lambdacloud.firewalls",
        "lambdacloud.images",
        "lambdacloud.instance_types",
        "lambdacloud.regions",
        "lambdacloud.ssh_keys",
    },
    {"lambdacloud._resource"},
    {"lambdacloud._api"},
    {"lambdacloud._converter", "lambdacloud._display"},
    {"lambdacloud._http"},
    {
        "lambdacloud.errors",
        "lambdacloud._secrets",
        "lambdacloud._validation",
        "lambdacloud._clock",
        "lambdacloud._timestamps",
        "lambdacloud._version",
    },
]
HTTP_LIBRARIES = {"requests", "urllib3", "tenacity"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in ROOT.rglob("*.py")}


def imports_of(name: str) -> set[str]:
    """Every module ``name`` imports, anywhere in its body (TYPE_CHECKING included)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in MODULES else base)
    return found


GRAPH = {name: {i for i in imports_of(name) if i in MODULES} for name in MODULES}


def layer_of(name: str) -> int:
    for index, layer in enumerate(LAYERS):
        if any(name == unit or name.startswith(unit + ".") for unit in layer):
            # The face is the package's __init__ itself, not everything below it.
            if (
                name.startswith("lambdacloud.")
                and layer == LAYERS[0]
                and not (name.startswith("lambdacloud.testing"))
            ):
                continue
            return index
    raise AssertionError(f"{name} is in no layer: add it to LAYERS")


def test_every_module_has_a_layer() -> None:
    for name in MODULES:
        layer_of(name)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_only_its_own_layer_or_below(name: str) -> None:
    upward = [other for other in GRAPH[name] if layer_of(other) < layer_of(name)]
    assert upward == [], f"{name} imports from a layer above it"


def test_no_import_circle() -> None:
    visiting: list[str] = []
    done: set[str] = set()

    def visit(name: str) -> None:
        if name in done:
            return
        assert name not in visiting, " -> ".join([*visiting[visiting.index(name) :], name])
        visiting.append(name)
        for other in sorted(GRAPH[name]):
            if other != "lambdacloud" or name.startswith("lambdacloud.testing"):
                visit(other)
        visiting.pop()
        done.add(name)

    for name in sorted(MODULES):
        visit(name)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_only_the_http_layer_imports_the_http_libraries(name: str) -> None:
    libraries = {i.split(".")[0] for i in imports_of(name)} & HTTP_LIBRARIES
    if name == "lambdacloud.testing._cloud" or name.startswith("lambdacloud._http"):
        return
    allowed = {"requests"} if name == "lambdacloud.client" else set()
    assert libraries <= allowed, f"{name} imports {sorted(libraries - allowed)}"


def test_nothing_inside_imports_the_package_face() -> None:
    inside = [name for name, found in GRAPH.items() if "lambdacloud" in found]
    assert all(name.startswith("lambdacloud.testing") for name in inside), inside


def test_the_checks_see_a_circle_and_an_upward_import() -> None:
    # The graph is real: the client imports the managers, which never import it back.
    assert "lambdacloud.instances.manager" in GRAPH["lambdacloud.client"] | {
        i for m in GRAPH["lambdacloud.client"] for i in GRAPH[m]
    }
    assert layer_of("lambdacloud.client") < layer_of("lambdacloud.instances.manager")
    assert "lambdacloud.client" not in GRAPH["lambdacloud.instances.manager"]

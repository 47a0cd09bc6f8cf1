"""Every Python example in the docs and the README runs, against the fake cloud.

The blocks of a page run in order, in one namespace, as a reader would type them. Each page
starts with a fresh ``FakeLambdaCloud`` holding what the prose assumes: an SSH key named
``my-laptop`` (with ``~/.ssh/id_ed25519.pub`` beside it), one running instance, the files the
ticket examples attach (``~/dmesg.log``, ``~/core.gz``, and ``log.txt`` in the working
directory), and ``client``, a client for the fake. ``Client()`` itself is pointed at the
fake, so examples that build their own client run unchanged.

A block that must not run (a sketch with placeholders, a shell session in Python clothing) is
marked by the line ``<!-- docs-test: skip -->`` just before it, with the reason after
``skip``; a marked block must give one.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import lambdacloud
from lambdacloud import Client
from lambdacloud.testing import FakeClock, FakeLambdaCloud

ROOT = Path(__file__).parent.parent
PAGES = [*sorted((ROOT / "docs").rglob("*.md")), ROOT / "README.md"]
FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```(?P<lang>[\w+-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
SKIP = re.compile(r"<!-- docs-test: skip(?P<reason>[^>]*)-->\s*$")
PUBLIC_KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHf3vXxZqvT4W1xv3J1Q1b5r9N2y7aZlX0dKQw8oNnPq me@laptop"
)


@dataclass
class Block:
    page: Path
    line: int
    source: str
    skip: str | None


def blocks(page: Path) -> list[Block]:
    """The Python blocks of a page, with where they start and whether they are skipped."""
    text = page.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        if match.group("lang") != "python":
            continue
        line = text.count("\n", 0, match.start()) + 1
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = SKIP.search(before)
        indent = match.group("indent")
        body = "\n".join(
            row[len(indent) :] if row.startswith(indent) else row
            for row in match.group("body").splitlines()
        )
        found.append(Block(page, line, body, marker.group("reason").strip() if marker else None))
    return found


def page_id(page: Path) -> str:
    return str(page.relative_to(ROOT))


RUNNABLE = [page for page in PAGES if any(block.skip is None for block in blocks(page))]


def test_the_pages_have_examples_and_skips_say_why() -> None:
    assert len(RUNNABLE) >= 12
    every = [block for page in PAGES for block in blocks(page)]
    assert len(every) >= 40
    for block in every:
        if block.skip is not None:
            assert block.skip, f"{page_id(block.page)}:{block.line}: a skip needs a reason"
    # A block in another spelling of Python would be skipped silently: there is none.
    languages = {m.group("lang") for page in PAGES for m in FENCE.finditer(page.read_text())}
    assert languages <= {"python", "bash", "text", "toml"}, languages


@pytest.fixture
def cloud(isolated_environment: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLambdaCloud]:
    ssh = isolated_environment / ".ssh"
    ssh.mkdir()
    (ssh / "id_ed25519.pub").write_text(PUBLIC_KEY + "\n")
    (isolated_environment / "dmesg.log").write_text("[    0.000000] Linux version 6.8.0\n")
    (isolated_environment / "core.gz").write_bytes(b"\x1f\x8b\x08\x00" + bytes(16))
    with FakeLambdaCloud(clock=FakeClock()) as running:
        monkeypatch.setenv("LAMBDA_API_KEY", running.api_key)

        class DocsClient(Client):
            """``Client`` with the fake as its default server and clock."""

            def __init__(self, api_key: str | None = None, **options: Any) -> None:
                options.setdefault("base_url", running.url)
                options.setdefault("clock", running.clock)
                options.setdefault("sleep", running.clock.sleep)
                super().__init__(api_key, **options)

        monkeypatch.setattr(lambdacloud, "Client", DocsClient)
        yield running


@pytest.mark.parametrize("page", RUNNABLE, ids=page_id)
def test_every_example_runs(
    page: Path, cloud: FakeLambdaCloud, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # whatever an example writes lands here
    (tmp_path / "log.txt").write_text("training step 1000: loss nan\n")
    with lambdacloud.Client() as client:
        client.ssh_keys.create("my-laptop", public_key=PUBLIC_KEY)
        setup = client.instances.launch(
            "gpu_1x_a10", ssh_key="my-laptop", name="existing", wait=True
        )
        namespace: dict[str, Any] = {"__name__": "__docs__", "client": client}
        for block in blocks(page):
            if block.skip is None:
                # A failure's traceback names the page and the block's line.
                exec(compile(block.source, f"{page_id(page)}:{block.line}", "exec"), namespace)
        run_example_tests(namespace)
        # An example that launches a machine also shows how it ends: no bill left running.
        left = [
            i.name or i.id
            for i in client.instances.list()
            if i.status in ("booting", "active", "unhealthy") and i != setup
        ]
        assert left == [], f"{page_id(page)} leaves instances running: {left}"


def run_example_tests(namespace: dict[str, Any]) -> None:
    """Call the pytest tests a page defines, each with its own ``fake_lambda_cloud``."""
    for name, function in list(namespace.items()):
        if not (name.startswith("test_") and inspect.isfunction(function)):
            continue
        wanted = set(inspect.signature(function).parameters)
        assert wanted <= {"fake_lambda_cloud"}, f"{name} needs fixtures the docs test lacks"
        with FakeLambdaCloud(clock=FakeClock()) as fake:
            function(**dict.fromkeys(wanted, fake))


def section_blocks(page: Path, heading: str) -> list[Block]:
    """The Python blocks under one ``## heading`` of a page, in order."""
    text = page.read_text(encoding="utf-8")
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    first, last = (text.count("\n", 0, at) + 1 for at in (start, end if end > 0 else len(text)))
    return [block for block in blocks(page) if first < block.line < last]


def test_the_readme_quickstart_works_on_an_empty_account(
    cloud: FakeLambdaCloud, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A new account has no SSH key: the quickstart makes one rather than fail on [0].
    monkeypatch.chdir(tmp_path)
    quickstart = section_blocks(ROOT / "README.md", "Quickstart")[0]
    assert quickstart.skip is None
    exec(compile(quickstart.source, f"README.md:{quickstart.line}", "exec"), {})
    with lambdacloud.Client() as client:
        (key,) = client.ssh_keys.list()
        (instance,) = client.instances.list()
    assert key.name == "lambdacloud-quickstart"
    saved = tmp_path / "lambdacloud-quickstart.pem"
    assert "PRIVATE KEY" in saved.read_text()
    assert saved.stat().st_mode & 0o777 == 0o600
    assert instance.status in ("terminating", "terminated")
    assert cloud.count("POST", "/instance-operations/launch") == 1

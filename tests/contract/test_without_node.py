"""Without Node.js the contract tier is skipped with one line saying how to enable it, and
``LAMBDACLOUD_REQUIRE_CONTRACT=1`` (CI) turns that skip into a failure. These tests are not
part of the tier: they run everywhere, on a ``PATH`` without ``node``."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import HERE, REQUIRE

ROOT = HERE.parent.parent


def path_without_node(tmp_path: Path) -> str:
    """A ``PATH`` with the tools the installer needs, and no ``node`` or ``npm``."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "dirname", "env"):
        found = shutil.which(tool)
        assert found is not None, tool
        (bin_dir / tool).symlink_to(found)
    return str(bin_dir)


def run_tier(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The contract tier, run as the README's command runs it, without Node.js."""
    environment = {k: v for k, v in os.environ.items() if k != REQUIRE}
    environment.update(PATH=path_without_node(tmp_path), **env)
    command = [sys.executable, "-m", "pytest", "-m", "contract", "-q", "tests/contract"]
    return subprocess.run(
        [*command, "-p", "no:cacheprovider", "-o", "addopts=-ra --strict-markers"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_installer_fails_clearly_without_node_even_with_node_modules(
    tmp_path: Path,
) -> None:
    # The old installer compared two empty version strings and reported success.
    copy = tmp_path / "contract"
    (copy / "node_modules" / ".bin").mkdir(parents=True)
    shutil.copy(HERE / "install-prism", copy)
    shutil.copy(HERE / "package.json", copy)
    prism = copy / "node_modules" / ".bin" / "prism"
    prism.write_text("#!/usr/bin/env node\n")
    prism.chmod(0o755)
    result = subprocess.run(
        [str(copy / "install-prism")],
        env={"PATH": path_without_node(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 3
    assert "'node' was not found on PATH" in result.stderr
    assert "install Node.js" in result.stderr


def test_the_tier_is_skipped_with_one_line_saying_how_to_enable_it(tmp_path: Path) -> None:
    result = run_tier(tmp_path)
    assert result.returncode == 0, result.stdout[-3000:]
    skipped = [line for line in result.stdout.splitlines() if line.startswith("SKIPPED")]
    assert len(skipped) == 1, result.stdout[-3000:]
    (line,) = skipped
    assert re.match(r"SKIPPED \[\d{2,}\] tests/contract/conftest\.py:\d+: contract tier", line)
    assert "node and npm not found on PATH" in line
    assert "install Node.js 18+ with npm, then run tests/contract/install-prism" in line
    summary = result.stdout.splitlines()[-1]
    assert re.match(r"\d+ passed, \d{2,} skipped, \d+ deselected in ", summary), summary


@pytest.mark.parametrize("value", ["1", "yes"])
def test_ci_turns_the_skip_into_a_failure(tmp_path: Path, value: str) -> None:
    result = run_tier(tmp_path, **{REQUIRE: value})
    assert result.returncode == 1
    assert "skipped" not in result.stdout.splitlines()[-1]
    assert f"The contract tier cannot run ({REQUIRE} is set): node and npm not found" in (
        result.stdout
    )


def test_ci_requires_the_tier() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert "\ntests/contract/install-prism\n" in ci
    assert f"\n{REQUIRE}=1 python -m pytest\n" in ci

"""docs/notebooks/quickstart.ipynb runs top to bottom in a real kernel, and shows no secret."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from .test_display import statuses

NOTEBOOK = Path(__file__).parent.parent / "docs" / "notebooks" / "quickstart.ipynb"

#: What a leak would look like: the fake's API key, a JupyterLab token, a private key.
LEAKS = [
    re.compile(r"secret_fake_[0-9a-f]{8}"),
    re.compile(r"token=[0-9a-f]{8}"),
    re.compile(r"PRIVATE KEY"),
    re.compile(r"jupyter_token['\"]?\s*[:=]\s*['\"][0-9a-f]{8}"),
]


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> Any:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    home = tmp_path_factory.mktemp("home")
    # The kernel inherits the environment: none of the developer's key, home or kernels.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(home))
        patch.setenv("JUPYTER_DATA_DIR", str(home / "jupyter"))
        patch.delenv("LAMBDA_API_KEY", raising=False)
        patch.delenv("JUPYTER_PATH", raising=False)
        # Executing raises CellExecutionError on the first cell that fails.
        NotebookClient(
            notebook,
            timeout=120,
            kernel_name="python3",
            resources={"metadata": {"path": str(home)}},
        ).execute()
    return notebook


def outputs(notebook: Any) -> list[Any]:
    return [
        output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
    ]


def html_outputs(notebook: Any) -> list[str]:
    return [
        output["data"]["text/html"]
        for output in outputs(notebook)
        if "data" in output and "text/html" in output["data"]
    ]


def test_every_cell_runs(executed: Any) -> None:
    assert all(output["output_type"] != "error" for output in outputs(executed))
    code_cells = [cell for cell in executed.cells if cell.cell_type == "code"]
    assert all(cell.execution_count for cell in code_cells)


def test_listings_render_as_tables_and_objects_as_cards(executed: Any) -> None:
    markup = html_outputs(executed)
    tables = [html for html in markup if "<thead>" in html]
    assert any("price / hour" in html and "regions with capacity" in html for html in tables)
    assert any(
        "quickstart" in html and ("good", "●", "active") in statuses(html) for html in tables
    )
    cards = [html for html in markup if '<caption style="text-align:left">Instance ' in html]
    assert any("jupyter url" in html and "?…" in html for html in cards)
    assert any("Generated SSH key" in html and "(hidden)" in html for html in markup)
    for html in markup:
        assert "<script" not in html.lower()


def test_the_waits_show_their_progress(executed: Any) -> None:
    progress = [html for html in html_outputs(executed) if "waiting for" in html.lower()]
    assert any("active" in html for html in progress)
    assert any("terminated" in html for html in progress)


def test_no_output_shows_a_secret(executed: Any) -> None:
    for output in outputs(executed):
        text = str(output)
        for leak in LEAKS:
            assert not leak.search(text), (leak.pattern, text[:300])

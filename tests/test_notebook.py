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


def raises(cell: Any) -> bool:
    """Whether a cell shows an error on purpose (nbclient goes on after it)."""
    return "raises-exception" in cell.metadata.get("tags", [])


def test_every_cell_runs(executed: Any) -> None:
    code_cells = [cell for cell in executed.cells if cell.cell_type == "code"]
    assert all(cell.execution_count for cell in code_cells)
    for cell in code_cells:
        errors = [output for output in cell.outputs if output["output_type"] == "error"]
        assert len(errors) == raises(cell), (cell.source, errors)
    assert sum(map(raises, code_cells)) == 1


def test_an_error_shows_short(executed: Any) -> None:
    (cell,) = [cell for cell in executed.cells if cell.cell_type == "code" and raises(cell)]
    (error,) = [output for output in cell.outputs if output["output_type"] == "error"]
    assert error["ename"] == "NotFoundError"
    assert error["traceback"] == [
        "NotFoundError: Instance 0123456789abcdef0123456789abcdef does not exist.",
        "  code:        global/object-does-not-exist",
        "  HTTP status: 404",
        "  suggestion:  Check the ID or name and try again.",
        "  Full traceback: %tb Plain, or %tb Verbose with the variables",
    ]


def test_numbers_align_right_text_left_and_ports_read_as_written(executed: Any) -> None:
    markup = html_outputs(executed)
    (types,) = [html for html in markup if "regions with capacity" in html]
    assert '<td class="lc-num lc-token" style="text-align:right;white-space:nowrap">$' in types
    assert '<td class="lc-text lc-token" style="text-align:left;white-space:nowrap">gpu_' in types
    assert '<div class="lc-scroll" style="overflow-x:auto">' in types
    (rules,) = [html for html in markup if ">port range</th>" in html]
    assert ">22</td>" in rules
    assert ">8000-8100</td>" in rules
    prices = [o["data"]["text/plain"] for o in outputs(executed) if "Decimal(" in str(o)]
    assert prices == ["(Decimal('0.75'), 1.875)"]


def test_the_audit_log_shows_its_first_page(executed: Any) -> None:
    markup = html_outputs(executed)
    (page,) = [html for html in markup if "audit events on the first page" in html]
    assert ">2 audit events on the first page, more available</caption>" in page
    assert page.count("<tr>") == 4  # the header, two events, and the note
    assert "… more available: iterate over the listing to read every page" in page
    assert "generator" not in str(outputs(executed))
    every = [o["data"]["text/plain"] for o in outputs(executed) if "'launched'" in str(o)]
    assert every == ["['created', 'launched', 'replaced']"]  # iterating read every page


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

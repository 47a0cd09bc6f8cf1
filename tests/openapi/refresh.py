"""Refresh the API documents the tests use from Lambda's published OpenAPI files.

Keeps the facts (paths, operations, parameters, schemas, enums, examples) and drops the
prose: summaries go, and descriptions become empty strings (a response object must have
one to be a valid OpenAPI document). Example values are data, kept exactly as published,
even where they have a ``description`` of their own (a region's, say, which Prism serves in
static mode). The copies stay small and are data, not docs.

Usage: python tests/openapi/refresh.py [SOURCE_DIR]   (default: ../shared/openapi)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
VERSIONS = ("1.8.3", "1.9.3", "1.10.0")


#: Keywords whose values are example data, copied as they are.
EXAMPLES = ("example", "examples")


def strip(node: Any, *, names: bool = False) -> Any:
    """``node`` without prose: summaries removed, descriptions emptied, examples untouched.

    ``names`` says that the keys of ``node`` are property names (the value of
    ``properties``), not keywords: a property may be called ``example`` or ``summary``.
    """
    if isinstance(node, dict):
        stripped = {}
        for key, value in node.items():
            if names:
                stripped[key] = strip(value)
            elif key in EXAMPLES:
                stripped[key] = value
            elif key == "summary" and isinstance(value, str):
                continue
            elif key == "description" and isinstance(value, str):
                stripped[key] = ""
            else:
                stripped[key] = strip(value, names=key == "properties")
        return stripped
    if isinstance(node, list):
        return [strip(item) for item in node]
    return node


def main(source: Path) -> None:
    for version in VERSIONS:
        name = f"lambda-cloud-api-{version}.json"
        document = strip(json.loads((source / name).read_text()))
        (HERE / name).write_text(json.dumps(document, indent=1, sort_keys=False) + "\n")
        print(f"wrote {HERE / name}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[2] / "shared" / "openapi")

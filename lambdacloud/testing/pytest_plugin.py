"""The pytest fixture for ``FakeLambdaCloud``.

Registered as a pytest plugin when lambdacloud-client is installed; in a project that
disables plugin autoloading, add ``pytest_plugins = ["lambdacloud.testing.pytest_plugin"]``
to its ``conftest.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from lambdacloud.testing import FakeLambdaCloud


@pytest.fixture
def fake_lambda_cloud() -> Iterator[FakeLambdaCloud]:
    """A started ``FakeLambdaCloud``, stopped after the test.

    ``fake_lambda_cloud.client()`` gives a client for it whose waits take no real time.
    """
    from lambdacloud.testing import FakeLambdaCloud

    with FakeLambdaCloud() as cloud:
        yield cloud

"""FakeLambdaCloud checked by a validator nobody here wrote: Stoplight Prism as a proxy in front
of it validates every request and every answer against Lambda's 1.10.0 document."""

from __future__ import annotations

import pytest

from lambdacloud import MalformedResponseError

from ..spec import operations, template
from ..test_fake_conformance import every_operation
from .conftest import Servers, contract_client

pytestmark = pytest.mark.contract


def test_every_operation_of_the_fake_passes_prisms_checks(prism: Servers) -> None:
    client, recorder = contract_client(prism.proxy)
    with client:
        every_operation(prism.fake, client)
    reached = {
        (method, template(method, path.split("?")[0])) for method, path, _, _ in recorder.exchanges
    }
    assert reached >= set(operations())
    assert recorder.violations == []


def test_prism_sees_what_is_wrong_in_an_answer(prism: Servers) -> None:
    # The check above would pass if the proxy checked nothing: a wrong answer must show.
    prism.fake.inject(status=200, body={"data": [{"name": 5}]}, path="/regions")
    client, recorder = contract_client(prism.proxy)
    with client, pytest.raises(MalformedResponseError):  # the client objects too
        client.regions.list()
    ((_, _, status, violations),) = recorder.exchanges
    assert status == 200
    assert violations is not None
    assert "description" in violations

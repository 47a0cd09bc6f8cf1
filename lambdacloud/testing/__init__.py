"""Test without a GPU bill: a local fake of the Lambda Cloud API and a pytest fixture.

```python
from lambdacloud.testing import FakeLambdaCloud

with FakeLambdaCloud() as cloud:
    client = cloud.client()
    print(client.instance_types.list())
```

With pytest, the ``fake_lambda_cloud`` fixture (registered automatically when this package
is installed) gives a started fake per test. For any other tool (a CLI, another language's
client, curl), ``python -m lambdacloud.testing`` serves one until Ctrl-C.
"""

from lambdacloud.testing._capacity import CapacityWindow
from lambdacloud.testing._clock import FakeClock
from lambdacloud.testing._cloud import FakeLambdaCloud
from lambdacloud.testing._faults import BAD_GATEWAY_HTML, Fault, RecordedRequest

__all__ = [
    "BAD_GATEWAY_HTML",
    "CapacityWindow",
    "FakeClock",
    "FakeLambdaCloud",
    "Fault",
    "RecordedRequest",
]

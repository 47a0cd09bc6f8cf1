"""Instances: the GPU machines. Launch, inspect, rename, restart, terminate, wait.

- ``models``: the values an instance is made of (status, actions, image);
- ``instance``: the ``Instance`` object, and what it asks of its manager;
- ``manager``: ``client.instances``, the only place that knows the instance paths;
- ``launch``: the launch protocol, from checked request to the instance handed over;
- ``waiting``, ``progress``: polling until a status, and showing it.
"""

from lambdacloud.instances.instance import Instance, WaitProgress
from lambdacloud.instances.manager import InstanceManager
from lambdacloud.instances.models import (
    ActionAvailability,
    InstanceActions,
    InstanceImage,
    InstanceStatus,
)

__all__ = [
    "ActionAvailability",
    "Instance",
    "InstanceActions",
    "InstanceImage",
    "InstanceManager",
    "InstanceStatus",
    "WaitProgress",
]

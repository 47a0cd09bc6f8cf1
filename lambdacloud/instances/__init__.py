"""Instances: the GPU machines. Launch, inspect, rename, restart, terminate, wait.

- ``models``: the values an instance is made of (status, actions, image);
- ``instance``: the ``Instance`` object, and what it asks of its manager;
- ``reading``, ``waits``, ``manager``: ``client.instances`` in three steps — instances that
  exist, waiting for them, launching them — the only places that know the instance paths;
- ``launch``: the launch protocol, from checked request to the instance handed over;
  ``cleanup``: terminating what the library must, and naming what may still run;
- ``request``: a launch's arguments, checked, in the API's terms;
- ``acquire``: getting a scarce GPU, within the API's limits (``preferences``: what it wants;
  ``events``: what it tells ``on_event``); ``readiness``: SSH answering;
- ``tags``, ``costs``, ``exit_guard``: the library's tags, what instances cost, expiry;
- ``waiting``, ``progress``: polling until a status, and showing it.
"""

from lambdacloud.instances.events import (
    AcquireEvent,
    CapacityRead,
    LaunchAttempt,
    Launched,
    LaunchRefused,
)
from lambdacloud.instances.instance import Instance, WaitProgress
from lambdacloud.instances.manager import InstanceManager
from lambdacloud.instances.models import (
    ActionAvailability,
    InstanceActions,
    InstanceImage,
    InstanceStatus,
)

__all__ = [
    "AcquireEvent",
    "ActionAvailability",
    "CapacityRead",
    "Instance",
    "InstanceActions",
    "InstanceImage",
    "InstanceManager",
    "InstanceStatus",
    "LaunchAttempt",
    "LaunchRefused",
    "Launched",
    "WaitProgress",
]

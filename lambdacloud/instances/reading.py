"""Instances that exist: list, read, rename, restart and terminate them; what they burn per
hour; and the sweep of those past their expiry. ``InstanceManager`` (``manager.py``) builds on
this with waiting (``waits.py``) and launching."""

from __future__ import annotations

import builtins
import logging
from collections.abc import Mapping
from decimal import Decimal

import attrs

from lambdacloud._converter import to_api
from lambdacloud._display import ResourceList
from lambdacloud._resource import Manager, id_of, ids_of, path_segment
from lambdacloud._validation import check_tags, check_text
from lambdacloud.errors import ValidationError
from lambdacloud.instances import costs
from lambdacloud.instances import request as request_checks
from lambdacloud.instances import tags as library_tags
from lambdacloud.instances.instance import Instance, InstanceArgument

logger = logging.getLogger("lambdacloud")


class InstanceReads(Manager):
    """What ``client.instances`` does with instances that exist (see ``InstanceManager``)."""

    def list(self, *, cluster_id: str | None = None) -> ResourceList[Instance]:
        """List the account's running instances.

        Args:
            cluster_id: Only the instances of this cluster.

        Returns:
            The instances, in the API's order.

        Raises:
            LambdaCloudError: The request failed.

        API: ``GET /api/v1/instances``
        """
        if cluster_id is not None:
            check_text("cluster_id", cluster_id, min_length=1)
        return self._read_all(None, cluster_id=cluster_id)

    def get(self, instance: Instance | str) -> Instance:
        """Read one instance.

        Args:
            instance: The instance or its id.

        Returns:
            A new object with the instance's current state.

        Raises:
            NotFoundError: No such instance.
            LambdaCloudError: The request failed.

        API: ``GET /api/v1/instances/{id}``
        """
        return self._read(id_of(instance, "instance"), None)

    def _read(self, instance_id: str, deadline: float | None) -> Instance:
        data = self._request("GET", f"/instances/{path_segment(instance_id)}", deadline=deadline)
        return self._structure(data, Instance, "an instance")

    def _read_all(
        self, deadline: float | None, *, cluster_id: str | None = None
    ) -> ResourceList[Instance]:
        data = self._request(
            "GET", "/instances", params={"cluster_id": cluster_id}, deadline=deadline
        )
        return self._structure_list(data, Instance, "a list of instances")

    def update(
        self,
        instance: Instance | str,
        *,
        name: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> Instance:
        """Rename an instance and/or replace its tags.

        Args:
            instance: The instance or its id.
            name: The new name (at most 64 characters).
            tags: The new tags, replacing all of yours; ``{}`` clears them. The library's own
                tags (``lambdacloud:launch-token``, ``...launched-at``, ``...expires-at``)
                are kept. Keys are lowercase (``[a-z][a-z0-9-:]+``, at most 55) and may not
                start with ``lambda-ai-`` or ``lambdacloud:``; values have at most 128
                characters.

        Returns:
            A new object with the updated instance.

        Raises:
            ValidationError: Neither argument given, or one is malformed.
            LambdaCloudError: The request failed.

        API: ``POST /api/v1/instances/{id}`` (and ``GET /api/v1/instances/{id}`` first, to
        keep the library's tags, when ``tags`` is given with an id rather than an object).
        """
        instance_id = id_of(instance, "instance")
        if name is None and tags is None:
            raise ValidationError("name", "pass name= and/or tags= to update an instance")
        new_tags = None
        if tags is not None:
            new_tags = check_tags("tags", tags)
            library_tags.check_user_tags(new_tags)
            current = instance if isinstance(instance, Instance) else self.get(instance_id)
            new_tags = {**new_tags, **library_tags.library_tags(current.tags)}
        change = request_checks.InstanceChange(
            name=None if name is None else check_text("name", name, max_length=64),
            tags=new_tags,
        )
        data = self._request(
            "POST", f"/instances/{path_segment(instance_id)}", json_body=to_api(change)
        )
        return self._structure(data, Instance, "an instance")

    def burn_rate(self) -> Decimal:
        """What everything running or booting costs, in dollars per hour.

        Returns:
            The sum of the hourly prices of every instance that is ``booting``, ``active``
            or ``unhealthy`` (not terminating, terminated or preempted).

        Raises:
            LambdaCloudError: The request failed.

        API: ``GET /api/v1/instances`` (one request).
        """
        return costs.burn_rate(self.list())

    def sweep(self) -> ResourceList[Instance]:
        """Terminate every instance past its expiry (``max_runtime=`` at launch).

        Run it from cron or a scheduled job on another machine, so the guard holds when
        the laptop that launched is closed: ``Client().instances.sweep()``. Instances
        without an expiry tag are never touched.

        Returns:
            The instances it terminated (usually ``terminating``); empty when none expired.

        Raises:
            LambdaCloudError: A request failed.

        API: ``GET /api/v1/instances``, then ``POST /api/v1/instance-operations/terminate``
        when something expired.
        """
        expired = costs.expired(self.list(), self._api.now())
        if not expired:
            return ResourceList([], Instance)
        logger.warning(
            "Sweeping expired instance %s (past its max_runtime)", ", ".join(i.id for i in expired)
        )
        return self.terminate(expired)

    def restart(self, instances: InstanceArgument) -> ResourceList[Instance]:
        """Restart one or several instances.

        Args:
            instances: An instance, an id, or a list of them.

        Returns:
            The restarted instances.

        Raises:
            ValidationError: No instance given.
            ConflictError: An instance cannot be restarted now.
            LambdaCloudError: The request failed.

        API: ``POST /api/v1/instance-operations/restart``
        """
        body = {"instance_ids": ids_of(instances, "instances")}
        data = self._request("POST", "/instance-operations/restart", json_body=body)
        restarted = self._structure(data, _Restarted, "a restart result").restarted_instances
        return ResourceList(restarted, Instance)

    def terminate(self, instances: InstanceArgument) -> ResourceList[Instance]:
        """Terminate one or several instances.

        Args:
            instances: An instance, an id, or a list of them.

        Returns:
            The terminated instances (usually ``terminating``).

        Raises:
            ValidationError: No instance given.
            LambdaCloudError: The request failed.

        API: ``POST /api/v1/instance-operations/terminate``
        """
        body = {"instance_ids": ids_of(instances, "instances")}
        data = self._request("POST", "/instance-operations/terminate", json_body=body)
        terminated = self._structure(data, _Terminated, "a terminate result").terminated_instances
        return ResourceList(terminated, Instance)

    def _cleanup(
        self, ids: builtins.list[str], *, deadline: float | None = None
    ) -> builtins.list[Instance]:
        """Terminate instances the library is responsible for, retrying transient failures.

        A plain terminate is a POST and is not retried after a 5xx or a reset; here the
        library itself would leave a machine running, and terminating twice is harmless.
        """
        data = self._request(
            "POST",
            "/instance-operations/terminate",
            json_body={"instance_ids": ids},
            idempotent=True,
            deadline=deadline,
        )
        return self._structure(data, _Terminated, "a terminate result").terminated_instances


@attrs.frozen
class _Restarted:
    restarted_instances: list[Instance]


@attrs.frozen
class _Terminated:
    terminated_instances: list[Instance]

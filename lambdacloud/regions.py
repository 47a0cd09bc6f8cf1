"""Regions: where instances, filesystems and images live."""

from __future__ import annotations

import attrs

from lambdacloud._display import Displayable, ResourceList
from lambdacloud._resource import Manager


@attrs.frozen
class Region(Displayable):
    """A region, such as ``us-east-1``.

    Region codes are plain strings, not an enum: the API adds regions without notice.

    Attributes:
        name: The region code.
        description: Where it is (``Virginia, USA``), when the API says.
    """

    name: str
    description: str | None = None

    def __str__(self) -> str:
        return self.name


class RegionManager(Manager):
    """``client.regions``: the regions of Lambda Cloud."""

    def list(self) -> ResourceList[Region]:
        """List every region.

        Returns:
            The regions, in the API's order.

        Raises:
            LambdaCloudError: The request failed.

        API: ``GET /api/v1/regions``
        """
        data = self._request("GET", "/regions")
        return self._structure_list(data, Region, "a list of regions")

"""Machine images that instances can be launched from."""

from __future__ import annotations

from datetime import datetime

import attrs

from lambdacloud._display import Displayable, ResourceList
from lambdacloud._resource import Manager
from lambdacloud.instance_types import Architecture
from lambdacloud.regions import Region


@attrs.frozen(kw_only=True)
class Image(Displayable):
    """A machine image available in one region.

    Pass it to ``client.instances.launch(image=...)`` to launch from it by id, or pass
    ``image_family=image.family`` for the newest image of its family.

    Attributes:
        id: The image's id.
        name: A readable identifier (``ubuntu-24.04.01``).
        family: The family it belongs to (``ubuntu-lts``).
        version: The image version.
        architecture: ``x86_64`` or ``arm64``.
        region: Where it is available.
        created_time: When it was created.
        updated_time: When it was last updated.
        description: More about it, when the API says.
    """

    id: str
    name: str
    family: str
    version: str
    architecture: Architecture | str
    region: Region
    created_time: datetime
    updated_time: datetime
    description: str | None = None


class ImageManager(Manager):
    """``client.images``: the images instances can be launched from."""

    def list(self) -> ResourceList[Image]:
        """List the available images in every region.

        Returns:
            The images, in the API's order.

        Raises:
            LambdaCloudError: The request failed.

        API: ``GET /api/v1/images``
        """
        data = self._request("GET", "/images")
        return self._structure_list(data, Image, "a list of images")

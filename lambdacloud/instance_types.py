"""Instance types: the machines on offer, their prices and where they have capacity."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs

from lambdacloud._display import Displayable, ResourceList
from lambdacloud._resource import ApiEnum, Manager
from lambdacloud.errors import NotFoundError, ValidationError
from lambdacloud.regions import Region


class Architecture(ApiEnum):
    """A CPU architecture of an instance type or an image."""

    X86_64 = "x86_64"
    ARM64 = "arm64"


@attrs.frozen(kw_only=True)
class InstanceTypeSpecs(Displayable):
    """What one machine of an instance type has.

    Attributes:
        vcpus: Virtual CPUs.
        memory_gib: Memory, in GiB.
        storage_gib: Local storage, in GiB.
        gpus: GPUs.
    """

    vcpus: int
    memory_gib: int
    storage_gib: int
    gpus: int

    def _display_label(self) -> str:
        gpus = "1 GPU" if self.gpus == 1 else f"{self.gpus} GPUs"
        return (
            f"{gpus}, {self.vcpus} vCPUs, {self.memory_gib} GiB memory, "
            f"{self.storage_gib} GiB storage"
        )


@attrs.frozen(kw_only=True)
class InstanceType(Displayable):
    """A kind of machine, with its hourly price.

    Attributes:
        name: The type's name, used to launch it (``gpu_1x_a10``).
        description: The type in words (``1x A10 (24 GB PCIe)``).
        gpu_description: The GPU in words (``A10 (24 GB PCIe)``).
        price_cents_per_hour: The price as the API gives it, in US cents per hour.
        specs: vCPUs, memory, storage and GPUs.
        architecture: ``x86_64`` or ``arm64`` (kept as a string if the API adds one).
        regions_with_capacity: Regions that could launch this type when it was listed.
            Always empty on ``instance.instance_type``: the API reports capacity only in
            the instance-type listing.
    """

    name: str
    description: str | None = None
    gpu_description: str
    price_cents_per_hour: int
    specs: InstanceTypeSpecs
    architecture: Architecture | str | None = None
    regions_with_capacity: tuple[Region, ...] = ()

    @property
    def price_per_hour(self) -> Decimal:
        """The price in US dollars per hour, exactly (``Decimal("1.29")``).

        A ``Decimal`` does not multiply with a ``float`` (``TypeError``): multiply it by an
        ``int`` or a ``Decimal``, or use ``price_per_hour_float`` with floats.
        """
        return Decimal(self.price_cents_per_hour).scaleb(-2)

    @property
    def price_per_hour_float(self) -> float:
        """The price in US dollars per hour as a ``float`` (``1.29``), for arithmetic with
        floats (``price_per_hour_float * 2.5``) and for pandas; ``price_per_hour`` is exact."""
        return self.price_cents_per_hour / 100

    def to_dict(self) -> dict[str, Any]:
        """This type's fields as plain Python values, with its price in dollars.

        As ``Displayable.to_dict()``, plus ``price_per_hour``: US dollars per hour as a
        ``float`` (pandas and JSON take it as it is), placed after ``price_cents_per_hour``,
        the exact integer.

        Returns:
            ``{field name: value}``.

        API: none.
        """
        exported = super().to_dict()
        keys = list(exported)
        keys.insert(keys.index("price_cents_per_hour") + 1, "price_per_hour")
        exported["price_per_hour"] = self.price_per_hour_float
        return {key: exported[key] for key in keys}

    _display_covers = frozenset({"specs", "price_cents_per_hour"})

    def _display_row(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "gpu_description": self.gpu_description,
            "gpus": self.specs.gpus,
            "vcpus": self.specs.vcpus,
            "memory": f"{self.specs.memory_gib} GiB",
            "storage": f"{self.specs.storage_gib} GiB",
            "price_per_hour": f"${self.price_per_hour:.2f}",
            "regions_with_capacity": [region.name for region in self.regions_with_capacity],
        }


def _flatten(data: Any) -> Any:
    """Each ``{"instance_type": {...}, "regions_with_capacity_available": [...]}`` of the
    map as one instance-type object with its regions; anything else is left for the
    converter to reject."""
    if not isinstance(data, dict):
        return data
    flat = []
    for item in data.values():
        if not isinstance(item, dict) or not isinstance(item.get("instance_type"), dict):
            return [item]  # not the documented shape: the converter says what is wrong
        regions = item.get("regions_with_capacity_available")
        flat.append({**item["instance_type"], "regions_with_capacity": regions})
    return flat


#: The orders ``list(sort_by=...)`` knows; ties go by name.
_SORT_KEYS: dict[str, Callable[[InstanceType], Any]] = {
    "price": lambda t: (t.price_cents_per_hour, t.name),
    "name": lambda t: t.name,
    "gpus": lambda t: (t.specs.gpus, t.price_cents_per_hour, t.name),
}


class InstanceTypeManager(Manager):
    """``client.instance_types``: the machines on offer."""

    def list(
        self, *, available: bool = False, sort_by: str | None = None
    ) -> ResourceList[InstanceType]:
        """List the instance types with their prices and the regions that have capacity now.

        Args:
            available: Only the types some region can launch now.
            sort_by: ``"price"`` (cheapest first), ``"name"`` or ``"gpus"`` (fewest first);
                by default, the API's order.

        Returns:
            The instance types, each with ``regions_with_capacity``.

        Raises:
            ValidationError: ``sort_by`` is not one of the above; nothing was sent.
            LambdaCloudError: The request failed.

        API: ``GET /api/v1/instance-types``
        """
        if not isinstance(available, bool):
            raise ValidationError("available", f"expected True or False, got {available!r}")
        key = _SORT_KEYS.get(sort_by) if isinstance(sort_by, str) else None
        if sort_by is not None and key is None:
            raise ValidationError(
                "sort_by", f"expected one of {', '.join(map(repr, _SORT_KEYS))}, got {sort_by!r}"
            )
        types = self._read(None)
        if available:
            types = ResourceList([t for t in types if t.regions_with_capacity], InstanceType)
        if key is not None:
            types.sort(key=key)
        return types

    def get(self, name: str) -> InstanceType:
        """Find one instance type by name (from the listing: the API has no single-type call).

        Args:
            name: The type's name, such as ``gpu_1x_a10``.

        Returns:
            The instance type with its current ``regions_with_capacity``.

        Raises:
            ValidationError: ``name`` is empty.
            NotFoundError: No instance type has that name.
            LambdaCloudError: The request failed.

        API: ``GET /api/v1/instance-types``
        """
        if not isinstance(name, str) or not name:
            raise ValidationError("name", f"expected an instance type name, got {name!r}")
        types = self.list()
        for instance_type in types:
            if instance_type.name == name:
                return instance_type
        known = ", ".join(sorted(t.name for t in types)) or "none"
        raise NotFoundError(f"No instance type is named {name!r}; the API offers: {known}")

    def _read(self, deadline: float | None) -> ResourceList[InstanceType]:
        """The listing, with the capacity of each type now (within ``deadline``)."""
        data = self._request("GET", "/instance-types", deadline=deadline)
        return self._structure_list(_flatten(data), InstanceType, "a map of instance types")

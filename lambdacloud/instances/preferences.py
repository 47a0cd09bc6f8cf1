"""What an acquire wants — instance types best first, regions best first, a price cap —
checked before any request, and the launch plan it makes of each capacity read."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import attrs

from lambdacloud.errors import (
    ValidationError,
)
from lambdacloud.instance_types import InstanceType
from lambdacloud.regions import Region

logger = logging.getLogger("lambdacloud")


@attrs.define
class Preferences:
    """What an acquire wants, checked before any request."""

    types: list[str]
    regions: list[str] | None
    max_price: Decimal | None

    def plan(
        self, listing: Sequence[InstanceType], *, only: tuple[str, str] | None
    ) -> list[tuple[str, str]]:
        """The ``(type, region)`` pairs to launch, best first: types in the given order (those
        priced above the cap left out), then regions in the given order (else the API's)."""
        by_name = {t.name: t for t in listing}
        pairs = []
        for name in self.types:
            offered = by_name.get(name)
            if offered is None:
                continue
            if self.max_price is not None and offered.price_per_hour > self.max_price:
                continue
            listed = [r.name for r in offered.regions_with_capacity]
            order = self.regions if self.regions is not None else listed
            pairs += [(name, region) for region in order if region in listed]
        return [pair for pair in pairs if only is None or pair == only]

    def check_names(self, listing: Sequence[InstanceType]) -> None:
        """Refuse type names the API does not offer, listing the ones it does.

        Raises:
            ValidationError: A name is unknown.
        """
        known = {t.name for t in listing}
        unknown = [name for name in self.types if name not in known]
        if unknown:
            raise ValidationError(
                "instance_types",
                f"{', '.join(map(repr, unknown))} not offered; the API offers: "
                f"{', '.join(sorted(known)) or 'none'}",
            )


def preferences(instance_types: Any, regions: Any, max_price_per_hour: Any) -> Preferences:
    """The checked preferences of an acquire.

    Raises:
        ValidationError: An empty or malformed list, or a negative price.
    """
    if isinstance(instance_types, (str, InstanceType)):
        instance_types = [instance_types]
    try:
        names = [t.name if isinstance(t, InstanceType) else t for t in instance_types]
    except TypeError:
        raise ValidationError(
            "instance_types", f"expected a list of types or names, got {instance_types!r}"
        ) from None
    if not names or not all(isinstance(n, str) and n for n in names):
        raise ValidationError(
            "instance_types", f"expected a non-empty list of types or names, got {names!r}"
        )
    codes = None
    if regions is not None:
        if isinstance(regions, (str, Region)):
            regions = [regions]
        codes = [r.name if isinstance(r, Region) else r for r in regions]
        if not codes or not all(isinstance(c, str) and c for c in codes):
            raise ValidationError(
                "regions", f"expected None or a non-empty list of regions, got {regions!r}"
            )
    price = None
    if max_price_per_hour is not None:
        try:
            price = Decimal(str(max_price_per_hour))
        except ArithmeticError:
            price = None
        if isinstance(max_price_per_hour, bool) or price is None or not price.is_finite():
            raise ValidationError(
                "max_price_per_hour", f"expected dollars per hour, got {max_price_per_hour!r}"
            )
        if price < 0:
            raise ValidationError("max_price_per_hour", f"must not be negative, got {price}")
    return Preferences(list(dict.fromkeys(names)), codes, price)

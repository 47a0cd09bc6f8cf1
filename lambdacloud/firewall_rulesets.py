"""Firewall rulesets: named sets of inbound rules attached to instances, and the global one."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import attrs

from lambdacloud._api import Api
from lambdacloud._display import ResourceList
from lambdacloud._resource import Manager, Resource, id_of, path_segment
from lambdacloud._validation import check_text
from lambdacloud.errors import ValidationError
from lambdacloud.firewalls import FirewallRule, rules_to_api
from lambdacloud.regions import Region

GLOBAL_ID = "global"


@attrs.define(eq=False, kw_only=True)
class FirewallRuleset(Resource["FirewallRulesetManager"]):
    """A named set of inbound rules in one region, attached to instances at launch.

    Attributes:
        id: The ruleset's id.
        name: Its name.
        region: The region whose instances it can be attached to.
        rules: Its rules.
        created: When it was created.
        instance_ids: The instances it is attached to.
    """

    name: str
    region: Region
    rules: list[FirewallRule]
    created: datetime
    instance_ids: list[str]

    def refresh(self) -> FirewallRuleset:
        """Read the ruleset again.

        Returns:
            This ruleset, updated in place.

        Raises:
            NotFoundError: It no longer exists.
            LambdaCloudError: The request failed.

        API: ``GET /api/v1/firewall-rulesets/{id}``
        """
        return self._replace_state(self._bound().get(self))

    def update(
        self, *, name: str | None = None, rules: Iterable[FirewallRule] | None = None
    ) -> FirewallRuleset:
        """Rename the ruleset and/or replace its rules, updating this object in place:
        ``FirewallRulesetManager.update()`` documents it."""
        return self._replace_state(self._bound().update(self, name=name, rules=rules))

    def delete(self) -> None:
        """Delete the ruleset: ``FirewallRulesetManager.delete()`` documents it."""
        self._bound().delete(self)


@attrs.define(eq=False, kw_only=True)
class GlobalFirewallRuleset(Resource["FirewallRulesetManager"]):
    """The account's global ruleset: rules that apply in every region. Its id is ``global``.

    Attributes:
        id: Always ``"global"``.
        name: Its name.
        rules: Its rules.
    """

    name: str
    rules: list[FirewallRule]

    def refresh(self) -> GlobalFirewallRuleset:
        """Read the global ruleset again.

        Returns:
            This ruleset, updated in place.

        Raises:
            LambdaCloudError: The request failed.

        API: ``GET /api/v1/firewall-rulesets/global``
        """
        return self._replace_state(self._bound().get_global())

    def update(self, *, rules: Iterable[FirewallRule]) -> GlobalFirewallRuleset:
        """Replace the global rules.

        Args:
            rules: The complete new list of rules.

        Returns:
            This ruleset, updated in place.

        Raises:
            ValidationError: ``rules`` is malformed.
            LambdaCloudError: The request failed.

        API: ``PATCH /api/v1/firewall-rulesets/global``
        """
        return self._replace_state(self._bound().update_global(rules=rules))


class FirewallRulesetManager(Manager):
    """``client.firewall_rulesets``: the account's firewall rulesets."""

    def __init__(self, api: Api) -> None:
        super().__init__(api)
        api.serve(FirewallRuleset, self)
        api.serve(GlobalFirewallRuleset, self)

    def list(self) -> ResourceList[FirewallRuleset]:
        """List the firewall rulesets (without the global one).

        Returns:
            The rulesets, in the API's order.

        Raises:
            LambdaCloudError: The request failed.

        API: ``GET /api/v1/firewall-rulesets``
        """
        data = self._request("GET", "/firewall-rulesets")
        return self._structure_list(data, FirewallRuleset, "a list of firewall rulesets")

    def get(self, ruleset: FirewallRuleset | str) -> FirewallRuleset:
        """Read one firewall ruleset (for the global one, use ``get_global()``).

        Args:
            ruleset: The ruleset or its id.

        Returns:
            A new object with the ruleset's current state.

        Raises:
            NotFoundError: No such ruleset.
            LambdaCloudError: The request failed.

        API: ``GET /api/v1/firewall-rulesets/{id}``
        """
        data = self._request("GET", self._path(ruleset))
        return self._structure(data, FirewallRuleset, "a firewall ruleset")

    def create(
        self, name: str, region: Region | str, rules: Iterable[FirewallRule]
    ) -> FirewallRuleset:
        """Create a firewall ruleset.

        Args:
            name: Its name (at most 64 characters).
            region: The region (or its code) whose instances can use it.
            rules: Its rules; ``[]`` for none yet.

        Returns:
            The new ruleset.

        Raises:
            ValidationError: A malformed argument; nothing was sent.
            QuotaExceededError: The account cannot have more rulesets.
            LambdaCloudError: The request failed.

        API: ``POST /api/v1/firewall-rulesets``
        """
        body = {
            "name": check_text("name", name, min_length=1, max_length=64),
            "region": check_text(
                "region", region.name if isinstance(region, Region) else region, min_length=1
            ),
            "rules": rules_to_api("rules", rules),
        }
        data = self._request("POST", "/firewall-rulesets", json_body=body)
        return self._structure(data, FirewallRuleset, "a firewall ruleset")

    def update(
        self,
        ruleset: FirewallRuleset | str,
        *,
        name: str | None = None,
        rules: Iterable[FirewallRule] | None = None,
    ) -> FirewallRuleset:
        """Rename a ruleset and/or replace its rules.

        Args:
            ruleset: The ruleset or its id.
            name: The new name (at most 64 characters).
            rules: The complete new list of rules.

        Returns:
            A new object with the updated ruleset.

        Raises:
            ValidationError: Neither argument given, or one is malformed.
            LambdaCloudError: The request failed.

        API: ``PATCH /api/v1/firewall-rulesets/{id}``
        """
        path = self._path(ruleset)
        body: dict[str, Any] = {}
        if name is not None:
            body["name"] = check_text("name", name, min_length=1, max_length=64)
        if rules is not None:
            body["rules"] = rules_to_api("rules", rules)
        if not body:
            raise ValidationError("name", "pass name= and/or rules= to update a ruleset")
        data = self._request("PATCH", path, json_body=body)
        return self._structure(data, FirewallRuleset, "a firewall ruleset")

    def delete(self, ruleset: FirewallRuleset | str) -> None:
        """Delete a firewall ruleset.

        Args:
            ruleset: The ruleset or its id.

        Raises:
            FirewallRulesetInUseError: Instances still use it; terminate them first.
            NotFoundError: No such ruleset.
            LambdaCloudError: The request failed.

        API: ``DELETE /api/v1/firewall-rulesets/{id}``
        """
        self._request("DELETE", self._path(ruleset))

    def get_global(self) -> GlobalFirewallRuleset:
        """Read the global ruleset, whose rules apply in every region.

        Returns:
            The global ruleset.

        Raises:
            LambdaCloudError: The request failed.

        API: ``GET /api/v1/firewall-rulesets/global``
        """
        data = self._request("GET", f"/firewall-rulesets/{GLOBAL_ID}")
        return self._structure(data, GlobalFirewallRuleset, "the global firewall ruleset")

    def update_global(self, rules: Iterable[FirewallRule]) -> GlobalFirewallRuleset:
        """Replace the rules of the global ruleset.

        Args:
            rules: The complete new list of rules.

        Returns:
            The updated global ruleset.

        Raises:
            ValidationError: ``rules`` is malformed; nothing was sent.
            LambdaCloudError: The request failed.

        API: ``PATCH /api/v1/firewall-rulesets/global``
        """
        body = {"rules": rules_to_api("rules", rules)}
        data = self._request("PATCH", f"/firewall-rulesets/{GLOBAL_ID}", json_body=body)
        return self._structure(data, GlobalFirewallRuleset, "the global firewall ruleset")

    def _path(self, ruleset: FirewallRuleset | str) -> str:
        ruleset_id = id_of(ruleset, "ruleset")
        if ruleset_id == GLOBAL_ID:
            raise ValidationError(
                "ruleset", "the global ruleset has its own calls: get_global(), update_global()"
            )
        return f"/firewall-rulesets/{path_segment(ruleset_id)}"

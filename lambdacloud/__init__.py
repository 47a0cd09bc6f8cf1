"""A typed, resource-oriented client for the Lambda Cloud API.

```python
from lambdacloud import Client

client = Client()  # the key from LAMBDA_API_KEY or ~/.lambda_cloud/lambda_keys
for instance_type in client.instance_types.list():
    print(instance_type.name, instance_type.price_per_hour)
```
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from lambdacloud._version import __version__
from lambdacloud.errors import (
    AccountInactiveError,
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    ClientClosedError,
    ConflictError,
    DuplicateError,
    FilesystemInUseError,
    FilesystemInWrongRegionError,
    FirewallRulesetInUseError,
    InstanceStatusError,
    InsufficientCapacityError,
    InvalidBillingAddressError,
    InvalidParametersError,
    LambdaCloudError,
    LaunchAbortedError,
    MalformedResponseError,
    MissingAPIKeyError,
    NotFoundError,
    PermissionDeniedError,
    ProviderError,
    ProxyAuthenticationError,
    QuotaExceededError,
    RateLimitError,
    ServerError,
    TicketCreationFailedError,
    ValidationError,
    WaitError,
    WaitTimeoutError,
)

if TYPE_CHECKING:
    from lambdacloud._display import ResourceList
    from lambdacloud._waiting import WaitProgress
    from lambdacloud.audit_events import AuditEvent, AuditEventManager, AuditResult, ResultStatus
    from lambdacloud.client import Client
    from lambdacloud.filesystems import (
        Filesystem,
        FilesystemManager,
        FilesystemMount,
        User,
        UserStatus,
    )
    from lambdacloud.firewall_rulesets import (
        FirewallRuleset,
        FirewallRulesetManager,
        GlobalFirewallRuleset,
    )
    from lambdacloud.firewalls import FirewallRule, FirewallRuleManager, NetworkProtocol
    from lambdacloud.images import Image, ImageManager
    from lambdacloud.instance_types import (
        Architecture,
        InstanceType,
        InstanceTypeManager,
        InstanceTypeSpecs,
    )
    from lambdacloud.instances import (
        ActionAvailability,
        Instance,
        InstanceActions,
        InstanceImage,
        InstanceManager,
        InstanceStatus,
    )
    from lambdacloud.regions import Region, RegionManager
    from lambdacloud.ssh_keys import GeneratedSSHKey, SSHKey, SSHKeyManager
    from lambdacloud.ticket_attachments import (
        Attachment,
        AttachmentDownload,
        AttachmentUpload,
        AttachmentUploadStatus,
    )
    from lambdacloud.tickets import (
        Ticket,
        TicketComment,
        TicketManager,
        TicketPriority,
        TicketSeverity,
        TicketStatus,
        TicketType,
    )

#: The module of each public name that is imported when the name is first used: the
#: models pull in attrs and cattrs, the client requests, and a notebook or script that
#: only imports the package should not pay for what it does not touch.
_LAZY = {
    "ResourceList": "_display",
    "WaitProgress": "_waiting",
    "AuditEvent": "audit_events",
    "AuditEventManager": "audit_events",
    "AuditResult": "audit_events",
    "ResultStatus": "audit_events",
    "Client": "client",
    "Filesystem": "filesystems",
    "FilesystemManager": "filesystems",
    "FilesystemMount": "filesystems",
    "User": "filesystems",
    "UserStatus": "filesystems",
    "FirewallRuleset": "firewall_rulesets",
    "FirewallRulesetManager": "firewall_rulesets",
    "GlobalFirewallRuleset": "firewall_rulesets",
    "FirewallRule": "firewalls",
    "FirewallRuleManager": "firewalls",
    "NetworkProtocol": "firewalls",
    "Image": "images",
    "ImageManager": "images",
    "Architecture": "instance_types",
    "InstanceType": "instance_types",
    "InstanceTypeManager": "instance_types",
    "InstanceTypeSpecs": "instance_types",
    "ActionAvailability": "instances",
    "Instance": "instances",
    "InstanceActions": "instances",
    "InstanceImage": "instances",
    "InstanceManager": "instances",
    "InstanceStatus": "instances",
    "Region": "regions",
    "RegionManager": "regions",
    "GeneratedSSHKey": "ssh_keys",
    "SSHKey": "ssh_keys",
    "SSHKeyManager": "ssh_keys",
    "Attachment": "ticket_attachments",
    "AttachmentDownload": "ticket_attachments",
    "AttachmentUpload": "ticket_attachments",
    "AttachmentUploadStatus": "ticket_attachments",
    "Ticket": "tickets",
    "TicketComment": "tickets",
    "TicketManager": "tickets",
    "TicketPriority": "tickets",
    "TicketSeverity": "tickets",
    "TicketStatus": "tickets",
    "TicketType": "tickets",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'lambdacloud' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"lambdacloud.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "APIConnectionError",
    "APITimeoutError",
    "AccountInactiveError",
    "ActionAvailability",
    "Architecture",
    "Attachment",
    "AttachmentDownload",
    "AttachmentUpload",
    "AttachmentUploadStatus",
    "AuditEvent",
    "AuditEventManager",
    "AuditResult",
    "AuthenticationError",
    "Client",
    "ClientClosedError",
    "ConflictError",
    "DuplicateError",
    "Filesystem",
    "FilesystemInUseError",
    "FilesystemInWrongRegionError",
    "FilesystemManager",
    "FilesystemMount",
    "FirewallRule",
    "FirewallRuleManager",
    "FirewallRuleset",
    "FirewallRulesetInUseError",
    "FirewallRulesetManager",
    "GeneratedSSHKey",
    "GlobalFirewallRuleset",
    "Image",
    "ImageManager",
    "Instance",
    "InstanceActions",
    "InstanceImage",
    "InstanceManager",
    "InstanceStatus",
    "InstanceStatusError",
    "InstanceType",
    "InstanceTypeManager",
    "InstanceTypeSpecs",
    "InsufficientCapacityError",
    "InvalidBillingAddressError",
    "InvalidParametersError",
    "LambdaCloudError",
    "LaunchAbortedError",
    "MalformedResponseError",
    "MissingAPIKeyError",
    "NetworkProtocol",
    "NotFoundError",
    "PermissionDeniedError",
    "ProviderError",
    "ProxyAuthenticationError",
    "QuotaExceededError",
    "RateLimitError",
    "Region",
    "RegionManager",
    "ResourceList",
    "ResultStatus",
    "SSHKey",
    "SSHKeyManager",
    "ServerError",
    "Ticket",
    "TicketComment",
    "TicketCreationFailedError",
    "TicketManager",
    "TicketPriority",
    "TicketSeverity",
    "TicketStatus",
    "TicketType",
    "User",
    "UserStatus",
    "ValidationError",
    "WaitError",
    "WaitProgress",
    "WaitTimeoutError",
    "__version__",
]

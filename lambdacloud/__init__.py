"""A typed, resource-oriented client for the Lambda Cloud API.

```python
from lambdacloud import Client

client = Client()  # the key from LAMBDA_API_KEY or ~/.lambda_cloud/lambda_keys
for instance_type in client.instance_types.list():
    print(instance_type.name, instance_type.price_per_hour)
```
"""

from __future__ import annotations

from lambdacloud._display import ResourceList
from lambdacloud._resource import Paged
from lambdacloud._version import __version__
from lambdacloud.audit_events import AuditEvent, AuditEventManager, AuditResult, ResultStatus
from lambdacloud.client import Client
from lambdacloud.errors import (
    AccountInactiveError,
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    CapacityTimeoutError,
    CleanupError,
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
from lambdacloud.filesystems import Filesystem, FilesystemManager, FilesystemMount, User, UserStatus
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
    AcquireEvent,
    ActionAvailability,
    CapacityRead,
    Instance,
    InstanceActions,
    InstanceImage,
    InstanceManager,
    InstanceStatus,
    LaunchAttempt,
    Launched,
    LaunchRefused,
    WaitProgress,
)
from lambdacloud.regions import Region, RegionManager
from lambdacloud.ssh_keys import GeneratedSSHKey, SSHKey, SSHKeyManager
from lambdacloud.tickets import (
    Attachment,
    AttachmentDownload,
    AttachmentManager,
    AttachmentUpload,
    AttachmentUploadStatus,
    Ticket,
    TicketComment,
    TicketManager,
    TicketPriority,
    TicketSeverity,
    TicketStatus,
    TicketType,
)

__all__ = [
    "APIConnectionError",
    "APITimeoutError",
    "AccountInactiveError",
    "AcquireEvent",
    "ActionAvailability",
    "Architecture",
    "Attachment",
    "AttachmentDownload",
    "AttachmentManager",
    "AttachmentUpload",
    "AttachmentUploadStatus",
    "AuditEvent",
    "AuditEventManager",
    "AuditResult",
    "AuthenticationError",
    "CapacityRead",
    "CapacityTimeoutError",
    "CleanupError",
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
    "LaunchAttempt",
    "LaunchRefused",
    "Launched",
    "MalformedResponseError",
    "MissingAPIKeyError",
    "NetworkProtocol",
    "NotFoundError",
    "Paged",
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

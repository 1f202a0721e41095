"""Azure built-in role definitions (real GUIDs and action lists) and RBAC evaluation."""

from __future__ import annotations

import re
from functools import lru_cache

# name -> (guid, description, actions, notActions)
BUILTIN_ROLES = {
    "Owner": (
        "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
        "Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.",
        ["*"], [],
    ),
    "Contributor": (
        "b24988ac-6180-42a0-ab88-20f7382dd24c",
        "Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC, "
        "manage assignments in Azure Blueprints, or share image galleries.",
        ["*"],
        [
            "Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write",
            "Microsoft.Authorization/elevateAccess/Action", "Microsoft.Blueprint/blueprintAssignments/write",
            "Microsoft.Blueprint/blueprintAssignments/delete", "Microsoft.Compute/galleries/share/action",
            "Microsoft.Purview/consents/write", "Microsoft.Purview/consents/delete",
            "Microsoft.Resources/deploymentStacks/manageDenySetting/action",
            "Microsoft.Subscription/cancel/action", "Microsoft.Subscription/enable/action",
        ],
    ),
    "Reader": (
        "acdd72a7-3385-48ef-bd42-f606fba81ae7",
        "View all resources, but does not allow you to make any changes.",
        ["*/read"], [],
    ),
    "User Access Administrator": (
        "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
        "Lets you manage user access to Azure resources.",
        ["*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"], [],
    ),
    "Role Based Access Control Administrator": (
        "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
        "Manage access to Azure resources by assigning roles using Azure RBAC. This role does not allow you to "
        "manage access using other ways, such as Azure Policy.",
        [
            "Microsoft.Authorization/roleAssignments/write", "Microsoft.Authorization/roleAssignments/delete",
            "*/read", "Microsoft.Support/*",
        ],
        [],
    ),
    "Network Contributor": (
        "4d97b98b-1d4f-4787-a291-c67834d212e7",
        "Lets you manage networks, but not access to them.",
        [
            "Microsoft.Authorization/*/read", "Microsoft.Insights/alertRules/*", "Microsoft.Network/*",
            "Microsoft.ResourceHealth/availabilityStatuses/read", "Microsoft.Resources/deployments/*",
            "Microsoft.Resources/subscriptions/resourceGroups/read", "Microsoft.Support/*",
        ],
        [],
    ),
    "Windows 365 Network Interface Contributor": (
        "1f135831-5bbe-4924-9016-264044c00788",
        "This role is used by Windows365 to provision required network interfaces in a customer's resource "
        "group.",
        [
            "Microsoft.Resources/subscriptions/resourcegroups/read",
            "Microsoft.Resources/deployments/read", "Microsoft.Resources/deployments/write",
            "Microsoft.Resources/deployments/delete", "Microsoft.Resources/deployments/operations/read",
            "Microsoft.Resources/deployments/operationstatuses/read",
            "Microsoft.Network/locations/operations/read", "Microsoft.Network/locations/operationResults/read",
            "Microsoft.Network/locations/usages/read", "Microsoft.Network/networkInterfaces/write",
            "Microsoft.Network/networkInterfaces/read", "Microsoft.Network/networkInterfaces/delete",
            "Microsoft.Network/networkInterfaces/join/action",
            "Microsoft.Network/networkInterfaces/effectiveNetworkSecurityGroups/action",
            "Microsoft.Network/networkInterfaces/effectiveRouteTable/action",
        ],
        [],
    ),
    "Windows 365 Network User": (
        "7eabc9a4-85f7-4f71-b8ab-75daaccc1033",
        "This role is used by Windows365 to read virtual networks and join the designated virtual networks.",
        [
            "Microsoft.Network/virtualNetworks/read", "Microsoft.Network/virtualNetworks/subnets/read",
            "Microsoft.Network/virtualNetworks/usages/read", "Microsoft.Network/virtualNetworks/subnets/join/action",
        ],
        [],
    ),
}

_BY_GUID = {guid: name for name, (guid, _d, _a, _n) in BUILTIN_ROLES.items()}
_BY_LOWER_NAME = {name.lower(): name for name in BUILTIN_ROLES}
GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def role_guid(name_or_guid: str) -> str | None:
    """The built-in role GUID for a role name (case-insensitive) or GUID; None when it is not built in."""
    value = str(name_or_guid).strip()
    if GUID_RE.match(value):
        return value.lower() if value.lower() in _BY_GUID else None
    name = _BY_LOWER_NAME.get(value.lower())
    return BUILTIN_ROLES[name][0] if name else None


def role_by_guid(guid: str):
    """(name, guid, description, actions, notActions) or None."""
    name = _BY_GUID.get(str(guid).lower())
    if name is None:
        return None
    g, desc, actions, not_actions = BUILTIN_ROLES[name]
    return name, g, desc, actions, not_actions


def all_roles():
    for name, (guid, desc, actions, not_actions) in BUILTIN_ROLES.items():
        yield name, guid, desc, actions, not_actions


@lru_cache(maxsize=512)
def _pattern(action_pattern: str) -> re.Pattern:
    return re.compile("^" + ".*".join(re.escape(p) for p in action_pattern.split("*")) + "$", re.IGNORECASE)


def action_matches(pattern: str, action: str) -> bool:
    return bool(_pattern(pattern).match(action))


def role_allows(guid: str, action: str) -> bool:
    role = role_by_guid(guid)
    if role is None:
        return False
    _name, _g, _d, actions, not_actions = role
    return any(action_matches(p, action) for p in actions) and not any(
        action_matches(p, action) for p in not_actions
    )


def scope_covers(assignment_scope: str, target_scope: str) -> bool:
    """True when an assignment at `assignment_scope` applies to `target_scope` (same scope or a parent)."""
    a = assignment_scope.rstrip("/").lower()
    t = target_scope.rstrip("/").lower()
    return a == "" or a == t or t.startswith(a + "/")

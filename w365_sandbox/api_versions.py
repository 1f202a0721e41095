"""ARM api-version checks: each resource type accepts only the versions its provider publishes.

Real ARM answers an unsupported version in two ways. Types ARM serves itself (subscriptions, resource groups,
Microsoft.Authorization) get 400 `InvalidApiVersionParameter` listing the supported versions; types it routes to a
resource provider (Microsoft.Network, Microsoft.Compute) get 400 `NoRegisteredProviderFound`, naming the resource
group's location and listing versions and locations. The lists below are a realistic subset of the published ones:
they include every version the shipped SDKs default to and every version the collection's plain-REST reads use.
"""

from __future__ import annotations

from .errors import ApiError

# Shared by subscriptions and resource groups: ARM itself serves both, with one version list.
RESOURCES = (
    "2014-04-01", "2014-04-01-preview", "2015-01-01", "2015-11-01", "2016-02-01", "2016-06-01", "2016-07-01",
    "2016-09-01", "2017-05-10", "2017-06-01", "2017-08-01", "2018-02-01", "2018-05-01", "2018-06-01",
    "2019-03-01", "2019-05-01", "2019-05-10", "2019-06-01", "2019-07-01", "2019-08-01", "2019-10-01",
    "2019-11-01", "2020-01-01", "2020-06-01", "2020-10-01", "2021-01-01", "2021-04-01", "2022-01-01",
    "2022-09-01", "2022-12-01", "2023-07-01", "2024-03-01", "2024-07-01", "2024-11-01", "2025-01-01",
    "2025-03-01", "2025-04-01",
)

ROLE_ASSIGNMENTS = (
    "2014-07-01-preview", "2015-06-01", "2015-07-01", "2017-10-01-preview", "2018-01-01-preview",
    "2018-09-01-preview", "2018-12-01-preview", "2019-04-01-preview", "2020-03-01-preview", "2020-04-01-preview",
    "2020-08-01-preview", "2020-10-01-preview", "2021-04-01-preview", "2022-01-01-preview", "2022-04-01",
    "2022-05-01-preview",
)

ROLE_DEFINITIONS = ("2015-07-01", "2018-01-01-preview", "2022-04-01", "2022-05-01-preview")

PERMISSIONS = ("2015-07-01", "2018-01-01-preview", "2022-04-01", "2022-05-01-preview")

NETWORK = (
    "2014-12-01-preview", "2015-05-01-preview", "2015-06-15", "2016-03-30", "2016-06-01", "2016-09-01",
    "2016-12-01", "2017-03-01", "2017-06-01", "2017-09-01", "2017-11-01", "2018-02-01", "2018-04-01",
    "2018-06-01", "2018-08-01", "2018-10-01", "2018-12-01", "2019-02-01", "2019-04-01", "2019-06-01",
    "2019-08-01", "2019-09-01", "2019-11-01", "2019-12-01", "2020-03-01", "2020-04-01", "2020-05-01",
    "2020-06-01", "2020-07-01", "2020-08-01", "2020-11-01", "2021-02-01", "2021-03-01", "2021-05-01",
    "2021-08-01", "2022-01-01", "2022-05-01", "2022-07-01", "2022-09-01", "2022-11-01", "2023-02-01",
    "2023-04-01", "2023-05-01", "2023-06-01", "2023-09-01", "2023-11-01", "2024-01-01", "2024-03-01",
    "2024-05-01", "2024-07-01", "2024-10-01", "2025-01-01", "2025-03-01", "2025-05-01", "2025-07-01",
    "2026-01-01", "2026-03-01",
)

COMPUTE_IMAGES = (
    "2016-04-30-preview", "2017-03-30", "2017-12-01", "2018-04-01", "2018-06-01", "2018-10-01", "2019-03-01",
    "2019-07-01", "2019-12-01", "2020-06-01", "2020-12-01", "2021-03-01", "2021-04-01", "2021-07-01",
    "2021-11-01", "2022-03-01", "2022-08-01", "2022-11-01", "2023-03-01", "2023-07-01", "2023-09-01",
    "2024-03-01", "2024-07-01", "2024-11-01", "2025-04-01",
)

# Azure Compute Gallery (Microsoft.Compute/galleries and its images and versions) is versioned apart from the rest of
# Microsoft.Compute (azure-rest-api-specs specification/compute/resource-manager/Microsoft.Compute/GalleryRP/stable).
COMPUTE_GALLERIES = (
    "2018-06-01", "2019-03-01", "2019-07-01", "2019-12-01", "2020-09-30", "2021-07-01", "2021-10-01",
    "2022-01-03", "2022-03-03", "2022-08-03", "2023-07-03", "2024-03-03",
)

# Listed in NoRegisteredProviderFound messages; the real list is every public region.
LOCATIONS = (
    "eastus", "eastus2", "westus", "westus2", "westus3", "centralus", "northcentralus", "southcentralus",
    "westcentralus", "canadacentral", "canadaeast", "brazilsouth", "northeurope", "westeurope", "uksouth",
    "ukwest", "francecentral", "germanywestcentral", "swedencentral", "switzerlandnorth", "norwayeast",
    "eastasia", "southeastasia", "japaneast", "japanwest", "koreacentral", "australiaeast", "australiasoutheast",
    "centralindia", "southindia", "westindia", "uaenorth", "southafricanorth",
)

# (provider-routed?, type name as ARM spells it in messages, versions)
_AUTHZ = {
    "roleassignments": (False, "roleAssignments", ROLE_ASSIGNMENTS),
    "roledefinitions": (False, "roleDefinitions", ROLE_DEFINITIONS),
    "permissions": (False, "permissions", PERMISSIONS),
}


def _resolve(segs):
    """(routed, type, versions, resource group name or None) for an ARM path, or None when the path names no type
    the sandbox serves (the handlers answer those with 404)."""
    low = [s.lower() for s in segs]
    n = len(low)
    if not low or low[0] not in ("subscriptions", "providers"):
        return None
    # Microsoft.Authorization may hang off any scope, including the root ("/providers/...").
    for i in range(n - 2, -1, -1):
        if low[i] == "providers" and low[i + 1] == "microsoft.authorization":
            found = _AUTHZ.get(low[i + 2]) if i + 2 < n else None
            return (*found, None) if found else None
    if low[0] != "subscriptions":
        return None
    if n <= 2 or (n == 3 and low[2] == "resourcegroups") or (n == 4 and low[2] == "resourcegroups"):
        return False, "subscriptions" if n <= 2 else "resourceGroups", RESOURCES, None
    if n == 5 and low[2:5] == ["providers", "microsoft.network", "virtualnetworks"]:
        return True, "virtualNetworks", NETWORK, None
    if n >= 7 and low[2] == "resourcegroups" and low[4] == "providers":
        ns, rtype, rest = low[5], low[6], low[7:]
        if ns == "microsoft.network" and rtype == "virtualnetworks":
            sub_type = {"subnets": "virtualNetworks/subnets", "usages": "virtualNetworks/usages"}.get(
                rest[1] if len(rest) >= 2 else "", "virtualNetworks")
            return True, sub_type, NETWORK, segs[3]
        if ns == "microsoft.compute" and rtype == "images":
            return True, "images", COMPUTE_IMAGES, segs[3]
        if ns == "microsoft.compute" and rtype == "galleries":
            sub_type = {3: "galleries/images", 5: "galleries/images/versions"}.get(len(rest), "galleries")
            return True, sub_type, COMPUTE_GALLERIES, segs[3]
    return None


def check(emu, tenant, segs, version: str) -> None:
    """Raise the ARM error for an api-version the addressed resource type does not support."""
    found = _resolve(segs)
    if found is None:
        return
    routed, rtype, versions, rg_name = found
    if version in versions:
        return
    # As the real messages do: ARM's own list newest first without spaces, a provider's oldest first.
    listed = ",".join(reversed(versions)) if not routed else ", ".join(versions)
    if not routed:
        raise ApiError(400, "InvalidApiVersionParameter",
                       f"The api-version '{version}' is invalid. The supported versions are '{listed}'.")
    location = _location(emu, tenant, segs[1], rg_name)
    if location is None:
        return  # ARM reports the missing subscription or resource group first; the handlers do
    raise ApiError(400, "NoRegisteredProviderFound",
                   f"No registered resource provider found for location '{location}' and API version "
                   f"'{version}' for type '{rtype}'. The supported api-versions are '{listed}'. The supported "
                   f"locations are '{', '.join(LOCATIONS)}'.")


def _location(emu, tenant, sub_id, rg_name):
    owner, sub = emu.subscription(sub_id)
    if sub is None or owner is not tenant:
        return None
    if rg_name is None:
        # A subscription-wide list is routed to the provider's global endpoint.
        return "global"
    rg = sub.resource_groups.get(rg_name.lower())
    return rg.location if rg is not None else None

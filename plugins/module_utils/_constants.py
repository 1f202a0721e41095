# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixed identifiers Windows 365 and Azure publish (see docs/w365-api-facts.md §6)."""

from __future__ import annotations

# The "Windows 365" first-party app; the same app ID is used in Azure Government tenants.
WINDOWS365_APP_ID = '0af06dc6-e4b5-4f28-818e-e78e62d137a5'

# Built-in Azure role definition GUIDs (identical in every tenant and cloud).
ROLE_READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7'
ROLE_W365_NETWORK_INTERFACE_CONTRIBUTOR = '1f135831-5bbe-4924-9016-264044c00788'
ROLE_W365_NETWORK_USER = '7eabc9a4-85f7-4f71-b8ab-75daaccc1033'
# What ANCs used before 2023-11-26; only ever removed, never granted by this collection.
ROLE_NETWORK_CONTRIBUTOR = '4d97b98b-1d4f-4787-a291-c67834d212e7'

ROLE_OWNER = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635'
ROLE_USER_ACCESS_ADMINISTRATOR = '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9'
ROLE_RBAC_ADMINISTRATOR = 'f58310d9-a9f6-439a-9e8d-f62e7b41a168'

# Built-in roles holding Microsoft.Authorization/roleAssignments/write: GUID -> display name.
# A dict so `guid in ROLES_THAT_CAN_GRANT` works and messages can name the role.
ROLES_THAT_CAN_GRANT = {
    ROLE_OWNER: 'Owner',
    ROLE_USER_ACCESS_ADMINISTRATOR: 'User Access Administrator',
    ROLE_RBAC_ADMINISTRATOR: 'Role Based Access Control Administrator',
}

ROLE_NAMES = {
    ROLE_READER: 'Reader',
    ROLE_W365_NETWORK_INTERFACE_CONTRIBUTOR: 'Windows 365 Network Interface Contributor',
    ROLE_W365_NETWORK_USER: 'Windows 365 Network User',
    ROLE_NETWORK_CONTRIBUTOR: 'Network Contributor',
    ROLE_OWNER: 'Owner',
    ROLE_USER_ACCESS_ADMINISTRATOR: 'User Access Administrator',
    ROLE_RBAC_ADMINISTRATOR: 'Role Based Access Control Administrator',
}

# Newest Windows 365 doc (2024-11): up to 50 Azure network connections per tenant (older revisions said 10).
DEFAULT_ANC_LIMIT = 50

# Microsoft's public "Azure CLI" client: the default client for the delegated password grant.
AZURE_CLI_CLIENT_ID = '04b07795-8ddb-461a-bbee-02f9e1bf7b46'

# Azure regions where Windows 365 can place Cloud PCs on an Azure network connection, the fallback list for when the
# caller may not read Graph's supportedRegions (beta GET deviceManagement/virtualEndpoint/supportedRegions, which
# w365_preflight reads first). Source: Microsoft Learn, "Requirements for Windows 365", section "Supported Azure regions
# for Cloud PC provisioning" (https://learn.microsoft.com/windows-365/enterprise/requirements); the Government tab names
# US Gov Virginia and US Gov Arizona only. Microsoft adds regions over time: w365_preflight takes `supported_regions`.
SUPPORTED_ANC_REGIONS = (
    'australiaeast', 'australiasoutheast', 'brazilsouth', 'canadacentral', 'canadaeast', 'centralindia',
    'centralus', 'eastasia', 'eastus', 'eastus2', 'francecentral', 'germanywestcentral', 'israelcentral',
    'italynorth', 'japaneast', 'japanwest', 'koreacentral', 'mexicocentral', 'northcentralus', 'northeurope',
    'norwayeast', 'polandcentral', 'southafricanorth', 'southcentralus', 'southeastasia', 'southindia',
    'spaincentral', 'swedencentral', 'switzerlandnorth', 'uaenorth', 'uksouth', 'ukwest', 'westcentralus',
    'westeurope', 'westus', 'westus2', 'westus3', 'usgovarizona', 'usgovvirginia',
)

# Graph beta: the regions Windows 365 supports, with their status (cloudPcSupportedRegion, regionStatus available /
# restricted / unavailable, supportedSolution windows365 / devBox); needs CloudPC.Read.All.
SUPPORTED_REGIONS_PATH = 'deviceManagement/virtualEndpoint/supportedRegions'

# ARM api-versions for reading upload sources: Microsoft.Compute/images (managed images) and the Azure Compute Gallery
# types Microsoft.Compute/galleries, galleries/images and galleries/images/versions (gallery API, versioned apart from
# the rest of Microsoft.Compute; azure-rest-api-specs specification/compute/.../GalleryRP/stable/2024-03-03).
COMPUTE_API_VERSION = '2024-03-01'
COMPUTE_GALLERY_API_VERSION = '2024-03-03'

# Largest OS disk a source image may have by default (Microsoft Learn, Windows 365 "Device images overview": "Default
# 64-GB OS disk size. The OS disk size is automatically adjusted to the size specified in SKU description of the
# Windows 365 license").
IMAGE_MAX_OS_DISK_GB = 64

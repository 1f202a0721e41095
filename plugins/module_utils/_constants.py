# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place for fixed identifiers, Graph paths, ARM api-versions and service limits.

Identifiers are what Windows 365 and Azure publish; paths and api-versions are what the collection sends (the
sandbox test tests/unit/emulator/test_arm.py imports the api-versions from here and checks each is one it accepts).
"""

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
# The default of option anc_limit (w365_anc, w365_preflight).
DEFAULT_ANC_LIMIT = 50

# Microsoft Graph paths, relative to {graph endpoint}/{v1.0|beta}/.
GRAPH_ANC_PATH = 'deviceManagement/virtualEndpoint/onPremisesConnections'
GRAPH_PROVISIONING_POLICIES_PATH = 'deviceManagement/virtualEndpoint/provisioningPolicies'
GRAPH_DEVICE_IMAGES_PATH = 'deviceManagement/virtualEndpoint/deviceImages'
# Windows 365 gallery images (read-only cloudPcGalleryImage: ids are publisher_offer_sku, with start/end/expiry dates).
GRAPH_GALLERY_IMAGES_PATH = 'deviceManagement/virtualEndpoint/galleryImages'
# Entra groups (provisioning policy assignments target Microsoft 365 and security groups).
GRAPH_GROUPS_PATH = 'groups'
GRAPH_SERVICE_PRINCIPALS_PATH = 'servicePrincipals'
GRAPH_CLOUD_PCS_PATH = 'deviceManagement/virtualEndpoint/cloudPCs'
# crossRegionDisasterRecoverySetting is documented on the beta cloudPcUserSetting only: read user settings from beta.
GRAPH_USER_SETTINGS_PATH = 'deviceManagement/virtualEndpoint/userSettings'

# ARM api-versions of the plain REST reads (module.arm) and of the role-assignment calls.
API_SUBSCRIPTIONS = '2022-12-01'
API_RESOURCE_GROUPS = '2021-04-01'
API_NETWORK = '2024-05-01'
API_PERMISSIONS = '2022-04-01'
# Reading upload sources: Microsoft.Compute/images (managed images), and the Azure Compute Gallery types
# Microsoft.Compute/galleries, galleries/images and galleries/images/versions (the gallery API is versioned apart from
# the rest of Microsoft.Compute; azure-rest-api-specs specification/compute/.../GalleryRP/stable/2024-03-03).
API_COMPUTE = '2024-03-01'
API_COMPUTE_GALLERY = '2024-03-03'
# What azure-mgmt-authorization 4.0 uses for role assignments (creates and deletes still go through it).
API_ROLE_ASSIGNMENTS = '2022-04-01'

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

# Every Azure region name (the `name` of ARM's "Subscriptions - List Locations", as `az account list-locations`
# prints it) of the public, US Government and China clouds, physical regions only. The rollout refuses a
# `w365_region` that is not one of these before any request; inventory variable `w365_extra_azure_regions` adds
# regions Microsoft opens after a release. One list for the whole collection: keep it sorted.
AZURE_REGIONS = tuple(sorted(set(SUPPORTED_ANC_REGIONS) | {
    'australiacentral', 'australiacentral2', 'austriaeast', 'belgiumcentral', 'brazilsoutheast', 'brazilus',
    'centraluseuap', 'chilecentral', 'eastus2euap', 'francesouth', 'germanynorth', 'indonesiacentral',
    'jioindiacentral', 'jioindiawest', 'koreasouth', 'malaysiawest', 'newzealandnorth', 'norwaywest',
    'qatarcentral', 'southafricawest', 'swedensouth', 'switzerlandwest', 'taiwannorth', 'taiwannorthwest',
    'uaecentral', 'westindia', 'usgoviowa', 'usgovtexas', 'usdodcentral', 'usdodeast', 'chinaeast', 'chinaeast2', 'chinaeast3',
    'chinanorth', 'chinanorth2', 'chinanorth3',
}))

# Graph beta: the regions Windows 365 supports, with their status (cloudPcSupportedRegion, regionStatus available /
# restricted / unavailable, supportedSolution windows365 / devBox); needs CloudPC.Read.All.
SUPPORTED_REGIONS_PATH = 'deviceManagement/virtualEndpoint/supportedRegions'


# Largest OS disk a source image may have by default (Microsoft Learn, Windows 365 "Device images overview": "Default
# 64-GB OS disk size. The OS disk size is automatically adjusted to the size specified in SKU description of the
# Windows 365 license").
IMAGE_MAX_OS_DISK_GB = 64

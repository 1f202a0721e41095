# -*- coding: utf-8 -*-
# Copyright: (c) 2026, w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one table of Azure network connection health-check error types: what each means and how to fix it.

Source of the error types and their meaning: Microsoft Graph, resource type cloudPcOnPremisesConnectionHealthCheck,
property errorType (enum cloudPcOnPremisesConnectionHealthCheckErrorType, v1.0 and beta; the beta page describes
every member) https://learn.microsoft.com/graph/api/resources/cloudpconpremisesconnectionhealthcheck?view=graph-rest-beta
and the Windows 365 pages "Azure network connection health checks"
(https://learn.microsoft.com/windows-365/enterprise/health-checks) and "Troubleshoot Azure network connections"
(https://learn.microsoft.com/windows-365/enterprise/troubleshoot-azure-network-connection).

The module results (``explanation`` and ``remedy`` of each health check), the rollout report and the two
documentation tables (docs/anc.md and docs/docsite/rst/troubleshooting_health_checks.rst, written by
``docs/gen_health_checks.py``) all come from this table. The sandbox does not read it: it draws its error types
from Microsoft's published enum.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

# Sections of the documentation, in order: key -> (title, errorType prefix shown in the heading).
CATEGORIES = (
    ('dns', 'DNS', 'dnsCheck'),
    ('ad_join', 'Active Directory domain join', 'adJoinCheck'),
    ('endpoint', 'Endpoint connectivity', 'endpointConnectivityCheck'),
    ('device_sync', 'Entra device sync (hybrid join, warning level)', 'azureAdDeviceSyncCheck'),
    ('resource', 'Azure resources', 'resourceAvailabilityCheck'),
    ('permission', 'Azure role grants', 'permissionCheck'),
    ('udp', 'UDP connectivity (warning level)', 'udpConnectivityCheck'),
    ('internal', 'Service-side errors', 'internalServer'),
    ('other', 'Other checks', ''),
)

_RERUN = 'Run the checks again (w365_anc with run_health_checks: true).'
_RERUN_SUPPORT = _RERUN + ' If it keeps failing, open a Microsoft support case quoting the correlation_id.'
_GRANT = ('Run w365_role_grant with purpose: network_connection for the connection\'s subscription, resource group '
          'and virtual network (as an Owner, User Access Administrator or Role Based Access Control Administrator), '
          'then run the checks again.')
_ENDPOINTS = ('Allow the endpoints of Microsoft\'s Windows 365 network requirements (many under '
              '*.infra.windows365.microsoft.com) through firewalls and proxies, and do not TLS-inspect Cloud PC '
              'traffic; then run the checks again.')
_DEVICE_SYNC = ('Make Microsoft Entra Connect sync the OU in organizational_unit, with device sync on and at least '
                'hourly; the check can warn for up to 90 minutes after a change.')

# errorType -> (category, explanation, remedy). Keep the order of Microsoft's enum inside each category.
ERROR_TYPES = {
    # -- DNS
    'dnsCheckFqdnNotFound': (
        'dns', 'The DNS servers of the virtual network cannot resolve ad_domain_name, or the name is wrong.',
        'Set the virtual network\'s custom DNS servers to servers that resolve the Active Directory domain '
        '(usually the domain controllers), and check ad_domain_name.'),
    'dnsCheckNameWithInvalidCharacter': (
        'dns', 'ad_domain_name holds characters a DNS name cannot have.',
        'Give the DNS name of the domain (corp.contoso.com), not a NetBIOS name.'),
    'dnsCheckUnknownError': (
        'dns', 'Name resolution of the domain failed for a reason the service did not name.',
        _RERUN + ' Test resolution of the domain from a VM in the subnet.'),
    # -- AD join
    'adJoinCheckFqdnNotFound': (
        'ad_join', 'No domain controller of the domain could be contacted from the subnet.',
        'Fix DNS (see dnsCheckFqdnNotFound) and the network path from the subnet to a domain controller.'),
    'adJoinCheckIncorrectCredentials': (
        'ad_join', 'The domain join account (ad_domain_username) or its password is wrong.',
        'Send the right password with ad_domain_password and update_password: always (w365_anc rotates it with '
        'a PATCH while the connection is unhealthy).'),
    'adJoinCheckOrganizationalUnitNotFound': (
        'ad_join', 'organizational_unit does not exist in the domain.',
        'Create the OU, or correct organizational_unit (distinguished name such as OU=CloudPCs,DC=corp,DC=contoso,'
        'DC=com).'),
    'adJoinCheckOrganizationalUnitIncorrectFormat': (
        'ad_join', 'organizational_unit is not a distinguished name.',
        'Give the OU as a distinguished name: OU=CloudPCs,DC=corp,DC=contoso,DC=com.'),
    'adJoinCheckComputerObjectAlreadyExists': (
        'ad_join', 'A computer of the test name already exists in the domain outside organizational_unit (often '
        'after a computer object was moved out of the OU).',
        'Move the computer object back into the OU, or delete the stale object.'),
    'adJoinCheckAccessDenied': (
        'ad_join', 'The join account may not create computer objects in the OU.',
        'Delegate "Create computer objects" and "Delete computer objects" on the OU to the join account.'),
    'adJoinCheckCredentialsExpired': (
        'ad_join', 'The join account\'s password has expired.',
        'Reset the password in Active Directory, then send it with ad_domain_password and update_password: always.'),
    'adJoinCheckAccountLockedOrDisabled': (
        'ad_join', 'The join account is locked out or disabled.',
        'Unlock and enable the account, and check that it can sign in to the domain.'),
    'adJoinCheckAccountQuotaExceeded': (
        'ad_join', 'The join account used up its domain joins (ms-DS-MachineAccountQuota, 10 by default).',
        'Delegate computer-object rights on the OU to the account (delegated rights are not counted), or raise '
        'the quota.'),
    'adJoinCheckServerNotOperational': (
        'ad_join', 'A domain controller was found but did not answer (network, DNS or the server itself).',
        'Check that the domain controllers run and that NSGs, firewalls, routes and VPN/ExpressRoute let the '
        'subnet reach them on the Active Directory ports.'),
    'adJoinCheckUnknownError': (
        'ad_join', 'The domain join failed for a reason the service did not name.',
        _RERUN + ' Test Add-Computer with the join account from a VM in the subnet.'),
    # -- endpoints
    'endpointConnectivityCheckCloudPcUrlNotAllowListed': (
        'endpoint', 'A Windows 365 endpoint could not be reached from the subnet.', _ENDPOINTS),
    'endpointConnectivityCheckWVDUrlNotAllowListed': (
        'endpoint', 'An Azure Virtual Desktop endpoint could not be reached from the subnet.', _ENDPOINTS),
    'endpointConnectivityCheckIntuneUrlNotAllowListed': (
        'endpoint', 'An Intune endpoint could not be reached from the subnet.', _ENDPOINTS),
    'endpointConnectivityCheckAzureADUrlNotAllowListed': (
        'endpoint', 'A Microsoft Entra endpoint could not be reached from the subnet.', _ENDPOINTS),
    'endpointConnectivityCheckLocaleUrlNotAllowListed': (
        'endpoint', 'A language pack endpoint could not be reached, so a non-English language setting of a '
        'provisioning policy may not install.', _ENDPOINTS),
    'endpointConnectivityCheckUnknownError': (
        'endpoint', 'A required endpoint could not be reached for a reason the service did not name.', _ENDPOINTS),
    # Retired name still used by Graph samples; same remedy.
    'endpointConnectivityCheckUrlNotWhitelisted': (
        'endpoint', 'Retired name of the endpoint checks: a required endpoint could not be reached.', _ENDPOINTS),
    # -- device sync
    'azureAdDeviceSyncCheckDeviceNotFound': (
        'device_sync', 'The test computer has not reached Microsoft Entra ID (yet).', _DEVICE_SYNC),
    'azureAdDeviceSyncCheckLongSyncCircle': (
        'device_sync', 'Waiting for the computer to sync to Microsoft Entra ID timed out.', _DEVICE_SYNC),
    'azureAdDeviceSyncCheckConnectDisabled': (
        'device_sync', 'Directory synchronisation (Microsoft Entra Connect) is turned off for the tenant.',
        'Turn on Microsoft Entra Connect sync and let it sync at least hourly.'),
    'azureAdDeviceSyncCheckDurationExceeded': (
        'device_sync', 'Microsoft Entra Connect did not sync the computer within 60 minutes.', _DEVICE_SYNC),
    'azureAdDeviceSyncCheckScpNotConfigured': (
        'device_sync', 'The service connection point (SCP) for Microsoft Entra hybrid join is missing or wrong.',
        'Configure the SCP in the Microsoft Entra Connect wizard (device options).'),
    'azureAdDeviceSyncCheckTransientServiceError': (
        'device_sync', 'A temporary service error stopped the device sync check.', _RERUN_SUPPORT),
    'azureAdDeviceSyncCheckUnknownError': (
        'device_sync', 'The device sync check failed for a reason the service did not name.', _DEVICE_SYNC),
    # -- Azure resources
    'resourceAvailabilityCheckNoSubnetIP': (
        'resource', 'The subnet has no free IP addresses (or, as a warning, less than half free).',
        'Use a larger subnet or another one; keep at least half of it free for disaster-recovery reprovisioning '
        '(w365_preflight checks this before anything is created).'),
    'resourceAvailabilityCheckSubscriptionDisabled': (
        'resource', 'The subscription is disabled.', 'Enable the subscription, or use another one.'),
    'resourceAvailabilityCheckAzurePolicyViolation': (
        'resource', 'An Azure Policy stops Windows 365 from creating resources in the subscription or resource '
        'group.', 'Exempt the resource group from the policy, or change the policy.'),
    'resourceAvailabilityCheckSubscriptionNotFound': (
        'resource', 'The subscription cannot be found or accessed.',
        'Check subscription_id and that the subscription belongs to this tenant.'),
    'resourceAvailabilityCheckSubscriptionTransferred': (
        'resource', 'The subscription was moved to another tenant.',
        'Use a subscription of this tenant, or grant the roles again in the new tenant.'),
    'resourceAvailabilityCheckGeneralSubscriptionError': (
        'resource', 'The subscription cannot be used for provisioning (for example a policy restricts creating '
        'resources in it).', 'Check the subscription\'s state and policies in the Azure portal.'),
    'resourceAvailabilityCheckUnsupportedVNetRegion': (
        'resource', 'The virtual network is in a region Windows 365 does not support.',
        'Use a virtual network in a supported region (w365_preflight reads the supported regions before anything '
        'is created).'),
    'resourceAvailabilityCheckResourceGroupInvalid': (
        'resource', 'The resource group does not exist or cannot be used.',
        'Give an existing resource group in resource_group.'),
    'resourceAvailabilityCheckVNetInvalid': (
        'resource', 'The virtual network does not exist or is not healthy.', 'Give an existing, healthy virtual '
        'network in virtual_network.'),
    'resourceAvailabilityCheckSubnetInvalid': (
        'resource', 'The subnet does not exist or is not healthy.', 'Give an existing, healthy subnet in subnet.'),
    'resourceAvailabilityCheckResourceGroupBeingDeleted': (
        'resource', 'The resource group is being deleted.', 'Use another resource group.'),
    'resourceAvailabilityCheckVNetBeingMoved': (
        'resource', 'The virtual network is being moved.', 'Wait until the move has finished, or use another '
        'virtual network.'),
    'resourceAvailabilityCheckSubnetDelegationFailed': (
        'resource', 'The subnet is delegated to a service, which blocks the network interfaces of Cloud PCs.',
        'Remove the delegation, or use a subnet without one.'),
    'resourceAvailabilityCheckSubnetWithExternalResources': (
        'resource', 'The subnet holds other resources that conflict with Cloud PCs.',
        'Move those resources out, or use a subnet dedicated to Cloud PCs.'),
    'resourceAvailabilityCheckResourceGroupLockedForReadonly': (
        'resource', 'The resource group has a read-only lock.', 'Remove the lock.'),
    'resourceAvailabilityCheckResourceGroupLockedForDelete': (
        'resource', 'The resource group (or a scope above it) has a delete lock, so Windows 365 cannot remove '
        'network interfaces it no longer needs (which can use up the subnet\'s addresses).', 'Remove the lock.'),
    'resourceAvailabilityCheckNoIntuneReaderRoleError': (
        'resource', 'The Windows 365 service principal lacks Reader on the subscription, so it cannot check the '
        'Intune platform restrictions.',
        'Grant Reader on the subscription to Windows 365: w365_role_grant with purpose: network_connection (or '
        'custom_image) for that subscription, then run the checks again.'),
    'resourceAvailabilityCheckIntuneDefaultWindowsRestrictionViolation': (
        'resource', 'Intune\'s default enrollment restriction blocks Windows (MDM) devices.',
        'Allow Windows (MDM) enrollment in the default device platform restriction.'),
    'resourceAvailabilityCheckIntuneCustomWindowsRestrictionViolation': (
        'resource', 'A custom Intune enrollment restriction may block Windows (MDM) devices.',
        'Allow Windows (MDM) enrollment for the Cloud PC users in that restriction.'),
    'resourceAvailabilityCheckDeploymentQuotaLimitReached': (
        'resource', 'The resource group has a delete lock and its deployment history reached the Azure quota, so '
        'Windows 365 cannot delete the obsolete network interfaces and deployments.',
        'Remove the delete lock from the resource group (Windows 365 then cleans up), then run the checks again.'),
    'resourceAvailabilityCheckTransientServiceError': (
        'resource', 'A temporary service error stopped the Azure resource check.', _RERUN_SUPPORT),
    'resourceAvailabilityCheckUnknownError': (
        'resource', 'The Azure resource check failed for a reason the service did not name.',
        'Check that the subscription, resource group, virtual network and subnet meet the prerequisites; ' + _RERUN),
    # -- permissions
    'permissionCheckNoSubscriptionReaderRole': (
        'permission', 'The Windows 365 service principal lacks Reader on the subscription.', _GRANT),
    'permissionCheckNoResourceGroupOwnerRole': (
        'permission', 'Old check: the Windows 365 service principal lacks its role on the resource group.', _GRANT),
    'permissionCheckNoVNetContributorRole': (
        'permission', 'Old check (Network Contributor, before November 2023): the Windows 365 service principal '
        'lacks its role on the virtual network.', _GRANT),
    'permissionCheckNoResourceGroupNetworkContributorRole': (
        'permission', 'Old check (Network Contributor, before November 2023): the Windows 365 service principal '
        'lacks its role on the resource group.', _GRANT),
    'permissionCheckNoWindows365NetworkUserRole': (
        'permission', 'The Windows 365 service principal lacks Windows 365 Network User on the virtual network.',
        _GRANT),
    'permissionCheckNoWindows365NetworkInterfaceContributorRole': (
        'permission', 'The Windows 365 service principal lacks Windows 365 Network Interface Contributor on the '
        'resource group.', _GRANT),
    'permissionCheckTransientServiceError': (
        'permission', 'A temporary service error stopped the permission check.',
        'Role assignments can take minutes to replicate: ' + _RERUN_SUPPORT),
    'permissionCheckUnknownError': (
        'permission', 'The Windows 365 service principal lacks a permission the service did not name.', _GRANT),
    # -- UDP
    'udpConnectivityCheckStunUrlNotAllowListed': (
        'udp', 'UDP to the STUN relays is blocked: Cloud PCs work, RDP Shortpath falls back to TCP.',
        'Allow UDP 3478 to the Windows 365 STUN endpoints.'),
    'udpConnectivityCheckTurnUrlNotAllowListed': (
        'udp', 'UDP to the TURN relays is blocked: Cloud PCs work, connections may be slower.',
        'Allow UDP 3478 to the Windows 365 TURN endpoints.'),
    'udpConnectivityCheckUrlsNotAllowListed': (
        'udp', 'UDP to the STUN and TURN relays is blocked: Cloud PCs work, connections may be slower.',
        'Allow UDP 3478 to the Windows 365 STUN and TURN endpoints.'),
    'udpConnectivityCheckUnknownError': (
        'udp', 'The UDP check failed for a reason the service did not name.',
        'Check that the network policies allow UDP direct connections; ' + _RERUN),
    # -- service side
    'internalServerErrorDeploymentCanceled': (
        'internal', 'Windows 365 canceled the test deployment.', _RERUN_SUPPORT),
    'internalServerErrorAllocateResourceFailed': (
        'internal', 'Windows 365 could not allocate the resources for the test.', _RERUN_SUPPORT),
    'internalServerErrorVMDeploymentTimeout': (
        'internal', 'The test virtual machine deployment timed out.', _RERUN_SUPPORT),
    'internalServerErrorUnableToRunDscScript': (
        'internal', 'The PowerShell DSC scripts that provisioning runs could not be downloaded or run on the test '
        'machine.',
        'Give the virtual network unrestricted access to the required endpoints, and make sure no Group Policy or '
        'configuration on the OU blocks PowerShell, DSC or WinRM.'),
    'internalServerUnknownError': (
        'internal', 'Windows 365 failed with an internal error.', _RERUN_SUPPORT),
    # -- other
    # Listed by older revisions of the Graph enum (not in the current v1.0 metadata); kept for old results.
    'groupPolicySettingCheckFailed': (
        'other', 'A Group Policy applied to the OU breaks the join or the Cloud PC agents (older error type).',
        'Review the GPOs linked to organizational_unit; PowerShell and script execution must not be blocked.'),
    'groupPolicySettingCheckUnknownError': (
        'other', 'The Group Policy check failed for a reason the service did not name (older error type).',
        'Review the GPOs linked to organizational_unit; ' + _RERUN),
    'ssoCheckKerberosConfigurationError': (
        'other', 'Microsoft Entra Kerberos is not configured, so single sign-on to the Cloud PC or to Kerberos '
        'resources fails.', 'Create the Microsoft Entra Kerberos server object in the domain.'),
    'unknownFutureValue': (
        'other', 'An error type newer than the API version can name.',
        'Follow recommended_action and additional_detail from the result.'),
}

_LOWER = {key.lower(): key for key in ERROR_TYPES}


def explain(error_type: Optional[str]) -> Optional[Dict[str, Any]]:
    """{'error_type', 'known', 'explanation', 'remedy'} for an errorType (case-insensitive), or None when empty.

    An error type this table does not know is passed through with no explanation, never guessed at.
    """
    if not error_type:
        return None
    key = _LOWER.get(str(error_type).lower())
    if key is None:
        return {'error_type': error_type, 'known': False, 'explanation': None, 'remedy': None}
    _category, explanation, remedy = ERROR_TYPES[key]
    return {'error_type': error_type, 'known': True, 'explanation': explanation, 'remedy': remedy}


def by_category() -> List[Tuple[str, str, str, List[Tuple[str, str, str]]]]:
    """[(category key, title, prefix, [(errorType, explanation, remedy), ...]), ...] in documentation order."""
    out = []
    for key, title, prefix in CATEGORIES:
        rows = [(name, value[1], value[2]) for name, value in ERROR_TYPES.items() if value[0] == key]
        out.append((key, title, prefix, rows))
    return out

# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sign-in authority, Graph and ARM endpoints per cloud (docs/w365-api-facts.md §5; docs/auth.md)."""

from __future__ import annotations

import re
from typing import NamedTuple, Optional
from urllib.parse import urlsplit

from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ConfigError


class Cloud(NamedTuple):
    name: str
    description: str
    authority_host: str
    graph_endpoint: str
    arm_endpoint: str
    # None when Microsoft documents the Cloud PC Graph API as available; otherwise why not.
    unsupported: Optional[str] = None

    # Each cloud's token audiences are its own Graph and ARM endpoint URLs; they stay these when a task overrides
    # graph_endpoint / arm_endpoint (resolve_endpoints).
    @property
    def graph_audience(self) -> str:
        return self.graph_endpoint

    @property
    def arm_audience(self) -> str:
        return self.arm_endpoint


# The availability table on every Cloud PC Graph API page (for example
# https://learn.microsoft.com/graph/api/virtualendpoint-list-onpremisesconnections): Global service and US Government
# L4 available, US Government L5 (DOD) and China operated by 21Vianet not. Some localized revisions disagree, hence
# the override option allow_unsupported_cloud.
AVAILABILITY_SOURCE = 'https://learn.microsoft.com/graph/api/virtualendpoint-list-onpremisesconnections'
_NOT_AVAILABLE = ('Microsoft documents the Cloud PC (Windows 365) Microsoft Graph API as not available in the %s '
                  'cloud (national cloud availability table of the Cloud PC API pages, ' + AVAILABILITY_SOURCE + '), '
                  'so this collection does not manage Windows 365 there; if your tenant has the API, set '
                  'allow_unsupported_cloud=true')

# Entra authorities, Graph and ARM endpoints, each written once (Azure Government's ARM serves GCC, GCC High and DoD).
_LOGIN, _LOGIN_US, _LOGIN_CN = (
    'https://login.microsoftonline.com', 'https://login.microsoftonline.us', 'https://login.chinacloudapi.cn')
_GRAPH, _GRAPH_US, _GRAPH_DOD, _GRAPH_CN = (
    'https://graph.microsoft.com', 'https://graph.microsoft.us', 'https://dod-graph.microsoft.us',
    'https://microsoftgraph.chinacloudapi.cn')
_ARM, _ARM_US, _ARM_CN = (
    'https://management.azure.com', 'https://management.usgovcloudapi.net', 'https://management.chinacloudapi.cn')

# Windows 365 Government GCC: the Windows 365 admin plane is commercial Graph and Entra; the Azure side (subscriptions
# with the vnets and images) is Azure Government.
CLOUDS = {cloud.name: cloud for cloud in (
    # name, description, authority_host, graph_endpoint, arm_endpoint[, unsupported]
    Cloud('public', 'Azure commercial (global) cloud', _LOGIN, _GRAPH, _ARM),
    Cloud('gcc', 'Windows 365 Government GCC (commercial Graph, Azure Government ARM)', _LOGIN, _GRAPH, _ARM_US),
    Cloud('gcc_high', 'US Government L4 (GCC High)', _LOGIN_US, _GRAPH_US, _ARM_US),
    Cloud('dod', 'US Government L5 (DoD)', _LOGIN_US, _GRAPH_DOD, _ARM_US, _NOT_AVAILABLE % 'US Government L5 (DoD)'),
    Cloud('china', 'Azure China (operated by 21Vianet)', _LOGIN_CN, _GRAPH_CN, _ARM_CN,
          _NOT_AVAILABLE % 'Azure China (21Vianet)'),
)}

CLOUD_NAMES = tuple(CLOUDS)

# The Azure Government side of Windows 365 GCC: a separate tenant (*.onmicrosoft.us) signed in at the Azure Government
# authority, with the Azure subscription (ARM) and the Windows 365 service principal that holds the roles. Its
# directory is read through the US Government Graph (learn.microsoft.com/graph/deployments: Azure Government tenants
# use graph.microsoft.us and login.microsoftonline.us).
AZURE_GOVERNMENT = Cloud('usgov', 'Azure Government tenant of a GCC deployment', _LOGIN_US, _GRAPH_US, _ARM_US)

# AZURE_CLOUD_ENVIRONMENT as azure-cli / AWX spell it. AzureUSGovernment is the Azure side of GCC High;
# a GCC tenant needs cloud=gcc explicitly because its Graph is commercial.
CLOUD_ENVIRONMENT_ALIASES = {
    'azurecloud': 'public',
    'azurepubliccloud': 'public',
    'azureusgovernment': 'gcc_high',
    'azureusgovernmentcloud': 'gcc_high',
    'azurechinacloud': 'china',
}


def cloud_from_name(value: Optional[str], option: str = 'cloud') -> str:
    """Accept our names and the AZURE_CLOUD_ENVIRONMENT spellings (case-insensitive)."""
    if value is None or value == '':
        return 'public'
    key = str(value).strip().lower().replace('-', '_')
    if key in CLOUDS:
        return key
    alias = CLOUD_ENVIRONMENT_ALIASES.get(key.replace('_', ''))
    if alias:
        return alias
    raise W365ConfigError(option, 'unknown cloud %r; use one of %s (or AzureCloud, AzureUSGovernment, '
                                  'AzureChinaCloud)' % (value, ', '.join(CLOUD_NAMES)))


class Endpoints(NamedTuple):
    authority_host: str
    graph_endpoint: str
    arm_endpoint: str
    graph_scope: str
    arm_scope: str
    arm_audience: str
    cloud: str = 'public'
    # True when authority_host is the cloud's own Entra host; otherwise MSAL instance discovery must be off.
    standard_authority: bool = True


_HOST = re.compile(r'^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*'
                   r'|[0-9A-Fa-f:.]+)$')


def _https_url(option, value):
    """The URL without a trailing slash, or W365ConfigError naming `option` (the query is never quoted)."""
    value = str(value).strip().rstrip('/')
    if any(ord(ch) < 33 or ord(ch) == 127 for ch in value):
        raise W365ConfigError(option, 'contains a space or control character; give the https:// URL of the service')
    try:
        parts = urlsplit(value)
        if parts.port is not None and parts.port < 1:  # .port raises ValueError for a port out of range
            raise ValueError('port %d out of range 1-65535' % parts.port)
    except ValueError as e:
        raise W365ConfigError(option, 'is not a valid URL: %s' % e) from None
    if parts.scheme != 'https' or not parts.netloc:
        raise W365ConfigError(option, 'must be an https:// URL, got %r' % (value.split('?', 1)[0],))
    if parts.query or parts.fragment:
        raise W365ConfigError(option, 'must not carry a query string or fragment (%s?...)' % value.split('?', 1)[0])
    if not parts.hostname or not _HOST.match(parts.hostname):
        raise W365ConfigError(option, 'has a host name with characters no host name can hold (spaces, control '
                                      'characters or similar); give the https:// URL of the service')
    return value


def resolve_endpoints(cloud: str, authority_host: Optional[str] = None, graph_endpoint: Optional[str] = None,
                      arm_endpoint: Optional[str] = None, allow_unsupported: bool = False) -> Endpoints:
    """Endpoints for `cloud`, with optional URL overrides.

    Token scopes always come from the cloud's audiences, never from the overrides: Entra issues tokens for the
    resource's audience, and a proxy or the sandbox at another URL still expects those tokens.
    `allow_unsupported`: the operator's override of Microsoft's availability table (dod, china).
    """
    name = cloud_from_name(cloud)
    entry = CLOUDS[name]
    if entry.unsupported and not allow_unsupported:
        raise W365ConfigError('cloud', entry.unsupported + '.')
    return _endpoints(entry, authority_host, graph_endpoint, arm_endpoint)


def resolve_gov_endpoints(authority_host: Optional[str] = None, graph_endpoint: Optional[str] = None,
                          arm_endpoint: Optional[str] = None) -> Endpoints:
    """Endpoints of the Azure Government tenant of a GCC deployment (options gov_auth.authority_host,
    gov_auth.graph_endpoint; ARM is the task's arm_endpoint)."""
    for option, value in (('gov_auth.authority_host', authority_host), ('gov_auth.graph_endpoint', graph_endpoint)):
        if value:
            _https_url(option, value)
    return _endpoints(AZURE_GOVERNMENT, authority_host, graph_endpoint, arm_endpoint)


def _endpoints(entry: Cloud, authority_host: Optional[str], graph_endpoint: Optional[str],
               arm_endpoint: Optional[str]) -> Endpoints:
    name = entry.name
    authority = _https_url('authority_host', authority_host) if authority_host else entry.authority_host
    return Endpoints(
        authority_host=authority,
        graph_endpoint=_https_url('graph_endpoint', graph_endpoint) if graph_endpoint else entry.graph_endpoint,
        arm_endpoint=_https_url('arm_endpoint', arm_endpoint) if arm_endpoint else entry.arm_endpoint,
        graph_scope=entry.graph_audience + '/.default',
        arm_scope=entry.arm_audience + '/.default',
        arm_audience=entry.arm_audience,
        cloud=name,
        standard_authority=authority.lower() == entry.authority_host.lower(),
    )

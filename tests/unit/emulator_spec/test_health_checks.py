# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Health-check answers at every stage, and each computed failure, against the Graph v1.0 description.

The errorType values come from the published enum, so a misspelt or invented one fails here.
"""

from __future__ import annotations

import pytest

from .checks import graph_ok
from .sandbox import AD, JOIN, SETTLE, SUB_A, VE

ANCS = f'{VE}/onPremisesConnections'
SELECT = 'id,displayName,healthCheckStatus,healthCheckStatusDetail'


def _vnet(rg, vnet):
    return f'/subscriptions/{SUB_A}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/{vnet}'


def _body(name, rg='rg-verify', vnet='vnet-verify', subnet='cloudpcs', hybrid=False, **ad):
    vnet_id = _vnet(rg, vnet)
    body = {'displayName': name, 'connectionType': 'hybridAzureADJoin' if hybrid else 'azureADJoin',
            'subscriptionId': SUB_A, 'resourceGroupId': f'/subscriptions/{SUB_A}/resourceGroups/{rg}',
            'virtualNetworkId': vnet_id, 'subnetId': f'{vnet_id}/subnets/{subnet}'}
    if hybrid:
        body.update(adDomainName=AD['name'], adDomainUsername=JOIN['upn'], adDomainPassword=JOIN['password'])
        body.update(ad)
    return body


def _read(api, anc_id):
    return graph_ok(api.graph('GET', f'{ANCS}/{anc_id}', params={'$select': SELECT}), 'get', 200)


def test_every_stage_of_a_check_validates(api):
    body = _body('verify-hc-stages')
    anc = graph_ok(api.graph('POST', ANCS, body=body), 'post', 201, request_body=body)
    seen = {}
    for step in (0, 310, SETTLE):  # pending 300 s, running 600 s in the verifier seed
        api.advance(step)
        got = _read(api, anc['id'])
        seen[got['healthCheckStatus']] = got['healthCheckStatusDetail']
    assert list(seen) == ['pending', 'running', 'passed'], seen
    assert all(c['status'] == 'passed' for c in seen['passed']['healthChecks'])


SCENARIOS = [
    pytest.param(_body('verify-hc-noroles', rg='rg-noroles', vnet='vnet-noroles'), 'failed',
                 {'permissionCheckNoWindows365NetworkInterfaceContributorRole', 'permissionCheckNoWindows365NetworkUserRole'},
                 id='missing-roles'),
    pytest.param(_body('verify-hc-region', rg='rg-elsewhere', vnet='vnet-elsewhere'), 'failed',
                 {'resourceAvailabilityCheckUnsupportedVNetRegion'}, id='unsupported-region'),
    pytest.param(_body('verify-hc-dns', rg='rg-noroles', vnet='vnet-noroles', hybrid=True), 'failed',
                 {'dnsCheckFqdnNotFound'}, id='dns'),
    pytest.param(_body('verify-hc-ou', hybrid=True, organizationalUnit='OU=Nowhere,DC=corp,DC=verifier,DC=test'), 'failed',
                 {'adJoinCheckOrganizationalUnitNotFound'}, id='ou'),
    pytest.param(_body('verify-hc-subnet', subnet='busy'), 'warning', {'resourceAvailabilityCheckNoSubnetIP'}, id='subnet-half-full'),
    pytest.param(_body('verify-hc-delegated', subnet='aci'), 'failed', {'resourceAvailabilityCheckSubnetDelegationFailed'},
                 id='delegated-subnet'),
    pytest.param(_body('verify-hc-hybrid-ok', hybrid=True), 'passed', set(), id='hybrid-passes'),
]


@pytest.mark.parametrize('body, status, error_types', SCENARIOS)
def test_computed_results_use_published_error_types(api, body, status, error_types):
    anc = graph_ok(api.graph('POST', ANCS, body=body), 'post', 201, request_body=body)
    api.advance(SETTLE)
    got = _read(api, anc['id'])
    assert got['healthCheckStatus'] == status, got
    flagged = [c for c in got['healthCheckStatusDetail']['healthChecks'] if c['status'] != 'passed']
    assert error_types <= {c['errorType'] for c in flagged}, flagged
    assert all(c['recommendedAction'] for c in flagged), flagged

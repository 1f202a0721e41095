# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The orchestration of w365_preflight (module_utils/_preflight_run.py) with a stand-in module: which reads run,
which checks they feed, what is skipped when a read fails. No network, no AnsibleModule."""
from __future__ import annotations

import base64
import json
from types import SimpleNamespace

import pytest

from ansible_collections.w365.cloudpc.plugins.module_utils import _preflight as pf
from ansible_collections.w365.cloudpc.plugins.module_utils._constants import (
    ROLE_READER, ROLE_W365_NETWORK_INTERFACE_CONTRIBUTOR, ROLE_W365_NETWORK_USER, WINDOWS365_APP_ID)
from ansible_collections.w365.cloudpc.plugins.module_utils._errors import (
    W365ApiError, W365AuthError, W365ConfigError)
from ansible_collections.w365.cloudpc.plugins.module_utils._preflight_run import run_preflight

SUB = '7e000001-0000-4000-8000-0000000050b1'
RG = '/subscriptions/%s/resourceGroups/rg-cpc' % SUB
VNET = RG + '/providers/Microsoft.Network/virtualNetworks/vnet-cpc'
SUBNET = VNET + '/subnets/snet-cpc'
SP = '7e000009-0000-4000-8000-0000000050b1'
CALLER = '7e00000a-0000-4000-8000-0000000050b1'


def _jwt(claims):
    part = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b'=').decode()
    return 'e30.%s.sig' % part


TOKEN = _jwt({'idtyp': 'app', 'appid': 'c1', 'tid': 't1', 'oid': CALLER,
              'roles': ['CloudPC.ReadWrite.All', 'Application.Read.All']})


def _assignment(role, scope):
    return {'id': scope + '/providers/Microsoft.Authorization/roleAssignments/x-' + role[:8], 'name': 'x',
            'properties': {'scope': scope, 'principalId': SP, 'principalType': 'ServicePrincipal',
                           'roleDefinitionId': '/subscriptions/%s/providers/Microsoft.Authorization/roleDefinitions/%s'
                                               % (SUB, role), 'description': 'Created by w365.cloudpc'}}


def world():
    """A converged deployment: every document preflight reads, by path."""
    return {
        '/subscriptions/%s' % SUB: {'subscriptionId': SUB, 'state': 'Enabled'},
        RG: {'id': RG, 'location': 'westeurope'},
        VNET: {'id': VNET, 'location': 'westeurope', 'properties': {
            'dhcpOptions': {'dnsServers': []},
            'subnets': [{'id': SUBNET, 'properties': {'addressPrefix': '10.0.1.0/24'}}]}},
        VNET + '/usages': [{'id': SUBNET, 'currentValue': 4}],
        '/subscriptions/%s/providers/Microsoft.Authorization/roleAssignments' % SUB: [_assignment(ROLE_READER, '/subscriptions/' + SUB)],
        RG + '/providers/Microsoft.Authorization/roleAssignments': [_assignment(ROLE_W365_NETWORK_INTERFACE_CONTRIBUTOR, RG)],
        VNET + '/providers/Microsoft.Authorization/roleAssignments': [_assignment(ROLE_W365_NETWORK_USER, VNET)],
        'graph:deviceManagement/virtualEndpoint/supportedRegions': [{'displayName': 'westeurope',
                                                                     'regionStatus': 'available'}],
        'graph:deviceManagement/virtualEndpoint/onPremisesConnections': [{'id': 'a1', 'displayName': 'other'}],
        'graph:servicePrincipals': [{'id': SP, 'appId': WINDOWS365_APP_ID, 'displayName': 'Windows 365'}],
    }


class FakeArm(object):
    def __init__(self, docs, failures, log):
        self.docs, self.failures, self.log = docs, failures, log

    def _read(self, path):
        self.log.append(('arm', path))
        if path in self.failures:
            raise self.failures[path]
        return self.docs.get(path)

    def get_or_none(self, path, api_version, params=None):
        return self._read(path)

    def list(self, path, api_version, params=None):
        found = self._read(path)
        if found is None:
            raise W365ApiError(404, 'NotFound', 'not found', service='arm')
        return list(found)


class FakeGraph(object):
    def __init__(self, docs, failures, log):
        self.docs, self.failures, self.log = docs, failures, log

    def list(self, path, params=None, version='v1.0', headers=None):
        key = 'graph:' + path
        self.log.append(('graph', path))
        if key in self.failures:
            raise self.failures[key]
        return list(self.docs.get(key) or [])


class FakeModule(object):
    """What run_preflight uses of W365Module."""

    def __init__(self, docs=None, failures=None, sign_in_error=None, **params):
        self.params = dict(name='anc-cpc', join_type='entra_join', subscription_id=SUB, resource_group='rg-cpc',
                           virtual_network_resource_group=None, virtual_network='vnet-cpc', subnet='snet-cpc',
                           location=None, supported_regions=None, planned_cloud_pcs=10, anc_limit=10,
                           ad_domain_name=None, ad_domain_username=None, ad_domain_password=None,
                           organizational_unit=None, source_image_ids=[], max_os_disk_size_gb=64,
                           check_grants=True, app_only_anc_writes='allowed')
        self.params.update(params)
        self.reads = []
        docs = world() if docs is None else docs
        self.arm = FakeArm(docs, failures or {}, self.reads)
        self.graph = FakeGraph(docs, failures or {}, self.reads)
        self.endpoints = SimpleNamespace(cloud='public', graph_scope='https://graph/.default',
                                         arm_scope='https://arm/.default')
        # One tenant (not cloud=gcc): the directory and ARM are the task's own sign-in.
        self.directory_graph = self.graph
        self.auth_method = 'client_secret'
        self.tokens = []

        def get_token(scope):
            self.tokens.append(scope)
            if sign_in_error is not None:
                raise sign_in_error
            return SimpleNamespace(token=TOKEN)
        self.credential = SimpleNamespace(get_token=get_token)
        self.arm_credential = self.credential
        self.result = None

    def exit(self, changed, **result):
        self.result = dict(result, changed=changed)


def run(**kwargs):
    module = FakeModule(**kwargs)
    run_preflight(module)
    checks = {c['name']: c for c in module.result['checks']}
    return module, checks


def test_converged_deployment_passes_every_check_with_the_design_minimum_of_reads():
    module, checks = run()
    assert module.result['changed'] is False
    assert module.result['passed'] is True, [c for c in checks.values() if c['status'] == pf.FAILED]
    for name in ('sign_in', 'subscription', 'resource_group', 'virtual_network', 'virtual_network_region', 'subnet',
                 'subnet_capacity', 'anc_limit', 'windows365_service_principal', 'role_grants'):
        assert checks[name]['status'] == pf.PASSED, checks[name]
    assert module.result['target']['subnet_id'] == SUBNET
    # One token per audience; 7 ARM reads (subscription, RG, vnet with its subnets, usages, 3 assignment lists) and
    # 3 Graph reads (supported regions, ANCs, service principal): what the sandbox log shows per converged task.
    assert sorted(module.tokens) == ['https://arm/.default', 'https://graph/.default']
    services = [service for service, dummy in module.reads]
    assert services.count('arm') == 7 and services.count('graph') == 3
    assert len(module.reads) == len(set(module.reads)), 'a document was read twice'


def test_missing_subscription_skips_what_depends_on_it_and_reads_nothing_under_it():
    docs = world()
    del docs['/subscriptions/%s' % SUB]
    module, checks = run(docs=docs)
    assert checks['subscription']['status'] == pf.FAILED
    for name in ('resource_group', 'virtual_network', 'subnet', 'subnet_capacity', 'role_grants', 'grant_permissions'):
        assert checks[name]['status'] == pf.SKIPPED, checks[name]
    assert ('arm', RG) not in module.reads and ('arm', VNET) not in module.reads
    # Independent checks still run: the ANC limit and the service principal.
    assert checks['anc_limit']['status'] == pf.PASSED
    assert checks['windows365_service_principal']['status'] == pf.PASSED
    assert module.result['passed'] is False


def test_a_service_error_on_the_vnet_becomes_that_checks_failure_with_the_services_details():
    error = W365ApiError(500, 'InternalServerError', 'boom', request_id='req-1', service='arm')
    module, checks = run(failures={VNET: error})
    vnet = checks['virtual_network']
    assert vnet['status'] == pf.FAILED and 'req-1' in json.dumps(vnet)
    assert checks['subnet']['status'] == pf.SKIPPED
    assert checks['role_grants']['status'] == pf.SKIPPED
    assert module.result['passed'] is False


def test_missing_grants_and_the_callers_permission_to_create_them():
    docs = world()
    docs[RG + '/providers/Microsoft.Authorization/roleAssignments'] = []
    docs[RG + '/providers/Microsoft.Authorization/permissions'] = [
        {'actions': ['Microsoft.Authorization/*'], 'notActions': []}]
    module, checks = run(docs=docs)
    assert checks['role_grants']['status'] == pf.WARNING
    assert [m['scope'] for m in checks['role_grants']['data']['missing']] == [RG]
    assert checks['grant_permissions']['status'] == pf.PASSED
    assert ('arm', RG + '/providers/Microsoft.Authorization/permissions') in module.reads


def test_a_failed_sign_in_is_one_failed_check_and_nothing_is_read():
    err = W365AuthError('sign-in with auth_method=client_secret failed: AADSTS7000215: bad secret',
                        method='client_secret', aadsts='AADSTS7000215')
    module, checks = run(sign_in_error=err)
    assert list(checks) == ['sign_in'] and checks['sign_in']['status'] == pf.FAILED
    assert module.reads == [] and len(module.tokens) == 1
    assert module.result['passed'] is False


def test_missing_service_principal_skips_the_grant_checks():
    docs = world()
    docs['graph:servicePrincipals'] = []
    module, checks = run(docs=docs)
    assert checks['windows365_service_principal']['status'] == pf.FAILED
    assert checks['role_grants']['status'] == pf.SKIPPED
    assert not any('roleAssignments' in path for dummy, path in module.reads)


@pytest.mark.parametrize('option, value', [('planned_cloud_pcs', -1), ('max_os_disk_size_gb', 0), ('anc_limit', 0)])
def test_bad_numbers_are_refused_by_option_before_any_read(option, value):
    module = FakeModule(**{option: value})
    with pytest.raises(W365ConfigError) as e:
        run_preflight(module)
    assert e.value.option == option
    assert module.reads == [] and module.tokens == []


def test_nothing_to_check_names_the_subnet_option():
    module = FakeModule(subscription_id=None, resource_group=None, virtual_network=None, subnet=None)
    with pytest.raises(W365ConfigError) as e:
        run_preflight(module)
    assert e.value.option == 'subnet'
    assert module.reads == []

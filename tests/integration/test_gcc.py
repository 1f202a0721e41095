# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Windows 365 Government GCC end to end against a sandbox GCC tenant pair (issue 15).

Commercial GCC tenant for Graph, Azure Government tenant for ARM and its Windows 365 service principal; the tenant
mapping created once and idempotent; cloud=gcc without the Government tenant fails before any request.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

SEED = Path(__file__).resolve().parent / 'seeds' / 'gcc.yml'
GCC = '9cc00000-0000-4000-8000-0000000000a1'
GOV = '9cc00000-0000-4000-8000-0000000000a2'
SUB = '9cc00000-0000-4000-8000-00000000005b'
GCC_W365 = '9cc00000-0000-4000-8000-000000005e01'
W365_APP_ID = '0af06dc6-e4b5-4f28-818e-e78e62d137a5'
SECRETS = ('Gcc-Admin-Pw-never-shown-1!', 'gcc-app-secret-never-shown-2', 'gov-app-secret-never-shown-3')


@pytest.fixture
def box(sandbox_factory):
    return sandbox_factory(SEED)


def gov_host(url):
    """The sandbox at host `localhost`: the seed's US Government authority."""
    return url.replace('127.0.0.1', 'localhost')


def auth(box, principal='user', gov=True):
    """Commercial sign-in (user, as the tenant mapping needs) plus gov_auth for the Azure Government tenant."""
    options = dict(box.auth_vars(0, principal), cloud='gcc')
    if gov:
        options['gov_auth'] = {'tenant_id': GOV, 'client_id': '9cc00000-0000-4000-8000-00000000c002',
                               'client_secret': SECRETS[2], 'authority_host': gov_host(box.url),
                               'graph_endpoint': gov_host(box.url)}
    return options


def play(options, tasks):
    return [{'hosts': 'localhost', 'gather_facts': False, 'vars': {'w365_auth': options},
             'module_defaults': {'group/w365.cloudpc.w365': {k: '{{ w365_auth.%s }}' % k for k in options}},
             'tasks': tasks}]


def task(module, register='out', **args):
    return {'name': register, 'w365.cloudpc.%s' % module: args, 'register': register, 'ignore_errors': True}


def run(box, run_playbook, options, tasks, **kwargs):
    box.clear_requests()
    res = run_playbook(play(options, tasks), **kwargs)
    text = res.stdout + res.stderr + json.dumps(res.results, default=str)
    for secret in SECRETS:
        assert secret not in text
    return res, box.requests()


def writes(log):
    return [r for r in log if r['method'] not in ('GET', 'HEAD') and r.get('service') in ('graph', 'arm')]


@pytest.mark.parametrize('in_process', [True, False])
def test_gcc_without_government_tenant_fails_before_any_request(box, run_playbook, in_process):
    res, log = run(box, run_playbook, auth(box, 'app', gov=False),
                   [task('w365_role_grant', purpose='network_connection', subscription_id=SUB,
                         resource_group='rg-pcs', virtual_network='vnet-pcs')], in_process=in_process)
    out = res.result('out')
    assert 'error' in out, res
    assert out['option'] == 'gov_auth'
    assert 'gov_auth' in out['msg'] and 'w365_gov_auth' in out['msg']
    assert log == [], log


def test_mapping_service_principal_and_role_grants_land_in_the_government_tenant(box, run_playbook):
    options = auth(box)
    mapping = [task('w365_gov_tenant_mapping')]
    # Check mode: reads only, predicts the service principal and the mapping.
    res, log = run(box, run_playbook, options, mapping, check=True, diff=True)
    out = res.result('out')
    assert 'error' not in out, out
    assert out['changed'] is True and writes(log) == []
    assert out['service_principal']['created'] is True and out['gov_tenant_id'] == GOV
    assert out['diff']['before']['mapped_gov_tenants'] == [] and out['diff']['after']['mapped_gov_tenants'] == [GOV]

    # Real run: the Windows 365 service principal is created in the Government tenant (its Graph), the mapping
    # once in the commercial tenant's Graph.
    res, log = run(box, run_playbook, options, mapping, diff=True)
    out = res.result('out')
    assert 'error' not in out, out
    assert out['changed'] is True
    made = writes(log)
    assert [(w['method'], w['path'], w['tenant']) for w in made] == [
        ('POST', '/v1.0/servicePrincipals', GOV),
        ('POST', '/beta/deviceManagement/virtualEndpoint/crossCloudGovernmentOrganizationMapping', GCC)]
    assert out['mapping'] == {'id': GCC, 'organization_ids_in_us_gov_cloud': [GOV]}
    gov_sp = out['service_principal']['object_id']
    assert gov_sp and gov_sp != GCC_W365

    # Second run and the info module: no write, unchanged.
    res, log = run(box, run_playbook, options, mapping + [task('w365_gov_tenant_mapping_info', 'info')], diff=True)
    assert res.result('out')['changed'] is False and writes(log) == []
    info = res.result('info')
    assert info['mapped'] is True and info['service_principal']['object_id'] == gov_sp

    # Role grants with cloud=gcc: ARM in the Government tenant, to the Government tenant's Windows 365 SP.
    grant = [task('w365_role_grant', purpose='network_connection', subscription_id=SUB, resource_group='rg-pcs',
                  virtual_network='vnet-pcs')]
    res, log = run(box, run_playbook, auth(box, 'app'), grant)
    out = res.result('out')
    assert 'error' not in out, out
    assert out['changed'] is True and out['principal_id'] == gov_sp
    puts = writes(log)
    assert len(puts) == 3 and all(w['service'] == 'arm' and w['tenant'] == GOV for w in puts)
    lookups = [r for r in log if r['service'] == 'graph' and 'servicePrincipals' in r['path']]
    assert lookups and all(r['tenant'] == GOV for r in lookups)
    res, log = run(box, run_playbook, auth(box, 'app'), grant)
    assert res.result('out')['changed'] is False and writes(log) == []


def test_mapping_refuses_app_only_and_sends_no_write(box, run_playbook):
    """Microsoft documents the mapping for delegated sign-in only: app-only fails with the reason, writing nothing
    but the missing service principal."""
    res, log = run(box, run_playbook, auth(box, 'app'), [task('w365_gov_tenant_mapping')])
    out = res.result('out')
    assert 'error' in out and 'delegated' in out['msg'], out
    assert [w['path'] for w in writes(log)] == ['/v1.0/servicePrincipals']


def test_anc_create_goes_to_the_commercial_graph_and_reads_azure_in_the_government_tenant(box, run_playbook):
    anc = [task('w365_anc', name='anc-gcc', join_type='entra_join', subscription_id=SUB, resource_group='rg-pcs',
                virtual_network='vnet-pcs', subnet='snet-pcs', wait=False)]
    res, log = run(box, run_playbook, auth(box), anc)
    out = res.result('out')
    assert 'error' not in out, out
    assert out['changed'] is True
    made = writes(log)
    assert [(w['method'], w['service'], w['tenant']) for w in made] == [('POST', 'graph', GCC)], made
    arm = [r for r in log if r['service'] == 'arm']
    assert arm and all(r['tenant'] == GOV for r in arm), arm
    res, log = run(box, run_playbook, auth(box), anc)
    assert res.result('out')['changed'] is False and writes(log) == []


def test_preflight_checks_both_sides_and_the_mapping(box, run_playbook):
    pre = [task('w365_preflight', name='anc-gcc', join_type='entra_join', subscription_id=SUB,
                resource_group='rg-pcs', virtual_network='vnet-pcs', subnet='snet-pcs')]

    def checks(res):
        out = res.result('out')
        assert 'checks' in out, out
        return {c['name']: c['status'] for c in out['checks']}

    res, log = run(box, run_playbook, auth(box), pre)
    found = checks(res)
    assert found['gov_sign_in'] == 'passed' and found['gcc_tenant_mapping'] == 'failed', found
    # The Government tenant has no Windows 365 service principal yet: found missing there, not in the GCC tenant.
    assert found['windows365_service_principal'] == 'failed', found
    assert found['subscription'] == 'passed' and found['virtual_network'] == 'passed', found
    assert writes(log) == []
    run(box, run_playbook, auth(box), [task('w365_gov_tenant_mapping')])
    res, log = run(box, run_playbook, auth(box), pre)
    found = checks(res)
    assert found['gcc_tenant_mapping'] == 'passed' and found['windows365_service_principal'] == 'passed', found
    assert writes(log) == []


def _rollout_inventory(tmp_path, box, gov=True):
    import yaml
    signin = auth(box)
    gov_auth = signin.pop('gov_auth')
    for key in ('authority_host', 'graph_endpoint', 'arm_endpoint', 'ca_bundle'):
        signin.pop(key)
    group_vars = {'w365_tenant': 'gccco', 'w365_auth': signin, 'w365_images': []}
    if gov:
        group_vars['w365_gov_auth'] = gov_auth  # the separate inventory variable, merged in as gov_auth
    inventory = {'all': {
        'vars': {'ansible_connection': 'local', 'ansible_python_interpreter': '{{ ansible_playbook_python }}',
                 'w365_auth_common': box.endpoints(), 'w365_wait_timeout': 600},
        'children': {'tenant_gccco': {'vars': group_vars, 'hosts': {'gccco_usgovvirginia': {
            'w365_region': 'usgovvirginia', 'w365_network_connection': {
                'name': 'anc-gcc', 'subscription_id': SUB, 'resource_group': 'rg-pcs',
                'virtual_network': 'vnet-pcs', 'subnet': 'snet-pcs'}}}}}}}
    path = tmp_path / 'inventory.yml'
    path.write_text(yaml.safe_dump(inventory, sort_keys=False), encoding='utf-8')
    return path


ROLLOUT = Path(__file__).resolve().parents[2] / 'playbooks' / 'rollout.yml'


def test_rollout_gcc_maps_grants_in_government_and_reports(box, run_playbook, tmp_path):
    inventory = _rollout_inventory(tmp_path, box)
    reports = tmp_path / 'reports'
    box.clear_requests()
    res = run_playbook(ROLLOUT, inventory=inventory, extra_vars={'w365_report_dir': str(reports)})
    for secret in SECRETS:
        assert secret not in res.stdout and secret not in res.stderr
    report = json.loads((reports / 'rollout.json').read_text(encoding='utf-8'))
    dep = report['tenants'][0]['deployments'][0]
    assert res.rc == 0, (res, dep)
    assert dep['gov_tenant_mapping']['mapped_to'] == [GOV] and dep['gov_tenant_mapping']['changed'] is True
    assert any('mapped to Azure Government tenant' in c for c in dep['changes']), dep['changes']
    assert 'GCC tenant mapping: Azure Government tenant %s (mapped now)' % GOV in (
        reports / 'rollout.md').read_text(encoding='utf-8')
    made = writes(box.requests())
    by = sorted((w['service'], w['method'], w['tenant']) for w in made)
    assert by.count(('arm', 'PUT', GOV)) == 3 and ('graph', 'POST', GCC) in by, by
    assert not [w for w in made if w['service'] == 'arm' and w['tenant'] != GOV]
    # Second run: nothing to change, nothing written.
    box.clear_requests()
    res = run_playbook(ROLLOUT, inventory=inventory, extra_vars={'w365_report_dir': str(reports)})
    assert res.rc == 0, res
    assert writes(box.requests()) == []
    report = json.loads((reports / 'rollout.json').read_text(encoding='utf-8'))
    assert report['tenants'][0]['deployments'][0]['gov_tenant_mapping']['changed'] is False


def test_rollout_gcc_without_government_tenant_sends_nothing(box, run_playbook, tmp_path):
    inventory = _rollout_inventory(tmp_path, box, gov=False)
    reports = tmp_path / 'reports'
    box.clear_requests()
    res = run_playbook(ROLLOUT, inventory=inventory, extra_vars={'w365_report_dir': str(reports)})
    assert res.rc != 0
    assert box.requests() == []
    dep = json.loads((reports / 'rollout.json').read_text(encoding='utf-8'))['tenants'][0]['deployments'][0]
    assert 'gov_auth' in json.dumps(dep['failed']), dep


def test_wrong_government_secret_fails_naming_the_government_sign_in(box, run_playbook):
    options = auth(box, 'app')
    options['gov_auth'] = dict(options['gov_auth'], client_secret='wrong-gov-secret-never-shown-5')
    res, log = run(box, run_playbook, options, [task('w365_role_grant_info', purpose='network_connection',
                                                     subscription_id=SUB, resource_group='rg-pcs',
                                                     virtual_network='vnet-pcs')])
    out = res.result('out')
    assert 'error' in out and out['error']['type'] == 'W365AuthError', out
    assert 'Azure Government tenant (gov_auth)' in out['msg'] and 'AADSTS7000215' in out['msg'], out
    assert 'wrong-gov-secret-never-shown-5' not in res.stdout + json.dumps(res.results, default=str)
    assert writes(log) == []

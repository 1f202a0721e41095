# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers shared by the w365_anc integration tests (tests/integration/test_anc*.py)."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / 'tests' / 'integration' / 'seeds' / 'anc.yml'
SUB = '5a1e0a9c-0000-4000-8000-0000000050b1'
RG_ID = '/subscriptions/%s/resourceGroups/rg-cloudpc' % SUB
VNET_ID = RG_ID + '/providers/Microsoft.Network/virtualNetworks/vnet-cloudpc'
HUB_VNET_ID = '/subscriptions/%s/resourceGroups/rg-hub/providers/Microsoft.Network/virtualNetworks/vnet-hub' % SUB
OU1 = 'OU=CloudPCs,DC=corp,DC=ancco,DC=com'
OU2 = 'OU=CloudPCs2,DC=corp,DC=ancco,DC=com'
JOIN_PW = 'Join-Pw-Old-1!'
WRONG_JOIN_PW = 'Not-The-Join-Pw-9!'
ANC_PATH = '/v1.0/deviceManagement/virtualEndpoint/onPremisesConnections'


def play(box, tasks, principal='user'):
    """One play on localhost; sign-in options come from the extra var `w365_test_auth` (see `run`), so the
    playbook file holds no secret that Ansible could quote back in an error's source excerpt."""
    return [{
        'hosts': 'localhost', 'gather_facts': False,
        'module_defaults': {'group/w365.cloudpc.w365': '{{ w365_test_auth }}'},
        'tasks': tasks,
    }]


def anc_task(name, register='out', **args):
    return {'name': register, 'w365.cloudpc.w365_anc': dict(name=name, **args), 'register': register}


def task(register, name, check=False, diff=None, ignore_errors=False, module='w365.cloudpc.w365_anc', **args):
    """A registered task; task-level check_mode/diff let one ansible-playbook run cover several steps."""
    body = dict(args)
    if name is not None:
        body['name'] = name
    entry = {'name': register, module: body, 'register': register}
    if check:
        entry['check_mode'] = True
    if diff is not None:
        entry['diff'] = diff
    if ignore_errors:
        entry['ignore_errors'] = True
    return entry


def graph_writes(box):
    return [w for w in box.writes() if w['service'] == 'graph']


def run(box, run_playbook, tasks, principal='user', extra_vars=None, **kwargs):
    """Clear the request log, run the play, return (PlaybookResult, writes sent during the run)."""
    box.clear_requests()
    variables = dict(extra_vars or {}, w365_test_auth=box.auth_vars(0, principal))
    result = run_playbook(play(box, tasks, principal), extra_vars=variables, **kwargs)
    return result, graph_writes(box)


def entra_args(subnet='snet-a'):
    return dict(join_type='entra_join', subscription_id=SUB, resource_group='rg-cloudpc',
                virtual_network='vnet-cloudpc', subnet=subnet)


def hybrid_args(**overrides):
    args = dict(join_type='hybrid_join', subscription_id=SUB, resource_group='rg-cloudpc',
                virtual_network_resource_group='rg-hub', virtual_network='vnet-hub', subnet='snet-hub',
                ad_domain_name='corp.ancco.com', ad_domain_username='svcjoin@corp.ancco.com',
                ad_domain_password=JOIN_PW, organizational_unit=OU1)
    args.update(overrides)
    return args


def seed_dict(**health_check):
    """The ANC seed as a dict, optionally with other health-check timings."""
    data = copy.deepcopy(yaml.safe_load(SEED.read_text(encoding='utf-8')))
    if health_check:
        data['health_check'] = health_check
    return data


def start_anc_sandbox(tmp_path_factory, name):
    from tests.helpers.sandbox import start_sandbox

    return start_sandbox(SEED, workdir=tmp_path_factory.mktemp(name))

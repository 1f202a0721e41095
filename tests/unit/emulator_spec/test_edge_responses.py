# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Less common responses: injected faults, query errors, by-ID and subscription-list operations."""

from __future__ import annotations

import pytest

from .checks import arm_error, arm_ok, graph_error
from .sandbox import ROLE_OWNER, ROLE_READER, RG, SUB_A, SUB_B, VE

ANCS = f'{VE}/onPremisesConnections'
RD = 'providers/Microsoft.Authorization/roleDefinitions'


@pytest.fixture
def faults(api):
    def add(rule):
        reply = api.call('POST', '/_emulator/faults', body=rule)
        assert reply.status == 201, reply
    yield add
    api.call('DELETE', '/_emulator/faults')


def test_injected_graph_throttling_is_a_graph_error(api, faults):
    faults({'method': 'GET', 'path': 'onPremisesConnections$', 'status': 429, 'retry_after': 2, 'count': 1})
    reply = api.graph('GET', ANCS)
    graph_error(reply, 'get', 429)
    assert reply.headers.get('Retry-After') == '2'


def test_injected_arm_outage_is_an_arm_error(api, faults):
    faults({'method': 'GET', 'path': '/resourcegroups/', 'status': 503, 'count': 1})
    arm_error(api.arm('GET', f'/subscriptions/{SUB_A}/resourcegroups/{RG}', '2025-04-01'),
              'resources', 'ResourceGroups_Get', 503)


def test_select_of_an_unknown_property(api):
    graph_error(api.graph('GET', ANCS, params={'$select': 'id,notAProperty'}), 'get', 400)


def test_unknown_segment_under_virtual_endpoint(api):
    reply = api.graph('GET', f'{VE}/notACollection')
    assert reply.status in (400, 404), reply
    graph_error(reply, 'get', reply.status, path=f'/v1.0/{ANCS}')


def test_subscriptions_list(api):
    reply = api.arm('GET', '/subscriptions', '2022-12-01')
    # Live ARM adds "count": {"type": "Total", "value": N} to this list, which SubscriptionListResult does not
    # declare; accept exactly that shape, then hold the rest to the document.
    count = reply.body.pop('count', None)
    assert count is None or (count['type'] == 'Total' and count['value'] == len(reply.body['value'])), count
    listed = arm_ok(reply, 'resources', 'Subscriptions_List', 200)
    ids = {s['subscriptionId'] for s in listed['value']}
    assert SUB_A in ids and SUB_B not in ids


def test_role_definition_by_id_and_missing(api):
    got = arm_ok(api.arm('GET', f'/{RD}/{ROLE_READER}', '2022-04-01'), 'authorization', 'RoleDefinitions_GetById', 200)
    assert got['properties']['roleName'] == 'Reader'
    missing = ROLE_OWNER[:-1] + ('0' if ROLE_OWNER[-1] != '0' else '1')
    arm_error(api.arm('GET', f'/subscriptions/{SUB_A}/{RD}/{missing}', '2022-04-01'), 'authorization', 'RoleDefinitions_Get',
              404, code='RoleDefinitionDoesNotExist')

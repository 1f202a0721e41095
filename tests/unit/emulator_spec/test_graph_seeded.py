# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Graph objects that come from the seed file (not created through the API) render to the published shapes."""

from __future__ import annotations

import pytest

from .checks import graph_ok
from .sandbox import TENANT_A, VE

SEEDED = [
    (f'{VE}/onPremisesConnections', [a['id'] for a in TENANT_A['network_connections']],
     'id,displayName,connectionType,healthCheckStatus,healthCheckStatusDetail,inUse,adDomainUsername'),
    (f'{VE}/deviceImages', [i['id'] for i in TENANT_A['device_images']], 'id,displayName,status,errorCode'),
    (f'{VE}/provisioningPolicies', [p['id'] for p in TENANT_A['provisioning_policies']],
     'id,displayName,imageId,domainJoinConfigurations'),
]


@pytest.mark.parametrize('collection, ids, select', SEEDED, ids=['ancs', 'images', 'policies'])
def test_seeded_objects_validate(api, collection, ids, select):
    listed = graph_ok(api.graph('GET', collection), 'get', 200)
    assert set(ids) <= {item['id'] for item in listed['value']}
    graph_ok(api.graph('GET', collection, params={'$select': select}), 'get', 200)
    for item_id in ids:
        graph_ok(api.graph('GET', f'{collection}/{item_id}'), 'get', 200)
        graph_ok(api.graph('GET', f'{collection}/{item_id}', params={'$select': select}), 'get', 200)


def test_seeded_references_make_objects_in_use(api):
    anc_id = TENANT_A['network_connections'][0]['id']
    anc = graph_ok(api.graph('GET', f'{VE}/onPremisesConnections/{anc_id}', params={'$select': 'id,inUse'}), 'get', 200)
    assert anc['inUse'] is True
    image = graph_ok(api.graph('GET', f'{VE}/deviceImages/{TENANT_A["device_images"][1]["id"]}'), 'get', 200)
    assert image['status'] == 'failed' and image['errorCode'] == 'sourceImageNotGeneralized'

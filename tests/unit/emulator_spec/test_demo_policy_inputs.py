# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the demo seed offers provisioning policies: Entra groups per tenant (resolvable by name with the admin's
app and user sign-ins) and gallery images near their end, past it and past their expiry."""

from __future__ import annotations

import pytest

from .checks import graph_ok
from .sandbox import GRAPH_SCOPE, VE

SKU = 'microsoftwindowsdesktop_windows-ent-cpc_'


@pytest.mark.parametrize('principal', ['app', 'user'])
def test_each_tenant_resolves_cloud_pc_users_by_name(demo, principal):
    api, seed = demo
    for tenant in seed['tenants']:
        token = api.token(tenant, GRAPH_SCOPE, principal)
        params = {'$filter': "displayName eq 'Cloud PC Users'", '$select': 'id,displayName,securityEnabled'}
        reply = api.graph('GET', 'groups', token=token, params=params)
        assert reply.status == 200, reply
        [group] = reply.body['value']
        seeded = next(g for g in tenant['groups'] if g['display_name'] == 'Cloud PC Users')
        assert group == {'id': seeded['id'], 'displayName': 'Cloud PC Users', 'securityEnabled': True}


def test_demo_gallery_has_images_near_and_past_their_end(demo):
    api, seed = demo
    for tenant in seed['tenants']:
        token = api.token(tenant, GRAPH_SCOPE, 'app')
        page = graph_ok(api.graph('GET', f'{VE}/galleryImages', token=token), 'get', 200)
        status = {i['id']: i['status'] for i in page['value']}
        assert status[SKU + 'win11-24h2-ent-cpc-m365'] == 'supported'
        assert status[SKU + 'win11-23h2-ent-cpc-m365'] == 'supported'
        assert status[SKU + 'win11-23h2-ent-cpc'] == 'supportedWithWarning'
        assert status[SKU + 'win10-22h2-ent-cpc-m365'] == 'notSupported'
        near = next(i for i in page['value'] if i['id'] == SKU + 'win11-23h2-ent-cpc-m365')
        assert near['startDate'] < near['endDate'] < near['expirationDate']


def test_the_read_only_app_cannot_read_groups(demo):
    api, seed = demo
    contoso = seed['tenants'][0]
    reader = next(a for a in contoso['apps'] if a['display_name'] == 'w365-readonly-contoso')
    reply = api.graph('GET', 'groups', token=api.token(contoso, GRAPH_SCOPE, 'app', reader))
    assert reply.status == 403 and reply.body['error']['code'] == 'Authorization_RequestDenied', reply

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read-only sweep of the shipped demo world (what `make demo` and users' rehearsals start from).

Every object the demo seed describes is read back through Graph and ARM and judged by the descriptions.
"""

from __future__ import annotations


from .checks import arm_ok, graph_ok
from .sandbox import GRAPH_SCOPE, VE


def test_demo_graph_collections(demo):
    api, seed = demo
    for tenant in seed['tenants']:
        token = api.token(tenant, GRAPH_SCOPE, 'user' if tenant.get('users') else 'app')
        for collection in ('onPremisesConnections', 'deviceImages', 'provisioningPolicies'):
            graph_ok(api.graph('GET', f'{VE}/{collection}', token=token), 'get', 200)
        sources = graph_ok(api.graph('GET', f'{VE}/deviceImages/getSourceImages', token=token), 'get', 200)
        seeded = {img['name'] for sub in tenant['subscriptions'] for rg in sub['resource_groups'] for img in rg.get('images', [])}
        assert seeded <= {s['displayName'] for s in sources['value']}


def test_demo_arm_resources(demo):
    api, seed = demo
    for tenant in seed['tenants']:
        for sub in tenant['subscriptions']:
            base = f'/subscriptions/{sub["id"]}'
            arm_ok(api.arm('GET', base, '2022-12-01', tenant=tenant), 'resources', 'Subscriptions_Get', 200)
            arm_ok(api.arm('GET', f'{base}/resourcegroups', '2025-04-01', tenant=tenant), 'resources', 'ResourceGroups_List', 200)
            arm_ok(api.arm('GET', f'{base}/providers/Microsoft.Authorization/roleAssignments', '2022-04-01', tenant=tenant,
                           params={'$filter': 'atScope()'}), 'authorization', 'RoleAssignments_ListForScope', 200)
            for rg in sub['resource_groups']:
                rg_path = f'{base}/resourceGroups/{rg["name"]}'
                arm_ok(api.arm('GET', rg_path, '2025-04-01', tenant=tenant), 'resources', 'ResourceGroups_Get', 200)
                for vnet in rg.get('virtual_networks', []):
                    vnet_path = f'{rg_path}/providers/Microsoft.Network/virtualNetworks/{vnet["name"]}'
                    arm_ok(api.arm('GET', vnet_path, '2026-03-01', tenant=tenant), 'network', 'VirtualNetworks_Get', 200)
                    listed = arm_ok(api.arm('GET', f'{vnet_path}/subnets', '2026-03-01', tenant=tenant), 'network', 'Subnets_List', 200)
                    assert {s['name'] for s in listed['value']} == {s['name'] for s in vnet['subnets']}
                    for subnet in vnet['subnets']:
                        arm_ok(api.arm('GET', f'{vnet_path}/subnets/{subnet["name"]}', '2026-03-01', tenant=tenant),
                               'network', 'Subnets_Get', 200)

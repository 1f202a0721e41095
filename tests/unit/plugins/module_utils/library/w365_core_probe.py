# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only module: drives W365Module under ansible-playbook (AnsiballZ packaging, env fallbacks, errors)."""

from __future__ import annotations

DOCUMENTATION = r'''
module: w365_core_probe
short_description: Test probe for the w365.cloudpc client layer
description: Lists Azure network connections (Graph) or subnets (ARM) and reports what the client layer did.
author: w365.cloudpc tests (@w365)
options:
  action:
    description: What to call.
    type: str
    default: graph
    choices: [graph, arm, none]
  subscription_id:
    description: Subscription for O(action=arm).
    type: str
extends_documentation_fragment:
  - w365.cloudpc.auth
'''

import sys

from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365Error
from ansible_collections.w365.cloudpc.plugins.module_utils._module import W365Module, subscription_id_option


def main():
    module = W365Module(argument_spec=dict(action=dict(type='str', default='graph', choices=['graph', 'arm', 'none']),
                                           subscription_id=subscription_id_option()),
                        supports_check_mode=True)
    action = module.params['action']
    count = None
    try:
        if action == 'graph':
            count = len(module.graph.list('deviceManagement/virtualEndpoint/onPremisesConnections'))
        elif action == 'arm':
            count = len(module.arm.list('/subscriptions/%s/resourceGroups/rg-core/providers/Microsoft.Network/'
                                        'virtualNetworks/vnet-core/subnets' % module.params['subscription_id'],
                                        '2024-05-01'))
    except W365Error as e:
        module.fail_api(e, 'probe %s' % action)
    module.exit(False, diff={'before': {}, 'after': {'count': count}}, count=count,
                subscription_id=module.params['subscription_id'], cloud=module.endpoints.cloud,
                ca_bundle=module.ca_bundle,
                azure_mgmt_imported=sorted({m.split('.')[2] for m in sys.modules if m.startswith('azure.mgmt.')}))


if __name__ == '__main__':
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: w365_provisioning_policy_info
short_description: List Windows 365 provisioning policies with their assignments
version_added: 1.1.0
description:
  - Lists Windows 365 provisioning policies (Microsoft Graph v1.0 C(cloudPcProvisioningPolicy)) with their
    assignments, the names of the Azure network connections they use (alternates included), their image and the
    names of the assigned groups.
  - Optionally lists the Windows 365 gallery images with their end and expiry dates, to pick one for
    M(w365.cloudpc.w365_provisioning_policy).
author:
  - w365.cloudpc contributors (@w365)
extends_documentation_fragment:
  - w365.cloudpc.auth
  - w365.cloudpc.attributes
  - w365.cloudpc.attributes.actiongroup
  - w365.cloudpc.attributes.info_module
options:
  name:
    description: Only the policies with this display name. All policies when neither this nor O(id) is given.
    type: str
  id:
    description: Only the policy with this Graph ID.
    type: str
  gallery_images:
    description: Also return RV(gallery_images).
    type: bool
    default: false
notes:
  - Group names need permission to read groups (for example C(Group.Read.All)); without it C(group_name) is null.
seealso:
  - module: w365.cloudpc.w365_provisioning_policy
'''

EXAMPLES = r'''
- name: One policy by name
  w365.cloudpc.w365_provisioning_policy_info:
    name: cpc-standard
  register: found

- name: Every policy, and the gallery images to choose from
  w365.cloudpc.w365_provisioning_policy_info:
    gallery_images: true
'''

RETURN = r'''
policies:
  description:
    - The policies, sorted by name, in the form M(w365.cloudpc.w365_provisioning_policy) returns
      (C(id), C(name), C(description), C(provisioning_type), C(image), C(network), C(single_sign_on), C(local_admin),
      C(naming_template), C(windows_language), C(autopatch_group_id), C(cloud_pc_group_display_name),
      C(grace_period_in_hours), C(assignments)).
  returned: always
  type: list
  elements: dict
gallery_images:
  description:
    - With O(gallery_images=true), the Windows 365 gallery images, each with C(id), C(display_name),
      C(publisher_name), C(offer_name), C(sku_name), C(start_date), C(end_date), C(expiration_date), C(status).
  returned: when O(gallery_images=true)
  type: list
  elements: dict
auth_method:
  description: The sign-in method used.
  returned: always
  type: str
'''

from ansible_collections.w365.cloudpc.plugins.module_utils import _anc, _policies
from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ApiError, W365ConfigError
from ansible_collections.w365.cloudpc.plugins.module_utils._ids import is_guid
from ansible_collections.w365.cloudpc.plugins.module_utils._module import W365Module

_GALLERY_KEYS = (('id', 'id'), ('displayName', 'display_name'), ('publisherName', 'publisher_name'),
                 ('offerName', 'offer_name'), ('skuName', 'sku_name'), ('startDate', 'start_date'),
                 ('endDate', 'end_date'), ('expirationDate', 'expiration_date'), ('status', 'status'))


def read(module):
    p, graph = module.params, module.graph
    if p['id'] is not None:
        if not is_guid(p['id']):
            raise W365ConfigError('id', 'must be the Graph ID (a GUID) of a provisioning policy')
        found = _policies.get(graph, p['id'])
        items = [found] if found and (p['name'] is None or found.get('displayName') == p['name']) else []
    else:
        items = _policies.list_by_name(graph, p['name'])
    anc_names = {}
    if any(c.get('onPremisesConnectionId') for i in items for c in i.get('domainJoinConfigurations') or []):
        try:
            anc_names = {str(c.get('id')).lower(): c.get('displayName') for c in _anc.list_by_name(graph)}
        except W365ApiError as err:
            module.warn('could not list Azure network connections to name them: HTTP %s %s' % (err.status, err.code))
    group_names = {}
    for item in items:
        for gid, _sp in _policies.assignment_targets(item):
            if gid not in group_names:
                group_names[gid] = _policies.group_name(graph, gid)
    policies = sorted((_policies.to_result(i, anc_names, group_names) for i in items),
                      key=lambda r: ((r['name'] or '').lower(), r['id'] or ''))
    result = {'policies': policies}
    if p['gallery_images']:
        result['gallery_images'] = [{out: g.get(key) for key, out in _GALLERY_KEYS}
                                    for g in graph.list(_policies.GALLERY_IMAGES_PATH)]
    return result


def main():
    module = W365Module(argument_spec=dict(name=dict(type='str'), id=dict(type='str'),
                                           gallery_images=dict(type='bool', default=False)),
                        supports_check_mode=True)
    result = module.run(lambda: read(module), 'could not list provisioning policies')
    module.exit(False, **result)


if __name__ == '__main__':
    main()

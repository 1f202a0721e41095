#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: w365_provisioning_policy
short_description: Manage Windows 365 provisioning policies and their group assignments
version_added: 1.1.0
description:
  - Create, update, assign and delete Windows 365 provisioning policies (Microsoft Graph v1.0
    C(cloudPcProvisioningPolicy)), the step that makes Azure network connections and images usable.
  - Options are in your terms - connections, images and groups by name - and the module resolves them to IDs.
    Every input is resolved and checked before the first write; a task that cannot succeed sends no write.
  - Only options that are given are compared; omitted options leave the service's value alone, and nothing is
    written when nothing differs.
  - Windows 365 applies a changed policy only to Cloud PCs provisioned afterwards; existing Cloud PCs keep their
    network, image and settings until reprovisioned. The result says so in RV(notes) when such a setting changes.
    O(apply_to_existing_cloud_pcs) opts into Graph's beta C(apply) action for region and single sign-on changes.
author:
  - w365.cloudpc contributors (@w365)
extends_documentation_fragment:
  - w365.cloudpc.auth
  - w365.cloudpc.attributes
  - w365.cloudpc.attributes.actiongroup
attributes:
  check_mode:
    support: full
    details:
      - Check mode sends no write request and predicts the policy and its assignments after the task.
  diff_mode:
    support: full
    details:
      - The diff shows the managed settings and the assignments before and after.
  idempotent:
    support: full
options:
  name:
    description:
      - Display name of the policy. It identifies the policy, so it must be unique in the tenant; two policies with
        this name make the task fail without touching either, naming their IDs.
      - The Intune admin center refuses the characters C(< > & | " ^); so does this module. Control characters are
        refused too.
      - Two runs creating the same policy at once end with one policy (the one with the lowest ID); the other run
        deletes its own copy, which nothing is assigned to yet, and adopts it.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the policy and its assignments; V(absent) deletes it.
      - A policy with assignments is not deleted unless O(unassign=true); the task then fails naming the groups and
        sends no write.
    type: str
    choices: [present, absent]
    default: present
  description:
    description: Description of the policy.
    type: str
  provisioning_type:
    description:
      - V(dedicated) (Windows 365 Enterprise, and Frontline dedicated) or the Frontline shared modes V(shared),
        V(shared_by_user) and V(shared_by_entra_group) (Graph C(dedicated), C(shared), C(sharedByUser),
        C(sharedByEntraGroup)).
      - Set only when creating; the service does not change it afterwards, and asking for another type than the
        existing policy has fails before any write. A new policy without it is V(dedicated).
    type: str
    choices: [dedicated, shared, shared_by_user, shared_by_entra_group]
  network:
    description:
      - Where Cloud PCs are placed, in priority order - the first entry is the primary, the rest are alternate
        Azure network connections (Graph C(domainJoinConfigurations)). Compared in order.
      - Each entry is an Azure network connection by name (O(network[].anc)), or a Microsoft-hosted network
        (O(network[].region) and/or O(network[].region_group), Microsoft Entra join only).
      - Each connection must exist, have a unique name, and not have failed its health checks; its join type must
        match O(network[].join_type), and all connections of one policy share one join type. A Microsoft-hosted
        network is the only entry of its policy. A connection still running its checks gets a warning (the service refuses one
        during its first checks).
      - Required to create a policy.
    type: list
    elements: dict
    suboptions:
      anc:
        description: Display name of an Azure network connection (see M(w365.cloudpc.w365_anc)).
        type: str
      join_type:
        description:
          - V(entra_join) (Graph C(azureADJoin)) or V(hybrid_join) (Graph C(hybridAzureADJoin)).
          - For a connection, defaults to the connection's own join type and must equal it when given. A
            Microsoft-hosted network is always V(entra_join).
        type: str
        choices: [entra_join, hybrid_join]
      region:
        description:
          - Microsoft-hosted network - the Azure region (for example V(westeurope)), or V(automatic) to let Windows
            365 choose within O(network[].region_group).
        type: str
      region_group:
        description:
          - Microsoft-hosted network - the geography (Graph C(cloudPcRegionGroup)), for example V(europeUnion).
        type: str
  image:
    description:
      - The operating system image. Required to create a policy.
    type: dict
    suboptions:
      type:
        description: V(custom) for an uploaded custom image, V(gallery) for a Windows 365 gallery image.
        type: str
        choices: [custom, gallery]
        required: true
      name:
        description:
          - V(custom) - the custom image's name (see M(w365.cloudpc.w365_custom_image)).
          - V(gallery) - the gallery image's display name, SKU name or ID, as
            M(w365.cloudpc.w365_provisioning_policy_info) lists them with O(w365.cloudpc.w365_provisioning_policy_info#module:gallery_images=true).
        type: str
        required: true
      version:
        description:
          - V(custom) only - the image version (Major.Minor.Patch). It must be C(ready).
          - When omitted, the highest version of that name that is C(ready).
        type: str
  image_warning_days:
    description:
      - A gallery image past its expiry date (or C(notSupported)) is refused. One past its end date, or within this
        many days of its end or expiry date, gets a warning.
    type: int
    default: 60
  single_sign_on:
    description: Let users sign in to their Cloud PC with Microsoft Entra single sign-on (Graph C(enableSingleSignOn)).
    type: bool
  local_admin:
    description: Make users local administrators of their Cloud PCs (Graph C(localAdminEnabled)).
    type: bool
  naming_template:
    description:
      - Cloud PC naming template (Graph C(cloudPcNamingTemplate)), for example C(CPC-%USERNAME:4%-%RAND:5%).
      - Checked as Windows 365 documents it, before any write - letters, digits and hyphens only, no blanks, a
        prefix (the text before the first macro) of at most 10 characters, C(%USERNAME:x%) only for dedicated Cloud
        PCs, a C(%RAND:y%) macro with y of at least 5, and at most 15 characters with each macro counted as the
        characters it produces.
    type: str
  windows_language:
    description: Windows language and region of new Cloud PCs (Graph C(windowsSetting.locale)), for example V(en-US).
    type: str
  autopatch_group_id:
    description:
      - ID of the Windows Autopatch group of new Cloud PCs (Graph C(autopatch.autopatchGroupId)). An empty string
        removes it.
    type: str
  assignments:
    description:
      - The Entra groups the policy is assigned to. The whole list replaces the current assignments through Graph's
        C(assign) action, only when it differs (order does not matter). An empty list removes every assignment.
        Omitted, assignments are left alone.
      - Each group is found by object ID or by exact display name; a name shared by several groups fails naming
        their IDs, and a group that is neither a security group nor a Microsoft 365 group is refused.
    type: list
    elements: dict
    suboptions:
      group:
        description: Display name or object ID of the Entra group.
        type: str
        required: true
      service_plan_id:
        description:
          - The Windows 365 Frontline service plan (GUID) of this group's Cloud PCs. Required for the shared
            provisioning types; refused for V(dedicated), where Graph takes none.
        type: str
  unassign:
    description:
      - With O(state=absent), remove the policy's assignments before deleting it. Without it a policy that still
        has assignments is not deleted.
    type: bool
    default: false
  apply_to_existing_cloud_pcs:
    description:
      - Settings whose change this task also pushes to the policy's existing Cloud PCs, through Graph's C(apply)
        action, which exists only in Graph B(beta). Never done by default.
      - V(region) - after this task changes O(network) (for example the region of a Microsoft-hosted network).
        V(single_sign_on) - after this task changes O(single_sign_on).
      - Sent once, by the run that changes the setting; a run that changes nothing sends nothing.
    type: list
    elements: str
    choices: [region, single_sign_on]
    default: []
notes:
  - Graph documents provisioning policy writes for delegated and application C(CloudPC.ReadWrite.All); resolving
    groups by name needs C(Group.Read.All) (or C(Directory.Read.All)).
seealso:
  - module: w365.cloudpc.w365_provisioning_policy_info
  - module: w365.cloudpc.w365_anc
  - module: w365.cloudpc.w365_custom_image
  - name: Create provisioning policies
    description: Microsoft's guide to provisioning policies.
    link: https://learn.microsoft.com/windows-365/enterprise/create-provisioning-policy
  - name: cloudPcProvisioningPolicy resource type
    description: The Graph v1.0 resource this module manages.
    link: https://learn.microsoft.com/graph/api/resources/cloudpcprovisioningpolicy
'''

EXAMPLES = r'''
- name: Entra-joined policy on two connections (primary and alternate) with the tenant's custom image
  w365.cloudpc.w365_provisioning_policy:
    name: cpc-standard
    description: Standard Cloud PCs
    network:
      - anc: anc-weu-entra
      - anc: anc-neu-entra
    image:
      type: custom
      name: win11-corp
      version: 1.0.3
    single_sign_on: true
    naming_template: CPC-%USERNAME:4%-%RAND:5%
    windows_language: en-GB
    assignments:
      - group: SG-CloudPC-Users

- name: Microsoft-hosted network with a gallery image
  w365.cloudpc.w365_provisioning_policy:
    name: cpc-hosted
    network:
      - region: automatic
        region_group: europeUnion
    image:
      type: gallery
      name: Windows 11 Enterprise + Microsoft 365 Apps 24H2

- name: Delete a policy, removing its assignments first
  w365.cloudpc.w365_provisioning_policy:
    name: cpc-standard
    state: absent
    unassign: true
'''

RETURN = r'''
policy:
  description: The policy after the task (in check mode, as it would be). Empty after a delete.
  returned: always
  type: dict
  contains:
    id:
      description: Graph ID. V(null) for a policy check mode would create.
      type: str
    name:
      description: Display name.
      type: str
    description:
      description: Description.
      type: str
    provisioning_type:
      description: V(dedicated), V(shared), V(shared_by_user), V(shared_by_entra_group), or Graph's value.
      type: str
    image:
      description: C(type) (custom or gallery), C(id) and C(display_name) of the image.
      type: dict
    network:
      description:
        - In priority order, each with C(anc) (connection name, when resolved), C(anc_id), C(join_type),
          C(region) and C(region_group).
      type: list
      elements: dict
    single_sign_on:
      description: Whether single sign-on is enabled.
      type: bool
    local_admin:
      description: Whether users are local administrators.
      type: bool
    naming_template:
      description: Cloud PC naming template.
      type: str
    windows_language:
      description: Windows language and region.
      type: str
    autopatch_group_id:
      description: Windows Autopatch group ID.
      type: str
    cloud_pc_group_display_name:
      description: Cloud PC group display name, as the service computes it.
      type: str
    grace_period_in_hours:
      description: Hours before reprovisioning or deprovisioning, as the service sets it.
      type: int
    assignments:
      description: The assigned groups, each with C(group_id), C(group_name) and C(service_plan_id).
      type: list
      elements: dict
notes:
  description: What the change means for existing Cloud PCs (they keep their settings until reprovisioned).
  returned: always
  type: list
  elements: str
cloud_pcs_provisioned:
  description:
    - With O(state=absent) and a policy that existed, how many Cloud PCs it provisioned (Graph C(cloudPCs) whose
      C(provisioningPolicyId) is the policy); V(null) when they could not be read.
  returned: when O(state=absent)
  type: int
auth_method:
  description: The sign-in method used.
  returned: always
  type: str
'''

import time

from ansible_collections.w365.cloudpc.plugins.module_utils import _anc, _converge, _images, _policies
from ansible_collections.w365.cloudpc.plugins.module_utils._constants import SUPPORTED_REGIONS_PATH
from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ApiError, W365ConfigError, W365TaskFailed
from ansible_collections.w365.cloudpc.plugins.module_utils._ids import is_guid
from ansible_collections.w365.cloudpc.plugins.module_utils._module import W365Module
from ansible_collections.w365.cloudpc.plugins.module_utils._preflight import supported_regions_from_graph


class PolicyManager(object):
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.changed = False
        self.read_at = time.monotonic()
        self.anc_names = {}
        self.group_names = {}

    @property
    def graph(self):
        return self.module.graph

    # -- reads -------------------------------------------------------------------------------------------------
    def find(self):
        self.read_at = time.monotonic()
        matches = _policies.list_by_name(self.graph, self.params['name'])
        if len(matches) > 1:
            raise W365TaskFailed(_policies.duplicate_name_message(self.params['name'], matches), changed=False,
                                 policy_ids=sorted(m.get('id') for m in matches))
        return matches[0] if matches else None

    def get(self, policy_id):
        return _policies.get(self.graph, policy_id)

    def resolve(self, current):
        """Every referenced object, read and checked before any write -> (network configs, image, image type,
        [(group ID, service plan ID)] or None). All problems are collected and reported together."""
        p = self.params
        problems = []
        entries = _policies.normalize_network(p['network'])
        configs = None
        if entries is not None:
            connections = _anc.list_by_name(self.graph)
            self.anc_names.update({str(c.get('id')).lower(): c.get('displayName') for c in connections})
            configs, network_problems = _policies.resolve_network(entries, connections)
            problems.extend(network_problems)
            for name in _policies.pending_connections(entries, connections):
                self.module.warn('Azure network connection %r is still running its health checks; the service '
                                 'refuses a connection during its first checks (wait for them with w365_anc '
                                 'wait=true)' % name)
        if any(e.get('region') not in (None, 'automatic') for e in entries or []):
            problems.extend(self.hosted_region_problems(entries))
        image, image_type = None, None
        if p['image'] is not None:
            image_type = p['image']['type']
            if image_type == 'custom':
                images = self.graph.list(_images.IMAGES_PATH, headers=_images.PREFER_ALL_ENUM_MEMBERS)
                image, problem = _policies.resolve_custom_image(images, p['image']['name'], p['image']['version'])
            else:
                gallery = self.graph.list(_policies.GALLERY_IMAGES_PATH)
                image, warnings, problem = _policies.resolve_gallery_image(
                    gallery, p['image']['name'], _policies.today_utc(), p['image_warning_days'])
                for warning in warnings:
                    self.module.warn(warning)
            if problem:
                problems.append(('image', problem))
        resolved_groups = None
        if p['assignments'] is not None:
            kind = p['provisioning_type'] or (_policies.provisioning_type_name(current.get('provisioningType'))
                                              if current else 'dedicated')
            _policies.validate_assignments(p['assignments'], kind)
            resolved_groups = []
            for i, item in enumerate(p['assignments']):
                try:
                    found = _policies.find_groups(self.graph, item['group'])
                except W365ApiError as err:
                    if err.status not in (401, 403):
                        raise
                    if not is_guid(item['group']):
                        self.module.fail_api(err, 'could not look up Entra group %r for assignments[%d]: %s'
                                             % (item['group'], i, _policies.GROUP_READ_HINT), changed=False)
                    self.module.warn('could not read Entra group %s (HTTP %s %s) to check it; it is assigned by ID as '
                                     'given' % (item['group'], err.status, err.code))
                    found = [{'id': item['group'].lower(), 'displayName': None, 'securityEnabled': True}]
                group, problem = _policies.match_groups(item['group'], found)
                if problem:
                    problems.append(('assignments[%d]' % i, problem))
                    continue
                self.group_names[str(group['id']).lower()] = group.get('displayName')
                resolved_groups.append((group['id'], item.get('service_plan_id')))
        if problems:
            option = problems[0][0]
            raise W365ConfigError(option, '; '.join('%s: %s' % (o, m) for o, m in problems))
        return configs, image, image_type, resolved_groups

    def hosted_region_problems(self, entries):
        """Check a Microsoft-hosted region against Graph beta supportedRegions; when the caller may not read it, the
        service decides (with a warning)."""
        try:
            regions = self.graph.list(SUPPORTED_REGIONS_PATH, version='beta')
        except W365ApiError as err:
            if err.status not in (401, 403):
                raise
            self.module.warn('could not read the regions Windows 365 supports (HTTP %s %s); the service checks the '
                             'region of the Microsoft-hosted network' % (err.status, err.code))
            return []
        names, statuses = supported_regions_from_graph(regions)
        return _policies.hosted_region_problems(entries, names, statuses)

    def names_for(self, policy):
        """Fill in connection and group names for a result (reads only what is not known yet)."""
        if policy is None:
            return
        unknown_anc = [c.get('onPremisesConnectionId') for c in policy.get('domainJoinConfigurations') or []
                       if c.get('onPremisesConnectionId') and str(c['onPremisesConnectionId']).lower()
                       not in self.anc_names]
        if unknown_anc:
            try:
                for conn in _anc.list_by_name(self.graph):
                    self.anc_names[str(conn.get('id')).lower()] = conn.get('displayName')
            except W365ApiError as err:
                self.module.warn('could not list Azure network connections to name them: HTTP %s %s'
                                 % (err.status, err.code))
        for gid, _sp in _policies.assignment_targets(policy):
            if gid not in self.group_names:
                self.group_names[gid] = _policies.group_name(self.graph, gid)

    def result(self, policy):
        self.names_for(policy)
        return _policies.to_result(policy, self.anc_names, self.group_names)

    # -- writes ------------------------------------------------------------------------------------------------
    def write(self, call, *args):
        result = call(*args)
        self.changed = True
        return result

    def assign(self, policy_id, resolved):
        self.write(self.graph.post, '%s/%s/assign' % (_policies.POLICIES_PATH, policy_id),
                   _policies.assign_body(resolved))

    def create(self, body):
        """Create so that racing runs and lost answers end on one policy -> the policy this run keeps."""
        name = body['displayName']

        own, read_back = _converge.create_named(lambda: self.write(self.graph.post, _policies.POLICIES_PATH, body),
                                                lambda: _policies.list_by_name(self.graph, name))
        if read_back:
            self.changed = True
        took = time.monotonic() - self.read_at
        time.sleep(_converge.settle_seconds(took))
        winner = _converge.winner(_policies.list_by_name(self.graph, name))
        if winner is None or _converge.same_id(winner, own):
            return self.get(own['id']) or own, False
        if read_back:
            self.module.warn('provisioning policy %r: this run\'s create got no answer, so it cannot tell whether '
                             'policy %s is its own; it adopted %s, which racing runs keep. If %s remains, delete it '
                             'in the Intune admin center.' % (name, own['id'], winner['id'], own['id']))
            return self.get(winner['id']), True
        self.module.warn(_converge.drop_own_copy(
            lambda: self.write(self.graph.delete, '%s/%s' % (_policies.POLICIES_PATH, own['id'])),
            'provisioning policy %r' % name, own, winner))
        return self.get(winner['id']), True

    # -- states ------------------------------------------------------------------------------------------------
    def present(self, current):
        """-> (after, notes)."""
        p, check = self.params, self.module.check_mode
        if current is not None:
            conflict = _policies.immutable_conflict(current, p)
            if conflict:
                raise conflict
        if current is not None and p['provisioning_type'] is None:
            # The existing policy's type decides what the template may use (offline, the option's type was checked).
            _policies.validate_naming_template(p['naming_template'],
                                               _policies.provisioning_type_name(current.get('provisioningType')))
        configs, image, image_type, groups = self.resolve(current)
        desired = _policies.desired_body(p, configs, image, image_type)
        if current is None:
            missing = [o for o in ('network', 'image') if p[o] is None]
            if missing:
                raise W365ConfigError(missing[0], 'provisioning policy %r does not exist yet, and creating it needs %s'
                                      % (p['name'], ' and '.join(missing)))
            body = _policies.create_body(desired)
            if check:
                self.changed = True
                after = _policies.predicted_created(body)
                return (_policies.with_assignments(after, groups) if groups else after), []
            current, adopted = self.create(body)
            if not adopted:
                if groups:
                    self.assign(current['id'], groups)
                    current = self.get(current['id'])
                return current, []
            # Another run's policy won: apply this task's settings to it like to any existing policy.
        patch = _policies.patch_body(current, desired)
        reassign = groups is not None and \
            _policies.assignment_targets(current) != _policies.desired_targets(groups)
        notes = _policies.existing_cloud_pc_notes(patch)
        apply = _policies.apply_settings(p['apply_to_existing_cloud_pcs'], patch)
        notes += _policies.apply_notes(apply)
        if not (patch or reassign):
            return current, notes
        if check:
            self.changed = True
            after = _policies.apply_patch(current, patch)
            return (_policies.with_assignments(after, groups) if reassign else after), notes
        if patch:
            self.write(self.graph.patch, '%s/%s' % (_policies.POLICIES_PATH, current['id']), patch)
        if reassign:
            self.assign(current['id'], groups)
        if apply:
            self.write(self.graph.post, '%s/%s/apply' % (_policies.POLICIES_PATH, current['id']),
                       {'policySettings': apply}, 'beta')
        return self.get(current['id']), notes

    def absent(self, current):
        """-> number of Cloud PCs the policy provisioned (None when unknown)."""
        if current is None:
            return None
        count = _policies.count_cloud_pcs(self.graph, current['id'])
        targets = _policies.assignment_targets(current)
        if targets and not self.params['unassign']:
            result = self.result(current)
            groups = ', '.join('%s (%s)' % (a['group_name'] or '?', a['group_id']) for a in result['assignments'])
            raise W365TaskFailed('provisioning policy %r is still assigned to %s; set unassign=true to remove the '
                                 'assignments and delete it (users in those groups get no new Cloud PC from it)'
                                 % (current['displayName'], groups), changed=False, policy=result,
                                 cloud_pcs_provisioned=count)
        self.changed = True
        if self.module.check_mode:
            return count
        if targets:
            self.assign(current['id'], [])
        self.write(self.graph.delete, '%s/%s' % (_policies.POLICIES_PATH, current['id']))
        return count


def argument_spec():
    return dict(
        name=dict(type='str', required=True),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        description=dict(type='str'),
        provisioning_type=dict(type='str', choices=list(_policies.PROVISIONING_TYPES)),
        network=dict(type='list', elements='dict', options=dict(
            anc=dict(type='str'),
            join_type=dict(type='str', choices=['entra_join', 'hybrid_join']),
            region=dict(type='str'),
            region_group=dict(type='str'),
        )),
        image=dict(type='dict', options=dict(
            type=dict(type='str', choices=list(_policies.IMAGE_TYPES), required=True),
            name=dict(type='str', required=True),
            version=dict(type='str'),
        )),
        image_warning_days=dict(type='int', default=_policies.DEFAULT_IMAGE_WARNING_DAYS),
        single_sign_on=dict(type='bool'),
        local_admin=dict(type='bool'),
        naming_template=dict(type='str'),
        windows_language=dict(type='str'),
        autopatch_group_id=dict(type='str'),
        assignments=dict(type='list', elements='dict', options=dict(
            group=dict(type='str', required=True),
            service_plan_id=dict(type='str'),
        )),
        unassign=dict(type='bool', default=False),
        apply_to_existing_cloud_pcs=dict(type='list', elements='str', choices=list(_policies.APPLY_SETTINGS),
                                         default=[]),
    )


def check_inputs(module):
    """Offline checks, before any request."""
    p = module.params
    module.refuse_control_characters('name', 'description', 'naming_template', 'windows_language')
    _policies.validate_name(p['name'])
    if p['state'] == 'absent':
        return
    _policies.validate_naming_template(p['naming_template'], p['provisioning_type'])
    _policies.validate_locale(p['windows_language'])
    _policies.normalize_network(p['network'])
    try:
        _policies.validate_image(p['image'])
    except W365ConfigError as err:
        raise W365ConfigError('image', 'image.%s' % err.message if err.option == 'version' else err.message) from None
    _policies.validate_assignments(p['assignments'], p['provisioning_type'])
    if p['autopatch_group_id'] and not is_guid(p['autopatch_group_id']):
        raise W365ConfigError('autopatch_group_id', 'must be the ID (GUID) of a Windows Autopatch group, or empty to '
                                                    'remove it')


def run(module, manager):
    p = module.params
    check_inputs(module)
    current = manager.find()
    before = _policies.diff_view(manager.result(current))
    if p['state'] == 'absent':
        count = manager.absent(current)
        module.exit(manager.changed, diff={'before': before, 'after': {}}, policy={}, notes=[],
                    cloud_pcs_provisioned=count)
        return
    after, notes = manager.present(current)
    result = manager.result(after)
    module.exit(manager.changed, diff={'before': before, 'after': _policies.diff_view(result)}, policy=result,
                notes=notes if manager.changed else [])


def main():
    module = W365Module(argument_spec=argument_spec(), supports_check_mode=True)
    manager = PolicyManager(module)
    module.run(lambda: run(module, manager), 'provisioning policy %r' % module.params['name'],
               result=lambda: {'changed': manager.changed})


if __name__ == '__main__':
    main()

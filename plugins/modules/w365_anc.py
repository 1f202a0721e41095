#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: w365_anc
short_description: Manage Windows 365 Azure network connections
version_added: 1.0.0
description:
  - Create, update and delete Windows 365 Azure network connections (ANCs, Microsoft Graph
    C(cloudPcOnPremisesConnection)), run their health checks and wait for the result.
  - The connection is found by its display name, which must be unique in the tenant.
  - Only options that are given are compared; omitted options leave the service's value alone, and nothing is
    written when nothing differs.
  - Microsoft documents writes to Azure network connections as delegated-only, so sign in as a user (for example
    O(auth_method=username_password)) with the Intune Administrator or Windows 365 Administrator role.
  - Before creating a connection, grant the Windows 365 service principal its Azure roles (see
    M(w365.cloudpc.w365_role_grant)); missing roles show up as failed C(permissionCheck) health checks.
author:
  - w365.cloudpc contributors (@w365)
extends_documentation_fragment:
  - w365.cloudpc.auth
  - w365.cloudpc.attributes
  - w365.cloudpc.attributes.actiongroup
  - w365.cloudpc.network
attributes:
  check_mode:
    support: full
    details:
      - Check mode sends no write request and reports whether one would be sent.
      - Health checks are neither started nor waited for in check mode.
  diff_mode:
    support: full
    details:
      - The diff shows the connection's settings; the AD domain password is never shown, only that it would be
        sent.
  idempotent:
    support: partial
    details:
      - O(update_password=always) and O(run_health_checks=true) act on every run and report a change.
options:
  name:
    description:
      - Display name of the connection. It identifies the connection (unless O(id) is given), so it must be
        unique in the tenant; two connections with this name make the task fail without touching either, naming
        their IDs (see O(id)).
      - Two runs creating the same connection at once end with one connection. After its create, each run waits
        until the other run's create has landed, lists the connections of this name and keeps the one with the
        lowest ID; a run whose own connection lost waits for that connection's first health checks, deletes it and
        adopts the winner (with a warning). Both runs then report the same connection.
      - A create whose answer is lost (dropped connection, timeout, HTTP 5xx) is read back by name before it is
        sent again, so it is never repeated when the service carried it out.
      - Control characters (tab, line breaks) are refused.
    type: str
    required: true
  id:
    description:
      - Graph ID of the connection to manage, for when several connections share O(name) (Graph does not
        enforce unique names). The connection is then found by this ID instead of by its name; a different O(name)
        renames it.
      - With O(state=absent), deletes exactly this connection (not when it is in use), which is how an extra
        connection of the same name is removed.
      - Never creates a connection; a connection with this ID must exist for O(state=present).
    type: str
  state:
    description:
      - V(present) creates or updates the connection; V(absent) deletes it.
      - A connection in use cannot be deleted - referenced by a provisioning policy (also as an alternate
        connection), used by a Cloud PC, or the backup connection for cross-region disaster recovery in user
        settings. The task then fails naming the policies, the Cloud PCs and the user settings, and sends no delete
        request.
    type: str
    choices: [present, absent]
    default: present
  join_type:
    description:
      - How Cloud PCs on this connection join a domain. V(entra_join) is Microsoft Entra join (Graph
        C(azureADJoin)); V(hybrid_join) is hybrid Microsoft Entra join (Graph C(hybridAzureADJoin)), which needs
        the AD domain options.
      - Required to create a connection. The service does not allow changing it later; asking for a different
        join type than the existing connection has fails.
    type: str
    choices: [entra_join, hybrid_join]
  subscription_id:
    description:
      - ID (GUID) of the Azure subscription holding the resource group and virtual network.
      - May be omitted when O(resource_group), O(virtual_network) or O(subnet) is a full resource ID, or when
        updating an existing connection.
    type: str
  resource_group:
    description:
      - Resource group where Windows 365 creates the Cloud PCs' network interfaces, by name (inside
        O(subscription_id)) or full resource ID.
      - Also where the virtual network is looked up by name, unless O(virtual_network_resource_group) is set.
    type: str
  subnet:
    description:
      - The subnet Cloud PCs attach to, by name (inside O(virtual_network)) or full resource ID.
      - Resource IDs are compared case-insensitively.
      - Before creating a connection, or moving one to another subnet, the task reads the subnet from Azure
        Resource Manager and fails naming O(subnet) when it does not exist. When the caller may not read it, a
        warning says so and the service checks it.
    type: str
  ad_domain_name:
    description:
      - DNS name of the Active Directory domain to join, for example C(corp.contoso.com). V(hybrid_join) only.
      - Required to create a V(hybrid_join) connection.
    type: str
  ad_domain_username:
    description:
      - The account that joins Cloud PCs to the domain, in user principal name form, for example
        C(svcDomainJoin@corp.contoso.com). V(hybrid_join) only.
      - Required to create a V(hybrid_join) connection.
    type: str
  ad_domain_password:
    description:
      - Password of O(ad_domain_username). V(hybrid_join) only. It can never be read back; see O(update_password).
      - Required to create a V(hybrid_join) connection.
    type: str
  update_password:
    description:
      - V(on_create) sends O(ad_domain_password) only when the connection is created.
      - V(always) also sends it to an existing connection on every run and reports a change, because the current
        password cannot be compared. A connection whose health checks succeeded gets Graph C(updateAdDomainPassword)
        (documented for a successful connection); any other connection - typically one whose checks failed on the
        old credentials - gets a PATCH of C(adDomainPassword), and so does a successful one when the service refuses
        the action. It needs O(ad_domain_password); without it the task fails before anything is sent.
    type: str
    choices: [on_create, always]
    default: on_create
  organizational_unit:
    description:
      - Distinguished name of the OU where computer accounts are created, for example
        C(OU=CloudPCs,DC=corp,DC=contoso,DC=com). V(hybrid_join) only.
      - When never set, the domain's default computers container is used.
    type: str
  run_health_checks:
    description:
      - Start a new run of the connection's health checks. Reports a change.
      - Not needed right after a create or update, which start the checks by themselves; no second run is
        started while checks are already running.
    type: bool
    default: false
  wait:
    description:
      - Wait until running health checks finish (up to O(wait_timeout)) before returning.
      - Also lets an update wait for running checks to finish, since the service refuses edits meanwhile;
        without it such an update fails and says so.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait when O(wait=true). Health checks can take about 30 minutes.
    type: int
    default: 3600
  fail_on_unhealthy:
    description:
      - Fail the task when the connection's final health-check status is C(failed), listing each failed check,
        its error type and the recommended action.
    type: bool
    default: false
  anc_limit:
    description:
      - The most Azure network connections the tenant may hold. Creating one more fails before any write.
      - Microsoft documents 50 per tenant; older documents said 10.
    type: int
    default: 50
notes:
  - Changes to a connection apply only to Cloud PCs provisioned afterwards.
  - Deleting a connection also makes the service remove the Azure role assignments it made for it.
seealso:
  - module: w365.cloudpc.w365_anc_info
  - module: w365.cloudpc.w365_role_grant
  - name: Create Azure network connections
    description: Microsoft's guide to creating ANCs.
    link: https://learn.microsoft.com/windows-365/enterprise/create-azure-network-connection
  - name: Azure network connection health checks
    description: What each check tests, and how to fix failures.
    link: https://learn.microsoft.com/windows-365/enterprise/health-checks
'''

EXAMPLES = r'''
- name: Entra-joined connection on an existing subnet, waiting for the health checks
  w365.cloudpc.w365_anc:
    auth_method: username_password
    tenant_id: "{{ tenant_id }}"
    username: "{{ w365_admin_upn }}"
    password: "{{ w365_admin_password }}"
    name: anc-weu-entra
    join_type: entra_join
    subscription_id: 11111111-2222-3333-4444-555555555555
    resource_group: rg-cloudpc-weu
    virtual_network: vnet-cloudpc-weu
    subnet: snet-cloudpcs
    wait: true
    fail_on_unhealthy: true

- name: Hybrid-joined connection, vnet in a hub resource group, sign-in from module_defaults
  w365.cloudpc.w365_anc:
    name: anc-weu-hybrid
    join_type: hybrid_join
    subscription_id: 11111111-2222-3333-4444-555555555555
    resource_group: rg-cloudpc-weu
    virtual_network_resource_group: rg-hub-network
    virtual_network: vnet-hub-weu
    subnet: snet-cloudpcs
    ad_domain_name: corp.contoso.com
    ad_domain_username: svcDomainJoin@corp.contoso.com
    ad_domain_password: "{{ vault_domain_join_password }}"
    organizational_unit: OU=CloudPCs,OU=Devices,DC=corp,DC=contoso,DC=com

- name: Rotate the domain-join password
  w365.cloudpc.w365_anc:
    name: anc-weu-hybrid
    ad_domain_password: "{{ vault_new_domain_join_password }}"
    update_password: always

- name: Move the connection to another subnet of the same virtual network
  w365.cloudpc.w365_anc:
    name: anc-weu-entra
    subnet: snet-cloudpcs-2
    wait: true

- name: Re-run the health checks after fixing a problem and fail if they still fail
  w365.cloudpc.w365_anc:
    name: anc-weu-hybrid
    run_health_checks: true
    wait: true
    fail_on_unhealthy: true

- name: Delete a connection (fails, naming the policies, while provisioning policies use it)
  w365.cloudpc.w365_anc:
    name: anc-weu-entra
    state: absent
'''

RETURN = r'''
connection:
  description:
    - The connection after the task (in check mode, as it would be). Empty after a delete.
    - Never holds the AD domain password.
  returned: always
  type: dict
  contains:
    id:
      description: Graph ID of the connection. V(null) for a connection check mode would create.
      type: str
      sample: 9ec90ff8-fd63-4fb5-ad1d-4e5ee9f0ae6f
    name:
      description: Display name.
      type: str
      sample: anc-weu-hybrid
    join_type:
      description: V(entra_join) or V(hybrid_join); a join type unknown to this module is returned as Graph names it.
      type: str
      sample: hybrid_join
    subscription_id:
      description: Subscription ID.
      type: str
    subscription_name:
      description: Subscription display name, as the service computes it.
      type: str
    resource_group_id:
      description: Resource group ID for the Cloud PCs' network interfaces.
      type: str
    virtual_network_id:
      description: Virtual network ID.
      type: str
    subnet_id:
      description: Subnet ID.
      type: str
    virtual_network_location:
      description: Azure region of the virtual network, as the service computes it.
      type: str
      sample: westeurope
    ad_domain_name:
      description: AD domain name (V(hybrid_join) only).
      type: str
    ad_domain_username:
      description: Domain-join account (V(hybrid_join) only).
      type: str
    organizational_unit:
      description: OU for computer accounts (V(hybrid_join) only).
      type: str
    in_use:
      description:
        - Whether the connection is in use (Graph C(inUse)) - by a provisioning policy, also as an alternate
          connection, by a Cloud PC, or as the cross-region disaster recovery backup connection in user settings.
      type: bool
    in_use_by_cloud_pc:
      description: Whether a Cloud PC uses the connection (Graph C(inUseByCloudPc)).
      type: bool
    health_check_status:
      description:
        - Overall health-check status - C(pending), C(running), C(passed), C(failed), C(warning),
          C(informational) or a value the service adds later.
      type: str
      sample: passed
    health_check_start_date_time:
      description: When the last health-check run started.
      type: str
    health_check_end_date_time:
      description: When the last health-check run ended.
      type: str
    health_checks:
      description: The individual checks of the last run.
      type: list
      elements: dict
      contains:
        name:
          description: Check name.
          type: str
        status:
          description: Check status, same values as RV(connection.health_check_status).
          type: str
        error_type:
          description:
            - Graph C(errorType), for example C(permissionCheckNoWindows365NetworkUserRole). Treated as an open
              string; see the collection's C(docs/anc.md) for the remedy of each.
          type: str
        explanation:
          description: What RV(connection.health_checks[].error_type) means, when the collection knows it; else null.
          type: str
        remedy:
          description: How to fix it, when the collection knows the error type; else null.
          type: str
        recommended_action:
          description: What the service recommends doing.
          type: str
        additional_detail:
          description: More detail from the service.
          type: str
        correlation_id:
          description: ID to quote to Microsoft support.
          type: str
        start_date_time:
          description: When the check started.
          type: str
        end_date_time:
          description: When the check ended.
          type: str
auth_method:
  description: The sign-in method used.
  returned: always
  type: str
  sample: username_password
'''

import time

from ansible_collections.w365.cloudpc.plugins.module_utils import _anc, _converge
from ansible_collections.w365.cloudpc.plugins.module_utils._constants import API_NETWORK, DEFAULT_ANC_LIMIT
from ansible_collections.w365.cloudpc.plugins.module_utils._errors import (
    W365ApiError, W365ConfigError, W365TaskFailed, W365WaitTimeout)
from ansible_collections.w365.cloudpc.plugins.module_utils._ids import is_guid
from ansible_collections.w365.cloudpc.plugins.module_utils._module import W365Module
from ansible_collections.w365.cloudpc.plugins.module_utils._resource import ResourceTask
from ansible_collections.w365.cloudpc.plugins.module_utils._waiter import wait_until

# Methods that always yield an application (app-only) token; azure_cli may be either, so it gets no hint.
APP_ONLY_METHODS = frozenset(('client_secret', 'client_certificate', 'workload_identity', 'managed_identity'))
# Checks take minutes to half an hour: poll soon after a start (cheap GETs), then settle at the slower interval.
WAIT_INTERVAL = 30
FIRST_POLL = 1.0


class AncTask(ResourceTask):
    def __init__(self, module):
        super().__init__(module)
        self.read_at = time.monotonic()
        # Whether the diff shows that the AD domain password was (or would be) sent.
        self.password_sent = False

    # -- reads -------------------------------------------------------------------------------------------------
    def read(self):
        # When this read started: a create decides between racing runs after twice the read-to-create time.
        self.read_at = time.monotonic()
        anc_id, name = self.params.get('id'), self.params['name']
        if not anc_id:
            matches = _anc.list_by_name(self.graph, name)
            if len(matches) > 1:
                raise W365ConfigError('name', _anc.duplicate_name_message(name, matches))
            return matches[0] if matches else None
        current = self.graph.get_or_none('%s/%s' % (_anc.ANC_PATH, anc_id), params={'$select': _anc.SELECT})
        if current is None and self.state == 'present':
            raise W365ConfigError('id', 'no Azure network connection has id %s; omit id to find or create the '
                                        'connection by its name' % anc_id)
        return current

    def get(self, anc_id):
        return self.graph.get('%s/%s' % (_anc.ANC_PATH, anc_id), params={'$select': _anc.SELECT})

    def count(self):
        return len(self.graph.list(_anc.ANC_PATH, params={'$select': 'id'}))

    def check_subnet(self, subnet_id):
        """Fail before any write when the subnet a create or move would use does not exist (one ARM GET).

        A caller who may not read it (Intune roles without Azure RBAC) gets a warning and the service decides.
        """
        try:
            found = self.module.arm.get_or_none(subnet_id, API_NETWORK)
        except W365ApiError as err:
            if err.status not in (401, 403):
                raise
            self.module.warn('could not check that subnet %s exists (%s %s); the service checks it when the '
                             'connection is written' % (subnet_id, err.status, err.code))
            return
        if found is None:
            raise W365ConfigError('subnet', 'subnet %s does not exist (or its virtual network, resource group or '
                                            'subscription does not); create it first or fix subnet, '
                                            'virtual_network, virtual_network_resource_group and resource_group'
                                  % subnet_id)

    def in_use_blockers(self, current):
        """What keeps the connection in use (policies, Cloud PCs, user settings); what could not be read is warned."""
        blockers = _anc.in_use_blockers(self.graph, current)
        for what in blockers['unreadable']:
            self.module.warn('could not list %s to name what uses the connection' % what)
        return blockers

    # -- writes ------------------------------------------------------------------------------------------------
    def write(self, call, *args):
        try:
            result = call(*args)
        except W365ApiError as err:
            if err.status == 403 and self.module.auth_method in APP_ONLY_METHODS:
                self.module.fail_api(err, 'the service refused the write to Azure network connection %r. %s'
                                     % (self.params['name'], _anc.APP_ONLY_WRITE_HINT), changed=self.changed)
            if err.status == 403:
                from ansible_collections.w365.cloudpc.plugins.module_utils._signin_checks import explain_refusal
                why = explain_refusal(self.module, 'anc_write')
                if why:
                    self.module.fail_api(err, 'the service refused the write to Azure network connection %r. %s'
                                         % (self.params['name'], why), changed=self.changed)
            raise
        self.changed = True
        return result

    def create(self, body):
        """Create the connection so that racing runs and lost answers end on exactly one; returns
        (connection this run keeps, True when it is another run's connection adopted in place of this run's own).

        A create whose answer is lost is read back before it is sent again. Then, once every racing run's create
        has landed, the connections sharing the name are listed and the lowest ID wins: a run whose own connection
        lost deletes it (nothing uses it yet; the service refuses the delete while its first checks run, so it
        waits for them) and adopts the winner.
        """
        name = body['displayName']

        own, read_back = _converge.create_named(lambda: self.write(self.graph.post, _anc.ANC_PATH, body),
                                                lambda: _anc.list_by_name(self.graph, name))
        if read_back:
            self.changed = True  # something was created for this name: by this run or by one racing it
        took = time.monotonic() - self.read_at
        # The connection as the create left it (the result reports that moment, as for any create).
        created = self.get(own['id'])
        time.sleep(_converge.settle_seconds(took))
        matches = _anc.list_by_name(self.graph, name)
        winner = _converge.winner(matches)
        if winner is None or _converge.same_id(winner, own):
            return created, False
        if read_back:
            # The read-back cannot say whose connection that was: leave it to the run that made it.
            self.module.warn('Azure network connection %r: this run\'s create got no answer, so it cannot tell '
                             'whether connection %s is its own; it adopted %s, which racing runs keep. If %s remains, '
                             'delete it with state=absent and id=%s.'
                             % (name, own['id'], winner['id'], own['id'], own['id']))
            return winner, True
        self.remove_own_duplicate(own, winner)
        return winner, True

    def remove_own_duplicate(self, own, winner):
        name = own.get('displayName')
        current = self.get(own['id'])
        if current.get('inUse'):
            self.module.warn('Azure network connection %r: another run created %s at the same time; this run\'s '
                             'own %s is already in use, so it was left in place. Delete one of them with '
                             'state=absent and its id.' % (name, winner['id'], own['id']))
            return
        if not _anc.checks_done(current):
            self.wait_for_checks(current, 'the first health checks of duplicate %r (%s) to finish before deleting '
                                          'it' % (name, own['id']))
        self.module.warn(_converge.drop_own_copy(lambda: self.write(self.graph.delete, '%s/%s' % (_anc.ANC_PATH, own['id'])),
                                                 'Azure network connection %r' % name, own, winner))

    def wait_for_checks(self, obj, what):
        try:
            return wait_until(lambda: self.get(obj['id']), _anc.checks_done, timeout=self.params['wait_timeout'],
                              interval=WAIT_INTERVAL, what=what, first_interval=FIRST_POLL)
        except W365WaitTimeout as err:
            err.hint = 'run again with wait: true to keep waiting'
            err.result = {'connection': _anc.to_result(err.last) if isinstance(err.last, dict) else None}
            raise

    def settle_before_edit(self, current):
        """The service refuses edits while checks run: wait for them, or fail saying so."""
        if _anc.checks_done(current):
            return current
        if not self.params['wait']:
            raise W365ConfigError('wait', _anc.checks_running_message(current['displayName'],
                                                                      current.get('healthCheckStatus')))
        if self.module.check_mode:
            return current
        return self.wait_for_checks(current, 'health checks on %r to finish before editing it'
                                    % current['displayName'])

    # -- states ------------------------------------------------------------------------------------------------
    def ensure_present(self, current):
        """Create or update the connection, then run and wait for health checks as asked: (changed, after)."""
        changed, after, self.password_sent, restarted = self.settings(current)
        health_changed, after = self.health(after, restarted)
        return changed or health_changed, after

    def settings(self, current):
        """Create or update the connection's settings: (changed, after, password sent, checks restarted)."""
        p, check = self.params, self.module.check_mode
        if current is None:
            target = _anc.resolve_target(p)
            missing = _anc.missing_for_create(p, target)
            if missing:
                raise W365ConfigError(missing[0], 'connection %r does not exist yet, and creating it needs %s'
                                      % (p['name'], ', '.join(missing)))
            self.check_subnet(target.subnet_id)
            count = self.count()
            if count >= p['anc_limit']:
                raise W365ConfigError('anc_limit', _anc.limit_message(count, p['anc_limit']))
            body = _anc.create_body(p, target)
            if check:
                return True, _anc.predicted_created(body), p['join_type'] == 'hybrid_join', True
            created, adopted = self.create(body)
            if not adopted:
                return True, created, p['join_type'] == 'hybrid_join', True
            # Another run's connection won: apply this task's options to it like to any existing connection.
            _changed, after, _rotate, _restarted = self.settings(self.get(created['id']))
            return True, after, p['join_type'] == 'hybrid_join', True

        _anc.validate_against_current(p, current)
        patch = _anc.patch_body(current, _anc.desired_body(p, _anc.resolve_target(p, current)))
        _anc.check_network_consistency(_anc.apply_patch(current, patch))
        if patch.get('subnetId'):
            self.check_subnet(patch['subnetId'])
        rotate = p['update_password'] == 'always' and p['ad_domain_password'] is not None
        if not (patch or rotate):
            return False, current, False, False
        current = self.settle_before_edit(current)
        if check:
            return True, _anc.apply_patch(current, patch), rotate, True
        path = '%s/%s' % (_anc.ANC_PATH, current['id'])
        if patch:
            # Either write restarts the checks, which blocks the other: a PATCH carries the password along.
            body = dict(patch, adDomainPassword=p['ad_domain_password']) if rotate else patch
            self.write(self.graph.patch, path, body)
        else:
            self.rotate_password(current, path)
        return True, self.get(current['id']), rotate, True

    def rotate_password(self, current, path):
        """updateAdDomainPassword on a healthy connection; PATCH adDomainPassword on an unhealthy one (the usual
        reason to rotate is a failed credential check) or when the service refuses the action."""
        body = {'adDomainPassword': self.params['ad_domain_password']}
        if _anc.password_rotation_method(current) == _anc.ROTATION_PATCH:
            self.write(self.graph.patch, path, body)
            return
        try:
            self.write(self.graph.post, path + '/updateAdDomainPassword', body)
        except W365ApiError as err:
            if err.status not in _anc.ROTATION_ACTION_REFUSED:
                raise
            self.write(self.graph.patch, path, body)

    def health(self, after, restarted):
        """Run and wait for health checks as asked; returns (changed, after)."""
        p, changed = self.params, False
        if p['run_health_checks'] and not restarted and _anc.checks_done(after):
            changed = True
            if not self.module.check_mode:
                self.write(self.graph.post, '%s/%s/runHealthChecks' % (_anc.ANC_PATH, after['id']))
                after = self.get(after['id'])
        if p['wait'] and not self.module.check_mode and not _anc.checks_done(after):
            after = self.wait_for_checks(after, 'health checks on %r to finish' % after['displayName'])
        return changed, after

    def ensure_absent(self, current):
        if current is None:
            return False, None
        if current.get('inUse') or current.get('inUseByCloudPc'):
            blockers = self.in_use_blockers(current)
            raise W365TaskFailed(_anc.in_use_message(current['displayName'], blockers), changed=False,
                                 connection=_anc.to_result(current),
                                 provisioning_policies=blockers['provisioning_policies'],
                                 cloud_pcs=blockers['cloud_pcs'], user_settings=blockers['user_settings'])
        current = self.settle_before_edit(current)
        if not self.module.check_mode:
            self.write(self.graph.delete, '%s/%s' % (_anc.ANC_PATH, current['id']))
        return True, None

    # -- options and result ------------------------------------------------------------------------------------
    def check_inputs(self):
        """Offline checks of the options that W365Module's argument spec does not cover."""
        p = self.params
        self.module.refuse_control_characters('name', 'ad_domain_name', 'ad_domain_username', 'organizational_unit')
        if p['update_password'] == 'always' and p['state'] == 'present' and not p['ad_domain_password']:
            raise W365ConfigError('update_password', 'update_password=always sends ad_domain_password on every run, '
                                                     'but ad_domain_password is not set; set it, or use '
                                                     'update_password=on_create')
        for warning in _anc.validate_options(p):
            self.module.warn(warning)
        if p['id'] is not None and not is_guid(p['id']):
            raise W365ConfigError('id', 'must be the Graph ID (a GUID) of an Azure network connection, as '
                                        'w365_anc_info returns it')

    def exit(self, changed, current, after):
        before = _anc.diff_view(_anc.to_result(current))
        if after is None:
            self.module.exit(changed, diff={'before': before, 'after': {}}, connection={})
            return
        result = _anc.to_result(after)
        diff = {'before': before, 'after': _anc.diff_view(result, self.password_sent)}
        if self.params['fail_on_unhealthy'] and (result.get('health_check_status') or '').lower() == 'failed':
            raise W365TaskFailed(_anc.unhealthy_message(result), changed=changed, connection=result,
                                 failed_checks=_anc.failed_checks(result))
        self.module.exit(changed, diff=diff, connection=result)


def argument_spec():
    return dict(
        name=dict(type='str', required=True),
        id=dict(type='str'),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        join_type=dict(type='str', choices=['entra_join', 'hybrid_join']),
        subscription_id=dict(type='str'),
        resource_group=dict(type='str'),
        virtual_network_resource_group=dict(type='str'),
        virtual_network=dict(type='str'),
        subnet=dict(type='str'),
        ad_domain_name=dict(type='str'),
        ad_domain_username=dict(type='str'),
        ad_domain_password=dict(type='str', no_log=True),
        update_password=dict(type='str', choices=['on_create', 'always'], default='on_create', no_log=False),
        organizational_unit=dict(type='str'),
        run_health_checks=dict(type='bool', default=False),
        wait=dict(type='bool', default=False),
        wait_timeout=dict(type='int', default=3600),
        fail_on_unhealthy=dict(type='bool', default=False),
        anc_limit=dict(type='int', default=DEFAULT_ANC_LIMIT),
    )


def main():
    module = W365Module(argument_spec=argument_spec(), supports_check_mode=True)
    task = AncTask(module)
    module.run(task.run, 'Azure network connection %r' % module.params['name'], result=task.changes)


if __name__ == '__main__':
    main()

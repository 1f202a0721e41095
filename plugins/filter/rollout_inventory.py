# -*- coding: utf-8 -*-
# Copyright: (c) 2026, w365.cloudpc maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter rollout_inventory_problems: the whole-inventory check of playbooks/rollout.yml (logic in module_utils)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from ansible.errors import AnsibleError
from jinja2 import Undefined
from jinja2.exceptions import UndefinedError
from ansible_collections.w365.cloudpc.plugins.module_utils._inventory import format_problem, plan_policies, validate_inventory

# ansible-core 2.19 raises jinja2's UndefinedError (its MarkerError) when a lazy value names an undefined variable.
_TEMPLATE_ERRORS = (AnsibleError, UndefinedError)

ROLLOUT_VARS = ('w365_tenant', 'w365_region', 'w365_network_connection', 'w365_images', 'w365_auth',
                'w365_auth_common', 'w365_provisioning_policies')
# Variables that make a host a deployment of the rollout (a host with none of them is not ours).
DEPLOYMENT_VARS = ('w365_tenant', 'w365_region', 'w365_network_connection')


# Stands in for a value that could not be templated, so the checks of required keys do not report it twice.
UNREADABLE = '(could not be templated)'


def _why(err):
    """The undefined variable's name when that is the cause (a name, never a value), else a generic reason."""
    match = re.search(r"'([A-Za-z_][A-Za-z0-9_]*)' is undefined", str(getattr(err, 'message', '') or err))
    return ('%s is undefined (a vault file not loaded?)' % match.group(1)) if match else 'its template failed'


def _undefined_reason(value):
    """Why an undefined value (ansible-core 2.19 hands undefined templates on as jinja2 Undefined) is undefined."""
    name = getattr(value, '_undefined_name', None)
    if name and re.match(r'^[A-Za-z_][A-Za-z0-9_]*$', str(name)):
        return '%s is undefined (a vault file not loaded?)' % name
    return 'its template failed or names an undefined variable'


def _resolve(value, path, unreadable):
    """A plain copy of `value` with every template resolved; what cannot be resolved is listed, not shown."""
    if isinstance(value, Undefined):
        unreadable.append((path, _undefined_reason(value)))
        return UNREADABLE
    if isinstance(value, Mapping):
        out = {}
        for key in list(value.keys()):
            try:
                item = value[key]
            except _TEMPLATE_ERRORS as err:
                unreadable.append(('%s.%s' % (path, key), _why(err)))
                out[key] = UNREADABLE
                continue
            out[key] = _resolve(item, '%s.%s' % (path, key), unreadable)
        return out
    if isinstance(value, (list, tuple)):
        out = []
        for index in range(len(value)):
            try:
                item = value[index]
            except _TEMPLATE_ERRORS as err:
                unreadable.append(('%s[%d]' % (path, index), _why(err)))
                out.append(UNREADABLE)
                continue
            out.append(_resolve(item, '%s[%d]' % (path, index), unreadable))
        return out
    return value


def _host_vars(hostvars, host):
    """The rollout variables of one host; a variable that cannot be templated is reported, not shown."""
    try:
        hv = hostvars[host]
    except KeyError:
        return {}, []
    found, unreadable = {}, []
    for name in ROLLOUT_VARS:
        try:
            if name not in hv:
                continue
            value = hv[name]
        except _TEMPLATE_ERRORS as err:
            unreadable.append((name, _why(err)))
            continue
        found[name] = _resolve(value, name, unreadable)
    return found, unreadable


def rollout_inventory_problems(hostnames, hostvars, play_hosts=None, tenant_map=None, extra_regions=None):
    """Every problem of the rollout inventory, as a list of {host, tenant, variable, message, text}."""
    hosts, problems = {}, []
    play = list(play_hosts) if play_hosts is not None else None
    for host in hostnames or []:
        found, unreadable = _host_vars(hostvars, host)
        if not any(name in found for name in DEPLOYMENT_VARS) and (host not in (play or []) or host == 'localhost'):
            # Not a deployment (an explicit localhost, a host of another play): not ours to check.
            continue
        hosts[host] = found
        for name, why in unreadable:
            problems.append({'host': host, 'tenant': found.get('w365_tenant') if isinstance(
                found.get('w365_tenant'), str) else None, 'variable': name,
                'message': '%s could not be templated: %s.' % (name, why)})
    problems += validate_inventory(hosts, play, tenant_map, extra_regions=extra_regions)
    for problem in problems:
        problem['text'] = format_problem(problem)
    return problems


def _plain(value):
    """A plain copy of a (lazy) variable; what cannot be templated is left out (the inventory check reports it)."""
    return _resolve(value, '', [])


def rollout_policy_plan(policies, hostnames, hostvars, tenant, play_hosts=None, check_mode=False):
    """The tenant's provisioning policies with their references and why each is skipped (see plan_policies)."""
    play = set(play_hosts or [])
    connections, records = [], []
    for host in hostnames or []:
        try:
            hv = hostvars[host]
            if hv.get('w365_tenant') != tenant:
                continue
            conn = _plain(hv.get('w365_network_connection'))
            record = _plain(hv.get('w365_deployment')) if host in play else None
        except _TEMPLATE_ERRORS:
            continue
        if isinstance(conn, dict) and isinstance(conn.get('name'), str):
            connections.append({'host': host, 'name': conn['name'], 'join_type': conn.get('join_type', 'entra_join'),
                                'in_run': host in play})
        if isinstance(record, dict):
            records.append(record)
    return plan_policies(_plain(policies) or [], connections, records, check_mode=bool(check_mode))


class FilterModule(object):
    def filters(self):
        return {'rollout_inventory_problems': rollout_inventory_problems,
                'rollout_policy_plan': rollout_policy_plan}

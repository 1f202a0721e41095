# -*- coding: utf-8 -*-
# Copyright: (c) 2026, w365.cloudpc maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter rollout_inventory_problems: the whole-inventory check of playbooks/rollout.yml (logic in module_utils)."""

from __future__ import annotations

from ansible.errors import AnsibleError
from ansible_collections.w365.cloudpc.plugins.module_utils._inventory import format_problem, validate_inventory

ROLLOUT_VARS = ('w365_tenant', 'w365_region', 'w365_network_connection', 'w365_images', 'w365_auth',
                'w365_auth_common')
# Variables that make a host a deployment of the rollout (a host with none of them is not ours).
DEPLOYMENT_VARS = ('w365_tenant', 'w365_region', 'w365_network_connection')


def _host_vars(hostvars, host):
    """The rollout variables of one host; a variable that cannot be templated is reported, not shown."""
    try:
        hv = hostvars[host]
    except KeyError:
        return {}, []
    found, unreadable = {}, []
    for name in ROLLOUT_VARS:
        try:
            if name in hv:
                found[name] = hv[name]
        except AnsibleError:
            unreadable.append(name)
    return found, unreadable


def rollout_inventory_problems(hostnames, hostvars, play_hosts=None, tenant_map=None, extra_regions=None):
    """Every problem of the rollout inventory, as a list of {host, tenant, variable, message, text}."""
    hosts, problems = {}, []
    play = list(play_hosts) if play_hosts is not None else None
    for host in hostnames or []:
        found, unreadable = _host_vars(hostvars, host)
        if not any(name in found for name in DEPLOYMENT_VARS) and host not in (play or []):
            continue
        hosts[host] = found
        for name in unreadable:
            problems.append({'host': host, 'tenant': None, 'variable': name,
                             'message': '%s could not be templated (an undefined variable or a vault that could '
                                        'not be opened?); the value is not shown.' % name})
    problems += validate_inventory(hosts, play, tenant_map, extra_regions=extra_regions)
    for problem in problems:
        problem['text'] = format_problem(problem)
    return problems


class FilterModule(object):
    def filters(self):
        return {'rollout_inventory_problems': rollout_inventory_problems}

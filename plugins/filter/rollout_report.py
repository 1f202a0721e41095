# -*- coding: utf-8 -*-
# Copyright: (c) 2026, w365.cloudpc maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that shape and render the rollout report (JSON data, Markdown, self-contained HTML).

Rendering lives in Python, not in Jinja templates, so every value is escaped in one place and the report
logic is unit-tested.
"""

from __future__ import annotations

import html

from ansible.errors import AnsibleFilterError
from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ConfigError
from ansible_collections.w365.cloudpc.plugins.module_utils._inventory import merge_signin

REPORT_VERSION = 1

_STATUS_ORDER = {'failed': 0, 'changed': 1, 'ok': 2}


def format_check(check):
    """One preflight check as a line: 'name (status): detail Remedy: remedy'."""
    line = '%s (%s): %s' % (check.get('name'), check.get('status'), check.get('detail') or '')
    if check.get('remedy'):
        line += ' Remedy: %s' % check['remedy']
    return line


def format_health_check(check):
    """One ANC health check as a line, with its error type and recommended action."""
    line = '%s (%s)' % (check.get('name') or check.get('display_name'), check.get('status'))
    if check.get('error_type'):
        line += ' [%s]' % check['error_type']
    if check.get('additional_detail'):
        line += ': %s' % check['additional_detail']
    if check.get('recommended_action'):
        line += ' Recommended action: %s' % check['recommended_action']
    if check.get('remedy'):
        # The collection's remedy for this error type (plugins/module_utils/_health_checks.py).
        line += ' Remedy: %s' % check['remedy']
    return line


# Task names of the roles, mapped to the stage of a deployment they belong to (for "failed in <stage>").
_STAGES = (
    ('whole inventory', 'inventory'),
    ('sign in', 'sign-in'),
    ('preflight', 'preflight'),
    ('grant', 'role grants'),
    ('azure network connection', 'connection'),
    ('health check', 'health checks'),
    ('upload', 'image upload'),
    ('check the image', 'image upload'),
    ('inventory entry', 'inventory'),
    ('validating arguments', 'inputs'),
)


def rollout_stage(task_name):
    """The deployment stage a failed task belongs to, from the role task names."""
    name = (task_name or '').lower()
    for needle, stage in _STAGES:
        if needle in name:
            return stage
    return task_name or 'unknown'


def _summarise_preflight(result, manage_grants=True):
    """Failed, warning and skipped checks. The role_grants warning ("missing - the next step creates them") is
    dropped when the rollout creates the grants itself: it is not something to act on."""
    result = result or {}
    if not result.get('summary'):
        return {}
    summary = dict(result['summary'])
    checks = [c for c in result.get('checks') or [] if c.get('status') in ('failed', 'warning', 'skipped')]
    if manage_grants:
        dropped = [c for c in checks if c.get('name') == 'role_grants' and c.get('status') == 'warning']
        if dropped:
            checks = [c for c in checks if c not in dropped]
            summary['warning'] = max(0, int(summary.get('warning') or 0) - len(dropped))
            summary['passed'] = int(summary.get('passed') or 0) + len(dropped)
            summary['warning_checks'] = [n for n in summary.get('warning_checks') or [] if n != 'role_grants']
            if summary.get('status') == 'warning' and not summary['warning'] and not summary.get('failed'):
                summary['status'] = 'passed'
    return {'summary': summary, 'checks': checks}


def _summarise_connection(ncr):
    """The report's view of the network_connection role result (or of a partial one after a failure)."""
    ncr = ncr or {}
    conn = ncr.get('connection') or {}
    checks = conn.get('health_checks') or []
    return {
        'name': ncr.get('name') or conn.get('name'),
        'id': conn.get('id'),
        'join_type': conn.get('join_type'),
        'subnet_id': conn.get('subnet_id'),
        'virtual_network_location': conn.get('virtual_network_location'),
        'health_check_status': conn.get('health_check_status'),
        'in_use': conn.get('in_use'),
        'failed_health_checks': [c for c in checks if c.get('status') == 'failed'],
        'warning_health_checks': [c for c in checks if c.get('status') == 'warning'],
    }


def _summarise_grants(grants):
    return [{'role_name': g.get('role_name'), 'scope': g.get('scope'), 'assignment_id': g.get('assignment_id'),
             'changed': bool(g.get('changed'))} for g in grants or []]


def _changes(ncr, preflight, images, image_failures=()):
    """Every write this deployment sent, including those made before a failure."""
    ncr = ncr or {}
    changes = []
    for grant in ncr.get('grants') or []:
        if grant.get('changed'):
            changes.append('granted %s on %s' % (grant.get('role_name'), grant.get('scope')))
    for grant in ncr.get('legacy_grants') or []:
        if grant.get('changed'):
            changes.append('removed legacy %s on %s' % (grant.get('role_name'), grant.get('scope')))
    if ncr.get('connection_changed'):
        existed = None
        for check in (preflight or {}).get('checks') or []:
            if check.get('name') == 'anc_limit':
                existed = (check.get('data') or {}).get('already_exists')
        verb = 'updated' if existed else 'created' if existed is False else 'created or updated'
        changes.append('%s Azure network connection %s' % (verb, ncr.get('name')))
    for image in images or []:
        for grant in image.get('grants') or []:
            if grant.get('changed'):
                changes.append('granted %s on %s' % (grant.get('role_name'), grant.get('scope')))
        if image.get('image_changed'):
            changes.append('uploaded image %s %s' % (image.get('name'), image.get('version')))
    for failure in image_failures or []:
        for grant in failure.get('grants') or []:
            if grant.get('changed'):
                changes.append('granted %s on %s (for image %s %s, which then failed)' % (
                    grant.get('role_name'), grant.get('scope'), failure.get('name'), failure.get('version')))
    return changes


def _summarise_image(result):
    image = result.get('image') or {}
    return {
        'name': result.get('name') or image.get('name'),
        'version': result.get('version') or image.get('version'),
        'id': image.get('id'),
        'status': image.get('status') or result.get('status'),
        'error_code': image.get('error_code'),
        'error_explanation': image.get('error_explanation'),
        'error_remedy': image.get('error_remedy'),
        'source_image_id': image.get('source_image_id') or result.get('source_image_id'),
        'changed': bool(result.get('changed')),
    }


def _summarise_gov_mapping(result):
    """The w365_gov_tenant_mapping result reduced to the report's row (empty when the task did not run)."""
    if not result or not isinstance(result, dict) or 'mapping' not in result:
        return {}
    mapping = result.get('mapping') or {}
    sp = result.get('service_principal') or {}
    done = []
    if sp.get('created'):
        done.append('Windows 365 service principal created in Azure Government tenant %s' % result.get('gov_tenant_id'))
    if result.get('changed') and mapping.get('organization_ids_in_us_gov_cloud'):
        done.append('GCC tenant mapped to Azure Government tenant %s'
                    % ', '.join(mapping.get('organization_ids_in_us_gov_cloud')))
    return {'gov_tenant_id': result.get('gov_tenant_id'),
            'mapped_to': list(mapping.get('organization_ids_in_us_gov_cloud') or []),
            'service_principal_id': sp.get('object_id'), 'changed': bool(result.get('changed')),
            'change': '; '.join(done)}


def _policy_changes(result):
    """What a policy task changed, from the module's own list when it gives one, else from its diff."""
    result = result or {}
    if result.get('changes'):
        return [str(c) for c in result['changes']]
    if not result.get('changed'):
        return []
    diff = result.get('diff') or {}
    if isinstance(diff, list):
        diff = diff[0] if diff else {}
    before, after = diff.get('before') or {}, diff.get('after') or {}
    if not before and after:
        return ['created']
    if before and not after:
        return ['deleted']
    fields = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    return ['changed %s' % ', '.join(fields)] if fields else ['changed']


def _summarise_policy(record):
    """One row of the report per provisioning policy: network, image, assignments, what changed, or why not."""
    result = record.get('result') or {}
    network = []
    for index, entry in enumerate(record.get('network') or []):
        entry = entry if isinstance(entry, dict) else {'anc': entry}
        if entry.get('anc'):
            what = str(entry['anc'])
        else:
            what = 'Microsoft-hosted network %s' % ' '.join(
                str(entry[k]) for k in ('region', 'region_group') if entry.get(k))
        network.append('%s (%s%s)' % (what, 'primary' if index == 0 else 'alternate',
                                      ', ' + str(entry['join_type']) if entry.get('join_type') else ''))
    image = record.get('image') or {}
    if image.get('type') == 'gallery':
        image_text = 'gallery image %s' % image.get('name')
    elif image:
        image_text = 'custom image %s %s' % (image.get('name'), image.get('version') or '(highest ready version)')
    else:
        image_text = ''
    assignments = [str(a.get('group') if isinstance(a, dict) else a) for a in record.get('assignments') or []]
    if record.get('skip_reason'):
        status, reason = 'skipped', record['skip_reason']
    elif result.get('failed'):
        status, reason = 'failed', result.get('msg') or 'unknown error'
    elif record.get('deferred'):
        status, reason = 'changed', record['deferred']
    else:
        status, reason = ('changed' if result.get('changed') else 'ok'), None
    changes = _policy_changes(result) if status in ('changed', 'ok') else []
    if record.get('deferred') and not changes:
        changes = ['would be created or updated once what it uses exists']
    if record.get('check_only') and changes:
        # The estate report (report.yml) checks the policies in check mode: nothing was changed.
        changes = ['missing: the rollout would create it' if c == 'created' else
                   'differs: the rollout would change' + c[len('changed'):] if c.startswith('changed') else
                   'differs: %s' % c for c in changes]
    policy = result.get('policy') or {}
    # What a change means for Cloud PCs that exist already (the module says so when it changes such a setting).
    notes = [str(n) for n in result.get('notes') or []] if changes else []
    return {'name': record.get('name'), 'id': policy.get('id'), 'status': status, 'network': network,
            'image': image_text, 'assignments': assignments, 'changes': changes, 'notes': notes, 'reason': reason,
            'action': record.get('action') or 'present'}


def deployment_summary(record):
    """One host's raw record (module and role results) reduced to what the report shows."""
    ncr = record.get('network_connection') or {}
    preflight = record.get('preflight') or {}
    images = record.get('images') or []
    failed = record.get('failed')
    manage_grants = str(record.get('manage_grants', True)).lower() not in ('false', 'no', '0', 'off')
    dep = {
        'host': record.get('host'),
        'tenant': record.get('tenant'),
        'tenant_id': record.get('tenant_id'),
        'region': record.get('region'),
        'preflight': _summarise_preflight(preflight, manage_grants),
        'network_connection': _summarise_connection(ncr) if ncr else {},
        'grants': _summarise_grants(ncr.get('grants')),
        # Teardown: grants left in place, each with the reason (made by someone else, still used, ...).
        'kept_grants': [{'role_name': g.get('role_name'), 'scope': g.get('scope'),
                         'assignment_id': g.get('assignment_id'), 'reason': g.get('reason')}
                        for g in record.get('kept_grants') or []],
        # Playbooks other than the rollout (teardown) describe their changes themselves.
        'changes': list(record['changes']) if record.get('changes') is not None else _changes(
            ncr, preflight, images, record.get('image_failures')),
        'images': [_summarise_image(i) for i in images],
        'image_failures': [],
        'failed': None,
        # Windows 365 Government GCC: the tenant mapping (w365_gov_tenant_mapping), or {} for other clouds.
        'gov_tenant_mapping': _summarise_gov_mapping(record.get('gov_tenant_mapping')),
    }
    if dep['gov_tenant_mapping'].get('changed') and record.get('changes') is None:
        dep['changes'].append(dep['gov_tenant_mapping']['change'])
    if failed:
        dep['failed'] = {'stage': rollout_stage(failed.get('task')), 'task': failed.get('task'),
                         'message': failed.get('message')}
        failed_checks = [c['name'] for c in dep['preflight'].get('checks') or [] if c.get('status') == 'failed']
        if dep['failed']['stage'] == 'preflight' and failed_checks:
            # The checks and their remedies are listed with the preflight: name them, don't repeat them.
            dep['failed']['message'] = 'Preflight failed %d of %d checks: %s.' % (
                len(failed_checks), dep['preflight']['summary'].get('total', 0), ', '.join(failed_checks))
            if not dep['changes']:
                dep['failed']['message'] += ' Nothing was changed.'

    for failure in record.get('image_failures') or []:
        summary = _summarise_image(dict(failure, changed=False))
        summary.update({'stage': rollout_stage(failure.get('task')), 'message': failure.get('message')})
        dep['image_failures'].append(summary)
    if dep['images'] or dep['image_failures']:
        dep['image_host'] = True
    dep['policies'] = [_summarise_policy(p) for p in record.get('policies') or []]
    if dep['policies']:
        dep['policy_host'] = True
    return dep


def _policy_failures(tenant):
    """Policies that failed or were skipped: either way the run must not look green."""
    return [p for p in tenant.get('policies') or [] if p['status'] in ('failed', 'skipped')]


def _deployment_status(dep):
    if dep.get('failed'):
        return 'failed'
    if dep.get('changes'):
        return 'changed'
    return 'ok'


def _scope(scope, deployments):
    """Which deployments of the inventory this report covers (--limit, AWX job and job slice)."""
    scope = dict(scope or {})
    hosts = sorted(str(h) for h in scope.get('hosts') or [d.get('host') for d in deployments or []] if h)
    inventory_hosts = sorted(str(h) for h in scope.get('inventory_hosts') or hosts)
    out = {'hosts': hosts, 'inventory_hosts': len(inventory_hosts), 'limit': scope.get('limit') or None,
           'awx_job_id': scope.get('awx_job_id') or None, 'awx_workflow_job_id': scope.get('awx_workflow_job_id') or None,
           'awx_job_template_name': scope.get('awx_job_template_name') or None}
    out['partial'] = bool(len(hosts) < len(inventory_hosts) or out['limit'] or out['awx_workflow_job_id'])
    text = 'This report covers %d of the %d deployments in the inventory' % (len(hosts), len(inventory_hosts))
    if out['limit']:
        text += ' (--limit %s)' % out['limit']
    text += '.'
    if out['awx_job_id']:
        text += ' AWX job %s' % out['awx_job_id']
        if out['awx_workflow_job_id']:
            text += (' of workflow job %s: under job slicing each slice job sees only its own hosts and writes its '
                     'own report and artifacts (set w365_report_name per job to keep them apart)'
                     % out['awx_workflow_job_id'])
        text += '.'
    out['description'] = text
    return out


def _needs_action(tenants, inventory_problems):
    """What someone has to do, first: one item per failed check, health check, image or inventory problem."""
    items = []
    for problem in inventory_problems or []:
        items.append({'deployment': problem.get('host') or '-', 'tenant': problem.get('tenant'),
                      'check': 'inventory: %s' % problem.get('variable'), 'remedy': problem.get('message')})
    for tenant in tenants:
        for dep in tenant['deployments']:
            failed = dep.get('failed')
            if not failed or failed.get('stage') == 'inventory':
                continue
            before = len(items)
            for check in (dep.get('preflight') or {}).get('checks') or []:
                if check.get('status') == 'failed':
                    items.append({'deployment': dep['host'], 'tenant': tenant['name'],
                                  'check': 'preflight: %s' % check.get('name'),
                                  'remedy': check.get('remedy') or check.get('detail')})
            for check in (dep.get('network_connection') or {}).get('failed_health_checks') or []:
                items.append({'deployment': dep['host'], 'tenant': tenant['name'],
                              'check': 'health check: %s' % (check.get('error_type') or check.get('name')),
                              'remedy': check.get('recommended_action') or check.get('additional_detail')})
            if len(items) == before:
                items.append({'deployment': dep['host'], 'tenant': tenant['name'], 'check': failed.get('stage'),
                              'remedy': failed.get('message')})
        host = next((d['host'] for d in tenant['deployments'] if d.get('image_host')), None)
        for failure in tenant['image_failures']:
            items.append({'deployment': host or '-', 'tenant': tenant['name'],
                          'check': 'image %s %s' % (failure.get('name'), failure.get('version')),
                          'remedy': failure.get('error_remedy') or failure.get('message')})
        host = next((d['host'] for d in tenant['deployments'] if d.get('policy_host')), None)
        for policy in _policy_failures(tenant):
            items.append({'deployment': host or '-', 'tenant': tenant['name'],
                          'check': 'provisioning policy %s (%s)' % (policy.get('name'), policy['status']),
                          'remedy': policy.get('reason')})
    return items


def rollout_report(deployments, generated_at=None, playbook='rollout', check_mode=False, inventory_problems=None,
                   scope=None):
    """Group per-host deployment records into the report: tenants, each with its images and regions.

    A record (set per host by the playbooks) has: host, tenant, tenant_id, region, failed ({task, message}) or
    None, preflight (the w365_preflight result), network_connection (the network_connection role result), images
    (custom_image role results, on the tenant's image host) and image_failures.
    """
    tenants = {}
    for record in sorted(deployments or [], key=lambda d: (str(d.get('tenant')), str(d.get('region')),
                                                           str(d.get('host')))):
        dep = deployment_summary(record)
        dep['status'] = _deployment_status(dep)
        tenant = tenants.setdefault(dep.get('tenant'), {
            'name': dep.get('tenant'), 'tenant_id': dep.get('tenant_id'), 'images': [], 'image_failures': [],
            'policies': [], 'deployments': []})
        tenant['images'].extend(dep.pop('images'))
        tenant['image_failures'].extend(dep.pop('image_failures'))
        tenant['policies'].extend(dep.pop('policies'))
        tenant['deployments'].append(dep)
    tenant_list = []
    for tenant in tenants.values():
        statuses = [d['status'] for d in tenant['deployments']]
        if tenant['image_failures'] or _policy_failures(tenant):
            statuses.append('failed')
        elif any(p['status'] == 'changed' for p in tenant['policies']):
            statuses.append('changed')
        tenant['status'] = min(statuses, key=lambda s: _STATUS_ORDER[s]) if statuses else 'ok'
        tenant_list.append(tenant)
    all_deps = [d for t in tenant_list for d in t['deployments']]
    summary = {
        'tenants': len(tenant_list),
        'deployments': len(all_deps),
        'failed': sum(1 for d in all_deps if d['status'] == 'failed'),
        'changed': sum(1 for d in all_deps if d['status'] == 'changed'),
        'ok': sum(1 for d in all_deps if d['status'] == 'ok'),
        'failed_tenants': sorted(t['name'] for t in tenant_list if t['status'] == 'failed'),
        'failed_deployments': sorted(d['host'] for d in all_deps if d['status'] == 'failed'),
        # Hosts that carry a failure: failed deployments and the image hosts of tenants whose images failed.
        'failed_hosts': sorted(set(d['host'] for d in all_deps if d['status'] == 'failed') | set(
            d['host'] for t in tenant_list if t['image_failures'] for d in t['deployments'] if d.get('image_host'))
            | set(d['host'] for t in tenant_list if _policy_failures(t) for d in t['deployments']
                  if d.get('policy_host'))),
        'images': sum(len(t['images']) for t in tenant_list),
        'image_failures': sum(len(t['image_failures']) for t in tenant_list),
        'policies': sum(len(t['policies']) for t in tenant_list),
        'policy_failures': sum(len(_policy_failures(t)) for t in tenant_list),
    }
    problems = [dict(p) for p in inventory_problems or []]
    summary['inventory_problems'] = len(problems)
    return {
        'report_version': REPORT_VERSION,
        'playbook': playbook,
        'generated_at': generated_at,
        'check_mode': bool(check_mode),
        'scope': _scope(scope, deployments),
        'summary': summary,
        'needs_action': _needs_action(tenant_list, problems),
        'inventory_problems': problems,
        'tenants': tenant_list,
    }


def tenant_signin(common, inventory_auth=None, tenant_map=None, tenant=None):
    """Sign-in options for one tenant's hosts: common options, then the inventory's, then the tenant map entry.

    ``tenant_map`` is the ``w365_tenant_credentials`` extra var: a mapping of tenant key to module sign-in options,
    or that mapping as YAML/JSON text (AWX injects custom credential fields as strings; an empty string is unset).
    A malformed map or an unknown key (``client_secert``) fails here, before any module sees the options, with a
    message that says where and what, never the text (it holds secrets).
    """
    message = None
    try:
        merged = merge_signin(common, inventory_auth, tenant_map, tenant)
    except W365ConfigError as err:
        message = str(err)
    if message is not None:
        # Raised outside the except block: nothing of the parser's own error (which quotes the input) is chained.
        raise AnsibleFilterError(message)
    return merged


# --- Markdown ------------------------------------------------------------------------------------

def _md(text):
    """Escape what would break a Markdown table cell or start markup."""
    if text is None:
        return ''
    text = str(text).replace('\\', '\\\\').replace('|', '\\|').replace('\r', ' ').replace('\n', ' ')
    for char in '*_`<>[]':
        text = text.replace(char, '\\' + char)
    return text


def _title(report):
    return {'rollout': 'Windows 365 rollout report', 'report': 'Windows 365 estate report',
            'teardown': 'Windows 365 teardown report'}.get(report.get('playbook'), 'Windows 365 report')


def _conn(dep):
    return dep.get('network_connection') or {}


def rollout_report_markdown(report):
    """The report as Markdown: summary, then per tenant its images and per region its connection."""
    s = report['summary']
    title = _title(report)
    lines = ['# %s' % title, '',
             'Generated %s%s.' % (_md(report.get('generated_at') or '-'),
                                  ' in check mode (nothing was changed)' if report.get('check_mode') else ''), '',
             '| tenants | deployments | ok | changed | failed | images | image failures | policies | policy failures |',
             '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
             '| %d | %d | %d | %d | %d | %d | %d | %d | %d |' % (
                 s['tenants'], s['deployments'], s['ok'], s['changed'], s['failed'], s['images'],
                 s['image_failures'], s.get('policies', 0), s.get('policy_failures', 0)), '']
    if (report.get('scope') or {}).get('description'):
        lines += [_md(report['scope']['description']), '']
    if s['failed_tenants']:
        lines += ['**Failed tenants:** %s' % ', '.join(_md(t) for t in s['failed_tenants']), '']
    if report.get('needs_action'):
        lines += ['## Needs action', '', '| deployment | check | remedy |', '| --- | --- | --- |']
        for item in report['needs_action']:
            lines.append('| %s | %s | %s |' % (_md(item.get('deployment')), _md(item.get('check')),
                                               _md(item.get('remedy'))))
        lines.append('')
    for tenant in report['tenants']:
        lines += ['## Tenant %s — %s' % (_md(tenant['name']), tenant['status'].upper()), '']
        if tenant.get('tenant_id'):
            lines += ['Tenant ID: `%s`' % str(tenant['tenant_id']).replace('`', ''), '']
        lines += ['### Images', '']
        if not tenant['images'] and not tenant['image_failures']:
            lines += ['None in this run.', '']
        elif tenant['images']:
            lines += ['| image | version | status | error | changed |', '| --- | --- | --- | --- | --- |']
            for image in tenant['images']:
                lines.append('| %s | %s | %s | %s | %s |' % (
                    _md(image.get('name')), _md(image.get('version')), _md(image.get('status')),
                    _md(image.get('error_code') or ''), 'yes' if image.get('changed') else 'no'))
            lines.append('')
        for failure in tenant['image_failures']:
            lines += ['- **Image %s %s failed:** %s' % (_md(failure.get('name')), _md(failure.get('version')),
                                                        _md(failure.get('message'))), '']
        if tenant.get('policies'):
            lines += ['### Provisioning policies', '',
                      '| policy | status | network | image | assignments | changed / reason |',
                      '| --- | --- | --- | --- | --- | --- |']
            for policy in tenant['policies']:
                lines.append('| %s | %s | %s | %s | %s | %s |' % (
                    _md(policy.get('name')), _md(policy.get('status')), '; '.join(_md(n) for n in policy['network']),
                    _md(policy.get('image')), ', '.join(_md(a) for a in policy['assignments']) or 'none',
                    _md('; '.join(policy['changes'] + policy.get('notes', [])
                                  + ([policy['reason']] if policy.get('reason') else [])))))
            lines.append('')
        for dep in tenant['deployments']:
            lines += _md_deployment(dep)
    return '\n'.join(lines).rstrip() + '\n'


def _md_deployment(dep):
    conn = _conn(dep)
    lines = ['### %s (%s) — %s' % (_md(dep.get('region')), _md(dep.get('host')), dep['status'].upper()), '']
    if conn.get('name'):
        lines.append('- Connection: **%s** (`%s`), health: **%s**%s' % (
            _md(conn.get('name')), str(conn.get('id') or 'not created').replace('`', ''),
            _md(conn.get('health_check_status') or 'unknown'),
            ', in use' if conn.get('in_use') else ''))
    for check in conn.get('failed_health_checks') or []:
        lines.append('  - Health check failed: %s' % _md(format_health_check(check)))
    for check in conn.get('warning_health_checks') or []:
        lines.append('  - Health check warning: %s' % _md(format_health_check(check)))
    gov = dep.get('gov_tenant_mapping') or {}
    if gov:
        lines.append('- GCC tenant mapping: Azure Government tenant %s%s' % (
            _md(', '.join(gov.get('mapped_to') or []) or 'none'), ' (mapped now)' if gov.get('changed') else ''))
    grants = dep.get('grants') or []
    if grants:
        described = ['%s on %s%s' % (_md(g.get('role_name')), _md(g.get('scope')),
                                     ' (granted now)' if g.get('changed') else '') for g in grants]
        lines.append('- Grants: %s' % '; '.join(described))
    if dep.get('changes'):
        lines.append('- Changed: %s' % '; '.join(_md(c) for c in dep['changes']))
    for kept in dep.get('kept_grants') or []:
        lines.append('- Kept: %s on %s: %s' % (_md(kept.get('role_name')), _md(kept.get('scope')),
                                               _md(kept.get('reason') or 'not created by this collection')))
    pre = dep.get('preflight') or {}
    if pre.get('summary'):
        ps = pre['summary']
        lines.append('- Preflight: %s (%d passed, %d warnings, %d failed, %d skipped)' % (
            _md(ps.get('status')), ps.get('passed', 0), ps.get('warning', 0), ps.get('failed', 0), ps.get('skipped', 0)))
        for check in pre.get('checks') or []:
            if check.get('status') in ('failed', 'warning'):
                lines.append('  - %s' % _md(format_check(check)))
    failed = dep.get('failed')
    if failed:
        lines.append('- **Failed in %s:** %s' % (_md(failed.get('stage')), _md(failed.get('message'))))
    lines.append('')
    return lines


# --- HTML ----------------------------------------------------------------------------------------

_CSS = '''
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem;color:#1b1b1b;background:#fafafa;
max-width:72rem}
p,li,td,th,code,h1,h2,h3,.remedy{overflow-wrap:anywhere;word-break:break-word}
@media (max-width:600px){body{margin:.5rem}td,th{padding:.2rem .3rem}.card{padding:.4rem .5rem}ul{padding-left:1rem}}
table{max-width:100%}.needs-action li{margin:.3rem 0}.remedy{color:#333}
h1{font-size:1.6rem}h2{font-size:1.3rem;margin-top:2rem;border-bottom:1px solid #ccc}h3{font-size:1.05rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;
vertical-align:top}th{background:#eee}.status{font-weight:bold;padding:.1rem .5rem;border-radius:.3rem}
.ok,.passed,.ready{background:#dff0d8;color:#2b542c}.changed,.warning,.pending,.running{background:#fcf8e3;color:#8a6d3b}
.failed{background:#f2dede;color:#a94442}.skipped{background:#eee;color:#555}code{font-size:.9em}
.card{background:#fff;border:1px solid #ddd;border-radius:.4rem;padding:.6rem 1rem;margin:.8rem 0}
ul{margin:.3rem 0}
'''


def _h(text):
    return html.escape('' if text is None else str(text), quote=True)


def _badge(status):
    return '<span class="status %s">%s</span>' % (_h(status), _h(str(status).upper()))


def rollout_report_html(report):
    """The report as one self-contained HTML page (inline CSS, no script, no external resource)."""
    s = report['summary']
    title = _title(report)
    out = ['<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           '<title>%s</title><style>%s</style></head><body>' % (_h(title), _CSS),
           '<h1>%s</h1>' % _h(title),
           '<p>Generated %s%s.</p>' % (_h(report.get('generated_at') or '-'),
                                       ' in check mode (nothing was changed)' if report.get('check_mode') else ''),
           '<table><tr><th>tenants</th><th>deployments</th><th>ok</th><th>changed</th><th>failed</th><th>images</th>'
           '<th>image failures</th><th>policies</th><th>policy failures</th></tr>',
           '<tr>%s</tr></table>' % ''.join('<td>%d</td>' % s.get(k, 0) for k in (
               'tenants', 'deployments', 'ok', 'changed', 'failed', 'images', 'image_failures', 'policies',
               'policy_failures'))]
    if (report.get('scope') or {}).get('description'):
        out.append('<p class="scope">%s</p>' % _h(report['scope']['description']))
    if s['failed_tenants']:
        out.append('<p><strong>Failed tenants:</strong> %s</p>' % _h(', '.join(s['failed_tenants'])))
    if report.get('needs_action'):
        # A list, not a table: a remedy stays readable at phone width.
        out.append('<h2>Needs action</h2><ul class="needs-action">%s</ul>' % ''.join(
            '<li><strong>%s</strong> &middot; %s<br><span class="remedy">%s</span></li>' % (
                _h(item.get('deployment')), _h(item.get('check')), _h(item.get('remedy')))
            for item in report['needs_action']))
    for tenant in report['tenants']:
        out.append('<h2>Tenant %s %s</h2>' % (_h(tenant['name']), _badge(tenant['status'])))
        if tenant.get('tenant_id'):
            out.append('<p>Tenant ID: <code>%s</code></p>' % _h(tenant['tenant_id']))
        out.append('<h3>Images</h3>')
        if not tenant['images'] and not tenant['image_failures']:
            out.append('<p>None in this run.</p>')
        elif tenant['images']:
            out.append('<table><tr><th>image</th><th>version</th><th>status</th><th>error</th><th>changed</th></tr>')
            for image in tenant['images']:
                out.append('<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>' % (
                    _h(image.get('name')), _h(image.get('version')), _badge(image.get('status') or 'unknown'),
                    _h(image.get('error_code') or ''), 'yes' if image.get('changed') else 'no'))
            out.append('</table>')
        for failure in tenant['image_failures']:
            out.append('<p class="failed">Image %s %s failed: %s</p>' % (
                _h(failure.get('name')), _h(failure.get('version')), _h(failure.get('message'))))
        if tenant.get('policies'):
            out.append('<h3>Provisioning policies</h3>')
            out.append('<table><tr><th>policy</th><th>status</th><th>network</th><th>image</th><th>assignments</th>'
                       '<th>changed / reason</th></tr>')
            for policy in tenant['policies']:
                out.append('<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>' % (
                    _h(policy.get('name')), _badge(policy.get('status')),
                    '<br>'.join(_h(n) for n in policy['network']), _h(policy.get('image')),
                    _h(', '.join(policy['assignments']) or 'none'),
                    '<br>'.join(_h(c) for c in policy['changes'] + policy.get('notes', [])
                                + ([policy['reason']] if policy.get('reason') else []))))
            out.append('</table>')
        for dep in tenant['deployments']:
            out.append(_html_deployment(dep))
    out.append('</body></html>')
    return '\n'.join(out) + '\n'


def _html_deployment(dep):
    conn = _conn(dep)
    parts = ['<div class="card"><h3>%s <small>(%s)</small> %s</h3><ul>' % (
        _h(dep.get('region')), _h(dep.get('host')), _badge(dep['status']))]
    if conn.get('name'):
        parts.append('<li>Connection <strong>%s</strong> (<code>%s</code>), health %s%s</li>' % (
            _h(conn.get('name')), _h(conn.get('id') or 'not created'),
            _badge(conn.get('health_check_status') or 'unknown'), ', in use' if conn.get('in_use') else ''))
    for label, key in (('Failed health checks', 'failed_health_checks'),
                       ('Health check warnings', 'warning_health_checks')):
        if conn.get(key):
            parts.append('<li>%s:<ul>%s</ul></li>' % (label, ''.join(
                '<li>%s</li>' % _h(format_health_check(c)) for c in conn[key])))
    gov = dep.get('gov_tenant_mapping') or {}
    if gov:
        parts.append('<li>GCC tenant mapping: Azure Government tenant <code>%s</code>%s</li>' % (
            _h(', '.join(gov.get('mapped_to') or []) or 'none'), ' (mapped now)' if gov.get('changed') else ''))
    if dep.get('grants'):
        parts.append('<li>Grants:<ul>%s</ul></li>' % ''.join(
            '<li>%s on <code>%s</code>%s</li>' % (_h(g.get('role_name')), _h(g.get('scope')),
                                                  ' (granted now)' if g.get('changed') else '')
            for g in dep['grants']))
    if dep.get('changes'):
        parts.append('<li>Changed:<ul>%s</ul></li>' % ''.join('<li>%s</li>' % _h(c) for c in dep['changes']))
    if dep.get('kept_grants'):
        parts.append('<li>Kept:<ul>%s</ul></li>' % ''.join(
            '<li>%s on <code>%s</code>: %s</li>' % (
                _h(k.get('role_name')), _h(k.get('scope')), _h(k.get('reason') or 'not created by this collection'))
            for k in dep['kept_grants']))
    pre = dep.get('preflight') or {}
    if pre.get('summary'):
        ps = pre['summary']
        notable = [c for c in pre.get('checks') or [] if c.get('status') in ('failed', 'warning')]
        parts.append('<li>Preflight %s (%d passed, %d warnings, %d failed, %d skipped)%s</li>' % (
            _badge(ps.get('status')), ps.get('passed', 0), ps.get('warning', 0), ps.get('failed', 0),
            ps.get('skipped', 0),
            '<ul>%s</ul>' % ''.join(
                '<li>%s %s: %s%s</li>' % (
                    _badge(c.get('status')), _h(c.get('name')), _h(c.get('detail')),
                    '<br><span class="remedy">Remedy: %s</span>' % _h(c['remedy']) if c.get('remedy') else '')
                for c in notable) if notable else ''))
    failed = dep.get('failed')
    if failed:
        parts.append('<li class="failed"><strong>Failed in %s:</strong> %s</li>' % (
            _h(failed.get('stage')), _h(failed.get('message'))))
    parts.append('</ul></div>')
    return ''.join(parts)


class FilterModule(object):
    def filters(self):
        return {
            'format_check': format_check,
            'format_health_check': format_health_check,
            'rollout_report': rollout_report,
            'rollout_report_markdown': rollout_report_markdown,
            'rollout_report_html': rollout_report_html,
            'rollout_stage': rollout_stage,
            'tenant_signin': tenant_signin,
        }

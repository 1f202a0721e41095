# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""w365_automation_identity's run: read everything, check what can be known, then write only what is missing."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import base64
import datetime
import os
import uuid

from ansible_collections.w365.cloudpc.plugins.module_utils import _onboarding as ob
from ansible_collections.w365.cloudpc.plugins.module_utils._constants import ROLE_RBAC_ADMINISTRATOR, ROLE_READER
from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ApiError, W365ConfigError, W365Error
from ansible_collections.w365.cloudpc.plugins.module_utils._ids import is_guid
from ansible_collections.w365.cloudpc.plugins.module_utils._service_principal import find_windows365_principal


class Onboarding(object):

    def __init__(self, module: Any) -> None:
        self.module = module
        self.params = module.params
        self.changed = False
        self.drift: List[str] = []
        self.before: Dict[str, Any] = {}
        self.after: Dict[str, Any] = {}
        self.app: Any = None
        self.sp_id: Optional[str] = None
        self.kept: List[Any] = []  # role assignments of the identity that are not its two, left in place

    def partial_result(self) -> Dict[str, Any]:
        return {'changed': self.changed}

    def diff(self) -> Dict[str, Any]:
        return {'before': self.before, 'after': self.after}

    # -- checks without network ---------------------------------------------------------------------------------
    def _validate(self):
        p = self.params
        self.module.refuse_control_characters('display_name')
        if not p['display_name'].strip():
            raise W365ConfigError('display_name', 'must not be empty')
        self.permissions = ob.validate_permissions(p['graph_permissions'])
        if p['certificate_validity_days'] < 1 or p['certificate_validity_days'] > 3650:
            raise W365ConfigError('certificate_validity_days', 'must be between 1 and 3650')
        if p['renew_within_days'] < 0 or p['renew_within_days'] >= p['certificate_validity_days']:
            raise W365ConfigError('renew_within_days', 'must be at least 0 and less than certificate_validity_days')
        for option in ('subscription_id', 'windows365_principal_id'):
            if p.get(option) and not is_guid(p[option]):
                raise W365ConfigError(option, 'must be a GUID')
        self.local = None
        if p['credential_type'] == 'certificate':
            if not p.get('certificate_passphrase') and not p['allow_unencrypted_key']:
                raise W365ConfigError('certificate_passphrase', 'give a passphrase to encrypt the private key, or set '
                                                                'allow_unencrypted_key: true to write it unencrypted')
            self.local = ob.read_certificate(p['certificate_path'], p.get('certificate_passphrase'))

    # -- the run --------------------------------------------------------------------------------------------------
    def converge(self) -> Dict[str, Any]:
        self._validate()
        graph = self.module.graph
        p = self.params
        self.app = ob.find_application(graph, p['display_name'])
        if self.app is not None and not str(self.app.get('notes') or '').startswith(ob.MARKER):
            self.drift.append('the app registration %r was not created by this module; it is used because '
                              'display_name names it (nothing of it is removed)' % p['display_name'])
        sp = ob.find_service_principal(graph, self.app['appId']) if self.app else None
        self.sp_id = sp['id'] if sp else None
        graph_sp = ob.graph_service_principal_id(graph)
        granted: Dict[str, Any] = ob.granted_roles(graph, self.sp_id, graph_sp) if self.sp_id else {}
        federated: List[Any] = (graph.list('applications/%s/federatedIdentityCredentials' % self.app['id'])
                                if self.app and p['credential_type'] == 'federated' else [])
        w365 = None
        assignments: List[Any] = []
        if p.get('subscription_id'):
            w365 = (p.get('windows365_principal_id') or '').lower() or find_windows365_principal(graph)
            if not w365:
                raise W365Error('the Windows 365 service principal (app ID 0af06dc6-e4b5-4f28-818e-e78e62d137a5) is '
                                'not in this tenant, so the delegation condition cannot name it; it appears once '
                                'Windows 365 is set up (or create it: az ad sp create --id '
                                '0af06dc6-e4b5-4f28-818e-e78e62d137a5); nothing was changed')
            if self.sp_id:
                assignments = ob.subscription_assignments(self.module, p['subscription_id'], self.sp_id)
            if self._role_writes_needed(assignments):
                self._check_can_assign(p['subscription_id'].lower())
        self.before = self._view(granted, assignments, self.local)
        self.grants_needed = any(ob.GRAPH_APP_ROLES[n] not in granted for n in self.permissions)
        want_fic = (p.get('federated_credential') or {}).get('name', '').lower()
        self.app_writes_needed = (
            self.app is None or self.sp_id is None
            or (p['credential_type'] == 'certificate' and not self._certificate_current())
            or (p['credential_type'] == 'federated'
                and not any(str(f.get('name', '')).lower() == want_fic for f in federated)))
        self.rights_checked = False
        # Everything knowable is known: now the writes, in dependency order.
        self._ensure_app(graph)
        self._ensure_permissions(graph, graph_sp, granted)
        certificate = self._ensure_certificate(graph) if p['credential_type'] == 'certificate' else None
        if p['credential_type'] == 'federated':
            self._ensure_federated(graph, federated)
        roles = self._ensure_roles(w365, assignments) if p.get('subscription_id') else []
        self.after = dict(self.before, app=p['display_name'], graph_permissions=sorted(self.final_permissions),
                          role_assignments=sorted(['%s on %s' % (r['role_name'], r['scope']) for r in roles]
                                                  + self.kept))
        if certificate is not None:
            self.after['certificate'] = {'thumbprint': certificate['thumbprint'], 'expires': certificate['expires']}
        return {
            'app': {'app_id': self.app.get('appId'), 'object_id': self.app.get('id'),
                    'display_name': p['display_name']},
            'service_principal_id': self.sp_id,
            'graph_permissions': sorted(self.final_permissions),
            'certificate': certificate,
            'role_assignments': roles,
            'drift': self.drift,
            'inventory': self._inventory(certificate),
        }

    def _graph_write(self):
        """Before the first Graph write (or its prediction in check mode): does the sign-in's own Graph token allow
        what the run needs? Otherwise it would stop half-way, say after creating the app but before its consent."""
        if self.rights_checked:
            return
        self.rights_checked = True
        from ansible_collections.w365.cloudpc.plugins.module_utils._signin_checks import decode_claims
        claims = decode_claims(self.module.credential.get_token(self.module.endpoints.graph_scope).token)
        user = claims.get('idtyp') == 'user' or ('scp' in claims and 'roles' not in claims)
        perms = set(p.lower() for p in ((claims.get('scp') or '').split() if user else claims.get('roles') or []))
        missing = []
        if self.app_writes_needed and not perms & {'application.readwrite.all', 'directory.readwrite.all'}:
            missing.append('Application.ReadWrite.All')
        if self.grants_needed and 'approleassignment.readwrite.all' not in perms:
            missing.append('AppRoleAssignment.ReadWrite.All')
        problems = []
        if missing:
            problems.append('its Microsoft Graph token lacks the %s permission %s (admin-consented for %s)' % (
                'delegated' if user else 'application', ', '.join(missing),
                'the client it signs in through' if user else 'the app'))
        wids = claims.get('wids')
        if user and self.grants_needed and wids is not None and not set(w.lower() for w in wids) & ob.GRANT_ADMIN_ROLES:
            problems.append('the signed-in user needs the Entra role Privileged Role Administrator or Global '
                            'Administrator to grant Microsoft Graph application permissions')
        if problems:
            raise W365Error('the sign-in cannot set up the automation identity: %s; nothing was changed (see '
                            'docs/onboarding.md, "Run it")' % '; '.join(problems))

    def _role_writes_needed(self, assignments):
        scope = '/subscriptions/%s' % self.params['subscription_id'].lower()
        roles = set(a['role'] for a in assignments if (a['scope'] or '').rstrip('/').lower() == scope)
        return not {ROLE_READER, ROLE_RBAC_ADMINISTRATOR} <= roles

    def _check_can_assign(self, subscription_id):
        """Before the first write: can the signed-in administrator create role assignments on the subscription?
        Otherwise the app would be created and consented, and the run fail half-way."""
        from ansible_collections.w365.cloudpc.plugins.module_utils._constants import API_PERMISSIONS
        from ansible_collections.w365.cloudpc.plugins.module_utils._preflight import has_permission
        scope = '/subscriptions/%s' % subscription_id
        blocks = self.module.arm.list(scope + '/providers/Microsoft.Authorization/permissions', API_PERMISSIONS)
        if not has_permission([{'actions': b.get('actions'), 'not_actions': b.get('notActions')} for b in blocks],
                              'Microsoft.Authorization/roleAssignments/write'):
            raise W365Error('the signed-in account may not create role assignments on %s (it needs Owner, User '
                            'Access Administrator or Role Based Access Control Administrator there); nothing was '
                            'changed - sign in as an administrator of the subscription, or leave out subscription_id'
                            % scope)

    def _view(self, granted, assignments, local):
        view = {'app': self.app['displayName'] if self.app else None,
                'graph_permissions': sorted(ob.GRAPH_ROLE_NAMES.get(r, ob.DANGEROUS_GRAPH_ROLES.get(r, r))
                                            for r in granted),
                'role_assignments': sorted('%s on %s' % (ob.role_label(a['role']), a['scope']) for a in assignments)}
        if local:
            view['certificate'] = {'thumbprint': ob.thumbprint_hex(local[0]), 'expires': ob.iso(ob.cert_end(local[0]))}
        return view

    def _ensure_app(self, graph):
        if self.app is None:
            self._graph_write()
            self.changed = True
            if self.module.check_mode:
                self.app = {'appId': None, 'id': None, 'displayName': self.params['display_name'],
                            'keyCredentials': []}
            else:
                self.app = self._create_app(graph)
                sp = ob.find_service_principal(graph, self.app['appId'])
                self.sp_id = sp['id'] if sp else None
        if self.sp_id is None:
            self._graph_write()
            self.changed = True
            if not self.module.check_mode:
                try:
                    self.sp_id = graph.post('servicePrincipals', {'appId': self.app['appId']})['id']
                except W365ApiError as err:
                    if err.status != 409:
                        raise
                    # Another run created it a moment ago.
                    self.sp_id = ob.find_service_principal(graph, self.app['appId'])['id']

    def _create_app(self, graph):
        """Create the app registration; when a run at the same moment created one of the same name too, the
        older one stays and this run deletes its own (it created it), so both runs converge on one app."""
        name = self.params['display_name']
        mine = graph.post('applications', {'displayName': name, 'signInAudience': 'AzureADMyOrg',
                                           'notes': ob.MARKER})
        same = [a for a in graph.list('applications', params={'$filter': 'displayName eq %s' % ob.odata_quote(name)})
                if str(a.get('displayName', '')).lower() == name.lower()]
        if len(same) < 2:
            return mine
        same.sort(key=lambda a: (str(a.get('createdDateTime') or ''), str(a.get('id'))))
        winner = same[0]
        if winner['id'] != mine['id'] and all(str(a.get('notes') or '').startswith(ob.MARKER) for a in same):
            graph.delete('applications/%s' % mine['id'])
            return winner
        return mine

    def _ensure_permissions(self, graph, graph_sp, granted):
        wanted = dict((ob.GRAPH_APP_ROLES[name], name) for name in self.permissions)
        for role_id, name in wanted.items():
            if role_id in granted:
                continue
            self._graph_write()
            self.changed = True
            if self.sp_id and granted:
                self.drift.append('the consent to %s was missing for the automation identity %r: %s' % (
                    name, self.params['display_name'], 'it would be granted again' if self.module.check_mode
                    else 'it was granted again'))
            if not self.module.check_mode:
                try:
                    graph.post('servicePrincipals/%s/appRoleAssignments' % self.sp_id,
                               {'principalId': self.sp_id, 'resourceId': graph_sp, 'appRoleId': role_id})
                except W365ApiError as err:
                    # Granted by another run a moment ago: Graph refuses the duplicate with 400.
                    if err.status != 400 or role_id not in ob.granted_roles(graph, self.sp_id, graph_sp):
                        raise
        extra = [r for r in granted if r not in wanted]
        for role_id in extra:
            name = ob.GRAPH_ROLE_NAMES.get(role_id) or ob.DANGEROUS_GRAPH_ROLES.get(role_id) or role_id
            why = (' - it lets the identity change apps or its own rights' if role_id in ob.DANGEROUS_GRAPH_ROLES
                   else '')
            self.drift.append('the automation identity %r holds the Microsoft Graph application permission %s, '
                              'which graph_permissions does not ask for%s; it was left in place, remove it if it is '
                              'not needed' % (self.params['display_name'], name, why))
        self.final_permissions = sorted(set(self.permissions) | set(
            ob.GRAPH_ROLE_NAMES.get(r) or ob.DANGEROUS_GRAPH_ROLES.get(r) or r for r in extra))

    def _horizon(self):
        return datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=self.params['renew_within_days'])

    def _certificate_current(self):
        """True when the local certificate is registered on the app and valid beyond renew_within_days."""
        if self.local is None or self.app is None:
            return False
        cert = self.local[0]
        keys = self.app.get('keyCredentials') or []
        return (any(k.get('customKeyIdentifier') == ob.thumbprint_b64(cert) for k in keys)
                and ob.cert_end(cert) > self._horizon())

    def _ensure_certificate(self, graph):
        p = self.params
        now = datetime.datetime.now(datetime.timezone.utc)
        horizon = self._horizon()
        keys = self.app.get('keyCredentials') or []
        for key in keys:
            end = ob.parse_iso(key.get('endDateTime'))
            if key.get('displayName') != ob.KEY_DISPLAY_NAME and end and end <= horizon:
                self.drift.append('the app %r has another certificate credential (%s) that expires %s; it is not '
                                  'managed here' % (p['display_name'], key.get('displayName') or key.get('keyId'),
                                                    ob.iso(end)))
        if self.local is not None:
            cert, encrypted = self.local
            registered = any(k.get('customKeyIdentifier') == ob.thumbprint_b64(cert) for k in keys)
            if registered and ob.cert_end(cert) > horizon:
                return {'thumbprint': ob.thumbprint_hex(cert), 'expires': ob.iso(ob.cert_end(cert)),
                        'path': p['certificate_path'], 'renewed': False, 'encrypted': encrypted}
            if registered:
                self.drift.append('the certificate in %s expires %s, within renew_within_days=%d: %s' % (
                    p['certificate_path'], ob.iso(ob.cert_end(cert)), p['renew_within_days'],
                    'a new one would be made' if self.module.check_mode else 'a new one was made'))
        self._graph_write()
        self.changed = True
        encrypted = bool(p.get('certificate_passphrase'))
        if self.module.check_mode:
            return {'thumbprint': None, 'path': p['certificate_path'], 'renewed': True, 'encrypted': encrypted,
                    'expires': ob.iso(now + datetime.timedelta(days=p['certificate_validity_days']))}
        from cryptography.hazmat.primitives.serialization import Encoding
        key, cert = ob.generate_certificate(p['display_name'], p['certificate_validity_days'])
        if os.path.exists(p['certificate_path']):
            # Keep the file it replaces (it may be the only copy of a key still in use elsewhere).
            os.replace(p['certificate_path'], p['certificate_path'] + '.previous')
        ob.write_private_file(p['certificate_path'], ob.certificate_pem(key, cert, p.get('certificate_passphrase')))
        new_key = {'type': 'AsymmetricX509Cert', 'usage': 'Verify', 'displayName': ob.KEY_DISPLAY_NAME,
                   'keyId': str(uuid.uuid4()), 'customKeyIdentifier': ob.thumbprint_b64(cert),
                   'key': base64.b64encode(cert.public_bytes(Encoding.DER)).decode('ascii'),
                   'startDateTime': ob.iso(cert.not_valid_before_utc), 'endDateTime': ob.iso(ob.cert_end(cert))}
        # PATCH replaces the collection: every credential already there is sent back by keyId and kept.
        kept = [{'keyId': k['keyId'], 'type': k.get('type'), 'usage': k.get('usage')} for k in keys]
        graph.patch('applications/%s' % self.app['id'], {'keyCredentials': kept + [new_key]})
        return {'thumbprint': ob.thumbprint_hex(cert), 'expires': ob.iso(ob.cert_end(cert)),
                'path': p['certificate_path'], 'renewed': True, 'encrypted': encrypted}

    def _ensure_federated(self, graph, existing):
        want = self.params['federated_credential']
        found = next((f for f in existing if str(f.get('name', '')).lower() == want['name'].lower()), None)
        if found is not None:
            if (found.get('issuer'), found.get('subject')) != (want['issuer'], want['subject']) or \
                    sorted(found.get('audiences') or []) != sorted(want['audiences']):
                self.drift.append('the federated credential %r has another issuer, subject or audience than '
                                  'federated_credential; it was left as it is' % want['name'])
            return
        self._graph_write()
        self.changed = True
        if not self.module.check_mode:
            graph.post('applications/%s/federatedIdentityCredentials' % self.app['id'],
                       {'name': want['name'], 'issuer': want['issuer'], 'subject': want['subject'],
                        'audiences': want['audiences'], 'description': ob.MARKER})

    def _ensure_roles(self, w365, assignments):
        p = self.params
        sub = p['subscription_id'].lower()
        scope = '/subscriptions/%s' % sub
        condition = ob.delegation_condition(w365)
        at_sub = [a for a in assignments if (a['scope'] or '').rstrip('/').lower() == scope]
        out = []
        expected = set()
        reader = next((a for a in at_sub if a['role'] == ROLE_READER), None)
        if reader is None:
            out.append(self._put(scope, str(uuid.uuid4()), ROLE_READER, None))
        else:
            expected.add(reader['assignment_id'])
            out.append(self._entry(ROLE_READER, scope, reader['assignment_id'], None))
        admins = [a for a in at_sub if a['role'] == ROLE_RBAC_ADMINISTRATOR]
        good = next((a for a in admins if ob.same_condition(a['condition'], condition)), None)
        ours = next((a for a in admins if ob.is_ours(a)), None)
        if good is not None:
            expected.add(good['assignment_id'])
            out.append(self._entry(ROLE_RBAC_ADMINISTRATOR, scope, good['assignment_id'], good['condition']))
        elif ours is not None:
            # The collection's own assignment with an outdated condition (another Windows 365 principal, say).
            expected.add(ours['assignment_id'])
            out.append(self._put(scope, ours['name'], ROLE_RBAC_ADMINISTRATOR, condition))
        elif admins:
            expected.update(a['assignment_id'] for a in admins)
            self.drift.append('the automation identity holds Role Based Access Control Administrator on %s with '
                              'another condition (or none), made outside this module; it was left as it is, so the '
                              'identity may assign more than the Windows 365 roles: remove it and run again' % scope)
            out.append(self._entry(ROLE_RBAC_ADMINISTRATOR, scope, admins[0]['assignment_id'], admins[0]['condition']))
        else:
            out.append(self._put(scope, str(uuid.uuid4()), ROLE_RBAC_ADMINISTRATOR, condition))
        for a in assignments:
            if a['assignment_id'] not in expected:
                self.kept.append('%s on %s' % (ob.role_label(a['role']), a['scope']))
                self.drift.append('the automation identity holds %s on %s, beyond Reader and the conditioned Role '
                                  'Based Access Control Administrator; it was left in place, remove it if it is not '
                                  'needed' % (ob.role_label(a['role']), a['scope']))
        return out

    def _entry(self, role, scope, assignment_id, condition):
        entry = {'role_name': ob.role_label(role), 'scope': scope, 'assignment_id': assignment_id}
        if role == ROLE_RBAC_ADMINISTRATOR:
            entry['condition'] = condition
        return entry

    def _put(self, scope, name, role, condition):
        self.changed = True
        assignment_id = None
        if not self.module.check_mode:
            assignment_id = ob.put_assignment(self.module, scope, name, self.params['subscription_id'].lower(), role,
                                              self.sp_id, condition)
        return self._entry(role, scope, assignment_id, condition)

    def _inventory(self, certificate):
        p = self.params
        out = {'tenant_id': self.module._auth.inputs.get('tenant_id'), 'client_id': self.app.get('appId')}
        if p['credential_type'] == 'certificate':
            out.update(auth_method='client_certificate', client_certificate_path=p['certificate_path'])
            if certificate and certificate['encrypted']:
                out['client_certificate_password'] = '<the certificate_passphrase you gave; keep it in a vault>'
        elif p['credential_type'] == 'federated':
            out.update(auth_method='workload_identity',
                       federated_token_file='<the file your platform writes the federated token to>')
        if p.get('subscription_id'):
            out['subscription_id'] = p['subscription_id'].lower()
        return out

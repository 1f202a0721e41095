# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Least-privilege onboarding of a tenant: the automation identity (app registration, service principal, Microsoft
Graph application permissions, certificate or federated credential) and its Azure role assignments on a
subscription (Reader, and Role Based Access Control Administrator constrained by an ABAC condition to the Windows 365
roles and the Windows 365 service principal). Used by module w365_automation_identity."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import base64
import datetime
import os
import re
import uuid

from ansible_collections.w365.cloudpc.plugins.module_utils._constants import (
    API_ROLE_ASSIGNMENTS, ROLE_NAMES, ROLE_READER, ROLE_W365_NETWORK_INTERFACE_CONTRIBUTOR,
    ROLE_W365_NETWORK_USER)
from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ApiError, W365ConfigError, W365Error
from ansible_collections.w365.cloudpc.plugins.module_utils._graph import odata_quote

MICROSOFT_GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000'
# Microsoft Graph application permissions: app role IDs on the Microsoft Graph service principal (Microsoft Graph
# permissions reference). The rollout needs the first two (docs/auth.md); the others are for users who know why.
GRAPH_APP_ROLES = {
    'CloudPC.ReadWrite.All': '3b4349e1-8cf5-45a3-95b7-69d1751d3e6a',
    'Application.Read.All': '9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30',
    'CloudPC.Read.All': 'a9e09520-8ed4-4cde-838e-4fdea192c227',
    'Directory.Read.All': '7ab1d382-f21e-4acd-a863-ba3e13f7da61',
    'Group.Read.All': '5b567255-7703-4780-807c-7be8301ae99b',
}
GRAPH_ROLE_NAMES = dict((v, k) for k, v in GRAPH_APP_ROLES.items())
# What would let the automation identity change its own rights or other apps: never granted by this module, and
# reported as drift when found.
DANGEROUS_GRAPH_ROLES = {
    '1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9': 'Application.ReadWrite.All',
    '06b708a9-e830-4db3-a914-8e69da51d44f': 'AppRoleAssignment.ReadWrite.All',
    '19dbc75e-c2e2-444c-a770-ec69d8559fc7': 'Directory.ReadWrite.All',
    '9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8': 'RoleManagement.ReadWrite.Directory',
}
DEFAULT_GRAPH_PERMISSIONS = ['CloudPC.ReadWrite.All', 'Application.Read.All']
# The roles the automation identity may hand to Windows 365, and nothing else.
DELEGABLE_ROLES = (ROLE_READER, ROLE_W365_NETWORK_INTERFACE_CONTRIBUTOR, ROLE_W365_NETWORK_USER)
# Entra roles (template IDs) that may grant Microsoft Graph application permissions (serviceprincipal-post-
# approleassignments): Global Administrator, Privileged Role Administrator.
GRANT_ADMIN_ROLES = {'62e90394-69f5-4237-9190-012177145e10', 'e8611ab8-c189-46e8-94e1-60213ab1f814'}
MARKER = 'Created by w365.cloudpc onboarding'
KEY_DISPLAY_NAME = 'w365.cloudpc onboarding'
_ATTR = 'Microsoft.Authorization/roleAssignments'


def delegation_condition(windows365_principal_id: str, roles: Any = DELEGABLE_ROLES) -> str:
    """The ABAC condition (version 2.0) for Role Based Access Control Administrator: assign and delete only `roles`,
    and only for the Windows 365 service principal. The shape of Microsoft's "Constrain roles and principals"
    example (learn: role-based-access-control/delegate-role-assignments-examples): writes are judged by the
    request's attributes, deletes by the attributes of the assignment being deleted."""
    role_set = ', '.join(roles)
    principal = str(windows365_principal_id).lower()
    parts = []
    for action, source in (('write', 'Request'), ('delete', 'Resource')):
        parts.append(
            "((!(ActionMatches{'%s/%s'})) OR (@%s[%s:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {%s} AND "
            "@%s[%s:PrincipalId] ForAnyOfAnyValues:GuidEquals {%s}))"
            % (_ATTR, action, source, _ATTR, role_set, source, _ATTR, principal))
    return ' AND '.join(parts)


def same_condition(a: Any, b: Any) -> bool:
    """Conditions compared as Azure stores them: whitespace and letter case do not matter."""
    def norm(text):
        return re.sub(r'\s+', '', text or '').lower()
    return norm(a) == norm(b)


def validate_permissions(names: Any, option: str = 'graph_permissions') -> List[str]:
    out = []
    for name in names or []:
        match = next((k for k in GRAPH_APP_ROLES if k.lower() == str(name).lower()), None)
        if match is None:
            raise W365ConfigError(option, 'unknown or not allowed Microsoft Graph application permission %r; choose '
                                          'from %s' % (name, ', '.join(sorted(GRAPH_APP_ROLES))))
        if match not in out:
            out.append(match)
    return out


# ---- certificate ---------------------------------------------------------------------------------------------------
def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def thumbprint_b64(cert: Any) -> str:
    """The SHA-1 thumbprint as Graph's keyCredential customKeyIdentifier (Edm.Binary, base64)."""
    from cryptography.hazmat.primitives import hashes
    return base64.b64encode(cert.fingerprint(hashes.SHA1())).decode('ascii')  # noqa: S303 - Entra's thumbprint


def thumbprint_hex(cert: Any) -> str:
    from cryptography.hazmat.primitives import hashes
    return cert.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303 - Entra's thumbprint


def generate_certificate(subject: str, days: int) -> Tuple[Any, Any]:
    """(private key, self-signed certificate): RSA 2048, SHA-256, valid from now for `days` days."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject[:64])])
    start = _now() - datetime.timedelta(minutes=5)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start)
            .not_valid_after(start + datetime.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def certificate_pem(key: Any, cert: Any, passphrase: Any) -> bytes:
    """One PEM file (private key, then certificate), as auth_method=client_certificate reads it. The key is
    encrypted with `passphrase` when one is given."""
    from cryptography.hazmat.primitives import serialization
    encryption = (serialization.BestAvailableEncryption(passphrase.encode('utf-8')) if passphrase
                  else serialization.NoEncryption())
    return (key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
            + cert.public_bytes(serialization.Encoding.PEM))


def write_private_file(path: str, data: Any) -> None:
    """Write `data` to `path` with mode 0600 from the first byte on (temporary file in the same directory, then
    an atomic rename)."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise W365ConfigError('certificate_path', 'directory %s does not exist; create it first' % directory)
    tmp = os.path.join(directory, '.%s.%s.tmp' % (os.path.basename(path), uuid.uuid4().hex))
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, 'wb') as handle:
            handle.write(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except OSError:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def read_certificate(path: str, passphrase: Any) -> Optional[Tuple[Any, bool]]:
    """The certificate in the PEM file at `path` (checking the private key opens with `passphrase`), or None when
    the file does not exist. Raises W365ConfigError naming the option; never quotes the file."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    if not os.path.exists(path):
        return None
    try:
        with open(path, 'rb') as handle:
            data = handle.read()
    except OSError as e:
        raise W365ConfigError('certificate_path', 'cannot read %s: %s' % (path, e.strerror)) from None
    try:
        cert = x509.load_pem_x509_certificate(data)
    except ValueError:
        raise W365ConfigError('certificate_path', '%s holds no PEM certificate; move it away or choose another '
                                                  'path' % path) from None
    encrypted = b'ENCRYPTED PRIVATE KEY' in data
    try:
        serialization.load_pem_private_key(data, password=passphrase.encode('utf-8') if (passphrase and encrypted)
                                           else None)
    except (ValueError, TypeError):
        raise W365ConfigError('certificate_passphrase', 'the private key in %s does not open with the given '
                                                        'certificate_passphrase (or is missing)' % path) from None
    return cert, encrypted


def cert_end(cert: Any) -> datetime.datetime:
    return cert.not_valid_after_utc


def iso(moment: Any) -> Optional[str]:
    return moment.strftime('%Y-%m-%dT%H:%M:%SZ') if moment else None


def parse_iso(text: str) -> Optional[datetime.datetime]:
    if not text:
        return None
    return datetime.datetime.fromisoformat(str(text).replace('Z', '+00:00'))


# ---- Graph reads ---------------------------------------------------------------------------------------------------
def find_application(graph: Any, display_name: str) -> Optional[Dict[str, Any]]:
    found = graph.list('applications', params={'$filter': 'displayName eq %s' % odata_quote(display_name)})
    found = [a for a in found if str(a.get('displayName', '')).lower() == display_name.lower()]
    if len(found) > 1:
        raise W365ConfigError('display_name', '%d app registrations are named %r; rename all but one, or choose '
                                              'another display_name' % (len(found), display_name))
    return found[0] if found else None


def find_service_principal(graph: Any, app_id: str) -> Optional[Dict[str, Any]]:
    found = graph.list('servicePrincipals', params={'$filter': 'appId eq %s' % odata_quote(app_id),
                                                    '$select': 'id,appId,displayName'})
    return next((sp for sp in found if str(sp.get('appId', '')).lower() == app_id.lower()), None)


def graph_service_principal_id(graph: Any) -> Any:
    sp = find_service_principal(graph, MICROSOFT_GRAPH_APP_ID)
    if sp is None:
        raise W365Error('the Microsoft Graph service principal was not found in the tenant')
    return sp['id']


def granted_roles(graph: Any, sp_id: str, graph_sp_id: Any) -> Dict[str, Any]:
    """appRoleId -> assignment id of the Microsoft Graph app roles granted to the service principal."""
    out = {}
    for item in graph.list('servicePrincipals/%s/appRoleAssignments' % sp_id):
        if str(item.get('resourceId', '')).lower() == graph_sp_id.lower():
            out[str(item.get('appRoleId', '')).lower()] = item.get('id')
    return out


# ---- ARM -------------------------------------------------------------------------------------------------------------
def subscription_assignments(module: Any, subscription_id: str, principal_id: str) -> List[Dict[str, Any]]:
    """Every role assignment of `principal_id` at the subscription, above it or below it."""
    items = module.arm.list('/subscriptions/%s/providers/Microsoft.Authorization/roleAssignments' % subscription_id,
                            API_ROLE_ASSIGNMENTS, params={'$filter': "assignedTo('%s')" % principal_id})
    out = []
    for item in items:
        props = item.get('properties') or {}
        out.append({'assignment_id': item.get('id'), 'name': item.get('name'), 'scope': props.get('scope'),
                    'role': str(props.get('roleDefinitionId') or '').rstrip('/').rsplit('/', 1)[-1].lower(),
                    'condition': props.get('condition'), 'description': props.get('description')})
    return out


def role_label(guid: str) -> str:
    return ROLE_NAMES.get(guid, guid)


def put_assignment(module: Any, scope: str, name: str, subscription_id: str, role: str, principal_id: str, condition: Optional[str] = None) -> Optional[str]:
    """Create (or update the condition of) one role assignment through azure-mgmt-authorization."""
    from azure.mgmt.authorization.v2022_04_01.models import RoleAssignmentCreateParameters
    from ansible_collections.w365.cloudpc.plugins.module_utils._arm import arm_call

    parameters = RoleAssignmentCreateParameters(
        role_definition_id='/subscriptions/%s/providers/Microsoft.Authorization/roleDefinitions/%s'
                           % (subscription_id, role),
        principal_id=principal_id, principal_type='ServicePrincipal', description=MARKER,
        condition=condition, condition_version='2.0' if condition else None)
    client = module.authorization_client(subscription_id)
    try:
        created = arm_call(client.role_assignments.create, scope, name, parameters)
    except W365ApiError as err:
        if err.status == 409:
            return None  # another run made it a moment ago: the re-read shows it
        raise
    return created.id


def is_ours(assignment: Any) -> bool:
    return str(assignment.get('description') or '').startswith(MARKER)

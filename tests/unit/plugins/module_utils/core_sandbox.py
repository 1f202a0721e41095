# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sandbox world for the client-layer tests, built in Python (a fresh certificate per run)."""
from __future__ import annotations

import base64
import json
import time

PUBLIC_TENANT = '0c0a1e00-0000-4000-8000-0000000000a1'
HIGH_TENANT = '0c0a1e00-0000-4000-8000-0000000000b2'
SUB = '0c0a1e00-0000-4000-8000-00000000005a'
HIGH_SUB = '0c0a1e00-0000-4000-8000-00000000005b'
OWNER_APP = '0c0a1e00-0000-4000-8000-00000000c001'
READER_APP = '0c0a1e00-0000-4000-8000-00000000c002'  # no Azure role at all
CERT_APP = '0c0a1e00-0000-4000-8000-00000000c003'
FED_APP = '0c0a1e00-0000-4000-8000-00000000c004'
HIGH_APP = '0c0a1e00-0000-4000-8000-00000000c005'
MI_CLIENT = '0c0a1e00-0000-4000-8000-00000000c006'
USER = 'ops@coreco.onmicrosoft.com'
SECRET = 'core-app-secret-Zq81-never-printed'
USER_PASSWORD = 'Core-User-Pw-77-never-printed'
FED_ISSUER = 'https://token.actions.example.test'
FED_SUBJECT = 'repo:w365/cloudpc:ref:refs/heads/main'
W365_SP = '0c0a1e00-0000-4000-8000-0000000005e1'
ANC_COUNT = 5
PAGE_SIZE = 2


def oid(n):
    return '0c0a1e00-0000-4000-8000-%012x' % (0xd00 + n)


def make_certificate(tmp_dir):
    """(certificate PEM text for the seed, path of a PEM with key + certificate for the client, the same with the key
    encrypted by 'cert-Pw-1')."""
    from tests.helpers.certs import make_certificate as new_certificate

    certificate = new_certificate('w365-core-test')
    plain = tmp_dir / 'client.pem'
    plain.write_text(certificate.client_pem())
    encrypted = tmp_dir / 'client-encrypted.pem'
    encrypted.write_text(certificate.client_pem('cert-Pw-1'))
    return certificate.cert_pem, plain, encrypted


def federated_token(audience='api://AzureADTokenExchange', subject=FED_SUBJECT):
    """An OIDC token as a CI system would write it (the sandbox checks issuer/subject/audience, not the key)."""
    def part(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b'=').decode()
    now = int(time.time())
    claims = {'iss': FED_ISSUER, 'sub': subject, 'aud': audience, 'iat': now, 'exp': now + 3600}
    return '%s.%s.%s' % (part({'alg': 'RS256', 'typ': 'JWT'}), part(claims), 'c2lnbmF0dXJl')


def seed(cert_pem):
    rg = '/subscriptions/%s/resourceGroups/rg-core' % SUB
    vnet = rg + '/providers/Microsoft.Network/virtualNetworks/vnet-core'
    return {
        'graph_page_size': PAGE_SIZE,
        'tenants': [
            {
                'id': PUBLIC_TENANT, 'domain': 'coreco.onmicrosoft.com',
                'windows365_service_principal': {'object_id': W365_SP},
                'users': [{'upn': USER, 'object_id': oid(1), 'password': USER_PASSWORD}],
                'apps': [
                    {'client_id': OWNER_APP, 'object_id': oid(2), 'secret': SECRET},
                    {'client_id': READER_APP, 'object_id': oid(3), 'secret': SECRET},
                    {'client_id': CERT_APP, 'object_id': oid(4), 'certificate': cert_pem},
                    {'client_id': FED_APP, 'object_id': oid(5),
                     'federated_credentials': [{'issuer': FED_ISSUER, 'subject': FED_SUBJECT}]},
                ],
                'managed_identities': [{'client_id': MI_CLIENT, 'object_id': oid(6), 'system_assigned': True}],
                'subscriptions': [{'id': SUB, 'name': 'Core', 'resource_groups': [{
                    'name': 'rg-core', 'location': 'westeurope',
                    'virtual_networks': [{'name': 'vnet-core', 'address_space': ['10.1.0.0/16'],
                                          'subnets': [{'name': 'snet-%d' % i, 'prefix': '10.1.%d.0/24' % i}
                                                      for i in range(3)]}]}]}],
                'role_assignments': [{'principal_id': p, 'role': 'Owner', 'scope': '/subscriptions/' + SUB}
                                     for p in (oid(1), oid(2), oid(4), oid(5), oid(6))],
                'network_connections': [
                    {'display_name': "anc-%d%s" % (i, "-o'brien" if i == 3 else ''), 'subscription_id': SUB,
                     'resource_group_id': rg, 'virtual_network_id': vnet, 'subnet_id': vnet + '/subnets/snet-0'}
                    for i in range(ANC_COUNT)],
            },
            {
                'id': HIGH_TENANT, 'domain': 'highco.onmicrosoft.us', 'cloud': 'gcc_high',
                'windows365_service_principal': {'object_id': '0c0a1e00-0000-4000-8000-0000000005e2'},
                'apps': [{'client_id': HIGH_APP, 'object_id': oid(7), 'secret': SECRET}],
                'subscriptions': [{'id': HIGH_SUB, 'name': 'High', 'resource_groups': [{
                    'name': 'rg-high', 'location': 'usgovvirginia'}]}],
                'role_assignments': [{'principal_id': oid(7), 'role': 'Owner', 'scope': '/subscriptions/' + HIGH_SUB}],
            },
        ],
    }

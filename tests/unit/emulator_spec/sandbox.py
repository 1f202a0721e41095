# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A raw HTTPS client for the emulator, plus the names of the verifier seed.

Raw on purpose: the checks here are about the bytes the emulator sends, so nothing may reshape them on the way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.helpers.sandbox import token_form

SEED_PATH = Path(__file__).resolve().parent / 'seeds' / 'verify.yml'
SEED = yaml.safe_load(SEED_PATH.read_text(encoding='utf-8'))

GRAPH_SCOPE = 'https://graph.microsoft.com/.default'
ARM_SCOPE = 'https://management.azure.com/.default'
VE = 'deviceManagement/virtualEndpoint'

TENANT_A = SEED['tenants'][0]
TENANT_B = SEED['tenants'][1]
OWNER_APP, READER_APP, NO_RIGHTS_APP = TENANT_A['apps']
ADMIN = TENANT_A['users'][0]
APP_B = TENANT_B['apps'][0]
SUB_A = TENANT_A['subscriptions'][0]['id']
SUB_B = TENANT_B['subscriptions'][0]['id']
RG = 'rg-verify'
VNET = 'vnet-verify'
RG_ID = f'/subscriptions/{SUB_A}/resourceGroups/{RG}'
VNET_ID = f'{RG_ID}/providers/Microsoft.Network/virtualNetworks/{VNET}'
SUBNET_ID = f'{VNET_ID}/subnets/cloudpcs'
GOOD_IMAGE_ID = f'{RG_ID}/providers/Microsoft.Compute/images/win11-good'
NOT_GENERALIZED_IMAGE_ID = f'{RG_ID}/providers/Microsoft.Compute/images/win11-notgeneralized'
HUGE_IMAGE_ID = f'{RG_ID}/providers/Microsoft.Compute/images/win11-huge'
W365_SP_A = TENANT_A['windows365_service_principal']['object_id']
W365_SP_B = TENANT_B['windows365_service_principal']['object_id']
AD = TENANT_A['ad_domains'][0]
JOIN = AD['join_accounts'][0]
OU = AD['organizational_units'][0]
RG_B_ID = f'/subscriptions/{SUB_B}/resourceGroups/rg-b'
VNET_B_ID = f'{RG_B_ID}/providers/Microsoft.Network/virtualNetworks/vnet-b'

ROLE_READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7'
ROLE_NIC_CONTRIBUTOR = '1f135831-5bbe-4924-9016-264044c00788'
ROLE_NETWORK_USER = '7eabc9a4-85f7-4f71-b8ab-75daaccc1033'
ROLE_OWNER = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635'

# Simulated seconds that see any health check or image upload of the verifier seed through.
SETTLE = 1000

SECRETS = [OWNER_APP['secret'], READER_APP['secret'], NO_RIGHTS_APP['secret'], ADMIN['password'], APP_B['secret'], JOIN['password']]


@dataclass
class Reply:
    status: int
    headers: dict
    body: Any  # decoded JSON, or None for an empty body
    text: str
    url: str

    def __repr__(self):
        return f'<Reply {self.status} {self.url} {self.text[:300]!r}>'


class SandboxApi:
    """Raw requests to a `tests.helpers.sandbox.Sandbox`, whose control API it uses for control calls."""

    def __init__(self, box):
        import requests
        self.box = box
        self.url = box.url.rstrip('/')
        self.ca_bundle = box.ca_bundle
        self.session = requests.Session()
        # The machine may export REQUESTS_CA_BUNDLE or proxies; this client trusts only the sandbox CA.
        self.session.trust_env = False
        self.session.verify = self.ca_bundle
        self._tokens: dict = {}
        self.control_token = box.process.control_token

    def call(self, method: str, path: str, *, token: str | None = None, params=None, body=None,
             headers: dict | None = None, data=None) -> Reply:
        url = path if path.startswith('https://') else f'{self.url}/{path.lstrip("/")}'
        hdrs = dict(headers or {})
        if token:
            hdrs['Authorization'] = f'Bearer {token}'
        elif path.startswith('/_emulator/') and self.control_token:
            hdrs['Authorization'] = f'Bearer {self.control_token}'
        resp = self.session.request(method, url, params=params, json=body, data=data, headers=hdrs, timeout=30)
        text = resp.text
        parsed = None
        if text.strip():
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = None
        return Reply(resp.status_code, dict(resp.headers), parsed, text, resp.url)

    def token(self, tenant: dict, scope: str, principal: str = 'app', app: dict | None = None) -> str:
        """A bearer token: app = client credentials (default: the tenant's first app), user = password grant."""
        app = app or tenant['apps'][0]
        key = (tenant['id'], scope, principal, app['client_id'])
        if key not in self._tokens:
            if principal == 'app':
                form = token_form(scope, app['client_id'], secret=app['secret'])
            else:
                # Users sign in through the public client the collection uses for the scope.
                user = tenant['users'][0]
                form = token_form(scope, username=user['upn'], password=user['password'])
            reply = self.call('POST', f'/{tenant["id"]}/oauth2/v2.0/token', data=form)
            assert reply.status == 200, reply
            self._tokens[key] = reply.body['access_token']
        return self._tokens[key]

    def graph(self, method: str, path: str, *, tenant: dict = TENANT_A, principal: str = 'user', app=None,
              params=None, body=None, token: str | None = None, version: str = 'v1.0', headers=None) -> Reply:
        token = token or self.token(tenant, GRAPH_SCOPE, principal, app)
        full = path if path.startswith('https://') else f'/{version}/{path.lstrip("/")}'
        return self.call(method, full, token=token, params=params, body=body, headers=headers)

    def arm(self, method: str, path: str, api_version: str | None, *, tenant: dict = TENANT_A, app=None,
            params=None, body=None, token: str | None = None) -> Reply:
        token = token or self.token(tenant, ARM_SCOPE, 'app', app)
        query = dict(params or {})
        if api_version:
            query['api-version'] = api_version
        return self.call(method, path, token=token, params=query, body=body)

    def advance(self, seconds: float) -> None:
        self.box.advance(seconds)

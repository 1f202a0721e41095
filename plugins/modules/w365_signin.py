#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: w365_signin
short_description: One-time interactive (device code) sign-in of a tenant for auth_method=device_code
version_added: 1.1.0
description:
  - Signs a user in to a tenant with the OAuth 2.0 device authorization grant, so the sign-in can use multifactor
    authentication. While the task waits, it shows the code and the URL on the terminal running C(ansible-playbook)
    (or in the AWX job output); open the URL on any device, enter the code and sign in.
  - Stores an azure-identity authentication record (account and tenant identifiers, no secret) in
    C(~/.IdentityService/w365.cloudpc.records/) and the tokens in the collection's persistent token cache, so later
    tasks and runs with O(w365.cloudpc.w365_anc#module:auth_method=device_code) sign in silently.
  - When a silent sign-in is possible already, does nothing (RV(ignore:changed=false)) unless O(force=true).
  - Runs on the controller (it is an action plugin), as the user running C(ansible-playbook); the modules that use
    the sign-in must run there too, with the local connection, as the collection's playbooks do.
  - The playbook C(w365.cloudpc.signin) runs it for every tenant of an inventory.
author:
  - w365.cloudpc contributors (@w365)
extends_documentation_fragment:
  - w365.cloudpc.attributes
  - w365.cloudpc.attributes.actiongroup
options:
  tenant_id:
    description:
      - The tenant (directory) ID or a verified domain.
    type: str
    required: true
  client_id:
    description:
      - The application (client) ID of your public-client app registration ("Allow public client flows" on), with the
        delegated Microsoft Graph permission C(CloudPC.ReadWrite.All) (and C(Application.Read.All) for role grants)
        and Azure Service Management C(user_impersonation), consented by an admin.
      - Without it, Microsoft Graph Command Line Tools (C(14d82eec-204b-4c2f-b7e8-296a70dab67e)) is used; that sign-in
        works for Microsoft Graph only (the scopes an admin consented for that client), not for Azure Resource Manager.
    type: str
  cloud:
    description:
      - The Microsoft cloud of the tenant, as for the modules.
    type: str
    default: public
    choices: [public, gcc, gcc_high, dod, china]
  authority_host:
    description:
      - Entra authority URL override (a proxy or the sandbox), as for the modules.
    type: str
  graph_endpoint:
    description:
      - Microsoft Graph URL override, as for the modules.
    type: str
  arm_endpoint:
    description:
      - Azure Resource Manager URL override, as for the modules.
    type: str
  ca_bundle:
    description:
      - PEM file of certificate authorities to trust, as for the modules.
    type: path
  token_cache_allow_unencrypted:
    description:
      - Keep the tokens in a plaintext file (mode 0600) where the platform cannot encrypt them (Linux without a
        Secret Service). Without it, such a machine refuses the sign-in before showing a code.
    type: bool
    default: false
  timeout:
    description:
      - Seconds to wait for the user to finish signing in (Entra's device codes are valid for 15 minutes).
    type: int
    default: 900
  force:
    description:
      - Sign in again even when the stored sign-in still works (another account, new permissions consented).
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    details: Reports whether an interactive sign-in is needed, without starting one.
  diff_mode:
    support: none
  idempotent:
    support: full
    details: A second run finds the stored sign-in and changes nothing.
  action:
    description: Runs on the controller as an action plugin.
    support: full
seealso:
  - module: w365.cloudpc.w365_preflight
notes:
  - Sign-in options of the action group that do not apply (O(w365.cloudpc.w365_anc#module:client_secret),
    O(w365.cloudpc.w365_anc#module:username), ...) are ignored, so the task can share the group's module_defaults.
'''

EXAMPLES = r'''
- name: Sign in once (code and URL appear here); later runs use auth_method=device_code silently
  w365.cloudpc.w365_signin:
    tenant_id: contoso.onmicrosoft.com
    client_id: 8f0d5b2e-0000-4000-8000-000000000001   # your public-client app registration

- name: Use it
  w365.cloudpc.w365_anc:
    auth_method: device_code
    tenant_id: contoso.onmicrosoft.com
    client_id: 8f0d5b2e-0000-4000-8000-000000000001
    name: anc-weu-01
    subscription_id: "{{ subscription_id }}"
    resource_group: rg-cpc-weu
    virtual_network: vnet-cpc-weu
    subnet: cloudpcs
'''

RETURN = r'''
signed_in:
  description: Whether a usable sign-in exists after the task.
  returned: always
  type: bool
username:
  description: The user principal name signed in.
  returned: when signed in
  type: str
client_id:
  description: The client the sign-in went through.
  returned: always
  type: str
record_file:
  description: Path of the stored authentication record (no secret in it).
  returned: always
  type: str
claims:
  description:
    - Per API (C(graph), C(arm)), what the access token says about the sign-in - never the token itself.
    - C(kind), C(client_id), C(tenant_id), C(user), C(object_id), C(permissions) (delegated scopes),
      C(directory_roles), C(mfa).
  returned: when signed in
  type: dict
'''

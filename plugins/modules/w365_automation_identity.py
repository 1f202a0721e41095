#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: w365_automation_identity
short_description: Set up the least-privilege automation identity the Windows 365 rollout signs in as
version_added: 1.1.0
description:
  - Run once per tenant by the customer's administrator (a delegated sign-in, for example O(auth_method=device_code)).
  - Makes sure an app registration named O(display_name) and its service principal exist, grants it the Microsoft
    Graph application permissions O(graph_permissions) (admin consent through app role assignments on the Microsoft
    Graph service principal), and gives it a credential - by default a certificate generated here, whose private key
    is written to O(certificate_path) with mode 0600.
  - With O(subscription_id), also assigns it on that subscription B(Reader) and B(Role Based Access Control
    Administrator) with an ABAC condition (version 2.0) that allows assigning and deleting only Reader, Windows 365
    Network Interface Contributor and Windows 365 Network User, and only for the Windows 365 service principal.
  - Reports drift without removing anything it did not create - extra Graph permissions or Azure roles of the
    identity, a certificate that expires within O(renew_within_days) (which it renews), a role assignment with
    another condition - as warnings and in RV(drift).
  - Never removes anything.
  - The signed-in user needs Application.ReadWrite.All and AppRoleAssignment.ReadWrite.All (delegated) with a role
    that may grant Microsoft Graph application permissions (Privileged Role Administrator or Global
    Administrator), and Owner, User Access Administrator or Role Based Access Control Administrator (without
    condition) on the subscription.
author:
  - w365.cloudpc contributors (@w365)
extends_documentation_fragment:
  - w365.cloudpc.auth
  - w365.cloudpc.attributes
  - w365.cloudpc.attributes.actiongroup
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  idempotent:
    support: full
options:
  display_name:
    description:
      - Display name of the app registration; it must be unique in the tenant.
    type: str
    required: true
  graph_permissions:
    description:
      - Microsoft Graph application permissions to grant. The default is what the rollout's modules need.
      - Permissions the identity holds beyond these are reported, never removed.
    type: list
    elements: str
    default: [CloudPC.ReadWrite.All, Application.Read.All]
  credential_type:
    description:
      - V(certificate) - a self-signed certificate generated here (the public part is uploaded as a keyCredential).
      - V(federated) - a federated identity credential (workload identity federation for AWX in Kubernetes, GitHub
        Actions, ...) described by O(federated_credential); no secret exists anywhere.
      - V(none) - no credential is added.
    type: str
    default: certificate
    choices: [certificate, federated, none]
  certificate_path:
    description:
      - Where to write the PEM file (private key, then certificate) for O(credential_type=certificate). Its
        directory must exist. Use it as C(client_certificate_path).
      - An existing file whose certificate is registered on the app and valid beyond O(renew_within_days) is kept.
    type: path
  certificate_passphrase:
    description:
      - Passphrase that encrypts the private key. Required for O(credential_type=certificate) unless
        O(allow_unencrypted_key=true). Use it as C(client_certificate_password).
    type: str
  allow_unencrypted_key:
    description:
      - Write the private key without encryption when no O(certificate_passphrase) is given.
    type: bool
    default: false
  certificate_validity_days:
    description: Validity of a new certificate, in days.
    type: int
    default: 365
  renew_within_days:
    description:
      - A certificate that expires within this many days is replaced by a new one (the old keyCredential stays
        until it expires); other credentials of the app expiring within it are reported.
    type: int
    default: 30
  federated_credential:
    description: The federated identity credential for O(credential_type=federated).
    type: dict
    suboptions:
      name:
        description: Its name (unique per app).
        type: str
        required: true
      issuer:
        description: The token issuer (for example the cluster's OIDC issuer URL).
        type: str
        required: true
      subject:
        description: The token subject (for example C(system:serviceaccount:awx:awx-ee)).
        type: str
        required: true
      audiences:
        description: Accepted audiences.
        type: list
        elements: str
        default: [api://AzureADTokenExchange]
  subscription_id:
    description:
      - The subscription to give the identity B(Reader) and the conditioned B(Role Based Access Control
        Administrator) on. Left out, no Azure role is assigned.
    type: str
  windows365_principal_id:
    description:
      - Object ID of the Windows 365 service principal the condition names. By default it is looked up through
        Microsoft Graph (app ID C(0af06dc6-e4b5-4f28-818e-e78e62d137a5)); a tenant without it fails before any write.
    type: str
seealso:
  - module: w365.cloudpc.w365_role_grant
notes:
  - See C(docs/onboarding.md) of the collection for the whole procedure and what to put into the inventory or AWX.
'''

EXAMPLES = r'''
- name: Onboard the tenant (run by its administrator)
  w365.cloudpc.w365_automation_identity:
    tenant_id: contoso.onmicrosoft.com
    auth_method: device_code
    client_id: "{{ admin_public_client_id }}"
    display_name: w365-rollout
    certificate_path: /secure/w365-rollout-contoso.pem
    certificate_passphrase: "{{ vault_w365_cert_passphrase }}"
    subscription_id: 00000000-0000-0000-0000-000000000000
  register: onboard

- name: What to put into the inventory
  ansible.builtin.debug:
    var: onboard.inventory
'''

RETURN = r'''
app:
  description: The app registration.
  returned: success
  type: dict
  contains:
    app_id:
      description: Application (client) ID; null in check mode before it exists.
      type: str
    object_id:
      description: Object ID of the app registration.
      type: str
    display_name:
      description: Its display name.
      type: str
service_principal_id:
  description: Object ID of the app's service principal (the principal of its role assignments).
  returned: success
  type: str
graph_permissions:
  description: The Microsoft Graph application permissions of the identity after the run (in check mode, predicted).
  returned: success
  type: list
  elements: str
certificate:
  description: The certificate credential (O(credential_type=certificate)); never the key.
  returned: success
  type: dict
  contains:
    thumbprint:
      description: SHA-1 thumbprint (hex).
      type: str
    expires:
      description: End of validity (UTC, ISO 8601).
      type: str
    path:
      description: The PEM file.
      type: str
    renewed:
      description: Whether this run made a new certificate.
      type: bool
    encrypted:
      description: Whether the private key is encrypted.
      type: bool
role_assignments:
  description: The identity's two role assignments on O(subscription_id) (empty without it).
  returned: success
  type: list
  elements: dict
  contains:
    role_name:
      description: Role.
      type: str
    scope:
      description: Scope.
      type: str
    assignment_id:
      description: Role assignment ID (null when only predicted).
      type: str
    condition:
      description: The ABAC condition (only for Role Based Access Control Administrator).
      type: str
drift:
  description: What differs from the least-privilege setup and was left alone (also given as warnings).
  returned: success
  type: list
  elements: str
inventory:
  description: What the rollout's inventory (C(w365_auth)) or an AWX credential needs; no secret.
  returned: success
  type: dict
'''

from ansible_collections.w365.cloudpc.plugins.module_utils._module import W365Module, subscription_id_option


def main():
    module = W365Module(
        argument_spec=dict(
            display_name=dict(type='str', required=True),
            graph_permissions=dict(type='list', elements='str',
                                   default=['CloudPC.ReadWrite.All', 'Application.Read.All']),
            credential_type=dict(type='str', default='certificate', choices=['certificate', 'federated', 'none']),
            certificate_path=dict(type='path'),
            certificate_passphrase=dict(type='str', no_log=True),
            allow_unencrypted_key=dict(type='bool', default=False),
            certificate_validity_days=dict(type='int', default=365),
            renew_within_days=dict(type='int', default=30),
            federated_credential=dict(type='dict', options=dict(
                name=dict(type='str', required=True), issuer=dict(type='str', required=True),
                subject=dict(type='str', required=True),
                audiences=dict(type='list', elements='str', default=['api://AzureADTokenExchange']))),
            subscription_id=subscription_id_option(),
            windows365_principal_id=dict(type='str'),
        ),
        supports_check_mode=True,
        required_if=[('credential_type', 'certificate', ('certificate_path',)),
                     ('credential_type', 'federated', ('federated_credential',))],
    )
    from ansible_collections.w365.cloudpc.plugins.module_utils._onboarding_run import Onboarding

    run = Onboarding(module)
    result = module.run(run.converge, 'Onboarding the automation identity failed', run.partial_result)
    for warning in result['drift']:
        module.warn(warning)
    module.exit(run.changed, diff=run.diff(), **result)


if __name__ == '__main__':
    main()

# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    """Sign-in options shared by every module (matching `auth_argument_spec()` in module_utils/_module.py)."""

    DOCUMENTATION = r'''
options:
  auth_method:
    description:
      - How to sign in to Microsoft Entra ID. See the collection's C(docs/auth.md) for each method.
      - V(auto) picks the first method whose inputs are present, in this order -
        V(client_secret) when O(client_secret) is set;
        V(client_certificate) when O(client_certificate_path) is set;
        V(workload_identity) when O(federated_token_file) is set;
        V(username_password) when O(username) and O(password) are set;
        V(managed_identity) when the environment variable E(IDENTITY_ENDPOINT) or E(MSI_ENDPOINT) is set;
        otherwise V(azure_cli). The result key RV(ignore:auth_method) names the method used.
      - An explicit method whose inputs are missing fails before any network call and names the missing options.
      - Microsoft documents creating, changing and deleting Azure network connections as supported for
        delegated (user) sign-in only; many tenants accept application C(CloudPC.ReadWrite.All) as well. See the
        table per operation and sign-in method in C(docs/auth.md).
      - V(device_code) is a user sign-in that can do multifactor authentication - sign in once per tenant with
        the action C(w365.cloudpc.w365_signin) (or the playbook C(w365.cloudpc.signin)), which shows a code and a
        URL; the modules then sign in silently from the persistent token cache (on Linux without a Secret Service
        it needs O(token_cache_allow_unencrypted=true)). It is never chosen by V(auto). When a silent sign-in is
        impossible (expired or revoked, MFA asked again) the task fails before its first request, naming the
        sign-in to redo.
    type: str
    default: auto
    choices: [auto, client_secret, client_certificate, workload_identity, managed_identity, azure_cli,
              username_password, device_code]
  tenant_id:
    description:
      - The Microsoft Entra tenant (directory) ID or a verified domain of the tenant.
      - Required by every method except V(managed_identity) and V(azure_cli).
      - If not set, the environment variables E(AZURE_TENANT_ID) then E(AZURE_TENANT) are used.
    type: str
  client_id:
    description:
      - The application (client) ID of the app registration, or of a user-assigned managed identity.
      - For the user sign-ins V(username_password) and V(device_code), the application ID of your public-client
        app registration, with the delegated Microsoft Graph permissions the modules need and Azure Service
        Management C(user_impersonation), consented (C(docs/auth.md) lists them per module).
      - Without it, V(username_password) signs in to Microsoft Graph through Microsoft Graph Command Line Tools
        (C(14d82eec-204b-4c2f-b7e8-296a70dab67e), the Graph scopes an admin consented for it) and to Azure Resource
        Manager through the Azure CLI client (C(04b07795-8ddb-461a-bbee-02f9e1bf7b46)); V(device_code) signs in to
        Microsoft Graph only. The Azure CLI client is never used for Graph - its Graph tokens cannot carry Cloud PC
        permissions.
      - If not set, the environment variable E(AZURE_CLIENT_ID) is used.
    type: str
  client_secret:
    description:
      - A client secret of the app registration, for V(client_secret).
      - If not set, the environment variables E(AZURE_CLIENT_SECRET) then E(AZURE_SECRET) are used.
    type: str
  client_certificate_path:
    description:
      - Path to a PEM or PKCS12 file holding the app's certificate and private key, for V(client_certificate).
      - If not set, the environment variable E(AZURE_CLIENT_CERTIFICATE_PATH) is used.
    type: path
  client_certificate_password:
    description:
      - Password of the private key in O(client_certificate_path), if it is encrypted.
      - If not set, the environment variable E(AZURE_CLIENT_CERTIFICATE_PASSWORD) is used.
    type: str
  federated_token_file:
    description:
      - Path to a file holding a federated (OIDC) token, for V(workload_identity), as Kubernetes workload
        identity and CI systems provide. The file is read again for each token request.
      - If not set, the environment variable E(AZURE_FEDERATED_TOKEN_FILE) is used.
    type: path
  username:
    description:
      - User principal name of the user signing in, for V(username_password) (delegated sign-in).
      - The account must not need multifactor authentication (use V(device_code) for such accounts) or federation
        to an external identity provider. Azure refuses role grants (ARM writes) from user sign-ins without MFA.
      - If not set, the environment variables E(AZURE_USERNAME) then E(AZURE_AD_USER) are used.
    type: str
  password:
    description:
      - Password of O(username), for V(username_password).
      - If not set, the environment variable E(AZURE_PASSWORD) is used.
    type: str
  cloud:
    description:
      - The Microsoft cloud the tenant lives in. It fixes the sign-in authority, the Graph and ARM endpoints and
        the token audiences.
      - V(gcc) is Windows 365 Government GCC - commercial Microsoft Graph and Entra in the GCC tenant, and a
        separate Azure Government tenant for Azure Resource Manager and the Windows 365 service principal that
        holds the roles. It needs O(gov_auth); without it the task fails before any request.
      - V(gcc_high) is one tenant in the US Government cloud (C(login.microsoftonline.us), C(graph.microsoft.us),
        C(management.usgovcloudapi.net)).
      - Microsoft documents the Cloud PC Graph API as unavailable in V(dod) and V(china) (the national cloud
        availability table on the Cloud PC API pages); choosing them fails with that explanation unless
        O(allow_unsupported_cloud=true).
      - If not set, the environment variable E(AZURE_CLOUD_ENVIRONMENT) is used; it also accepts the Azure CLI
        names C(AzureCloud), C(AzureUSGovernment) (meaning V(gcc_high)) and C(AzureChinaCloud).
    type: str
    default: public
    choices: [public, gcc, gcc_high, dod, china]
  allow_unsupported_cloud:
    description:
      - Use O(cloud=dod) or O(cloud=china) although Microsoft's availability table says the Cloud PC Graph API is
        not available there (some localized revisions of Microsoft's pages say otherwise). Only for tenants that
        know the API answers there.
    type: bool
    default: false
  gov_auth:
    description:
      - For O(cloud=gcc) only, and required there - the sign-in to the Azure Government tenant (C(*.onmicrosoft.us))
        that holds the Azure subscription and the Windows 365 service principal that gets the roles. Role grants,
        ARM reads and the service principal lookup use it; Microsoft Graph for Cloud PC objects uses the task's own
        sign-in (the commercial GCC tenant).
      - Takes the same sign-in options as the task, without environment variable fallbacks (the E(AZURE_*)
        variables belong to the commercial sign-in).
      - Ignored, with a warning, for other clouds. See the collection's C(docs/government-clouds.md).
    type: dict
    suboptions:
      auth_method:
        description:
          - How to sign in to the Azure Government tenant, as O(auth_method).
        type: str
        default: auto
        choices: [auto, client_secret, client_certificate, workload_identity, managed_identity, azure_cli,
                  username_password, device_code]
      tenant_id:
        description:
          - The Azure Government tenant ID (or verified domain). Must differ from O(tenant_id).
        type: str
      client_id:
        description:
          - The application (client) ID of the app registration in the Azure Government tenant.
        type: str
      client_secret:
        description:
          - A client secret of that app registration.
        type: str
      client_certificate_path:
        description:
          - Path to a PEM or PKCS12 file holding that app's certificate and private key.
        type: path
      client_certificate_password:
        description:
          - Password of the private key in O(gov_auth.client_certificate_path).
        type: str
      federated_token_file:
        description:
          - Path to a federated (OIDC) token file for V(workload_identity).
        type: path
      username:
        description:
          - User principal name in the Azure Government tenant, for V(username_password).
        type: str
      password:
        description:
          - Password of O(gov_auth.username).
        type: str
      authority_host:
        description:
          - Override the Azure Government sign-in host C(https://login.microsoftonline.us). Must be https.
        type: str
      graph_endpoint:
        description:
          - Override the US Government Microsoft Graph root C(https://graph.microsoft.us), where the Azure Government
            tenant's directory (its Windows 365 service principal) is read. Must be https.
        type: str
  authority_host:
    description:
      - Override the Entra sign-in host of O(cloud), for example C(https://login.microsoftonline.us). Must be https.
      - When this is not the cloud's own host, Entra instance discovery is turned off.
      - If not set, the environment variable E(AZURE_AUTHORITY_HOST) is used.
    type: str
  graph_endpoint:
    description:
      - Override the Microsoft Graph root URL of O(cloud), for example a proxy or a test sandbox. Must be https.
      - Tokens are still requested for the cloud's Graph audience.
    type: str
  arm_endpoint:
    description:
      - Override the Azure Resource Manager root URL of O(cloud). Must be https.
      - Tokens are still requested for the cloud's ARM audience.
    type: str
  ca_bundle:
    description:
      - Path to a PEM file of certificate authorities to trust for Entra, Graph and ARM, for TLS-inspecting
        proxies or a test sandbox. Certificate checks cannot be turned off.
      - If not set, the environment variable E(REQUESTS_CA_BUNDLE) is used; otherwise the system trust store.
    type: path
  api_retries:
    description:
      - How many times one request to Microsoft Graph, Azure Resource Manager or the Entra token endpoint is
        retried.
      - HTTP 429 and 503 are retried for every method, and so is a connection that could not be opened (nothing
        was sent). HTTP 500, 502, 504 and a connection dropped or timed out after the request was sent are retried
        only for GET, HEAD, PUT and DELETE; a POST or PATCH may have been applied, so it is not repeated, and the
        task fails saying so (a rerun reads the current state before writing).
      - Waits honour the service's C(Retry-After) header, otherwise exponential backoff with jitter.
      - When retries are exhausted, or waiting longer would pass O(api_retry_max_wait), the task fails with the
        service's last error.
    type: int
    default: 4
  api_retry_max_wait:
    description:
      - The most time, in seconds, spent waiting between retries of one request, all retries together. Sign-in
        requests are bounded the same way.
    type: int
    default: 120
  api_timeout:
    description:
      - Seconds to wait for a connection to open, and then for each answer, on every request to Microsoft Graph,
        Azure Resource Manager and the Entra token endpoint.
      - A request that gets no answer in time fails naming the service, method and URL (without its query); for
        GET, PUT and DELETE it is first retried within O(api_retries) and O(api_retry_max_wait).
      - If not set, the environment variable E(W365_API_TIMEOUT) is used.
    type: int
    default: 60
  token_cache:
    description:
      - Keep access tokens on disk so that later tasks (each module runs as a new process) reuse them instead
        of signing in again. Off by default, because it B(stores bearer tokens on disk) - anyone who can read
        the file can call Microsoft Graph and Azure Resource Manager as this identity until the token expires
        (about an hour).
      - The cache is azure-identity's persistent token cache named C(w365.cloudpc), in the home directory of the
        user running the module - C(~/.IdentityService/w365.cloudpc.nocae) (azure-identity may add
        C(w365.cloudpc.cae) and C(.lockfile) siblings). On Linux it is encrypted with libsecret when a Secret
        Service is running; where none is (containers, SSH sessions, CI) the task fails before any request
        unless O(token_cache_allow_unencrypted=true). Windows encrypts it with DPAPI, macOS keeps it in the
        Keychain.
      - Delete those files to clear it, for example after the identity's permissions change; tokens in it expire
        on their own. Entries are kept apart per tenant, client ID, authority and audience, so one file serves
        every tenant of a rollout.
      - Applies to the app sign-in methods V(client_secret), V(client_certificate) and V(workload_identity).
        V(azure_cli) and V(managed_identity) keep their own tokens, and V(username_password) cannot reuse a
        cached user token in a new process (azure-identity needs an authentication record for that); with them
        this option stores nothing and adds a warning.
      - If not set, the environment variable E(W365_TOKEN_CACHE) is used.
    type: bool
    default: false
  token_cache_allow_unencrypted:
    description:
      - With O(token_cache=true), store the cache as a plaintext file (mode C(0600), readable only by the user
        running the module) when the platform cannot encrypt it.
      - Without it, O(token_cache=true) on a machine that cannot encrypt fails before any request is sent.
      - If not set, the environment variable E(W365_TOKEN_CACHE_ALLOW_UNENCRYPTED) is used.
    type: bool
    default: false
requirements:
  - azure-identity >= 1.15.0
  - azure-core >= 1.30.0
notes:
  - Options take precedence over environment variables.
  - Secrets (O(client_secret), O(client_certificate_password), O(password) and the same options in O(gov_auth)) are
    never returned or logged.
seealso:
  - name: Sign-in guide
    description: Every sign-in method, environment variables, clouds and delegated versus app-only access.
    link: https://github.com/w365/cloudpc/blob/main/docs/auth.md
'''

    SUBSCRIPTION_ID = r'''
options:
  subscription_id:
    description:
      - The Azure subscription ID.
      - If not set, the environment variable E(AZURE_SUBSCRIPTION_ID) is used.
    type: str
'''

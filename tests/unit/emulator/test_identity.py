"""Identity in tokens (issue 13): claims, first-party clients, consent, directory roles, MFA, device code flow."""

from __future__ import annotations

import base64
import json
import time

from .api import ARM, AZURE_CLI, GRAPH, GRAPH_CLI
from .ids import C_PASSWORD, C_SUB, C_TENANT, C_USER, C_USER_OID

ANC_PATH = "/v1.0/deviceManagement/virtualEndpoint/onPremisesConnections"
PUBLIC_APP = "5eed0000-0000-4000-8000-00000000a001"
PUBLIC_APP_OID = "5eed0000-0000-4000-8000-00000000a002"
MFA_USER = "mfa@contoso.onmicrosoft.com"
NOROLE_USER = "norole@contoso.onmicrosoft.com"
INTUNE_ADMIN = "3a2c62db-5318-420d-8d74-23affee5d9d5"
PW = "Sandbox-Passw0rd-NOT-REAL"


def claims(token):
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def identity_seed(seed):
    t = seed["tenants"][0]
    t["arm_mfa_enforced"] = True
    t["apps"].append({"client_id": PUBLIC_APP, "object_id": PUBLIC_APP_OID, "display_name": "w365-ops-public",
                      "public_client": True, "graph_permissions": []})
    t["users"] += [
        {"upn": MFA_USER, "object_id": "5eed0000-0000-4000-8000-00000000b001", "password": PW, "mfa": "required",
         "directory_roles": ["Windows 365 Administrator"]},
        {"upn": NOROLE_USER, "object_id": "5eed0000-0000-4000-8000-00000000b002", "password": PW,
         "directory_roles": []},
    ]
    t["role_assignments"] += [
        {"principal_id": "5eed0000-0000-4000-8000-00000000b001", "role": "Owner", "scope": f"/subscriptions/{C_SUB}"},
    ]
    t["consents"] = [
        {"client_id": PUBLIC_APP, "scopes": ["CloudPC.ReadWrite.All", "Application.Read.All"]},
        {"client_id": PUBLIC_APP, "resource": "arm", "scopes": ["user_impersonation"]},
        {"client_id": GRAPH_CLI, "scopes": ["CloudPC.Read.All"], "user": C_USER},
    ]
    seed["device_code_interval_seconds"] = 1
    return seed


def password(api, client_id, scope, upn=C_USER, pw=C_PASSWORD):
    return api.token_reply(C_TENANT, {"grant_type": "password", "client_id": client_id, "username": upn,
                                      "password": pw, "scope": f"{scope} offline_access openid profile"})


def test_user_token_claims(launch, seed):
    api = launch(identity_seed(seed))
    r = password(api, PUBLIC_APP, GRAPH)
    assert r.status == 200, r
    c = claims(r.json["access_token"])
    assert c["scp"].split() == ["CloudPC.ReadWrite.All", "Application.Read.All"]
    assert c["idtyp"] == "user" and c["appid"] == PUBLIC_APP and c["tid"] == C_TENANT and c["oid"] == C_USER_OID
    assert c["wids"] == [INTUNE_ADMIN]  # default role for seeds written before roles were modelled
    assert c["amr"] == ["pwd"] and "roles" not in c
    arm = claims(password(api, PUBLIC_APP, ARM).json["access_token"])
    assert arm["scp"] == "user_impersonation" and arm["aud"] == "https://management.azure.com"


def test_app_tokens_carry_roles_only_for_graph(demo):
    from .ids import C_APP, C_SECRET

    g = claims(demo.app_token(C_TENANT, C_APP, C_SECRET, GRAPH))
    a = claims(demo.app_token(C_TENANT, C_APP, C_SECRET, ARM))
    assert g["roles"] == ["CloudPC.ReadWrite.All", "Application.Read.All", "GroupMember.Read.All"] and g["idtyp"] == "app"
    assert "roles" not in a and "scp" not in a and "amr" not in a and a["appidacr"] == "1"


def test_first_party_clients(launch, seed):
    api = launch(identity_seed(seed))
    # The Azure CLI: a fixed pre-authorized Graph set without any Cloud PC scope, whatever the tenant consented.
    cli = claims(password(api, AZURE_CLI, GRAPH).json["access_token"])
    assert "CloudPC" not in cli["scp"] and "Directory.AccessAsUser.All" in cli["scp"].split()
    assert claims(password(api, AZURE_CLI, ARM).json["access_token"])["scp"] == "user_impersonation"
    r = api.call(cli_token := password(api, AZURE_CLI, GRAPH).json["access_token"], "GET", ANC_PATH)
    assert r.status == 403 and "CloudPC.Read.All" in r.json["error"]["message"], r
    assert cli_token
    # Graph Command Line Tools: what an admin (or this user) consented for it, and nothing for ARM.
    mg = claims(password(api, GRAPH_CLI, GRAPH).json["access_token"])
    assert mg["scp"] == "CloudPC.Read.All"
    r = password(api, GRAPH_CLI, ARM)
    assert r.status == 400 and r.json["error_codes"] == [65001], r
    # A user without a per-user consent for it gets nothing at all.
    r = password(api, GRAPH_CLI, GRAPH, upn=NOROLE_USER, pw=PW)
    assert r.status == 400 and r.json["error_codes"] == [65001]


def test_unknown_and_confidential_clients_cannot_sign_users_in(launch, seed):
    from .ids import C_APP

    api = launch(identity_seed(seed))
    r = password(api, "5eed0000-0000-4000-8000-0000000000ff", GRAPH)
    assert (r.status, r.json["error_codes"]) == (400, [700016])
    r = password(api, C_APP, GRAPH)
    assert (r.status, r.json["error"], r.json["error_codes"]) == (401, "invalid_client", [7000218])


def test_cloud_pc_writes_need_a_directory_role(launch, seed):
    seed = identity_seed(seed)
    seed["tenants"][0]["consents"].append({"client_id": PUBLIC_APP, "scopes": ["CloudPC.ReadWrite.All"],
                                           "user": NOROLE_USER})
    api = launch(seed)
    token = password(api, PUBLIC_APP, GRAPH, upn=NOROLE_USER, pw=PW).json["access_token"]
    assert claims(token)["wids"] == []
    assert api.call(token, "GET", ANC_PATH).status == 200
    body = {"displayName": "x", "connectionType": "azureADJoin", "subscriptionId": C_SUB,
            "resourceGroupId": f"/subscriptions/{C_SUB}/resourceGroups/rg-cpc-weu",
            "virtualNetworkId": f"/subscriptions/{C_SUB}/resourceGroups/rg-cpc-weu/providers/Microsoft.Network/"
                                "virtualNetworks/vnet-cpc-weu",
            "subnetId": f"/subscriptions/{C_SUB}/resourceGroups/rg-cpc-weu/providers/Microsoft.Network/"
                        "virtualNetworks/vnet-cpc-weu/subnets/cloudpcs"}
    r = api.call(token, "POST", ANC_PATH, body=body)
    assert r.status == 403 and "Intune Administrator" in r.json["error"]["message"], r
    assert not api.state()["tenants"][0]["network_connections"]
    admin = password(api, PUBLIC_APP, GRAPH).json["access_token"]
    assert api.call(admin, "POST", ANC_PATH, body=body).status == 201


def test_mfa_required_user_and_arm_writes(launch, seed):
    api = launch(identity_seed(seed))
    r = password(api, PUBLIC_APP, GRAPH, upn=MFA_USER, pw=PW)
    assert (r.status, r.json["error"], r.json["error_codes"]) == (400, "invalid_grant", [50076]), r
    assert "multi-factor authentication" in r.json["error_description"]
    seed["tenants"][0]["users"][-2]["mfa"] = "unregistered"
    api = launch(seed)
    assert password(api, PUBLIC_APP, GRAPH, upn=MFA_USER, pw=PW).json["error_codes"] == [50079]
    # ARM: reads are fine without MFA, writes are refused (arm_mfa_enforced).
    token = password(api, PUBLIC_APP, ARM).json["access_token"]
    assert api.call(token, "GET", f"/subscriptions/{C_SUB}", params={"api-version": "2022-12-01"}).status == 200
    r = api.call(token, "PUT", f"/subscriptions/{C_SUB}/resourcegroups/rg-new", params={"api-version": "2025-04-01"},
                 body={"location": "westeurope"})
    assert r.status == 401 and r.code == "MultiFactorAuthenticationRequired", r


def device_code(api, client_id=PUBLIC_APP, scope=GRAPH):
    r = api.request("POST", f"/{C_TENANT}/oauth2/v2.0/devicecode",
                    form={"client_id": client_id, "scope": f"{scope} offline_access openid profile"})
    assert r.status == 200, r
    return r.json


def poll(api, flow):
    return api.token_reply(C_TENANT, {"grant_type": "urn:ietf:params:oauth:grant-type:device_code",
                                      "client_id": PUBLIC_APP, "device_code": flow["device_code"]})


def test_device_code_flow(launch, seed):
    api = launch(identity_seed(seed))
    flow = device_code(api)
    assert flow["interval"] == 1 and flow["expires_in"] == 900 and flow["user_code"] in flow["message"]
    pending = api.control("GET", "devicecodes")["device_codes"]
    assert [p["user_code"] for p in pending] == [flow["user_code"]] and "device_code" not in pending[0]
    r = poll(api, flow)
    assert (r.json["error"], r.json["error_codes"]) == ("authorization_pending", [70016])
    assert poll(api, flow).json["error"] == "slow_down"  # polled again at once
    time.sleep(1.1)
    api.control("POST", f"devicecodes/{flow['user_code']}", {"upn": MFA_USER, "mfa": True})
    r = poll(api, flow)
    assert r.status == 200, r
    c = claims(r.json["access_token"])
    assert c["amr"] == ["pwd", "mfa"] and c["upn"] == MFA_USER and c["scp"].startswith("CloudPC.ReadWrite.All")
    # the same client's refresh token gives the ARM token, still with MFA: ARM writes pass
    r2 = api.token_reply(C_TENANT, {"grant_type": "refresh_token", "client_id": PUBLIC_APP,
                                    "refresh_token": r.json["refresh_token"], "scope": ARM})
    assert r2.status == 200 and claims(r2.json["access_token"])["amr"] == ["pwd", "mfa"]
    w = api.call(r2.json["access_token"], "PUT", f"/subscriptions/{C_SUB}/resourcegroups/rg-new",
                 params={"api-version": "2025-04-01"}, body={"location": "westeurope"})
    assert w.status in (200, 201), w
    # another client cannot redeem it
    r3 = api.token_reply(C_TENANT, {"grant_type": "refresh_token", "client_id": AZURE_CLI,
                                    "refresh_token": r.json["refresh_token"], "scope": ARM})
    assert r3.status == 400 and r3.json["error"] == "invalid_grant"
    # an expired refresh token: AADSTS700082
    assert api.control("POST", "refresh_tokens/expire", {"upn": MFA_USER})["expired"] >= 2
    r4 = api.token_reply(C_TENANT, {"grant_type": "refresh_token", "client_id": PUBLIC_APP,
                                    "refresh_token": r2.json["refresh_token"], "scope": GRAPH})
    assert r4.json["error_codes"] == [700082]


def test_device_code_declined_expired_and_mfa_skipped(launch, seed):
    seed = identity_seed(seed)
    seed["device_code_seconds"] = 2
    api = launch(seed)
    flow = device_code(api)
    api.control("POST", f"devicecodes/{flow['user_code']}", {"approve": False})
    assert poll(api, flow).json["error"] == "authorization_declined"
    flow = device_code(api)
    time.sleep(2.1)
    assert poll(api, flow).json["error"] == "expired_token"
    flow = device_code(api)
    api.control("POST", f"devicecodes/{flow['user_code']}", {"upn": MFA_USER, "mfa": False})
    assert poll(api, flow).json["error_codes"] == [50076]
    # the device code never appears in the request log
    assert all(e["body"].get("device_code") in (None, "***") for e in api.log() if isinstance(e["body"], dict))

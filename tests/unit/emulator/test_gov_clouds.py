"""Government clouds in the sandbox (issue 15): US Government authority, audiences at Azure Government ARM, the
GCC tenant mapping and POST /servicePrincipals for the Windows 365 app."""

from __future__ import annotations

from pathlib import Path

import pytest

SEED = Path(__file__).resolve().parents[2] / "integration" / "seeds" / "gcc.yml"
GCC, GOV = "9cc00000-0000-4000-8000-0000000000a1", "9cc00000-0000-4000-8000-0000000000a2"
GCC_APP, GCC_SECRET = "9cc00000-0000-4000-8000-00000000c001", "gcc-app-secret-never-shown-2"
GOV_APP, GOV_SECRET = "9cc00000-0000-4000-8000-00000000c002", "gov-app-secret-never-shown-3"
ADMIN, ADMIN_PW = "admin@gccco.onmicrosoft.com", "Gcc-Admin-Pw-never-shown-1!"
SUB = "9cc00000-0000-4000-8000-00000000005b"
W365 = "0af06dc6-e4b5-4f28-818e-e78e62d137a5"
MAPPING = "/beta/deviceManagement/virtualEndpoint/crossCloudGovernmentOrganizationMapping"


def _seed():
    import yaml
    return yaml.safe_load(SEED.read_text(encoding="utf-8"))


@pytest.fixture
def api(launch):
    return launch(SEED)


def gov_host(api):
    return {"Host": f"localhost:{api.port}"}


def token(api, tenant, client_id, secret, scope, gov=False):
    return api.request("POST", f"/{tenant}/oauth2/v2.0/token", headers=gov_host(api) if gov else None,
                       form={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret,
                             "scope": scope})


def gov_token(api, scope):
    r = token(api, GOV, GOV_APP, GOV_SECRET, scope, gov=True)
    assert r.status == 200, r
    return r.json["access_token"]


def admin_graph_token(api):
    r = api.request("POST", f"/{GCC}/oauth2/v2.0/token", form={
        "grant_type": "password", "client_id": "14d82eec-204b-4c2f-b7e8-296a70dab67e", "username": ADMIN,
        "password": ADMIN_PW, "scope": "https://graph.microsoft.com/.default"})
    assert r.status == 200, r
    return r.json["access_token"]


def test_each_tenant_signs_in_only_at_its_cloud_authority(api):
    # The Azure Government tenant at the commercial authority, and the GCC tenant at the US Government one: 90002.
    r = token(api, GOV, GOV_APP, GOV_SECRET, "https://management.usgovcloudapi.net/.default")
    assert r.status == 400 and r.json["error_codes"] == [90002], r
    r = token(api, GCC, GCC_APP, GCC_SECRET, "https://graph.microsoft.com/.default", gov=True)
    assert r.status == 400 and r.json["error_codes"] == [90002], r
    r = api.request("GET", f"/{GOV}/v2.0/.well-known/openid-configuration")
    assert r.status == 400 and r.json["error_codes"] == [90002], r
    assert api.request("GET", f"/{GOV}/v2.0/.well-known/openid-configuration", headers=gov_host(api)).status == 200
    # The Azure Government tenant's Graph is graph.microsoft.us; commercial Graph is not its resource.
    r = token(api, GOV, GOV_APP, GOV_SECRET, "https://graph.microsoft.com/.default", gov=True)
    assert r.json["error_codes"] == [500011], r


def test_government_arm_refuses_a_commercial_token(api):
    gov = gov_token(api, "https://management.usgovcloudapi.net/.default")
    ok = api.call(gov, "GET", f"/subscriptions/{SUB}", params={"api-version": "2022-12-01"})
    assert ok.status == 200, ok
    r = token(api, GCC, GCC_APP, GCC_SECRET, "https://management.usgovcloudapi.net/.default")
    commercial = r.json["access_token"]
    r = api.call(commercial, "GET", f"/subscriptions/{SUB}", params={"api-version": "2022-12-01"})
    assert r.status == 401 and r.json["error"]["code"] == "InvalidAuthenticationTokenTenant", r
    # A token for commercial ARM (a public tenant's) at the Azure Government subscription: wrong audience.
    seeded = api.control("GET", "state")
    assert seeded
    r = api.request("POST", "/_emulator/reset", body={"seed": {**_seed(), "tenants": _seed()["tenants"] + [{
        "id": "9cc00000-0000-4000-8000-0000000000a3", "domain": "pub.onmicrosoft.com", "apps": [{
            "client_id": "9cc00000-0000-4000-8000-00000000c003", "object_id": "9cc00000-0000-4000-8000-00000000c0e3",
            "secret": "pub-secret-4"}]}]}})
    assert r.status == 200, r
    pub = token(api, "9cc00000-0000-4000-8000-0000000000a3", "9cc00000-0000-4000-8000-00000000c003", "pub-secret-4",
                "https://management.azure.com/.default").json["access_token"]
    r = api.call(pub, "GET", f"/subscriptions/{SUB}", params={"api-version": "2022-12-01"})
    assert r.status == 401 and r.json["error"]["code"] == "InvalidAuthenticationTokenAudience", r
    # A commercial ARM audience is refused by the GCC tenant's authority outright.
    r = token(api, GCC, GCC_APP, GCC_SECRET, "https://management.azure.com/.default")
    assert r.json["error_codes"] == [500011], r


def test_tenant_mapping_api(api):
    user = admin_graph_token(api)
    header = {"X-MS-CloudPC-USGovCloudTenantAADToken": "Bearer " + gov_token(api, W365 + "/.default")}
    assert api.call(user, "GET", MAPPING).status == 401  # the Government token is required
    wrong = {"X-MS-CloudPC-USGovCloudTenantAADToken": gov_token(api, "https://graph.microsoft.us/.default")}
    assert api.call(user, "GET", MAPPING, headers=wrong).status == 401
    assert api.call(user, "GET", MAPPING, headers=header).status == 204
    app = token(api, GCC, GCC_APP, GCC_SECRET, "https://graph.microsoft.com/.default").json["access_token"]
    r = api.call(app, "POST", MAPPING, body={}, headers=header)
    assert r.status == 403, r  # application permissions: not supported
    r = api.call(user, "POST", MAPPING, body={}, headers=header)
    assert r.status == 200 and r.json["id"] == GCC and r.json["organizationIdsInUSGovCloud"] == [GOV], r
    r = api.call(user, "GET", MAPPING, headers=header)
    assert r.status == 200 and r.json["organizationIdsInUSGovCloud"] == [GOV]
    assert api.call(user, "POST", MAPPING, body={}, headers=header).status == 409


def test_create_windows365_service_principal_in_the_government_tenant(api):
    graph = gov_token(api, "https://graph.microsoft.us/.default")
    r = api.call(graph, "POST", "/v1.0/servicePrincipals", body={"appId": W365})
    assert r.status == 201 and r.json["appId"] == W365, r
    r = api.call(graph, "GET", f"/v1.0/servicePrincipals(appId='{W365}')")
    assert r.status == 200, r
    assert api.call(graph, "POST", "/v1.0/servicePrincipals", body={"appId": W365}).status == 409

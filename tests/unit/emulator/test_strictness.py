"""Sandbox strictness (issue 14): what real Graph and ARM refuse, the sandbox refuses too; plus the newer
read-only surfaces (supportedRegions, policy assignments, gallery images, cloud metadata, rate-limit headers,
device sync warnings). Sources are listed in docs/sandbox.md."""

from __future__ import annotations

from .api import ANC_PATH, IMG_PATH, POL_PATH
from .ids import C_APP, C_SECRET, C_SUB, C_TENANT, anc_body
from .test_graph import DONE, Tenant, _fabrikam_with_roles, _hybrid

REGIONS = "/beta/deviceManagement/virtualEndpoint/supportedRegions"


def _contoso(launch, seed=None):
    api = launch(seed) if seed is not None else launch()
    return Tenant(api, C_TENANT, C_APP, C_SECRET)


def _bad(reply, status=400, code="BadRequest"):
    assert reply.status == status, reply
    assert reply.code == code and reply.json["error"]["message"], reply
    assert reply.json["error"]["innerError"]["request-id"], reply  # Graph's error shape


def test_unknown_or_unsupported_query_options_are_refused(launch):
    c = _contoso(launch)
    _bad(c.g("GET", ANC_PATH, params={"$orderby": "displayName"}))
    _bad(c.g("GET", ANC_PATH, params={"$expand": "x"}))
    _bad(c.g("GET", ANC_PATH, params={"$foo": "1"}))
    _bad(c.g("GET", ANC_PATH, params={"colour": "blue"}))
    _bad(c.g("GET", IMG_PATH, params={"$search": "win"}))
    assert c.g("GET", ANC_PATH, params={"$select": "id", "$filter": "displayName eq 'x'"}).status == 200
    # On beta the $ prefix is optional (learn.microsoft.com/graph/query-parameters).
    assert c.g("GET", ANC_PATH.replace("v1.0", "beta"), params={"select": "id"}).status == 200
    _bad(c.g("GET", ANC_PATH, params={"select": "id"}))


def test_a_body_must_be_json(launch):
    import json

    c = _contoso(launch)
    body = json.dumps(anc_body("ctype", C_SUB, "rg-cpc-weu", "vnet-cpc-weu")).encode()
    conn = c.api._connection()
    conn.request("POST", ANC_PATH, body=body,
                 headers={"Authorization": f"Bearer {c.graph_token}", "Content-Type": "text/plain"})
    resp = conn.getresponse()
    raw = json.loads(resp.read())
    assert resp.status == 400 and raw["error"]["code"] == "BadRequest", raw
    assert "Unable to read JSON request payload" in raw["error"]["message"]
    assert c.g("GET", ANC_PATH, params={"$filter": "displayName eq 'ctype'"}).json["value"] == []


def test_action_parameters_are_checked(launch):
    c = _contoso(launch)
    anc = c.create_anc(anc_body("actions", C_SUB, "rg-cpc-weu", "vnet-cpc-weu"))
    c.api.advance(DONE)
    # runHealthChecks takes no body (Graph: "Don't supply a request body for this method").
    _bad(c.g("POST", f"{ANC_PATH}/{anc['id']}/runHealthChecks", {"force": True}))
    _bad(c.g("POST", f"{ANC_PATH}/{anc['id']}/updateAdDomainPassword", {"adDomainPassword": "x", "extra": 1}))
    assert c.g("POST", f"{ANC_PATH}/{anc['id']}/runHealthChecks").status == 204


def test_supported_regions_on_beta_only_with_status(launch, seed):
    seed["region_status"] = {"westus2": "restricted"}
    c = _contoso(launch, seed)
    r = c.g("GET", REGIONS)
    assert r.status == 200, r
    regions = {x["displayName"]: x for x in r.json["value"]}
    assert regions["westus2"]["regionStatus"] == "restricted"
    assert regions["westeurope"]["regionStatus"] == "available"
    assert {x["supportedSolution"] for x in r.json["value"]} == {"windows365"}
    assert "usgovtexas" not in regions
    assert c.g("GET", REGIONS.replace("beta", "v1.0")).status == 400


def test_policy_assignments_are_readable(launch):
    c = _contoso(launch)
    pol = c.g("POST", POL_PATH, {"displayName": "p", "imageType": "gallery",
                                 "imageId": "microsoftwindowsdesktop_windows-ent-cpc_win11-24h2-ent-cpc"})
    assert pol.status == 201, pol
    pid = pol.json["id"]
    group = "11111111-2222-3333-4444-555555555555"
    target = {"@odata.type": "microsoft.graph.cloudPcManagementGroupAssignmentTarget", "groupId": group}
    assert c.g("POST", f"{POL_PATH}/{pid}/assign", {"assignments": [{"target": target}]}).status == 204
    _bad(c.g("POST", f"{POL_PATH}/{pid}/assign", {"assignments": [], "other": 1}))
    got = c.g("GET", f"{POL_PATH}/{pid}", params={"$expand": "assignments"})
    assert got.status == 200, got
    assert [a["target"]["groupId"] for a in got.json["assignments"]] == [group]
    assert "assignments" not in c.g("GET", f"{POL_PATH}/{pid}").json
    listed = c.g("GET", POL_PATH, params={"$expand": "assignments"})
    assert any(p.get("assignments") for p in listed.json["value"])
    nav = c.g("GET", f"{POL_PATH}/{pid}/assignments")
    assert nav.status == 200 and nav.json["value"][0]["target"]["groupId"] == group
    one = c.g("GET", f"{POL_PATH}/{pid}/assignments/{nav.json['value'][0]['id']}")
    assert one.status == 200 and one.json["target"]["groupId"] == group
    _bad(c.g("GET", f"{POL_PATH}/{pid}", params={"$expand": "nothing"}))


def test_arm_cloud_metadata_and_rate_limit_headers(launch):
    c = _contoso(launch)
    legacy = c.api.request("GET", "/metadata/endpoints", params={"api-version": "1.0"})
    assert legacy.status == 200, legacy
    assert legacy.json["authentication"]["loginEndpoint"].startswith("https://")
    assert "https://management.azure.com/" in legacy.json["authentication"]["audiences"]
    clouds = c.api.request("GET", "/metadata/endpoints", params={"api-version": "2022-09-01"})
    assert clouds.status == 200 and clouds.json[0]["resourceManager"].startswith(c.api.url)
    arm_token = c.arm_token
    first = c.api.call(arm_token, "GET", f"/subscriptions/{C_SUB}", params={"api-version": "2022-12-01"})
    second = c.api.call(arm_token, "GET", f"/subscriptions/{C_SUB}", params={"api-version": "2022-12-01"})
    a = int(first.headers["x-ms-ratelimit-remaining-subscription-reads"])
    b = int(second.headers["x-ms-ratelimit-remaining-subscription-reads"])
    assert 0 <= b <= a <= 250
    missing = c.api.call(arm_token, "GET", f"/subscriptions/{C_SUB}/resourceGroups/nope",
                         params={"api-version": "2021-04-01"})
    assert missing.status == 404 and "x-ms-ratelimit-remaining-subscription-reads" in missing.headers


def test_hybrid_device_sync_can_warn(launch, seed):
    seed["tenants"][1]["ad_domains"][0]["device_sync"] = "not_synced"
    fab = _fabrikam_with_roles(launch, seed)
    anc = fab.create_anc(_hybrid("sync", "rg-cpc-eus", "vnet-cpc-eus"))["id"]
    fab.api.advance(DONE)
    got = fab.anc(anc)
    assert got["healthCheckStatus"] == "warning", got
    sync = [c for c in got["healthCheckStatusDetail"]["healthChecks"] if c["errorType"]]
    assert [(c["status"], c["errorType"]) for c in sync] == [("warning", "azureAdDeviceSyncCheckDeviceNotFound")]
    assert sync[0]["recommendedAction"]


def test_gallery_image_versions_are_served_with_gallery_api_versions(launch, seed):
    rg = seed["tenants"][0]["subscriptions"][0]["resource_groups"][0]
    rg["galleries"] = [{"name": "gal", "images": [{"name": "def1", "versions": [{"name": "1.0.0", "data_disks": 1}]}]}]
    c = _contoso(launch, seed)
    base = (f"/subscriptions/{C_SUB}/resourceGroups/{rg['name']}/providers/Microsoft.Compute/galleries/gal")
    v = c.api.call(c.arm_token, "GET", base + "/images/def1/versions/1.0.0", params={"api-version": "2024-03-03"})
    assert v.status == 200, v
    assert v.json["properties"]["storageProfile"]["osDiskImage"]["sizeInGB"] == 64
    assert len(v.json["properties"]["storageProfile"]["dataDiskImages"]) == 1
    d = c.api.call(c.arm_token, "GET", base + "/images/def1", params={"api-version": "2024-03-03"})
    assert d.json["properties"]["hyperVGeneration"] == "V2" and d.json["properties"]["osState"] == "Generalized"
    bad = c.api.call(c.arm_token, "GET", base + "/images/def1", params={"api-version": "2024-03-01"})
    assert bad.status == 400 and bad.code == "NoRegisteredProviderFound", bad
    # Graph: v1.0 takes managed images only; beta takes a gallery version.
    body = {"displayName": "g", "version": "1.0.0", "sourceImageResourceId": base + "/images/def1/versions/1.0.0"}
    assert c.g("POST", IMG_PATH, body).status == 400
    assert c.g("POST", IMG_PATH.replace("v1.0", "beta"), body).status == 201

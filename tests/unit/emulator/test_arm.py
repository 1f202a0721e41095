"""ARM: api-version, audiences and tenants, RBAC enforcement, resources, role definitions and assignments."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

from .api import ARM, GRAPH
from .ids import (C_APP, C_READER, C_READER_OID, C_READER_SECRET, C_SECRET, C_SUB, C_TENANT, C_USER,
                  C_PASSWORD, C_W365, F_APP, F_SECRET, F_SUB, F_TENANT, ROLE_NIC, ROLE_OWNER, ROLE_READER, rg_id,
                  role_def, subnet_id, vnet_id)

V_NET = {"api-version": "2026-03-01"}
V_AUTH = {"api-version": "2022-04-01"}
V_RG = {"api-version": "2025-04-01"}
V_SUB = {"api-version": "2022-12-01"}


@pytest.fixture
def admin(demo):
    return demo.app_token(C_TENANT, C_APP, C_SECRET, ARM)


@pytest.fixture
def reader(demo):
    return demo.app_token(C_TENANT, C_READER, C_READER_SECRET, ARM)


def test_missing_api_version(demo, admin):
    r = demo.call(admin, "GET", f"/subscriptions/{C_SUB}")
    assert r.status == 400 and r.code == "MissingApiVersionParameter"
    assert r.headers["x-ms-request-id"] and r.headers["x-ms-correlation-request-id"]
    assert set(r.json["error"]) == {"code", "message"}


# The versions the collection's own plain-REST reads send (plugins/modules/w365_preflight.py, _images.py, _grants.py)
# as well as the shipped SDKs' defaults (V_* above): each must keep working.
COLLECTION_READS = [
    ("/subscriptions/{sub}", "2022-12-01"),
    ("/subscriptions/{sub}/resourcegroups/rg-cpc-weu", "2021-04-01"),
    ("/subscriptions/{sub}/resourcegroups/rg-cpc-weu/providers/Microsoft.Network/virtualNetworks/vnet-cpc-weu",
     "2024-05-01"),
    ("/subscriptions/{sub}/resourcegroups/rg-cpc-weu/providers/Microsoft.Network/virtualNetworks/vnet-cpc-weu"
     "/subnets/cloudpcs", "2024-05-01"),
    ("/subscriptions/{sub}/resourcegroups/rg-cpc-weu/providers/Microsoft.Network/virtualNetworks/vnet-cpc-weu"
     "/usages", "2024-05-01"),
    ("/subscriptions/{sub}/resourcegroups/rg-cpc-weu/providers/Microsoft.Authorization/permissions", "2022-04-01"),
    ("/subscriptions/{sub}/resourcegroups/rg-images/providers/Microsoft.Compute/images/win11-23h2-golden",
     "2024-03-01"),
    ("/subscriptions/{sub}/providers/Microsoft.Authorization/roleAssignments", "2022-04-01"),
    ("/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions", "2022-04-01"),
]


def test_the_collections_api_versions_are_all_supported():
    """Every api-version constant the collection's plain-REST code sends is in the sandbox's list for its type, so a
    version bump in plugins/ that the sandbox (and Azure) would refuse shows up here, not in a playbook run."""
    from w365_sandbox import api_versions as av

    repo = Path(__file__).resolve().parents[3]
    expected = {"API_SUBSCRIPTIONS": av.RESOURCES, "API_RESOURCE_GROUPS": av.RESOURCES, "API_NETWORK": av.NETWORK,
                "API_PERMISSIONS": av.PERMISSIONS, "API_COMPUTE": av.COMPUTE_IMAGES,
                "COMPUTE_API_VERSION": av.COMPUTE_IMAGES, "ROLE_ASSIGNMENTS_API_VERSION": av.ROLE_ASSIGNMENTS,
                "COMPUTE_GALLERY_API_VERSION": av.COMPUTE_GALLERIES}
    found = {}
    for rel in ("plugins/modules/w365_preflight.py", "plugins/module_utils/_images.py",
                "plugins/module_utils/_grants.py", "plugins/module_utils/_constants.py"):
        text = (repo / rel).read_text(encoding="utf-8")
        found.update(re.findall(r"^(\w*API\w*) = '(\d{4}-\d\d-\d\d[\w-]*)'", text, re.MULTILINE))
    assert set(found) == set(expected), "map each api-version constant to the sandbox's list for its type"
    for name, version in found.items():
        assert version in expected[name], f"{name} = {version!r} is not a version the sandbox accepts"


@pytest.mark.parametrize("path, version", COLLECTION_READS + [
    ("/subscriptions", V_SUB["api-version"]), ("/subscriptions/{sub}/resourcegroups", V_RG["api-version"]),
    ("/subscriptions/{sub}/resourcegroups/rg-cpc-weu", V_RG["api-version"]),
    ("/subscriptions/{sub}/resourcegroups/rg-cpc-weu/providers/Microsoft.Network/virtualNetworks",
     V_NET["api-version"]),
    ("/subscriptions/{sub}/providers/Microsoft.Network/virtualNetworks", V_NET["api-version"]),
])
def test_supported_api_versions_are_accepted(demo, admin, path, version):
    r = demo.call(admin, "GET", path.format(sub=C_SUB), params={"api-version": version})
    assert r.status == 200, r


def test_unsupported_api_version_on_arm_served_types(demo, admin):
    """Subscriptions, resource groups and Microsoft.Authorization: 400 InvalidApiVersionParameter listing versions."""
    for path, good in [(f"/subscriptions/{C_SUB}", "2022-12-01"), (rg_id(C_SUB, "rg-cpc-weu"), "2025-04-01"),
                       (f"/subscriptions/{C_SUB}/providers/Microsoft.Authorization/roleAssignments", "2022-04-01"),
                       (f"/subscriptions/{C_SUB}/providers/Microsoft.Authorization/roleDefinitions", "2022-04-01"),
                       ("/providers/Microsoft.Authorization/roleDefinitions", "2022-04-01")]:
        r = demo.call(admin, "GET", path, params={"api-version": "2099-01-01"})
        assert r.status == 400 and r.code == "InvalidApiVersionParameter", (path, r)
        message = r.json["error"]["message"]
        assert "'2099-01-01' is invalid" in message and good in message, message
        assert r.headers["x-ms-request-id"]
    # a version another type supports is still refused (Network's version on a role assignment list)
    r = demo.call(admin, "GET", f"/subscriptions/{C_SUB}/providers/Microsoft.Authorization/roleAssignments",
                  params={"api-version": "2026-03-01"})
    assert r.status == 400 and r.code == "InvalidApiVersionParameter"
    # writes are checked too, and refused before anything changes
    r = demo.call(admin, "PUT", rg_id(C_SUB, "rg-badversion"), {"location": "westeurope"},
                  params={"api-version": "2015-13-01"})
    assert r.status == 400 and r.code == "InvalidApiVersionParameter"
    assert demo.call(admin, "GET", rg_id(C_SUB, "rg-badversion"), params=V_RG).status == 404


def test_unsupported_api_version_on_provider_types(demo, admin):
    """Network and Compute answer NoRegisteredProviderFound naming the resource group's location and the type."""
    cases = [(vnet_id(C_SUB, "rg-cpc-weu", "vnet-cpc-weu"), "virtualNetworks", "westeurope"),
             (subnet_id(C_SUB, "rg-cpc-neu", "vnet-cpc-neu"), "virtualNetworks/subnets", "northeurope"),
             (vnet_id(C_SUB, "rg-cpc-weu", "vnet-cpc-weu") + "/usages", "virtualNetworks/usages", "westeurope"),
             (f"{rg_id(C_SUB, 'rg-images')}/providers/Microsoft.Compute/images/win11-23h2-golden", "images", None)]
    for path, rtype, location in cases:
        r = demo.call(admin, "GET", path, params={"api-version": "2022-12-01"})
        assert r.status == 400 and r.code == "NoRegisteredProviderFound", (path, r)
        message = r.json["error"]["message"]
        assert f"API version '2022-12-01' for type '{rtype}'" in message, message
        assert location is None or f"location '{location}'" in message
        assert "The supported api-versions are '" in message and "The supported locations are '" in message
    r = demo.call(admin, "GET", vnet_id(C_SUB, "rg-cpc-weu", "vnet-cpc-weu"), params={"api-version": "2024-03-01"})
    assert r.status == 200  # a Network version: the message's list is the one that is honoured
    # a missing resource group is reported as such before the provider is looked up, as ARM does
    r = demo.call(admin, "GET", vnet_id(C_SUB, "rg-missing", "vnet"), params={"api-version": "1999-01-01"})
    assert r.status == 404 and r.code == "ResourceGroupNotFound"


def test_authentication_errors(demo):
    path = f"/subscriptions/{C_SUB}"
    r = demo.request("GET", path, params=V_SUB)
    assert r.status == 401 and r.code == "AuthenticationFailed"
    r = demo.call("not.a.token", "GET", path, params=V_SUB)
    assert r.status == 401 and r.code == "InvalidAuthenticationToken"
    graph_token = demo.app_token(C_TENANT, C_APP, C_SECRET, GRAPH)
    r = demo.call(graph_token, "GET", path, params=V_SUB)
    assert r.status == 401 and r.code == "InvalidAuthenticationTokenAudience"
    other = demo.app_token(F_TENANT, F_APP, F_SECRET, ARM)
    r = demo.call(other, "GET", path, params=V_SUB)
    assert r.status == 401 and r.code == "InvalidAuthenticationTokenTenant"
    assert F_TENANT in r.json["error"]["message"] and C_TENANT in r.json["error"]["message"]
    r = demo.call(other, "GET", "/subscriptions/00000000-0000-0000-0000-000000000001", params=V_SUB)
    assert r.status == 404 and r.code == "SubscriptionNotFound"


def test_arm_accepts_the_legacy_management_audience(demo):
    token = demo.app_token(C_TENANT, C_APP, C_SECRET, "https://management.core.windows.net//.default")
    assert demo.call(token, "GET", f"/subscriptions/{C_SUB}", params=V_SUB).status == 200


def test_subscriptions_and_resource_groups(demo, admin):
    r = demo.call(admin, "GET", "/subscriptions", params=V_SUB)
    assert [s["subscriptionId"] for s in r.json["value"]] == [C_SUB]
    r = demo.call(admin, "GET", f"/subscriptions/{C_SUB}", params=V_SUB)
    assert r.json["displayName"] == "Contoso Production" and r.json["tenantId"] == C_TENANT
    r = demo.call(admin, "GET", f"/subscriptions/{C_SUB}/resourcegroups", params=V_RG)
    assert {g["name"] for g in r.json["value"]} >= {"rg-cpc-weu", "rg-cpc-neu", "rg-images"}
    r = demo.call(admin, "GET", rg_id(C_SUB, "RG-CPC-WEU"), params=V_RG)  # names are case-insensitive
    assert r.status == 200 and r.json["name"] == "rg-cpc-weu" and r.json["location"] == "westeurope"
    r = demo.call(admin, "GET", rg_id(C_SUB, "rg-missing"), params=V_RG)
    assert r.status == 404 and r.code == "ResourceGroupNotFound"
    assert demo.call(admin, "HEAD", rg_id(C_SUB, "rg-missing"), params=V_RG).status == 404


def test_resource_group_create_update(launch):
    api = launch()
    admin = api.app_token(C_TENANT, C_APP, C_SECRET, ARM)
    path = rg_id(C_SUB, "rg-new")
    r = api.call(admin, "PUT", path, {"location": "westeurope", "tags": {"owner": "w365"}}, params=V_RG)
    assert r.status == 201 and r.json["tags"] == {"owner": "w365"}
    r = api.call(admin, "PUT", path, {"location": "westeurope"}, params=V_RG)
    assert r.status == 200
    r = api.call(admin, "PUT", path, {"location": "northeurope"}, params=V_RG)
    assert r.status == 409 and r.code == "InvalidResourceGroupLocation"
    r = api.call(admin, "PUT", rg_id(C_SUB, "rg-nolocation"), {}, params=V_RG)
    assert r.status == 400 and r.code == "LocationRequired"
    reader = api.app_token(C_TENANT, C_READER, C_READER_SECRET, ARM)
    r = api.call(reader, "PUT", rg_id(C_SUB, "rg-reader"), {"location": "westeurope"}, params=V_RG)
    assert r.status == 403 and r.code == "AuthorizationFailed"
    assert "Microsoft.Resources/subscriptions/resourceGroups/write" in r.json["error"]["message"]


def test_networks(demo, admin):
    r = demo.call(admin, "GET", vnet_id(C_SUB, "rg-cpc-weu", "vnet-cpc-weu"), params=V_NET)
    assert r.status == 200
    v = r.json
    assert v["location"] == "westeurope" and v["properties"]["addressSpace"]["addressPrefixes"] == ["10.10.0.0/16"]
    assert v["properties"]["subnets"][0]["properties"]["addressPrefix"] == "10.10.1.0/24"
    r = demo.call(admin, "GET", f"{rg_id(C_SUB, 'rg-cpc-weu')}/providers/Microsoft.Network/virtualNetworks",
                  params=V_NET)
    assert [x["name"] for x in r.json["value"]] == ["vnet-cpc-weu"]
    r = demo.call(admin, "GET", subnet_id(C_SUB, "rg-cpc-weu", "vnet-cpc-weu"), params=V_NET)
    assert r.json["name"] == "cloudpcs"
    r = demo.call(admin, "GET", vnet_id(C_SUB, "rg-cpc-weu", "vnet-cpc-weu") + "/subnets", params=V_NET)
    assert len(r.json["value"]) == 1
    r = demo.call(admin, "GET", vnet_id(C_SUB, "rg-cpc-weu", "vnet-cpc-weu") + "/usages", params=V_NET)
    assert r.json["value"][0]["currentValue"] == 12.0 and r.json["value"][0]["limit"] == 251.0
    r = demo.call(admin, "GET", vnet_id(C_SUB, "rg-cpc-weu", "vnet-nope"), params=V_NET)
    assert r.status == 404 and r.code == "ResourceNotFound"
    r = demo.call(admin, "GET", subnet_id(C_SUB, "rg-cpc-weu", "vnet-cpc-weu", "nope"), params=V_NET)
    assert r.status == 404 and r.code == "NotFound"


def test_managed_images(demo, admin):
    base = f"{rg_id(C_SUB, 'rg-images')}/providers/Microsoft.Compute/images"
    r = demo.call(admin, "GET", f"{base}/win11-23h2-golden", params={"api-version": "2024-03-01"})
    assert r.status == 200
    assert r.json["properties"]["storageProfile"]["osDisk"]["osState"] == "Generalized"
    assert r.json["properties"]["hyperVGeneration"] == "V2"
    r = demo.call(admin, "GET", f"{base}/win11-23h2-not-generalized", params={"api-version": "2024-03-01"})
    assert r.json["properties"]["storageProfile"]["osDisk"]["osState"] == "Specialized"
    r = demo.call(admin, "GET", f"{base}/nope", params={"api-version": "2024-03-01"})
    assert r.status == 404 and r.code == "ResourceNotFound"


def test_rbac_reads_need_a_role_at_or_above_the_scope(launch, seed):
    # the reader app only reads the West Europe resource group
    ra = seed["tenants"][0]["role_assignments"]
    ra[2]["scope"] = rg_id(C_SUB, "rg-cpc-weu")
    api = launch(seed)
    tok = api.app_token(C_TENANT, C_READER, C_READER_SECRET, ARM)
    assert api.call(tok, "GET", vnet_id(C_SUB, "rg-cpc-weu", "vnet-cpc-weu"), params=V_NET).status == 200
    r = api.call(tok, "GET", vnet_id(C_SUB, "rg-cpc-neu", "vnet-cpc-neu"), params=V_NET)
    assert r.status == 403 and r.code == "AuthorizationFailed"
    assert "Microsoft.Network/virtualNetworks/read" in r.json["error"]["message"]
    # authorization comes before existence, as in Azure
    r = api.call(tok, "GET", rg_id(C_SUB, "rg-does-not-exist"), params=V_RG)
    assert r.status == 403
    r = api.call(tok, "GET", f"/subscriptions/{C_SUB}/resourcegroups", params=V_RG)
    assert [g["name"] for g in r.json["value"]] == ["rg-cpc-weu"]


def test_role_definitions(demo, admin):
    scope = f"/subscriptions/{C_SUB}"
    r = demo.call(admin, "GET", f"{scope}/providers/Microsoft.Authorization/roleDefinitions",
                  params={**V_AUTH, "$filter": "roleName eq 'Windows 365 Network User'"})
    assert [d["name"] for d in r.json["value"]] == ["7eabc9a4-85f7-4f71-b8ab-75daaccc1033"]
    d = r.json["value"][0]
    assert d["id"] == role_def(C_SUB, "7eabc9a4-85f7-4f71-b8ab-75daaccc1033")
    assert "Microsoft.Network/virtualNetworks/subnets/join/action" in d["properties"]["permissions"][0]["actions"]
    r = demo.call(admin, "GET", f"{scope}/providers/Microsoft.Authorization/roleDefinitions/{ROLE_NIC}",
                  params=V_AUTH)
    assert r.json["properties"]["roleName"] == "Windows 365 Network Interface Contributor"
    r = demo.call(admin, "GET", f"/providers/Microsoft.Authorization/roleDefinitions/{ROLE_READER}", params=V_AUTH)
    assert r.json["id"] == f"/providers/Microsoft.Authorization/roleDefinitions/{ROLE_READER}"
    r = demo.call(admin, "GET", f"{scope}/providers/Microsoft.Authorization/roleDefinitions/"
                                f"1f135831-5de7-4ab3-a68b-e0926a04114a", params=V_AUTH)  # the wrong published GUID
    assert r.status == 404 and r.code == "RoleDefinitionDoesNotExist"
    r = demo.call(admin, "GET", f"{scope}/providers/Microsoft.Authorization/roleDefinitions",
                  params={**V_AUTH, "$filter": "roleName eq 'Windows365 Network User'"})
    assert r.json["value"] == []


def _ra_path(scope, name=None):
    return f"{scope}/providers/Microsoft.Authorization/roleAssignments" + (f"/{name}" if name else "")


def _ra_body(role, principal, ptype="ServicePrincipal"):
    body = {"properties": {"roleDefinitionId": role_def(C_SUB, role), "principalId": principal}}
    if ptype:
        body["properties"]["principalType"] = ptype
    return body


def test_role_assignment_lifecycle(launch):
    api = launch()
    admin = api.app_token(C_TENANT, C_APP, C_SECRET, ARM)
    rg = rg_id(C_SUB, "rg-cpc-weu")
    # atScope() at the RG returns the subscription-level Reader too (inherited); callers compare scopes
    r = api.call(admin, "GET", _ra_path(rg), params={**V_AUTH, "$filter": f"atScope() and assignedTo('{C_W365}')"})
    assert [(a["properties"]["scope"], a["properties"]["roleDefinitionId"]) for a in r.json["value"]] == [
        (f"/subscriptions/{C_SUB}", role_def(C_SUB, ROLE_READER))]
    name = str(uuid.uuid4())
    r = api.call(admin, "PUT", _ra_path(rg, name), _ra_body(ROLE_NIC, C_W365), params=V_AUTH)
    assert r.status == 201, r
    assert r.json["properties"]["scope"] == rg and r.json["id"] == _ra_path(rg, name)
    assert r.json["properties"]["roleDefinitionId"] == role_def(C_SUB, ROLE_NIC)
    r = api.call(admin, "GET", _ra_path(rg, name), params=V_AUTH)
    assert r.status == 200 and r.json["name"] == name
    # the same (scope, role, principal) again, under any name
    r = api.call(admin, "PUT", _ra_path(rg, str(uuid.uuid4())), _ra_body(ROLE_NIC, C_W365), params=V_AUTH)
    assert r.status == 409 and r.code == "RoleAssignmentExists"
    r = api.call(admin, "PUT", _ra_path(rg, name), _ra_body(ROLE_NIC, C_W365), params=V_AUTH)
    assert r.status == 409 and r.code == "RoleAssignmentExists"
    # listing filters
    sub_scope = f"/subscriptions/{C_SUB}"
    r = api.call(admin, "GET", _ra_path(sub_scope), params={**V_AUTH, "$filter": f"principalId eq '{C_W365}'"})
    assert {a["properties"]["scope"] for a in r.json["value"]} == {sub_scope, rg}  # below the scope included
    r = api.call(admin, "GET", _ra_path(sub_scope), params={**V_AUTH, "$filter": "atScope()"})
    assert rg not in {a["properties"]["scope"] for a in r.json["value"]}
    r = api.call(admin, "GET", _ra_path(sub_scope), params={**V_AUTH, "$filter": "roleName eq 'x'"})
    assert r.status == 400
    # permissions at the scope: the caller's own
    r = api.call(admin, "GET", f"{rg}/providers/Microsoft.Authorization/permissions", params=V_AUTH)
    assert r.json["value"] == [{"actions": ["*"], "notActions": [], "dataActions": [], "notDataActions": []}]
    # delete: 200 with the assignment, then 204
    r = api.call(admin, "DELETE", _ra_path(rg, name), params=V_AUTH)
    assert r.status == 200 and r.json["name"] == name
    assert api.call(admin, "DELETE", _ra_path(rg, name), params=V_AUTH).status == 204
    r = api.call(admin, "GET", _ra_path(rg, name), params=V_AUTH)
    assert r.status == 404 and r.code == "RoleAssignmentNotFound"


def test_role_assignment_errors(launch, seed):
    seed["tenants"][0]["role_assignments"].append(
        {"principal_id": C_READER_OID, "role": "Network Contributor", "scope": rg_id(C_SUB, "rg-cpc-weu")})
    api = launch(seed)
    admin = api.app_token(C_TENANT, C_APP, C_SECRET, ARM)
    reader = api.app_token(C_TENANT, C_READER, C_READER_SECRET, ARM)
    rg = rg_id(C_SUB, "rg-cpc-weu")
    # Reader and Network Contributor can't write role assignments
    r = api.call(reader, "PUT", _ra_path(rg, str(uuid.uuid4())), _ra_body(ROLE_NIC, C_W365), params=V_AUTH)
    assert r.status == 403 and r.code == "AuthorizationFailed"
    assert "Microsoft.Authorization/roleAssignments/write" in r.json["error"]["message"]
    r = api.call(admin, "PUT", _ra_path(rg, "not-a-guid"), _ra_body(ROLE_NIC, C_W365), params=V_AUTH)
    assert r.status == 400 and r.code == "InvalidRoleAssignmentId"
    r = api.call(admin, "PUT", _ra_path(rg, str(uuid.uuid4())),
                 _ra_body("1f135831-5de7-4ab3-a68b-e0926a04114a", C_W365), params=V_AUTH)
    assert r.status == 400 and r.code == "RoleDefinitionDoesNotExist"
    r = api.call(admin, "PUT", _ra_path(rg, str(uuid.uuid4())),
                 _ra_body(ROLE_NIC, "99999999-9999-9999-9999-999999999999"), params=V_AUTH)
    assert r.status == 400 and r.code == "PrincipalNotFound"
    r = api.call(admin, "PUT", _ra_path(rg, str(uuid.uuid4())), _ra_body(ROLE_NIC, C_W365, "User"), params=V_AUTH)
    assert r.status == 400 and r.code == "UnmatchedPrincipalType"
    r = api.call(admin, "PUT", _ra_path(rg_id(C_SUB, "rg-missing"), str(uuid.uuid4())), _ra_body(ROLE_NIC, C_W365),
                 params=V_AUTH)
    assert r.status == 404 and r.code == "ResourceGroupNotFound"


def test_principal_not_found_during_replication(launch, seed):
    seed["principal_replication_seconds"] = 120
    api = launch(seed, time_scale=1.0)
    admin = api.app_token(C_TENANT, C_APP, C_SECRET, ARM)
    fresh = "0f0e0d0c-0b0a-4090-8070-605040302010"
    api.control("POST", "principals", {"tenant": C_TENANT, "object_id": fresh, "type": "ServicePrincipal"})
    rg = rg_id(C_SUB, "rg-cpc-weu")
    r = api.call(admin, "PUT", _ra_path(rg, str(uuid.uuid4())), _ra_body(ROLE_NIC, fresh), params=V_AUTH)
    assert r.status == 400 and r.code == "PrincipalNotFound"
    assert "replication delay" in r.json["error"]["message"]
    api.advance(121)
    r = api.call(admin, "PUT", _ra_path(rg, str(uuid.uuid4())), _ra_body(ROLE_NIC, fresh), params=V_AUTH)
    assert r.status == 201, r


def test_young_windows365_principal_from_the_seed(launch, seed):
    seed["tenants"][0]["windows365_service_principal"]["created_seconds_ago"] = 5
    api = launch(seed)
    admin = api.app_token(C_TENANT, C_APP, C_SECRET, ARM)
    r = api.call(admin, "PUT", _ra_path(rg_id(C_SUB, "rg-cpc-weu"), str(uuid.uuid4())), _ra_body(ROLE_NIC, C_W365),
                 params=V_AUTH)
    assert r.status == 400 and r.code == "PrincipalNotFound"


def test_user_token_rbac_uses_the_users_roles(demo):
    tok = demo.user_token(C_TENANT, C_USER, C_PASSWORD, ARM)
    r = demo.call(tok, "GET", f"/subscriptions/{C_SUB}/providers/Microsoft.Authorization/permissions", params=V_AUTH)
    assert r.json["value"][0]["actions"] == ["*"]
    # fabrikam's admin has no role in contoso: the subscription is another tenant's
    ftok = demo.app_token(F_TENANT, F_APP, F_SECRET, ARM)
    r = demo.call(ftok, "GET", f"/subscriptions/{F_SUB}/resourcegroups", params=V_RG)
    assert r.status == 200 and len(r.json["value"]) == 3


def test_contributor_cannot_grant(launch, seed):
    seed["tenants"][0]["role_assignments"][0]["role"] = "Contributor"
    api = launch(seed)
    tok = api.app_token(C_TENANT, C_APP, C_SECRET, ARM)
    rg = rg_id(C_SUB, "rg-cpc-weu")
    assert api.call(tok, "GET", rg, params=V_RG).status == 200
    r = api.call(tok, "PUT", _ra_path(rg, str(uuid.uuid4())), _ra_body(ROLE_NIC, C_W365), params=V_AUTH)
    assert r.status == 403 and r.code == "AuthorizationFailed"
    r = api.call(tok, "GET", f"{rg}/providers/Microsoft.Authorization/permissions", params=V_AUTH)
    assert "Microsoft.Authorization/*/Write" in r.json["value"][0]["notActions"]
    # user access administrator can grant but not create resource groups
    seed["tenants"][0]["role_assignments"][0]["role"] = "User Access Administrator"
    api2 = launch(seed)
    tok2 = api2.app_token(C_TENANT, C_APP, C_SECRET, ARM)
    r = api2.call(tok2, "PUT", _ra_path(rg, str(uuid.uuid4())), _ra_body(ROLE_NIC, C_W365), params=V_AUTH)
    assert r.status == 201
    r = api2.call(tok2, "PUT", rg_id(C_SUB, "rg-x"), {"location": "westeurope"}, params=V_RG)
    assert r.status == 403


def test_owner_role_guid_in_seed(launch, seed):
    seed["tenants"][0]["role_assignments"][2]["role"] = ROLE_OWNER  # the reader app becomes Owner by GUID
    api = launch(seed)
    tok = api.app_token(C_TENANT, C_READER, C_READER_SECRET, ARM)
    r = api.call(tok, "PUT", _ra_path(rg_id(C_SUB, "rg-cpc-weu"), str(uuid.uuid4())), _ra_body(ROLE_NIC, C_W365),
                 params=V_AUTH)
    assert r.status == 201

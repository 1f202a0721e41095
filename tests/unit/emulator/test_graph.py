"""Graph: network connections (fields, $select, paging, health checks, rules), device images, provisioning
policies, service principals, permissions and Graph-shaped errors."""

from __future__ import annotations

import re
import uuid

import pytest

from .api import ANC_PATH, ARM, GRAPH, IMG_PATH, POL_PATH
from .ids import (C_APP, C_READER, C_READER_SECRET, C_SECRET, C_SUB, C_TENANT, C_W365, F_APP, F_JOIN_PASSWORD,
                  F_JOIN_UPN, F_PASSWORD, F_SECRET, F_SUB, F_TENANT, F_USER, F_W365, ROLE_NET_USER, ROLE_NIC,
                  W365_APP_ID, anc_body, rg_id, role_def, vnet_id)

DEFAULT_FIELDS = {"id", "displayName", "connectionType", "subscriptionId", "subscriptionName", "adDomainName",
                  "adDomainUsername", "organizationalUnit", "resourceGroupId", "virtualNetworkId", "subnetId",
                  "healthCheckStatus", "virtualNetworkLocation"}
DONE = 30 + 150 + 1  # default pending + running seconds, plus one


class Tenant:
    """Graph and ARM calls as one tenant's principal."""

    def __init__(self, api, tenant, client_id=None, secret=None, upn=None, password=None):
        self.api = api
        if upn:
            self.graph_token = api.user_token(tenant, upn, password, GRAPH)
            self.arm_token = api.user_token(tenant, upn, password, ARM)
        else:
            self.graph_token = api.app_token(tenant, client_id, secret, GRAPH)
            self.arm_token = api.app_token(tenant, client_id, secret, ARM)

    def g(self, method, path, body=None, params=None, headers=None):
        return self.api.call(self.graph_token, method, path, body, params=params, headers=headers)

    def grant(self, role, principal, scope):
        r = self.api.call(self.arm_token, "PUT",
                          f"{scope}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}",
                          {"properties": {"roleDefinitionId": role_def(scope.split('/')[2], role),
                                          "principalId": principal, "principalType": "ServicePrincipal"}},
                          params={"api-version": "2022-04-01"})
        assert r.status == 201, r

    def assignments(self, principal, scope):
        r = self.api.call(self.arm_token, "GET", f"{scope}/providers/Microsoft.Authorization/roleAssignments",
                          params={"api-version": "2022-04-01", "$filter": f"assignedTo('{principal}')"})
        return {(a["properties"]["scope"].lower(), a["properties"]["roleDefinitionId"].rsplit("/", 1)[-1])
                for a in r.json["value"]}

    def create_anc(self, body, version="v1.0"):
        r = self.g("POST", ANC_PATH.replace("v1.0", version), body)
        assert r.status == 201, r
        return r.json

    def anc(self, anc_id, select="id,healthCheckStatus,healthCheckStatusDetail,inUse"):
        r = self.g("GET", f"{ANC_PATH}/{anc_id}", params={"$select": select} if select else None)
        assert r.status == 200, r
        return r.json


def _errors(anc):
    return sorted(c["errorType"] for c in anc["healthCheckStatusDetail"]["healthChecks"] if c["errorType"])


@pytest.fixture
def contoso(launch):
    return Tenant(launch(), C_TENANT, C_APP, C_SECRET)


def test_anc_lifecycle_with_health_checks(contoso):
    api = contoso.api
    created = contoso.create_anc(anc_body("anc-weu", C_SUB, "rg-cpc-weu", "vnet-cpc-weu"))
    assert created["healthCheckStatus"] == "pending"
    assert set(k for k in created if not k.startswith("@")) == DEFAULT_FIELDS
    assert created["subscriptionName"] == "Contoso Production" and created["virtualNetworkLocation"] == "westeurope"
    anc_id = created["id"]
    got = contoso.g("GET", f"{ANC_PATH}/{anc_id}").json
    assert set(k for k in got if not k.startswith("@")) == DEFAULT_FIELDS  # inUse and detail only on $select
    sel = contoso.anc(anc_id)
    assert set(k for k in sel if not k.startswith("@")) == {"id", "healthCheckStatus", "healthCheckStatusDetail",
                                                            "inUse"}
    assert sel["inUse"] is False and sel["healthCheckStatusDetail"] is None
    api.advance(31)
    sel = contoso.anc(anc_id)
    assert sel["healthCheckStatus"] == "running" and sel["healthCheckStatusDetail"]["healthChecks"] == []
    r = contoso.g("PATCH", f"{ANC_PATH}/{anc_id}", {"displayName": "renamed"})
    assert r.status == 409 and r.code == "Conflict"  # no edits while checks run
    api.advance(150)
    sel = contoso.anc(anc_id)
    assert sel["healthCheckStatus"] == "failed"
    # Reader on the subscription is seeded; the two network roles are missing
    assert _errors(sel) == ["permissionCheckNoWindows365NetworkInterfaceContributorRole",
                            "permissionCheckNoWindows365NetworkUserRole"]
    for check in sel["healthCheckStatusDetail"]["healthChecks"]:
        assert check["status"] in ("passed", "failed")
        assert (check["recommendedAction"] is None) == (check["status"] == "passed")
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", check["startDateTime"])
    contoso.grant(ROLE_NIC, C_W365, rg_id(C_SUB, "rg-cpc-weu"))
    contoso.grant(ROLE_NET_USER, C_W365, vnet_id(C_SUB, "rg-cpc-weu", "vnet-cpc-weu"))
    assert contoso.anc(anc_id)["healthCheckStatus"] == "failed"  # results stay until the checks run again
    r = contoso.g("POST", f"{ANC_PATH}/{anc_id}/runHealthChecks")
    assert r.status == 204
    assert contoso.anc(anc_id)["healthCheckStatus"] == "running"
    r = contoso.g("POST", f"{ANC_PATH}/{anc_id}/microsoft.graph.runHealthChecks")
    assert r.status == 409
    api.advance(151)
    sel = contoso.anc(anc_id)
    assert sel["healthCheckStatus"] == "passed" and _errors(sel) == []
    # PATCH: 200 with the object, checks restart (running), join type is fixed
    r = contoso.g("PATCH", f"{ANC_PATH}/{anc_id}", {"displayName": "anc-weu-2"})
    assert r.status == 200 and r.json["displayName"] == "anc-weu-2" and r.json["healthCheckStatus"] == "running"
    api.advance(151)
    r = contoso.g("PATCH", f"{ANC_PATH}/{anc_id}", {"connectionType": "hybridAzureADJoin"})
    assert r.status == 400 and "connectionType" in r.json["error"]["message"]
    # delete removes the service's role assignments on the RG and the vnet, not the subscription Reader
    r = contoso.g("DELETE", f"{ANC_PATH}/{anc_id}")
    assert r.status == 204
    assert contoso.assignments(C_W365, f"/subscriptions/{C_SUB}") == {
        (f"/subscriptions/{C_SUB}".lower(), "acdd72a7-3385-48ef-bd42-f606fba81ae7")}
    assert contoso.g("GET", f"{ANC_PATH}/{anc_id}").status == 404


def test_delete_removes_the_service_grants_even_when_another_connection_shares_them(contoso):
    # Graph "Delete cloudPcOnPremisesConnection": permissions to the service are removed from the specified Azure
    # resources. The page names no exception for a resource group or vnet another connection still uses.
    first = contoso.create_anc(anc_body("anc-weu-a", C_SUB, "rg-cpc-weu", "vnet-cpc-weu"))["id"]
    contoso.create_anc(anc_body("anc-weu-b", C_SUB, "rg-cpc-weu", "vnet-cpc-weu"))
    rg, vnet = rg_id(C_SUB, "rg-cpc-weu"), vnet_id(C_SUB, "rg-cpc-weu", "vnet-cpc-weu")
    contoso.grant(ROLE_NIC, C_W365, rg)
    contoso.grant(ROLE_NET_USER, C_W365, vnet)
    contoso.api.advance(DONE)
    assert contoso.g("DELETE", f"{ANC_PATH}/{first}").status == 204
    assert contoso.assignments(C_W365, f"/subscriptions/{C_SUB}") == {
        (f"/subscriptions/{C_SUB}".lower(), "acdd72a7-3385-48ef-bd42-f606fba81ae7")}


def test_graph_post_does_not_assign_roles(contoso):
    before = contoso.assignments(C_W365, f"/subscriptions/{C_SUB}")
    contoso.create_anc(anc_body("anc-neu", C_SUB, "rg-cpc-neu", "vnet-cpc-neu"))
    contoso.api.advance(DONE)
    assert contoso.assignments(C_W365, f"/subscriptions/{C_SUB}") == before


def test_anc_in_use_cannot_be_deleted(contoso):
    anc_id = contoso.create_anc(anc_body("anc-weu", C_SUB, "rg-cpc-weu", "vnet-cpc-weu"))["id"]
    contoso.grant(ROLE_NIC, C_W365, rg_id(C_SUB, "rg-cpc-weu"))
    contoso.grant(ROLE_NET_USER, C_W365, vnet_id(C_SUB, "rg-cpc-weu", "vnet-cpc-weu"))
    r = contoso.g("DELETE", f"{ANC_PATH}/{anc_id}")
    assert r.status == 409  # checks still pending
    contoso.api.advance(DONE)
    pol = contoso.g("POST", POL_PATH, {"displayName": "pol-weu", "imageType": "gallery",
                                       "imageId": "microsoftwindowsdesktop_windows-ent-cpc_win11-23h2-ent-cpc-m365",
                                       "domainJoinConfigurations": [{"domainJoinType": "azureADJoin",
                                                                     "onPremisesConnectionId": anc_id}]})
    assert pol.status == 201, pol
    assert contoso.anc(anc_id)["inUse"] is True
    r = contoso.g("DELETE", f"{ANC_PATH}/{anc_id}")
    assert r.status == 409 and r.code == "Conflict" and "in use" in r.json["error"]["message"]
    assert contoso.g("DELETE", f"{POL_PATH}/{pol.json['id']}").status == 204
    assert contoso.anc(anc_id)["inUse"] is False
    assert contoso.g("DELETE", f"{ANC_PATH}/{anc_id}").status == 204
    assert contoso.assignments(C_W365, rg_id(C_SUB, "rg-cpc-weu")) == {
        (f"/subscriptions/{C_SUB}".lower(), "acdd72a7-3385-48ef-bd42-f606fba81ae7")}


def test_anc_in_its_first_health_check_cannot_join_a_policy(launch):
    """Microsoft: during an ANC's first health check it can't be assigned to a provisioning policy."""
    contoso = Tenant(launch(time_scale=0), C_TENANT, C_APP, C_SECRET)  # frozen: only advance() moves the checks
    anc_id = contoso.create_anc(anc_body("anc-weu", C_SUB, "rg-cpc-weu", "vnet-cpc-weu"))["id"]
    contoso.grant(ROLE_NIC, C_W365, rg_id(C_SUB, "rg-cpc-weu"))
    contoso.grant(ROLE_NET_USER, C_W365, vnet_id(C_SUB, "rg-cpc-weu", "vnet-cpc-weu"))
    gallery = "microsoftwindowsdesktop_windows-ent-cpc_win11-23h2-ent-cpc-m365"
    body = {"displayName": "pol-weu", "imageType": "gallery", "imageId": gallery,
            "domainJoinConfigurations": [{"domainJoinType": "azureADJoin", "onPremisesConnectionId": anc_id}]}
    legacy = {"displayName": "pol-legacy", "imageType": "gallery", "imageId": gallery, "onPremisesConnectionId": anc_id}
    for phase, advance in (("pending", 0), ("running", 31)):
        contoso.api.advance(advance)
        assert contoso.anc(anc_id)["healthCheckStatus"] == phase
        for attempt in (body, legacy):
            r = contoso.g("POST", POL_PATH, attempt)
            assert r.status == 400 and r.code == "BadRequest", r
            assert "first health check" in r.json["error"]["message"] and "anc-weu" in r.json["error"]["message"]
            assert r.json["error"]["innerError"]["request-id"]
    assert contoso.g("GET", POL_PATH).json["value"] == []  # nothing was created
    contoso.api.advance(150)
    assert contoso.anc(anc_id)["healthCheckStatus"] == "passed"
    first = contoso.g("POST", POL_PATH, body)
    assert first.status == 201, first
    # later runs (a re-check, or the restart after a PATCH) do not take the connection away from policies
    assert contoso.g("POST", f"{ANC_PATH}/{anc_id}/runHealthChecks").status == 204
    assert contoso.anc(anc_id)["healthCheckStatus"] == "running"
    second = contoso.g("POST", POL_PATH, legacy)
    assert second.status == 201, second
    r = contoso.g("PATCH", f"{POL_PATH}/{first.json['id']}", {"description": "still fine while re-checking"})
    assert r.status == 204, r


def test_list_select_filter_paging_count(contoso):
    for i in range(5):
        contoso.create_anc(anc_body(f"anc-{i}", C_SUB, "rg-cpc-weu", "vnet-cpc-weu"))
    contoso.create_anc(anc_body("it's odd", C_SUB, "rg-cpc-weu", "vnet-cpc-weu"))
    r = contoso.g("GET", ANC_PATH, params={"$top": "2", "$select": "id,displayName"})
    page = r.json
    seen = [a["displayName"] for a in page["value"]]
    assert len(seen) == 2 and set(page["value"][0]) == {"@odata.type", "id", "displayName"}
    while "@odata.nextLink" in page:
        link = page["@odata.nextLink"]
        assert link.startswith(contoso.api.url)
        page = contoso.g("GET", link[len(contoso.api.url):]).json
        seen += [a["displayName"] for a in page["value"]]
    assert seen == [f"anc-{i}" for i in range(5)] + ["it's odd"]
    r = contoso.g("GET", ANC_PATH, params={"$filter": "displayName eq 'it''s odd'"})
    assert [a["displayName"] for a in r.json["value"]] == ["it's odd"]
    r = contoso.g("GET", ANC_PATH, params={"$filter": "displayName eq 'ANC-3'", "$count": "true"})
    assert r.json["@odata.count"] == 1
    r = contoso.g("GET", ANC_PATH, params={"$select": "id,colour"})
    assert r.status == 400 and r.code == "BadRequest" and "colour" in r.json["error"]["message"]
    r = contoso.g("GET", ANC_PATH, params={"$filter": "displayName has 'x'"})
    assert r.status == 400
    r = contoso.g("GET", ANC_PATH)
    assert all(set(a) - {"@odata.type"} == DEFAULT_FIELDS for a in r.json["value"])


def test_anc_limit(launch, seed):
    seed["tenants"][0]["anc_limit"] = 2
    c = Tenant(launch(seed), C_TENANT, C_APP, C_SECRET)
    c.create_anc(anc_body("a", C_SUB, "rg-cpc-weu", "vnet-cpc-weu"))
    c.create_anc(anc_body("b", C_SUB, "rg-cpc-weu", "vnet-cpc-weu"))
    r = c.g("POST", ANC_PATH, anc_body("c", C_SUB, "rg-cpc-weu", "vnet-cpc-weu"))
    assert r.status == 400 and "maximum of 2" in r.json["error"]["message"]


def test_anc_create_validation(contoso):
    r = contoso.g("POST", ANC_PATH, {**anc_body("x", C_SUB, "rg-cpc-weu", "vnet-cpc-weu"), "type": "azureADJoin"})
    assert r.status == 400 and "'type' does not exist" in r.json["error"]["message"]  # v1.0 has no `type`
    r = contoso.g("POST", ANC_PATH, {**anc_body("x", C_SUB, "rg-cpc-weu", "vnet-cpc-weu"),
                                     "connectionType": "hybridAzureADJoin"})
    assert r.status == 400 and "adDomainName" in r.json["error"]["message"]
    body = anc_body("x", C_SUB, "rg-cpc-weu", "vnet-cpc-weu")
    body["virtualNetworkId"] = vnet_id(C_SUB, "rg-cpc-neu", "vnet-cpc-neu")
    r = contoso.g("POST", ANC_PATH, body)
    assert r.status == 400 and "same subscription" in r.json["error"]["message"]
    r = contoso.g("POST", ANC_PATH.replace("v1.0", "beta"),
                  {**anc_body("beta", C_SUB, "rg-cpc-weu", "vnet-cpc-weu"), "managedBy": "windows365"})
    assert r.status == 201 and r.json["managedBy"] == "windows365"


def test_missing_resources_fail_the_checks(contoso):
    a = contoso.create_anc(anc_body("ghost", C_SUB, "rg-cpc-weu", "vnet-ghost"))
    assert a["virtualNetworkLocation"] is None
    contoso.api.advance(DONE)
    assert "resourceAvailabilityCheckVNetInvalid" in _errors(contoso.anc(a["id"]))


def _fabrikam_with_roles(launch, seed, time_scale=1.0, **changes):
    seed["tenants"][1]["role_assignments"].append(
        {"principal_id": F_W365, "role": "Owner", "scope": f"/subscriptions/{F_SUB}"})
    seed.update(changes)
    api = launch(seed, time_scale=time_scale)
    return Tenant(api, F_TENANT, upn=F_USER, password=F_PASSWORD)


def _hybrid(name, rg, vnet, subnet="cloudpcs", **extra):
    fields = {"connectionType": "hybridAzureADJoin", "adDomainName": "corp.fabrikam.com",
              "adDomainUsername": F_JOIN_UPN, "adDomainPassword": F_JOIN_PASSWORD, **extra}
    return anc_body(name, F_SUB, rg, vnet, subnet, **fields)


def test_subnet_space_delegation_and_region(launch, seed):
    fab = _fabrikam_with_roles(launch, seed, supported_regions=["eastus", "westeurope"])
    eus = fab.create_anc(_hybrid("eus", "rg-cpc-eus", "vnet-cpc-eus"))["id"]
    wus2 = fab.create_anc(_hybrid("wus2", "rg-cpc-wus2", "vnet-cpc-wus2"))["id"]
    aci = fab.create_anc(_hybrid("aci", "rg-cpc-eus", "vnet-cpc-eus", "aci"))["id"]
    fab.api.advance(DONE)
    assert fab.anc(eus)["healthCheckStatus"] == "passed"
    w = fab.anc(wus2)
    assert w["healthCheckStatus"] == "failed"
    assert _errors(w) == ["resourceAvailabilityCheckNoSubnetIP", "resourceAvailabilityCheckUnsupportedVNetRegion"]
    assert _errors(fab.anc(aci)) == ["resourceAvailabilityCheckSubnetDelegationFailed"]


def test_subnet_more_than_half_used_is_a_warning(launch, seed):
    fab = _fabrikam_with_roles(launch, seed)
    wus2 = fab.create_anc(_hybrid("wus2", "rg-cpc-wus2", "vnet-cpc-wus2"))["id"]
    fab.api.advance(DONE)
    a = fab.anc(wus2)
    assert a["healthCheckStatus"] == "warning"
    check = next(c for c in a["healthCheckStatusDetail"]["healthChecks"] if c["errorType"])
    assert (check["status"], check["errorType"]) == ("warning", "resourceAvailabilityCheckNoSubnetIP")
    assert "half" in check["recommendedAction"]


def test_hybrid_join_checks_and_password_update(launch, seed):
    seed["tenants"][1]["ad_domains"][0]["resolvable_from"].pop()  # West US 2 can no longer resolve the domain
    # Frozen simulated time: the checks move only when the test advances them, however slow the machine is.
    fab = _fabrikam_with_roles(launch, seed, time_scale=0)
    bad_pw = fab.create_anc(_hybrid("badpw", "rg-cpc-eus", "vnet-cpc-eus", adDomainPassword="wrong"))["id"]
    bad_ou = fab.create_anc(_hybrid("badou", "rg-cpc-eus", "vnet-cpc-eus",
                                    organizationalUnit="OU=Nowhere,DC=corp,DC=fabrikam,DC=com"))["id"]
    good_ou = fab.create_anc(_hybrid("goodou", "rg-cpc-eus", "vnet-cpc-eus",
                                     organizationalUnit="OU=CloudPCs,DC=corp,DC=fabrikam,DC=com"))["id"]
    no_dns = fab.create_anc(anc_body("nodns", F_SUB, "rg-cpc-eus", "vnet-cpc-eus", connectionType="hybridAzureADJoin",
                                     adDomainName="corp.contoso.com", adDomainUsername="x@corp.contoso.com",
                                     adDomainPassword="x"))["id"]
    unresolvable = fab.create_anc(_hybrid("wus2", "rg-cpc-wus2", "vnet-cpc-wus2"))["id"]
    everyone = (bad_pw, bad_ou, good_ou, no_dns, unresolvable)
    assert {fab.anc(a)["healthCheckStatus"] for a in everyone} == {"pending"}
    fab.api.advance(30)
    assert {fab.anc(a)["healthCheckStatus"] for a in everyone} == {"running"}
    fab.api.advance(150)
    assert _errors(fab.anc(bad_pw)) == ["adJoinCheckIncorrectCredentials"]
    assert _errors(fab.anc(bad_ou)) == ["adJoinCheckOrganizationalUnitNotFound"]
    assert fab.anc(good_ou)["healthCheckStatus"] == "passed"
    assert "dnsCheckFqdnNotFound" in _errors(fab.anc(no_dns))
    assert "dnsCheckFqdnNotFound" in _errors(fab.anc(unresolvable))
    # the password is write-only
    full = fab.g("GET", f"{ANC_PATH}/{bad_pw}", params={"$select": "adDomainPassword,adDomainUsername"}).json
    assert full["adDomainPassword"] is None and full["adDomainUsername"] == F_JOIN_UPN
    r = fab.g("POST", f"{ANC_PATH}/{bad_pw}/updateAdDomainPassword", {"adDomainPassword": F_JOIN_PASSWORD})
    assert r.status == 204
    assert fab.anc(bad_pw)["healthCheckStatus"] == "running"  # a re-run skips pending
    fab.api.advance(149)
    assert fab.anc(bad_pw)["healthCheckStatus"] == "running"
    fab.api.advance(1)
    assert fab.anc(bad_pw)["healthCheckStatus"] == "passed"
    r = fab.g("POST", f"{ANC_PATH}/{bad_pw}/updateAdDomainPassword", {})
    assert r.status == 400
    log = fab.api.log()
    assert F_JOIN_PASSWORD not in str(log) and "wrong" not in str([e["body"] for e in log])


def test_app_only_anc_writes_forbidden_per_tenant(launch):
    api = launch()
    app = Tenant(api, F_TENANT, F_APP, F_SECRET)
    r = app.g("POST", ANC_PATH, _hybrid("eus", "rg-cpc-eus", "vnet-cpc-eus"))
    assert r.status == 403 and r.code == "Forbidden" and "delegated" in r.json["error"]["message"]
    assert app.g("GET", ANC_PATH).status == 200  # reads work app-only
    user = Tenant(api, F_TENANT, upn=F_USER, password=F_PASSWORD)
    anc_id = user.create_anc(_hybrid("eus", "rg-cpc-eus", "vnet-cpc-eus"))["id"]
    api.advance(DONE)
    # updateAdDomainPassword is documented for application permissions too
    r = app.g("POST", f"{ANC_PATH}/{anc_id}/updateAdDomainPassword", {"adDomainPassword": F_JOIN_PASSWORD})
    assert r.status == 204
    assert app.g("DELETE", f"{ANC_PATH}/{anc_id}").status == 403
    assert app.g("POST", f"{ANC_PATH}/{anc_id}/runHealthChecks").status == 403


def test_graph_permissions(launch, seed):
    seed["tenants"][0]["apps"].append({"client_id": "c0ffee00-0000-4000-8000-000000000001",
                                       "object_id": "c0ffee00-0000-4000-8000-000000000002",
                                       "secret": "nothing-granted", "graph_permissions": []})
    api = launch(seed)
    reader = Tenant(api, C_TENANT, C_READER, C_READER_SECRET)
    assert reader.g("GET", ANC_PATH).status == 200
    r = reader.g("POST", ANC_PATH, anc_body("x", C_SUB, "rg-cpc-weu", "vnet-cpc-weu"))
    assert r.status == 403 and "CloudPC.ReadWrite.All" in r.json["error"]["message"]
    nobody = Tenant(api, C_TENANT, "c0ffee00-0000-4000-8000-000000000001", "nothing-granted")
    assert nobody.g("GET", ANC_PATH).status == 403
    r = nobody.g("GET", f"/v1.0/servicePrincipals(appId='{W365_APP_ID}')")
    assert r.status == 403 and r.code == "Authorization_RequestDenied"


def test_graph_error_shape_and_headers(contoso):
    r = contoso.g("GET", f"{ANC_PATH}/{uuid.uuid4()}", headers={"client-request-id": "my-correlation-1"})
    assert r.status == 404
    err = r.json["error"]
    assert set(err) == {"code", "message", "innerError"}
    inner = err["innerError"]
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", inner["date"])
    assert inner["request-id"] == r.headers["request-id"]
    assert inner["client-request-id"] == r.headers["client-request-id"] == "my-correlation-1"
    arm_token = contoso.arm_token
    r = contoso.api.call(arm_token, "GET", ANC_PATH)
    assert r.status == 401 and r.code == "InvalidAuthenticationToken"
    r = contoso.api.request("GET", ANC_PATH)
    assert r.status == 401 and r.json["error"]["message"] == "Access token is empty."
    other = Tenant(contoso.api, F_TENANT, F_APP, F_SECRET)
    assert other.g("GET", ANC_PATH).json["value"] == []  # Graph is scoped to the token's tenant


def test_service_principal_lookup(launch, seed):
    seed["tenants"][1]["windows365_service_principal"] = None
    api = launch(seed)
    c = Tenant(api, C_TENANT, C_APP, C_SECRET)
    r = c.g("GET", f"/v1.0/servicePrincipals(appId='{W365_APP_ID}')")
    assert r.status == 200 and r.json["id"] == C_W365 and r.json["appId"] == W365_APP_ID
    r = c.g("GET", "/v1.0/servicePrincipals", params={"$filter": f"appId eq '{W365_APP_ID}'",
                                                      "$select": "id,appId"})
    assert [(s["id"], s["appId"]) for s in r.json["value"]] == [(C_W365, W365_APP_ID)]
    f = Tenant(api, F_TENANT, F_APP, F_SECRET)
    r = f.g("GET", f"/v1.0/servicePrincipals(appId='{W365_APP_ID}')")
    assert r.status == 404 and r.code == "Request_ResourceNotFound"
    assert f.g("GET", "/v1.0/servicePrincipals", params={"$filter": f"appId eq '{W365_APP_ID}'"}).json["value"] == []


def test_device_images(launch, seed):
    rg = seed["tenants"][0]["subscriptions"][0]["resource_groups"][2]
    rg["images"] += [{"name": "win11-gen1", "os": "Windows 11 Enterprise", "generation": 1},
                     {"name": "win11-huge", "os": "Windows 11 Enterprise", "size_gb": 512},
                     {"name": "win11-ltsc", "os": "Windows 10 Enterprise LTSC"}]
    c = Tenant(launch(seed), C_TENANT, C_APP, C_SECRET)
    src = f"{rg_id(C_SUB, 'rg-images')}/providers/Microsoft.Compute/images"
    r = c.g("GET", f"{IMG_PATH}/getSourceImages()")
    assert {s["displayName"] for s in r.json["value"]} == {
        "win11-23h2-golden", "win11-23h2-not-generalized", "win11-gen1", "win11-huge", "win11-ltsc"}
    assert c.g("GET", f"{IMG_PATH}/microsoft.graph.getSourceImages()").status == 200
    ids = {}
    for name in ("win11-23h2-golden", "win11-23h2-not-generalized", "missing", "win11-gen1", "win11-huge",
                 "win11-ltsc"):
        r = c.g("POST", IMG_PATH, {"displayName": name, "version": "1.0.0", "sourceImageResourceId": f"{src}/{name}"})
        assert r.status == 201 and r.json["status"] == "pending", r
        ids[name] = r.json["id"]
    r = c.g("POST", IMG_PATH, {"displayName": "win11-23h2-golden", "version": "1.0.0",
                               "sourceImageResourceId": f"{src}/win11-23h2-golden"})
    assert r.status == 409
    r = c.g("POST", IMG_PATH, {"displayName": "v", "version": "one", "sourceImageResourceId": f"{src}/x"})
    assert r.status == 400 and "version" in r.json["error"]["message"]
    r = c.g("POST", IMG_PATH, {"displayName": "v", "version": "1.0.0",
                               "sourceImageResourceId": f"{rg_id(C_SUB, 'rg-images')}/providers/Microsoft.Compute/"
                                                        "galleries/g/images/i/versions/1.0.0"})
    assert r.status == 400 and "managed image" in r.json["error"]["message"]
    c.api.advance(121)

    def image(name, prefer=None):
        return c.g("GET", f"{IMG_PATH}/{ids[name]}",
                   headers={"Prefer": prefer} if prefer else None).json

    good = image("win11-23h2-golden")
    assert (good["status"], good["errorCode"], good["operatingSystem"]) == ("ready", None, "Windows 11 Enterprise")
    assert good["expirationDate"] and good["osStatus"] == "supported"
    assert (image("win11-23h2-not-generalized")["status"], image("win11-23h2-not-generalized")["errorCode"]) == (
        "failed", "sourceImageNotGeneralized")
    assert image("missing")["errorCode"] == "sourceImageNotFound"
    assert image("win11-gen1")["errorCode"] == "sourceImageInvalid"
    assert image("win11-ltsc")["errorCode"] == "osVersionNotSupported"
    assert image("win11-huge")["errorCode"] == "unknownFutureValue"  # an evolvable enum member
    assert image("win11-huge", "include-unknown-enum-members")["errorCode"] == "sourceImageSizeExceedsLimitation"
    # an image used by a policy can't be deleted
    pol = c.g("POST", POL_PATH, {"displayName": "p", "imageType": "custom", "imageId": ids["win11-23h2-golden"],
                                 "domainJoinConfigurations": [{"domainJoinType": "azureADJoin",
                                                               "regionName": "automatic"}]})
    assert pol.status == 201 and pol.json["imageDisplayName"] == "win11-23h2-golden"
    r = c.g("DELETE", f"{IMG_PATH}/{ids['win11-23h2-golden']}")
    assert r.status == 409
    r = c.g("POST", POL_PATH, {"displayName": "p2", "imageType": "custom", "imageId": ids["missing"]})
    assert r.status == 400  # a failed image can't be used
    assert c.g("DELETE", f"{POL_PATH}/{pol.json['id']}").status == 204
    assert c.g("DELETE", f"{IMG_PATH}/{ids['win11-23h2-golden']}").status == 204
    listing = c.g("GET", IMG_PATH, params={"$filter": "status eq 'failed'", "$select": "id,errorCode"}).json["value"]
    assert len(listing) == 5


def test_seeded_objects_and_policy_references(launch, seed):
    t = seed["tenants"][0]
    src = f"{rg_id(C_SUB, 'rg-images')}/providers/Microsoft.Compute/images/win11-23h2-golden"
    t["network_connections"] = [{"display_name": "anc-weu-seeded",
                                 "subnet_id": anc_body("", C_SUB, "rg-cpc-weu", "vnet-cpc-weu")["subnetId"]}]
    t["device_images"] = [{"display_name": "golden", "version": "1.0.0", "source_image_resource_id": src}]
    t["provisioning_policies"] = [{"display_name": "pol", "image_type": "custom", "image": "golden",
                                   "domain_join_configurations": [{"on_premises_connection": "anc-weu-seeded"}]}]
    c = Tenant(launch(seed), C_TENANT, C_APP, C_SECRET)
    anc = c.g("GET", ANC_PATH, params={"$select": "id,displayName,healthCheckStatus,inUse"}).json["value"][0]
    assert anc["displayName"] == "anc-weu-seeded" and anc["inUse"] is True
    assert anc["healthCheckStatus"] == "failed"  # computed from the seed: network roles are missing
    img = c.g("GET", IMG_PATH).json["value"][0]
    assert img["status"] == "ready"
    assert c.g("DELETE", f"{IMG_PATH}/{img['id']}").status == 409


def test_image_upload_needs_windows365_reader_on_the_source(launch):
    api = launch()
    fab = Tenant(api, F_TENANT, F_APP, F_SECRET)  # Fabrikam's Windows 365 principal has no roles yet
    src = f"{rg_id(F_SUB, 'rg-images')}/providers/Microsoft.Compute/images/win10-22h2-golden"
    first = fab.g("POST", IMG_PATH, {"displayName": "w10", "version": "1.0.0", "sourceImageResourceId": src}).json
    api.advance(121)
    assert fab.g("GET", f"{IMG_PATH}/{first['id']}").json["errorCode"] == "sourceImageNotFound"
    fab.grant("acdd72a7-3385-48ef-bd42-f606fba81ae7", F_W365, f"/subscriptions/{F_SUB}")
    second = fab.g("POST", IMG_PATH, {"displayName": "w10", "version": "1.0.1", "sourceImageResourceId": src}).json
    api.advance(121)
    got = fab.g("GET", f"{IMG_PATH}/{second['id']}").json
    assert (got["status"], got["operatingSystem"], got["osBuildNumber"]) == ("ready", "Windows 10 Enterprise", "22H2")


def test_count_and_gallery_images(contoso):
    for i in range(3):
        contoso.create_anc(anc_body(f"count-{i}", C_SUB, "rg-cpc-weu", "vnet-cpc-weu"))
    r = contoso.g("GET", f"{ANC_PATH}/$count")
    assert r.status == 200 and r.raw == b"3" and r.headers["content-type"].startswith("text/plain")
    r = contoso.g("GET", f"{ANC_PATH}/$count", params={"$filter": "displayName eq 'count-1'"})
    assert r.raw == b"1"
    assert contoso.api.log()[-1]["path"].endswith("/onPremisesConnections/$count")
    gallery = "/v1.0/deviceManagement/virtualEndpoint/galleryImages"
    listing = contoso.g("GET", gallery, params={"$filter": "status eq 'supported'", "$select": "id,status"}).json
    assert listing["value"] and all(i["status"] == "supported" for i in listing["value"])
    one = contoso.g("GET", f"{gallery}/{listing['value'][0]['id']}").json
    assert one["publisherName"] == "microsoftwindowsdesktop"
    assert contoso.g("GET", f"{gallery}/nope").status == 404

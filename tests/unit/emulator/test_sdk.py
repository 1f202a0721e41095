"""The real Azure SDK clients round-trip over TLS; keep-alive; 50 concurrent clients."""

from __future__ import annotations

import http.client
import threading
import uuid

from .api import ANC_PATH, ARM, GRAPH
from .ids import (C_APP, C_SECRET, C_SUB, C_TENANT, C_W365, F_APP, F_SECRET, F_SUB, F_TENANT, ROLE_NIC, anc_body,
                  rg_id)


def _cred(api, tenant=C_TENANT, client_id=C_APP, secret=C_SECRET):
    from azure.identity import ClientSecretCredential

    return ClientSecretCredential(tenant, client_id, secret, authority=api.url, disable_instance_discovery=True,
                                  connection_verify=api.ca)


def _arm_kwargs(api):
    return {"base_url": api.url, "credential_scopes": [ARM], "connection_verify": api.ca}


def test_management_clients_round_trip(launch):
    from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
    from azure.mgmt.authorization import AuthorizationManagementClient
    from azure.mgmt.authorization.models import RoleAssignmentCreateParameters
    from azure.mgmt.network import NetworkManagementClient
    from azure.mgmt.resource.resources import ResourceManagementClient

    api = launch()
    cred = _cred(api)
    net = NetworkManagementClient(cred, C_SUB, **_arm_kwargs(api))
    vnet = net.virtual_networks.get("rg-cpc-neu", "vnet-cpc-neu")
    assert vnet.location == "northeurope" and vnet.address_space.address_prefixes == ["10.20.0.0/16"]
    assert [s.name for s in net.subnets.list("rg-cpc-neu", "vnet-cpc-neu")] == ["cloudpcs"]
    usage = list(net.virtual_networks.list_usage("rg-cpc-neu", "vnet-cpc-neu"))
    assert (usage[0].current_value, usage[0].limit) == (30.0, 251.0)
    try:
        net.virtual_networks.get("rg-cpc-neu", "missing")
    except ResourceNotFoundError as err:
        assert err.error.code == "ResourceNotFound"
    else:
        raise AssertionError("expected a 404")

    res = ResourceManagementClient(cred, C_SUB, **_arm_kwargs(api))
    assert res.resource_groups.check_existence("rg-cpc-weu") is True
    assert res.resource_groups.check_existence("rg-nope") is False
    group = res.resource_groups.create_or_update("rg-sdk", {"location": "westeurope", "tags": {"a": "b"}})
    assert group.id == rg_id(C_SUB, "rg-sdk") and group.tags == {"a": "b"}
    assert "rg-sdk" in [g.name for g in res.resource_groups.list()]

    auth = AuthorizationManagementClient(cred, C_SUB, **_arm_kwargs(api))
    scope = rg_id(C_SUB, "rg-cpc-weu")
    role = list(auth.role_definitions.list(scope, filter="roleName eq 'Windows 365 Network Interface Contributor'"))
    assert [r.name for r in role] == [ROLE_NIC]
    params = RoleAssignmentCreateParameters(role_definition_id=role[0].id, principal_id=C_W365,
                                            principal_type="ServicePrincipal")
    name = str(uuid.uuid4())
    created = auth.role_assignments.create(scope, name, params)
    assert created.scope == scope and created.principal_id == C_W365
    found = list(auth.role_assignments.list_for_scope(scope, filter=f"atScope() and assignedTo('{C_W365}')"))
    assert {a.scope for a in found} == {scope, f"/subscriptions/{C_SUB}"}
    try:
        auth.role_assignments.create(scope, str(uuid.uuid4()), params)
    except ResourceExistsError as err:
        assert err.status_code == 409 and err.error.code == "RoleAssignmentExists"
    else:
        raise AssertionError("expected a 409")
    assert auth.role_assignments.delete(scope, name).name == name
    assert auth.role_assignments.delete(scope, name) is None  # 204
    # another tenant's subscription: the SDK surfaces ARM's 401
    other = AuthorizationManagementClient(cred, F_SUB, **_arm_kwargs(api))
    try:
        list(other.role_assignments.list_for_scope(f"/subscriptions/{F_SUB}"))
    except HttpResponseError as err:
        assert err.status_code == 401 and err.error.code == "InvalidAuthenticationTokenTenant"
    else:
        raise AssertionError("expected a 401")


def test_graph_pipeline_client_round_trip(launch):
    from azure.core import PipelineClient
    from azure.core.pipeline.policies import BearerTokenCredentialPolicy, RetryPolicy
    from azure.core.rest import HttpRequest

    api = launch()
    client = PipelineClient(base_url=api.url, policies=[RetryPolicy(retry_backoff_factor=0.01),
                                                        BearerTokenCredentialPolicy(_cred(api), GRAPH)],
                            connection_verify=api.ca)
    for i in range(3):
        r = client.send_request(HttpRequest("POST", client.format_url(ANC_PATH),
                                            json=anc_body(f"anc-{i}", C_SUB, "rg-cpc-weu", "vnet-cpc-weu")))
        assert r.status_code == 201, r.text()
    # paging with @odata.nextLink, throttling retried by the pipeline with Retry-After
    api.control("POST", "faults", {"method": "GET", "path": "onPremisesConnections$", "status": 429,
                                   "retry_after": 0, "count": 1})
    url = client.format_url(ANC_PATH) + "?$top=2"
    names = []
    while url:
        r = client.send_request(HttpRequest("GET", url))
        assert r.status_code == 200, r.text()
        names += [a["displayName"] for a in r.json()["value"]]
        url = r.json().get("@odata.nextLink")
    assert names == ["anc-0", "anc-1", "anc-2"]
    statuses = [e["status"] for e in api.log() if e["service"] == "graph" and e["method"] == "GET"]
    assert statuses[:2] == [429, 200]


def test_keep_alive(demo):
    tok = demo.app_token(C_TENANT, C_APP, C_SECRET, ARM)
    conn = http.client.HTTPSConnection(demo.host, demo.port, context=demo.ctx, timeout=10)
    socks = set()
    for _attempt in range(3):  # one connection for all three
        conn.request("GET", f"/subscriptions/{C_SUB}?api-version=2022-12-01", headers={"Authorization": f"Bearer {tok}"})
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 200 and not resp.will_close
        socks.add(id(conn.sock))
    conn.close()
    assert len(socks) == 1


def test_fifty_concurrent_clients(launch):
    import requests

    api = launch()
    barrier = threading.Barrier(50)
    results = []
    lock = threading.Lock()

    def client(i):
        tenant, cid, secret, sub = (C_TENANT, C_APP, C_SECRET, C_SUB) if i % 2 else (F_TENANT, F_APP, F_SECRET, F_SUB)
        s = requests.Session()  # one keep-alive connection per client; verify per call (REQUESTS_CA_BUNDLE wins
        # over Session.verify)
        barrier.wait(timeout=30)
        ok = 0
        tok = s.post(f"{api.url}/{tenant}/oauth2/v2.0/token", timeout=60, verify=api.ca,
                     data={"grant_type": "client_credentials", "client_id": cid, "client_secret": secret,
                           "scope": ARM}).json()["access_token"]
        for _call in range(4):
            r = s.get(f"{api.url}/subscriptions/{sub}/resourcegroups", params={"api-version": "2025-04-01"},
                      headers={"Authorization": f"Bearer {tok}"}, timeout=60, verify=api.ca)
            ok += r.status_code == 200
        with lock:
            results.append(ok)
        s.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert results == [4] * 50
    arm = [e for e in api.log() if e["service"] == "arm"]
    assert len(arm) == 200 and {e["tenant"] for e in arm} == {C_TENANT, F_TENANT}

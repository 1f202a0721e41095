"""Control API: request log (fields, redaction, control calls not logged), state, faults, simulated time."""

from __future__ import annotations

import http.client
import time

import pytest

from .api import ANC_PATH, ARM, GRAPH
from .ids import C_APP, C_PASSWORD, C_SECRET, C_SUB, C_TENANT, C_USER, F_JOIN_PASSWORD, anc_body

V = {"api-version": "2022-12-01"}


def test_request_log_entries(launch):
    api = launch()
    api.clear_log()
    api.user_token(C_TENANT, C_USER, C_PASSWORD, ARM)
    tok = api.app_token(C_TENANT, C_APP, C_SECRET, GRAPH)
    api.call(tok, "GET", ANC_PATH, params={"$top": "5"})
    api.call(tok, "POST", ANC_PATH, {**anc_body("x", C_SUB, "rg-cpc-weu", "vnet-cpc-weu"),
                                     "connectionType": "hybridAzureADJoin", "adDomainName": "corp.contoso.com",
                                     "adDomainUsername": "svc@corp.contoso.com", "adDomainPassword": F_JOIN_PASSWORD})
    api.request("GET", f"/subscriptions/{C_SUB}")
    api.state()  # control calls are not logged
    log = api.log()
    assert [(e["method"], e["service"], e["principal_kind"], e["status"]) for e in log] == [
        ("POST", "entra", "user", 200), ("POST", "entra", "app", 200), ("GET", "graph", "app", 200),
        ("POST", "graph", "app", 201), ("GET", "arm", "none", 400)]
    for e in log:
        assert {"time", "method", "path", "query", "status", "tenant", "principal_kind", "service", "body"} <= set(e)
        assert e["time"].endswith("Z")
    assert log[0]["body"]["password"] == "***" and log[0]["body"]["username"] == C_USER
    assert log[1]["body"]["client_secret"] == "***"
    assert log[2]["query"] == {"$top": "5"} and log[2]["tenant"] == C_TENANT and log[2]["body"] is None
    assert log[3]["body"]["adDomainPassword"] == "***" and log[3]["body"]["displayName"] == "x"
    assert log[4]["tenant"] is None
    text = str(log)
    for secret in (C_PASSWORD, C_SECRET, F_JOIN_PASSWORD):
        assert secret not in text
    api.clear_log()
    assert api.log() == []


def test_state_has_no_secrets(demo):
    state = demo.state()
    text = str(state)
    assert C_SECRET not in text and C_PASSWORD not in text and "Sandbox-Join-fabrikam" not in text
    t = state["tenants"][0]
    assert t["id"] == C_TENANT and t["apps"][0]["has_secret"] is True
    assert t["subscriptions"][0]["resource_groups"][0]["virtual_networks"][0]["name"] == "vnet-cpc-weu"


def test_fault_status_retry_after_and_count(launch):
    api = launch()
    tok = api.app_token(C_TENANT, C_APP, C_SECRET, ARM)
    api.control("POST", "faults", {"method": "GET", "path": r"^/subscriptions/[^/]+$", "status": 429,
                                   "retry_after": 1, "count": 2})
    r1 = api.call(tok, "GET", f"/subscriptions/{C_SUB}", params=V)
    r2 = api.call(tok, "GET", f"/subscriptions/{C_SUB}", params=V)
    r3 = api.call(tok, "GET", f"/subscriptions/{C_SUB}", params=V)
    assert (r1.status, r2.status, r3.status) == (429, 429, 200)
    assert r1.headers["retry-after"] == "1" and r1.code == "TooManyRequests"
    assert r1.headers["x-ms-request-id"]
    # other paths and methods are untouched
    assert api.call(tok, "GET", f"/subscriptions/{C_SUB}/resourcegroups", params={"api-version": "2025-04-01"}
                    ).status == 200
    faults = api.control("GET", "faults")["faults"]
    assert faults[0]["hits"] == 2
    log = api.log()
    assert [e["status"] for e in log if e["service"] == "arm"][:3] == [429, 429, 200]
    assert [e["fault"] for e in log if e["service"] == "arm"][:3] == [True, True, False]


def test_fault_in_graph_shape_and_service_filter(launch):
    api = launch()
    g = api.app_token(C_TENANT, C_APP, C_SECRET, GRAPH)
    api.control("POST", "faults", {"path": ".*", "status": 503, "service": "graph"})
    r = api.call(g, "GET", ANC_PATH)
    assert r.status == 503 and r.code == "ServiceUnavailable" and r.json["error"]["innerError"]["request-id"]
    a = api.app_token(C_TENANT, C_APP, C_SECRET, ARM)  # entra not affected
    assert api.call(a, "GET", f"/subscriptions/{C_SUB}", params=V).status == 200
    api.control("DELETE", "faults")
    assert api.call(g, "GET", ANC_PATH).status == 200


def test_fault_on_token_endpoint_is_entra_shaped(launch):
    api = launch()
    api.control("POST", "faults", {"method": "POST", "path": "/oauth2/v2.0/token$", "status": 500, "count": 1})
    r = api.token_reply(C_TENANT, {"grant_type": "client_credentials", "client_id": C_APP,
                                   "client_secret": C_SECRET, "scope": GRAPH})
    assert r.status == 500 and r.json["error"] == "temporarily_unavailable" and r.json["error_codes"]


def test_fault_drop_and_latency(launch):
    api = launch()
    tok = api.app_token(C_TENANT, C_APP, C_SECRET, ARM)
    api.control("POST", "faults", {"path": r"/resourcegroups$", "drop": True, "count": 1})
    conn = http.client.HTTPSConnection(api.host, api.port, context=api.ctx, timeout=10)
    conn.request("GET", f"/subscriptions/{C_SUB}/resourcegroups?api-version=2025-04-01",
                 headers={"Authorization": f"Bearer {tok}"})
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        conn.getresponse()
    conn.close()
    assert api.call(tok, "GET", f"/subscriptions/{C_SUB}/resourcegroups", params={"api-version": "2025-04-01"}
                    ).status == 200
    api.control("POST", "faults", {"path": ".*", "latency_ms": 300})
    started = time.monotonic()
    assert api.call(tok, "GET", f"/subscriptions/{C_SUB}", params=V).status == 200
    assert time.monotonic() - started >= 0.3


@pytest.mark.parametrize("rule", [{"path": "("}, {"status": 200}, {"path": ".*"}, {"status": 429, "colour": 1},
                                  {"status": 429, "service": "dns"}, {"status": 429, "count": 0}])
def test_bad_fault_rules(demo, rule):
    r = demo.request("POST", "/_emulator/faults", body=rule)
    assert r.status == 400


def test_time_advance(demo):
    before = demo.control("GET", "time")["epoch"]
    after = demo.advance(3600)["epoch"]
    assert after - before >= 3600
    assert demo.request("POST", "/_emulator/time", body={"advance_seconds": -5}).status == 400


def test_time_scale_zero_freezes_simulated_time(launch):
    api = launch(time_scale=0)
    first = api.control("GET", "time")
    assert first["time_scale"] == 0
    time.sleep(0.3)
    assert api.control("GET", "time")["epoch"] == first["epoch"]  # real time passes, simulated time does not
    assert api.advance(42.5)["epoch"] == first["epoch"] + 42.5
    r = api.request("POST", "/_emulator/reset", body={"time_scale": -1})
    assert r.status == 400 and "time_scale" in r.json["error"]["message"]


def test_time_scale_runs_health_checks_in_real_time(launch):
    api = launch(time_scale=200.0)  # 181 simulated seconds take about 0.9 s
    tok = api.app_token(C_TENANT, C_APP, C_SECRET, GRAPH)
    anc = api.call(tok, "POST", ANC_PATH, anc_body("x", C_SUB, "rg-cpc-weu", "vnet-cpc-weu")).json
    deadline = time.monotonic() + 10
    seen = []
    while time.monotonic() < deadline:
        status = api.call(tok, "GET", f"{ANC_PATH}/{anc['id']}").json["healthCheckStatus"]
        if not seen or seen[-1] != status:
            seen.append(status)
        if status not in ("pending", "running"):
            break
        time.sleep(0.05)
    assert seen[0] == "pending" and seen[-1] == "failed" and "running" in seen


def test_reset(launch, seed):
    api = launch()
    tok = api.app_token(C_TENANT, C_APP, C_SECRET, ARM)
    api.control("POST", "faults", {"path": "nothing-matches", "status": 500})
    seed["tenants"][0]["subscriptions"][0]["name"] = "Renamed"
    r = api.request("POST", "/_emulator/reset", body={"seed": seed})
    assert r.status == 200 and r.json["tenants"][0] == C_TENANT
    assert api.log() == [] and api.control("GET", "faults")["faults"] == []
    r = api.call(tok, "GET", f"/subscriptions/{C_SUB}", params=V)
    assert r.status == 401  # tokens of the previous world are void
    api.tokens.clear()
    tok = api.app_token(C_TENANT, C_APP, C_SECRET, ARM)
    assert api.call(tok, "GET", f"/subscriptions/{C_SUB}", params=V).json["displayName"] == "Renamed"
    seed["tenants"][0]["anc_limit"] = "lots"
    r = api.request("POST", "/_emulator/reset", body={"seed": seed})
    assert r.status == 400 and "tenants[0].anc_limit: must be an integer" in r.json["error"]["message"]
    assert api.request("POST", "/_emulator/reset", body={}).status == 200  # back to the start-up seed
    api.tokens.clear()
    tok = api.app_token(C_TENANT, C_APP, C_SECRET, ARM)
    assert api.call(tok, "GET", f"/subscriptions/{C_SUB}", params=V).json["displayName"] == "Contoso Production"


def test_fault_code_override_and_counted_latency(launch):
    api = launch()
    tok = api.app_token(C_TENANT, C_APP, C_SECRET, ARM)
    api.control("POST", "faults", {"method": "GET", "path": "/subscriptions/[^/]+$", "status": 403,
                                   "code": "AuthorizationFailed", "service": "arm", "count": 1})
    r = api.call(tok, "GET", f"/subscriptions/{C_SUB}", params=V)
    assert r.status == 403 and r.code == "AuthorizationFailed"
    api.control("DELETE", "faults")
    api.control("POST", "faults", {"path": "/subscriptions/[^/]+$", "latency_ms": 400, "count": 1})
    timings = []
    for attempt in range(2):
        started = time.monotonic()
        assert api.call(tok, "GET", f"/subscriptions/{C_SUB}", params=V).status == 200, attempt
        timings.append(time.monotonic() - started)
    assert timings[0] >= 0.4 and timings[1] < 0.4

"""Faults real services produce (issue 18): processed then the answer lost, slow writes, TLS faults; and the
control API's token."""

from __future__ import annotations

import http.client
import json
import os
import socket
import ssl
import stat
import threading
import time

import pytest

from .api import ANC_PATH, GRAPH
from .ids import C_APP, C_SECRET, C_SUB, anc_body
from .ids import C_TENANT as C_TENANT_ID

# Starts sandbox processes of its own.
pytestmark = pytest.mark.sandbox


def _names(api, tok):
    return [a["displayName"] for a in api.call(tok, "GET", ANC_PATH).json["value"]]


def test_answer_lost_after_the_write_is_applied_and_logged(launch):
    api = launch()
    tok = api.app_token(C_TENANT_ID, C_APP, C_SECRET, GRAPH)
    api.clear_log()
    api.control("POST", "faults", {"method": "POST", "path": "onPremisesConnections$", "answer_lost": True,
                                   "count": 1})
    conn = http.client.HTTPSConnection(api.host, api.port, context=api.ctx, timeout=10)
    conn.request("POST", ANC_PATH, body=json.dumps(anc_body("lost", C_SUB, "rg-cpc-weu", "vnet-cpc-weu")),
                 headers={"Authorization": f"Bearer {tok}", "Content-Type": "application/json"})
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        conn.getresponse()
    conn.close()
    assert "lost" in _names(api, tok)  # the write took effect
    posts = [e for e in api.log() if e["method"] == "POST" and e["service"] == "graph"]
    assert len(posts) == 1
    assert posts[0]["status"] == 201 and posts[0]["fault"] is True and posts[0]["answer_delivered"] is False
    assert api.control("GET", "faults")["faults"][0]["hits"] == 1
    # count 1: the next create is answered
    assert api.call(tok, "POST", ANC_PATH, anc_body("next", C_SUB, "rg-cpc-weu", "vnet-cpc-weu")).status == 201


def test_dropped_request_is_logged_as_not_delivered(launch):
    api = launch()
    tok = api.app_token(C_TENANT_ID, C_APP, C_SECRET, GRAPH)
    api.clear_log()
    api.control("POST", "faults", {"method": "POST", "path": "onPremisesConnections$", "drop": True, "count": 1})
    conn = http.client.HTTPSConnection(api.host, api.port, context=api.ctx, timeout=10)
    conn.request("POST", ANC_PATH, body=json.dumps(anc_body("dropped", C_SUB, "rg-cpc-weu", "vnet-cpc-weu")),
                 headers={"Authorization": f"Bearer {tok}", "Content-Type": "application/json"})
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        conn.getresponse()
    conn.close()
    assert "dropped" not in _names(api, tok)  # dropped before the service acted
    entry = next(e for e in api.log() if e["method"] == "POST" and e["service"] == "graph")
    assert entry["status"] == 0 and entry["answer_delivered"] is False


def _post_in_thread(api, tok, name, results):
    from .api import Api

    other = Api(api.box)
    try:
        results[name] = other.call(tok, "POST", ANC_PATH, anc_body(name, C_SUB, "rg-cpc-weu", "vnet-cpc-weu")).status
    finally:
        other.close()


def test_response_delay_applies_the_write_first(launch):
    """response_delay_ms: the write is visible to readers while its answer is still on the way."""
    api = launch()
    tok = api.app_token(C_TENANT_ID, C_APP, C_SECRET, GRAPH)
    api.control("POST", "faults", {"method": "POST", "path": "onPremisesConnections$", "response_delay_ms": 1500})
    results = {}
    worker = threading.Thread(target=_post_in_thread, args=(api, tok, "slow-answer", results))
    worker.start()
    deadline = time.monotonic() + 1.2
    seen = False
    while time.monotonic() < deadline and not seen:
        seen = "slow-answer" in _names(api, tok)
        time.sleep(0.05)
    answered_early = "slow-answer" in results
    worker.join(10)
    assert seen and not answered_early and results["slow-answer"] == 201


def test_latency_lets_two_creates_pass_a_read_then_create_gap(launch):
    """latency_ms on a write: the service acts only after the delay, so two clients that both read "absent" both
    create (the race the collection must converge)."""
    api = launch()
    tok = api.app_token(C_TENANT_ID, C_APP, C_SECRET, GRAPH)
    api.control("POST", "faults", {"method": "POST", "path": "onPremisesConnections$", "latency_ms": 800})
    results = {}
    workers = [threading.Thread(target=_post_in_thread, args=(api, tok, "same", results)) for _unused in range(2)]
    for w in workers:
        w.start()
    time.sleep(0.3)
    assert "same" not in _names(api, tok)  # neither write has taken effect yet
    for w in workers:
        w.join(10)
    assert _names(api, tok).count("same") == 2


def _handshake(api):
    raw = socket.create_connection((api.host, api.port), timeout=5)
    try:
        with api.ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            return tls.version()
    finally:
        raw.close()


def test_tls_faults(launch):
    api = launch()
    api.state()  # keep-alive: this client's connection is up before the rules exist
    api.control("POST", "faults", {"tls": "handshake_failure", "count": 1})
    with pytest.raises(ssl.SSLError, match="(?i)handshake"):
        _handshake(api)
    assert _handshake(api) in ("TLSv1.2", "TLSv1.3")  # count 1: spent
    api.control("POST", "faults", {"tls": "reset", "count": 1})
    with pytest.raises((ConnectionResetError, ssl.SSLError, ConnectionAbortedError)):
        _handshake(api)
    assert _handshake(api) in ("TLSv1.2", "TLSv1.3")
    assert [f["hits"] for f in api.control("GET", "faults")["faults"]] == [1, 1]


@pytest.mark.parametrize("rule", [{"tls": "eat-bytes"}, {"tls": "reset", "path": "x"}, {"status": 500, "drop": True},
                                  {"status": 500, "answer_lost": True}, {"response_delay_ms": -1}])
def test_bad_new_fault_rules(demo, rule):
    assert demo.request("POST", "/_emulator/faults", body=rule).status == 400


def test_control_api_needs_the_token(demo):
    conn = http.client.HTTPSConnection(demo.host, demo.port, context=demo.ctx, timeout=10)
    conn.request("GET", "/_emulator/info")  # no Authorization header at all
    resp = conn.getresponse()
    assert resp.status == 401 and demo.proc.identity_header not in resp.read().decode()
    conn.close()
    for headers in ({"Authorization": ""}, {"Authorization": "Bearer wrong"},
                    {"Authorization": demo.proc.control_token}):
        for method, name in (("GET", "info"), ("GET", "requests"), ("GET", "state"), ("DELETE", "faults"),
                             ("POST", "reset")):
            r = demo.request(method, f"/_emulator/{name}", headers=headers, body={} if method == "POST" else None)
            assert r.status == 401, (method, name, headers)
            assert demo.proc.identity_header not in r.raw.decode()
    assert demo.control("GET", "info")["identity_header"] == demo.proc.identity_header


def test_ready_file_holds_the_control_token_and_is_private(tmp_path):
    import subprocess
    import sys

    from .conftest import DEMO, REPO

    ready = tmp_path / "ready.json"
    proc = subprocess.Popen([sys.executable, "-m", "w365_sandbox", "--seed", str(DEMO), "--ready-file", str(ready)],
                            cwd=REPO, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        info = json.loads(ready.read_text())
        assert len(info["control_token"]) >= 32
        assert stat.S_IMODE(os.stat(ready).st_mode) == 0o600
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.parametrize("where", ["absolute", "escaping"])
def test_reset_reads_no_file_outside_the_seed_directory(launch, seed, tmp_path, where):
    from .test_entra import _self_signed

    _self_signed(tmp_path)
    cert = tmp_path / "app-cert.pem"
    app = seed["tenants"][0]["apps"][0]
    app["certificate"] = str(cert) if where == "absolute" else "../../../../../../../../.." + str(cert)
    api = launch()
    r = api.request("POST", "/_emulator/reset", body={"seed": seed})
    assert r.status == 400 and r.json["error"]["code"] == "InvalidSeed"
    assert "tenants[0].apps[0].certificate" in r.json["error"]["message"]
    assert "start-up seed's directory" in r.json["error"]["message"]


def test_a_write_whose_client_hung_up_is_still_logged(launch):
    """The client gives up (connection reset) while a slow write is processed: the write took effect, and the log
    shows it although its answer could not be sent."""
    import struct

    api = launch()
    tok = api.app_token(C_TENANT_ID, C_APP, C_SECRET, GRAPH)
    api.clear_log()
    api.control("POST", "faults", {"method": "POST", "path": "onPremisesConnections$", "latency_ms": 600})
    raw = socket.create_connection((api.host, api.port), timeout=5)
    tls = api.ctx.wrap_socket(raw, server_hostname="127.0.0.1")
    body = json.dumps(anc_body("gave-up", C_SUB, "rg-cpc-weu", "vnet-cpc-weu")).encode()
    tls.sendall(b"POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n%s" % (ANC_PATH.encode(), tok.encode(), len(body), body))
    time.sleep(0.2)
    tls.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    tls.close()  # reset: the answer has nowhere to go
    deadline = time.monotonic() + 5
    entries = []
    while time.monotonic() < deadline and not entries:
        time.sleep(0.2)
        entries = [e for e in api.log() if e["method"] == "POST" and e["service"] == "graph"]
    assert "gave-up" in _names(api, tok)
    assert len(entries) == 1 and entries[0]["status"] == 201 and entries[0]["answer_delivered"] is False

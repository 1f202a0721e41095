"""Start-up contract: ready file, private CA, port choice, SIGTERM, and seed validation errors."""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from w365_sandbox.seed import SeedError, validate_seed

from .conftest import DEMO, REPO

# Starts sandbox processes of its own.
pytestmark = pytest.mark.sandbox


def _run(tmp_path, seed_path, *extra):
    ready = tmp_path / "ready.json"
    proc = subprocess.Popen([sys.executable, "-m", "w365_sandbox", "--seed", str(seed_path), "--ready-file",
                             str(ready), *extra], cwd=REPO, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while not ready.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    return proc, ready


def test_ready_file_tls_and_sigterm(tmp_path):
    proc, ready = _run(tmp_path, DEMO, "--port", "0")
    try:
        info = json.loads(ready.read_text())
        assert info["pid"] == proc.pid
        assert info["url"].startswith("https://127.0.0.1:")
        assert Path(info["ca_bundle"]).is_absolute() and Path(info["ca_bundle"]).exists()
        port = int(info["url"].rsplit(":", 1)[1])
        ctx = ssl.create_default_context(cafile=info["ca_bundle"])
        for host in ("127.0.0.1", "localhost"):  # the certificate names both
            with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
                with ctx.wrap_socket(raw, server_hostname=host) as tls:
                    assert tls.version() in ("TLSv1.2", "TLSv1.3")
        # a client that does not trust the private CA is refused
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            with pytest.raises(ssl.SSLCertVerificationError):
                ssl.create_default_context().wrap_socket(raw, server_hostname="127.0.0.1")
    finally:
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=10)
        proc.stderr.close()
    assert rc == 0
    assert not ready.exists()


def test_fixed_port(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc, ready = _run(tmp_path, DEMO, "--port", str(port))
    try:
        assert json.loads(ready.read_text())["url"] == f"https://127.0.0.1:{port}"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        proc.stderr.close()


def test_bad_seed_exits_with_the_key_path(tmp_path, seed):
    seed["tenants"][1]["subscriptions"][0]["resource_groups"][0]["virtual_networks"][0]["subnets"][0][
        "prefix"] = "10.30.1.0/33"
    seed_path = tmp_path / "bad.yml"
    seed_path.write_text(yaml.safe_dump(seed))
    proc, ready = _run(tmp_path, seed_path)
    rc = proc.wait(timeout=10)
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert rc == 2 and not ready.exists()
    assert "tenants[1].subscriptions[0].resource_groups[0].virtual_networks[0].subnets[0].prefix: not a CIDR" in err


@pytest.mark.parametrize("mutate, message", [
    (lambda s: s["tenants"][0].update(id="not-a-guid"), "tenants[0].id: not a GUID"),
    (lambda s: s["tenants"][0].update(cloud="mars"), "tenants[0].cloud: must be one of"),
    (lambda s: s["tenants"][0].update(colour="blue"), "tenants[0].colour: unknown key"),
    (lambda s: s["tenants"][0]["role_assignments"][0].update(role="Supreme Leader"),
     "tenants[0].role_assignments[0].role: unknown built-in role"),
    (lambda s: s["tenants"][0]["apps"][0].pop("client_id"), "tenants[0].apps[0].client_id: is required"),
    (lambda s: s["tenants"][0].update(anc_limit="many"), "tenants[0].anc_limit: must be an integer"),
    (lambda s: s["tenants"][0].update(app_only_anc_writes="maybe"), "tenants[0].app_only_anc_writes: must be one"),
    (lambda s: s["tenants"][0]["subscriptions"][0]["resource_groups"][0]["virtual_networks"][0]["subnets"][0]
     .update(prefix="10.99.0.0/24"), "subnets[0].prefix: 10.99.0.0/24 is outside the address space"),
    (lambda s: s["tenants"][0]["subscriptions"][0]["resource_groups"][0]["virtual_networks"][0]["subnets"][0]
     .update(used_ips=300), "subnets[0].used_ips: 300 is more than the 251 usable addresses"),
    (lambda s: s["tenants"][1].update(id=s["tenants"][0]["id"]), "tenants[1].id: duplicate tenant id"),
    (lambda s: s["tenants"][0]["users"][0].update(upn="admin"), "tenants[0].users[0].upn: not a user principal"),
    (lambda s: s.update(token_lifetime_seconds=-1), "token_lifetime_seconds: must not be negative"),
])
def test_seed_validation_names_the_key(demo_seed, mutate, message):
    import copy

    seed = copy.deepcopy(demo_seed)
    mutate(seed)
    with pytest.raises(SeedError) as err:
        validate_seed(seed)
    assert message in str(err.value)


def test_seed_defaults(demo_seed):
    seed = validate_seed({"tenants": [{"id": "11111111-2222-3333-4444-555555555555", "domain": "x.example"}]})
    t = seed["tenants"][0]
    assert seed["token_lifetime_seconds"] == 3600
    assert t["cloud"] == "public" and t["anc_limit"] == 50 and t["app_only_anc_writes"] == "allowed"
    assert t["windows365_service_principal"] is None
    assert seed["health_check"] == {"pending_seconds": 30, "running_seconds": 150}


def test_launcher_reports_a_failed_start(tmp_path):
    from w365_sandbox.launcher import start_emulator

    bad = tmp_path / "bad.yml"
    bad.write_text("tenants: [{id: nope, domain: x}]\n")
    with pytest.raises(RuntimeError, match=r"tenants\[0\]\.id: not a GUID"):
        start_emulator(str(bad))


def test_sigterm_with_open_keepalive_connections(tmp_path):
    from w365_sandbox.launcher import start_emulator

    proc = start_emulator(str(DEMO))
    u = proc.url.rsplit(":", 1)
    raw = socket.create_connection(("127.0.0.1", int(u[1])), timeout=5)
    tls = ssl.create_default_context(cafile=proc.ca_bundle).wrap_socket(raw, server_hostname="127.0.0.1")
    tls.sendall(b"GET /_emulator/info HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n"
                % proc.control_token.encode())
    assert tls.recv(100).startswith(b"HTTP/1.1 200")
    started = time.monotonic()
    os.kill(proc.pid, signal.SIGTERM)
    assert proc._popen.wait(timeout=10) == 0
    assert time.monotonic() - started < 5
    tls.close()
    proc.stop()


def test_certificate_path_is_relative_to_the_seed_file(tmp_path, seed):
    from w365_sandbox.seed import load_seed

    from .test_entra import _self_signed

    _self_signed(tmp_path)
    seed["tenants"][0]["apps"][0]["certificate"] = "app-cert.pem"
    (tmp_path / "seed.yml").write_text(yaml.safe_dump(seed))
    loaded = load_seed(tmp_path / "seed.yml")
    assert loaded["tenants"][0]["apps"][0]["certificate"].startswith(b"-----BEGIN CERTIFICATE-----")
    seed["tenants"][0]["apps"][0]["certificate"] = "missing.pem"
    (tmp_path / "seed.yml").write_text(yaml.safe_dump(seed))
    with pytest.raises(SeedError, match=r"tenants\[0\]\.apps\[0\]\.certificate: cannot read certificate file"):
        load_seed(tmp_path / "seed.yml")

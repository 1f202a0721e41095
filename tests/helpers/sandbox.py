"""The one harness that drives the sandbox in tests: `start_sandbox` is the only way tests start one (fixtures
`sandbox`, `sandbox_factory`, `core`, the emulator and spec tests' processes), and `Sandbox` holds the control API
(`/_emulator/...`: request log, state, faults, time, principals, reset).

Tests that check the bytes the sandbox sends use a raw HTTP client on top of a `Sandbox`:
`tests/unit/emulator/api.Api` (http.client, keep-alive) and `tests/unit/emulator_spec/sandbox.SandboxApi`
(requests); both send their control calls through `Sandbox.control`."""

from __future__ import annotations

import json
import os
import ssl
import tempfile
import urllib.request
from pathlib import Path

import yaml

READ_METHODS = {"GET", "HEAD"}

# The public clients users sign in through, as the collection does: Microsoft Graph Command Line Tools for Graph
# (the scopes the seeds consent to), the Azure CLI for ARM (pre-authorized for user_impersonation).
GRAPH_CLI = "14d82eec-204b-4c2f-b7e8-296a70dab67e"
AZURE_CLI = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"


def token_form(scope: str, client_id: str | None = None, secret: str | None = None, username: str | None = None,
               password: str | None = None) -> dict:
    """The form of a token request: client credentials with `secret`, else the password grant of `username`
    (through `client_id`, by default the public client the collection uses for `scope`)."""
    if username is None:
        return {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret, "scope": scope}
    return {"grant_type": "password", "client_id": client_id or (GRAPH_CLI if "graph" in scope else AZURE_CLI),
            "username": username, "password": password, "scope": scope}


class Sandbox:
    """Wraps an emulator process started by w365_sandbox.launcher.start_emulator."""

    def __init__(self, process, seed: dict | None = None, seed_path: Path | None = None):
        self.process = process
        self.url = process.url
        self.ca_bundle = process.ca_bundle
        self.seed = seed
        self.seed_path = seed_path
        self._ssl = ssl.create_default_context(cafile=self.ca_bundle)

    # -- control API -------------------------------------------------------------------------------------------
    def control(self, method: str, path: str, body=None):
        """Call `/_emulator/<path>`; an answer that is not 2xx raises urllib.error.HTTPError."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            f"{self.url}/_emulator/{path}", data=data, method=method,
            headers={"Content-Type": "application/json", **self.process.control_headers()},
        )
        with urllib.request.urlopen(req, context=self._ssl, timeout=30) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else None

    def requests(self) -> list[dict]:
        """The request log (every Entra, Graph and ARM request since start or the last clear)."""
        data = self.control("GET", "requests")
        return data["requests"] if isinstance(data, dict) and "requests" in data else data

    def clear_requests(self) -> None:
        self.control("DELETE", "requests")

    def writes(self) -> list[dict]:
        """Logged requests that change state: anything but GET/HEAD, token requests excluded."""
        return [
            r
            for r in self.requests()
            if r["method"].upper() not in READ_METHODS and r.get("service") in ("graph", "arm")
        ]

    def state(self) -> dict:
        return self.control("GET", "state")

    def fault(self, rule: dict):
        return self.control("POST", "faults", rule)

    def faults(self) -> list[dict]:
        """The fault rules with their hits."""
        return self.control("GET", "faults")["faults"]

    def clear_faults(self) -> None:
        self.control("DELETE", "faults")

    def advance(self, seconds: float):
        return self.control("POST", "time", {"advance_seconds": seconds})

    def add_principal(self, tenant, object_id, app_id=None, kind="ServicePrincipal") -> dict:
        """Add a directory object now (as `az ad sp create` would); RBAC sees it after the replication delay."""
        body = {"tenant": tenant, "object_id": object_id, "type": kind}
        if app_id:
            body["app_id"] = app_id
        return self.control("POST", "principals", body)

    # -- seed helpers ------------------------------------------------------------------------------------------
    def tenant(self, key=0) -> dict:
        tenants = self.seed["tenants"]
        if isinstance(key, int):
            return tenants[key]
        for tenant in tenants:
            if key.lower() in (str(tenant.get("id", "")).lower(), str(tenant.get("domain", "")).lower()):
                return tenant
        raise KeyError(f"no tenant {key!r} in the seed")

    def endpoints(self) -> dict:
        return {
            "authority_host": self.url,
            "graph_endpoint": self.url,
            "arm_endpoint": self.url,
            "ca_bundle": self.ca_bundle,
        }

    def auth_vars(self, tenant_key=0, principal="app") -> dict:
        """Module options that sign in to the sandbox as one of the seeded principals.

        principal: 'app' (first app with a secret), 'user' (first user), or a client ID / UPN from the seed.
        """
        tenant = self.tenant(tenant_key)
        apps = tenant.get("apps") or []
        users = tenant.get("users") or []
        options = {"tenant_id": tenant["id"], **self.endpoints()}
        if principal == "app":
            app = next((a for a in apps if a.get("secret")), None)
            if app is None:
                raise KeyError("the tenant has no app with a secret")
            return {**options, "client_id": app["client_id"], "client_secret": app["secret"]}
        if principal == "user":
            if not users:
                raise KeyError("the tenant has no users")
            user = users[0]
            return {**options, "auth_method": "username_password", "username": user["upn"],
                    "password": user["password"]}
        for app in apps:
            if app["client_id"].lower() == principal.lower():
                return {**options, "client_id": app["client_id"], "client_secret": app["secret"]}
        for user in users:
            if user["upn"].lower() == principal.lower():
                return {**options, "auth_method": "username_password", "username": user["upn"],
                        "password": user["password"]}
        raise KeyError(f"no principal {principal!r} in tenant {tenant['id']}")

    def stop(self) -> None:
        self.process.stop()


def start_sandbox(seed, *, time_scale: float = 60.0, extra_args=(), workdir: Path | None = None) -> Sandbox:
    """Start an emulator on a seed given as a path or as a dict (written to a temp file)."""
    from w365_sandbox.launcher import start_emulator

    if isinstance(seed, (str, os.PathLike)):
        seed_path = Path(seed)
        seed_dict = yaml.safe_load(seed_path.read_text(encoding="utf-8"))
    else:
        seed_dict = seed
        handle = tempfile.NamedTemporaryFile(
            "w", suffix=".yml", prefix="seed-", dir=workdir, delete=False, encoding="utf-8"
        )
        with handle:
            yaml.safe_dump(seed_dict, handle, sort_keys=False)
        seed_path = Path(handle.name)
    process = start_emulator(str(seed_path), time_scale=time_scale, extra_args=tuple(extra_args))
    return Sandbox(process, seed_dict, seed_path)

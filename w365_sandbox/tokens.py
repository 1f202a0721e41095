"""Access tokens (HMAC-signed JWTs, verifiable only by this process) and the clouds' token audiences."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time

# cloud -> (Graph audiences, ARM audiences). The first entry of each is what tokens carry as `aud`
# when a client asks for one of the listed resources.
CLOUD_AUDIENCES = {
    "public": (
        ["https://graph.microsoft.com"],
        ["https://management.azure.com", "https://management.core.windows.net"],
    ),
    # Windows 365 GCC: commercial Graph; the mapped Azure subscriptions live in Azure Government.
    "gcc": (
        ["https://graph.microsoft.com"],
        ["https://management.usgovcloudapi.net", "https://management.core.usgovcloudapi.net"],
    ),
    # The Azure Government tenant of a GCC pair (*.onmicrosoft.us): US Government Graph and ARM, like GCC High.
    "usgov": (
        ["https://graph.microsoft.us"],
        ["https://management.usgovcloudapi.net", "https://management.core.usgovcloudapi.net"],
    ),
    "gcc_high": (
        ["https://graph.microsoft.us"],
        ["https://management.usgovcloudapi.net", "https://management.core.usgovcloudapi.net"],
    ),
    "dod": (
        ["https://dod-graph.microsoft.us"],
        ["https://management.usgovcloudapi.net", "https://management.core.usgovcloudapi.net"],
    ),
    "china": (
        ["https://microsoftgraph.chinacloudapi.cn"],
        ["https://management.chinacloudapi.cn", "https://management.core.chinacloudapi.cn"],
    ),
}
CLOUDS = tuple(CLOUD_AUDIENCES)


def normalize_resource(value: str) -> str:
    """`https://management.azure.com//.default` -> `https://management.azure.com` (lowercase host, no slash)."""
    v = value.strip()
    if v.lower().endswith("/.default"):
        v = v[: -len("/.default")]
    return v.rstrip("/").lower()


# The Windows 365 app: Microsoft's GCC tenant-mapping script asks the Azure Government tenant for a token with scope
# `0af06dc6-e4b5-4f28-818e-e78e62d137a5/.default` (microsoft/Windows365-PSScripts, "Windows 365 GCC/TenantMapping.ps1").
WINDOWS365_AUDIENCE = "0af06dc6-e4b5-4f28-818e-e78e62d137a5"


def api_of(cloud: str, audience: str) -> str | None:
    """'graph', 'arm', 'w365' (Azure Government tenants only) or None for a normalized audience in this cloud."""
    if audience == WINDOWS365_AUDIENCE and cloud == "usgov":
        return "w365"
    graph, arm = CLOUD_AUDIENCES[cloud]
    if audience in graph:
        return "graph"
    if audience in arm:
        return "arm"
    return None


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def split_jwt(token: str):
    """(header, claims, signing_input, signature) or raise ValueError."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("not a JWT")
    header = json.loads(b64url_decode(parts[0]))
    claims = json.loads(b64url_decode(parts[1]))
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise ValueError("not a JWT")
    return header, claims, f"{parts[0]}.{parts[1]}".encode("ascii"), b64url_decode(parts[2])


class TokenSigner:
    def __init__(self):
        self._key = secrets.token_bytes(32)

    def issue(self, claims: dict) -> str:
        header = {"typ": "JWT", "alg": "HS256", "kid": "w365-sandbox"}
        signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
        sig = hmac.new(self._key, signing_input.encode("ascii"), hashlib.sha256).digest()
        return f"{signing_input}.{b64url(sig)}"

    def verify(self, token: str) -> dict | None:
        """Claims of a token this process issued (expiry NOT checked here), or None."""
        try:
            header, claims, signing_input, sig = split_jwt(token)
        except (ValueError, UnicodeDecodeError):
            return None
        if header.get("alg") != "HS256":
            return None
        expected = hmac.new(self._key, signing_input, hashlib.sha256).digest()
        return claims if hmac.compare_digest(expected, sig) else None


def unsigned_jwt(claims: dict) -> str:
    """An id_token: clients decode it but do not verify its signature against the sandbox."""
    header = {"typ": "JWT", "alg": "none"}
    return f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}."


def now_epoch() -> int:
    return int(time.time())

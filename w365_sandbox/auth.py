"""Bearer-token checks for Graph and ARM, with each service's own 401 answers."""

from __future__ import annotations

import datetime

from .errors import ApiError
from .tokens import CLOUD_AUDIENCES, now_epoch


# Mandatory Azure MFA (phase 2) covers create, update and delete; reads need none.
ARM_WRITE_METHODS = ("PUT", "PATCH", "DELETE")


def _fmt(ts: int) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%m/%d/%Y %H:%M:%S")


def _challenge(description: str) -> dict:
    return {"WWW-Authenticate": 'Bearer authorization_uri="https://login.windows.net/", error="invalid_token", '
                                f'error_description="{description}"'}


def authenticate(emu, req, api: str) -> tuple:
    """(tenant, principal) for the request's bearer token; raises the service's 401 otherwise.

    principal = {"kind": "app"|"user", "oid", "appid", "upn", "permissions": set of lower-case names,
                 "wids": set of directory role template IDs, "amr": list}.
    """
    graph = api == "graph"
    header = req.headers.get("authorization", "")
    if not header.lower().startswith("bearer ") or not header[7:].strip():
        if graph:
            raise ApiError(401, "InvalidAuthenticationToken", "Access token is empty.")
        raise ApiError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.",
                       _challenge("The authentication failed because of missing 'Authorization' header."))
    claims = emu.signer.verify(header[7:].strip())
    if claims is None:
        if graph:
            raise ApiError(401, "InvalidAuthenticationToken", "IDX14100: JWT is not well formed, or its signature "
                                                              "is not valid.")
        raise ApiError(401, "InvalidAuthenticationToken", "The access token is invalid.",
                       _challenge("The access token is invalid."))
    tenant = emu.tenants.get(claims.get("tid"))
    if tenant is None:  # issued before a reset to a world without this tenant
        raise ApiError(401, "InvalidAuthenticationToken", "The access token is invalid.")
    now = now_epoch()
    if claims.get("exp", 0) <= now:
        if graph:
            raise ApiError(401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.")
        raise ApiError(401, "ExpiredAuthenticationToken",
                       f"The access token expiry UTC time '{_fmt(claims['exp'])}' is earlier than current UTC time "
                       f"'{_fmt(now)}'.",
                       _challenge("The access token has expired."))
    graph_auds, arm_auds = CLOUD_AUDIENCES[tenant.cloud]
    allowed = graph_auds if graph else arm_auds
    if claims.get("aud") not in allowed:
        if graph:
            raise ApiError(401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")
        listed = ",".join(f"'{a}/','{a}'" for a in allowed)
        raise ApiError(401, "InvalidAuthenticationTokenAudience",
                       f"The access token has been obtained for wrong audience or resource '{claims.get('aud')}'. "
                       f"It should exactly match with one of the allowed audiences {listed}.")
    req.tenant = tenant.id
    req.token_audience = claims.get("aud")  # clouds.arm_audience_refusal: the subscription's cloud decides
    req.principal_kind = claims.get("idtyp", "app")
    perms = claims.get("roles") if claims.get("idtyp") == "app" else (claims.get("scp") or "").split()
    principal = {"kind": claims.get("idtyp", "app"), "oid": claims["oid"], "appid": claims.get("appid"),
                 "upn": claims.get("upn"), "permissions": {p.lower() for p in perms or []},
                 "wids": {w.lower() for w in claims.get("wids") or []}, "amr": list(claims.get("amr") or [])}
    if not graph and principal["kind"] == "user" and req.method in ARM_WRITE_METHODS and tenant.arm_mfa_enforced \
            and "mfa" not in principal["amr"]:
        # Mandatory MFA for Azure resource management (phase 2): ARM refuses create/update/delete from a user
        # sign-in without MFA. Microsoft documents the rule and a claims challenge, not the body: ASSUMED.
        raise ApiError(401, "MultiFactorAuthenticationRequired",
                       "Multifactor authentication is required for this operation: Azure requires MFA for user "
                       "sign-ins that create, update or delete resources. Sign in again with MFA, or use a workload "
                       "identity (service principal or managed identity).",
                       _challenge("Multifactor authentication is required for Azure resource management writes."))
    return tenant, principal

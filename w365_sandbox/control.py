"""The control API under /_emulator/ (not logged, never faulted): request log, state, faults, simulated time.

Every call must carry `Authorization: Bearer <control_token>` (the token is in the ready file only): the API can
reset the world, read the managed-identity header and see every request, so nothing else on the machine may use it.
"""

from __future__ import annotations

import hmac

from .app import parse_fault
from .errors import ApiError
from .messages import Response, utc_iso


def authorized(emu, req) -> bool:
    scheme, _sep, token = (req.headers.get("authorization") or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), emu.control_token.encode())


def handle(emu, req) -> Response:
    if not authorized(emu, req):
        return Response(401, {"error": {"code": "Unauthorized", "message": "control calls need the header "
                                        "'Authorization: Bearer <control_token>' (control_token is in the ready "
                                        "file)"}}, {"WWW-Authenticate": 'Bearer realm="w365-sandbox-control"'})
    parts = [p for p in req.path.split("/") if p][1:]
    name = parts[0] if parts else ""
    method = req.method
    if name == "requests" and len(parts) == 1:
        if method == "GET":
            with emu.log_lock:
                return Response(200, {"requests": list(emu.log)})
        if method == "DELETE":
            with emu.log_lock:
                emu.log.clear()
            return Response(204)
    if name == "state" and method == "GET":
        from .state import dump_state

        with emu.lock:
            emu.settle()
            return Response(200, dump_state(emu))
    if name == "faults" and len(parts) == 1:
        if method == "POST":
            rule = parse_fault(req.json())
            with emu.fault_lock:
                emu.faults.append(rule)
                index = len(emu.faults) - 1
            return Response(201, {"index": index, "rule": rule.spec})
        if method == "GET":
            with emu.fault_lock:
                return Response(200, {"faults": [{**r.spec, "hits": r.hits} for r in emu.faults]})
        if method == "DELETE":
            with emu.fault_lock:
                emu.faults.clear()
            return Response(204)
    if name == "time" and len(parts) == 1:
        if method == "POST":
            body = req.json()
            seconds = body.get("advance_seconds") if isinstance(body, dict) else None
            if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds < 0:
                raise ApiError(400, "BadRequest", "advance_seconds must be a non-negative number")
            with emu.lock:
                emu.clock.advance(float(seconds))
                emu.settle()
        if method in ("GET", "POST"):
            return Response(200, {"now": utc_iso(emu.now()), "epoch": emu.now(), "time_scale": emu.clock.scale})
    if name == "info" and method == "GET":
        return Response(200, {"url": req.base_url, "identity_header": emu.identity_header,
                              "time_scale": emu.clock.scale})
    if name == "reset" and len(parts) == 1 and method == "POST":
        return _reset(emu, req.json())
    if name == "principals" and len(parts) == 1 and method == "POST":
        return _create_principal(emu, req.json())
    if name == "devicecodes" and len(parts) == 1 and method == "GET":
        return _device_codes(emu)
    if name == "devicecodes" and len(parts) == 2 and method == "POST":
        return _answer_device_code(emu, parts[1], req.json())
    if name == "refresh_tokens" and parts[1:] == ["expire"] and method == "POST":
        return _expire_refresh_tokens(emu, req.json())
    raise ApiError(404, "NotFound", f"no control endpoint {method} {req.path}")


def _device_codes(emu) -> Response:
    """Pending device authorizations (the user codes an operator would type in a browser), never the device code."""
    import time

    now = time.time()
    with emu.lock:
        items = [{"user_code": f["user_code"], "tenant": f["tenant"], "client_id": f["client_id"],
                  "status": f["status"], "polls": f["polls"], "expires_in": max(0, int(f["expires"] - now))}
                 for f in emu.device_codes.values()]
    return Response(200, {"device_codes": items})


def _answer_device_code(emu, user_code, body) -> Response:
    """What the user does in the browser: sign in as `upn` (with or without MFA) and approve, or decline."""
    if not isinstance(body, dict):
        raise ApiError(400, "BadRequest", "body must be a JSON object")
    approve = body.get("approve", True)
    if not isinstance(approve, bool) or not isinstance(body.get("mfa", False), bool):
        raise ApiError(400, "BadRequest", "approve and mfa must be true or false")
    with emu.lock:
        flow = next((f for f in emu.device_codes.values() if f["user_code"] == user_code.upper()), None)
        if flow is None:
            raise ApiError(404, "NotFound", f"no pending device code with user code {user_code}")
        if not approve:
            flow["status"] = "declined"
            return Response(200, {"user_code": flow["user_code"], "status": "declined"})
        upn = str(body.get("upn") or "").lower()
        if upn not in emu.tenants[flow["tenant"]].users:
            raise ApiError(400, "BadRequest", "upn: no such user in the device code's tenant")
        flow.update(status="approved", upn=upn, mfa=bool(body.get("mfa", False)))
        return Response(200, {"user_code": flow["user_code"], "status": "approved", "upn": upn,
                              "mfa": flow["mfa"]})


def _expire_refresh_tokens(emu, body) -> Response:
    """Age refresh tokens past their lifetime (all, or one tenant's / user's), as 90 days without use would."""
    if not isinstance(body, dict):
        raise ApiError(400, "BadRequest", "body must be a JSON object")
    tenant = None
    if body.get("tenant"):
        t = emu.tenant_by_key(str(body["tenant"]))
        if t is None:
            raise ApiError(400, "BadRequest", "tenant: unknown tenant (give its id or domain)")
        tenant = t.id
    upn = str(body.get("upn") or "").lower() or None
    count = 0
    with emu.lock:
        for record in emu.refresh_tokens.values():
            if (tenant is None or record["tenant"] == tenant) and (upn is None or record["upn"] == upn):
                record["expires"] = 0
                count += 1
    return Response(200, {"expired": count})


def _create_principal(emu, body) -> Response:
    """Add a directory object now (e.g. a just-created service principal, to exercise PrincipalNotFound)."""
    from .roles import GUID_RE

    if not isinstance(body, dict):
        raise ApiError(400, "BadRequest", "body must be a JSON object")
    tenant = emu.tenant_by_key(str(body.get("tenant", "")))
    if tenant is None:
        raise ApiError(400, "BadRequest", "tenant: unknown tenant (give its id or domain)")
    oid = str(body.get("object_id", "")).lower()
    if not GUID_RE.match(oid):
        raise ApiError(400, "BadRequest", "object_id: not a GUID")
    kind = body.get("type", "ServicePrincipal")
    if kind not in ("ServicePrincipal", "User", "Group"):
        raise ApiError(400, "BadRequest", "type must be ServicePrincipal, User or Group")
    with emu.lock:
        tenant.directory[oid] = {"type": kind, "display_name": body.get("display_name") or oid,
                                 "app_id": body.get("app_id"), "created_at": emu.now()}
    return Response(201, {"object_id": oid, "type": kind})


def _reset(emu, body) -> Response:
    """Start over from the original seed, or from `{"seed": {...}}`; optionally with a new `time_scale`."""
    from .seed import SeedError, validate_seed

    if not isinstance(body, dict):
        raise ApiError(400, "BadRequest", "body must be a JSON object")
    scale = body.get("time_scale", emu.clock.scale)
    if not isinstance(scale, (int, float)) or isinstance(scale, bool) or scale < 0:
        raise ApiError(400, "BadRequest", "time_scale must be a number >= 0 (0 freezes simulated time)")
    seed = emu.original_seed
    if body.get("seed") is not None:
        try:
            # Files a seed names (certificates, issuer keys) must lie in the start-up seed's directory: the
            # control API reads no other file on the machine.
            seed = validate_seed(body["seed"], base_dir=emu.seed_dir, confine=True)
        except SeedError as err:
            raise ApiError(400, "InvalidSeed", str(err)) from None
    try:
        emu.load(seed, float(scale))
    except SeedError as err:
        raise ApiError(400, "InvalidSeed", str(err)) from None
    return Response(200, {"tenants": [t.id for t in emu.tenants.values()], "time_scale": emu.clock.scale})

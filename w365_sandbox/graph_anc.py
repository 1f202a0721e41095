"""Graph: Cloud PC Azure network connections (onPremisesConnections) and their rules."""

from __future__ import annotations

import re
import uuid

from . import health
from .errors import ApiError
from .graph_common import GUID, _action, _check_body, _collection, _method, _shape, _single, check_action_body
from .messages import Response

ANC_TYPE = "microsoft.graph.cloudPcOnPremisesConnection"
ANC_DEFAULT = ["id", "displayName", "connectionType", "subscriptionId", "subscriptionName", "adDomainName",
               "adDomainUsername", "organizationalUnit", "resourceGroupId", "virtualNetworkId", "subnetId",
               "healthCheckStatus", "virtualNetworkLocation"]
ANC_SELECT_ONLY = ["adDomainPassword", "alternateResourceUrl", "healthCheckStatusDetail", "inUse",
                   "healthCheckPaused", "inUseByCloudPc", "scopeIds"]
ANC_BETA = ["managedBy", "type", "healthCheckStatusDetails"]
ANC_WRITABLE = {"displayName", "connectionType", "subscriptionId", "resourceGroupId", "virtualNetworkId", "subnetId",
                "adDomainName", "adDomainUsername", "adDomainPassword", "organizationalUnit", "scopeIds"}
ANC_READONLY = {"id", "subscriptionName", "virtualNetworkLocation", "healthCheckStatus", "healthCheckStatusDetail",
                "inUse", "alternateResourceUrl", "healthCheckPaused", "inUseByCloudPc"}


def anc_props(g):
    return ANC_DEFAULT + ANC_SELECT_ONLY + (ANC_BETA if g.version == "beta" else [])


def anc_default(g):
    return ANC_DEFAULT + (["managedBy", "scopeIds"] if g.version == "beta" else [])


def anc_in_use(tenant, anc_id) -> bool:
    """Windows 365's "Delete Azure network connection": referenced by a provisioning policy (also as an alternate
    ANC), used by a Cloud PC, or the backup ANC for cross-region disaster recovery in user settings."""
    from .graph_usage import anc_usage

    return any(anc_usage(tenant, anc_id).values())


def anc_entity(g, anc) -> dict:
    t = g.tenant
    sub = t.subscriptions.get((anc.get("subscriptionId") or "").lower())
    _sub, _rg, vnet, _subnet = health._find(t, anc)
    e = {"@odata.type": "#" + ANC_TYPE}
    for k in ("id", "displayName", "connectionType", "subscriptionId", "adDomainName", "adDomainUsername",
              "organizationalUnit", "resourceGroupId", "virtualNetworkId", "subnetId", "scopeIds"):
        e[k] = anc.get(k)
    e["subscriptionName"] = sub.name if sub else None
    e["virtualNetworkLocation"] = vnet["location"] if vnet else None
    e["healthCheckStatus"] = health.status(g.emu, anc, g.now)
    e["healthCheckStatusDetail"] = health.detail(g.emu, anc, g.now)
    e["inUse"] = anc_in_use(t, anc["id"])
    e["inUseByCloudPc"] = any(pc.get("_ancId") == anc["id"] for pc in t.cloud_pcs.values())
    e["healthCheckPaused"] = False
    e["alternateResourceUrl"] = None
    e["adDomainPassword"] = None
    if g.version == "beta":
        e["managedBy"] = anc.get("managedBy", "windows365")
        e["type"] = None
        e["healthCheckStatusDetails"] = None
    return e


def _anc(g, anc_id):
    anc = g.tenant.ancs.get(anc_id.lower()) if GUID.match(anc_id) else None
    if anc is None:
        raise ApiError(404, "ResourceNotFound", f"The Azure network connection '{anc_id}' was not found.")
    return anc


def _delegated_write(g):
    g.write()
    if g.principal["kind"] == "app" and g.tenant.app_only_anc_writes == "forbidden":
        raise ApiError(403, "Forbidden",
                       "Application (app-only) permissions are not supported for this operation. Sign in as a user "
                       "with the delegated CloudPC.ReadWrite.All permission.")


def ancs(g, tail) -> Response:
    ctx = "deviceManagement/virtualEndpoint/onPremisesConnections"
    if not tail:
        if g.req.method == "GET":
            g.read()
            items = [anc_entity(g, a) for a in g.tenant.ancs.values()]
            resp = _collection(g, items, ANC_TYPE, anc_props(g), ctx)
            if not g.req.q("$select"):
                resp.body["value"] = [_shape(e, None, anc_default(g)) for e in resp.body["value"]]
            return resp
        _method(g, "POST")
        return create_anc(g)
    anc = _anc(g, tail[0])
    if len(tail) == 1:
        if g.req.method == "GET":
            g.read()
            return Response(200, _single(g, anc_entity(g, anc), anc_props(g), anc_default(g), ctx))
        if g.req.method == "PATCH":
            return patch_anc(g, anc)
        _method(g, "DELETE")
        return delete_anc(g, anc)
    action = _action(tail[1])
    if len(tail) == 2 and action == "runhealthchecks":
        _method(g, "POST")
        _delegated_write(g)
        check_action_body(g, "runHealthChecks")  # parameterless (Graph runHealthChecks: "Don't supply a request body")
        if health.status(g.emu, anc, g.now) in ("pending", "running"):
            raise ApiError(409, "Conflict", "Health checks are already running for this Azure network connection.")
        health.start(g.emu, anc, skip_pending=True)
        return Response(204)
    if len(tail) == 2 and action == "updateaddomainpassword":
        _method(g, "POST")
        g.write()  # Microsoft documents app-only support for this action
        body = check_action_body(g, "updateAdDomainPassword", ("adDomainPassword",))
        if not isinstance(body, dict) or not isinstance(body.get("adDomainPassword"), str) \
                or not body["adDomainPassword"]:
            raise ApiError(400, "BadRequest", "The adDomainPassword parameter is required.")
        if anc.get("connectionType") != "hybridAzureADJoin":
            raise ApiError(400, "BadRequest", "updateAdDomainPassword applies only to hybridAzureADJoin "
                                              "connections.")
        if health.status(g.emu, anc, g.now) in ("pending", "running"):
            raise ApiError(409, "Conflict", "The Azure network connection can't be changed while health checks "
                                            "are running.")
        anc["_password"] = body["adDomainPassword"]
        health.start(g.emu, anc, skip_pending=True)
        return Response(204)
    raise ApiError(400, "BadRequest", f"Resource not found for the segment '{tail[-1]}'.")


_RG = re.compile(r"^/subscriptions/([^/]+)/resourceGroups/([^/]+)$", re.IGNORECASE)
_VNET = re.compile(r"^(/subscriptions/[^/]+/resourceGroups/[^/]+)/providers/Microsoft\.Network/virtualNetworks/([^/]+)$",
                   re.IGNORECASE)
_SUBNET = re.compile(r"^(/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Network/virtualNetworks/"
                     r"[^/]+)/subnets/([^/]+)$", re.IGNORECASE)


def _validate_anc(anc: dict) -> None:
    missing = [k for k in ("displayName", "subscriptionId", "resourceGroupId", "virtualNetworkId", "subnetId")
               if not anc.get(k)]
    if anc.get("connectionType") == "hybridAzureADJoin":
        missing += [k for k in ("adDomainName", "adDomainUsername") if not anc.get(k)]
        if not anc.get("_password"):
            missing.append("adDomainPassword")
    if missing:
        raise ApiError(400, "BadRequest", f"Missing required properties: {', '.join(missing)}.")
    for k in ("displayName", "subscriptionId", "resourceGroupId", "virtualNetworkId", "subnetId", "adDomainName",
              "adDomainUsername", "organizationalUnit"):
        if anc.get(k) is not None and not isinstance(anc[k], str):
            raise ApiError(400, "BadRequest", f"The property '{k}' must be a string.")
    if anc["connectionType"] not in ("hybridAzureADJoin", "azureADJoin"):
        raise ApiError(400, "BadRequest", f"The value '{anc['connectionType']}' is not valid for connectionType.")
    if not GUID.match(anc["subscriptionId"]):
        raise ApiError(400, "BadRequest", "subscriptionId must be a GUID.")
    rg = _RG.match(anc["resourceGroupId"])
    vnet = _VNET.match(anc["virtualNetworkId"])
    subnet = _SUBNET.match(anc["subnetId"])
    if not rg:
        raise ApiError(400, "BadRequest", "resourceGroupId must have the form "
                                          "/subscriptions/{subscription-id}/resourceGroups/{resourceGroupName}.")
    if not vnet:
        raise ApiError(400, "BadRequest", "virtualNetworkId must be a virtual network resource ID.")
    if not subnet:
        raise ApiError(400, "BadRequest", "subnetId must be a subnet resource ID.")
    # The vnet may live in another resource group than the NICs (hub networks), but in the same subscription.
    if rg.group(1).lower() != anc["subscriptionId"].lower() \
            or not vnet.group(1).lower().startswith(f"/subscriptions/{anc['subscriptionId'].lower()}/") \
            or subnet.group(1).lower() != anc["virtualNetworkId"].lower():
        raise ApiError(400, "BadRequest", "subscriptionId, resourceGroupId, virtualNetworkId and subnetId must name "
                                          "the same subscription, and the subnet must be in the virtual network.")
    if len(anc.get("adDomainName") or "") > 255:
        raise ApiError(400, "BadRequest", "adDomainName must be at most 255 characters.")


def create_anc(g) -> Response:
    _delegated_write(g)
    body = g.req.json()
    _check_body(body, ANC_TYPE, ANC_WRITABLE | ({"managedBy", "type"} if g.version == "beta" else set()),
                ANC_READONLY)
    if len(g.tenant.ancs) >= g.tenant.anc_limit:
        raise ApiError(400, "BadRequest", f"The tenant has reached the maximum of {g.tenant.anc_limit} Azure network "
                                          "connections. Delete an unused connection first.")
    anc = {"id": str(uuid.uuid4()), "connectionType": body.get("connectionType") or body.get("type")
           or "hybridAzureADJoin", "scopeIds": body.get("scopeIds") or [], "managedBy": body.get("managedBy")
           or "windows365", "_password": body.get("adDomainPassword")}
    for k in ("displayName", "subscriptionId", "resourceGroupId", "virtualNetworkId", "subnetId", "adDomainName",
              "adDomainUsername", "organizationalUnit"):
        anc[k] = body.get(k)
    _validate_anc(anc)
    anc["subscriptionId"] = anc["subscriptionId"].lower()
    health.start(g.emu, anc, skip_pending=False)
    g.tenant.ancs[anc["id"]] = anc
    body = _single(g, anc_entity(g, anc), anc_props(g), anc_default(g),
                   "deviceManagement/virtualEndpoint/onPremisesConnections")
    return Response(201, body, {"Location": f"{g.req.base_url}/{g.version}/deviceManagement/virtualEndpoint/"
                                            f"onPremisesConnections/{anc['id']}"})


def patch_anc(g, anc) -> Response:
    _delegated_write(g)
    body = g.req.json()
    _check_body(body, ANC_TYPE, ANC_WRITABLE | ({"managedBy", "type"} if g.version == "beta" else set()),
                ANC_READONLY)
    new_type = body.get("connectionType") or body.get("type")
    if new_type and new_type != anc["connectionType"]:
        raise ApiError(400, "BadRequest", "The join type (connectionType) of an Azure network connection can't be "
                                          "changed. Create a new connection instead.")
    if health.status(g.emu, anc, g.now) in ("pending", "running"):
        raise ApiError(409, "Conflict", "The Azure network connection can't be changed while health checks are "
                                        "running.")
    updated = dict(anc)
    for k in ANC_WRITABLE - {"adDomainPassword", "connectionType"}:
        if k in body:
            updated[k] = body[k]
    if "adDomainPassword" in body:
        updated["_password"] = body["adDomainPassword"]
    _validate_anc(updated)
    anc.update(updated)
    anc["subscriptionId"] = anc["subscriptionId"].lower()
    health.start(g.emu, anc, skip_pending=True)  # a PATCH restarts the checks: the answer already says running
    return Response(200, _single(g, anc_entity(g, anc), anc_props(g), anc_default(g),
                                 "deviceManagement/virtualEndpoint/onPremisesConnections"))


def delete_anc(g, anc) -> Response:
    _delegated_write(g)
    from .graph_usage import anc_usage

    usage = anc_usage(g.tenant, anc["id"])
    if any(usage.values()):
        # The refusal itself is documented; its status, code and text are not (ASSUMED: docs/sandbox.md).
        kinds = [k for k, v in (("provisioning policies", usage["policies"]), ("Cloud PCs", usage["cloud_pcs"]),
                                ("cross-region disaster recovery user settings", usage["user_settings"])) if v]
        raise ApiError(409, "Conflict", f"The Azure network connection is in use ({', '.join(kinds)}) and can't be "
                                        "deleted. Remove it from all provisioning policies, move or deprovision its "
                                        "Cloud PCs, and remove it from all cross region disaster recovery user "
                                        "settings first.")
    if health.status(g.emu, anc, g.now) in ("pending", "running"):
        raise ApiError(409, "Conflict", "The Azure network connection can't be deleted while health checks are "
                                        "running.")
    t = g.tenant
    del t.ancs[anc["id"]]
    withdraw_service_permissions(t, anc)
    return Response(204)


def withdraw_service_permissions(tenant, anc) -> None:
    """What Graph's "Delete cloudPcOnPremisesConnection" page says happens on delete: "permissions to the service are
    removed from the specified Azure resources". Modelled as: every role assignment of the Windows 365 service
    principal whose own scope is the connection's resource group or virtual network goes, whoever made it and whether
    or not another connection still uses that resource group or vnet (the page names no exception). The subscription
    is not treated as one of those resources, so Reader on it stays (ASSUMED: the page does not name the subscription;
    docs/sandbox.md)."""
    sp = tenant.windows365_sp
    if not sp:
        return
    scopes = {(anc.get(key) or "").lower().rstrip("/") for key in ("resourceGroupId", "virtualNetworkId")} - {""}
    tenant.role_assignments[:] = [ra for ra in tenant.role_assignments
                                  if not (ra["principal_id"] == sp and ra["scope"].lower().rstrip("/") in scopes)]

"""Microsoft Graph (v1.0 and the beta paths the collection uses): Cloud PC network connections, device images,
provisioning policies, and the service principal lookup."""

from __future__ import annotations

import datetime
import re
import uuid

from . import health, images
from .auth import authenticate
from .errors import ApiError
from .odata import page, parse_filter, parse_select
from .server import Response
from .world import WINDOWS365_APP_ID

READ_PERMS = {"cloudpc.read.all", "cloudpc.readwrite.all"}
WRITE_PERMS = {"cloudpc.readwrite.all"}
DIRECTORY_READ = {"application.read.all", "application.readwrite.all", "directory.read.all",
                  "directory.readwrite.all"}
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

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

IMAGE_TYPE = "microsoft.graph.cloudPcDeviceImage"
IMAGE_FIELDS = ["id", "displayName", "expirationDate", "osBuildNumber", "osStatus", "operatingSystem", "version",
                "sourceImageResourceId", "lastModifiedDateTime", "status", "errorCode", "osVersionNumber",
                "sizeInGB"]
POLICY_TYPE = "microsoft.graph.cloudPcProvisioningPolicy"
POLICY_FIELDS = ["id", "displayName", "description", "alternateResourceUrl", "cloudPcGroupDisplayName",
                 "cloudPcNamingTemplate", "enableSingleSignOn", "gracePeriodInHours", "imageDisplayName", "imageId",
                 "imageType", "localAdminEnabled", "provisioningType", "domainJoinConfigurations",
                 "microsoftManagedDesktop", "windowsSetting", "autopatch"]
POLICY_WRITABLE = {"displayName", "description", "cloudPcNamingTemplate", "enableSingleSignOn", "imageDisplayName",
                   "imageId", "imageType", "localAdminEnabled", "provisioningType", "domainJoinConfigurations",
                   "microsoftManagedDesktop", "windowsSetting", "autopatch", "managedBy", "scopeIds",
                   "gracePeriodInHours", "cloudPcGroupDisplayName"}
SP_FIELDS = ["id", "appId", "displayName", "servicePrincipalType", "accountEnabled", "appOwnerOrganizationId",
             "servicePrincipalNames", "createdDateTime"]


def iso(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class G:
    """Per-request context."""

    def __init__(self, emu, req, tenant, principal, version):
        self.emu = emu
        self.req = req
        self.tenant = tenant
        self.principal = principal
        self.version = version
        self.now = emu.now()

    @property
    def root(self):
        return f"https://graph.microsoft.com/{self.version}/$metadata"

    def need(self, perms: set, scopes_text: str, directory=False):
        if self.principal["permissions"] & perms:
            return
        if directory:
            raise ApiError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
        who = "Application" if self.principal["kind"] == "app" else "User"
        raise ApiError(403, "Forbidden", f"{who} is not authorized to perform this operation. The token must "
                                         f"carry one of the following permissions: {scopes_text}.")

    def read(self):
        self.need(READ_PERMS, "CloudPC.Read.All, CloudPC.ReadWrite.All")

    def write(self):
        self.need(WRITE_PERMS, "CloudPC.ReadWrite.All")


def handle(emu, req) -> Response:
    segs = [s for s in req.path.split("/") if s]
    version = segs[0]
    tenant, principal = authenticate(emu, req, "graph")
    g = G(emu, req, tenant, principal, version)
    rest = segs[1:]
    if rest and rest[0].lower().startswith("serviceprincipals"):
        return service_principals(g, rest)
    if len(rest) >= 3 and rest[0].lower() == "devicemanagement" and rest[1].lower() == "virtualendpoint":
        coll = rest[2].lower()
        tail = rest[3:]
        if coll == "onpremisesconnections":
            return ancs(g, tail)
        if coll == "deviceimages":
            return device_images(g, tail)
        if coll == "provisioningpolicies":
            return policies(g, tail)
        if coll == "galleryimages":
            g.read()
            return Response(200, {"@odata.context": f"{g.root}#deviceManagement/virtualEndpoint/galleryImages",
                                  "value": []})
    raise ApiError(400, "BadRequest", f"Resource not found for the segment '{rest[-1] if rest else version}'.")


def _method(g, *allowed):
    if g.req.method not in allowed:
        raise ApiError(405, "MethodNotAllowed", f"The HTTP method '{g.req.method}' is not allowed here.")


def _action(name: str) -> str:
    """`microsoft.graph.runHealthChecks` -> `runhealthchecks`; `getSourceImages()` -> `getsourceimages`."""
    n = name.lower()
    if n.startswith("microsoft.graph."):
        n = n[len("microsoft.graph."):]
    return n[:-2] if n.endswith("()") else n


def _collection(g, items, type_name, props, context):
    pred = parse_filter(g.req.q("$filter"), type_name, set(props))
    select = parse_select(g.req.q("$select"), type_name, set(props))
    matched = [e for e in items if pred(e)]
    chunk, next_link = page(g.req, matched, g.emu.seed["graph_page_size"])
    body = {"@odata.context": f"{g.root}#{context}" + (f"({','.join(select)})" if select else "")}
    if (g.req.q("$count") or "").lower() == "true":
        body["@odata.count"] = len(matched)
    body["value"] = [_shape(e, select, None) for e in chunk]
    if next_link:
        body["@odata.nextLink"] = next_link
    return Response(200, body)


def _shape(entity, select, default):
    fields = select or default or [k for k in entity if not k.startswith("@")]
    out = {"@odata.type": entity["@odata.type"]} if "@odata.type" in entity else {}
    for f in fields:
        out[f] = entity.get(f)
    return out


def _single(g, entity, props, default, context):
    select = parse_select(g.req.q("$select"), entity["@odata.type"].lstrip("#"), set(props))
    body = {"@odata.context": f"{g.root}#{context}" + (f"({','.join(select)})" if select else "") + "/$entity"}
    body.update(_shape(entity, select, default))
    return body


def _check_body(body, type_name, writable, readonly, ignore=()):
    if not isinstance(body, dict):
        raise ApiError(400, "BadRequest", "The request body must be a JSON object.")
    for key in body:
        if key.startswith("@odata.") or key in readonly or key in ignore:
            continue
        if key not in writable:
            raise ApiError(400, "BadRequest",
                           f"The property '{key}' does not exist on type '{type_name}'. Make sure to only use "
                           "property names that are defined by the type or mark the type as open type.")


# ---- network connections ----------------------------------------------------------------------------------------
def anc_props(g):
    return ANC_DEFAULT + ANC_SELECT_ONLY + (ANC_BETA if g.version == "beta" else [])


def anc_default(g):
    return ANC_DEFAULT + (["managedBy", "scopeIds"] if g.version == "beta" else [])


def anc_in_use(tenant, anc_id) -> bool:
    for pol in tenant.policies.values():
        if pol.get("onPremisesConnectionId") == anc_id:
            return True
        for dj in pol.get("domainJoinConfigurations") or []:
            if (dj or {}).get("onPremisesConnectionId") == anc_id:
                return True
    return False


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
    e["inUseByCloudPc"] = False
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
        if health.status(g.emu, anc, g.now) in ("pending", "running"):
            raise ApiError(409, "Conflict", "Health checks are already running for this Azure network connection.")
        health.start(g.emu, anc, skip_pending=True)
        return Response(204)
    if len(tail) == 2 and action == "updateaddomainpassword":
        _method(g, "POST")
        g.write()  # Microsoft documents app-only support for this action
        body = g.req.json()
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
    if anc_in_use(g.tenant, anc["id"]):
        raise ApiError(409, "Conflict", "The Azure network connection is in use by one or more provisioning policies "
                                        "and can't be deleted. Remove it from the policies first.")
    if health.status(g.emu, anc, g.now) in ("pending", "running"):
        raise ApiError(409, "Conflict", "The Azure network connection can't be deleted while health checks are "
                                        "running.")
    t = g.tenant
    del t.ancs[anc["id"]]
    # The service withdraws its own permissions, unless another connection still uses the resource.
    sp = t.windows365_sp
    if sp:
        for scope_key in ("resourceGroupId", "virtualNetworkId"):
            scope = (anc.get(scope_key) or "").lower()
            if any((other.get(scope_key) or "").lower() == scope for other in t.ancs.values()):
                continue
            t.role_assignments[:] = [ra for ra in t.role_assignments
                                     if not (ra["principal_id"] == sp and ra["scope"].lower() == scope)]
    return Response(204)


# ---- device images ----------------------------------------------------------------------------------------------
def image_entity(g, img) -> dict:
    prefer = (g.req.headers.get("prefer") or "").lower()
    code = img.get("errorCode")
    if code in images.EVOLVABLE and "include-unknown-enum-members" not in prefer:
        code = "unknownFutureValue"
    ready = img["status"] == "ready"
    source = images.find_source(g.tenant, img["sourceImageResourceId"])
    return {"@odata.type": "#" + IMAGE_TYPE, "id": img["id"], "displayName": img["displayName"],
            "expirationDate": images.expiration(img) if ready else None,
            "osBuildNumber": img.get("osBuildNumber") if ready else None,
            "osStatus": img.get("osStatus") if ready else "unknown",
            "operatingSystem": img.get("operatingSystem") if ready else None, "version": img["version"],
            "sourceImageResourceId": img["sourceImageResourceId"],
            "lastModifiedDateTime": iso(img["_modified"]), "status": img["status"], "errorCode": code,
            "osVersionNumber": None, "sizeInGB": source["size_gb"] if (source and ready) else None}


def _image(g, image_id):
    img = g.tenant.images.get(image_id.lower()) if GUID.match(image_id) else None
    if img is None:
        raise ApiError(404, "ResourceNotFound", f"The device image '{image_id}' was not found.")
    return img


def image_in_use(tenant, image_id) -> bool:
    return any(p.get("imageType") == "custom" and p.get("imageId") == image_id for p in tenant.policies.values())


def device_images(g, tail) -> Response:
    ctx = "deviceManagement/virtualEndpoint/deviceImages"
    if not tail:
        if g.req.method == "GET":
            g.read()
            items = [image_entity(g, i) for i in g.tenant.images.values()]
            return _collection(g, items, IMAGE_TYPE, IMAGE_FIELDS, ctx)
        _method(g, "POST")
        return create_image(g)
    if len(tail) == 1 and _action(tail[0]) == "getsourceimages":
        _method(g, "GET")
        g.read()
        items = []
        for sub in g.tenant.subscriptions.values():
            for rg in sub.resource_groups.values():
                for im in rg.images.values():
                    items.append({"resourceId": f"{rg.id}/providers/Microsoft.Compute/images/{im['name']}",
                                  "displayName": im["name"], "subscriptionId": sub.id,
                                  "subscriptionDisplayName": sub.name})
        return Response(200, {"@odata.context": f"{g.root}#Collection(microsoft.graph.cloudPcSourceDeviceImage)",
                              "value": items})
    img = _image(g, tail[0])
    if len(tail) == 1:
        if g.req.method == "GET":
            g.read()
            return Response(200, _single(g, image_entity(g, img), IMAGE_FIELDS, IMAGE_FIELDS, ctx))
        _method(g, "DELETE")
        g.write()
        if image_in_use(g.tenant, img["id"]):
            raise ApiError(409, "Conflict", "The device image is used by one or more provisioning policies and "
                                            "can't be deleted. Remove it from the policies first.")
        del g.tenant.images[img["id"]]
        return Response(204)
    if len(tail) == 2 and _action(tail[1]) in ("retryupload", "reupload") and g.version == "beta":
        _method(g, "POST")
        g.write()
        if img["status"] != "failed":
            raise ApiError(400, "BadRequest", "Only a failed image upload can be retried.")
        img.update(status="pending", errorCode=None)
        img["_upload"] = {"started": g.now, "done": False}
        img["_modified"] = g.now
        return Response(204)
    raise ApiError(400, "BadRequest", f"Resource not found for the segment '{tail[-1]}'.")


def create_image(g) -> Response:
    g.write()
    body = g.req.json()
    _check_body(body, IMAGE_TYPE, {"displayName", "version", "sourceImageResourceId"},
                set(IMAGE_FIELDS) - {"displayName", "version", "sourceImageResourceId"})
    missing = [k for k in ("displayName", "version", "sourceImageResourceId") if not body.get(k)]
    if missing:
        raise ApiError(400, "BadRequest", f"Missing required properties: {', '.join(missing)}.")
    for k in ("displayName", "version", "sourceImageResourceId"):
        if not isinstance(body[k], str):
            raise ApiError(400, "BadRequest", f"The property '{k}' must be a string.")
    if not re.match(r"^\d+\.\d+\.\d+$", body["version"]):
        raise ApiError(400, "BadRequest", f"The version '{body['version']}' is not valid: use Major.Minor.Patch, "
                                          "for example 1.0.0.")
    if not images.MANAGED_IMAGE_RE.match(body["sourceImageResourceId"]):
        raise ApiError(400, "BadRequest", "sourceImageResourceId must be a managed image resource ID "
                                          "(/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/"
                                          "images/{name}).")
    for other in g.tenant.images.values():
        if other["displayName"].lower() == body["displayName"].lower() and other["version"] == body["version"]:
            raise ApiError(409, "Conflict", f"An image named '{body['displayName']}' with version "
                                            f"{body['version']} already exists.")
    img = {"id": str(uuid.uuid4()), "displayName": body["displayName"], "version": body["version"],
           "sourceImageResourceId": body["sourceImageResourceId"], "operatingSystem": None, "osBuildNumber": None,
           "osStatus": "unknown", "status": "pending", "errorCode": None,
           "_upload": {"started": g.now, "done": False}, "_modified": g.now}
    g.tenant.images[img["id"]] = img
    return Response(201, _single(g, image_entity(g, img), IMAGE_FIELDS, IMAGE_FIELDS,
                                 "deviceManagement/virtualEndpoint/deviceImages"))


# ---- provisioning policies --------------------------------------------------------------------------------------
def policy_entity(g, pol) -> dict:
    e = {"@odata.type": "#" + POLICY_TYPE}
    for f in POLICY_FIELDS:
        e[f] = pol.get(f)
    e["domainJoinConfigurations"] = pol.get("domainJoinConfigurations") or []
    e.setdefault("gracePeriodInHours", None)
    if e["gracePeriodInHours"] is None:
        e["gracePeriodInHours"] = 4
    e["alternateResourceUrl"] = None
    e["autopatch"] = pol.get("autopatch")
    e["microsoftManagedDesktop"] = pol.get("microsoftManagedDesktop")
    if g.version == "beta":
        e["managedBy"] = pol.get("managedBy", "windows365")
        e["scopeIds"] = pol.get("scopeIds") or []
    return e


def _validate_policy(g, pol):
    if not isinstance(pol.get("displayName"), str) or not pol["displayName"]:
        raise ApiError(400, "BadRequest", "Missing required property: displayName.")
    if pol.get("imageType") not in ("gallery", "custom"):
        raise ApiError(400, "BadRequest", "imageType must be gallery or custom.")
    if pol["imageType"] == "custom":
        img = g.tenant.images.get(str(pol.get("imageId") or "").lower())
        if img is None:
            raise ApiError(400, "BadRequest", f"The custom image '{pol.get('imageId')}' was not found.")
        if img["status"] != "ready":
            raise ApiError(400, "BadRequest", f"The custom image '{img['displayName']}' is not ready.")
        pol["imageDisplayName"] = img["displayName"]
    djcs = pol.get("domainJoinConfigurations") or []
    if not isinstance(djcs, list):
        raise ApiError(400, "BadRequest", "domainJoinConfigurations must be a list.")
    for dj in djcs:
        if not isinstance(dj, dict):
            raise ApiError(400, "BadRequest", "domainJoinConfigurations entries must be objects.")
        anc_id = dj.get("onPremisesConnectionId")
        if anc_id and dj.get("regionName"):
            raise ApiError(400, "BadRequest", "Give either onPremisesConnectionId or regionName, not both.")
        if anc_id:
            anc = g.tenant.ancs.get(str(anc_id).lower())
            if anc is None:
                raise ApiError(400, "BadRequest", f"The Azure network connection '{anc_id}' was not found.")
            if health.status(g.emu, anc, g.now) == "failed":
                raise ApiError(400, "BadRequest", f"The Azure network connection '{anc['displayName']}' failed its "
                                                  "health checks and can't be used.")
        dj.setdefault("regionName", None)
        dj.setdefault("regionGroup", None)
        dj.setdefault("onPremisesConnectionId", None)
    pol["domainJoinConfigurations"] = djcs


def _policy(g, pid):
    pol = g.tenant.policies.get(pid.lower()) if GUID.match(pid) else None
    if pol is None:
        raise ApiError(404, "ResourceNotFound", f"The provisioning policy '{pid}' was not found.")
    return pol


def policies(g, tail) -> Response:
    ctx = "deviceManagement/virtualEndpoint/provisioningPolicies"
    if not tail:
        if g.req.method == "GET":
            g.read()
            items = [policy_entity(g, p) for p in g.tenant.policies.values()]
            return _collection(g, items, POLICY_TYPE, POLICY_FIELDS, ctx)
        _method(g, "POST")
        g.write()
        body = g.req.json()
        _check_body(body, POLICY_TYPE, POLICY_WRITABLE, {"id", "alternateResourceUrl"},
                    ignore=("onPremisesConnectionId", "domainJoinConfiguration"))
        pol = {"id": str(uuid.uuid4()), "imageType": "gallery", "provisioningType": "dedicated",
               "enableSingleSignOn": False, "localAdminEnabled": False, "description": "", "managedBy": "windows365",
               **{k: v for k, v in body.items() if k in POLICY_WRITABLE}}
        if body.get("onPremisesConnectionId"):  # deprecated single-ANC form: still makes the ANC in use
            pol.setdefault("domainJoinConfigurations", [{"domainJoinType": "azureADJoin",
                                                         "onPremisesConnectionId": body["onPremisesConnectionId"]}])
        _validate_policy(g, pol)
        g.tenant.policies[pol["id"]] = pol
        return Response(201, _single(g, policy_entity(g, pol), POLICY_FIELDS, POLICY_FIELDS, ctx))
    pol = _policy(g, tail[0])
    if len(tail) == 1:
        if g.req.method == "GET":
            g.read()
            return Response(200, _single(g, policy_entity(g, pol), POLICY_FIELDS, POLICY_FIELDS, ctx))
        if g.req.method == "PATCH":
            g.write()
            body = g.req.json()
            _check_body(body, POLICY_TYPE, POLICY_WRITABLE, {"id", "alternateResourceUrl"})
            if "provisioningType" in body and body["provisioningType"] != pol.get("provisioningType"):
                raise ApiError(400, "BadRequest", "provisioningType can't be changed.")
            updated = {**pol, **{k: v for k, v in body.items() if k in POLICY_WRITABLE}}
            _validate_policy(g, updated)
            pol.clear()
            pol.update(updated)
            return Response(204)
        _method(g, "DELETE")
        g.write()
        del g.tenant.policies[pol["id"]]
        return Response(204)
    if len(tail) == 2 and _action(tail[1]) == "assign":
        _method(g, "POST")
        g.write()
        body = g.req.json()
        if not isinstance(body, dict) or not isinstance(body.get("assignments"), list):
            raise ApiError(400, "BadRequest", "The assignments parameter is required.")
        pol["_assignments"] = body["assignments"]
        return Response(204)
    raise ApiError(400, "BadRequest", f"Resource not found for the segment '{tail[-1]}'.")


# ---- service principals -----------------------------------------------------------------------------------------
def sp_entity(g, oid, obj) -> dict:
    return {"id": oid, "appId": obj.get("app_id"), "displayName": obj["display_name"],
            "servicePrincipalType": obj.get("service_principal_type", "Application"), "accountEnabled": True,
            "appOwnerOrganizationId": "f8cdef31-a31e-4b4a-93e4-5f571e91255a" if obj.get("app_id") == WINDOWS365_APP_ID
            else g.tenant.id, "servicePrincipalNames": [obj.get("app_id")] if obj.get("app_id") else [],
            "createdDateTime": iso(obj["created_at"])}


def service_principals(g, rest) -> Response:
    _method(g, "GET")
    g.need(DIRECTORY_READ, "", directory=True)
    sps = [(oid, o) for oid, o in g.tenant.directory.items() if o["type"] == "ServicePrincipal"]
    head = rest[0]
    m = re.match(r"^servicePrincipals\(appId='([^']*)'\)$", head, re.IGNORECASE)
    ctx = "servicePrincipals"
    if m and len(rest) == 1:
        app_id = m.group(1).lower()
        found = next(((oid, o) for oid, o in sps if (o.get("app_id") or "").lower() == app_id), None)
        if found is None:
            raise ApiError(404, "Request_ResourceNotFound",
                           f"Resource '{m.group(1)}' does not exist or one of its queried reference-property objects "
                           "are not present.")
        return Response(200, _single(g, {"@odata.type": "#microsoft.graph.servicePrincipal",
                                         **sp_entity(g, *found)}, SP_FIELDS, SP_FIELDS, ctx))
    if head.lower() == "serviceprincipals" and len(rest) == 1:
        items = [{"@odata.type": "#microsoft.graph.servicePrincipal", **sp_entity(g, oid, o)} for oid, o in sps]
        resp = _collection(g, items, "microsoft.graph.servicePrincipal", SP_FIELDS, ctx)
        for v in resp.body["value"]:
            v.pop("@odata.type", None)
        return resp
    if head.lower() == "serviceprincipals" and len(rest) == 2:
        obj = g.tenant.directory.get(rest[1].lower())
        if obj is None or obj["type"] != "ServicePrincipal":
            raise ApiError(404, "Request_ResourceNotFound",
                           f"Resource '{rest[1]}' does not exist or one of its queried reference-property objects "
                           "are not present.")
        return Response(200, _single(g, {"@odata.type": "#microsoft.graph.servicePrincipal",
                                         **sp_entity(g, rest[1].lower(), obj)}, SP_FIELDS, SP_FIELDS, ctx))
    raise ApiError(400, "BadRequest", f"Resource not found for the segment '{rest[-1]}'.")

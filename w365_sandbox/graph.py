"""Microsoft Graph (v1.0 and the beta paths the collection uses): routing, the OData helpers shared by the
Cloud PC resources (graph_anc, graph_images), and the service principal lookup."""

from __future__ import annotations

import datetime
import re

from .auth import authenticate
from .errors import ApiError
from .odata import check_query, page, parse_filter, parse_select
from .server import Response
from .world import WINDOWS365_APP_ID

READ_PERMS = {"cloudpc.read.all", "cloudpc.readwrite.all"}
WRITE_PERMS = {"cloudpc.readwrite.all"}
DIRECTORY_READ = {"application.read.all", "application.readwrite.all", "directory.read.all",
                  "directory.readwrite.all", "directory.accessasuser.all"}
# Directory roles a signed-in user needs for Cloud PC writes (Windows 365 docs: Intune Administrator or Windows 365
# Administrator; Global Administrator includes them). Template IDs from the Entra built-in roles reference.
CLOUD_PC_WRITE_ROLES = {"3a2c62db-5318-420d-8d74-23affee5d9d5": "Intune Administrator",
                        "11451d60-acb2-45eb-a7d6-43d0f0125c13": "Windows 365 Administrator",
                        "62e90394-69f5-4237-9190-012177145e10": "Global Administrator"}
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

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
        # Intune-style wording (the Cloud PC API is served by Intune); ASSUMED in docs/sandbox.md.
        who = "Application" if self.principal["kind"] == "app" else "User"
        raise ApiError(403, "Forbidden", f"{who} is not authorized to perform this operation. {who} must have one "
                                         f"of the following scopes: {scopes_text}")

    def read(self):
        self.need(READ_PERMS, "CloudPC.Read.All, CloudPC.ReadWrite.All")

    def write(self):
        """CloudPC.ReadWrite.All (delegated or application); a signed-in user also needs a directory role that may
        manage Cloud PCs: delegated permissions never exceed what the user could do."""
        self.need(WRITE_PERMS, "CloudPC.ReadWrite.All")
        if self.principal["kind"] == "user" and not (self.principal["wids"] & set(CLOUD_PC_WRITE_ROLES)):
            raise ApiError(403, "Forbidden", "User is not authorized to perform this operation. The signed-in user "
                                             "needs one of the directory roles: "
                                             + ", ".join(CLOUD_PC_WRITE_ROLES.values()) + ".")


def handle(emu, req) -> Response:
    segs = [s for s in req.path.split("/") if s]
    version = segs[0]
    tenant, principal = authenticate(emu, req, "graph")
    g = G(emu, req, tenant, principal, version)
    check_content_type(req)
    rest = segs[1:]
    from . import entra_apps
    routed = entra_apps.route(g, rest)
    if routed is not None:
        return routed
    if rest and rest[0].lower().startswith("serviceprincipals"):
        return service_principals(g, rest)
    if len(rest) >= 3 and rest[0].lower() == "devicemanagement" and rest[1].lower() == "virtualendpoint":
        from . import graph_anc, graph_images

        coll = rest[2].lower()
        tail = rest[3:]
        if tail == ["$count"] and coll in ("onpremisesconnections", "deviceimages", "provisioningpolicies",
                                           "galleryimages"):
            return _count(g, coll, rest[:3])
        if coll == "onpremisesconnections":
            return graph_anc.ancs(g, tail)
        if coll == "deviceimages":
            return graph_images.device_images(g, tail)
        if coll == "provisioningpolicies":
            return graph_images.policies(g, tail)
        if coll == "galleryimages":
            return gallery_images(g, tail)
        if coll == "supportedregions" and version == "beta":
            return supported_regions(g, tail)
        if coll in ("cloudpcs", "usersettings"):
            from . import graph_usage

            return graph_usage.cloud_pcs(g, tail) if coll == "cloudpcs" else graph_usage.user_settings(g, tail)
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


def check_content_type(req) -> None:
    """A request body must be JSON (learn.microsoft.com/graph/use-the-api: write requests send
    Content-Type: application/json). The message is the one Graph answers a body it cannot read as JSON with."""
    if req.method not in ("POST", "PATCH", "PUT") or not req.body:
        return
    ctype = (req.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    if ctype != "application/json" and not ctype.endswith("+json"):
        raise ApiError(400, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type header is "
                                          "set and payload is of valid JSON format.")


def check_action_body(g, action: str, parameters=()) -> dict:
    """The body of a bound action: only the parameters the action declares (CSDL); a parameterless action takes no
    body at all. Unknown parameters get the OData message Graph returns for them."""
    if not g.req.body or not g.req.body.strip():
        return {}
    if not parameters:
        raise ApiError(400, "BadRequest", f"The action '{action}' does not take parameters; send no request body.")
    body = g.req.json()
    if not isinstance(body, dict):
        raise ApiError(400, "BadRequest", "The request body must be a JSON object.")
    for key in body:
        if key not in parameters:
            raise ApiError(400, "BadRequest", f"The parameter '{key}' in the request payload is not a valid parameter "
                                              f"for the operation '{action}'.")
    return body


def _cloudpc(type_name) -> bool:
    return type_name.lower().startswith("microsoft.graph.cloudpc")


def _collection(g, items, type_name, props, context, expand=()):
    if g.req.method == "GET" and _cloudpc(type_name):
        check_query(g.req, g.version, ("$select", "$filter") + (("$expand",) if expand else ()))
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


def _single(g, entity, props, default, context, expand=()):
    if g.req.method == "GET" and _cloudpc(entity.get("@odata.type", "").lstrip("#")):
        check_query(g.req, g.version, ("$select",) + (("$expand",) if expand else ()))
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


def _count(g, coll, rest) -> Response:
    """`GET {collection}/$count`: the number of (filtered) items, as text/plain."""
    _method(g, "GET")
    saved = g.req.path, g.req.query
    g.req.path = "/" + "/".join([g.version, *rest])
    g.req.query = {k: v for k, v in saved[1].items() if k.lower() not in ("$top", "$skiptoken", "$select")}
    g.req.query.update({"$count": "true", "$top": "1"})
    try:
        inner = handle_collection(g, coll)
    finally:
        g.req.path, g.req.query = saved  # the request log shows what the client sent
    return Response(200, str(inner.body["@odata.count"]), {"Content-Type": "text/plain"})


def handle_collection(g, coll) -> Response:
    from . import graph_anc, graph_images

    if coll == "onpremisesconnections":
        return graph_anc.ancs(g, [])
    if coll == "deviceimages":
        return graph_images.device_images(g, [])
    if coll == "provisioningpolicies":
        return graph_images.policies(g, [])
    return gallery_images(g, [])


GALLERY_TYPE = "microsoft.graph.cloudPcGalleryImage"
GALLERY_FIELDS = ["id", "displayName", "publisherName", "offerName", "skuName", "sizeInGB", "startDate", "endDate",
                  "expirationDate", "status"]
GALLERY = [
    {"id": "microsoftwindowsdesktop_windows-ent-cpc_win11-24h2-ent-cpc-m365",
     "displayName": "Windows 11 Enterprise + Microsoft 365 Apps 24H2", "publisherName": "microsoftwindowsdesktop",
     "offerName": "windows-ent-cpc", "skuName": "win11-24h2-ent-cpc-m365", "sizeInGB": 64,
     "startDate": "2024-10-01", "endDate": "2026-10-13", "expirationDate": "2027-04-13", "status": "supported"},
    {"id": "microsoftwindowsdesktop_windows-ent-cpc_win11-24h2-ent-cpc",
     "displayName": "Windows 11 Enterprise 24H2", "publisherName": "microsoftwindowsdesktop",
     "offerName": "windows-ent-cpc", "skuName": "win11-24h2-ent-cpc", "sizeInGB": 64,
     "startDate": "2024-10-01", "endDate": "2026-10-13", "expirationDate": "2027-04-13", "status": "supported"},
    {"id": "microsoftwindowsdesktop_windows-ent-cpc_win10-22h2-ent-cpc-m365",
     "displayName": "Windows 10 Enterprise + Microsoft 365 Apps 22H2", "publisherName": "microsoftwindowsdesktop",
     "offerName": "windows-ent-cpc", "skuName": "win10-22h2-ent-cpc-m365", "sizeInGB": 64,
     "startDate": "2022-10-18", "endDate": "2025-10-14", "expirationDate": "2026-04-14",
     "status": "supportedWithWarning"},
]


def gallery_images(g, tail) -> Response:
    """Read-only gallery images (a fixed sample of Microsoft's catalogue)."""
    _method(g, "GET")
    g.read()
    ctx = "deviceManagement/virtualEndpoint/galleryImages"
    items = [{"@odata.type": "#" + GALLERY_TYPE, **i} for i in GALLERY]
    if not tail:
        return _collection(g, items, GALLERY_TYPE, GALLERY_FIELDS, ctx)
    found = next((i for i in items if i["id"].lower() == tail[0].lower()), None) if len(tail) == 1 else None
    if found is None:
        raise ApiError(404, "ResourceNotFound", f"The gallery image '{tail[0]}' was not found.")
    return Response(200, _single(g, found, GALLERY_FIELDS, GALLERY_FIELDS, ctx))


REGION_TYPE = "microsoft.graph.cloudPcSupportedRegion"
REGION_FIELDS = ["id", "displayName", "regionStatus", "supportedSolution", "regionGroup"]
# ASSUMED grouping for the sandbox's regions (Graph cloudPcRegionGroup members); anything else is "default".
_REGION_GROUPS = {"northeurope": "europeUnion", "westeurope": "europeUnion", "eastus": "usEast", "eastus2": "usEast",
                  "westus2": "usWest", "westus3": "usWest", "centralus": "usCentral", "southcentralus": "usCentral",
                  "uksouth": "unitedKingdom", "francecentral": "france", "germanywestcentral": "germany",
                  "japaneast": "japan", "australiaeast": "australia", "canadacentral": "canada",
                  "centralindia": "india", "brazilsouth": "southAmerica", "usgovvirginia": "usGovernment",
                  "usgovarizona": "usGovernment"}


def supported_regions(g, tail) -> Response:
    """Beta GET deviceManagement/virtualEndpoint/supportedRegions (learn.microsoft.com/graph/api/
    virtualendpoint-list-supportedregions?view=graph-rest-beta): CloudPC.Read.All, $select and $filter; each region
    with regionStatus (available, restricted, unavailable) and supportedSolution. The list is the seed's
    supported_regions with the statuses of its region_status."""
    _method(g, "GET")
    g.read()
    if tail:
        raise ApiError(400, "BadRequest", f"Resource not found for the segment '{tail[-1]}'.")
    status = g.emu.seed.get("region_status") or {}
    names = list(dict.fromkeys(list(g.emu.seed["supported_regions"]) + list(status)))
    items = [{"@odata.type": "#" + REGION_TYPE, "id": stable_region_id(name), "displayName": name,
              "regionStatus": status.get(name, "available"), "supportedSolution": "windows365",
              "regionGroup": _REGION_GROUPS.get(name, "default")} for name in names]
    resp = _collection(g, items, REGION_TYPE, REGION_FIELDS, "deviceManagement/virtualEndpoint/supportedRegions")
    for v in resp.body["value"]:
        v.pop("@odata.type", None)
    return resp


def stable_region_id(name: str) -> str:
    import uuid

    return str(uuid.uuid5(uuid.NAMESPACE_URL, "w365-sandbox/supportedRegions/" + name))

"""Microsoft Graph (v1.0 and the beta paths the collection uses): the one dispatch table, the service principal
lookup and beta supportedRegions. The resource modules (graph_anc, graph_images, graph_policies, graph_groups,
graph_usage) import their helpers from graph_common, never from here, so there is no import cycle."""

from __future__ import annotations

import re

from . import graph_anc, graph_groups, graph_images, graph_policies, graph_usage
from .auth import authenticate
from .errors import ApiError
from .graph_common import DIRECTORY_READ, G, _collection, _method, _single, check_content_type
from .graph_common import iso  # noqa: F401 (re-exported: other modules used graph.iso before graph_common existed)
from .messages import Response
from .world import WINDOWS365_APP_ID

SP_FIELDS = ["id", "appId", "displayName", "servicePrincipalType", "accountEnabled", "appOwnerOrganizationId",
             "servicePrincipalNames", "createdDateTime"]


def _ve_routes(version: str) -> dict:
    """deviceManagement/virtualEndpoint/{collection} -> handler(g, tail): the one Graph dispatch table."""
    routes = {"onpremisesconnections": graph_anc.ancs, "deviceimages": graph_images.device_images,
              "galleryimages": graph_images.gallery_images, "provisioningpolicies": graph_policies.policies,
              "cloudpcs": graph_usage.cloud_pcs, "usersettings": graph_usage.user_settings}
    if version == "beta":
        routes["supportedregions"] = supported_regions
    return routes


# Collections that answer GET {collection}/$count (the v1.0 description has these $count paths).
COUNTABLE = ("onpremisesconnections", "deviceimages", "provisioningpolicies", "galleryimages")


def handle(emu, req) -> Response:
    segs = [s for s in req.path.split("/") if s]
    version = segs[0]
    tenant, principal = authenticate(emu, req, "graph")
    g = G(emu, req, tenant, principal, version)
    check_content_type(req)
    rest = segs[1:]
    head = rest[0].lower() if rest else ""
    if head.startswith("serviceprincipals"):
        return service_principals(g, rest)
    if head == "groups":
        return graph_groups.groups(g, rest)
    if len(rest) >= 3 and head == "devicemanagement" and rest[1].lower() == "virtualendpoint":
        coll = rest[2].lower()
        tail = rest[3:]
        if tail == ["$count"] and coll in COUNTABLE:
            return _count(g, coll, rest[:3])
        route = _ve_routes(version).get(coll)
        if route is not None:
            return route(g, tail)
    raise ApiError(400, "BadRequest", f"Resource not found for the segment '{rest[-1] if rest else version}'.")


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
    return _ve_routes(g.version)[coll](g, [])


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

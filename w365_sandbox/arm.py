"""Azure Resource Manager: subscriptions, resource groups, virtual networks, subnets, usages, managed images,
role definitions, role assignments and permissions, with RBAC enforced from the seeded role assignments."""

from __future__ import annotations

import ipaddress
import re
import uuid

from . import api_versions, roles
from .auth import authenticate
from .arm_common import _method, _not_found, iso, ra_id, ra_json, rd_id, rd_json, vnet_id  # noqa: F401 (re-exported)
from .errors import ApiError
from .messages import Response

AUTHZ = "/providers/microsoft.authorization/"


def handle(emu, req) -> Response:
    if req.path.rstrip("/").lower() == "/metadata/endpoints":
        return metadata_endpoints(req)
    if not req.q("api-version"):
        raise ApiError(400, "MissingApiVersionParameter",
                       "The api-version query parameter (?api-version=) is required for all requests.")
    tenant, principal = authenticate(emu, req, "arm")
    try:
        resp = _handle(emu, req, tenant, principal)
    except ApiError as err:
        err.headers.update(rate_limit_headers(emu, req, principal))
        raise
    resp.headers.update(rate_limit_headers(emu, req, principal))
    return resp


# ---- cloud metadata ---------------------------------------------------------------------------------------------
# ARM serves the endpoints of its cloud at {resourceManager}/metadata/endpoints without sign-in, so tools can use an
# unknown cloud from its ARM URL alone (`az cloud register --endpoint-resource-manager`, Azure Stack Hub: "Use the
# API version profiles": `<ResourceManagerUrl>/metadata/endpoints?api-version=1.0` returns galleryEndpoint,
# graphEndpoint, portalEndpoint and authentication {loginEndpoint, audiences}). Newer api-versions (2019-05-01 and
# later, as Azure's public ARM answers) return a list of clouds. Audiences stay the real public-cloud ones: the
# sandbox tells Graph from ARM tokens by them (docs/sandbox.md).
_LEGACY_METADATA_VERSIONS = ("1.0", "2015-01-01")


def metadata_endpoints(req) -> Response:
    if req.method not in ("GET", "HEAD"):
        raise ApiError(405, "MethodNotAllowed", f"The requested resource does not support http method '{req.method}'.")
    base = req.base_url.rstrip("/") + "/"
    audiences = ["https://management.core.windows.net/", "https://management.azure.com/"]
    version = req.q("api-version")
    if version is None or version in _LEGACY_METADATA_VERSIONS:
        return Response(200, {"galleryEndpoint": base, "graphEndpoint": base, "portalEndpoint": base,
                              "authentication": {"loginEndpoint": base, "audiences": audiences}})
    if not re.match(r"^\d{4}-\d{2}-\d{2}$", version) or version < "2019-05-01":
        raise ApiError(400, "InvalidApiVersionParameter",
                       f"The api-version '{version}' is invalid. The supported versions are "
                       f"'2022-09-01,2020-06-01,2019-05-01,2015-01-01,1.0'.")
    return Response(200, [{
        "name": "W365Sandbox", "portal": base, "resourceManager": base, "graph": base,
        "microsoftGraphResourceId": "https://graph.microsoft.com/", "graphAudience": "https://graph.windows.net/",
        "authentication": {"loginEndpoint": base, "audiences": audiences, "tenant": "common",
                           "identityProvider": "AAD"},
        "media": base, "activeDirectoryDataLake": "", "batch": base, "gallery": base, "sqlManagement": base,
        "vmImageAliasDoc": "", "suffixes": {"acrLoginServer": "azurecr.io", "keyVaultDns": "vault.azure.net",
                                            "sqlServerHostname": "database.windows.net",
                                            "storage": "core.windows.net"},
    }])


# ---- rate-limit headers -----------------------------------------------------------------------------------------
# learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling: ARM reports what is left
# in x-ms-ratelimit-remaining-subscription-reads / -writes / -deletes (tenant-level requests: -tenant-reads /
# -writes), per security principal; the regional token bucket holds 250 reads (25 back per second) and 200 writes or
# deletes (10 back per second). The sandbox counts on its own clock and never throttles on these (fault rules do).
_BUCKETS = {"reads": (250, 25.0), "writes": (200, 10.0), "deletes": (200, 10.0)}


def rate_limit_headers(emu, req, principal) -> dict:
    kind = "reads" if req.method in ("GET", "HEAD") else "deletes" if req.method == "DELETE" else "writes"
    m = re.match(r"^/subscriptions/([^/]+)", req.path, re.IGNORECASE)
    scope = ("subscription", m.group(1).lower()) if m else ("tenant", "")
    size, refill = _BUCKETS[kind]
    buckets = emu.__dict__.setdefault("_ratelimit_buckets", {})
    key = (principal.get("oid"), scope, kind)
    level, last = buckets.get(key, (float(size), emu.now()))
    now = emu.now()
    level = min(float(size), level + max(now - last, 0.0) * refill) - 1.0
    buckets[key] = (max(level, 0.0), now)
    if scope[0] == "tenant" and kind == "deletes":
        kind = "writes"
    return {f"x-ms-ratelimit-remaining-{scope[0]}-{kind}": str(max(int(level), 0))}


def _handle(emu, req, tenant, principal) -> Response:
    ctx = Ctx(emu, req, tenant, principal)
    path = req.path.rstrip("/") or "/"
    api_versions.check(emu, tenant, [s for s in path.split("/") if s], req.q("api-version"))
    low = path.lower()
    idx = low.rfind(AUTHZ)
    if idx >= 0:
        scope = path[:idx] or "/"
        rest = [p for p in path[idx + len(AUTHZ):].split("/") if p]
        from .arm_rbac import authorization

        return authorization(ctx, scope, rest)
    segs = [s for s in path.split("/") if s]
    return resources(ctx, segs)


class Ctx:
    def __init__(self, emu, req, tenant, principal):
        self.emu = emu
        self.req = req
        self.tenant = tenant
        self.principal = principal
        self.oid = principal["oid"]

    def allowed(self, action: str, scope: str) -> bool:
        return self.tenant.principal_allows(self.oid, action, scope)

    def require(self, action: str, scope: str) -> None:
        if not self.allowed(action, scope):
            client = self.principal.get("upn") or self.principal.get("appid") or self.oid
            raise ApiError(403, "AuthorizationFailed",
                           f"The client '{client}' with object id '{self.oid}' does not have authorization to perform "
                           f"action '{action}' over scope '{scope}' or the scope is invalid. If access was recently "
                           "granted, please refresh your credentials.")

    def subscription(self, sub_id: str):
        t, sub = self.emu.subscription(sub_id)
        if sub is None:
            raise ApiError(404, "SubscriptionNotFound", f"The subscription '{sub_id}' could not be found.")
        if t is not self.tenant:
            raise ApiError(401, "InvalidAuthenticationTokenTenant",
                           f"The access token is from the wrong issuer 'https://sts.windows.net/{self.tenant.id}/'. "
                           f"It must match the tenant 'https://sts.windows.net/{t.id}/' associated with this "
                           f"subscription. Please use the authority (URL) 'https://login.windows.net/{t.id}' to get "
                           "the token. Note, if the subscription is transferred to another tenant there is no impact "
                           "to the services, but information about new tenant could take time to propagate (up to an "
                           "hour). If you just transferred your subscription and see this error message, please try "
                           "back later.")
        return sub

    def resource_group(self, sub, name: str):
        rg = sub.resource_groups.get(name.lower())
        if rg is None:
            raise ApiError(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.")
        return rg


# ---- JSON shapes ------------------------------------------------------------------------------------------------
def subscription_json(tenant, sub) -> dict:
    return {"id": f"/subscriptions/{sub.id}", "authorizationSource": "RoleBased", "managedByTenants": [],
            "subscriptionId": sub.id, "tenantId": tenant.id, "displayName": sub.name, "state": sub.state,
            "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01", "quotaId": "PayAsYouGo_2014-09-01",
                                     "spendingLimit": "Off"}}


def rg_json(rg) -> dict:
    body = {"id": rg.id, "name": rg.name, "type": "Microsoft.Resources/resourceGroups", "location": rg.location,
            "properties": {"provisioningState": "Succeeded"}}
    if rg.tags:
        body["tags"] = dict(rg.tags)
    return body


def _etag(*parts) -> str:
    return f'W/"{uuid.uuid5(uuid.NAMESPACE_URL, "/".join(parts))}"'


def subnet_json(rg, vnet, subnet) -> dict:
    sid = f"{vnet_id(rg, vnet)}/subnets/{subnet['name']}"
    delegations = []
    for i, service in enumerate(subnet["delegations"]):
        delegations.append({
            "name": f"delegation{i}", "id": f"{sid}/delegations/delegation{i}", "etag": _etag(sid, service),
            "type": "Microsoft.Network/virtualNetworks/subnets/delegations",
            "properties": {"serviceName": service, "actions": [], "provisioningState": "Succeeded"},
        })
    return {"name": subnet["name"], "id": sid, "etag": _etag(sid), "type": "Microsoft.Network/virtualNetworks/subnets",
            "properties": {"provisioningState": "Succeeded", "addressPrefix": subnet["prefix"],
                           "delegations": delegations, "privateEndpointNetworkPolicies": "Disabled",
                           "privateLinkServiceNetworkPolicies": "Enabled"}}


def vnet_json(rg, vnet) -> dict:
    vid = vnet_id(rg, vnet)
    props = {"provisioningState": "Succeeded", "resourceGuid": vnet["resource_guid"],
             "addressSpace": {"addressPrefixes": list(vnet["address_space"])},
             "subnets": [subnet_json(rg, vnet, s) for s in vnet["subnets"]], "virtualNetworkPeerings": [],
             "enableDdosProtection": False}
    if vnet["dns_servers"]:
        props["dhcpOptions"] = {"dnsServers": list(vnet["dns_servers"])}
    body = {"name": vnet["name"], "id": vid, "etag": _etag(vid), "type": "Microsoft.Network/virtualNetworks",
            "location": vnet["location"], "properties": props}
    if vnet["tags"]:
        body["tags"] = dict(vnet["tags"])
    return body


def image_json(rg, image) -> dict:
    iid = f"{rg.id}/providers/Microsoft.Compute/images/{image['name']}"
    return {"name": image["name"], "id": iid, "type": "Microsoft.Compute/images", "location": image["location"],
            "properties": {
                "storageProfile": {
                    "osDisk": {"osType": image["os_type"],
                               "osState": "Generalized" if image["generalized"] else "Specialized",
                               "diskSizeGB": image["size_gb"], "caching": "ReadWrite",
                               "storageAccountType": "Premium_LRS",
                               "managedDisk": {"id": f"/subscriptions/{rg.subscription_id}/resourceGroups/{rg.name}"
                                                     f"/providers/Microsoft.Compute/disks/{image['name']}-osdisk"}},
                    "dataDisks": [{"lun": n, "caching": "None", "diskSizeGB": 32, "storageAccountType": "Premium_LRS",
                                   "managedDisk": {"id": f"/subscriptions/{rg.subscription_id}/resourceGroups/"
                                                         f"{rg.name}/providers/Microsoft.Compute/disks/"
                                                         f"{image['name']}-data{n}"}}
                                  for n in range(image.get("data_disks", 0))],
                    "zoneResilient": False},
                "provisioningState": "Succeeded", "hyperVGeneration": f"V{image['generation']}"}}


def gallery_id(rg, gallery) -> str:
    return f"{rg.id}/providers/Microsoft.Compute/galleries/{gallery['name']}"


def gallery_json(rg, gallery) -> dict:
    """Microsoft.Compute/galleries (GalleryRP 2024-03-03, Galleries_Get)."""
    gid = gallery_id(rg, gallery)
    return {"name": gallery["name"], "id": gid, "type": "Microsoft.Compute/galleries", "location": gallery["location"],
            "properties": {"identifier": {"uniqueName": f"{rg.subscription_id}-{gallery['name'].upper()}"},
                           "provisioningState": "Succeeded"}}


def gallery_image_json(rg, gallery, definition) -> dict:
    """Microsoft.Compute/galleries/images, the image definition (GalleryImages_Get): OS type, OS state, generation."""
    did = f"{gallery_id(rg, gallery)}/images/{definition['name']}"
    return {"name": definition["name"], "id": did, "type": "Microsoft.Compute/galleries/images",
            "location": gallery["location"],
            "properties": {"osType": definition["os_type"],
                           "osState": "Generalized" if definition["generalized"] else "Specialized",
                           "hyperVGeneration": f"V{definition['generation']}",
                           "identifier": {"publisher": "Contoso", "offer": "CloudPC", "sku": definition["name"]},
                           "provisioningState": "Succeeded"}}


def gallery_version_json(rg, gallery, definition, version) -> dict:
    """Microsoft.Compute/galleries/images/versions (GalleryImageVersions_Get): disk sizes and data disks."""
    did = f"{gallery_id(rg, gallery)}/images/{definition['name']}"
    return {"name": version["name"], "id": f"{did}/versions/{version['name']}",
            "type": "Microsoft.Compute/galleries/images/versions", "location": gallery["location"],
            "properties": {
                "publishingProfile": {"targetRegions": [{"name": gallery["location"], "regionalReplicaCount": 1,
                                                         "storageAccountType": "Standard_LRS"}],
                                      "replicaCount": 1, "excludeFromLatest": False,
                                      "publishedDate": "2026-01-01T00:00:00.0000000+00:00",
                                      "storageAccountType": "Standard_LRS"},
                "storageProfile": {"osDiskImage": {"sizeInGB": version["size_gb"], "hostCaching": "ReadWrite"},
                                   "dataDiskImages": [{"lun": n, "sizeInGB": 32, "hostCaching": "None"}
                                                      for n in range(version["data_disks"])]},
                "provisioningState": "Succeeded"}}


# ---- resources --------------------------------------------------------------------------------------------------
def resources(ctx: Ctx, segs) -> Response:
    n = len(segs)
    if n == 0 or segs[0].lower() != "subscriptions":
        raise ApiError(404, "InvalidResourceType", f"No ARM resource at '{ctx.req.path}' in the sandbox.")
    if n == 1:
        _method(ctx, "GET")
        subs = [subscription_json(ctx.tenant, s) for s in ctx.tenant.subscriptions.values()
                if _any_access(ctx, f"/subscriptions/{s.id}")]
        return Response(200, {"value": subs, "count": {"type": "Total", "value": len(subs)}})
    sub = ctx.subscription(segs[1])
    sub_scope = f"/subscriptions/{sub.id}"
    if n == 2:
        _method(ctx, "GET")
        if not _any_access(ctx, sub_scope):
            ctx.require("Microsoft.Resources/subscriptions/read", sub_scope)
        return Response(200, subscription_json(ctx.tenant, sub))
    kind = segs[2].lower()
    if kind == "providers" and n == 5 and segs[3].lower() == "microsoft.network" and segs[4].lower() == "virtualnetworks":
        _method(ctx, "GET")
        items = [vnet_json(rg, v) for rg in sub.resource_groups.values() for v in rg.vnets.values()
                 if ctx.allowed("Microsoft.Network/virtualNetworks/read", vnet_id(rg, v))]
        return Response(200, {"value": items})
    if kind != "resourcegroups":
        raise ApiError(404, "InvalidResourceType", f"No ARM resource at '{ctx.req.path}' in the sandbox.")
    if n == 3:
        _method(ctx, "GET")
        items = [rg_json(rg) for rg in sub.resource_groups.values()
                 if ctx.allowed("Microsoft.Resources/subscriptions/resourceGroups/read", rg.id)]
        return Response(200, {"value": items})
    rg_name = segs[3]
    rg_scope = f"{sub_scope}/resourceGroups/{rg_name}"
    if n == 4:
        return resource_group(ctx, sub, rg_name, rg_scope)
    if n < 7 or segs[4].lower() != "providers":
        raise ApiError(404, "InvalidResourceType", f"No ARM resource at '{ctx.req.path}' in the sandbox.")
    ns, rtype, rest = segs[5].lower(), segs[6].lower(), segs[7:]
    _method(ctx, "GET")
    if ns == "microsoft.network" and rtype == "virtualnetworks":
        return network(ctx, sub, rg_name, rg_scope, rest)
    if ns == "microsoft.compute" and rtype == "images":
        if not rest:
            ctx.require("Microsoft.Compute/images/read", rg_scope)
            rg = ctx.resource_group(sub, rg_name)
            return Response(200, {"value": [image_json(rg, i) for i in rg.images.values()]})
        if len(rest) == 1:
            ctx.require("Microsoft.Compute/images/read", f"{rg_scope}/providers/Microsoft.Compute/images/{rest[0]}")
            rg = ctx.resource_group(sub, rg_name)
            image = rg.images.get(rest[0].lower())
            if image is None:
                raise _not_found("Microsoft.Compute/images", rest[0], rg.name)
            return Response(200, image_json(rg, image))
    if ns == "microsoft.compute" and rtype == "galleries":
        return galleries(ctx, sub, rg_name, rg_scope, rest)
    raise ApiError(404, "InvalidResourceType",
                   f"The resource type '{segs[6]}' could not be found in the namespace '{segs[5]}' in the sandbox.")


def galleries(ctx, sub, rg_name, rg_scope, rest) -> Response:
    """GET a gallery, an image definition or an image version (Azure Compute Gallery, read-only in the sandbox)."""
    if len(rest) not in (1, 3, 5) or (len(rest) >= 3 and rest[1].lower() != "images") or (
            len(rest) == 5 and rest[3].lower() != "versions"):
        raise ApiError(404, "InvalidResourceType", f"No ARM resource at '{ctx.req.path}' in the sandbox.")
    action = {1: "Microsoft.Compute/galleries/read", 3: "Microsoft.Compute/galleries/images/read",
              5: "Microsoft.Compute/galleries/images/versions/read"}[len(rest)]
    ctx.require(action, f"{rg_scope}/providers/Microsoft.Compute/galleries/{'/'.join(rest)}")
    rg = ctx.resource_group(sub, rg_name)
    gallery = rg.galleries.get(rest[0].lower())
    if gallery is None:
        raise _not_found("Microsoft.Compute/galleries", rest[0], rg.name)
    if len(rest) == 1:
        return Response(200, gallery_json(rg, gallery))
    definition = next((d for d in gallery["images"] if d["name"].lower() == rest[2].lower()), None)
    if definition is None:
        raise _not_found("Microsoft.Compute/galleries/images", f"{rest[0]}/{rest[2]}", rg.name)
    if len(rest) == 3:
        return Response(200, gallery_image_json(rg, gallery, definition))
    version = next((v for v in definition["versions"] if v["name"] == rest[4]), None)
    if version is None:
        raise _not_found("Microsoft.Compute/galleries/images/versions", f"{rest[0]}/{rest[2]}/{rest[4]}", rg.name)
    return Response(200, gallery_version_json(rg, gallery, definition, version))


def _any_access(ctx, scope: str) -> bool:
    """Azure lists a subscription to anyone with any role at, above or inside it."""
    s = scope.lower()
    return any(
        ra["principal_id"] == ctx.oid
        and (roles.scope_covers(ra["scope"], scope) or ra["scope"].lower().startswith(s + "/"))
        for ra in ctx.tenant.role_assignments
    )


def resource_group(ctx, sub, rg_name, rg_scope) -> Response:
    method = ctx.req.method
    if method in ("GET", "HEAD"):
        ctx.require("Microsoft.Resources/subscriptions/resourceGroups/read", rg_scope)
        rg = sub.resource_groups.get(rg_name.lower())
        if method == "HEAD":
            return Response(204 if rg else 404)
        if rg is None:
            raise ApiError(404, "ResourceGroupNotFound", f"Resource group '{rg_name}' could not be found.")
        return Response(200, rg_json(rg))
    if method in ("PUT", "PATCH"):
        ctx.require("Microsoft.Resources/subscriptions/resourceGroups/write", rg_scope)
        body = ctx.req.json()
        existing = sub.resource_groups.get(rg_name.lower())
        if method == "PATCH" and existing is None:
            raise ApiError(404, "ResourceGroupNotFound", f"Resource group '{rg_name}' could not be found.")
        if not isinstance(body, dict):
            raise ApiError(400, "InvalidRequestContent",
                           "The request content was invalid and could not be deserialized.")
        location = body.get("location")
        tags = body.get("tags")
        if tags is not None and not isinstance(tags, dict):
            raise ApiError(400, "InvalidRequestContent", "tags must be an object of strings.")
        if existing is None:
            if not re.match(r"^[-\w._()]{1,90}$", rg_name) or rg_name.endswith("."):
                raise ApiError(400, "InvalidResourceGroup", f"The provided resource group name '{rg_name}' has "
                                                            "these invalid characters.")
            if not isinstance(location, str) or not location:
                raise ApiError(400, "LocationRequired", "The location property is required for this definition.")
            from .world import ResourceGroup

            rg = ResourceGroup(subscription_id=sub.id, name=rg_name, location=location.replace(" ", "").lower(),
                               tags=tags or {})
            sub.resource_groups[rg_name.lower()] = rg
            return Response(201, rg_json(rg))
        if method == "PUT" and isinstance(location, str) and location.replace(" ", "").lower() != existing.location:
            raise ApiError(409, "InvalidResourceGroupLocation",
                           f"Invalid resource group location '{location}'. The Resource group already exists in "
                           f"location '{existing.location}'.")
        if tags is not None or method == "PUT":
            existing.tags = dict(tags or {})
        return Response(200, rg_json(existing))
    raise ApiError(405, "MethodNotAllowed", f"The requested resource does not support http method '{method}'.")


def network(ctx, sub, rg_name, rg_scope, rest) -> Response:
    if not rest:
        ctx.require("Microsoft.Network/virtualNetworks/read", rg_scope)
        rg = ctx.resource_group(sub, rg_name)
        return Response(200, {"value": [vnet_json(rg, v) for v in rg.vnets.values()]})
    vscope = f"{rg_scope}/providers/Microsoft.Network/virtualNetworks/{rest[0]}"
    if len(rest) == 1:
        ctx.require("Microsoft.Network/virtualNetworks/read", vscope)
    elif rest[1].lower() == "usages" and len(rest) == 2:
        ctx.require("Microsoft.Network/virtualNetworks/usages/read", vscope)
    elif rest[1].lower() == "subnets" and len(rest) in (2, 3):
        ctx.require("Microsoft.Network/virtualNetworks/subnets/read",
                    vscope + (f"/subnets/{rest[2]}" if len(rest) == 3 else ""))
    else:
        raise ApiError(404, "InvalidResourceType", f"No ARM resource at '{ctx.req.path}' in the sandbox.")
    rg = ctx.resource_group(sub, rg_name)
    vnet = rg.vnets.get(rest[0].lower())
    if vnet is None:
        raise _not_found("Microsoft.Network/virtualNetworks", rest[0], rg.name)
    if len(rest) == 1:
        return Response(200, vnet_json(rg, vnet))
    if rest[1].lower() == "usages":
        values = []
        for s in vnet["subnets"]:
            size = ipaddress.ip_network(s["prefix"]).num_addresses
            values.append({"currentValue": float(s["used_ips"]), "id": f"{vnet_id(rg, vnet)}/subnets/{s['name']}",
                           "limit": float(size - 5),
                           "name": {"localizedValue": "Subnet size and usage", "value": "Subnet size and usage"},
                           "unit": "Count"})
        return Response(200, {"value": values})
    if len(rest) == 2:
        return Response(200, {"value": [subnet_json(rg, vnet, s) for s in vnet["subnets"]]})
    subnet = next((s for s in vnet["subnets"] if s["name"].lower() == rest[2].lower()), None)
    if subnet is None:
        raise ApiError(404, "NotFound", f"Resource '{vscope}/subnets/{rest[2]}' not found.")
    return Response(200, subnet_json(rg, vnet, subnet))

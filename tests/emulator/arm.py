"""Azure Resource Manager: subscriptions, resource groups, virtual networks, subnets, usages, managed images,
role definitions, role assignments and permissions, with RBAC enforced from the seeded role assignments."""

from __future__ import annotations

import datetime
import ipaddress
import re
import uuid

from . import roles
from .auth import authenticate
from .errors import ApiError
from .server import Response

AUTHZ = "/providers/microsoft.authorization/"


def iso(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def handle(emu, req) -> Response:
    if not req.q("api-version"):
        raise ApiError(400, "MissingApiVersionParameter",
                       "The api-version query parameter (?api-version=) is required for all requests.")
    tenant, principal = authenticate(emu, req, "arm")
    ctx = Ctx(emu, req, tenant, principal)
    path = req.path.rstrip("/") or "/"
    low = path.lower()
    idx = low.rfind(AUTHZ)
    if idx >= 0:
        scope = path[:idx] or "/"
        rest = [p for p in path[idx + len(AUTHZ):].split("/") if p]
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
            raise ApiError(403, "AuthorizationFailed",
                           f"The client '{self.principal.get('upn') or self.oid}' with object id '{self.oid}' does "
                           f"not have authorization to perform action '{action}' over scope '{scope}' or the scope "
                           "is invalid. If access was recently granted, please refresh your credentials.")

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


def _not_found(rtype: str, name: str, rg: str) -> ApiError:
    return ApiError(404, "ResourceNotFound",
                    f"The Resource '{rtype}/{name}' under resource group '{rg}' was not found. For more details "
                    "please go to https://aka.ms/ARMResourceNotFoundFix")


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


def vnet_id(rg, vnet) -> str:
    return f"{rg.id}/providers/Microsoft.Network/virtualNetworks/{vnet['name']}"


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
                    "dataDisks": [], "zoneResilient": False},
                "provisioningState": "Succeeded", "hyperVGeneration": f"V{image['generation']}"}}


def ra_id(scope: str, name: str) -> str:
    return f"{'' if scope == '/' else scope}/providers/Microsoft.Authorization/roleAssignments/{name}"


def rd_id(scope: str, guid: str) -> str:
    m = re.match(r"^/subscriptions/([^/]+)", scope, re.IGNORECASE)
    prefix = f"/subscriptions/{m.group(1)}" if m else ""
    return f"{prefix}/providers/Microsoft.Authorization/roleDefinitions/{guid}"


def ra_json(ra) -> dict:
    return {"properties": {"roleDefinitionId": rd_id(ra["scope"], ra["role"]), "principalId": ra["principal_id"],
                           "principalType": ra["principal_type"], "scope": ra["scope"], "condition": None,
                           "conditionVersion": None, "createdOn": iso(ra["created_on"]),
                           "updatedOn": iso(ra["updated_on"]), "createdBy": ra["created_by"],
                           "updatedBy": ra["created_by"], "delegatedManagedIdentityResourceId": None,
                           "description": None},
            "id": ra_id(ra["scope"], ra["name"]), "type": "Microsoft.Authorization/roleAssignments",
            "name": ra["name"]}


def rd_json(scope: str, role) -> dict:
    name, guid, desc, actions, not_actions = role
    return {"properties": {"roleName": name, "type": "BuiltInRole", "description": desc, "assignableScopes": ["/"],
                           "permissions": [{"actions": list(actions), "notActions": list(not_actions),
                                            "dataActions": [], "notDataActions": []}],
                           "createdOn": "2015-02-02T21:55:09.880Z", "updatedOn": "2024-01-01T00:00:00.000Z",
                           "createdBy": None, "updatedBy": None},
            "id": rd_id(scope, guid), "type": "Microsoft.Authorization/roleDefinitions", "name": guid}


# ---- resources --------------------------------------------------------------------------------------------------
def _method(ctx, *allowed):
    if ctx.req.method not in allowed:
        raise ApiError(405, "MethodNotAllowed",
                       f"The requested resource does not support http method '{ctx.req.method}'.")


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
    raise ApiError(404, "InvalidResourceType",
                   f"The resource type '{segs[6]}' could not be found in the namespace '{segs[5]}' in the sandbox.")


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


# ---- Microsoft.Authorization ------------------------------------------------------------------------------------
def resolve_scope(ctx, scope: str) -> str:
    """Check that the scope exists (after RBAC has been checked by the caller); return its canonical form."""
    if scope == "/":
        return "/"
    segs = [s for s in scope.split("/") if s]
    if segs[0].lower() != "subscriptions" or len(segs) < 2:
        raise ApiError(400, "InvalidScope", f"The scope '{scope}' is not valid.")
    sub = ctx.subscription(segs[1])
    canonical = f"/subscriptions/{sub.id}"
    if len(segs) == 2:
        return canonical
    if segs[2].lower() != "resourcegroups" or len(segs) < 4:
        raise ApiError(400, "InvalidScope", f"The scope '{scope}' is not valid.")
    rg = ctx.resource_group(sub, segs[3])
    if len(segs) == 4:
        return rg.id
    rest = [s.lower() for s in segs[4:]]
    if len(rest) >= 4 and rest[:3] == ["providers", "microsoft.network", "virtualnetworks"]:
        vnet = rg.vnets.get(rest[3])
        if vnet is None:
            raise _not_found("Microsoft.Network/virtualNetworks", segs[7], rg.name)
        if len(rest) == 4:
            return vnet_id(rg, vnet)
        if len(rest) == 6 and rest[4] == "subnets":
            subnet = next((s for s in vnet["subnets"] if s["name"].lower() == rest[5]), None)
            if subnet is None:
                raise ApiError(404, "NotFound", f"Resource '{scope}' not found.")
            return f"{vnet_id(rg, vnet)}/subnets/{subnet['name']}"
    if len(rest) == 4 and rest[:3] == ["providers", "microsoft.compute", "images"]:
        image = rg.images.get(rest[3])
        if image is None:
            raise _not_found("Microsoft.Compute/images", segs[7], rg.name)
        return f"{rg.id}/providers/Microsoft.Compute/images/{image['name']}"
    raise ApiError(404, "ResourceNotFound", f"The Resource '{scope}' was not found in the sandbox.")


def authorization(ctx, scope: str, rest) -> Response:
    kind = rest[0].lower() if rest else ""
    if scope != "/" and scope.lower().startswith("/subscriptions/"):
        ctx.subscription(scope.split("/")[2])  # tenant and existence first, as ARM does
    if kind == "roleassignments":
        return role_assignments(ctx, scope, rest[1:])
    if kind == "roledefinitions":
        return role_definitions(ctx, scope, rest[1:])
    if kind == "permissions" and len(rest) == 1:
        _method(ctx, "GET")
        canonical = resolve_scope(ctx, scope)
        values = []
        for ra in ctx.tenant.assignments_covering(ctx.oid, canonical):
            role = roles.role_by_guid(ra["role"])
            if role:
                values.append({"actions": list(role[3]), "notActions": list(role[4]), "dataActions": [],
                               "notDataActions": []})
        return Response(200, {"value": values})
    raise ApiError(404, "InvalidResourceType",
                   f"The resource type '{rest[0] if rest else ''}' could not be found in the namespace "
                   "'Microsoft.Authorization' in the sandbox.")


_FILTER_TOKEN = re.compile(
    r"^\s*(?:(?P<at>atScope\(\))|assignedTo\('(?P<to>[^']*)'\)|principalId\s+eq\s+'(?P<pid>[^']*)')\s*$",
    re.IGNORECASE)


def _parse_ra_filter(text):
    at, principal = False, None
    if not text:
        return at, principal
    for clause in re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE):
        m = _FILTER_TOKEN.match(clause)
        if not m:
            raise ApiError(400, "UnsupportedQuery", f"The filter '{text}' is not supported. Supported filters are "
                                                    "either 'atScope()', 'assignedTo('{value}')' or "
                                                    "'principalId eq '{value}''.")
        if m.group("at"):
            at = True
        else:
            principal = (m.group("to") or m.group("pid")).lower()
    return at, principal


def role_assignments(ctx, scope, rest) -> Response:
    method = ctx.req.method
    if not rest:
        _method(ctx, "GET")
        ctx.require("Microsoft.Authorization/roleAssignments/read", scope)
        canonical = resolve_scope(ctx, scope)
        at, principal = _parse_ra_filter(ctx.req.q("$filter"))
        low = canonical.lower().rstrip("/")
        out = []
        for ra in ctx.tenant.role_assignments:
            above = roles.scope_covers(ra["scope"], canonical)
            below = ra["scope"].lower().startswith(low + "/") or low == ""
            if not (above or (below and not at)):
                continue
            if principal and ra["principal_id"] != principal:
                continue
            out.append(ra_json(ra))
        return Response(200, {"value": out})
    if len(rest) != 1:
        raise ApiError(404, "InvalidResourceType", "No such role assignment path.")
    name = rest[0].lower()
    if method == "GET":
        ctx.require("Microsoft.Authorization/roleAssignments/read", scope)
        canonical = resolve_scope(ctx, scope)
        ra = _find_ra(ctx.tenant, canonical, name)
        if ra is None:
            raise ApiError(404, "RoleAssignmentNotFound", f"The role assignment '{rest[0]}' is not found.")
        return Response(200, ra_json(ra))
    if method == "PUT":
        return create_role_assignment(ctx, scope, name)
    if method == "DELETE":
        ctx.require("Microsoft.Authorization/roleAssignments/delete", scope)
        canonical = resolve_scope(ctx, scope)
        ra = _find_ra(ctx.tenant, canonical, name)
        if ra is None:
            return Response(204)
        ctx.tenant.role_assignments.remove(ra)
        return Response(200, ra_json(ra))
    raise ApiError(405, "MethodNotAllowed", f"The requested resource does not support http method '{method}'.")


def _find_ra(tenant, scope, name):
    return next((ra for ra in tenant.role_assignments
                 if ra["name"] == name and ra["scope"].lower() == scope.lower()), None)


def create_role_assignment(ctx, scope, name) -> Response:
    if not roles.GUID_RE.match(name):
        raise ApiError(400, "InvalidRoleAssignmentId",
                       f"The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID.")
    ctx.require("Microsoft.Authorization/roleAssignments/write", scope)
    canonical = resolve_scope(ctx, scope)
    body = ctx.req.json()
    props = body.get("properties") if isinstance(body, dict) else None
    if not isinstance(props, dict):
        raise ApiError(400, "InvalidRequestContent", "The request content was invalid: 'properties' is required.")
    rd = props.get("roleDefinitionId")
    if not isinstance(rd, str) or not rd:
        raise ApiError(400, "InvalidRoleDefinitionId", "The role definition ID '' is not valid.")
    role_guid_text = rd.rstrip("/").split("/")[-1].lower()
    m = re.match(r"^(/subscriptions/[^/]+)?/providers/microsoft\.authorization/roledefinitions/[^/]+$", rd,
                 re.IGNORECASE)
    if not m or not roles.GUID_RE.match(role_guid_text):
        raise ApiError(400, "InvalidRoleDefinitionId", f"The role definition ID '{rd}' is not valid.")
    if roles.role_by_guid(role_guid_text) is None:
        raise ApiError(400, "RoleDefinitionDoesNotExist",
                       f"The specified role definition with ID '{role_guid_text}' does not exist.")
    pid = props.get("principalId")
    if not isinstance(pid, str) or not roles.GUID_RE.match(pid):
        raise ApiError(400, "InvalidPrincipalId", "A valid principal ID must be provided for role assignment.")
    pid = pid.lower()
    ptype = props.get("principalType")
    if ptype is not None and ptype not in ("User", "Group", "ServicePrincipal", "ForeignGroup", "Device"):
        raise ApiError(400, "InvalidPrincipalType", f"The principal type '{ptype}' is not valid.")
    tenant = ctx.tenant
    obj = tenant.directory.get(pid)
    young = obj is not None and ctx.emu.now() - obj["created_at"] < tenant.principal_replication_seconds
    bypass = ptype is not None and tenant.principal_type_bypasses_replication
    if obj is None or (young and not bypass):
        raise ApiError(400, "PrincipalNotFound",
                       f"Principal {pid.replace('-', '')} does not exist in the directory {tenant.id}. Check that "
                       "you have the correct principal ID. If you are creating this principal and then immediately "
                       "assigning a role, this error might be related to a replication delay. In this case, set the "
                       "role assignment principalType property to a value, such as ServicePrincipal, User, or Group. "
                       " See https://aka.ms/docs-principaltype")
    if ptype is not None and ptype != obj["type"]:
        raise ApiError(400, "UnmatchedPrincipalType",
                       f"The PrincipalId '{pid.replace('-', '')}' has type '{obj['type']}' , which is different "
                       f"from specified PrincipalType '{ptype}'.")
    existing = next((ra for ra in tenant.role_assignments if ra["name"] == name), None)
    if existing is not None:
        same = (existing["scope"].lower() == canonical.lower() and existing["role"] == role_guid_text
                and existing["principal_id"] == pid)
        if same:
            raise ApiError(409, "RoleAssignmentExists", "The role assignment already exists.")
        raise ApiError(400, "RoleAssignmentUpdateNotPermitted",
                       "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.")
    for ra in tenant.role_assignments:
        if ra["scope"].lower() == canonical.lower() and ra["role"] == role_guid_text and ra["principal_id"] == pid:
            raise ApiError(409, "RoleAssignmentExists", "The role assignment already exists.")
    now = ctx.emu.now()
    ra = {"name": name, "scope": canonical, "role": role_guid_text, "principal_id": pid,
          "principal_type": ptype or obj["type"], "created_on": now, "updated_on": now, "created_by": ctx.oid}
    tenant.role_assignments.append(ra)
    return Response(201, ra_json(ra))


def role_definitions(ctx, scope, rest) -> Response:
    _method(ctx, "GET")
    if scope != "/":
        ctx.require("Microsoft.Authorization/roleDefinitions/read", scope)
    canonical = resolve_scope(ctx, scope)
    if rest:
        role = roles.role_by_guid(rest[0]) if len(rest) == 1 else None
        if role is None:
            raise ApiError(404, "RoleDefinitionDoesNotExist",
                           f"The specified role definition with ID '{rest[0]}' does not exist.")
        return Response(200, rd_json(canonical, role))
    text = ctx.req.q("$filter")
    name_filter, type_filter = None, None
    if text:
        m = re.match(r"^\s*roleName\s+eq\s+'((?:[^']|'')*)'\s*$", text, re.IGNORECASE)
        t = re.match(r"^\s*type\s+eq\s+'([^']*)'\s*$", text, re.IGNORECASE)
        if m:
            name_filter = m.group(1).replace("''", "'")
        elif t:
            type_filter = t.group(1)
        else:
            raise ApiError(400, "UnsupportedQuery", f"The filter '{text}' is not supported. Supported filters are "
                                                    "roleName eq '{value}' and type eq 'BuiltInRole|CustomRole'.")
    out = []
    for role in roles.all_roles():
        if name_filter is not None and role[0].lower() != name_filter.lower():
            continue
        if type_filter is not None and type_filter.lower() != "builtinrole":
            continue
        out.append(rd_json(canonical, role))
    return Response(200, {"value": out})

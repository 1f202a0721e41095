"""ARM Microsoft.Authorization: role definitions, role assignments and the caller's permissions at a scope."""

from __future__ import annotations

import re

from . import roles
from .arm_common import _method, _not_found, ra_json, rd_json, vnet_id
from .errors import ApiError
from .messages import Response


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
    description, condition, condition_version = _optional_properties(props)
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
        if not same:
            raise ApiError(400, "RoleAssignmentUpdateNotPermitted",
                           "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.")
        if (existing.get("description"), existing.get("condition"), existing.get("condition_version")) \
                == (description, condition, condition_version):
            raise ApiError(409, "RoleAssignmentExists", "The role assignment already exists.")
        # A PUT on the same assignment may change what the API documents as changeable (description, condition).
        existing.update(description=description, condition=condition, condition_version=condition_version,
                        updated_on=ctx.emu.now(), updated_by=ctx.oid)
        return Response(200, ra_json(existing))
    for ra in tenant.role_assignments:
        if ra["scope"].lower() == canonical.lower() and ra["role"] == role_guid_text and ra["principal_id"] == pid:
            raise ApiError(409, "RoleAssignmentExists", "The role assignment already exists.")
    now = ctx.emu.now()
    ra = {"name": name, "scope": canonical, "role": role_guid_text, "principal_id": pid,
          "principal_type": ptype or obj["type"], "created_on": now, "updated_on": now, "created_by": ctx.oid,
          "updated_by": ctx.oid, "description": description, "condition": condition,
          "condition_version": condition_version}
    tenant.role_assignments.append(ra)
    return Response(201, ra_json(ra))


def _optional_properties(props):
    """description, condition and conditionVersion as ARM keeps them (RoleAssignmentProperties, 2022-04-01).

    A condition needs conditionVersion '2.0' (the only value the API reference accepts); a condition without a
    version gets '2.0' and a version without a condition is refused (both ASSUMED: docs/sandbox.md).
    """
    values = []
    for key in ("description", "condition", "conditionVersion"):
        value = props.get(key)
        if value is not None and not isinstance(value, str):
            raise ApiError(400, "InvalidRequestContent",
                           f"The request content was invalid: '{key}' must be a string.")
        values.append(value)
    description, condition, version = values
    if condition is not None and not condition.strip():
        condition = None
    if version is not None and version != "2.0":
        raise ApiError(400, "InvalidConditionVersion",
                       f"The condition version '{version}' is not supported. The supported version is '2.0'.")
    if version is not None and condition is None:
        raise ApiError(400, "InvalidCondition", "A condition version was given without a condition.")
    if condition is not None and version is None:
        version = "2.0"
    return description, condition, version


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

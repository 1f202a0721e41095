"""Azure Resource Manager helpers shared by arm.py and arm_rbac.py: timestamps, resource IDs, the JSON of role
assignments and definitions, and the standard ARM errors. Imports nothing from the sandbox but the error types."""

from __future__ import annotations

import datetime
import re

from .errors import ApiError


def iso(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _not_found(rtype: str, name: str, rg: str) -> ApiError:
    return ApiError(404, "ResourceNotFound",
                    f"The Resource '{rtype}/{name}' under resource group '{rg}' was not found. For more details "
                    "please go to https://aka.ms/ARMResourceNotFoundFix")



def vnet_id(rg, vnet) -> str:
    return f"{rg.id}/providers/Microsoft.Network/virtualNetworks/{vnet['name']}"


def ra_id(scope: str, name: str) -> str:
    return f"{'' if scope == '/' else scope}/providers/Microsoft.Authorization/roleAssignments/{name}"


def rd_id(scope: str, guid: str) -> str:
    m = re.match(r"^/subscriptions/([^/]+)", scope, re.IGNORECASE)
    prefix = f"/subscriptions/{m.group(1)}" if m else ""
    return f"{prefix}/providers/Microsoft.Authorization/roleDefinitions/{guid}"


def ra_json(ra) -> dict:
    return {"properties": {"roleDefinitionId": rd_id(ra["scope"], ra["role"]), "principalId": ra["principal_id"],
                           "principalType": ra["principal_type"], "scope": ra["scope"],
                           "condition": ra.get("condition"), "conditionVersion": ra.get("condition_version"),
                           "createdOn": iso(ra["created_on"]), "updatedOn": iso(ra["updated_on"]),
                           "createdBy": ra["created_by"], "updatedBy": ra.get("updated_by", ra["created_by"]),
                           "delegatedManagedIdentityResourceId": None, "description": ra.get("description")},
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


def _method(ctx, *allowed):
    if ctx.req.method not in allowed:
        raise ApiError(405, "MethodNotAllowed",
                       f"The requested resource does not support http method '{ctx.req.method}'.")

"""Graph: Entra groups, read-only (GET /groups, GET /groups/{id}), as far as provisioning policy assignments need them.

Sources: Graph v1.0 "List groups" and "Get group" (permissions: GroupMember.Read.All least privileged; Group.Read.All,
Group.ReadWrite.All, GroupMember.ReadWrite.All, Directory.Read.All, Directory.ReadWrite.All higher; delegated also
Directory.AccessAsUser.All), the group resource (properties), and the directory error shape
(Authorization_RequestDenied, Request_ResourceNotFound, Request_BadRequest).
"""

from __future__ import annotations

from .errors import ApiError
from .graph_common import GUID, _collection, _method, _single, iso
from .messages import Response
from .odata import check_query

GROUP_TYPE = "microsoft.graph.group"
GROUP_FIELDS = ["id", "deletedDateTime", "classification", "createdDateTime", "description", "displayName",
                "groupTypes", "isAssignableToRole", "mail", "mailEnabled", "mailNickname", "membershipRule",
                "membershipRuleProcessingState", "securityEnabled", "visibility"]
GROUP_READ = {"groupmember.read.all", "group.read.all", "group.readwrite.all", "groupmember.readwrite.all",
              "directory.read.all", "directory.readwrite.all", "directory.accessasuser.all"}


def group_entity(tenant, grp) -> dict:
    unified = "Unified" in grp["group_types"]
    return {"@odata.type": "#" + GROUP_TYPE, "id": grp["id"], "deletedDateTime": None, "classification": None,
            "createdDateTime": iso(grp["created_at"]), "description": grp.get("description"),
            "displayName": grp["display_name"], "groupTypes": list(grp["group_types"]), "isAssignableToRole": None,
            "mail": f"{grp['mail_nickname']}@{tenant.domain}" if grp["mail_enabled"] else None,
            "mailEnabled": grp["mail_enabled"], "mailNickname": grp["mail_nickname"], "membershipRule": None,
            "membershipRuleProcessingState": None, "securityEnabled": grp["security_enabled"],
            "visibility": "Private" if unified else None}


def groups(g, rest) -> Response:
    _method(g, "GET")
    g.need(GROUP_READ, "", directory=True)
    # The directory's list supports more ($search, $orderby, $expand with ConsistencyLevel: eventual); the sandbox
    # serves what resolving a group by name or ID needs.
    check_query(g.req, g.version, ("$select", "$filter"))
    ctx = "groups"
    items = [group_entity(g.tenant, grp) for grp in g.tenant.groups.values()]
    if len(rest) == 1:
        resp = _collection(g, items, GROUP_TYPE, GROUP_FIELDS, ctx)
        for v in resp.body["value"]:
            v.pop("@odata.type", None)
        return resp
    if len(rest) == 2:
        key = rest[1]
        if not GUID.match(key):
            raise ApiError(400, "Request_BadRequest", f"Invalid object identifier '{key}'.")
        found = next((i for i in items if i["id"] == key.lower()), None)
        if found is None:
            raise ApiError(404, "Request_ResourceNotFound",
                           f"Resource '{key}' does not exist or one of its queried reference-property objects are "
                           "not present.")
        body = _single(g, found, GROUP_FIELDS, GROUP_FIELDS, ctx)
        return Response(200, body)
    raise ApiError(400, "BadRequest", f"Resource not found for the segment '{rest[-1]}'.")

"""Directory objects as Graph returns them (service principals), shared by the service principal routes in graph.py
and the Windows 365 service principal that graph_gov.py creates in an Azure Government tenant."""
from __future__ import annotations

from .graph_common import iso
from .world import WINDOWS365_APP_ID


def sp_entity(g, oid, obj) -> dict:
    return {"id": oid, "appId": obj.get("app_id"), "displayName": obj["display_name"],
            "servicePrincipalType": obj.get("service_principal_type", "Application"), "accountEnabled": True,
            "appOwnerOrganizationId": "f8cdef31-a31e-4b4a-93e4-5f571e91255a" if obj.get("app_id") == WINDOWS365_APP_ID
            else g.tenant.id, "servicePrincipalNames": [obj.get("app_id")] if obj.get("app_id") else [],
            "createdDateTime": iso(obj["created_at"])}

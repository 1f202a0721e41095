"""Windows 365 Government GCC in Graph: the tenant mapping (beta crossCloudGovernmentOrganizationMapping) and the
Windows 365 service principal's creation in the Azure Government tenant (POST /servicePrincipals).

Sources (docs/sandbox.md, "Government clouds"):
- learn.microsoft.com/graph/api/resources/cloudpccrosscloudgovernmentorganizationmapping (beta): `id` is the GCC
  tenant in the public cloud, `organizationIdsInUSGovCloud` the mapped Azure Government tenant (1:1 only).
- .../virtualendpoint-post-crosscloudgovernmentorganizationmapping and .../cloudpccrosscloudgovernmentorganizationmapping
  -get: delegated CloudPC.ReadWrite.All / CloudPC.Read.All only (application: not supported); header
  X-MS-CloudPC-USGovCloudTenantAADToken carries the Azure Government tenant's token; POST body `{}`, 200 with the
  object; global service only.
- microsoft/Windows365-PSScripts "Windows 365 GCC/TenantMapping.ps1": the Government token has scope
  `0af06dc6-e4b5-4f28-818e-e78e62d137a5/.default` and is sent as `Bearer <token>`; GET answers 200 with a mapping
  and 204 without one; adding fails when either tenant is already mapped.
- learn.microsoft.com/graph/api/serviceprincipal-post-serviceprincipals: POST {"appId"} creates the service principal
  of an application (Application.ReadWrite.All), 201 with the object.
"""

from __future__ import annotations

from .errors import ApiError
from .messages import Response
from .tokens import WINDOWS365_AUDIENCE, now_epoch
from .world import WINDOWS365_APP_ID

GOV_TOKEN_HEADER = "x-ms-cloudpc-usgovcloudtenantaadtoken"
SP_WRITE = {"application.readwrite.all", "directory.readwrite.all"}
MAPPING_TYPE = "#microsoft.graph.cloudPcCrossCloudGovernmentOrganizationMapping"


def _gov_tenant(g):
    """The Azure Government tenant named by the X-MS-CloudPC-USGovCloudTenantAADToken header's token.

    The exact errors for a missing or bad header are not documented: ASSUMED 401 InvalidAuthenticationToken."""
    value = (g.req.headers.get(GOV_TOKEN_HEADER) or "").strip()
    if value.lower().startswith("bearer "):
        value = value[7:].strip()
    if not value:
        raise ApiError(401, "InvalidAuthenticationToken", "The X-MS-CloudPC-USGovCloudTenantAADToken header is "
                                                          "required: the Azure Government tenant's access token.")
    claims = g.emu.signer.verify(value)
    tenant = g.emu.tenants.get((claims or {}).get("tid"))
    if claims is None or tenant is None or claims.get("exp", 0) <= now_epoch():
        raise ApiError(401, "InvalidAuthenticationToken", "The Azure Government tenant token in "
                                                          "X-MS-CloudPC-USGovCloudTenantAADToken is invalid or expired.")
    if tenant.cloud != "usgov" or claims.get("aud") != WINDOWS365_AUDIENCE:
        raise ApiError(401, "InvalidAuthenticationToken", "The token in X-MS-CloudPC-USGovCloudTenantAADToken must be "
                                                          "an Azure Government tenant's token for the Windows 365 "
                                                          f"application ({WINDOWS365_AUDIENCE}).")
    return tenant


def _entity(g, gov_id):
    return {"@odata.context": f"https://graph.microsoft.com/{g.version}/$metadata#deviceManagement/virtualEndpoint/"
                              "crossCloudGovernmentOrganizationMapping/$entity",
            "@odata.type": MAPPING_TYPE, "id": g.tenant.id, "organizationIdsInUSGovCloud": [gov_id]}


def mapping(g, tail) -> Response:
    if tail:
        raise ApiError(400, "BadRequest", f"Resource not found for the segment '{tail[0]}'.")
    if g.req.method not in ("GET", "POST"):
        raise ApiError(405, "MethodNotAllowed", f"The HTTP method '{g.req.method}' is not allowed here.")
    if g.principal["kind"] == "app":
        # Application permissions: "Not supported." on both pages. Wording ASSUMED (Intune-style, as g.need).
        raise ApiError(403, "Forbidden", "Application is not authorized to perform this operation: the tenant mapping "
                                         "supports delegated (user) sign-in only.")
    if g.req.method == "GET":
        g.read()
    else:
        g.need({"cloudpc.readwrite.all"}, "CloudPC.ReadWrite.All")
    if g.tenant.cloud != "gcc":
        # Only GCC tenants have an Azure Government counterpart. ASSUMED wording.
        raise ApiError(400, "BadRequest", "The tenant is not a Windows 365 Government GCC tenant; tenant mapping "
                                          "applies to GCC tenants only.")
    gov = _gov_tenant(g)
    current = getattr(g.tenant, "gov_mapping", None)
    if g.req.method == "GET":
        if current is None:
            return Response(204, None)
        return Response(200, _entity(g, current))
    body = g.req.json()
    if body not in ({}, None):
        raise ApiError(400, "BadRequest", "The request body must be an empty JSON object.")
    taken = any(getattr(t, "gov_mapping", None) == gov.id for t in g.emu.tenants.values())
    if current is not None or taken:
        # The script: "If there is an exist mapping for public cloud tenant or government cloud tenant, will fail".
        # Status and code ASSUMED.
        raise ApiError(409, "Conflict", "A tenant mapping already exists for the public cloud tenant or the "
                                        "government cloud tenant.")
    g.tenant.gov_mapping = gov.id
    return Response(200, _entity(g, gov.id))


def creates_windows365(g) -> bool:
    """Whether a POST /servicePrincipals asks for the Windows 365 first-party app's principal (served here; other
    apps' principals are entra_apps.py's)."""
    body = g.req.json()
    return isinstance(body, dict) and str(body.get("appId") or "").lower() == WINDOWS365_APP_ID


def create_service_principal(g) -> Response:
    """POST /servicePrincipals {"appId": ...}: only the Windows 365 app is known here (a first-party app)."""
    g.need(SP_WRITE, "", directory=True)
    body = g.req.json()
    app_id = str((body or {}).get("appId") or "").lower()
    if not app_id:
        raise ApiError(400, "Request_BadRequest", "appId is required.")
    for oid, obj in g.tenant.directory.items():
        if obj["type"] == "ServicePrincipal" and (obj.get("app_id") or "").lower() == app_id:
            # ASSUMED status and code: one service principal per app and tenant.
            raise ApiError(409, "Request_MultipleObjectsWithSameKeyValue",
                           "Another object with the same value for property appId already exists.")
    if app_id != WINDOWS365_APP_ID:
        raise ApiError(400, "Request_BadRequest", f"The appId '{app_id}' of the service principal does not reference "
                                                  "a valid application object.")
    from .graph_directory import sp_entity
    from .world import stable_id

    oid = stable_id(g.tenant.id, "sp", app_id)
    g.tenant.directory[oid] = {"type": "ServicePrincipal", "display_name": "Windows 365", "app_id": WINDOWS365_APP_ID,
                               "created_at": g.now}
    g.tenant.windows365_sp = oid
    context = f"https://graph.microsoft.com/{g.version}/$metadata#servicePrincipals/$entity"
    return Response(201, {"@odata.context": context, **sp_entity(g, oid, g.tenant.directory[oid])})

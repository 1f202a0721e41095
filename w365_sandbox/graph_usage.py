"""Graph: Cloud PCs and Cloud PC user settings, read-only, as far as they make an Azure network connection "in use".

Sources: Graph v1.0 cloudPC resource (`onPremisesConnectionName`: "The on-premises connection that applied during the
provisioning of Cloud PCs"), Graph beta cloudPcUserSetting (`crossRegionDisasterRecoverySetting`
.`disasterRecoveryNetworkSetting` of type cloudPcDisasterRecoveryAzureConnectionSetting {onPremisesConnectionId}), and
Windows 365's "Delete Azure network connection" page (an ANC is in use when a provisioning policy references it, also
as an alternate ANC, when a Cloud PC uses it, or when it is the backup ANC for cross-region disaster recovery).
"""

from __future__ import annotations

from .arm_common import iso
from .errors import ApiError
from .graph_common import _collection, _method, _single
from .messages import Response

CLOUD_PC_TYPE = "microsoft.graph.cloudPC"
CLOUD_PC_FIELDS = ["id", "aadDeviceId", "displayName", "gracePeriodEndDateTime", "imageDisplayName",
                   "lastModifiedDateTime", "managedDeviceId", "managedDeviceName", "onPremisesConnectionName",
                   "provisioningPolicyId", "provisioningPolicyName", "provisioningType", "servicePlanId",
                   "servicePlanName", "userPrincipalName"]
USER_SETTING_TYPE = "microsoft.graph.cloudPcUserSetting"
USER_SETTING_V1 = ["id", "displayName", "createdDateTime", "lastModifiedDateTime", "localAdminEnabled",
                   "resetEnabled", "restorePointSetting"]
# crossRegionDisasterRecoverySetting is documented on the beta cloudPcUserSetting (ASSUMED absent from v1.0).
USER_SETTING_BETA = USER_SETTING_V1 + ["crossRegionDisasterRecoverySetting"]


def cloud_pc_entity(pc) -> dict:
    e = {"@odata.type": "#" + CLOUD_PC_TYPE}
    for k in CLOUD_PC_FIELDS:
        e[k] = pc.get(k)
    e["lastModifiedDateTime"] = iso(pc["_modified"])
    return e


def user_setting_entity(g, us) -> dict:
    e = {"@odata.type": "#" + USER_SETTING_TYPE}
    for k in (USER_SETTING_BETA if g.version == "beta" else USER_SETTING_V1):
        e[k] = us.get(k)
    e["createdDateTime"] = e["lastModifiedDateTime"] = iso(us["_modified"])
    return e


def cloud_pcs(g, tail) -> Response:
    _method(g, "GET")
    g.read()
    ctx = "deviceManagement/virtualEndpoint/cloudPCs"
    items = [cloud_pc_entity(pc) for pc in g.tenant.cloud_pcs.values()]
    if not tail:
        return _collection(g, items, CLOUD_PC_TYPE, CLOUD_PC_FIELDS, ctx)
    found = next((i for i in items if i["id"].lower() == tail[0].lower()), None) if len(tail) == 1 else None
    if found is None:
        raise ApiError(404, "ResourceNotFound", f"The Cloud PC '{tail[-1]}' was not found.")
    return Response(200, _single(g, found, CLOUD_PC_FIELDS, CLOUD_PC_FIELDS, ctx))


def user_settings(g, tail) -> Response:
    _method(g, "GET")
    g.read()
    ctx = "deviceManagement/virtualEndpoint/userSettings"
    fields = USER_SETTING_BETA if g.version == "beta" else USER_SETTING_V1
    items = [user_setting_entity(g, us) for us in g.tenant.user_settings.values()]
    if not tail:
        return _collection(g, items, USER_SETTING_TYPE, fields, ctx)
    found = next((i for i in items if i["id"].lower() == tail[0].lower()), None) if len(tail) == 1 else None
    if found is None:
        raise ApiError(404, "ResourceNotFound", f"The Cloud PC user setting '{tail[-1]}' was not found.")
    return Response(200, _single(g, found, fields, fields, ctx))


def anc_usage(tenant, anc_id) -> dict:
    """What makes an ANC in use: {policies: [names], cloud_pcs: [names], user_settings: [names]}."""
    policies = []
    for pol in tenant.policies.values():
        refs = [pol.get("onPremisesConnectionId")]
        refs += [(dj or {}).get("onPremisesConnectionId") for dj in pol.get("domainJoinConfigurations") or []]
        if anc_id in refs:
            policies.append(pol["displayName"])
    pcs = [pc["displayName"] for pc in tenant.cloud_pcs.values() if pc.get("_ancId") == anc_id]
    settings = []
    for us in tenant.user_settings.values():
        network = (us.get("crossRegionDisasterRecoverySetting") or {}).get("disasterRecoveryNetworkSetting") or {}
        if network.get("onPremisesConnectionId") == anc_id:
            settings.append(us["displayName"])
    return {"policies": policies, "cloud_pcs": pcs, "user_settings": settings}

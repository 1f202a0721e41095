"""Graph: Cloud PC provisioning policies, their assignments, `assign`, and (beta) `apply`.

Sources (docs/sandbox.md cites each rule): Graph v1.0 cloudPcProvisioningPolicy resource and its create, get, list,
update, delete and assign pages; cloudPcDomainJoinConfiguration; cloudPcManagementGroupAssignmentTarget; beta
cloudPcProvisioningPolicy: apply; Windows 365 "Create provisioning policies" and "Delete provisioning policies".
"""

from __future__ import annotations

import re
import uuid

from . import health
from .errors import ApiError
from .graph_common import GUID, _action, _check_body, _collection, _method, _single, check_action_body
from .graph_images import gallery_image, gallery_status
from .messages import Response

POLICY_TYPE = "microsoft.graph.cloudPcProvisioningPolicy"
ASSIGNMENT_TYPE = "microsoft.graph.cloudPcProvisioningPolicyAssignment"
GROUP_TARGET = "microsoft.graph.cloudPcManagementGroupAssignmentTarget"
POLICY_FIELDS = ["id", "displayName", "description", "alternateResourceUrl", "cloudPcGroupDisplayName",
                 "cloudPcNamingTemplate", "enableSingleSignOn", "gracePeriodInHours", "imageDisplayName", "imageId",
                 "imageType", "localAdminEnabled", "provisioningType", "domainJoinConfigurations",
                 "microsoftManagedDesktop", "windowsSetting", "autopatch"]
# What create accepts (v1.0 create page's body plus provisioningType); update takes the same minus provisioningType.
POLICY_WRITABLE = {"displayName", "description", "cloudPcNamingTemplate", "enableSingleSignOn", "imageDisplayName",
                   "imageId", "imageType", "localAdminEnabled", "provisioningType", "domainJoinConfigurations",
                   "microsoftManagedDesktop", "windowsSetting", "autopatch", "managedBy", "scopeIds",
                   "gracePeriodInHours", "cloudPcGroupDisplayName"}
POLICY_READONLY = {"id", "alternateResourceUrl"}
# cloudPcProvisioningType: v1.0 has dedicated and shared; beta adds the frontline variants (evolvable members).
PROVISIONING_TYPES = {"v1.0": ("dedicated", "shared"),
                      "beta": ("dedicated", "shared", "sharedByUser", "sharedByEntraGroup", "reserve")}
# cloudPcRegionGroup (v1.0 enum, unknownFutureValue excluded).
REGION_GROUPS = ("default", "australia", "canada", "usCentral", "usEast", "usWest", "france", "germany",
                 "europeUnion", "unitedKingdom", "japan", "asia", "india", "southAmerica", "euap", "usGovernment",
                 "usGovernmentDOD", "norway", "switzerland", "southKorea")
# Windows 365 "Create provisioning policies": the name can't contain < > & | " ^
NAME_FORBIDDEN = set('<>&|"^')
# beta cloudPcPolicySettingType (flags): what `apply` may push to existing Cloud PCs.
APPLY_SETTINGS = ("region", "singleSignOn")


def _bad(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def policy_entity(g, pol) -> dict:
    e = {"@odata.type": "#" + POLICY_TYPE}
    for f in POLICY_FIELDS:
        e[f] = pol.get(f)
    e["domainJoinConfigurations"] = [{k: dj.get(k) for k in ("domainJoinType", "onPremisesConnectionId",
                                                             "regionName", "regionGroup")}
                                     for dj in pol.get("domainJoinConfigurations") or []]
    if e["gracePeriodInHours"] is None:
        e["gracePeriodInHours"] = 4
    e["alternateResourceUrl"] = None
    if g.version == "beta":
        e["managedBy"] = pol.get("managedBy", "windows365")
        e["scopeIds"] = pol.get("scopeIds") or []
    return e


# ---- validation -------------------------------------------------------------------------------------------------
_TOKEN = re.compile(r"%(USERNAME|RAND):(\d+)%", re.IGNORECASE)


def check_naming_template(template, provisioning_type: str = "dedicated") -> None:
    """cloudPcNamingTemplate. Graph cloudPcProvisioningPolicy: custom text plus %USERNAME:x% and %RAND:x%, at most 15
    generated characters. Windows 365 "Create provisioning policies" (device name template): names of 5 to 15
    characters, letters, numbers and hyphens (no blanks or underscores), a prefix of at most 10 characters,
    %USERNAME:X% only for dedicated Cloud PCs, and %RAND:Y% required with Y of 5 or more."""
    if template is None:
        return
    if not isinstance(template, str) or not template:
        raise _bad("cloudPcNamingTemplate must be a non-empty string or null.")
    length = 0
    rand = 0
    for m in _TOKEN.finditer(template):
        n = int(m.group(2))
        if n < 1:
            raise _bad(f"The naming template token '{m.group(0)}' needs a length of at least 1.")
        length += n
        if m.group(1).upper() == "RAND":
            rand = max(rand, n)
        elif provisioning_type != "dedicated":
            raise _bad("The naming template can use %USERNAME:x% only in a dedicated policy.")
    literal = _TOKEN.sub("", template)
    if "%" in literal:
        raise _bad("The naming template may only contain the tokens %USERNAME:x% and %RAND:y%.")
    if not re.fullmatch(r"[A-Za-z0-9-]*", literal):
        raise _bad("The naming template may contain only letters, numbers and hyphens besides its tokens.")
    prefix = template[:_TOKEN.search(template).start()] if _TOKEN.search(template) else template
    if len(prefix) > 10:
        raise _bad(f"The naming template's prefix '{prefix}' is longer than 10 characters.")
    length += len(literal)
    if length > 15:
        raise _bad(f"The naming template generates {length} characters; a Cloud PC name can't exceed 15.")
    if rand < 5:
        raise _bad("The naming template must contain %RAND:y% with y of at least 5.")


def _check_types(pol) -> None:
    for key in ("enableSingleSignOn", "localAdminEnabled"):
        if pol.get(key) is not None and not isinstance(pol[key], bool):
            raise _bad(f"The property '{key}' must be a boolean.")
    for key in ("description", "imageId", "imageDisplayName"):
        if pol.get(key) is not None and not isinstance(pol[key], str):
            raise _bad(f"The property '{key}' must be a string.")
    ws = pol.get("windowsSetting")
    if ws is not None and (not isinstance(ws, dict) or set(ws) - {"locale", "@odata.type"}
                           or not isinstance(ws.get("locale"), (str, type(None)))):
        raise _bad("windowsSetting must be an object with a string locale.")


def _check_image(g, pol) -> None:
    if pol.get("imageType") not in ("gallery", "custom"):
        raise _bad(f"The value '{pol.get('imageType')}' is not valid for imageType: use gallery or custom.")
    image_id = pol.get("imageId")
    if not isinstance(image_id, str) or not image_id:
        raise _bad("Missing required property: imageId.")
    if pol["imageType"] == "custom":
        img = g.tenant.images.get(image_id.lower())
        if img is None:
            raise _bad(f"The custom image '{image_id}' was not found.")
        if img["status"] != "ready":
            raise _bad(f"The custom image '{img['displayName']}' is {img['status']}; only a ready image can be used.")
        pol["imageDisplayName"] = img["displayName"]
        return
    gal = gallery_image(g.tenant, image_id)
    if gal is None:
        raise _bad(f"The gallery image '{image_id}' was not found.")
    if gallery_status(gal, g.now) == "notSupported":
        raise _bad(f"The gallery image '{gal['displayName']}' expired on {gal.get('expirationDate')} and can't be "
                   "used to provision new Cloud PCs.")
    pol["imageId"] = gal["id"]
    pol["imageDisplayName"] = gal["displayName"]


def _check_network(g, pol) -> None:
    # A policy without entries is accepted (ASSUMED: Graph documents no refusal; the portal always sets a network).
    djcs = pol.get("domainJoinConfigurations") or []
    if not isinstance(djcs, list):
        raise _bad("domainJoinConfigurations must be a list.")
    regions = set(g.emu.seed["supported_regions"])
    seen = set()
    kinds = set()
    join_types = set()
    for i, dj in enumerate(djcs):
        where = f"domainJoinConfigurations[{i}]"
        if not isinstance(dj, dict):
            raise _bad(f"{where} must be an object.")
        extra = set(dj) - {"domainJoinType", "onPremisesConnectionId", "regionName", "regionGroup", "@odata.type"}
        if extra:
            raise _bad(f"The property '{sorted(extra)[0]}' does not exist on type "
                       "'microsoft.graph.cloudPcDomainJoinConfiguration'.")
        join = dj.get("domainJoinType")
        if join not in ("azureADJoin", "hybridAzureADJoin"):
            raise _bad(f"{where}.domainJoinType must be azureADJoin or hybridAzureADJoin.")
        join_types.add(join)
        anc_id = dj.get("onPremisesConnectionId")
        region, group = dj.get("regionName"), dj.get("regionGroup")
        if anc_id and (region or group):
            raise _bad(f"{where}: give either onPremisesConnectionId or regionName/regionGroup, not both.")
        if anc_id:
            kinds.add("anc")
            anc = g.tenant.ancs.get(str(anc_id).lower())
            if anc is None:
                raise _bad(f"The Azure network connection '{anc_id}' was not found.")
            if anc["id"] in seen:
                raise _bad(f"The Azure network connection '{anc['displayName']}' is listed twice.")
            seen.add(anc["id"])
            if health.in_first_check(g.emu, anc, g.now):
                raise _bad(f"The Azure network connection '{anc['displayName']}' is running its first health check "
                           "and can't be assigned to a provisioning policy until the check completes.")
            if health.status(g.emu, anc, g.now) == "failed":
                raise _bad(f"The Azure network connection '{anc['displayName']}' failed its health checks and can't "
                           "be used.")
            if anc["connectionType"] != join:
                raise _bad(f"{where}.domainJoinType is {join} but the Azure network connection "
                           f"'{anc['displayName']}' is {anc['connectionType']}.")
            dj["onPremisesConnectionId"] = anc["id"]
        else:
            kinds.add("hosted")
            if join != "azureADJoin":
                raise _bad(f"{where}: a Microsoft-hosted network supports only azureADJoin; hybridAzureADJoin needs "
                           "an Azure network connection.")
            if not region and not group:
                raise _bad(f"{where} needs onPremisesConnectionId, or regionName and regionGroup for a "
                           "Microsoft-hosted network.")
            if group is not None and group not in REGION_GROUPS:
                raise _bad(f"The value '{group}' is not valid for regionGroup.")
            if region is not None and (not isinstance(region, str)
                                       or (region.lower() != "automatic" and region.lower() not in regions)):
                raise _bad(f"The region '{region}' is not a supported Windows 365 region (or 'automatic').")
        for key in ("onPremisesConnectionId", "regionName", "regionGroup"):
            dj.setdefault(key, None)
    if len(kinds) > 1:
        raise _bad("A provisioning policy uses either Azure network connections or a Microsoft-hosted network, not "
                   "both.")
    if len(join_types) > 1:
        raise _bad("All domainJoinConfigurations entries of a policy must have the same domainJoinType.")


def validate_policy(g, pol) -> None:
    name = pol.get("displayName")
    if not isinstance(name, str) or not name.strip():
        raise _bad("Missing required property: displayName.")
    if NAME_FORBIDDEN & set(name):
        raise _bad("The provisioning policy name can't contain the characters < > & | \" ^.")
    if pol.get("provisioningType") not in PROVISIONING_TYPES["beta" if g.version == "beta" else "v1.0"]:
        raise _bad(f"The value '{pol.get('provisioningType')}' is not valid for provisioningType.")
    _check_types(pol)
    check_naming_template(pol.get("cloudPcNamingTemplate"), pol.get("provisioningType"))
    _check_image(g, pol)
    _check_network(g, pol)


# ---- assignments ------------------------------------------------------------------------------------------------
def assignment_entities(pol) -> list:
    """cloudPcProvisioningPolicyAssignment objects from what `assign` stored: {id, target}. The id form
    ({policy id}_{group id}) is ASSUMED."""
    out = []
    for item in pol.get("_assignments") or []:
        target = dict(item.get("target") or {})
        target["@odata.type"] = "#" + GROUP_TARGET
        out.append({"id": f"{pol['id']}_{target.get('groupId')}", "target": target})
    return out


def _expand(g, pol_entity, pol):
    """$expand=assignments (the list and get pages of cloudPcProvisioningPolicy document it); anything else is
    refused as Graph refuses an unknown navigation property."""
    value = g.req.q("$expand")
    if not value:
        return pol_entity
    for nav in [v.strip() for v in value.split(",") if v.strip()]:
        if nav != "assignments":
            raise _bad(f"Could not find a property named '{nav}' on type '{POLICY_TYPE}'.")
    pol_entity["assignments"] = assignment_entities(pol)
    return pol_entity


def policy_assignments(g, pol, rest) -> Response:
    """GET provisioningPolicies/{id}/assignments[/{assignment id}] (cloudPcProvisioningPolicy relationship
    `assignments`, learn.microsoft.com/graph/api/resources/cloudpcprovisioningpolicy)."""
    _method(g, "GET")
    g.read()
    items = [{"@odata.type": "#" + ASSIGNMENT_TYPE, **a} for a in assignment_entities(pol)]
    ctx = f"deviceManagement/virtualEndpoint/provisioningPolicies('{pol['id']}')/assignments"
    if rest == ["$count"]:
        return Response(200, str(len(items)), {"Content-Type": "text/plain"})
    if not rest:
        resp = _collection(g, items, ASSIGNMENT_TYPE, ["id", "target"], ctx)
        for v in resp.body["value"]:
            v.pop("@odata.type", None)
        return resp
    found = next((a for a in items if a["id"].lower() == rest[0].lower()), None) if len(rest) == 1 else None
    if found is None:
        raise ApiError(404, "ResourceNotFound", f"The provisioning policy assignment '{rest[0]}' was not found.")
    return Response(200, _single(g, found, ["id", "target"], ["id", "target"], ctx))


def _target_fields(g) -> set:
    fields = {"@odata.type", "groupId", "servicePlanId"}
    if g.version == "beta":  # beta adds the allotment of a frontline shared policy
        fields |= {"allotmentDisplayName", "allotmentLicensesCount"}
    return fields


def check_assignments(g, pol, assignments) -> list:
    """The `assign` body's assignments, checked: group targets only, not a distribution list (only security and
    Microsoft 365 groups), each listed once; servicePlanId null for dedicated and required for shared (frontline)."""
    if not isinstance(assignments, list):
        raise _bad("The assignments parameter is required and must be a list.")
    out, seen = [], set()
    shared = pol.get("provisioningType") != "dedicated"
    for i, item in enumerate(assignments):
        where = f"assignments[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("target"), dict):
            raise _bad(f"{where} must be an object with a target.")
        if set(item) - {"target", "id", "@odata.type"}:
            raise _bad(f"The property '{sorted(set(item) - {'target', 'id', '@odata.type'})[0]}' does not exist on "
                       f"type '{ASSIGNMENT_TYPE}'.")
        target = item["target"]
        otype = str(target.get("@odata.type") or "").lstrip("#")
        if otype != GROUP_TARGET:
            raise _bad(f"{where}.target must be a #{GROUP_TARGET}.")
        extra = set(target) - _target_fields(g)
        if extra:
            raise _bad(f"The property '{sorted(extra)[0]}' does not exist on type '{GROUP_TARGET}'.")
        gid = target.get("groupId")
        if not isinstance(gid, str) or not GUID.match(gid):
            raise _bad(f"{where}.target.groupId must be a group object ID (GUID).")
        # An unknown group ID is accepted (ASSUMED: Graph documents no check; Intune assignments take group IDs as
        # given), so a client must resolve groups itself. A known group must be a security or Microsoft 365 group.
        group = g.tenant.groups.get(gid.lower()) or {"security_enabled": True, "group_types": [], "display_name": gid}
        if not group["security_enabled"] and "Unified" not in group["group_types"]:
            raise _bad(f"The group '{group['display_name']}' is neither a security group nor a Microsoft 365 group.")
        plan = target.get("servicePlanId")
        if shared and not (isinstance(plan, str) and GUID.match(plan)):
            raise _bad(f"{where}.target.servicePlanId is required for a {pol.get('provisioningType')} policy.")
        if not shared and plan is not None:
            raise _bad(f"{where}.target.servicePlanId must be null for a dedicated policy.")
        key = (gid.lower(), (plan or "").lower())
        if key in seen:
            raise _bad(f"The group '{group['display_name']}' is assigned twice.")
        seen.add(key)
        clean = {"groupId": gid.lower(), "servicePlanId": plan.lower() if plan else None}
        for k in ("allotmentDisplayName", "allotmentLicensesCount"):
            if k in target:
                clean[k] = target[k]
        out.append({"target": clean})
    return out


def _apply(g, pol) -> Response:
    """beta `apply`: push region or single sign-on changes to the policy's existing Cloud PCs. The sandbox records
    the call (GET /_emulator/state `policy_applies`); it does not change Cloud PCs."""
    body = check_action_body(g, "apply", ("policySettings", "reservePercentage"))
    settings = body.get("policySettings")
    names = [s.strip() for s in settings.split(",")] if isinstance(settings, str) else []
    if not names or any(n not in APPLY_SETTINGS for n in names):
        raise _bad("policySettings must be region, singleSignOn, or both (comma-separated).")
    g.tenant.policy_applies.append({"policyId": pol["id"], "policySettings": ",".join(names),
                                    "reservePercentage": body.get("reservePercentage"), "at": g.now})
    return Response(204)


# ---- routes -----------------------------------------------------------------------------------------------------
def _policy(g, pid):
    pol = g.tenant.policies.get(pid.lower()) if GUID.match(pid) else None
    if pol is None:
        raise ApiError(404, "ResourceNotFound", f"The provisioning policy '{pid}' was not found.")
    return pol


def _create(g, ctx) -> Response:
    g.write()
    body = g.req.json()
    _check_body(body, POLICY_TYPE, POLICY_WRITABLE, POLICY_READONLY,
                ignore=("onPremisesConnectionId", "domainJoinConfiguration"))
    pol = {"id": str(uuid.uuid4()), "imageType": "gallery", "provisioningType": "dedicated",
           "enableSingleSignOn": False, "localAdminEnabled": False, "description": "", "managedBy": "windows365",
           "cloudPcNamingTemplate": None, "windowsSetting": {"locale": "en-US"},
           **{k: v for k, v in body.items() if k in POLICY_WRITABLE}}
    if body.get("onPremisesConnectionId") and not body.get("domainJoinConfigurations"):
        # deprecated single-ANC form: the connection's own join type
        anc = g.tenant.ancs.get(str(body["onPremisesConnectionId"]).lower()) or {}
        pol["domainJoinConfigurations"] = [{"domainJoinType": anc.get("connectionType", "azureADJoin"),
                                            "onPremisesConnectionId": body["onPremisesConnectionId"]}]
    validate_policy(g, pol)
    pol["_assignments"] = []
    g.tenant.policies[pol["id"]] = pol
    return Response(201, _single(g, policy_entity(g, pol), POLICY_FIELDS, POLICY_FIELDS, ctx),
                    {"Location": f"{g.req.base_url}/{g.version}/{ctx}/{pol['id']}"})


def _update(g, pol) -> Response:
    g.write()
    body = g.req.json()
    _check_body(body, POLICY_TYPE, POLICY_WRITABLE, POLICY_READONLY)
    if "provisioningType" in body and body["provisioningType"] != pol.get("provisioningType"):
        raise _bad("provisioningType can't be changed after the policy is created.")
    updated = {**pol, **{k: v for k, v in body.items() if k in POLICY_WRITABLE}}
    validate_policy(g, updated)
    pol.clear()
    pol.update(updated)
    return Response(204)


def _delete(g, pol) -> Response:
    g.write()
    if pol.get("_assignments"):
        # Windows 365 "Delete provisioning policies": only a policy without assignments can be deleted. The status,
        # code and text are ASSUMED (docs/sandbox.md).
        raise ApiError(409, "Conflict", f"The provisioning policy '{pol['displayName']}' is assigned to "
                                        f"{len(pol['_assignments'])} group(s) and can't be deleted. Remove its "
                                        "assignments first.")
    del g.tenant.policies[pol["id"]]
    return Response(204)


def policies(g, tail) -> Response:
    ctx = "deviceManagement/virtualEndpoint/provisioningPolicies"
    if not tail:
        if g.req.method == "GET":
            g.read()
            items = [_expand(g, policy_entity(g, p), p) for p in g.tenant.policies.values()]
            return _collection(g, items, POLICY_TYPE, POLICY_FIELDS + ["assignments"], ctx, expand=("assignments",))
        _method(g, "POST")
        return _create(g, ctx)
    pol = _policy(g, tail[0])
    if len(tail) == 1:
        if g.req.method == "GET":
            g.read()
            entity = _expand(g, policy_entity(g, pol), pol)
            default = POLICY_FIELDS + (["assignments"] if "assignments" in entity else [])
            return Response(200, _single(g, entity, POLICY_FIELDS + ["assignments"], default, ctx,
                                         expand=("assignments",)))
        if g.req.method == "PATCH":
            return _update(g, pol)
        _method(g, "DELETE")
        return _delete(g, pol)
    if tail[1].lower() == "assignments":
        return policy_assignments(g, pol, tail[2:])
    action = _action(tail[1])
    if len(tail) == 2 and action == "assign":
        _method(g, "POST")
        g.write()
        body = check_action_body(g, "assign", ("assignments",))
        pol["_assignments"] = check_assignments(g, pol, body.get("assignments"))
        return Response(204)
    if len(tail) == 2 and action == "apply" and g.version == "beta":
        _method(g, "POST")
        g.write()
        return _apply(g, pol)
    raise _bad(f"Resource not found for the segment '{tail[-1]}'.")

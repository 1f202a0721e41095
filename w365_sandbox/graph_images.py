"""Graph: custom device images and provisioning policies."""

from __future__ import annotations

import re
import uuid

from . import health, images
from .errors import ApiError
from .graph import GUID, _action, _check_body, _collection, _method, _single, check_action_body, iso
from .server import Response

IMAGE_TYPE = "microsoft.graph.cloudPcDeviceImage"
IMAGE_FIELDS = ["id", "displayName", "expirationDate", "osBuildNumber", "osStatus", "operatingSystem", "version",
                "sourceImageResourceId", "lastModifiedDateTime", "status", "errorCode", "osVersionNumber",
                "sizeInGB"]
POLICY_TYPE = "microsoft.graph.cloudPcProvisioningPolicy"
POLICY_FIELDS = ["id", "displayName", "description", "alternateResourceUrl", "cloudPcGroupDisplayName",
                 "cloudPcNamingTemplate", "enableSingleSignOn", "gracePeriodInHours", "imageDisplayName", "imageId",
                 "imageType", "localAdminEnabled", "provisioningType", "domainJoinConfigurations",
                 "microsoftManagedDesktop", "windowsSetting", "autopatch"]
POLICY_WRITABLE = {"displayName", "description", "cloudPcNamingTemplate", "enableSingleSignOn", "imageDisplayName",
                   "imageId", "imageType", "localAdminEnabled", "provisioningType", "domainJoinConfigurations",
                   "microsoftManagedDesktop", "windowsSetting", "autopatch", "managedBy", "scopeIds",
                   "gracePeriodInHours", "cloudPcGroupDisplayName"}


def image_entity(g, img) -> dict:
    prefer = (g.req.headers.get("prefer") or "").lower()
    code = img.get("errorCode")
    if code in images.EVOLVABLE and "include-unknown-enum-members" not in prefer:
        code = "unknownFutureValue"
    ready = img["status"] == "ready"
    source = images.find_source(g.tenant, img["sourceImageResourceId"])
    return {"@odata.type": "#" + IMAGE_TYPE, "id": img["id"], "displayName": img["displayName"],
            "expirationDate": images.expiration(img) if ready else None,
            "osBuildNumber": img.get("osBuildNumber") if ready else None,
            "osStatus": img.get("osStatus") if ready else "unknown",
            "operatingSystem": img.get("operatingSystem") if ready else None, "version": img["version"],
            "sourceImageResourceId": img["sourceImageResourceId"],
            "lastModifiedDateTime": iso(img["_modified"]), "status": img["status"], "errorCode": code,
            "osVersionNumber": None, "sizeInGB": source["size_gb"] if (source and ready) else None}


def _image(g, image_id):
    img = g.tenant.images.get(image_id.lower()) if GUID.match(image_id) else None
    if img is None:
        raise ApiError(404, "ResourceNotFound", f"The device image '{image_id}' was not found.")
    return img


def image_in_use(tenant, image_id) -> bool:
    return any(p.get("imageType") == "custom" and p.get("imageId") == image_id for p in tenant.policies.values())


def device_images(g, tail) -> Response:
    ctx = "deviceManagement/virtualEndpoint/deviceImages"
    if not tail:
        if g.req.method == "GET":
            g.read()
            items = [image_entity(g, i) for i in g.tenant.images.values()]
            return _collection(g, items, IMAGE_TYPE, IMAGE_FIELDS, ctx)
        _method(g, "POST")
        return create_image(g)
    if len(tail) == 1 and _action(tail[0]) == "getsourceimages":
        _method(g, "GET")
        g.read()
        items = []
        beta = g.version == "beta"
        for sub in g.tenant.subscriptions.values():
            for rg in sub.resource_groups.values():
                for im in rg.images.values():
                    item = {"resourceId": f"{rg.id}/providers/Microsoft.Compute/images/{im['name']}",
                            "displayName": im["name"], "subscriptionId": sub.id, "subscriptionDisplayName": sub.name}
                    if beta:  # beta cloudPcSourceDeviceImage.category: managedImage, azureComputeGallery
                        item["category"] = "managedImage"
                    items.append(item)
                if not beta:
                    continue  # v1.0 documents managed images only
                for gal in rg.galleries.values():
                    for d in gal["images"]:
                        for v in d["versions"]:
                            items.append({"resourceId": f"{rg.id}/providers/Microsoft.Compute/galleries/{gal['name']}"
                                                        f"/images/{d['name']}/versions/{v['name']}",
                                          "displayName": f"{d['name']} {v['name']}", "subscriptionId": sub.id,
                                          "subscriptionDisplayName": sub.name, "category": "azureComputeGallery"})
        return Response(200, {"@odata.context": f"{g.root}#Collection(microsoft.graph.cloudPcSourceDeviceImage)",
                              "value": items})
    img = _image(g, tail[0])
    if len(tail) == 1:
        if g.req.method == "GET":
            g.read()
            return Response(200, _single(g, image_entity(g, img), IMAGE_FIELDS, IMAGE_FIELDS, ctx))
        _method(g, "DELETE")
        g.write()
        if image_in_use(g.tenant, img["id"]):
            raise ApiError(409, "Conflict", "The device image is used by one or more provisioning policies and "
                                            "can't be deleted. Remove it from the policies first.")
        del g.tenant.images[img["id"]]
        return Response(204)
    if len(tail) == 2 and _action(tail[1]) in ("retryupload", "reupload") and g.version == "beta":
        _method(g, "POST")
        g.write()
        check_action_body(g, "retryUpload" if _action(tail[1]) == "retryupload" else "reupload")
        if img["status"] != "failed":
            raise ApiError(400, "BadRequest", "Only a failed image upload can be retried.")
        img.update(status="pending", errorCode=None)
        img["_upload"] = {"started": g.now, "done": False}
        img["_modified"] = g.now
        return Response(204)
    raise ApiError(400, "BadRequest", f"Resource not found for the segment '{tail[-1]}'.")


def create_image(g) -> Response:
    g.write()
    body = g.req.json()
    _check_body(body, IMAGE_TYPE, {"displayName", "version", "sourceImageResourceId"},
                set(IMAGE_FIELDS) - {"displayName", "version", "sourceImageResourceId"})
    missing = [k for k in ("displayName", "version", "sourceImageResourceId") if not body.get(k)]
    if missing:
        raise ApiError(400, "BadRequest", f"Missing required properties: {', '.join(missing)}.")
    for k in ("displayName", "version", "sourceImageResourceId"):
        if not isinstance(body[k], str):
            raise ApiError(400, "BadRequest", f"The property '{k}' must be a string.")
    if not re.match(r"^\d+\.\d+\.\d+$", body["version"]):
        raise ApiError(400, "BadRequest", f"The version '{body['version']}' is not valid: use Major.Minor.Patch, "
                                          "for example 1.0.0.")
    gallery_source = images.GALLERY_VERSION_RE.match(body["sourceImageResourceId"]) and g.version == "beta"
    if not images.MANAGED_IMAGE_RE.match(body["sourceImageResourceId"]) and not gallery_source:
        # v1.0 documents only the managed image form; the gallery preview is modelled on beta (docs/sandbox.md).
        raise ApiError(400, "BadRequest", "sourceImageResourceId must be a managed image resource ID "
                                          "(/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/"
                                          "images/{name})" + (" or, on beta, an Azure Compute Gallery image version "
                                                              "ID." if g.version == "beta" else "."))
    for other in g.tenant.images.values():
        if other["displayName"].lower() == body["displayName"].lower() and other["version"] == body["version"]:
            raise ApiError(409, "Conflict", f"An image named '{body['displayName']}' with version "
                                            f"{body['version']} already exists.")
    img = {"id": str(uuid.uuid4()), "displayName": body["displayName"], "version": body["version"],
           "sourceImageResourceId": body["sourceImageResourceId"], "operatingSystem": None, "osBuildNumber": None,
           "osStatus": "unknown", "status": "pending", "errorCode": None,
           "_upload": {"started": g.now, "done": False}, "_modified": g.now}
    g.tenant.images[img["id"]] = img
    return Response(201, _single(g, image_entity(g, img), IMAGE_FIELDS, IMAGE_FIELDS,
                                 "deviceManagement/virtualEndpoint/deviceImages"))


# ---- provisioning policies --------------------------------------------------------------------------------------
def policy_entity(g, pol) -> dict:
    e = {"@odata.type": "#" + POLICY_TYPE}
    for f in POLICY_FIELDS:
        e[f] = pol.get(f)
    e["domainJoinConfigurations"] = pol.get("domainJoinConfigurations") or []
    e.setdefault("gracePeriodInHours", None)
    if e["gracePeriodInHours"] is None:
        e["gracePeriodInHours"] = 4
    e["alternateResourceUrl"] = None
    e["autopatch"] = pol.get("autopatch")
    e["microsoftManagedDesktop"] = pol.get("microsoftManagedDesktop")
    if g.version == "beta":
        e["managedBy"] = pol.get("managedBy", "windows365")
        e["scopeIds"] = pol.get("scopeIds") or []
    return e


def _validate_policy(g, pol):
    if not isinstance(pol.get("displayName"), str) or not pol["displayName"]:
        raise ApiError(400, "BadRequest", "Missing required property: displayName.")
    if pol.get("imageType") not in ("gallery", "custom"):
        raise ApiError(400, "BadRequest", "imageType must be gallery or custom.")
    if pol["imageType"] == "custom":
        img = g.tenant.images.get(str(pol.get("imageId") or "").lower())
        if img is None:
            raise ApiError(400, "BadRequest", f"The custom image '{pol.get('imageId')}' was not found.")
        if img["status"] != "ready":
            raise ApiError(400, "BadRequest", f"The custom image '{img['displayName']}' is not ready.")
        pol["imageDisplayName"] = img["displayName"]
    djcs = pol.get("domainJoinConfigurations") or []
    if not isinstance(djcs, list):
        raise ApiError(400, "BadRequest", "domainJoinConfigurations must be a list.")
    for dj in djcs:
        if not isinstance(dj, dict):
            raise ApiError(400, "BadRequest", "domainJoinConfigurations entries must be objects.")
        anc_id = dj.get("onPremisesConnectionId")
        if anc_id and dj.get("regionName"):
            raise ApiError(400, "BadRequest", "Give either onPremisesConnectionId or regionName, not both.")
        if anc_id:
            anc = g.tenant.ancs.get(str(anc_id).lower())
            if anc is None:
                raise ApiError(400, "BadRequest", f"The Azure network connection '{anc_id}' was not found.")
            if health.in_first_check(g.emu, anc, g.now):
                # ASSUMED code and text: Microsoft documents the rule, not the error (docs/sandbox.md).
                raise ApiError(400, "BadRequest", f"The Azure network connection '{anc['displayName']}' is running "
                                                  "its first health check and can't be assigned to a provisioning "
                                                  "policy until the check completes.")
            if health.status(g.emu, anc, g.now) == "failed":
                raise ApiError(400, "BadRequest", f"The Azure network connection '{anc['displayName']}' failed its "
                                                  "health checks and can't be used.")
        dj.setdefault("regionName", None)
        dj.setdefault("regionGroup", None)
        dj.setdefault("onPremisesConnectionId", None)
    pol["domainJoinConfigurations"] = djcs


ASSIGNMENT_TYPE = "microsoft.graph.cloudPcProvisioningPolicyAssignment"


def assignment_entities(pol) -> list:
    """cloudPcProvisioningPolicyAssignment objects from what `assign` stored: {id, target}. The id form
    ({policy id}_{group id}) is ASSUMED."""
    out = []
    for item in pol.get("_assignments") or []:
        target = dict(item.get("target") or {})
        target.setdefault("@odata.type", "#microsoft.graph.cloudPcManagementGroupAssignmentTarget")
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
            raise ApiError(400, "BadRequest", f"Could not find a property named '{nav}' on type '{POLICY_TYPE}'.")
    pol_entity["assignments"] = assignment_entities(pol)
    return pol_entity


def policy_assignments(g, pol, rest) -> Response:
    """GET provisioningPolicies/{id}/assignments[/{assignment id}] (cloudPcProvisioningPolicy relationship
    `assignments`, learn.microsoft.com/graph/api/resources/cloudpcprovisioningpolicy)."""
    _method(g, "GET")
    g.read()
    items = [{"@odata.type": "#" + ASSIGNMENT_TYPE, **a} for a in assignment_entities(pol)]
    ctx = f"deviceManagement/virtualEndpoint/provisioningPolicies('{pol['id']}')/assignments"
    if not rest:
        resp = _collection(g, items, ASSIGNMENT_TYPE, ["id", "target"], ctx)
        for v in resp.body["value"]:
            v.pop("@odata.type", None)
        return resp
    found = next((a for a in items if a["id"].lower() == rest[0].lower()), None) if len(rest) == 1 else None
    if found is None:
        raise ApiError(404, "ResourceNotFound", f"The provisioning policy assignment '{rest[0]}' was not found.")
    return Response(200, _single(g, found, ["id", "target"], ["id", "target"], ctx))


def _policy(g, pid):
    pol = g.tenant.policies.get(pid.lower()) if GUID.match(pid) else None
    if pol is None:
        raise ApiError(404, "ResourceNotFound", f"The provisioning policy '{pid}' was not found.")
    return pol


def policies(g, tail) -> Response:
    ctx = "deviceManagement/virtualEndpoint/provisioningPolicies"
    if not tail:
        if g.req.method == "GET":
            g.read()
            items = [_expand(g, policy_entity(g, p), p) for p in g.tenant.policies.values()]
            return _collection(g, items, POLICY_TYPE, POLICY_FIELDS + ["assignments"], ctx, expand=("assignments",))
        _method(g, "POST")
        g.write()
        body = g.req.json()
        _check_body(body, POLICY_TYPE, POLICY_WRITABLE, {"id", "alternateResourceUrl"},
                    ignore=("onPremisesConnectionId", "domainJoinConfiguration"))
        pol = {"id": str(uuid.uuid4()), "imageType": "gallery", "provisioningType": "dedicated",
               "enableSingleSignOn": False, "localAdminEnabled": False, "description": "", "managedBy": "windows365",
               **{k: v for k, v in body.items() if k in POLICY_WRITABLE}}
        if body.get("onPremisesConnectionId"):  # deprecated single-ANC form: still makes the ANC in use
            pol.setdefault("domainJoinConfigurations", [{"domainJoinType": "azureADJoin",
                                                         "onPremisesConnectionId": body["onPremisesConnectionId"]}])
        _validate_policy(g, pol)
        g.tenant.policies[pol["id"]] = pol
        return Response(201, _single(g, policy_entity(g, pol), POLICY_FIELDS, POLICY_FIELDS, ctx))
    pol = _policy(g, tail[0])
    if len(tail) == 1:
        if g.req.method == "GET":
            g.read()
            entity = _expand(g, policy_entity(g, pol), pol)
            default = POLICY_FIELDS + (["assignments"] if "assignments" in entity else [])
            return Response(200, _single(g, entity, POLICY_FIELDS + ["assignments"], default, ctx,
                                         expand=("assignments",)))
        if g.req.method == "PATCH":
            g.write()
            body = g.req.json()
            _check_body(body, POLICY_TYPE, POLICY_WRITABLE, {"id", "alternateResourceUrl"})
            if "provisioningType" in body and body["provisioningType"] != pol.get("provisioningType"):
                raise ApiError(400, "BadRequest", "provisioningType can't be changed.")
            updated = {**pol, **{k: v for k, v in body.items() if k in POLICY_WRITABLE}}
            _validate_policy(g, updated)
            pol.clear()
            pol.update(updated)
            return Response(204)
        _method(g, "DELETE")
        g.write()
        del g.tenant.policies[pol["id"]]
        return Response(204)
    if len(tail) >= 2 and tail[1].lower() == "assignments":
        return policy_assignments(g, pol, tail[2:])
    if len(tail) == 2 and _action(tail[1]) == "assign":
        _method(g, "POST")
        g.write()
        body = check_action_body(g, "assign", ("assignments",))
        if not isinstance(body, dict) or not isinstance(body.get("assignments"), list):
            raise ApiError(400, "BadRequest", "The assignments parameter is required.")
        pol["_assignments"] = body["assignments"]
        return Response(204)
    raise ApiError(400, "BadRequest", f"Resource not found for the segment '{tail[-1]}'.")

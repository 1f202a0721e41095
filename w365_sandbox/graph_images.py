"""Graph: custom device images and the gallery images of Windows 365."""

from __future__ import annotations

import datetime
import re
import uuid

from . import images
from .errors import ApiError
from .graph_common import GUID, _action, _check_body, _collection, _method, _single, check_action_body, iso
from .messages import Response

IMAGE_TYPE = "microsoft.graph.cloudPcDeviceImage"
IMAGE_FIELDS = ["id", "displayName", "expirationDate", "osBuildNumber", "osStatus", "operatingSystem", "version",
                "sourceImageResourceId", "lastModifiedDateTime", "status", "errorCode", "osVersionNumber",
                "sizeInGB"]

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


# ---- gallery images ---------------------------------------------------------------------------------------------
GALLERY_TYPE = "microsoft.graph.cloudPcGalleryImage"
GALLERY_FIELDS = ["id", "displayName", "publisherName", "offerName", "skuName", "sizeInGB", "startDate", "endDate",
                  "expirationDate", "status", "osVersionNumber"]
# The catalogue a tenant sees when its seed has no `gallery_images` (a fixed sample of Microsoft's).
DEFAULT_GALLERY = [
    {"id": "microsoftwindowsdesktop_windows-ent-cpc_win11-24h2-ent-cpc-m365",
     "displayName": "Windows 11 Enterprise + Microsoft 365 Apps 24H2", "publisherName": "microsoftwindowsdesktop",
     "offerName": "windows-ent-cpc", "skuName": "win11-24h2-ent-cpc-m365", "sizeInGB": 64,
     "startDate": "2024-10-01", "endDate": "2026-10-13", "expirationDate": "2027-04-13", "status": "supported"},
    {"id": "microsoftwindowsdesktop_windows-ent-cpc_win11-24h2-ent-cpc",
     "displayName": "Windows 11 Enterprise 24H2", "publisherName": "microsoftwindowsdesktop",
     "offerName": "windows-ent-cpc", "skuName": "win11-24h2-ent-cpc", "sizeInGB": 64,
     "startDate": "2024-10-01", "endDate": "2026-10-13", "expirationDate": "2027-04-13", "status": "supported"},
    {"id": "microsoftwindowsdesktop_windows-ent-cpc_win10-22h2-ent-cpc-m365",
     "displayName": "Windows 10 Enterprise + Microsoft 365 Apps 22H2", "publisherName": "microsoftwindowsdesktop",
     "offerName": "windows-ent-cpc", "skuName": "win10-22h2-ent-cpc-m365", "sizeInGB": 64,
     "startDate": "2022-10-18", "endDate": "2025-10-14", "expirationDate": "2026-04-14",
     "status": "supportedWithWarning"},
]


def _from_seed(item) -> dict:
    return {"id": item["id"], "displayName": item["display_name"], "publisherName": item["publisher_name"],
            "offerName": item["offer_name"], "skuName": item["sku_name"], "sizeInGB": item["size_gb"],
            "startDate": item["start_date"], "endDate": item["end_date"], "expirationDate": item["expiration_date"],
            "status": item["status"], "osVersionNumber": item["os_version_number"]}


def gallery_catalogue(tenant) -> list:
    if tenant.gallery_images is None:
        return [dict(i, osVersionNumber=None) for i in DEFAULT_GALLERY]
    return [_from_seed(i) for i in tenant.gallery_images]


def gallery_status(image: dict, now: float) -> str:
    """cloudPcGalleryImage.status from the dates when the seed gives none (Graph v1.0 cloudPcGalleryImage: endDate is
    when the status becomes supportedWithWarning; after expirationDate no new Cloud PCs can be provisioned from it)."""
    if image.get("status"):
        return image["status"]
    today = datetime.datetime.fromtimestamp(now, datetime.timezone.utc).strftime("%Y-%m-%d")
    if image.get("expirationDate") and today > image["expirationDate"]:
        return "notSupported"
    if image.get("endDate") and today > image["endDate"]:
        return "supportedWithWarning"
    return "supported"


def gallery_image(tenant, image_id: str):
    """A gallery image by id (case-insensitive, as Graph compares these keys), or None."""
    key = (image_id or "").lower()
    return next((i for i in gallery_catalogue(tenant) if i["id"].lower() == key), None)


def gallery_images(g, tail) -> Response:
    """Read-only gallery images: the tenant's seeded `gallery_images` or the default catalogue."""
    _method(g, "GET")
    g.read()
    ctx = "deviceManagement/virtualEndpoint/galleryImages"
    items = [{"@odata.type": "#" + GALLERY_TYPE, **i, "status": gallery_status(i, g.now)}
             for i in gallery_catalogue(g.tenant)]
    if not tail:
        return _collection(g, items, GALLERY_TYPE, GALLERY_FIELDS, ctx)
    found = next((i for i in items if i["id"].lower() == tail[0].lower()), None) if len(tail) == 1 else None
    if found is None:
        raise ApiError(404, "ResourceNotFound", f"The gallery image '{tail[0]}' was not found.")
    return Response(200, _single(g, found, GALLERY_FIELDS, GALLERY_FIELDS, ctx))

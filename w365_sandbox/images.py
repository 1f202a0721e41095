"""Custom device image uploads: pending -> ready, or failed with the errorCode the source image earns."""

from __future__ import annotations

import datetime
import re

MANAGED_IMAGE_RE = re.compile(
    r"^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.Compute/images/([^/]+)$", re.IGNORECASE)
# An image version in an Azure Compute Gallery: Windows 365 accepts these as a preview (learn.microsoft.com,
# windows-365/enterprise/device-images: "stored as a managed image in Azure or in an Azure Compute Gallery (currently
# in Public Preview)"); Graph beta cloudPcSourceDeviceImage.category names them azureComputeGallery.
GALLERY_VERSION_RE = re.compile(
    r"^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.Compute/galleries/([^/]+)/images/([^/]+)"
    r"/versions/([^/]+)$", re.IGNORECASE)
# errorCode members that Graph sends only with `Prefer: include-unknown-enum-members`
EVOLVABLE = {"vmAlreadyAzureAdJoined", "paidSourceImageNotSupport", "sourceImageNotSupportCustomizeVMName",
             "sourceImageSizeExceedsLimitation"}


def find_source(tenant, resource_id: str):
    """The source image a device image is uploaded from, as one dict whatever its kind: os, os_type, os_build,
    generation, generalized, size_gb, data_disks (None when it does not exist)."""
    m = MANAGED_IMAGE_RE.match(resource_id or "")
    g = GALLERY_VERSION_RE.match(resource_id or "")
    if not (m or g):
        return None
    sub = tenant.subscriptions.get((m or g).group(1).lower())
    rg = sub.resource_groups.get((m or g).group(2).lower()) if sub else None
    if rg is None:
        return None
    if m:
        return rg.images.get(m.group(3).lower())
    gallery = rg.galleries.get(g.group(3).lower())
    definition = next((d for d in (gallery or {}).get("images", []) if d["name"].lower() == g.group(4).lower()), None)
    version = next((v for v in (definition or {}).get("versions", []) if v["name"] == g.group(5)), None)
    if version is None:
        return None
    return {"name": f"{definition['name']}/{version['name']}", "os": definition["os"],
            "os_type": definition["os_type"], "os_build": definition["os_build"],
            "generation": definition["generation"], "generalized": definition["generalized"],
            "size_gb": version["size_gb"], "data_disks": version["data_disks"], "gallery": gallery["name"]}


def os_supported(os_name: str) -> bool:
    low = os_name.lower()
    if not re.match(r"^windows 1[01] enterprise\b", low):
        return False
    return not re.search(r"\bn\b|ltsc|multi-session|multisession", low)


def settle(emu, tenant, img, now: float) -> None:
    up = img["_upload"]
    if up["done"] or now - up["started"] < emu.seed["image_upload_seconds"]:
        return
    up["done"] = True
    img["_modified"] = up["started"] + emu.seed["image_upload_seconds"]
    source = find_source(tenant, img["sourceImageResourceId"])
    sp = tenant.windows365_sp
    error = None
    # The service reads the source as the Windows 365 service principal: without Reader there it sees nothing.
    if source is None or not sp or not tenant.principal_allows(sp, "Microsoft.Compute/images/read",
                                                               img["sourceImageResourceId"]):
        error = "sourceImageNotFound"
    elif not os_supported(source["os"]) or source["os_type"].lower() != "windows":
        error = "osVersionNotSupported"
    elif source["generation"] != 2 or source.get("data_disks"):
        # ASSUMED: Microsoft names no separate code for data disks; sourceImageInvalid is the general one.
        error = "sourceImageInvalid"
    elif not source["generalized"]:
        error = "sourceImageNotGeneralized"
    elif source["size_gb"] > emu.seed["image_max_size_gb"]:
        error = "sourceImageSizeExceedsLimitation"
    if error:
        img["status"] = "failed"
        img["errorCode"] = error
        return
    img["status"] = "ready"
    img["operatingSystem"] = source["os"]
    img["osBuildNumber"] = source["os_build"]
    img["osStatus"] = "supported"


def expiration(img) -> str:
    d = datetime.datetime.fromtimestamp(img["_modified"], datetime.timezone.utc).date()
    return (d + datetime.timedelta(days=365 * 2)).isoformat()

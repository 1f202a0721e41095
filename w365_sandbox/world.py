"""The emulated world built from a validated seed: tenants, directory objects, Azure resources, W365 objects."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field

from . import roles
from .seed import SeedError

WINDOWS365_APP_ID = "0af06dc6-e4b5-4f28-818e-e78e62d137a5"
_NS = uuid.UUID("6f1b7c2e-5d3a-4c1e-9a57-2f0d8c3b9e41")


def stable_id(*parts) -> str:
    """A GUID derived from names, so seeded objects without an id keep the same id across restarts."""
    return str(uuid.uuid5(_NS, "/".join(str(p).lower() for p in parts)))


@dataclass
class ResourceGroup:
    subscription_id: str
    name: str
    location: str
    tags: dict
    vnets: dict = field(default_factory=dict)  # lower name -> vnet dict
    images: dict = field(default_factory=dict)  # lower name -> image dict
    galleries: dict = field(default_factory=dict)  # lower name -> gallery dict (images: definitions with versions)

    @property
    def id(self) -> str:
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{self.name}"


@dataclass
class Subscription:
    id: str
    name: str
    state: str
    tenant_id: str
    resource_groups: dict = field(default_factory=dict)  # lower name -> ResourceGroup


@dataclass
class Tenant:
    id: str
    domain: str
    display_name: str
    cloud: str
    anc_limit: int
    app_only_anc_writes: str
    principal_replication_seconds: float
    principal_type_bypasses_replication: bool
    arm_mfa_enforced: bool = False
    consents: list = field(default_factory=list)  # delegated permission grants (seed.py _consents)
    apps: dict = field(default_factory=dict)  # client_id -> app
    users: dict = field(default_factory=dict)  # lower upn -> user
    managed_identities: dict = field(default_factory=dict)  # client_id -> identity
    directory: dict = field(default_factory=dict)  # object_id -> {type, display_name, app_id, created_at}
    subscriptions: dict = field(default_factory=dict)  # id -> Subscription
    role_assignments: list = field(default_factory=list)
    ad_domains: list = field(default_factory=list)
    ancs: dict = field(default_factory=dict)  # id -> ANC record (insertion order = creation order)
    images: dict = field(default_factory=dict)
    policies: dict = field(default_factory=dict)
    cloud_pcs: dict = field(default_factory=dict)  # id -> cloudPC entity fields (+ "_ancId")
    user_settings: dict = field(default_factory=dict)  # id -> cloudPcUserSetting entity fields (beta shape)
    groups: dict = field(default_factory=dict)  # id -> Entra group record (seed.py _group, plus created_at)
    gallery_images: list | None = None  # seeded cloudPcGalleryImage records; None: the default catalogue
    policy_applies: list = field(default_factory=list)  # provisioningPolicies/{id}/apply calls, in order
    windows365_sp: str | None = None  # object id

    def principal_allows(self, principal_id: str, action: str, scope: str) -> bool:
        pid = principal_id.lower()
        return any(
            ra["principal_id"] == pid and roles.scope_covers(ra["scope"], scope) and roles.role_allows(ra["role"], action)
            for ra in self.role_assignments
        )

    def assignments_covering(self, principal_id: str, scope: str):
        pid = principal_id.lower()
        return [ra for ra in self.role_assignments if ra["principal_id"] == pid and roles.scope_covers(ra["scope"], scope)]


def _date(value, now: float):
    """A seed date: YYYY-MM-DD as is, or +Nd / -Nd days from `now` (the sandbox's start)."""
    if value is None or "-" in value[1:]:
        return value
    day = datetime.datetime.fromtimestamp(now, datetime.timezone.utc) + datetime.timedelta(days=int(value[:-1]))
    return day.strftime("%Y-%m-%d")


def subnet_id(sub: str, rg: str, vnet: str, subnet: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/{vnet}/subnets/{subnet}"


def build_tenants(seed: dict, now: float) -> dict:
    """tenant id -> Tenant, for the validated seed; `now` is the simulated epoch at start."""
    tenants = {}
    for ti, ts in enumerate(seed["tenants"]):
        path = f"tenants[{ti}]"
        t = Tenant(
            id=ts["id"], domain=ts["domain"], display_name=ts["display_name"], cloud=ts["cloud"],
            anc_limit=ts["anc_limit"], app_only_anc_writes=ts["app_only_anc_writes"],
            principal_replication_seconds=ts["principal_replication_seconds"],
            principal_type_bypasses_replication=ts["principal_type_bypasses_replication"],
            arm_mfa_enforced=ts["arm_mfa_enforced"], consents=ts["consents"],
        )
        for app in ts["apps"]:
            t.apps[app["client_id"]] = app
            t.directory[app["object_id"]] = {"type": "ServicePrincipal", "display_name": app["display_name"],
                                             "app_id": app["client_id"], "created_at": now - app["created_seconds_ago"]}
        for user in ts["users"]:
            t.users[user["upn"].lower()] = user
            t.directory[user["object_id"]] = {"type": "User", "display_name": user["display_name"], "app_id": None,
                                              "upn": user["upn"], "created_at": now - user["created_seconds_ago"]}
        for mi in ts["managed_identities"]:
            t.managed_identities[mi["client_id"]] = mi
            t.directory[mi["object_id"]] = {"type": "ServicePrincipal", "display_name": mi["display_name"],
                                            "app_id": mi["client_id"], "created_at": now - 86400,
                                            "service_principal_type": "ManagedIdentity"}
        for pr in ts["principals"]:
            t.directory[pr["object_id"]] = {"type": pr["type"], "display_name": pr["display_name"] or pr["object_id"],
                                            "app_id": pr["app_id"], "created_at": now - pr["created_seconds_ago"]}
        w = ts["windows365_service_principal"]
        if w:
            t.windows365_sp = w["object_id"]
            t.directory[w["object_id"]] = {"type": "ServicePrincipal", "display_name": "Windows 365",
                                           "app_id": WINDOWS365_APP_ID, "created_at": now - w["created_seconds_ago"]}
        for ss in ts["subscriptions"]:
            sub = Subscription(id=ss["id"], name=ss["name"], state=ss["state"], tenant_id=t.id)
            for rs in ss["resource_groups"]:
                rg = ResourceGroup(subscription_id=sub.id, name=rs["name"], location=rs["location"], tags=rs["tags"])
                for vs in rs["virtual_networks"]:
                    rg.vnets[vs["name"].lower()] = {**vs, "resource_guid": stable_id(sub.id, rg.name, vs["name"])}
                for im in rs["images"]:
                    rg.images[im["name"].lower()] = im
                for gal in rs.get("galleries", []):
                    rg.galleries[gal["name"].lower()] = gal
                sub.resource_groups[rg.name.lower()] = rg
            t.subscriptions[sub.id] = sub
        for ra in ts["role_assignments"]:
            t.role_assignments.append({
                "name": ra["name"] or stable_id(t.id, ra["scope"], ra["role"], ra["principal_id"]),
                "scope": ra["scope"], "role": ra["role"], "principal_id": ra["principal_id"],
                "principal_type": ra["principal_type"]
                or (t.directory.get(ra["principal_id"]) or {}).get("type", "ServicePrincipal"),
                "created_on": now - 86400, "updated_on": now - 86400, "created_by": None, "updated_by": None,
                "description": ra["description"], "condition": ra["condition"],
                "condition_version": ra["condition_version"],
            })
        t.ad_domains = ts["ad_domains"]
        for ni, ns in enumerate(ts["network_connections"]):
            anc_id = ns["id"] or stable_id(t.id, "anc", ns["display_name"])
            parts = ns["subnet_id"].split("/")
            if len(parts) != 11 or parts[1].lower() != "subscriptions" or parts[9].lower() != "subnets":
                raise SeedError(f"{path}.network_connections[{ni}].subnet_id",
                                f"not a subnet resource ID: {ns['subnet_id']!r}")
            vnet_id = "/".join(parts[:9])
            t.ancs[anc_id] = {
                "id": anc_id, "displayName": ns["display_name"], "connectionType": ns["connection_type"],
                "subscriptionId": (ns["subscription_id"] or parts[2]).lower(),
                "resourceGroupId": ns["resource_group_id"] or "/".join(parts[:5]),
                "virtualNetworkId": ns["virtual_network_id"] or vnet_id, "subnetId": ns["subnet_id"],
                "adDomainName": ns["ad_domain_name"], "adDomainUsername": ns["ad_domain_username"],
                "organizationalUnit": ns["organizational_unit"], "scopeIds": [], "managedBy": "windows365",
                "_password": ns["ad_domain_password"],
                # Seeded connections finished their checks before start; the result is computed from the state.
                "_check": {"started": now - 10 ** 6, "skip_pending": False, "result": None},
            }
        names = {}
        for ims in ts["device_images"]:
            img_id = ims["id"] or stable_id(t.id, "image", ims["display_name"], ims["version"])
            t.images[img_id] = {
                "id": img_id, "displayName": ims["display_name"], "version": ims["version"],
                "sourceImageResourceId": ims["source_image_resource_id"],
                "operatingSystem": ims["operating_system"] or "Windows 11 Enterprise",
                "osBuildNumber": ims["os_build_number"] or "23H2", "osStatus": ims["os_status"],
                "status": ims["status"], "errorCode": ims["error_code"] if ims["status"] == "failed" else None,
                "_upload": {"started": now - 10 ** 6, "done": ims["status"] != "pending"},
                "_modified": now - 86400,
            }
            names[ims["display_name"].lower()] = img_id
        anc_names = {a["displayName"].lower(): a["id"] for a in t.ancs.values()}
        for gs in ts["groups"]:
            gid = gs["id"] or stable_id(t.id, "group", gs["display_name"])
            t.groups[gid] = {**gs, "id": gid, "created_at": now - 86400 * 30}
            t.directory[gid] = {"type": "Group", "display_name": gs["display_name"], "app_id": None,
                                "created_at": now - 86400 * 30}
        group_names = {g["display_name"].lower(): g["id"] for g in t.groups.values()}
        if ts["gallery_images"] is not None:
            t.gallery_images = [{**gi, **{k: _date(gi[k], now) for k in ("start_date", "end_date", "expiration_date")}}
                                for gi in ts["gallery_images"]]
        for ps in ts["provisioning_policies"]:
            pol_id = ps["id"] or stable_id(t.id, "policy", ps["display_name"])
            image_id = ps["image_id"]
            if ps["image"]:
                image_id = names.get(ps["image"].lower())
                if image_id is None:
                    raise SeedError(f"{ps['_path']}.image", f"no device image named {ps['image']!r} in this tenant")
            djcs = []
            for dj in ps["domain_join_configurations"]:
                anc_id = dj["on_premises_connection_id"]
                if dj["on_premises_connection"]:
                    anc_id = anc_names.get(dj["on_premises_connection"].lower())
                    if anc_id is None:
                        raise SeedError(f"{dj['_path']}.on_premises_connection",
                                        f"no network connection named {dj['on_premises_connection']!r}")
                djcs.append({"domainJoinType": dj["domain_join_type"], "onPremisesConnectionId": anc_id,
                             "regionName": dj["region_name"], "regionGroup": dj["region_group"]})
            t.policies[pol_id] = {
                "id": pol_id, "displayName": ps["display_name"], "description": ps["description"],
                "imageType": ps["image_type"], "imageId": image_id,
                "imageDisplayName": (t.images.get(image_id) or {}).get("displayName") if image_id else None,
                "provisioningType": ps["provisioning_type"], "domainJoinConfigurations": djcs,
                "enableSingleSignOn": False, "localAdminEnabled": False, "managedBy": "windows365",
                "cloudPcNamingTemplate": None, "windowsSetting": {"locale": "en-US"},
                "_assignments": [],
            }
            for ai, ref in enumerate(ps["assignments"]):
                gid = ref.lower() if ref.lower() in t.groups else group_names.get(ref.lower())
                if gid is None:
                    raise SeedError(f"{ps['_path']}.assignments[{ai}]", f"no group named {ref!r} in this tenant")
                t.policies[pol_id]["_assignments"].append(
                    {"target": {"@odata.type": "#microsoft.graph.cloudPcManagementGroupAssignmentTarget",
                                "groupId": gid, "servicePlanId": None}})
        policy_names = {p["displayName"].lower(): p for p in t.policies.values()}
        for cs in ts["cloud_pcs"]:
            anc_id = anc_names.get(cs["on_premises_connection"].lower())
            if anc_id is None:
                raise SeedError(f"{cs['_path']}.on_premises_connection",
                                f"no network connection named {cs['on_premises_connection']!r}")
            policy = policy_names.get((cs["provisioning_policy"] or "").lower())
            if cs["provisioning_policy"] and policy is None:
                raise SeedError(f"{cs['_path']}.provisioning_policy",
                                f"no provisioning policy named {cs['provisioning_policy']!r}")
            pc_id = cs["id"] or stable_id(t.id, "cloudpc", cs["display_name"])
            t.cloud_pcs[pc_id] = {
                "id": pc_id, "displayName": cs["display_name"], "aadDeviceId": stable_id(t.id, "aad", pc_id),
                "managedDeviceId": stable_id(t.id, "intune", pc_id), "managedDeviceName": cs["display_name"],
                "userPrincipalName": cs["user_principal_name"], "imageDisplayName": cs["image_display_name"],
                "onPremisesConnectionName": t.ancs[anc_id]["displayName"], "_ancId": anc_id,
                "provisioningPolicyId": policy["id"] if policy else None,
                "provisioningPolicyName": policy["displayName"] if policy else None,
                "provisioningType": "dedicated", "servicePlanId": None, "servicePlanName": None,
                "gracePeriodEndDateTime": None, "_modified": now - 86400,
            }
        for us in ts["user_settings"]:
            anc_id = None
            if us["disaster_recovery_connection"]:
                anc_id = anc_names.get(us["disaster_recovery_connection"].lower())
                if anc_id is None:
                    raise SeedError(f"{us['_path']}.disaster_recovery_connection",
                                    f"no network connection named {us['disaster_recovery_connection']!r}")
            us_id = us["id"] or stable_id(t.id, "usersetting", us["display_name"])
            network = None
            if anc_id:
                network = {"@odata.type": "#microsoft.graph.cloudPcDisasterRecoveryAzureConnectionSetting",
                           "onPremisesConnectionId": anc_id}
            t.user_settings[us_id] = {
                "id": us_id, "displayName": us["display_name"], "localAdminEnabled": False, "resetEnabled": False,
                "restorePointSetting": {"frequencyType": "default", "userRestoreEnabled": False},
                "crossRegionDisasterRecoverySetting": {
                    "crossRegionDisasterRecoveryEnabled": anc_id is not None,
                    "maintainCrossRegionRestorePointEnabled": False,
                    "disasterRecoveryNetworkSetting": network,
                    "disasterRecoveryType": us["disaster_recovery_type"] if anc_id else "notConfigured",
                    "userInitiatedDisasterRecoveryAllowed": False},
                "_modified": now - 86400,
            }
        tenants[t.id] = t
    return tenants

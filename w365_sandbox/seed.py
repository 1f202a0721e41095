"""Load and validate a seed file; every error names the key path (docs/sandbox.md documents the format)."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path

import yaml

from .roles import GUID_RE, role_guid
from .tokens import CLOUDS

DEFAULT_GRAPH_PERMISSIONS = ["CloudPC.ReadWrite.All", "Application.Read.All"]
# Regions where Windows 365 can use an ANC (learn: windows-365/enterprise/requirements#supported-azure-regions).
DEFAULT_SUPPORTED_REGIONS = [
    "eastasia", "southeastasia", "australiaeast", "australiasoutheast", "brazilsouth", "canadacentral",
    "canadaeast", "northeurope", "westeurope", "francecentral", "germanywestcentral", "centralindia",
    "southindia", "japaneast", "japanwest", "koreacentral", "norwayeast", "polandcentral", "southafricanorth",
    "swedencentral", "switzerlandnorth", "uaenorth", "uksouth", "ukwest", "centralus", "eastus", "eastus2",
    "northcentralus", "southcentralus", "westcentralus", "westus", "westus2", "westus3", "italynorth",
    "israelcentral", "mexicocentral", "spaincentral", "usgovarizona", "usgovvirginia",
]
# ad_domains[].device_sync -> the errorType the Entra device sync check reports (None: it passes). Microsoft's
# troubleshooting page: the sync can take up to 90 minutes, so the check warns instead of failing.
DEVICE_SYNC_STATES = {
    "synced": None,
    "not_synced": "azureAdDeviceSyncCheckDeviceNotFound",
    "slow": "azureAdDeviceSyncCheckDurationExceeded",
    "connect_disabled": "azureAdDeviceSyncCheckConnectDisabled",
    "scp_not_configured": "azureAdDeviceSyncCheckScpNotConfigured",
}
NAME_RE = re.compile(r"^[A-Za-z0-9_.()\-]{1,90}$")


class SeedError(ValueError):
    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path


def _type_name(t):
    return {str: "a string", int: "an integer", bool: "true or false", list: "a list", dict: "a mapping",
            float: "a number"}.get(t, t.__name__)


class _V:
    """Reads one mapping, checking types and unknown keys, with key paths for errors."""

    def __init__(self, data, path: str, allowed: set[str]):
        if not isinstance(data, dict):
            raise SeedError(path, f"must be a mapping, got {type(data).__name__}")
        unknown = sorted(set(map(str, data)) - allowed)
        if unknown:
            raise SeedError(f"{path}.{unknown[0]}" if path else unknown[0],
                            f"unknown key (allowed here: {', '.join(sorted(allowed))})")
        self.data = data
        self.path = path

    def p(self, key):
        return f"{self.path}.{key}" if self.path else key

    def get(self, key, typ, default=None, required=False):
        if key not in self.data or self.data[key] is None:
            if required:
                raise SeedError(self.p(key), "is required")
            return default
        value = self.data[key]
        if typ is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if typ is int and isinstance(value, bool) or not isinstance(value, typ):
            raise SeedError(self.p(key), f"must be {_type_name(typ)}, got {type(value).__name__}")
        return value

    def guid(self, key, required=True, default=None):
        value = self.get(key, str, default=default, required=required)
        if value is not None and not GUID_RE.match(value):
            raise SeedError(self.p(key), f"not a GUID: {value!r}")
        return value.lower() if value else value

    def choice(self, key, choices, default):
        value = self.get(key, str, default=default)
        if value not in choices:
            raise SeedError(self.p(key), f"must be one of {', '.join(c for c in choices if c)}, got {value!r}")
        return value

    def nonneg(self, key, default, typ=int):
        value = self.get(key, typ, default=default)
        if value < 0:
            raise SeedError(self.p(key), "must not be negative")
        return value

    def items(self, key):
        value = self.get(key, list, default=[])
        return [(f"{self.p(key)}[{i}]", item) for i, item in enumerate(value)]

    def strings(self, key, default=None):
        value = self.get(key, list, default=default if default is not None else [])
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise SeedError(f"{self.p(key)}[{i}]", "must be a string")
        return list(value)


def _gallery(item, path, location) -> dict:
    """An Azure Compute Gallery: image definitions (OS type, OS state, Hyper-V generation) holding image versions."""
    gv = _V(item, path, {"name", "location", "images"})
    gallery = {"name": gv.get("name", str, required=True), "location": gv.get("location", str, location).lower(),
               "images": []}
    for dp, ditem in gv.items("images"):
        dv = _V(ditem, dp, {"name", "os", "os_type", "os_build", "generation", "generalized", "versions"})
        gen = dv.get("generation", int, 2)
        if gen not in (1, 2):
            raise SeedError(dv.p("generation"), "must be 1 or 2")
        definition = {"name": dv.get("name", str, required=True), "os": dv.get("os", str, "Windows 11 Enterprise"),
                      "os_type": dv.get("os_type", str, "Windows"), "os_build": dv.get("os_build", str, "23H2"),
                      "generation": gen, "generalized": dv.get("generalized", bool, True), "versions": []}
        for vp, vitem in dv.items("versions"):
            vv = _V(vitem, vp, {"name", "size_gb", "data_disks"})
            name = vv.get("name", str, required=True)
            if not re.match(r"^\d+\.\d+\.\d+$", name):
                raise SeedError(vv.p("name"), f"an image version is Major.Minor.Patch, got {name!r}")
            definition["versions"].append({"name": name, "size_gb": vv.get("size_gb", int, 64),
                                           "data_disks": vv.nonneg("data_disks", 0)})
        gallery["images"].append(definition)
    return gallery


def load_seed(path) -> dict:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise SeedError("", f"cannot read seed file {path}: {err.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise SeedError("", f"seed file {path} is not valid YAML: {err}") from None
    return validate_seed(data if data is not None else {}, base_dir=path.parent)


def validate_seed(data, base_dir: Path = Path("."), confine: bool = False) -> dict:
    top = _V(data, "", {"tenants", "token_lifetime_seconds", "principal_replication_seconds", "health_check",
                        "image_upload_seconds", "graph_page_size", "supported_regions", "image_max_size_gb",
                        "region_status", "refresh_token_lifetime_seconds", "device_code_seconds",
                        "device_code_interval_seconds"})
    seed = {
        "token_lifetime_seconds": top.nonneg("token_lifetime_seconds", 3600),
        "principal_replication_seconds": top.nonneg("principal_replication_seconds", 60),
        "image_upload_seconds": top.nonneg("image_upload_seconds", 120, float),
        "graph_page_size": top.get("graph_page_size", int, 100),
        "image_max_size_gb": top.get("image_max_size_gb", int, 128),
        # Entra: refresh tokens stay valid 90 days (inactivity); device codes 15 minutes (real seconds).
        "refresh_token_lifetime_seconds": top.nonneg("refresh_token_lifetime_seconds", 90 * 86400),
        "device_code_seconds": top.nonneg("device_code_seconds", 900),
        "device_code_interval_seconds": top.nonneg("device_code_interval_seconds", 5),
        "supported_regions": [r.lower() for r in top.strings("supported_regions", DEFAULT_SUPPORTED_REGIONS)],
        "tenants": [],
    }
    # regionStatus of Graph beta supportedRegions per region (available when not named): restricted or unavailable.
    status = top.get("region_status", dict, {})
    for region, value in status.items():
        if value not in ("available", "restricted", "unavailable"):
            raise SeedError(f"region_status.{region}", "must be available, restricted or unavailable")
    seed["region_status"] = {str(k).lower(): v for k, v in status.items()}
    if seed["graph_page_size"] < 1:
        raise SeedError("graph_page_size", "must be at least 1")
    hc = _V(top.get("health_check", dict, {}), "health_check", {"pending_seconds", "running_seconds"})
    seed["health_check"] = {"pending_seconds": hc.nonneg("pending_seconds", 30, float),
                            "running_seconds": hc.nonneg("running_seconds", 150, float)}
    seen_tenants, seen_domains, seen_subs = set(), set(), set()
    for tpath, tdata in top.items("tenants"):
        tenant = _tenant(tdata, tpath, _SeedDir(base_dir, confine), seed)
        if tenant["id"] in seen_tenants:
            raise SeedError(f"{tpath}.id", f"duplicate tenant id {tenant['id']}")
        if tenant["domain"].lower() in seen_domains:
            raise SeedError(f"{tpath}.domain", f"duplicate domain {tenant['domain']}")
        for i, sub in enumerate(tenant["subscriptions"]):
            if sub["id"] in seen_subs:
                raise SeedError(f"{tpath}.subscriptions[{i}].id", f"subscription {sub['id']} is in two tenants")
            seen_subs.add(sub["id"])
        seen_tenants.add(tenant["id"])
        seen_domains.add(tenant["domain"].lower())
        seed["tenants"].append(tenant)
    return seed


def _permissions(v: _V):
    perms = v.strings("graph_permissions", DEFAULT_GRAPH_PERMISSIONS)
    return perms


# Directory role template IDs (learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference).
DIRECTORY_ROLES = {
    "global administrator": "62e90394-69f5-4237-9190-012177145e10",
    "intune administrator": "3a2c62db-5318-420d-8d74-23affee5d9d5",
    "windows 365 administrator": "11451d60-acb2-45eb-a7d6-43d0f0125c13",
    "global reader": "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
    "privileged role administrator": "e8611ab8-c189-46e8-94e1-60213ab1f814",
}
# Existing seeds (written before roles were modelled) keep working: a user without `directory_roles` is an
# Intune Administrator.
DEFAULT_DIRECTORY_ROLES = ["Intune Administrator"]
# Microsoft Graph Command Line Tools (Connect-MgGraph): first-party, gets the Graph scopes an admin consented.
GRAPH_COMMAND_LINE_TOOLS = "14d82eec-204b-4c2f-b7e8-296a70dab67e"


def _directory_roles(uv: _V) -> list:
    """Role names or template IDs -> template IDs."""
    out = []
    for i, role in enumerate(uv.strings("directory_roles", DEFAULT_DIRECTORY_ROLES)):
        if GUID_RE.match(role):
            out.append(role.lower())
        elif role.lower() in DIRECTORY_ROLES:
            out.append(DIRECTORY_ROLES[role.lower()])
        else:
            raise SeedError(f"{uv.p('directory_roles')}[{i}]",
                            f"unknown directory role {role!r} (use a template ID or one of: "
                            f"{', '.join(sorted(DIRECTORY_ROLES))})")
    return out


def _consents(v: _V, t: dict) -> list:
    """Delegated permission grants (Graph oauth2PermissionGrant): who may use which scopes through which client.

    Without the key (seeds older than the model), each user has consented for Microsoft Graph Command Line Tools
    to the user's `graph_permissions`.
    """
    if "consents" not in v.data:
        return [{"client_id": GRAPH_COMMAND_LINE_TOOLS, "resource": "graph", "scopes": list(u["graph_permissions"]),
                 "user": u["upn"].lower()} for u in t["users"] if u["graph_permissions"]]
    upns = {u["upn"].lower() for u in t["users"]}
    out = []
    for p, item in v.items("consents"):
        cv = _V(item, p, {"client_id", "resource", "scopes", "user"})
        user = cv.get("user", str, None)
        if user is not None and user.lower() not in upns:
            raise SeedError(cv.p("user"), f"no user {user!r} in this tenant")
        out.append({"client_id": cv.guid("client_id"), "resource": cv.choice("resource", ("graph", "arm"), "graph"),
                    "scopes": cv.strings("scopes"), "user": user.lower() if user else None})
    return out


def _tenant(data, path, base_dir, seed) -> dict:
    v = _V(data, path, {
        "id", "domain", "display_name", "cloud", "anc_limit", "app_only_anc_writes", "principal_replication_seconds",
        "principal_type_bypasses_replication", "windows365_service_principal", "apps", "users",
        "managed_identities", "principals", "role_assignments", "subscriptions", "ad_domains",
        "network_connections", "device_images", "provisioning_policies", "consents", "arm_mfa_enforced",
        "cloud_pcs", "user_settings", "groups", "gallery_images",
    })
    t = {
        "id": v.guid("id"),
        "domain": v.get("domain", str, required=True),
        "display_name": v.get("display_name", str, None),
        "cloud": v.choice("cloud", CLOUDS, "public"),
        "anc_limit": v.nonneg("anc_limit", 50),
        "app_only_anc_writes": v.choice("app_only_anc_writes", ("allowed", "forbidden"), "allowed"),
        "principal_replication_seconds": v.nonneg("principal_replication_seconds",
                                                  seed["principal_replication_seconds"]),
        # Microsoft: set principalType on a role assignment for a new principal to avoid the replication delay
        # (learn.microsoft.com/azure/role-based-access-control/role-assignments-rest#new-service-principal).
        "principal_type_bypasses_replication": v.get("principal_type_bypasses_replication", bool, True),
        "arm_mfa_enforced": v.get("arm_mfa_enforced", bool, False),
    }
    t["display_name"] = t["display_name"] or t["domain"].split(".")[0].capitalize()
    w = v.get("windows365_service_principal", dict, None)
    if w is not None:
        wv = _V(w, v.p("windows365_service_principal"), {"object_id", "created_seconds_ago"})
        t["windows365_service_principal"] = {"object_id": wv.guid("object_id"),
                                             "created_seconds_ago": wv.nonneg("created_seconds_ago", 86400, float)}
    else:
        t["windows365_service_principal"] = None
    t["apps"] = []
    for p, item in v.items("apps"):
        av = _V(item, p, {"client_id", "object_id", "display_name", "secret", "certificate",
                          "federated_credentials", "graph_permissions", "created_seconds_ago", "public_client"})
        app = {"client_id": av.guid("client_id"), "object_id": av.guid("object_id"),
               "display_name": av.get("display_name", str, None), "secret": av.get("secret", str, None),
               "certificate": None, "federated_credentials": [], "graph_permissions": _permissions(av),
               "created_seconds_ago": av.nonneg("created_seconds_ago", 86400, float),
               "public_client": av.get("public_client", bool, False)}
        app["display_name"] = app["display_name"] or f"app-{app['client_id'][:8]}"
        cert = av.get("certificate", str, None)
        if cert is not None:
            app["certificate"] = _load_certificate(cert, av.p("certificate"), base_dir)
        for fp, fitem in av.items("federated_credentials"):
            fv = _V(fitem, fp, {"issuer", "subject", "audiences", "issuer_keys"})
            app["federated_credentials"].append({
                "issuer": fv.get("issuer", str, required=True), "subject": fv.get("subject", str, required=True),
                "audiences": fv.strings("audiences", ["api://AzureADTokenExchange"]),
                "issuer_keys": [_load_public_key(k, f"{fv.p('issuer_keys')}[{i}]", base_dir)
                                for i, k in enumerate(fv.strings("issuer_keys", []))],
            })
        t["apps"].append(app)
    t["users"] = []
    for p, item in v.items("users"):
        uv = _V(item, p, {"upn", "object_id", "password", "display_name", "graph_permissions",
                          "created_seconds_ago", "directory_roles", "mfa"})
        upn = uv.get("upn", str, required=True)
        if "@" not in upn:
            raise SeedError(uv.p("upn"), f"not a user principal name (name@domain): {upn!r}")
        t["users"].append({"upn": upn, "object_id": uv.guid("object_id"),
                           "password": uv.get("password", str, required=True),
                           "display_name": uv.get("display_name", str, upn.split("@")[0]),
                           "graph_permissions": _permissions(uv),
                           "created_seconds_ago": uv.nonneg("created_seconds_ago", 86400, float),
                           "directory_roles": _directory_roles(uv),
                           "mfa": uv.choice("mfa", ("none", "required", "unregistered"), "none")})
    t["consents"] = _consents(v, t)
    t["managed_identities"] = []
    for p, item in v.items("managed_identities"):
        mv = _V(item, p, {"client_id", "object_id", "display_name", "graph_permissions", "system_assigned"})
        t["managed_identities"].append({
            "client_id": mv.guid("client_id"), "object_id": mv.guid("object_id"),
            "display_name": mv.get("display_name", str, None) or "managed-identity",
            "graph_permissions": _permissions(mv), "system_assigned": mv.get("system_assigned", bool, False),
        })
    t["principals"] = []
    for p, item in v.items("principals"):
        pv = _V(item, p, {"object_id", "type", "display_name", "app_id", "created_seconds_ago"})
        t["principals"].append({
            "object_id": pv.guid("object_id"),
            "type": pv.choice("type", ("ServicePrincipal", "User", "Group"), "ServicePrincipal"),
            "display_name": pv.get("display_name", str, None), "app_id": pv.guid("app_id", required=False),
            "created_seconds_ago": pv.nonneg("created_seconds_ago", 86400, float),
        })
    t["subscriptions"] = []
    for p, item in v.items("subscriptions"):
        t["subscriptions"].append(_subscription(item, p))
    t["role_assignments"] = []
    for p, item in v.items("role_assignments"):
        rv = _V(item, p, {"principal_id", "role", "scope", "name", "principal_type", "description", "condition",
                          "condition_version"})
        role = rv.get("role", str, required=True)
        guid = role_guid(role)
        if guid is None:
            raise SeedError(rv.p("role"), f"unknown built-in role {role!r} (use a built-in role name or GUID)")
        scope = rv.get("scope", str, required=True)
        if not (scope == "/" or scope.lower().startswith("/subscriptions/")):
            raise SeedError(rv.p("scope"), f"not an Azure scope: {scope!r}")
        t["role_assignments"].append({
            "principal_id": rv.guid("principal_id"), "role": guid, "scope": scope.rstrip("/") or "/",
            "name": rv.guid("name", required=False),
            "principal_type": rv.choice("principal_type", ("ServicePrincipal", "User", "Group", None), None),
            "description": rv.get("description", str, None), "condition": rv.get("condition", str, None),
            "condition_version": rv.choice("condition_version", ("2.0", None), None),
        })
        if t["role_assignments"][-1]["condition"] and not t["role_assignments"][-1]["condition_version"]:
            t["role_assignments"][-1]["condition_version"] = "2.0"
    t["ad_domains"] = []
    for p, item in v.items("ad_domains"):
        dv = _V(item, p, {"name", "resolvable_from", "join_accounts", "organizational_units", "device_sync"})
        accounts = []
        for ap, aitem in dv.items("join_accounts"):
            jv = _V(aitem, ap, {"upn", "password"})
            accounts.append({"upn": jv.get("upn", str, required=True),
                             "password": jv.get("password", str, required=True)})
        t["ad_domains"].append({
            "name": dv.get("name", str, required=True), "resolvable_from": dv.strings("resolvable_from"),
            "join_accounts": accounts, "organizational_units": dv.strings("organizational_units"),
            # Entra device sync of the domain's computers (hybrid join health check, warning level).
            "device_sync": dv.choice("device_sync", tuple(DEVICE_SYNC_STATES), "synced"),
        })
    t["network_connections"] = []
    for p, item in v.items("network_connections"):
        nv = _V(item, p, {"id", "display_name", "connection_type", "subscription_id", "resource_group_id",
                          "virtual_network_id", "subnet_id", "ad_domain_name", "ad_domain_username",
                          "ad_domain_password", "organizational_unit"})
        t["network_connections"].append({
            "id": nv.guid("id", required=False), "display_name": nv.get("display_name", str, required=True),
            "connection_type": nv.choice("connection_type", ("hybridAzureADJoin", "azureADJoin"), "azureADJoin"),
            "subscription_id": nv.guid("subscription_id", required=False),
            "resource_group_id": nv.get("resource_group_id", str, None),
            "virtual_network_id": nv.get("virtual_network_id", str, None),
            "subnet_id": nv.get("subnet_id", str, required=True),
            "ad_domain_name": nv.get("ad_domain_name", str, None),
            "ad_domain_username": nv.get("ad_domain_username", str, None),
            "ad_domain_password": nv.get("ad_domain_password", str, None),
            "organizational_unit": nv.get("organizational_unit", str, None),
        })
    t["device_images"] = []
    for p, item in v.items("device_images"):
        iv = _V(item, p, {"id", "display_name", "version", "source_image_resource_id", "status", "error_code",
                          "operating_system", "os_build_number", "os_status"})
        t["device_images"].append({
            "id": iv.guid("id", required=False), "display_name": iv.get("display_name", str, required=True),
            "version": iv.get("version", str, required=True),
            "source_image_resource_id": iv.get("source_image_resource_id", str, required=True),
            "status": iv.choice("status", ("ready", "failed", "pending"), "ready"),
            "error_code": iv.get("error_code", str, None),
            "operating_system": iv.get("operating_system", str, None),
            "os_build_number": iv.get("os_build_number", str, None),
            "os_status": iv.choice("os_status", ("supported", "supportedWithWarning", "unknown"), "supported"),
        })
    t["provisioning_policies"] = []
    for p, item in v.items("provisioning_policies"):
        pv = _V(item, p, {"id", "display_name", "description", "image_type", "image_id", "image",
                          "domain_join_configurations", "provisioning_type", "assignments"})
        djcs = []
        for dp, ditem in pv.items("domain_join_configurations"):
            dv = _V(ditem, dp, {"domain_join_type", "on_premises_connection_id", "on_premises_connection",
                                "region_name", "region_group"})
            djcs.append({
                "domain_join_type": dv.choice("domain_join_type", ("azureADJoin", "hybridAzureADJoin"),
                                              "azureADJoin"),
                "on_premises_connection_id": dv.get("on_premises_connection_id", str, None),
                "on_premises_connection": dv.get("on_premises_connection", str, None),
                "region_name": dv.get("region_name", str, None), "region_group": dv.get("region_group", str, None),
                "_path": dp,
            })
        t["provisioning_policies"].append({
            "assignments": pv.strings("assignments"),
            "id": pv.guid("id", required=False), "display_name": pv.get("display_name", str, required=True),
            "description": pv.get("description", str, ""),
            "image_type": pv.choice("image_type", ("gallery", "custom"), "gallery"),
            "image_id": pv.get("image_id", str, None), "image": pv.get("image", str, None),
            "provisioning_type": pv.choice("provisioning_type", ("dedicated", "shared"), "dedicated"),
            "domain_join_configurations": djcs, "_path": p,
        })
    t["groups"] = [_group(item, p) for p, item in v.items("groups")]
    t["gallery_images"] = None if v.get("gallery_images", list) is None else \
        [_gallery_image(item, p) for p, item in v.items("gallery_images")]
    # Cloud PCs and user settings exist so that an ANC can be "in use" the ways Microsoft lists (Delete Azure network
    # connection: used by a Cloud PC; backup ANC for cross-region disaster recovery in user settings).
    t["cloud_pcs"] = []
    for p, item in v.items("cloud_pcs"):
        cv = _V(item, p, {"id", "display_name", "user_principal_name", "on_premises_connection",
                          "provisioning_policy", "image_display_name"})
        t["cloud_pcs"].append({
            "id": cv.guid("id", required=False), "display_name": cv.get("display_name", str, required=True),
            "user_principal_name": cv.get("user_principal_name", str, None),
            "on_premises_connection": cv.get("on_premises_connection", str, required=True),
            "provisioning_policy": cv.get("provisioning_policy", str, None),
            "image_display_name": cv.get("image_display_name", str, None), "_path": p,
        })
    t["user_settings"] = []
    for p, item in v.items("user_settings"):
        uv = _V(item, p, {"id", "display_name", "disaster_recovery_connection", "disaster_recovery_type"})
        t["user_settings"].append({
            "id": uv.guid("id", required=False), "display_name": uv.get("display_name", str, required=True),
            "disaster_recovery_connection": uv.get("disaster_recovery_connection", str, None),
            "disaster_recovery_type": uv.choice("disaster_recovery_type", ("crossRegion", "premium", "notConfigured"),
                                                "crossRegion"),
            "_path": p,
        })
    return t


def _group(item, path) -> dict:
    """An Entra group (Graph v1.0 group): what a provisioning policy can be assigned to."""
    gv = _V(item, path, {"id", "display_name", "description", "security_enabled", "mail_enabled", "group_types",
                         "mail_nickname"})
    name = gv.get("display_name", str, required=True)
    return {"id": gv.guid("id", required=False), "display_name": name, "description": gv.get("description", str, None),
            "security_enabled": gv.get("security_enabled", bool, True), "mail_enabled": gv.get("mail_enabled", bool, False),
            "group_types": gv.strings("group_types"),
            "mail_nickname": gv.get("mail_nickname", str, re.sub(r"[^A-Za-z0-9]", "", name) or "group")}


# A date: YYYY-MM-DD, or days relative to the sandbox's start (+30d, -10d, 0d), so a seed keeps "near its end" true.
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2}|[+-]?\d+d)$")


def _gallery_image(item, path) -> dict:
    """A Windows 365 gallery image (Graph v1.0 cloudPcGalleryImage) with its support dates."""
    gv = _V(item, path, {"id", "display_name", "publisher_name", "offer_name", "sku_name", "size_gb", "start_date",
                         "end_date", "expiration_date", "status", "os_version_number"})
    image = {"publisher_name": gv.get("publisher_name", str, "microsoftwindowsdesktop"),
             "offer_name": gv.get("offer_name", str, "windows-ent-cpc"), "sku_name": gv.get("sku_name", str, required=True),
             "display_name": gv.get("display_name", str, required=True), "size_gb": gv.get("size_gb", int, 64),
             "os_version_number": gv.get("os_version_number", str, None),
             "status": gv.choice("status", (None, "supported", "supportedWithWarning", "notSupported"), None)}
    image["id"] = gv.get("id", str, f"{image['publisher_name']}_{image['offer_name']}_{image['sku_name']}")
    for key in ("start_date", "end_date", "expiration_date"):
        value = gv.get(key, str, None)
        if value is not None and not _DATE.match(value):
            raise SeedError(gv.p(key), f"a date is YYYY-MM-DD or days from the start like +30d or -10d, got {value!r}")
        image[key] = value
    return image


def _subscription(item, path) -> dict:
    v = _V(item, path, {"id", "name", "state", "resource_groups"})
    sub = {"id": v.guid("id"), "name": v.get("name", str, required=True),
           "state": v.choice("state", ("Enabled", "Disabled", "Warned", "PastDue", "Deleted"), "Enabled"),
           "resource_groups": []}
    names = set()
    for rp, ritem in v.items("resource_groups"):
        rv = _V(ritem, rp, {"name", "location", "tags", "virtual_networks", "images", "galleries"})
        name = rv.get("name", str, required=True)
        if not NAME_RE.match(name):
            raise SeedError(rv.p("name"), f"not a valid resource group name: {name!r}")
        if name.lower() in names:
            raise SeedError(rv.p("name"), f"duplicate resource group {name!r}")
        names.add(name.lower())
        rg = {"name": name, "location": rv.get("location", str, required=True).lower(),
              "tags": rv.get("tags", dict, {}), "virtual_networks": [], "images": [], "galleries": []}
        for vp, vitem in rv.items("virtual_networks"):
            rg["virtual_networks"].append(_vnet(vitem, vp, rg["location"]))
        for ip, iitem in rv.items("images"):
            iv = _V(iitem, ip, {"name", "location", "os", "os_type", "os_build", "generation", "generalized",
                                "size_gb", "data_disks"})
            gen = iv.get("generation", int, 2)
            if gen not in (1, 2):
                raise SeedError(iv.p("generation"), "must be 1 or 2")
            rg["images"].append({
                "name": iv.get("name", str, required=True), "location": iv.get("location", str, rg["location"]),
                "os": iv.get("os", str, "Windows 11 Enterprise"), "os_type": iv.get("os_type", str, "Windows"),
                "os_build": iv.get("os_build", str, "23H2"), "generation": gen,
                "generalized": iv.get("generalized", bool, True), "size_gb": iv.get("size_gb", int, 64),
                "data_disks": iv.nonneg("data_disks", 0),
            })
        for gp, gitem in rv.items("galleries"):
            rg["galleries"].append(_gallery(gitem, gp, rg["location"]))
        sub["resource_groups"].append(rg)
    return sub


def _vnet(item, path, default_location) -> dict:
    v = _V(item, path, {"name", "location", "address_space", "dns_servers", "subnets", "tags"})
    vnet = {"name": v.get("name", str, required=True),
            "location": v.get("location", str, default_location).lower(),
            "address_space": v.strings("address_space"), "dns_servers": v.strings("dns_servers"),
            "tags": v.get("tags", dict, {}), "subnets": []}
    if not vnet["address_space"]:
        raise SeedError(v.p("address_space"), "is required (a list of CIDR prefixes)")
    nets = []
    for i, prefix in enumerate(vnet["address_space"]):
        nets.append(_cidr(prefix, f"{v.p('address_space')}[{i}]"))
    for i, ip in enumerate(vnet["dns_servers"]):
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            raise SeedError(f"{v.p('dns_servers')}[{i}]", f"not an IP address: {ip!r}") from None
    for sp, sitem in v.items("subnets"):
        sv = _V(sitem, sp, {"name", "prefix", "used_ips", "delegations"})
        prefix = sv.get("prefix", str, required=True)
        net = _cidr(prefix, sv.p("prefix"))
        if not any(net.subnet_of(n) for n in nets if n.version == net.version):
            raise SeedError(sv.p("prefix"), f"{prefix} is outside the address space {vnet['address_space']}")
        used = sv.nonneg("used_ips", 0)
        if used > net.num_addresses - 5:
            raise SeedError(sv.p("used_ips"), f"{used} is more than the {net.num_addresses - 5} usable addresses")
        vnet["subnets"].append({"name": sv.get("name", str, required=True), "prefix": str(net), "used_ips": used,
                                "delegations": sv.strings("delegations")})
    return vnet


def _cidr(value, path):
    try:
        return ipaddress.ip_network(value, strict=True)
    except ValueError:
        raise SeedError(path, f"not a CIDR: {value!r}") from None


class _SeedDir:
    """Where relative file names in a seed resolve; confined: only files inside it (seeds sent to the control API
    name no other file on the machine, and no absolute path)."""

    def __init__(self, base: Path, confine: bool):
        self.base = Path(base)
        self.confine = confine

    def file(self, value: str, path: str) -> Path:
        if not self.confine:
            return (self.base / value) if not Path(value).is_absolute() else Path(value)
        base = self.base.resolve()
        file = (base / value).resolve()
        if Path(value).is_absolute() or not file.is_relative_to(base):
            raise SeedError(path, "a seed sent to the control API may name only files inside the start-up seed's "
                                  "directory (give the PEM text instead)")
        return file


def _read_pem(value: str, path: str, base_dir: _SeedDir, what: str) -> bytes:
    """PEM text as given, or the bytes of a file relative to the seed file (confined to its directory)."""
    if "-----BEGIN" in value:
        return value.encode()
    file = base_dir.file(value, path)
    try:
        return file.read_bytes()
    except OSError as err:
        raise SeedError(path, f"cannot read {what} file {file}: {err.strerror}") from None


def _load_public_key(value: str, path: str, base_dir: _SeedDir) -> bytes:
    """An issuer's signing key: PEM public key or certificate, as text or a path relative to the seed file;
    returns the PEM bytes of the public key."""
    pem = _read_pem(value, path, base_dir, "key")
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        if b"CERTIFICATE-----" in pem:
            key = x509.load_pem_x509_certificate(pem).public_key()
        else:
            key = serialization.load_pem_public_key(pem)
    except ValueError:
        raise SeedError(path, "not a PEM public key or certificate") from None
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _load_certificate(value: str, path: str, base_dir: _SeedDir) -> bytes:
    """PEM text or a path relative to the seed file; returns the PEM bytes of the certificate."""
    pem = _read_pem(value, path, base_dir, "certificate")
    from cryptography import x509

    try:
        x509.load_pem_x509_certificate(pem)
    except ValueError:
        raise SeedError(path, "not a PEM certificate") from None
    return pem

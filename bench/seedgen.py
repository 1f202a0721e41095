"""Generate sandbox seeds with any number of tenants and regions, for the scaling benchmark."""

from __future__ import annotations

import uuid

REGIONS = ["westeurope", "northeurope", "eastus", "westus2", "uksouth", "swedencentral", "centralus",
           "francecentral", "germanywestcentral", "japaneast"]


def _guid(*parts) -> str:
    # Stable GUIDs, so the same size always gives the same world and runs compare.
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "w365-bench/" + "/".join(map(str, parts))))


def make_seed(tenants: int, regions_per_tenant: int) -> dict:
    """A healthy world: every tenant has an Owner app, a W365 service principal and one vnet per region."""
    world = {"tenants": []}
    for t in range(tenants):
        sub = _guid("sub", t)
        app = {"client_id": _guid("app", t), "object_id": _guid("app-oid", t), "secret": f"bench-secret-{t}"}
        user_oid = _guid("user", t)
        groups = []
        for r in range(regions_per_tenant):
            region = REGIONS[r % len(REGIONS)]
            groups.append({
                "name": f"rg-cpc-{region}",
                "location": region,
                "images": [{"name": "win11-golden", "os": "Windows 11 Enterprise", "generation": 2,
                            "generalized": True, "size_gb": 64}] if r == 0 else [],
                "virtual_networks": [{
                    "name": f"vnet-cpc-{region}",
                    "location": region,
                    "address_space": [f"10.{r}.0.0/16"],
                    "dns_servers": [],
                    "subnets": [{"name": "cloudpcs", "prefix": f"10.{r}.1.0/24", "used_ips": 10,
                                 "delegations": []}],
                }],
            })
        world["tenants"].append({
            "id": _guid("tenant", t),
            "domain": f"bench{t}.onmicrosoft.com",
            "cloud": "public",
            "anc_limit": 50,
            "app_only_anc_writes": "allowed",
            "windows365_service_principal": {"object_id": _guid("w365sp", t), "created_seconds_ago": 86400},
            "apps": [app],
            "users": [{"upn": f"admin@bench{t}.onmicrosoft.com", "object_id": user_oid,
                       "password": f"bench-password-{t}"}],
            "role_assignments": [
                {"principal_id": app["object_id"], "role": "Owner", "scope": f"/subscriptions/{sub}"},
                {"principal_id": user_oid, "role": "Owner", "scope": f"/subscriptions/{sub}"},
            ],
            "subscriptions": [{"id": sub, "name": f"Bench {t}", "resource_groups": groups}],
            "network_connections": [],
            "device_images": [],
            "provisioning_policies": [],
        })
    return world


def hosts_for(seed: dict) -> list[dict]:
    """One deployment (inventory host) per tenant and region of a generated seed."""
    out = []
    for t, tenant in enumerate(seed["tenants"]):
        sub = tenant["subscriptions"][0]
        for group in sub["resource_groups"]:
            region = group["location"]
            vnet = group["virtual_networks"][0]
            out.append({
                "name": f"t{t}-{region}",
                "tenant_index": t,
                "tenant": tenant,
                "region": region,
                "subscription_id": sub["id"],
                "resource_group": group["name"],
                "virtual_network": vnet["name"],
                "subnet": vnet["subnets"][0]["name"],
            })
    return out

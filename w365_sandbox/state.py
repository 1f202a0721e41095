"""GET /_emulator/state: the whole world as JSON, secrets left out."""

from __future__ import annotations

from . import health, images
from .arm_common import iso, ra_json


def dump_state(emu) -> dict:
    now = emu.now()
    out = {"now": iso(now), "time_scale": emu.clock.scale, "tenants": []}
    for t in emu.tenants.values():
        ancs = []
        for a in t.ancs.values():
            d = {k: v for k, v in a.items() if not k.startswith("_")}
            d["healthCheckStatus"] = health.status(emu, a, now)
            d["healthCheckStatusDetail"] = health.detail(emu, a, now)
            ancs.append(d)
        imgs = []
        for i in t.images.values():
            d = {k: v for k, v in i.items() if not k.startswith("_")}
            d["expirationDate"] = images.expiration(i) if i["status"] == "ready" else None
            imgs.append(d)
        out["tenants"].append({
            "id": t.id, "domain": t.domain, "cloud": t.cloud, "anc_limit": t.anc_limit,
            "app_only_anc_writes": t.app_only_anc_writes, "windows365_service_principal": t.windows365_sp,
            "apps": [{"client_id": a["client_id"], "object_id": a["object_id"], "display_name": a["display_name"],
                      "has_secret": a["secret"] is not None, "has_certificate": a["certificate"] is not None,
                      "federated_credentials": [{**fc, "issuer_keys": len(fc["issuer_keys"])}
                                                for fc in a["federated_credentials"]],
                      "graph_permissions": a["graph_permissions"], "public_client": a["public_client"]}
                     for a in t.apps.values()],
            "users": [{"upn": u["upn"], "object_id": u["object_id"], "graph_permissions": u["graph_permissions"],
                       "directory_roles": u["directory_roles"], "mfa": u["mfa"]} for u in t.users.values()],
            "consents": [dict(c) for c in t.consents], "arm_mfa_enforced": t.arm_mfa_enforced,
            "managed_identities": [dict(m) for m in t.managed_identities.values()],
            "directory": [{"object_id": oid, "type": o["type"], "display_name": o["display_name"],
                           "app_id": o.get("app_id"), "created": iso(o["created_at"])}
                          for oid, o in t.directory.items()],
            "role_assignments": [ra_json(ra) for ra in t.role_assignments],
            "subscriptions": [{
                "id": s.id, "name": s.name, "state": s.state,
                "resource_groups": [{
                    "id": rg.id, "name": rg.name, "location": rg.location, "tags": rg.tags,
                    "virtual_networks": [dict(vn) for vn in rg.vnets.values()],
                    "images": list(rg.images.values()),
                } for rg in s.resource_groups.values()],
            } for s in t.subscriptions.values()],
            "ad_domains": [{"name": d["name"], "resolvable_from": d["resolvable_from"],
                            "join_accounts": [{"upn": j["upn"]} for j in d["join_accounts"]],
                            "organizational_units": d["organizational_units"]} for d in t.ad_domains],
            "network_connections": ancs,
            "device_images": imgs,
            "provisioning_policies": [{**{k: v for k, v in p.items() if not k.startswith("_")},
                                       "assignments": [a["target"] for a in p.get("_assignments") or []]}
                                      for p in t.policies.values()],
            "policy_applies": [{**a, "at": iso(a["at"])} for a in t.policy_applies],
            "groups": [{k: v for k, v in grp.items() if k != "created_at"} for grp in t.groups.values()],
            "cloud_pcs": [{k: v for k, v in pc.items() if not k.startswith("_")} for pc in t.cloud_pcs.values()],
            "user_settings": [{k: v for k, v in us.items() if not k.startswith("_")}
                              for us in t.user_settings.values()],
        })
    return out

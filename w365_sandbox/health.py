"""ANC health checks: pending -> running -> passed/warning/failed over simulated time, results computed
from the state when the checks finish (Windows 365 service principal roles, subnet space, region, AD)."""

from __future__ import annotations

import datetime
import ipaddress
import uuid

RECOMMENDED = {
    "permissionCheckNoSubscriptionReaderRole":
        "Assign the Reader role on the subscription to the Windows 365 service principal "
        "(app ID 0af06dc6-e4b5-4f28-818e-e78e62d137a5), then retry the health check.",
    "permissionCheckNoWindows365NetworkInterfaceContributorRole":
        "Assign the Windows 365 Network Interface Contributor role on the resource group to the Windows 365 "
        "service principal, then retry the health check.",
    "permissionCheckNoWindows365NetworkUserRole":
        "Assign the Windows 365 Network User role on the virtual network to the Windows 365 service principal, "
        "then retry the health check.",
    "resourceAvailabilityCheckNoSubnetIP":
        "Keep at least half of the subnet's IP addresses free: use a larger subnet or free up addresses.",
    "resourceAvailabilityCheckUnsupportedVNetRegion":
        "Use a virtual network in a region that Windows 365 supports.",
    "resourceAvailabilityCheckSubnetDelegationFailed":
        "Remove the delegation from the subnet, or choose a subnet without delegations.",
    "resourceAvailabilityCheckVNetInvalid": "Make sure the virtual network exists and is in the given resource group.",
    "resourceAvailabilityCheckSubnetInvalid": "Make sure the subnet exists in the virtual network.",
    "resourceAvailabilityCheckResourceGroupInvalid": "Make sure the resource group exists in the subscription.",
    "resourceAvailabilityCheckSubscriptionNotFound": "Make sure the subscription exists in this tenant.",
    "resourceAvailabilityCheckSubscriptionDisabled": "Enable the Azure subscription.",
    "dnsCheckFqdnNotFound":
        "Make sure the virtual network's DNS servers can resolve the Active Directory domain name.",
    "adJoinCheckFqdnNotFound": "Make sure the domain name is right and resolvable from the virtual network.",
    "adJoinCheckIncorrectCredentials":
        "Check the domain join account's user name and password, then update the password on the connection.",
    "adJoinCheckOrganizationalUnitNotFound":
        "Make sure the organizational unit exists in the domain, or leave it empty to use the default container.",
    "azureAdDeviceSyncCheckDeviceNotFound":
        "Make sure Microsoft Entra Connect syncs the organizational unit's computers to Microsoft Entra ID.",
    "azureAdDeviceSyncCheckDurationExceeded":
        "Make sure Microsoft Entra Connect is enabled and syncs at least every 60 minutes.",
    "azureAdDeviceSyncCheckConnectDisabled": "Enable Microsoft Entra Connect sync for the tenant.",
    "azureAdDeviceSyncCheckScpNotConfigured":
        "Configure the service connection point for Microsoft Entra hybrid join in the Microsoft Entra Connect wizard.",
}


def iso(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def start(emu, anc, skip_pending: bool) -> None:
    # Only the first run blocks provisioning policies (see in_first_check); later runs leave the ANC usable.
    anc["_check"] = {"started": emu.now(), "skip_pending": skip_pending, "result": None, "first": "_check" not in anc}


def in_first_check(emu, anc, now: float) -> bool:
    """True while a new ANC's first health check is pending or running (it can't join a provisioning policy)."""
    return bool(anc["_check"].get("first")) and status(emu, anc, now) in ("pending", "running")


def _timings(emu, anc):
    hc = emu.seed["health_check"]
    pend = 0.0 if anc["_check"]["skip_pending"] else hc["pending_seconds"]
    return pend, hc["running_seconds"]


def status(emu, anc, now: float) -> str:
    c = anc["_check"]
    if c["result"] is not None:
        return c["result"]["status"]
    pend, _run = _timings(emu, anc)
    return "pending" if pend and now - c["started"] < pend else "running"


def detail(emu, anc, now: float):
    c = anc["_check"]
    if c["result"] is not None:
        r = c["result"]
        return {"startDateTime": r["start"], "endDateTime": r["end"], "healthChecks": r["checks"]}
    pend, _run = _timings(emu, anc)
    if pend and now - c["started"] < pend:
        return None
    # endDateTime is non-nullable in Graph's schema (CSDL and ../shared/specs): while running it is left out.
    return {"startDateTime": iso(c["started"] + pend), "healthChecks": []}


def settle(emu, tenant, anc, now: float) -> None:
    c = anc["_check"]
    if c["result"] is not None:
        return
    pend, run = _timings(emu, anc)
    if now - c["started"] >= pend + run:
        c["result"] = compute(emu, tenant, anc, c["started"] + pend, c["started"] + pend + run)


def _find(tenant, anc):
    """(subscription, resource group, vnet dict, subnet dict) as far as they exist."""
    sub = tenant.subscriptions.get((anc.get("subscriptionId") or "").lower())
    parts = (anc.get("subnetId") or "").split("/")
    rg = vnet = subnet = None
    if sub is not None and len(parts) == 11:
        rg = sub.resource_groups.get(parts[4].lower())
        if rg is not None:
            vnet = rg.vnets.get(parts[8].lower())
            if vnet is not None:
                subnet = next((s for s in vnet["subnets"] if s["name"].lower() == parts[10].lower()), None)
    return sub, rg, vnet, subnet


def compute(emu, tenant, anc, begin: float, end: float) -> dict:
    checks = []
    step = (end - begin) / 12.0
    t = [begin]

    def add(name, error=None, level="failed", detail_text=None):
        s = t[0]
        t[0] += step
        checks.append({
            "displayName": name, "status": level if error else "passed", "startDateTime": iso(s),
            "endDateTime": iso(t[0]), "errorType": error, "recommendedAction": RECOMMENDED.get(error) if error else None,
            "additionalDetail": detail_text, "correlationId": str(uuid.uuid4()),
        })

    # GCC: the Azure side (subscription, roles, Windows 365 service principal) is the mapped Azure Government tenant.
    from .clouds import azure_tenant
    azure = azure_tenant(emu, tenant)
    sub, rg, vnet, subnet = _find(azure, anc)
    vnet_id = anc.get("virtualNetworkId") or ""
    hybrid = anc.get("connectionType") == "hybridAzureADJoin"
    if hybrid:
        _ad_checks(tenant, anc, vnet_id, vnet, add)
    add("Endpoint connectivity")
    if hybrid:
        # Warning level: learn.microsoft.com/windows-365/enterprise/health-checks ("Checks successful with warnings
        # ... the Microsoft Entra hybrid join sync check ... can take up to 90 minutes") and
        # troubleshoot-azure-network-connection ("Microsoft Entra device Sync").
        add("Azure AD device sync", _device_sync_error(tenant, anc), level="warning")
    # Azure readiness
    if sub is None:
        add("Azure tenant readiness", "resourceAvailabilityCheckSubscriptionNotFound",
            detail_text=f"Subscription {anc.get('subscriptionId')} was not found.")
    elif sub.state != "Enabled":
        add("Azure tenant readiness", "resourceAvailabilityCheckSubscriptionDisabled",
            detail_text=f"Subscription state is {sub.state}.")
    else:
        add("Azure tenant readiness")
    if sub is not None and rg is None:
        add("Azure virtual network readiness", "resourceAvailabilityCheckResourceGroupInvalid",
            detail_text=f"Resource group {anc.get('resourceGroupId')} was not found.")
    elif sub is not None and vnet is None:
        add("Azure virtual network readiness", "resourceAvailabilityCheckVNetInvalid",
            detail_text=f"Virtual network {vnet_id} was not found.")
    elif sub is not None and subnet is None:
        add("Azure virtual network readiness", "resourceAvailabilityCheckSubnetInvalid",
            detail_text=f"Subnet {anc.get('subnetId')} was not found.")
    elif vnet is not None and vnet["location"] not in emu.seed["supported_regions"]:
        add("Azure virtual network readiness", "resourceAvailabilityCheckUnsupportedVNetRegion",
            detail_text=f"Region {vnet['location']} is not supported.")
    elif subnet is not None and subnet["delegations"]:
        add("Azure virtual network readiness", "resourceAvailabilityCheckSubnetDelegationFailed",
            detail_text=f"The subnet is delegated to {', '.join(subnet['delegations'])}.")
    else:
        add("Azure virtual network readiness")
    if subnet is not None:
        total = ipaddress.ip_network(subnet["prefix"]).num_addresses
        free = total - 5 - subnet["used_ips"]
        if free <= 0:
            add("Azure subnet IP address usage", "resourceAvailabilityCheckNoSubnetIP",
                detail_text="The subnet has no free IP addresses.")
        elif free * 2 < total:
            add("Azure subnet IP address usage", "resourceAvailabilityCheckNoSubnetIP", level="warning",
                detail_text=f"Only {free} of {total} IP addresses are free; keep at least half free.")
        else:
            add("Azure subnet IP address usage")
    # First-party app permissions, evaluated from the Windows 365 service principal's role assignments.
    sp = azure.windows365_sp
    note = None if sp else "The Windows 365 service principal is not provisioned in this tenant."
    sub_scope = f"/subscriptions/{anc.get('subscriptionId')}"
    ok = sp and azure.principal_allows(sp, "Microsoft.Resources/subscriptions/read", sub_scope)
    add("First party app has Reader permission on the subscription",
        None if ok else "permissionCheckNoSubscriptionReaderRole", detail_text=None if ok else note)
    ok = sp and azure.principal_allows(sp, "Microsoft.Network/networkInterfaces/write",
                                       anc.get("resourceGroupId") or "")
    add("First party app has Windows 365 Network Interface Contributor permission on the resource group",
        None if ok else "permissionCheckNoWindows365NetworkInterfaceContributorRole", detail_text=None if ok else note)
    ok = sp and azure.principal_allows(sp, "Microsoft.Network/virtualNetworks/subnets/join/action", vnet_id)
    add("First party app has Windows 365 Network User permission on the virtual network",
        None if ok else "permissionCheckNoWindows365NetworkUserRole", detail_text=None if ok else note)
    add("Intune enrollment restriction allows Windows enrollment")
    add("Environment and configuration is ready")
    statuses = {c["status"] for c in checks}
    overall = "failed" if "failed" in statuses else "warning" if "warning" in statuses else "passed"
    return {"status": overall, "start": iso(begin), "end": iso(end), "checks": checks}


def _device_sync_error(tenant, anc):
    from .seed import DEVICE_SYNC_STATES

    name = (anc.get("adDomainName") or "").lower()
    domain = next((d for d in tenant.ad_domains if d["name"].lower() == name), None)
    return DEVICE_SYNC_STATES.get((domain or {}).get("device_sync", "synced"))


def _ad_checks(tenant, anc, vnet_id, vnet, add) -> None:
    name = (anc.get("adDomainName") or "").lower()
    domain = next((d for d in tenant.ad_domains if d["name"].lower() == name), None)
    resolvable = domain is not None and any(r.lower() == vnet_id.lower() for r in domain["resolvable_from"])
    if not resolvable:
        add("Active Directory domain name resolvable", "dnsCheckFqdnNotFound",
            detail_text=f"The DNS servers of {vnet_id.rsplit('/', 1)[-1]} cannot resolve {anc.get('adDomainName')}.")
        add("Active Directory domain join", "adJoinCheckFqdnNotFound")
        return
    add("Active Directory domain name resolvable")
    user = (anc.get("adDomainUsername") or "").lower()
    account = next((a for a in domain["join_accounts"]
                    if a["upn"].lower() == user or a["upn"].lower().split("@")[0] == user), None)
    if account is None or account["password"] != anc.get("_password"):
        add("Active Directory domain join", "adJoinCheckIncorrectCredentials",
            detail_text="The domain join account's user name or password is wrong.")
        return
    ou = anc.get("organizationalUnit")
    if ou and not any(o.lower() == ou.lower() for o in domain["organizational_units"]):
        add("Active Directory domain join", "adJoinCheckOrganizationalUnitNotFound",
            detail_text=f"The organizational unit {ou} was not found.")
        return
    add("Active Directory domain join")

"""Clouds and authorities: which Entra authority a tenant signs in at (docs/sandbox.md, "Government clouds").

Azure Government tenants (`usgov`, and the single-tenant US Government clouds `gcc_high` and `dod`) sign in at the
US Government authority (login.microsoftonline.us); every other tenant at the commercial one
(learn.microsoft.com/azure/azure-government/documentation-government-developer-guide: Azure Government endpoints).
The sandbox has one address; a seed that sets `us_government_authority_host` (a host name the sandbox certificate
covers, e.g. `localhost` while the commercial authority is `127.0.0.1`) makes requests at that host the US
Government authority and every other host the commercial one. Without that key any host serves every tenant.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from .errors import ApiError
from .tokens import CLOUD_AUDIENCES

US_GOVERNMENT_CLOUDS = frozenset(("usgov", "gcc_high", "dod"))


def request_host(req) -> str:
    return (urlsplit(req.base_url).hostname or "").lower()


def at_wrong_authority(emu, req, tenant) -> bool:
    """True when the seed separates the authorities and the tenant does not belong to the one asked."""
    gov_host = (emu.seed.get("us_government_authority_host") or "").lower()
    if not gov_host:
        return False
    return (request_host(req) == gov_host) != (tenant.cloud in US_GOVERNMENT_CLOUDS)


def arm_audience_refusal(req, sub_tenant):
    """ARM of the subscription's cloud refuses a token for another cloud's ARM (a commercial token at Azure
    Government ARM, or the reverse) with 401 InvalidAuthenticationTokenAudience, before the tenant check. The
    message follows ARM's answer for a wrong audience (as auth.py); None when the audience fits."""
    allowed = CLOUD_AUDIENCES[sub_tenant.cloud][1]
    audience = getattr(req, "token_audience", None)
    if audience in allowed:
        return None
    listed = ",".join(f"'{a}/','{a}'" for a in allowed)
    return ApiError(401, "InvalidAuthenticationTokenAudience",
                    f"The access token has been obtained for wrong audience or resource '{audience}'. It should "
                    f"exactly match with one of the allowed audiences {listed}.")


def azure_tenant(emu, tenant):
    """The tenant that holds the Azure side of `tenant`'s Cloud PCs: for a GCC tenant, the Azure Government tenant
    it is mapped to (learn.microsoft.com/windows-365/enterprise/set-up-tenants-windows-365-gcc: the subscription,
    the Windows 365 service principal and its roles are in that tenant); otherwise the tenant itself. An unmapped
    GCC tenant keeps its own (usually empty) Azure side, so its health checks fail as unmapped ones would."""
    mapped = getattr(tenant, "gov_mapping", None)
    if tenant.cloud == "gcc" and mapped:
        return emu.tenants.get(mapped, tenant)
    return tenant

"""Whole-inventory validation of the rollout and the tenant sign-in map (module_utils/_inventory.py): pure, no network.

Table-driven: every bad entry is refused with a message that names the inventory variable (and the host or tenant),
and never contains a secret value.
"""

from __future__ import annotations

import copy

import pytest

from ansible_collections.w365.cloudpc.plugins.module_utils import _inventory as inv
from ansible_collections.w365.cloudpc.plugins.module_utils._constants import AZURE_REGIONS, SUPPORTED_ANC_REGIONS
from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ConfigError

SUB_A = "11111111-1111-4111-8111-111111111111"
SUB_B = "22222222-2222-4222-8222-222222222222"
SECRET = "Sup3r-S3cret-VALUE-never-shown"
PASSWORD = "J0in-Passw0rd-never-shown"
IMAGE = "/subscriptions/%s/resourceGroups/rg-images/providers/Microsoft.Compute/images/golden" % SUB_A


def _anc(name, sub, rg, vnet, **extra):
    return dict({"name": name, "subscription_id": sub, "resource_group": rg, "virtual_network": vnet,
                 "subnet": "cloudpcs"}, **extra)


def base():
    auth_a = {"tenant_id": "aaaaaaaa-0000-4000-8000-00000000000a", "client_id": "c", "client_secret": SECRET}
    auth_b = {"tenant_id": "bbbbbbbb-0000-4000-8000-00000000000b", "auth_method": "username_password",
              "username": "admin@b.example", "password": SECRET}
    images_a = [{"name": "Golden", "version": "1.0.0", "source_image_id": IMAGE}]
    return {
        "a_weu": {"w365_tenant": "a", "w365_region": "westeurope", "w365_auth": auth_a, "w365_images": images_a,
                  "w365_network_connection": _anc("anc-a-weu", SUB_A, "rg-weu", "vnet-weu")},
        "a_neu": {"w365_tenant": "a", "w365_region": "northeurope", "w365_auth": auth_a, "w365_images": images_a,
                  "w365_network_connection": _anc("anc-a-neu", SUB_A, "rg-neu", "vnet-neu")},
        "b_eus": {"w365_tenant": "b", "w365_region": "eastus", "w365_auth": auth_b, "w365_images": [],
                  "w365_network_connection": _anc(
                      "anc-b-eus", SUB_B, "rg-eus", "vnet-eus", join_type="hybrid_join",
                      ad_domain_name="corp.b.example", ad_domain_username="svc@corp.b.example",
                      ad_domain_password=PASSWORD, organizational_unit="OU=PCs,DC=corp,DC=b,DC=example")},
    }


def validate(hosts, **kwargs):
    kwargs.setdefault("environ", {})
    return inv.validate_inventory(hosts, **kwargs)


def test_the_base_inventory_is_sound():
    assert validate(base()) == []


def nc(host, **changes):
    def mutate(hosts):
        for key, value in changes.items():
            if value is DELETE:
                hosts[host]["w365_network_connection"].pop(key, None)
            else:
                hosts[host]["w365_network_connection"][key] = value
    return mutate


def hv(host, **changes):
    def mutate(hosts):
        for key, value in changes.items():
            if value is DELETE:
                hosts[host].pop(key, None)
            else:
                hosts[host][key] = value
    return mutate


def image(index, **changes):
    def mutate(hosts):
        for host in ("a_weu", "a_neu"):
            images = copy.deepcopy(hosts[host]["w365_images"])
            while len(images) <= index:
                images.append(dict(images[0], version="9.%d.0" % len(images)))
            for key, value in changes.items():
                if value is DELETE:
                    images[index].pop(key, None)
                else:
                    images[index][key] = value
            hosts[host]["w365_images"] = images
    return mutate


def auth(host_or_tenant, **changes):
    def mutate(hosts):
        for host, values in hosts.items():
            if values["w365_tenant"] == host_or_tenant:
                values["w365_auth"] = dict(values["w365_auth"])
                for key, value in changes.items():
                    if value is DELETE:
                        values["w365_auth"].pop(key, None)
                    else:
                        values["w365_auth"][key] = value
    return mutate


def both(*mutators):
    def mutate(hosts):
        for m in mutators:
            m(hosts)
    return mutate


DELETE = object()
GALLERY = "/subscriptions/%s/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/i/versions/1.0.0" % SUB_A

# (id, mutation, variable the message must name, host the problem is on (None: tenant/inventory level))
CASES = [
    # w365_tenant / w365_region
    ("tenant missing", hv("a_weu", w365_tenant=DELETE), "w365_tenant", "a_weu"),
    ("tenant empty", hv("a_weu", w365_tenant=""), "w365_tenant", "a_weu"),
    ("tenant not a string", hv("a_weu", w365_tenant=["a"]), "w365_tenant", "a_weu"),
    ("region missing", hv("a_weu", w365_region=DELETE), "w365_region", "a_weu"),
    ("region empty", hv("a_weu", w365_region=""), "w365_region", "a_weu"),
    ("region typo", hv("a_weu", w365_region="westeurop"), "w365_region", "a_weu"),
    ("region made up", hv("a_weu", w365_region="atlantis"), "w365_region", "a_weu"),
    ("region display name of no region", hv("a_weu", w365_region="West Europa"), "w365_region", "a_weu"),
    ("region not a string", hv("a_weu", w365_region=42), "w365_region", "a_weu"),
    # w365_network_connection
    ("connection not a mapping", hv("a_weu", w365_network_connection="anc-a"), "w365_network_connection", "a_weu"),
    ("connection name missing", nc("a_weu", name=DELETE), "w365_network_connection.name", "a_weu"),
    ("connection name empty", nc("a_weu", name="  "), "w365_network_connection.name", "a_weu"),
    ("connection name control chars", nc("a_weu", name="anc\x07bell"), "w365_network_connection.name", "a_weu"),
    ("connection name too long", nc("a_weu", name="x" * 257), "w365_network_connection.name", "a_weu"),
    ("connection unknown key subnett", nc("a_weu", subnett="x"), "w365_network_connection", "a_weu"),
    ("connection unknown key planned_cloudpcs", nc("a_weu", planned_cloudpcs=5), "w365_network_connection", "a_weu"),
    ("connection misspelled secret key", nc("b_eus", ad_domain_pasword=PASSWORD), "w365_network_connection", "b_eus"),
    ("join type typo", nc("a_weu", join_type="entra-join"), "w365_network_connection.join_type", "a_weu"),
    ("join type made up", nc("a_weu", join_type="azure_ad"), "w365_network_connection.join_type", "a_weu"),
    ("subnet missing", nc("a_weu", subnet=DELETE), "w365_network_connection.subnet", "a_weu"),
    ("virtual network missing", nc("a_weu", virtual_network=DELETE), "w365_network_connection.virtual_network",
     "a_weu"),
    ("subscription not a GUID", nc("a_weu", subscription_id="my-sub"), "w365_network_connection.subscription_id",
     "a_weu"),
    ("planned Cloud PCs negative", nc("a_weu", planned_cloud_pcs=-1), "w365_network_connection.planned_cloud_pcs",
     "a_weu"),
    ("planned Cloud PCs text", nc("a_weu", planned_cloud_pcs="many"), "w365_network_connection.planned_cloud_pcs",
     "a_weu"),
    ("anc limit zero", nc("a_weu", anc_limit=0), "w365_network_connection.anc_limit", "a_weu"),
    ("wait timeout text", nc("a_weu", wait_timeout="soon"), "w365_network_connection.wait_timeout", "a_weu"),
    ("manage grants not a bool", nc("a_weu", manage_grants="sometimes"), "w365_network_connection.manage_grants",
     "a_weu"),
    ("remove legacy grants not a bool", nc("a_weu", remove_legacy_grants="maybe"),
     "w365_network_connection.remove_legacy_grants", "a_weu"),
    ("update password typo", nc("b_eus", update_password="allways"), "w365_network_connection.update_password",
     "b_eus"),
    ("update password always without a password", nc("b_eus", update_password="always", ad_domain_password=DELETE),
     "w365_network_connection.ad_domain_password", "b_eus"),
    ("hybrid join without domain", nc("b_eus", ad_domain_name=DELETE), "w365_network_connection.ad_domain_name",
     "b_eus"),
    ("hybrid join without user", nc("b_eus", ad_domain_username=DELETE),
     "w365_network_connection.ad_domain_username", "b_eus"),
    ("hybrid join without password", nc("b_eus", ad_domain_password=DELETE),
     "w365_network_connection.ad_domain_password", "b_eus"),
    ("entra join with an AD password", nc("a_weu", ad_domain_password=PASSWORD),
     "w365_network_connection.ad_domain_password", "a_weu"),
    ("entra join with an OU", nc("a_weu", organizational_unit="OU=x"), "w365_network_connection.organizational_unit",
     "a_weu"),
    # cross-host: duplicate names and subnets
    ("duplicate connection name in a tenant", nc("a_neu", name="anc-a-weu"), "w365_network_connection.name", "a_neu"),
    ("duplicate connection name differing in case", nc("a_neu", name="ANC-A-WEU"), "w365_network_connection.name",
     "a_weu"),
    ("two deployments on one subnet", nc("a_neu", resource_group="rg-weu", virtual_network="vnet-weu"),
     "w365_network_connection.subnet", "a_neu"),
    ("one subnet, once by name and once by ID", nc(
        "a_neu", subnet="/subscriptions/%s/resourceGroups/RG-WEU/providers/Microsoft.Network/virtualNetworks/"
                        "vnet-weu/subnets/cloudpcs" % SUB_A, virtual_network=DELETE, resource_group=DELETE),
     "w365_network_connection.subnet", "a_weu"),
    ("one subnet through the vnet resource group", nc(
        "a_neu", resource_group="rg-nics", virtual_network_resource_group="rg-weu", virtual_network="vnet-weu"),
     "w365_network_connection.subnet", "a_neu"),
    # w365_images
    ("images not a list", hv("a_weu", w365_images={"name": "x"}), "w365_images", "a_weu"),
    ("image entry not a mapping", hv("b_eus", w365_images=["Golden"]), "w365_images[0]", "b_eus"),
    ("image without source_image_id", image(0, source_image_id=DELETE), "w365_images[0].source_image_id", "a_weu"),
    ("image with a gallery source", image(0, source_image_id=GALLERY), "w365_images[0].source_image_id", "a_weu"),
    ("image without name", image(0, name=DELETE), "w365_images[0].name", "a_weu"),
    ("image version not semver", image(0, version="1.0"), "w365_images[0].version", "a_weu"),
    ("image version as a float", image(0, version=1.1), "w365_images[0].version", "a_weu"),
    ("image unknown key sorce_image_id", image(0, sorce_image_id=IMAGE), "w365_images[0]", "a_weu"),
    ("image retry_failed not a bool", image(0, retry_failed="perhaps"), "w365_images[0].retry_failed", "a_weu"),
    ("image wait_timeout zero", image(0, wait_timeout=0), "w365_images[0].wait_timeout", "a_weu"),
    ("image listed twice", image(1, version="1.0.0"), "w365_images[1]", "a_weu"),
    ("images differ between hosts of a tenant", hv("a_neu", w365_images=[]), "w365_images", None),
    # sign-in
    ("sign-in unknown key client_secert", auth("a", client_secret=DELETE, client_secert=SECRET), "w365_auth", "a_weu"),
    ("sign-in unknown key pasword", auth("b", password=DELETE, pasword=SECRET), "w365_auth", "b_eus"),
    ("sign-in AD password among sign-in options", auth("a", ad_domain_pasword=SECRET), "w365_auth", "a_weu"),
    ("sign-in options not a mapping", hv("a_weu", w365_auth="secret"), "w365_auth", "a_weu"),
    ("common sign-in unknown key", hv("a_weu", w365_auth_common={"authority": "https://x"}), "w365_auth_common",
     "a_weu"),
    ("sign-in missing for a tenant", both(hv("b_eus", w365_auth=DELETE)), "w365_auth", None),
    ("password sign-in without a password", auth("b", password=DELETE), "w365_auth", None),
    ("client secret sign-in without tenant", auth("a", tenant_id=DELETE), "w365_auth", None),
    ("unknown auth method", auth("a", auth_method="client_sceret"), "w365_auth", None),
]


def test_there_are_at_least_forty_distinct_cases():
    assert len(CASES) >= 40
    assert len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case_id,mutate,variable,host", CASES, ids=[c[0] for c in CASES])
def test_each_bad_entry_is_refused_naming_the_variable(case_id, mutate, variable, host):
    hosts = copy.deepcopy(base())
    mutate(hosts)
    problems = validate(hosts)
    assert problems, case_id
    matching = [p for p in problems if p["variable"].startswith(variable) and (host is None or p["host"] == host)]
    assert matching, problems
    for problem in problems:
        # The message names the variable (or the key under it) and never holds a secret.
        assert variable.split(".")[0].split("[")[0] in problem["message"] or variable in problem["variable"]
        text = inv.format_problem(problem)
        assert SECRET not in text and PASSWORD not in text


def test_every_problem_is_listed_at_once():
    hosts = copy.deepcopy(base())
    for mutate in (hv("a_weu", w365_region="westeurop"), nc("a_neu", name="anc-a-weu"), image(0, sorce_image_id="x"),
                   nc("b_eus", subnett="x")):
        mutate(hosts)
    variables = {p["variable"] for p in validate(hosts)}
    assert {"w365_region", "w365_network_connection.name", "w365_images[0]", "w365_network_connection"} <= variables


def test_duplicate_names_name_both_hosts():
    hosts = copy.deepcopy(base())
    nc("a_neu", name="anc-a-weu")(hosts)
    problems = [p for p in validate(hosts) if p["variable"] == "w365_network_connection.name"]
    assert {p["host"] for p in problems} == {"a_weu", "a_neu"}
    assert all("a_weu" in p["message"] and "a_neu" in p["message"] for p in problems)


def test_same_name_in_two_tenants_is_fine():
    hosts = copy.deepcopy(base())
    nc("b_eus", name="anc-a-weu")(hosts)
    assert validate(hosts) == []


def test_region_message_says_not_an_azure_region_and_suggests():
    hosts = copy.deepcopy(base())
    hv("a_weu", w365_region="westeurop")(hosts)
    message = validate(hosts)[0]["message"]
    assert "w365_region" in message and "not an Azure region" in message and "westeurope" in message


def test_region_forms_and_extra_regions():
    hosts = copy.deepcopy(base())
    hv("a_weu", w365_region="West Europe")(hosts)
    assert validate(hosts) == []
    hv("a_weu", w365_region="marscentral")(hosts)
    assert validate(hosts)
    assert validate(hosts, extra_regions=["marscentral"]) == []


def test_region_list_is_one_list_holding_every_supported_region():
    assert set(SUPPORTED_ANC_REGIONS) <= set(AZURE_REGIONS)
    assert list(AZURE_REGIONS) == sorted(set(AZURE_REGIONS))


def test_limit_reports_per_host_problems_of_the_run_only_but_duplicates_across_it():
    hosts = copy.deepcopy(base())
    hv("b_eus", w365_region="nowhere")(hosts)
    assert validate(hosts, play_hosts=["a_weu", "a_neu"]) == []
    nc("a_neu", name="anc-a-weu")(hosts)
    problems = validate(hosts, play_hosts=["a_weu"])
    assert {p["host"] for p in problems} == {"a_weu", "a_neu"}


def test_environment_sign_in_counts():
    hosts = copy.deepcopy(base())
    hv("b_eus", w365_auth=DELETE)(hosts)
    assert validate(hosts, environ={"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c", "AZURE_CLIENT_SECRET": "s"}) == []


def test_tenant_map_entries_count_and_are_checked():
    hosts = copy.deepcopy(base())
    hv("b_eus", w365_auth=DELETE)(hosts)
    tenant_map = {"b": {"tenant_id": "t", "client_id": "c", "client_secret": SECRET}}
    assert validate(hosts, tenant_map=tenant_map) == []
    problems = validate(hosts, tenant_map={"b": {"tenant_id": "t", "client_id": "c", "client_secert": SECRET}})
    assert problems and all(SECRET not in p["message"] for p in problems)
    assert any("client_secret" in p["message"] and p["variable"] == "w365_tenant_credentials" for p in problems)
    # A key close to a tenant of the inventory is a typo; a far one may be another AWX slice's tenant.
    assert any("did you mean 'b'" not in p["message"] and "'a'" in p["message"]
               for p in validate(hosts, tenant_map=dict(tenant_map, aa={"tenant_id": "x"})))
    assert validate(hosts, tenant_map=dict(tenant_map, fabrikam={"tenant_id": "x"})) == []


# --- the tenant map as AWX injects it (text) ---------------------------------------------------------------------

MALFORMED = [
    # (text, tenant key the message must name, line)
    ('contoso:\n  tenant_id: t\n  client_id: c\n  client_secret: "%s"\nfabrikam: {tenant_id: t, client_secret: %s '
     'client_id: y}\n' % (SECRET, SECRET), "fabrikam", 5),
    ('{"contoso": {"tenant_id": "t", "client_secret": "%s" "client_id": "x"}}' % SECRET, "contoso", 1),
    ('{"contoso": {"tenant_id": "t"}, "fabrikam": {"client_secret": "%s", "client_id": "x",}' % SECRET, None, 1),
    ('contoso:\n  tenant_id: t\n  client_secret: %s: x\n' % SECRET, "contoso", 3),
    ('contoso:\n\tclient_secret: %s\n' % SECRET, "contoso", 2),
    ('contoso: {client_secret: "%s}\n' % SECRET, None, None),
    ("contoso:\n  client_secret: '%s\n  client_id: x\n" % SECRET, None, None),
    ('contoso:\n  client_secret: %s\n   client_id: x\n' % SECRET, "contoso", 3),
    ('contoso:\n  client_secret: *%s\n' % SECRET.replace("-", ""), "contoso", None),
    ('contoso:\n  client_secret: "\\q%s"\n' % SECRET, "contoso", 2),
]


@pytest.mark.parametrize("text,tenant,line", MALFORMED)
def test_malformed_tenant_map_never_quotes_the_text(text, tenant, line):
    with pytest.raises(W365ConfigError) as err:
        inv.parse_tenant_map(text)
    message = str(err.value)
    assert SECRET not in message and SECRET.replace("-", "") not in message
    # Nothing of the parser's error (which quotes the line) is attached to the exception either.
    assert err.value.__cause__ is None and err.value.__context__ is None
    assert message.startswith("w365_tenant_credentials")
    if tenant:
        assert "tenant '%s'" % tenant in message
    if line:
        assert "line %d" % line in message


@pytest.mark.parametrize("value", ["- %s" % SECRET, SECRET, "contoso: %s" % SECRET, "contoso: [%s]" % SECRET])
def test_wrong_shapes_never_quote_the_value(value):
    with pytest.raises(W365ConfigError) as err:
        inv.parse_tenant_map(value)
    assert SECRET not in str(err.value)


def test_tenant_map_text_json_and_empty():
    assert inv.parse_tenant_map("") == {} and inv.parse_tenant_map(None) == {}
    assert inv.parse_tenant_map('{"a": {"tenant_id": "t"}}') == {"a": {"tenant_id": "t"}}
    assert inv.parse_tenant_map("a:\n  tenant_id: t\nb:\n") == {"a": {"tenant_id": "t"}, "b": {}}


@pytest.mark.parametrize("where,options,closest", [
    ("inventory", {"client_secert": SECRET}, "client_secret"),
    ("inventory", {"pasword": SECRET}, "password"),
    ("inventory", {"tenantid": "t"}, "tenant_id"),
    ("map", {"client_certificate_pasword": SECRET}, "client_certificate_password"),
    ("map", {"ad_domain_pasword": SECRET}, "ad_domain_password"),
])
def test_merge_signin_refuses_unknown_keys_naming_the_closest(where, options, closest):
    args = ({}, options, None, "a") if where == "inventory" else ({}, {}, {"a": options}, "a")
    with pytest.raises(W365ConfigError) as err:
        inv.merge_signin(*args)
    message = str(err.value)
    assert "did you mean '%s'" % closest in message
    assert SECRET not in message
    assert ("w365_auth" if where == "inventory" else "w365_tenant_credentials") in message


def test_merge_signin_later_wins_and_drops_empty():
    merged = inv.merge_signin({"ca_bundle": "/ca"}, {"tenant_id": "t", "client_secret": "inv"},
                              '{"a": {"client_secret": "map", "client_id": ""}}', "a")
    assert merged == {"ca_bundle": "/ca", "tenant_id": "t", "client_secret": "map"}

"""Pure rules of the sandbox's provisioning policies and gallery images (no emulator process): the naming template
as Graph and Windows 365 document it, gallery status from the dates, and relative seed dates."""

from __future__ import annotations

import datetime

import pytest

from w365_sandbox.errors import ApiError
from w365_sandbox.graph_images import gallery_status
from w365_sandbox.graph_policies import check_naming_template
from w365_sandbox.world import _date

NOW = datetime.datetime(2026, 6, 1, 12, tzinfo=datetime.timezone.utc).timestamp()


@pytest.mark.parametrize("template", [
    None, "CPC-%RAND:5%", "%RAND:15%", "CPC-%USERNAME:4%-%RAND:5%", "cpc-%username:3%-%rand:5%",
    "ABCDEFGHIJ%RAND:5%", "%USERNAME:5%-%RAND:5%", "ABCDEF-%RAND:8%",
])
def test_templates_the_service_accepts(template):
    check_naming_template(template)


@pytest.mark.parametrize("template, provisioning_type, words", [
    ("CPC-%RAND:12%", "dedicated", ["16", "15"]),              # 16 generated characters
    ("ABCDEFGHIJK%RAND:5%", "dedicated", ["prefix", "10"]),     # an 11-character prefix
    ("CPC_%RAND:5%", "dedicated", ["letters"]),                 # underscore
    ("CPC %RAND:5%", "dedicated", ["letters"]),                 # blank
    ("CPC-%USERNAME:8%", "dedicated", ["%RAND"]),               # no randomized string
    ("CPC-%RAND:4%", "dedicated", ["at least 5"]),
    ("CPC-%SERIAL%-%RAND:5%", "dedicated", ["tokens"]),
    ("CPC-%USERNAME:3%-%RAND:5%", "shared", ["dedicated"]),
    ("", "dedicated", ["non-empty"]),
    (15, "dedicated", ["string"]),
])
def test_templates_the_service_refuses(template, provisioning_type, words):
    with pytest.raises(ApiError) as err:
        check_naming_template(template, provisioning_type)
    assert err.value.status == 400 and err.value.code == "BadRequest"
    for word in words:
        assert word.lower() in err.value.message.lower(), err.value.message


@pytest.mark.parametrize("end, expiry, status", [
    ("2026-06-02", "2026-12-01", "supported"),             # the day before its end date
    ("2026-06-01", "2026-12-01", "supported"),             # on its end date
    ("2026-05-31", "2026-12-01", "supportedWithWarning"),  # past its end date
    ("2025-05-31", "2026-05-31", "notSupported"),          # past its expiration date
    (None, None, "supported"),
])
def test_gallery_status_follows_the_dates(end, expiry, status):
    assert gallery_status({"endDate": end, "expirationDate": expiry}, NOW) == status


def test_a_seeded_status_wins_over_the_dates():
    assert gallery_status({"endDate": "2000-01-01", "expirationDate": "2000-06-01", "status": "supported"}, NOW) == \
        "supported"


def test_relative_seed_dates():
    assert (_date("+30d", NOW), _date("-1d", NOW), _date("0d", NOW)) == ("2026-07-01", "2026-05-31", "2026-06-01")
    assert _date("2027-01-02", NOW) == "2027-01-02" and _date(None, NOW) is None

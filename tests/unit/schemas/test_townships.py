"""The city-wide township file and its lookups."""
import pytest

from schemas.townships import TownshipFileError, parse, places

pytestmark = pytest.mark.unit

COUNTIES = {"340402": "大通区", "340403": "田家庵区", "340404": "谢家集区", "340405": "八公山区",
            "340406": "潘集区", "340421": "凤台县", "340422": "寿县"}


def test_every_county_of_huainan_with_its_townships():
    p = places()
    assert {c.code: c.name for c in p.counties()} == COUNTIES
    for county in COUNTIES:
        towns = p.townships(county)
        assert towns, county
        assert all(t.code.startswith(county) and len(t.code) == 9 for t in towns)
    assert len({t.name for t in p.townships()}) == len(p.townships())


def test_names_for_codes():
    p = places()
    assert p.name("340403001") == "田东街道"
    assert p.county_of("340403001") == "340403"
    assert p.county_name("340422100") == "寿县"
    assert p.label("340404100") == "谢家集区 李郢孜镇"
    assert p.name("340403") == "田家庵区"


def test_county_level_and_unknown_codes_still_say_where():
    p = places()
    assert p.name("340403000") == "田家庵区（区县本级）"
    assert p.is_county_level("340403000") and p.is_county_level("340403")
    assert not p.is_county_level("340403001")
    assert p.name("340405099") == "八公山区 未登记乡镇（340405099）"
    assert p.name(None) == "未知乡镇" and p.name("abc") == "未知乡镇"
    assert p.county_of("") is None


def test_a_bad_row_names_its_line():
    with pytest.raises(TownshipFileError, match="row 3"):
        parse(["# comment", "code,name,level", "340403,田家庵区,county", "34040300,坏,town"])
    with pytest.raises(TownshipFileError, match="twice"):
        parse(["code,name,level", "340403,田家庵区,county", "340403,田家庵区,county"])

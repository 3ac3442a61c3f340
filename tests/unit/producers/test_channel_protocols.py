"""Pure parts of the 12345 push and the WeChat endpoint: signatures, freshness, XML in and out."""
from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import pytest

from producers.hotline12345 import PlatformTicket, PushRefused, check_signed, sign
from producers.wechat import QUERY, parse_message, signature, signed_by_wechat, text_reply

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
SECRET = b"s3cret"
BODY = '{"ticket_no": "1"}'.encode()


def ts(delta_s: int = 0) -> str:
    return str(int((NOW + timedelta(seconds=delta_s)).timestamp()))


def test_a_fresh_correctly_signed_push_passes() -> None:
    check_signed(SECRET, ts(-299), sign(SECRET, ts(-299), BODY), BODY, NOW)


@pytest.mark.parametrize(("timestamp", "sig", "why"), [
    (ts(), sign(b"other", ts(), BODY), "signature"),
    (ts(-301), sign(SECRET, ts(-301), BODY), "minutes"),
    (ts(301), sign(SECRET, ts(301), BODY), "minutes"),
    (ts(-301), sign(SECRET, ts(), BODY), "signature"),  # an old push with a refreshed timestamp
    (None, sign(SECRET, ts(), BODY), "missing"),
    ("yesterday", sign(SECRET, ts(), BODY), "missing"),
    (ts(), None, "missing"),
])
def test_pushes_refused(timestamp, sig, why) -> None:
    with pytest.raises(PushRefused, match=why) as refused:
        check_signed(SECRET, timestamp, sig, BODY, NOW)
    assert refused.value.status == 401


def test_the_ticket_type_leads_the_content() -> None:
    ticket = PlatformTicket(ticket_no="T1", caller_name="甲", caller_phone="13800000000", content="问政策",
                            received_at=NOW, ticket_type="咨询")
    assert ticket.to_hotline().content == "[咨询（仅需答复）] 问政策"
    assert PlatformTicket(**ticket.model_dump() | {"ticket_type": "求助"}).to_hotline().content == "[求助] 问政策"


def test_wechat_signature_is_sha1_of_the_sorted_three() -> None:
    expected = hashlib.sha1("".join(sorted(["tok", "1700000000", "abc"])).encode()).hexdigest()
    assert signature("tok", "1700000000", "abc") == expected
    assert signed_by_wechat("tok", expected.upper(), "1700000000", "abc")
    assert not signed_by_wechat("tok", expected, "1700000001", "abc")
    assert not signed_by_wechat("tok", None, "1700000000", "abc")


def test_xml_in_and_out() -> None:
    message = parse_message(b"<xml><FromUserName><![CDATA[o1]]></FromUserName><Content><![CDATA[\xe6\x9f\xa5\xe8\xaf\xa2 CRabc]]>"
                            b"</Content></xml>")
    assert message == {"FromUserName": "o1", "Content": "查询 CRabc"}
    for bad in (b"not xml", b"<root/>", b'<!DOCTYPE xml [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml>&e;</xml>'):
        with pytest.raises(ValueError):
            parse_message(bad)
    reply = ElementTree.fromstring(text_reply("o1", "gh", "含有 ]]> 的文字", 1))
    assert reply.findtext("Content") == "含有 ]]> 的文字" and reply.findtext("ToUserName") == "o1"


@pytest.mark.parametrize(("text", "receipt"), [
    ("查询 K7QM5-8XPA3", "K7QM5-8XPA3"), ("查询：k7qm5 8xpa3", "k7qm5 8xpa3"), (" 查询K7QM58XPA3 ", "K7QM58XPA3"),
    ("查询 K7", None), ("你好", None),
])
def test_the_query_command(text, receipt) -> None:
    match = QUERY.match(text)
    assert (match.group(1) if match else None) == receipt

"""Erasing a person on real Kafka and Redis: identity and case text go, the other people's stay (issue 12, item 5)."""
from __future__ import annotations

from consumers.cases.sealing import ERASED
from consumers.web.photos import PhotoStore, check_photos
from schemas.cases import case_id_for_alert
from tests.unit.consumers.test_web_photos import png
from schemas.settings import Settings
from test_cases import (  # noqa: F401 (fixture)
    PERSON, alert, api, case_at_version, case_settings, login, seal_identity, send_alerts, tracker, wait_for,
)

OTHER = "b" * 64


async def test_an_administrator_erases_a_person_and_nobody_else(case_settings: Settings) -> None:
    mine, theirs = case_id_for_alert("AL-1"), case_id_for_alert("AL-2")
    await seal_identity(case_settings, PERSON, "34040319800101123X", "张三")
    await seal_identity(case_settings, OTHER, "340403198001011247", "李四")
    async with tracker(case_settings) as store, api(case_settings, store) as client:
        await send_alerts(case_settings, alert("AL-1"), alert("AL-2", person=OTHER, key="JS2026-2"))
        for case_id in (mine, theirs):
            await wait_for(lambda case_id=case_id: case_at_version(store, case_id, 1), "the cases")
        worker, admin = await login(client, "caseworker1"), await login(client, "admin1")
        for case_id in (mine, theirs):
            for state in ("assigned", "visiting"):
                moved = await client.post(f"/api/cases/{case_id}/transition", json={"to": state}, headers=worker)
                assert moved.status_code == 200, moved.text
            survey = {"case_id": case_id, "visit_date": "2026-03-05", "findings": "独居，左腿骨折", "verdict": "confirmed"}
            assert (await client.post(f"/api/cases/{case_id}/survey", json=survey, headers=worker)).status_code == 200

        photos = PhotoStore(case_settings.data_dir / "web" / "photos")
        for case_id in (mine, theirs):
            photos.save(case_id, check_photos([("image/png", png())]))

        erase = f"/api/people/{PERSON}/erase"
        assert (await client.post(erase, json={"reason": "本人申请删除"}, headers=worker)).status_code == 403
        assert (await client.post(erase, json={"reason": ""}, headers=admin)).status_code == 422
        assert (await store.get(mine)).survey.findings == "独居，左腿骨折"  # a refused erasure erased nothing

        answer = await client.post(erase, json={"reason": "本人申请删除"}, headers=admin)
        assert answer.status_code == 200, answer.text
        assert answer.json()["cases"] == [mine] and answer.json()["identity_erased"] is True
        assert answer.json()["photos_deleted"] == 1 and photos.names(mine) == [] and len(photos.names(theirs)) == 1
        assert (await store.get(mine)).survey.findings == ERASED
        assert (await client.get(f"/api/cases/{mine}", headers=worker)).json()["survey"]["findings"] == ERASED
        reveal = await client.post(f"/api/cases/{mine}/reveal", json={"reason": "核实"}, headers=worker)
        assert reveal.status_code == 404
        assert (await store.get(theirs)).survey.findings == "独居，左腿骨折"
        other = await client.post(f"/api/cases/{theirs}/reveal", json={"reason": "核实"}, headers=worker)
        assert other.status_code == 200 and other.json()["name"] == "李四"

    async with tracker(case_settings) as store, api(case_settings, store) as client:  # a restart: still erased
        worker = await login(client, "caseworker1")
        assert (await store.get(mine)).survey.findings == ERASED
        reveal = await client.post(f"/api/cases/{mine}/reveal", json={"reason": "核实"}, headers=worker)
        assert reveal.status_code == 404

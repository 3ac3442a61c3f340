"""我要预警 by registered reporters: the report records who made it; each reporter follows their own only."""
from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from consumers.cases.follow_up import follow_up_id
from schemas.cases import case_id_for_request
from schemas.settings import Settings
from test_cases import api, case_at_version, case_settings, login, tracker, wait_for  # noqa: F401
from test_intake import channel_requests
from test_hotline12345 import intake_server

REPORT = {"subject_name": "孙八", "subject_phone": "13700001111", "township_code": "340403001",
          "situation": "孙八独居，冬季取暖困难"}


async def test_a_reporter_follows_their_report_and_gets_403_on_anyone_elses(case_settings: Settings) -> None:
    async with tracker(case_settings) as store, intake_server(case_settings) as url, \
            httpx.AsyncClient(base_url=url, timeout=30.0) as intake, api(case_settings, store) as cases:
        official, volunteer = await login(cases, "reporter1"), await login(cases, "reporter2")
        caseworker = await login(cases, "caseworker1")
        assert (await intake.post("/api/intake/reports", json=REPORT)).status_code == 401
        assert (await intake.post("/api/intake/reports", json=REPORT, headers=caseworker)).status_code == 401
        made = await intake.post("/api/intake/reports", json=REPORT, headers=official)
        assert made.status_code == 202, made.text
        assert "match" not in made.json()  # whether the person is known is not the reporter's to learn here
        case_id = case_id_for_request(made.json()["request_id"])
        case = await wait_for(lambda: case_at_version(store, case_id, 1), "the report's case")
        assert (case.reported_by, case.kind) == ("reporter1", "identify_person")  # no ID number: find them first

        [mine] = (await cases.get("/api/reports", headers=official)).json()
        assert (mine["case_id"], mine["state"], mine["resolution"]) == (case_id, "open", None)
        assert (await cases.get("/api/reports", headers=volunteer)).json() == []
        assert (await cases.get(f"/api/reports/{case_id}", headers=volunteer)).status_code == 403
        assert (await cases.get(f"/api/cases/{case_id}", headers=official)).status_code == 403  # not the case file
        assert (await cases.get("/api/cases", headers=volunteer)).json() == []
        assert (await cases.get(f"/api/reports/{case_id}", headers=caseworker)).status_code == 403

        for step in ({"to": "assigned"}, {"to": "visiting"}):
            assert (await cases.post(f"/api/cases/{case_id}/transition", json=step, headers=caseworker)).status_code == 200
        survey = {"case_id": case_id, "visit_date": "2026-12-03", "findings": "属实", "verdict": "confirmed"}
        assert (await cases.post(f"/api/cases/{case_id}/survey", json=survey, headers=caseworker)).status_code == 200
        for step in ({"to": "verified"}, {"to": "resolved", "resolution": "assistance_granted",
                                         "grant": {"category": "低保", "monthly_benefit_fen": 80000}}):
            assert (await cases.post(f"/api/cases/{case_id}/transition", json=step, headers=caseworker)).status_code == 200
        outcome = (await cases.get(f"/api/reports/{case_id}", headers=official)).json()
        assert (outcome["state"], outcome["verdict"], outcome["resolution"]) == ("resolved", "confirmed",
                                                                                  "assistance_granted")
        # assistance granted: a follow-up visit of its own, due in 30 days (did it arrive?)
        follow_up = (await cases.get(f"/api/cases/{follow_up_id(case_id)}", headers=caseworker)).json()
        assert (follow_up["kind"], follow_up["state"], follow_up["source_id"]) == ("follow_up", "open", case_id)
        opened, due = (datetime.fromisoformat(follow_up[k]) for k in ("opened_at", "sla_due"))
        assert due - opened == timedelta(days=30)
        year = (await cases.get("/api/stats/ytd", headers=await login(cases, "supervisor1"))).json()
        [county] = year["counties"]
        assert (county["county_code"], county["verified"], county["assistance_granted"]) == ("340403", 1, 1)
        assert (await cases.get("/api/stats/ytd", headers=caseworker)).status_code == 403
    [request] = await channel_requests(case_settings)
    assert request.reported_by == "reporter1" and "孙八" not in request.model_dump_json()

"""The decisions loop on the real stack (spec section 5):

department files -> faust worker -> deceased_recipient alerts -> case tracker -> a case closed with
benefit_stopped -> `safetynet decisions` (GBK) -> the file ingested back as a roster feed -> the
stopped person raises no further audit alert (a control person in the same situation does), and
ClickHouse's audit_savings counts the benefit stopped with the months since the death.
"""
from __future__ import annotations

import asyncio
import csv
import io
import os
import socket
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import uvicorn

from consumers.analytics.migrate import connect, migrate
from consumers.analytics.sink import Batches, serve as serve_sink
from consumers.cases.api import create_cases_app
from consumers.cases.service import open_store, run as run_tracker
from consumers.cases.store import VaultIndex
from producers.publish import ingest_files
from schemas.cases import case_id_for_alert
from streams.app import app_id
from streams.export import fold, read_notices
from tools.replay import drain, start_worker, stop_worker
from streams.topics import create_topics, delete_run, pipeline_topics, wait_group_stable
from tests.factories import resident_id

REPO = Path(__file__).resolve().parents[2]
STOPPED, CONTROL = resident_id(11), resident_id(12)  # both die on 15 June; only STOPPED's case is decided
DIED = "2026-06-15"
DECIDED_AT = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # 11:00 in China: the decision's date is 2026-11-20
ROSTER = ["身份证号", "姓名", "户编号", "与户主关系", "乡镇街道代码", "救助类别", "状态", "家庭人口", "家庭年收入",
          "月救助金额", "认定依据", "残疾等级", "变更日期"]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows([header, *rows])
    return path


def department_files(folder: Path) -> dict[str, Path]:
    people = [(STOPPED, "王五", "H011"), (CONTROL, "赵六", "H012")]
    return {
        "roster": write_csv(folder / "roster.csv", ROSTER, [
            [i, name, hh, "户主", "340403001", "低保", "在保", "1", "6000", "800", "肢体残疾", "2", "2025-01-10"]
            for i, name, hh in people]),
        "funeral": write_csv(folder / "funeral.csv", ["火化证明编号", "身份证号", "姓名", "死亡日期", "火化日期", "殡仪馆"],
                             [[f"HZ{n}", i, name, DIED, "2026-06-18", "市殡仪馆"] for n, (i, name, _) in enumerate(people)]),
        # after the decision the federation cancels both certificates: disability_mismatch for an active person
        "disability": write_csv(folder / "disability.csv", ["残疾人证号", "身份证号", "姓名", "残疾类别", "残疾等级",
                                                            "业务类型", "办理日期"],
                                [[i + "42", i, name, "肢体", "二级", "注销", "2026-11-25"] for i, name, _ in people]),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def until(condition, what: str, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := await condition():
            return result
        await asyncio.sleep(0.25)
    raise AssertionError(f"not within {timeout:.0f} s: {what}")


async def decisions_cli(url: str, user: str, out: Path) -> tuple[int, str]:
    """`safetynet decisions` as an administrator runs it: its own process, talking to the tracker over HTTP."""
    env = {**os.environ, "SAFETYNET_ADMIN_PASSWORD": f"{user}-demo"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "safetynet_cli", "decisions", "--encoding", "gbk", "--out", str(out), "--url", url,
        "--user", user, cwd=REPO, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    output, _ = await proc.communicate()
    return proc.returncode, output.decode()


async def work_to_closure(http: httpx.AsyncClient, case_id: str) -> None:
    token = (await http.post("/api/login", json={"user": "caseworker1", "password": "caseworker1-demo"})).json()["token"]
    me, url = {"Authorization": f"Bearer {token}"}, f"/api/cases/{case_id}"
    steps = [("transition", {"to": "assigned"}), ("transition", {"to": "visiting"}),
             ("survey", {"case_id": case_id, "visit_date": "2026-11-19", "findings": "已于6月去世", "verdict": "confirmed"}),
             ("transition", {"to": "verified"}), ("transition", {"to": "resolved", "resolution": "benefit_stopped"}),
             ("transition", {"to": "closed"})]
    for action, body in steps:
        response = await http.post(f"{url}/{action}", json=body, headers=me)
        assert response.status_code == 200, response.text


async def test_a_stopped_benefit_flows_back_and_silences_the_person(tmp_path, settings, redis_client, analytics_db):
    db = redis_client.connection_pool.connection_kwargs["db"]
    s = settings.model_copy(update={"redis_url": urlunsplit(urlsplit(settings.redis_url)._replace(path=f"/{db}")),
                                    "store": "memory://"})
    files = department_files(tmp_path)
    await create_topics(s, pipeline_topics(s))
    worker = start_worker(s, None, s.data_dir / "logs" / f"{s.topic_prefix}worker.log")
    analytics = connect(s.analytics_dsn, analytics_db, create=False)
    migrate(analytics)
    stop, port = asyncio.Event(), free_port()
    tasks: list[asyncio.Task] = []
    try:
        async with open_store(s) as store:
            app = create_cases_app(s, store=store, vault=VaultIndex(s), clock=lambda: DECIDED_AT)
            server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
            tasks = [asyncio.create_task(run_tracker(s, store)), asyncio.create_task(server.serve()),
                     asyncio.create_task(serve_sink(s, analytics, stop, Batches(max_rows=10_000, max_seconds=0.5)))]
            await wait_group_stable(s, app_id(s), 1, timeout=120, alive=lambda: worker.poll() is None)
            for feed in ("roster", "funeral"):
                assert (await ingest_files(s, feed, [files[feed]])).published == 2
            await drain(s, [worker], timeout=300)
            deaths = {a.subject[-4:]: a for a in fold(await read_notices(s)) if a.rule == "deceased_recipient"}
            assert set(deaths) == {STOPPED[-4:], CONTROL[-4:]}

            url = f"http://127.0.0.1:{port}"
            case_id = case_id_for_alert(deaths[STOPPED[-4:]].alert_id)
            await until(lambda: store.find(case_id), "the deceased recipient's case")
            async with httpx.AsyncClient(base_url=url) as http:
                await work_to_closure(http, case_id)

            denied, output = await decisions_cli(url, "caseworker1", tmp_path / "denied.csv")
            assert denied == 1 and "403" in output and not (tmp_path / "denied.csv").exists()
            code, output = await decisions_cli(url, "admin1", tmp_path / "decisions.csv")
            assert code == 0, output
            assert STOPPED not in output and "1 decisions" in output
            exported = tmp_path / "decisions.csv"
            [row] = list(csv.DictReader(io.StringIO(exported.read_bytes().decode("gbk"))))
            assert (row["身份证号"], row["姓名"], row["状态"], row["变更日期"]) == (STOPPED, "王五", "退出", "2026-11-20")
            assert (row["户编号"], row["救助类别"], row["家庭人口"], row["家庭年收入"]) == ("H011", "低保", "1", "6000")
            assert exported.stat().st_mode & 0o077 == 0  # owner-only: it holds real ID numbers

            back = await ingest_files(s, "roster", [exported])  # civil affairs' import, as our roster feed sees it
            assert (back.published, back.dead_lettered) == (1, 0)
            assert (await ingest_files(s, "disability", [files["disability"]])).published == 2
            await drain(s, [worker], timeout=300)
            standing = fold(await read_notices(s))
            by_person = {p[-4:]: sorted(a.rule for a in standing if a.subject[-4:] == p[-4:]) for p in (STOPPED, CONTROL)}
            assert by_person[CONTROL[-4:]] == ["deceased_recipient", "disability_mismatch"]  # still paid: caught again
            assert by_person[STOPPED[-4:]] == ["deceased_recipient"]  # stopped: nothing further

            def q(sql: str):
                return analytics.query(sql).result_rows

            async def savings():
                return q("SELECT rule, benefits_stopped, monthly_saved_yuan, months_since_evidence, overpaid_yuan "
                         "FROM audit_savings")

            assert await until(savings, "the stopped benefit in audit_savings") == [
                ("deceased_recipient", 1, 800.0, 5, 4000.0)]  # died 15 June, stopped 20 November
            assert q(f"SELECT evidence_date, stopped_on FROM benefits_stopped WHERE case_id = '{case_id}'") == [
                (date(2026, 6, 15), date(2026, 11, 20))]
    finally:
        stop.set()
        for task in tasks[:2]:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        stop_worker(worker)
        await delete_run(s, app_id(s))

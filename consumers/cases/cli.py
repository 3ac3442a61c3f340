"""`safetynet cases serve` (API + tracker loop) and `safetynet cases rebuild` (projection from the log)."""
from __future__ import annotations

import asyncio
from pathlib import Path

import click

from schemas.settings import load_settings, require_production


@click.group()
@click.option("--config", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="YAML settings file (otherwise SAFETYNET_* environment variables).")
@click.pass_context
def cases(ctx: click.Context, config: Path | None) -> None:
    """The case tracker: alerts and channel requests become cases."""
    ctx.obj = load_settings(config)


def admin_options(command):
    """--url, --user and --password of an administrator of the case tracker."""
    for option in reversed([
        click.option("--url", default="http://127.0.0.1:8040", show_default=True, envvar="SAFETYNET_CASES_URL",
                     help="The case tracker (`safetynet cases serve`)."),
        click.option("--user", required=True, envvar="SAFETYNET_ADMIN_USER", help="An administrator of the case tracker."),
        click.option("--password", prompt=True, hide_input=True, envvar="SAFETYNET_ADMIN_PASSWORD",
                     help="Asked for when not given (or set SAFETYNET_ADMIN_PASSWORD).")]):
        command = option(command)
    return command


@cases.command()
@click.argument("person_key")
@click.option("--reason", required=True, help="Why (the person's request, a court order...); at least 4 characters.")
@admin_options
def erase(person_key: str, reason: str, url: str, user: str, password: str) -> None:
    """Erase a person (PERSON_KEY, the pseudonym on their cases): sealed identity and every case's text."""
    from consumers.cases.erasure import Erasure

    done = Erasure.model_validate(as_admin(url, user, password, f"/api/people/{person_key}/erase",
                                           {"reason": reason}, "erase"))
    click.echo(f"erased {done.person_key}: text of {len(done.cases)} case(s) "
               f"{', '.join(done.cases) or '(none)'}; identity {'erased' if done.identity_erased else 'not on record'}")


@cases.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8040, show_default=True, type=int)
@click.pass_obj
def serve(settings, host: str, port: int) -> None:
    """Rebuild the projection, then serve the API and track cases until stopped."""
    import uvicorn

    from consumers.cases.api import create_cases_app
    from consumers.process import expose_metrics

    require_production(settings)
    expose_metrics(settings)
    app = create_cases_app(settings)
    uvicorn.run(app, host=host, port=port)
    if app.state.tracker_error is not None:
        raise SystemExit(f"the case tracker loop died: {app.state.tracker_error!r}")


@cases.command()
@click.pass_obj
def rebuild(settings) -> None:
    """Replace the Redis projection with a replay of the case-events topic."""
    from consumers.cases.service import open_store

    async def go() -> int:
        async with open_store(settings) as store:
            return await store.rebuild()

    click.echo(f"rebuilt {asyncio.run(go())} cases from {settings.topic('case-events')}")


@click.command()
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Only decisions taken on or after this day (YYYY-MM-DD, China Standard Time).")
@click.option("--encoding", type=click.Choice(["utf-8", "gbk"]), default="utf-8", show_default=True,
              help="utf-8 (with BOM) or gbk (written as GB18030, GBK's superset).")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The file to write (owner-only: it holds real ID numbers).")
@admin_options
def decisions(since, encoding: str, out: Path, url: str, user: str, password: str) -> None:
    """Closed cases' outcomes as a roster file for civil affairs (退出 / 在保): administrators only, audited."""
    from consumers.cases.decisions import DecisionsExport, to_csv, write_file

    answer = as_admin(url, user, password, "/api/decisions", {"since": since.date().isoformat() if since else None},
                      "export decisions")
    export = DecisionsExport.model_validate(answer)
    write_file(out, to_csv(export.rows, encoding))
    click.echo(f"export {export.export_id}: {len(export.rows)} decisions written to {out} ({encoding})")
    if export.incomplete:
        click.echo(f"  {len(export.incomplete)} rows lack a column the roster requires (no roster row known): "
                   + ", ".join(export.incomplete), err=True)
    for case_id, reason in export.skipped.items():
        click.echo(f"  case {case_id} not exported: {reason}", err=True)


def as_admin(url: str, user: str, password: str, path: str, body: dict, what: str) -> dict:
    """Log in to the case tracker as `user` and POST `body` to `path`; its JSON answer, or a clear error."""
    import httpx

    with httpx.Client(base_url=url, timeout=300.0) as http:
        try:
            login = http.post("/api/login", json={"user": user, "password": password})
            _check(login, "log in")
            answer = http.post(path, json=body, headers={"Authorization": f"Bearer {login.json()['token']}"})
        except httpx.TransportError as exc:
            raise click.ClickException(f"cannot reach the case tracker at {url} ({exc}); start it with "
                                       "`safetynet cases serve` or pass --url") from None
        _check(answer, what)
        return answer.json()


def _check(response, what: str) -> None:
    if response.status_code >= 400:
        detail = response.json().get("detail") if "json" in response.headers.get("content-type", "") else response.text
        raise click.ClickException(f"cannot {what}: {response.status_code} {detail}")

"""`safetynet web`: serve the console, the public channel pages and the supervisor overview."""
from __future__ import annotations

from pathlib import Path

import click

from schemas.settings import load_service_settings


@click.command()
@click.option("--config", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="YAML settings file (otherwise SAFETYNET_* environment variables).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8050, show_default=True, type=int)
@click.option("--cases-url", default="http://127.0.0.1:8040", show_default=True,
              help="The case tracker API (`safetynet cases serve`).")
@click.option("--intake-url", default="http://127.0.0.1:8030", show_default=True,
              help="The intake API (`safetynet intake`).")
@click.option("--grafana-url", default="http://127.0.0.1:3000", show_default=True,
              help="Grafana: linked from the overview and the operators' page only while it answers.")
@click.option("--prometheus-url", default="http://127.0.0.1:9090", show_default=True,
              help="Prometheus HTTP API: the operators' page (/operators) draws the dashboards' panels from it.")
@click.option("--secure-cookies/--no-secure-cookies", default=False, show_default=True,
              help="Mark cookies Secure: turn on behind TLS.")
def web(config: Path | None, host: str, port: int, cases_url: str, intake_url: str, grafana_url: str,
        prometheus_url: str, secure_cookies: bool) -> None:
    """Serve the web pages (caseworker console, citizens' forms, 12345 tickets, overview)."""
    import uvicorn

    from consumers.process import expose_metrics
    from consumers.web.app import create_web_app

    settings = load_service_settings(config)
    expose_metrics(settings)  # /metrics on SAFETYNET_METRICS_PORT (the demo: 9106)
    app = create_web_app(settings, cases_url=cases_url, intake_url=intake_url, grafana_url=grafana_url,
                         prometheus_url=prometheus_url, secure_cookies=secure_cookies)
    click.echo(f"console: http://{host}:{port}/login  (demo users: caseworker1 / caseworker1-demo, "
               f"caseworker2, supervisor1, auditor1, admin1: password = user name + '-demo')")
    uvicorn.run(app, host=host, port=port, timeout_graceful_shutdown=3)

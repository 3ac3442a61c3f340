"""One settings model for every component: env vars `SAFETYNET_*`, or a TOML/YAML file.

Outside development mode (`SAFETYNET_DEV=1`, which `make demo` and `make test` set), every service
refuses the public default secrets, short secrets and the demo users file (`load_service_settings`),
naming the setting to change. A `SAFETYNET_*` variable that names no setting (a typo) is an error.
"""
from __future__ import annotations

import difflib
import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class KafkaSecurity(BaseModel):
    """Production brokers: SASL and/or TLS. Local stack uses PLAINTEXT."""

    model_config = ConfigDict(frozen=True)
    protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None


DEV_PSEUDONYM_SECRET = "dev-only-pseudonym-secret-change-me"
DEV_VAULT_KEY = "ZGV2LW9ubHktdmF1bHQta2V5LTMyLWJ5dGVzLSEhISE="
DEV_TOKEN_SECRET = "dev-only-token-secret-change-me"
DEV_HOTLINE_SECRET = "dev-only-12345-secret-change-me"
DEV_WECHAT_TOKEN = "dev-only-wechat-token"
DEMO_USERS_FILE = Path(__file__).resolve().parents[1] / "infra" / "users.yaml"
MIN_SECRET_CHARS = 32
# SAFETYNET_* variables that are not settings: read by the tools, the tests and the local stack
OTHER_VARIABLES = {"SAFETYNET_CONFIG", "SAFETYNET_TEST_INFRA", "SAFETYNET_KAFKA_HOME", "SAFETYNET_LOGLEVEL",
                   "SAFETYNET_CASES_URL", "SAFETYNET_ADMIN_USER", "SAFETYNET_ADMIN_PASSWORD"}  # `decisions` options


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SAFETYNET_", env_nested_delimiter="__", frozen=True, extra="ignore"
    )

    data_dir: Path = Path(".data")
    kafka_bootstrap: str = "127.0.0.1:19092"
    kafka_security: KafkaSecurity = KafkaSecurity()
    topic_prefix: str = ""  # tests isolate by prefix: every topic name starts with it
    topic_partitions: int = Field(default=4, ge=1)
    redis_url: str = "redis://127.0.0.1:16379/0"
    clickhouse_dsn: str | None = None  # default: chdb://<data_dir>/analytics
    pseudonym_secret: SecretStr = SecretStr(DEV_PSEUDONYM_SECRET)
    vault_key: SecretStr = SecretStr(DEV_VAULT_KEY)  # base64, 32 bytes
    token_secret: SecretStr = SecretStr(DEV_TOKEN_SECRET)
    users_file: Path | None = None  # case tracker accounts; default: the demo users (dev mode only)
    analyst_dsn: SecretStr | None = None  # `safetynet sql` with a ClickHouse server: the read-only analyst user
    dev: bool = False  # SAFETYNET_DEV=1: development mode, the public defaults above are accepted
    rules_file: Path | None = None
    # faust: short timeouts make a local worker join in seconds; production should use defaults.
    broker_session_timeout: float = 6.0
    broker_rebalance_timeout: float = 6.0
    store: str = "rocksdb://"
    metrics_port: int = 0
    # A record up to this many days older than the newest its person's (or household's) state has seen is
    # judged exactly; an older one is dead-lettered (stage `late`). `replay` runs unbounded unless told.
    allowed_lateness_days: int = Field(default=730, ge=0)
    analytics_query_port: int = 8060  # `analytics run` answers `safetynet sql` here (it owns the chDB path)
    # channels as the systems on the other side work (README "Channels"); secrets: change in production
    hotline_secret: SecretStr = SecretStr(DEV_HOTLINE_SECRET)  # HMAC of 12345 pushes/callbacks
    hotline_callback_url: str | None = None  # the 12345 platform's status endpoint (已受理 / 办理中 / 已办结)
    wechat_token: SecretStr = SecretStr(DEV_WECHAT_TOKEN)  # the official account's server token
    wechat_appid: str = ""
    wechat_secret: SecretStr = SecretStr("")
    wechat_api_url: str = "https://api.weixin.qq.com"
    wechat_template_id: str = ""  # template message for status changes
    robot_webhooks: dict[str, str] = {}  # notifier group -> 企业微信/政务微信 group robot URL
    robot_per_minute: int = Field(default=20, ge=1)
    web_base_url: str = "http://127.0.0.1:8050"  # links in robot messages and WeChat replies

    @property
    def users_path(self) -> Path:
        return self.users_file or DEMO_USERS_FILE

    @property
    def analytics_dsn(self) -> str:
        return self.clickhouse_dsn or f"chdb://{self.data_dir.resolve()}/analytics"

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}{name}"

    def kafka_options(self) -> dict[str, object]:
        """Connection options for every aiokafka client (producer, consumer, admin): one place for TLS/SASL."""
        sec = self.kafka_security
        options: dict[str, object] = {"bootstrap_servers": self.kafka_bootstrap, "security_protocol": sec.protocol}
        if sec.sasl_mechanism:
            options.update(sasl_mechanism=sec.sasl_mechanism, sasl_plain_username=sec.sasl_username,
                           sasl_plain_password=sec.sasl_password.get_secret_value() if sec.sasl_password else None)
        if sec.protocol in ("SSL", "SASL_SSL"):
            from aiokafka.helpers import create_ssl_context

            options["ssl_context"] = create_ssl_context(cafile=sec.ssl_cafile, certfile=sec.ssl_certfile,
                                                        keyfile=sec.ssl_keyfile)
        return options


def unknown_variables(environ: dict[str, str]) -> list[str]:
    """SAFETYNET_* names that match no setting (nor a nested one) and no tool: typos, most likely."""
    known = {f"SAFETYNET_{name.upper()}" for name in Settings.model_fields} | OTHER_VARIABLES
    nested = {f"SAFETYNET_KAFKA_SECURITY__{name.upper()}" for name in KafkaSecurity.model_fields}
    return sorted(name for name in environ if name.upper().startswith("SAFETYNET_")
                  and name.upper() not in known | nested)


def check_environment(environ: dict[str, str]) -> None:
    if unknown := unknown_variables(environ):
        known = [f"SAFETYNET_{n.upper()}" for n in Settings.model_fields] + sorted(OTHER_VARIABLES)
        hints = [f"{name} (did you mean {close[0]}?)" if (close := difflib.get_close_matches(name.upper(), known, 1))
                 else name for name in unknown]
        raise SettingsError(f"unknown environment variable {', '.join(hints)}: every SAFETYNET_ variable must "
                            "name a setting of schemas/settings.py (see README, Configuration)")


def insecure(settings: Settings) -> list[str]:
    """What a production service must not run with: each item names the setting to change."""
    problems = []
    for name, default in (("pseudonym_secret", DEV_PSEUDONYM_SECRET), ("token_secret", DEV_TOKEN_SECRET),
                          ("hotline_secret", DEV_HOTLINE_SECRET), ("wechat_token", DEV_WECHAT_TOKEN)):
        value = getattr(settings, name).get_secret_value()
        if value == default:
            problems.append(f"SAFETYNET_{name.upper()} is the public development default")
        elif len(value) < MIN_SECRET_CHARS:
            problems.append(f"SAFETYNET_{name.upper()} is shorter than {MIN_SECRET_CHARS} characters")
    if DEV_VAULT_KEY in [k.strip() for k in settings.vault_key.get_secret_value().split(",")]:
        problems.append("SAFETYNET_VAULT_KEY holds the public development key")
    if settings.users_path.resolve() == DEMO_USERS_FILE:
        problems.append("SAFETYNET_USERS_FILE is unset or the demo users file (infra/users.yaml, public passwords)")
    return problems


def require_production(settings: Settings) -> Settings:
    """Refuse to start a service on public defaults unless in development mode (SAFETYNET_DEV=1)."""
    if not settings.dev and (problems := insecure(settings)):
        raise SettingsError("refusing to start outside development mode: " + "; ".join(problems)
                            + ". Set your own (SECURITY.md, Secrets), or SAFETYNET_DEV=1 on a developer machine.")
    return settings


def load_service_settings(config_file: Path | None = None, **overrides: object) -> Settings:
    """Settings for a process that serves or publishes: load_settings, then require_production."""
    return require_production(load_settings(config_file, **overrides))


def load_settings(config_file: Path | None = None, **overrides: object) -> Settings:
    """Settings from env, then an optional YAML file, then explicit overrides (highest).

    SettingsError for an unknown SAFETYNET_* variable or an unknown key in the file.
    """
    check_environment(dict(os.environ))
    values: dict[str, object] = {}
    path = config_file or (Path(os.environ["SAFETYNET_CONFIG"]) if "SAFETYNET_CONFIG" in os.environ else None)
    if path is not None:
        import yaml

        values.update(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
        if unknown := sorted(set(values) - set(Settings.model_fields)):
            raise SettingsError(f"{path}: unknown setting {', '.join(unknown)}")
    values.update(overrides)
    return Settings(**values)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


class SettingsError(ValueError):
    """Settings that name nothing we know, or that a production service must not run with."""

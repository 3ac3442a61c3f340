"""One settings model for every component: env vars `SAFETYNET_*`, or a TOML/YAML file."""
from __future__ import annotations

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
    pseudonym_secret: SecretStr = SecretStr("dev-only-pseudonym-secret-change-me")
    vault_key: SecretStr = SecretStr("ZGV2LW9ubHktdmF1bHQta2V5LTMyLWJ5dGVzLSEhISE=")  # base64, 32 bytes
    token_secret: SecretStr = SecretStr("dev-only-token-secret-change-me")
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


def load_settings(config_file: Path | None = None, **overrides: object) -> Settings:
    """Settings from env, then an optional YAML file, then explicit overrides (highest)."""
    values: dict[str, object] = {}
    path = config_file or (Path(os.environ["SAFETYNET_CONFIG"]) if "SAFETYNET_CONFIG" in os.environ else None)
    if path is not None:
        import yaml

        values.update(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    values.update(overrides)
    return Settings(**values)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()

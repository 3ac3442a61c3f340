"""Settings refuse typos and, outside development mode, public defaults (issue 12, item 2)."""
from __future__ import annotations

import base64
import os

import pytest

from schemas.settings import (
    DEMO_USERS_FILE, SettingsError, insecure, load_service_settings, load_settings, unknown_variables,
)

STRONG = {"pseudonym_secret": "p" * 40, "token_secret": "t" * 40, "hotline_secret": "h" * 40, "wechat_token": "w" * 40,
          "vault_key": base64.b64encode(os.urandom(32)).decode()}


@pytest.fixture
def production(monkeypatch, tmp_path):
    """No development mode, and a users file of our own."""
    monkeypatch.delenv("SAFETYNET_DEV", raising=False)
    users = tmp_path / "users.yaml"
    users.write_text("users: []\n")
    return {**STRONG, "users_file": users}


def test_a_typo_in_a_variable_is_an_error(monkeypatch):
    monkeypatch.setenv("SAFETYNET_PSEUDONYM_SECRT", "x" * 40)
    with pytest.raises(SettingsError, match="SAFETYNET_PSEUDONYM_SECRT .did you mean SAFETYNET_PSEUDONYM_SECRET"):
        load_settings()


def test_known_variables_are_not_typos():
    environ = {"SAFETYNET_DEV": "1", "SAFETYNET_CONFIG": "x", "SAFETYNET_TEST_INFRA": "docker",
               "SAFETYNET_KAFKA_HOME": "/k", "SAFETYNET_LOGLEVEL": "info", "SAFETYNET_KAFKA_SECURITY__PROTOCOL": "SSL",
               "SAFETYNET_ANALYTICS_QUERY_PORT": "1", "SAFETYNET_USERS_FILE": "u", "PATH": "/bin"}
    assert unknown_variables(environ) == []
    assert unknown_variables({"SAFETYNET_KAFKA_SECURITY__PROTOCL": "SSL"}) == ["SAFETYNET_KAFKA_SECURITY__PROTOCL"]


def test_an_unknown_key_in_the_settings_file_is_an_error(tmp_path):
    path = tmp_path / "settings.yaml"
    path.write_text("kafka_bootstrp: 127.0.0.1:9092\n")
    with pytest.raises(SettingsError, match="kafka_bootstrp"):
        load_settings(path)


@pytest.mark.parametrize("name", ["pseudonym_secret", "token_secret", "hotline_secret", "wechat_token", "vault_key",
                                  "users_file"])
def test_a_service_refuses_each_default_outside_dev_mode(production, name):
    values = {k: v for k, v in production.items() if k != name}
    with pytest.raises(SettingsError, match=f"SAFETYNET_{name.upper()}"):
        load_service_settings(**values)


@pytest.mark.parametrize("name", ["pseudonym_secret", "token_secret", "hotline_secret", "wechat_token"])
def test_a_service_refuses_a_short_secret(production, name):
    with pytest.raises(SettingsError, match=f"SAFETYNET_{name.upper()} is shorter"):
        load_service_settings(**{**production, name: "s" * 31})


def test_the_demo_users_file_is_refused_by_path(production):
    with pytest.raises(SettingsError, match="SAFETYNET_USERS_FILE"):
        load_service_settings(**{**production, "users_file": DEMO_USERS_FILE})


def test_strong_settings_start_and_dev_mode_accepts_the_defaults(production, monkeypatch):
    assert insecure(load_service_settings(**production)) == []
    monkeypatch.setenv("SAFETYNET_DEV", "1")
    assert load_service_settings().dev

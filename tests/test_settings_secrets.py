"""Settings declared once, layered defaults -> database -> environment; secrets kept secret."""
from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import select

from plugin import settings
from plugin.models import StoredSetting
from plugin.redaction import REDACTOR, RedactingFilter
from tests.conftest import environment


def test_layers_default_database_environment(make_runtime):
    runtime = make_runtime(None)
    assert runtime.config().scan_page_size == 1000
    assert runtime.config().sources["scan_page_size"] == "default"
    runtime.save_settings({"scan_page_size": 250})
    assert runtime.config().scan_page_size == 250 and runtime.config().sources["scan_page_size"] == "database"
    runtime.environ["PLEXBOOKS_SCAN_PAGE_SIZE"] = "300"
    assert runtime.config().scan_page_size == 300 and runtime.config().sources["scan_page_size"] == "env"


def test_bad_environment_names_every_field():
    with pytest.raises(settings.SettingError) as info:
        settings.resolve({}, {"PLEXBOOKS_PORT": "0", "PLEXBOOKS_PLEX_URL": "nope", "PLEXBOOKS_PLEX_VERIFY_TLS": "x"})
    assert set(info.value.fields) == {"port", "plex_url", "plex_verify_tls"}


def test_library_list_parsing():
    config = settings.resolve({}, {"PLEXBOOKS_PLEX_LIBRARY": " 3, 7 ,"})
    assert config.plex_library == ["3", "7"]


def test_environment_only_settings_cannot_be_stored(make_runtime):
    with pytest.raises(settings.SettingError) as info:
        make_runtime(None).save_settings({"data_dir": "/tmp/elsewhere", "api_key": "x"})
    assert set(info.value.fields) == {"data_dir", "api_key"}


def test_data_dir_holds_key_file_and_client_identifier(make_runtime, tmp_path):
    first = make_runtime(None)
    key_file = Path(first.data_dir) / "secret.key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    # SQLite by default lives in the data directory too; with DATABASE_URL nothing is put there
    assert (Path(first.data_dir) / "plexbooks.db").exists() == first.database_url.startswith("sqlite")
    again = make_runtime(None)
    assert again.client_identifier == first.client_identifier and first.client_identifier.startswith("plexbooks-")


def test_tokens_encrypted_at_rest_and_legacy_plain_text_reencrypted(make_runtime):
    runtime = make_runtime(None)
    runtime.save_settings({"plex_token": "secret-token-1"})
    with runtime.session() as s:
        row = s.get(StoredSetting, "plex_token")
        assert row.value.startswith("enc:v1:") and "secret-token-1" not in row.value
        row.value = "legacy-plain-token"          # as stored before encryption existed
    assert runtime.config().plex_token == "legacy-plain-token"
    with runtime.session() as s:
        stored = s.scalar(select(StoredSetting.value).where(StoredSetting.key == "plex_token"))
    assert stored.startswith("enc:v1:")
    assert runtime.config().plex_token == "legacy-plain-token"


def test_wrong_secret_key_is_a_clear_error(make_runtime, tmp_path):
    from plugin.secrets_store import SecretKeyError
    runtime = make_runtime(None)
    runtime.save_settings({"plex_token": "secret-token-2"})
    from cryptography.fernet import Fernet
    other = make_runtime(None, PLEXBOOKS_SECRET_KEY=Fernet.generate_key().decode())
    with pytest.raises(SecretKeyError):
        other.config()
    # A key that is no Fernet key at all stops the command with a clear message (exit 2). Run as a
    # command: a Runtime that fails to start in this process would leave its pool behind.
    from tests.test_cli import run
    bad = run(environment(tmp_path / "bad", PLEXBOOKS_SECRET_KEY="not-a-fernet-key"), "config")
    assert bad.returncode == 2 and "not a valid Fernet key" in bad.stderr


def test_log_records_are_redacted(caplog):
    REDACTOR.add("supersecret-token-xyz")
    flt = RedactingFilter()
    flt.add("supersecret-token-xyz")
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "calling %s?X-Plex-Token=%s",
                               ("http://plex/x", "supersecret-token-xyz"), None)
    flt.filter(record)
    assert "supersecret-token-xyz" not in record.getMessage()



from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from testimonia.core.config import load_config

KEY = "k" * 40


def config(**env: str):
    return load_config(env, Path("/srv/work"))


def test_defaults_put_everything_under_the_home():
    cfg = config(TESTIMONIA_SECRET_KEY=KEY)
    assert cfg.home == Path("/srv/work/testimonia-data")
    assert cfg.database["NAME"] == "/srv/work/testimonia-data/testimonia.sqlite3"
    assert cfg.storage_root == Path("/srv/work/testimonia-data/blobs")
    assert cfg.debug is False


def test_sqlite_runs_in_wal_mode_with_full_sync():
    cfg = config(TESTIMONIA_SECRET_KEY=KEY)
    init = cfg.database["OPTIONS"]["init_command"]
    assert "journal_mode=WAL" in init
    assert "synchronous=FULL" in init


def test_production_refuses_to_start_without_a_secret(tmp_path):
    with pytest.raises(ImproperlyConfigured, match="TESTIMONIA_SECRET_KEY is not set"):
        load_config({"TESTIMONIA_HOME": str(tmp_path)}, tmp_path)


def test_short_secret_is_refused():
    with pytest.raises(ImproperlyConfigured, match="too short"):
        config(TESTIMONIA_SECRET_KEY="short")


def test_secret_kept_by_the_demo_in_the_home_is_used(tmp_path):
    (tmp_path / "secret_key").write_text("s" * 50 + "\n")
    cfg = load_config({"TESTIMONIA_HOME": str(tmp_path)}, Path("/"))
    assert cfg.secret_key == "s" * 50


def test_postgres_url_is_parsed():
    cfg = config(TESTIMONIA_SECRET_KEY=KEY, TESTIMONIA_DATABASE_URL="postgres://u@db:5432/evid")
    assert cfg.database["ENGINE"] == "django.db.backends.postgresql"
    assert cfg.database["NAME"] == "evid"
    assert cfg.database_vendor == "postgresql"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://x/y", "unsupported scheme 'mysql'"),
        ("not a url", "unsupported scheme"),
        ("postgres://host:5432/", "names no database"),
        ("sqlite://", "names no SQLite file"),
    ],
)
def test_bad_database_url_names_the_problem(url, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        config(TESTIMONIA_SECRET_KEY=KEY, TESTIMONIA_DATABASE_URL=url)


def test_sqlite_url_relative_paths_are_under_the_home():
    cfg = config(TESTIMONIA_SECRET_KEY=KEY, TESTIMONIA_DATABASE_URL="sqlite:///db/x.sqlite3")
    assert cfg.database["NAME"] == "/srv/work/testimonia-data/db/x.sqlite3"
    cfg = config(TESTIMONIA_SECRET_KEY=KEY, TESTIMONIA_DATABASE_URL="sqlite:////var/x.sqlite3")
    assert cfg.database["NAME"] == "/var/x.sqlite3"


def test_storage_url_file_and_unsupported_schemes():
    cfg = config(TESTIMONIA_SECRET_KEY=KEY, TESTIMONIA_STORAGE_URL="file:///mnt/vault")
    assert cfg.storage_root == Path("/mnt/vault")
    with pytest.raises(ImproperlyConfigured, match="s3://"):
        config(TESTIMONIA_SECRET_KEY=KEY, TESTIMONIA_STORAGE_URL="s3://bucket/prefix")
    with pytest.raises(ImproperlyConfigured, match="unsupported scheme 'ftp'"):
        config(TESTIMONIA_SECRET_KEY=KEY, TESTIMONIA_STORAGE_URL="ftp://x/y")


def test_debug_takes_only_boolean_words():
    assert config(TESTIMONIA_SECRET_KEY=KEY, TESTIMONIA_DEBUG="yes").debug is True
    with pytest.raises(ImproperlyConfigured, match="TESTIMONIA_DEBUG"):
        config(TESTIMONIA_SECRET_KEY=KEY, TESTIMONIA_DEBUG="maybe")


def test_upload_limit_must_be_a_positive_whole_number():
    assert config(TESTIMONIA_SECRET_KEY=KEY).max_upload_bytes == 2 * 1024**3
    limited = config(TESTIMONIA_SECRET_KEY=KEY, TESTIMONIA_MAX_UPLOAD_BYTES="1_000")
    assert limited.max_upload_bytes == 1000
    with pytest.raises(ImproperlyConfigured, match="not a whole number"):
        config(TESTIMONIA_SECRET_KEY=KEY, TESTIMONIA_MAX_UPLOAD_BYTES="2GB")
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        config(TESTIMONIA_SECRET_KEY=KEY, TESTIMONIA_MAX_UPLOAD_BYTES="0")


def test_tsa_settings_are_checked(tmp_path):
    assert config(TESTIMONIA_SECRET_KEY=KEY).tsa_url == ""
    with pytest.raises(ImproperlyConfigured, match="TESTIMONIA_TSA_URL"):
        config(TESTIMONIA_SECRET_KEY=KEY, TESTIMONIA_TSA_URL="ftp://tsa.example")
    with pytest.raises(ImproperlyConfigured, match="TESTIMONIA_TSA_ROOTS"):
        config(TESTIMONIA_SECRET_KEY=KEY, TESTIMONIA_TSA_ROOTS=str(tmp_path / "missing.pem"))
    roots = tmp_path / "roots.pem"
    roots.write_text("pem")
    assert config(TESTIMONIA_SECRET_KEY=KEY, TESTIMONIA_TSA_ROOTS=str(roots)).tsa_roots == roots

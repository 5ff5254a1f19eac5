import pytest
from django.db import DatabaseError, connection
from django.test import RequestFactory

from onespace.client_ip import client_ip
from onespace.settings import database_from_url


@pytest.fixture
def rf() -> RequestFactory:
    return RequestFactory()


def test_client_ip_is_peer_when_no_proxy_trusted(rf, settings):
    settings.TRUSTED_PROXIES = []
    request = rf.get(
        "/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.1"
    )
    assert client_ip(request) == "203.0.113.9"


def test_client_ip_takes_rightmost_untrusted_hop_behind_trusted_proxy(rf, settings):
    import ipaddress

    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8")]
    request = rf.get(
        "/",
        REMOTE_ADDR="10.0.0.5",
        HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7, 10.0.0.9",
    )
    # 1.2.3.4 may be forged by the client; 198.51.100.7 is what our proxy saw.
    assert client_ip(request) == "198.51.100.7"


def test_client_ip_untrusted_peer_cannot_forge_forwarded_for(rf, settings):
    import ipaddress

    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8")]
    request = rf.get("/", REMOTE_ADDR="203.0.113.50", HTTP_X_FORWARDED_FOR="10.0.0.1")
    assert client_ip(request) == "203.0.113.50"


def test_database_url_parses_postgres():
    config = database_from_url("postgres://u:p%40ss@db.example:5433/portal")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["USER"], config["PASSWORD"]) == (
        "portal",
        "u",
        "p@ss",
    )
    assert (config["HOST"], config["PORT"]) == ("db.example", "5433")
    assert config["CONN_MAX_AGE"] > 0


def test_healthz_ok(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "up"


def test_healthz_503_when_database_fails(client, db):
    def broken(execute, sql, params, many, context):
        raise DatabaseError("database is gone")

    with connection.execute_wrapper(broken):
        response = client.get("/healthz")
    assert response.status_code == 503


def test_schema_and_docs_are_served(client, db):
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200


def test_pages_carry_content_security_policy(client, db):
    response = client.get("/")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "k3y-" + "x7Rq9vLmP2sT8wZ4nB6cF1hJ5dG0aE" * 2,
        "DJANGO_ALLOWED_HOSTS": "portal.onespace.co.th",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.db'}",
        "BILLING_SELLER_TAX_ID": "0105558000014",  # not the example seller
    }
    env.pop("EMAIL_BACKEND", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser fixture
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout

import subprocess
import sys

from channels.layers import channel_layers


def test_it_reports_database_and_channel_layer(client, db):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "checks": {"database": "ok", "channel_layer": "ok"}}


def test_it_answers_503_naming_the_layer_when_it_is_down(client, db, settings):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # Nothing listens on port 1: the round trip fails at once.
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }
    channel_layers.backends.clear()
    try:
        r = client.get("/healthz")
    finally:
        channel_layers.backends.clear()
    assert r.status_code == 503
    assert r.json()["down"] == ["channel_layer"]
    assert r.json()["checks"]["database"] == "ok"


def run_settings(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={"DJANGO_SETTINGS_MODULE": "config.settings", "PATH": "/usr/bin:/bin", **env},
        capture_output=True, text=True,
    )


def test_it_refuses_to_start_without_secret_key_when_debug_is_off():
    result = run_settings({"DEBUG": "0"})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_it_starts_with_production_settings():
    result = run_settings({"DEBUG": "0", "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "dna.example"})
    assert result.returncode == 0, result.stderr


def test_deploy_check_is_clean_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env={
            "PATH": "/usr/bin:/bin", "DEBUG": "0", "ALLOWED_HOSTS": "dna.example",
            "SECRET_KEY": "k7$Jq9!vL2@pX8#rT5^wN3&zM6*bC4(hF1)dG0_yS-eA+uR=iO~lK",
        },
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent
GOOD_KEY = "k3Y-" + "x7Qp2mZr9LwT4vBn8cHs6dJf1gKa5eUy0iOo3tRq" + "-Nz8Wm"


def start_in_production(*check_options, **environment):
    """Run `manage.py check` in a fresh process with production settings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DJANGO_") and key != "DATABASE_URL"
    }
    # A developer's .env must not supply what the test leaves out.
    env.update(DJANGO_ENV="production", DJANGO_ENV_FILE=os.devnull, **environment)
    return subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "manage.py", "check", *check_options],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"DJANGO_ALLOWED_HOSTS": "ginr.example.com"}, "needs DJANGO_SECRET_KEY"),
        (
            {
                "DJANGO_SECRET_KEY": "django-insecure-" + GOOD_KEY,
                "DJANGO_ALLOWED_HOSTS": "ginr.example.com",
            },
            "needs DJANGO_SECRET_KEY",
        ),
        ({"DJANGO_SECRET_KEY": GOOD_KEY}, "needs DJANGO_ALLOWED_HOSTS"),
        (
            {"DJANGO_SECRET_KEY": GOOD_KEY, "DJANGO_ALLOWED_HOSTS": "*"},
            "needs DJANGO_ALLOWED_HOSTS",
        ),
    ],
)
def test_production_mode_refuses_to_start_without_real_settings(environment, message):
    result = start_in_production(**environment)

    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"AUDIT_ACCESS_RECORDS": "flase"}, "AUDIT_ACCESS_RECORDS must be true or"),
        (
            {
                "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/x",
                "DATABASE_RANDOM_PAGE_COST": "fast",
            },
            "DATABASE_RANDOM_PAGE_COST must be a positive number",
        ),
    ],
)
def test_a_mistyped_setting_stops_the_service_instead_of_changing_its_meaning(
    environment, message
):
    # django-environ would read "flase" as false: no audit trail, silently.
    result = start_in_production(
        DJANGO_SECRET_KEY=GOOD_KEY,
        DJANGO_ALLOWED_HOSTS="ginr.example.com",
        **environment,
    )

    assert result.returncode != 0
    assert message in result.stderr


def test_production_mode_starts_with_a_real_key_and_hosts():
    result = start_in_production(
        DJANGO_SECRET_KEY=GOOD_KEY, DJANGO_ALLOWED_HOSTS="ginr.example.com"
    )

    assert result.returncode == 0, result.stderr


def test_the_deployment_checklist_passes_with_production_settings():
    result = start_in_production(
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SECRET_KEY=GOOD_KEY,
        DJANGO_ALLOWED_HOSTS="ginr.example.com",
    )

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_the_benchmark_bare_view_is_not_routed_in_normal_operation():
    assert Client().get("/benchmark/bare").status_code == 404

"""Staff sign in to the admin with a password and a TOTP code (django-otp)."""

import os
import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.test_settings import GOOD_KEY, ROOT

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_with_totp(db):
    user = get_user_model().objects.create_superuser("otto", password="s3cret-Pass-42")
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user, device


def current_code(device):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


@override_settings(ADMIN_REQUIRE_OTP=True)
def test_with_otp_on_a_password_alone_does_not_open_the_admin(staff_with_totp):
    browser = Client()

    login = browser.get("/admin/login/")
    browser.post("/admin/login/", {"username": "otto", "password": "s3cret-Pass-42"})

    assert b'name="otp_token"' in login.content
    assert browser.get("/admin/").status_code == 302


@override_settings(ADMIN_REQUIRE_OTP=True)
def test_with_otp_on_a_password_and_a_totp_code_open_the_admin(staff_with_totp):
    _user, device = staff_with_totp
    browser = Client()

    browser.post(
        "/admin/login/",
        {
            "username": "otto",
            "password": "s3cret-Pass-42",
            "otp_device": device.persistent_id,
            "otp_token": current_code(device),
        },
    )

    page = browser.get("/admin/")
    assert page.status_code == 200
    assert b"two-factor (TOTP) login is off" not in page.content


def test_in_development_the_admin_says_that_otp_is_off(admin_client):
    page = admin_client.get("/admin/")
    login = Client().get("/admin/login/")

    assert b"two-factor (TOTP) login is off" in page.content
    assert b"two-factor (TOTP) login is off" in login.content
    assert b'name="otp_token"' not in login.content


def test_production_mode_requires_otp_by_default():
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DJANGO_") and key != "DATABASE_URL"
    }
    env.update(
        DJANGO_ENV="production",
        DJANGO_ENV_FILE=os.devnull,
        DJANGO_SECRET_KEY=GOOD_KEY,
        DJANGO_ALLOWED_HOSTS="ginr.example.com",
        DJANGO_SETTINGS_MODULE="ginr_m2m.settings",
    )

    result = subprocess.run(  # noqa: S603 - fixed arguments
        [
            sys.executable,
            "-c",
            "from django.conf import settings; print(settings.ADMIN_REQUIRE_OTP)",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.stdout.strip() == "True", result.stderr


def test_add_staff_totp_gives_a_working_device(capsys):
    get_user_model().objects.create_user("tess", is_staff=True)

    call_command("add_staff_totp", "tess")

    device = TOTPDevice.objects.get(user__username="tess")
    assert device.confirmed
    assert "otpauth://totp/" in capsys.readouterr().out
    assert device.verify_token(current_code(device))


def test_add_staff_totp_refuses_a_non_staff_account():
    get_user_model().objects.create_user("ned")

    with pytest.raises(CommandError, match="No staff account 'ned'"):
        call_command("add_staff_totp", "ned")

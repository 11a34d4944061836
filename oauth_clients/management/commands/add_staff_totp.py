import qrcode
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = (
        "Give a staff account a TOTP device for the admin login and print its "
        "otpauth:// URL and QR code, this once. Scan it with an authenticator app."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--device-name", default="authenticator app")

    def handle(self, *args, username, device_name, **options):
        user = get_user_model().objects.filter(username=username, is_staff=True).first()
        if user is None:
            raise CommandError(f"No staff account {username!r}.")

        device = TOTPDevice.objects.create(user=user, name=device_name, confirmed=True)

        code = qrcode.QRCode(border=1)
        code.add_data(device.config_url)
        code.print_ascii(out=self.stdout)
        self.stdout.write(
            f"{device.config_url}\n"
            f"TOTP device {device_name!r} added for {username}; it is not shown again."
        )

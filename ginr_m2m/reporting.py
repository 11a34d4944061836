import re

from django.views.debug import SafeExceptionReporterFilter


class CredentialSafeReporterFilter(SafeExceptionReporterFilter):
    """Django's filter, also hiding Authorization headers in error reports.

    Django's list covers settings-like names (TOKEN, SECRET, KEY ...) but not
    HTTP_AUTHORIZATION, which carries a client's secret (Basic) or a bearer
    token on every request here.
    """

    hidden_settings = re.compile(
        "API|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|AUTHORIZATION",
        flags=re.IGNORECASE,
    )

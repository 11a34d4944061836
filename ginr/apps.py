from django.apps import AppConfig


class GinrConfig(AppConfig):
    name = "ginr"
    verbose_name = "RIOO GINR data"

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GeneratorConfig(AppConfig):
    name = "kam.generator"
    verbose_name = _("Demo company generator")

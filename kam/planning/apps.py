from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlanningConfig(AppConfig):
    name = "kam.planning"
    label = "planning"
    verbose_name = _("Development plans")

    def ready(self) -> None:
        from kam.planning import receivers  # noqa: F401  (connects the signal handlers)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClientsConfig(AppConfig):
    name = "kam.clients"
    verbose_name = _("Clients")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from kam.clients.search import sqlite_unicode_case

        connection_created.connect(sqlite_unicode_case, dispatch_uid="kam_sqlite_unicode_case")

"""kam serve [--port P]: the web app on 127.0.0.1, through gunicorn (Django's development
server only where gunicorn cannot run, e.g. Windows, or with --dev)."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve the web app (default http://127.0.0.1:8000)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--workers", type=int, default=2, help="processes (default 2)")
        parser.add_argument("--threads", type=int, default=4, help="threads per process")
        parser.add_argument(
            "--dev",
            action="store_true",
            help="Django's development server (reloads on code changes)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Static files are served by WhiteNoise from the app's own folders: no CDN, offline.
        address = f"{options['host']}:{options['port']}"
        try:
            from gunicorn.app.base import BaseApplication
        except ImportError:  # pragma: no cover - Windows
            BaseApplication = None
        if options["dev"] or BaseApplication is None:
            call_command("runserver", address, use_reloader=options["dev"])
            return
        from kam.wsgi import application

        class Server(BaseApplication):  # type: ignore[misc,valid-type]
            def load_config(self) -> None:
                self.cfg.set("bind", address)
                self.cfg.set("workers", options["workers"])
                self.cfg.set("threads", options["threads"])
                self.cfg.set("accesslog", "-")
                self.cfg.set("timeout", 300)  # a large upload is checked in the request

            def load(self) -> Any:
                return application

        Server().run()

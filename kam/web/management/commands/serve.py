"""kam serve [--port P]: the web app on 127.0.0.1."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve the web app (default http://127.0.0.1:8000)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")

    def handle(self, *args: Any, **options: Any) -> None:
        # Static files are served by WhiteNoise from the app's own folders: no CDN, offline.
        call_command("runserver", f"{options['host']}:{options['port']}", use_reloader=False)

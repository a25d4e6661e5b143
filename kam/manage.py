"""The `kam` command: Django's management commands plus the project's own."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv)
    argv[0] = "kam"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()

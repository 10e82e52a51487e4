"""The `wageguard` console script: Django's manage.py."""
import os
import sys

# Bulk generation writes hundreds of thousands of rows: Django's DEBUG query log would roughly double
# SQLite's work for nothing. These commands run without it unless WAGEGUARD_DEBUG is set explicitly; the
# servers the demo starts get the caller's environment back (`WEB_DEBUG_MARK`).
BULK_COMMANDS = ("demo", "simulate")
WEB_DEBUG_MARK = "WAGEGUARD_DEBUG_RESTORE"


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wageguard.settings")
    if sys.argv[1:2] and sys.argv[1] in BULK_COMMANDS and "WAGEGUARD_DEBUG" not in os.environ:
        os.environ["WAGEGUARD_DEBUG"] = "0"
        os.environ[WEB_DEBUG_MARK] = "1"
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


def server_environment() -> dict[str, str]:
    """The environment for servers started by a bulk command: as the caller had it."""
    env = dict(os.environ)
    if env.pop(WEB_DEBUG_MARK, None):
        env.pop("WAGEGUARD_DEBUG", None)
    return env


if __name__ == "__main__":
    main()

"""Shared set-up of the benchmarks: a fresh database on DATABASE_URL's PostgreSQL server (or a temporary SQLite
file), Django configured as `wageguard simulate` runs it (no DEBUG query log)."""
from __future__ import annotations

import io
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))


def fresh_database(name: str, *, sqlite: bool = False) -> str:
    if sqlite:
        return f"sqlite:///{tempfile.mkdtemp()}/{name}.sqlite3"
    import dj_database_url
    import psycopg

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/wageguard")
    if not base.startswith("postgres"):
        sys.exit("this bench runs on PostgreSQL: set DATABASE_URL=postgres://… (or pass --sqlite)")
    cfg = dj_database_url.parse(base)
    admin = psycopg.connect(host=cfg["HOST"], port=cfg["PORT"] or 5432, user=cfg["USER"], password=cfg["PASSWORD"] or None,
                            dbname="postgres", autocommit=True)
    admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.execute(f"CREATE DATABASE {name}")
    admin.close()
    return base.rsplit("/", 1)[0] + "/" + name


def add_today(parser) -> None:
    parser.add_argument("--today", help="run at this moment, YYYY-MM-DD[THH:MM] (Asia/Shanghai; a day means 20:30): the province "
                                        "up to it, the rules judging on it")


def set_today(today: str | None) -> None:
    """Before Django starts: every process of the run (this one, its servers and workers) reads `now` from there."""
    if today:
        os.environ["WAGEGUARD_CLOCK"] = today


def setup_django(database_url: str) -> None:
    os.environ.setdefault("WAGEGUARD_ENV", "dev")
    os.environ.setdefault("WAGEGUARD_DEBUG", "0")
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wageguard.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_regions", verbosity=0, stdout=io.StringIO())

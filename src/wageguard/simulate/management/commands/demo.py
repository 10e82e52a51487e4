import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from wageguard.cli import server_environment
from wageguard.simulate.management.commands.simulate import set_today
from wageguard.simulate.demo import DEMO_PASSWORD, demo_users_create


def _interrupt(signum, frame):
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = ("Set up the demo province (migrate, regions, simulator, one login per role) and serve the console "
            "with the background worker. Safe to run again.")

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--projects", type=int, default=30)   # the demo starts within a minute (docs/benchmarks.md)
        parser.add_argument("--workers", type=int, default=900)
        parser.add_argument("--months", type=int, default=3)
        parser.add_argument("--addr", default="127.0.0.1:8000")
        parser.add_argument("--no-serve", action="store_true", help="set up only; do not start the servers")
        parser.add_argument("--today", help="the demo's moment, YYYY-MM-DD[THH:MM]: the province up to it, and the servers "
                                            "running from it (WAGEGUARD_CLOCK)")

    def handle(self, *args, seed, projects, workers, months, addr, no_serve, today=None, **options):
        if not settings.DEV:
            raise CommandError("The demo runs only with WAGEGUARD_ENV=dev (it prints its passwords).")
        if today:
            set_today(today)
            os.environ["WAGEGUARD_CLOCK"] = today  # the web server and the worker run at that moment too
        self.stdout.write("1/4 migrating the database …")
        call_command("migrate", verbosity=0, interactive=False)
        self.stdout.write("2/4 loading regions and departments …")
        call_command("load_regions", stdout=self.stdout)
        self.stdout.write("3/4 generating the demo province …")
        call_command("simulate", seed=seed, projects=projects, workers=workers, months=months, stdout=self.stdout)  # at the moment set
        call_command("stats_reports", stdout=self.stdout)  # last month's 通报, as the 1st of this month generated them
        self.stdout.write("4/4 demo logins (password for each: %s)" % DEMO_PASSWORD)
        for login in demo_users_create():
            self.stdout.write(f"    {login.username:<18} {login.role:<17} {login.sees}")
        if no_serve:
            return
        self.serve(addr)

    def serve(self, addr: str) -> None:
        signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops both children like Ctrl-C does
        if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:  # started in the background by a shell
            signal.signal(signal.SIGINT, _interrupt)
        python, env = sys.executable, server_environment()
        worker = subprocess.Popen([python, "-m", "wageguard.cli", "run_huey", "--workers", "2", "--worker-type", "thread"], env=env)
        web = subprocess.Popen([python, "-m", "wageguard.cli", "runserver", addr, "--noreload"], env=env)
        self.stdout.write(self.style.SUCCESS(f"console at http://{addr}/  (Ctrl-C stops the web server and the worker)"))
        try:
            while web.poll() is None and worker.poll() is None:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for proc in (web, worker):
                if proc.poll() is None:
                    proc.terminate()  # SIGTERM: both stop cleanly, even where SIGINT is ignored
            for proc in (web, worker):
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
        self.stdout.write("stopped")

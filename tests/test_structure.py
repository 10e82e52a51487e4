"""The import structure: producers never import their consumers, and core imports no app."""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "wageguard"


def imports_of(app: str) -> dict[str, set[str]]:
    """Every module an app's files import (function-local imports too), by file."""
    found = {}
    for path in (PACKAGE / app).rglob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
        found[str(path.relative_to(PACKAGE))] = names
    return found


@pytest.mark.parametrize("producer", ["registry", "attendance", "accounts", "payroll", "exchange", "simulate"])
def test_no_producer_imports_the_alerts(producer):
    """The simulator is a producer too: its labels are what it did, never what the rules would say."""
    offending = {path: sorted(n for n in names if n.startswith("wageguard.alerts"))
                 for path, names in imports_of(producer).items() if any(n.startswith("wageguard.alerts") for n in names)}
    assert not offending, f"{producer} imports its consumer (subscribe in AppConfig.ready instead): {offending}"


def test_core_imports_no_app():
    apps = ("registry", "attendance", "accounts", "payroll", "alerts", "exchange", "simulate")
    offending = {path: sorted(n for n in names if n.startswith(tuple(f"wageguard.{a}" for a in apps)))
                 for path, names in imports_of("core").items()}
    assert not {k: v for k, v in offending.items() if v}


APPS = ("core", "registry", "attendance", "accounts", "payroll", "alerts", "credit", "complaints", "stats", "exchange", "simulate")


@pytest.mark.parametrize("producer", ["core", "registry", "attendance", "accounts", "payroll", "alerts", "credit", "complaints", "exchange"])
def test_no_app_below_statistics_imports_it(producer):
    """Statistics reads every app and subscribes to their events; none of them reads statistics."""
    offending = {path: sorted(n for n in names if n.startswith("wageguard.stats"))
                 for path, names in imports_of(producer).items() if any(n.startswith("wageguard.stats") for n in names)}
    assert not offending, offending


def app_graph() -> dict[str, set[str]]:
    """Which app imports which (any import anywhere in its files, function-local ones included)."""
    graph = {}
    for app in APPS:
        graph[app] = {name.split(".")[1] for names in imports_of(app).values() for name in names
                      if name.startswith("wageguard.") and name.split(".")[1] in APPS} - {app}
    return graph


def test_no_import_cycle_between_apps():
    graph = app_graph()

    def cycle_from(app, path):
        for target in sorted(graph[app]):
            if target in path:
                return path[path.index(target):] + [target]
            found = cycle_from(target, path + [target])
            if found:
                return found
        return None

    for app in APPS:
        cycle = cycle_from(app, [app])
        assert cycle is None, " → ".join(cycle)


import re  # noqa: E402

CLOCK_READS = re.compile(r"\btimezone\.now\(\)|\btimezone\.localdate\(\)|\bdate\.today\(\)|\bdatetime\.now\(|\butcnow\(|(?<![\w.])time\.time\(\)")


def test_every_read_of_the_clock_goes_through_core_clock():
    """So that a run can be set at any moment (`--today`, WAGEGUARD_CLOCK, `clock.travel`)."""
    offending = [f"{path.relative_to(PACKAGE)}:{n}" for path in PACKAGE.rglob("*.py") if path.name != "clock.py" or path.parent.name != "core"
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
                 if CLOCK_READS.search(line) and "migrations" not in path.parts]
    assert not offending, offending


def test_the_rules_read_other_apps_through_their_selectors_with_every_import_at_the_top():
    """The evaluators (alerts/rules/) import another app's selectors, and from its models only names that are not
    models (choices, constants); no import inside a function (no cycle to dodge)."""
    import django
    from django.db import models as django_models

    assert django.apps.apps.ready
    offending = []
    for path in (PACKAGE / "alerts" / "rules").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top = set(map(id, tree.body))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in top:
                offending.append(f"{path.name}:{node.lineno}: an import inside a function")
            if (isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("wageguard.")
                    and node.module.endswith(".models") and not node.module.startswith("wageguard.core")):  # the platform's own
                module = __import__(node.module, fromlist=[a.name for a in node.names])
                for alias in node.names:
                    thing = getattr(module, alias.name)
                    if isinstance(thing, type) and issubclass(thing, django_models.Model):
                        offending.append(f"{path.name}:{node.lineno}: reads the model {alias.name} directly")
    assert not offending, offending

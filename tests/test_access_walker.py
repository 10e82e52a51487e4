"""The access walker: every console route and every API operation, requested as every role of two scopes.

Generated from the URL resolver and the OpenAPI schema, so a new route is covered without editing this test:
- every console route declares its capability and what its parameters name (`core.access.route`); one that
  does not fails here;
- a read of scope A's object by anyone of scope B answers 404 (never 403, which would confirm it exists),
  while a platform admin can open it (so the walker is not vacuous);
- a write (POST) by anyone of scope B, or by anyone of scope A whose role and scope may not make it
  (`core.access.can`), answers 403 or 404 with no row changed and no audit entry.
"""
from __future__ import annotations

import hashlib

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from wageguard.api import PATH_OBJECTS, api
from wageguard.core import access
from wageguard.core.models import AuditEntry
from tests.factories import system_admin, two_scopes

pytestmark = pytest.mark.django_db

# Framework routes that carry no data of ours: Django's admin (its own permission system, platform admins
# only), the API (walked below through its schema), language switch, sign-in/out, static files.
FRAMEWORK = ("admin/", "api/", "i18n/", "login/", "logout/", "static/")
UNSTORED_TABLES = {"django_session", "axes_accessattempt", "axes_accesslog", "axes_accessfailurelog"}


def console_routes():
    """(route text, URL name, callback, parameter names) of every console URL pattern."""
    found = []

    def walk(patterns, prefix=""):
        for entry in patterns:
            text = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, text)
            elif isinstance(entry, URLPattern):
                found.append((text, entry.name, entry.callback, list(entry.pattern.converters)))

    walk(get_resolver().url_patterns)
    return [r for r in found if not r[0].startswith(FRAMEWORK)]


def _fingerprint() -> str:
    """Every stored row of our tables, hashed: a refused write must leave it as it was."""
    digest = hashlib.sha256()
    with connection.cursor() as cursor:
        for model in sorted(apps.get_models(), key=lambda m: m._meta.db_table):
            table = model._meta.db_table
            if table in UNSTORED_TABLES or not model._meta.managed:
                continue
            cursor.execute(f'SELECT * FROM "{table}" ORDER BY 1')
            digest.update(table.encode())
            for row in cursor.fetchall():
                digest.update(repr(row).encode())
    return digest.hexdigest()


@pytest.fixture
def scopes(db):
    return two_scopes()


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _instances(callback, params, objects):
    """Every URL kwargs the route's declaration gives for scope A's objects, each with the object it names."""
    declared = callback.access.params
    combos = [({}, None)]
    for name in params:
        spec = declared[name]
        expanded = []
        for kwargs, obj in combos:
            if isinstance(spec, type):
                target = objects[spec._meta.label_lower]
                expanded.append(({**kwargs, name: target.pk}, obj or target))
            elif callable(spec):
                expanded.append(({**kwargs, name: spec(objects)}, obj))
            else:
                expanded += [({**kwargs, name: word}, obj) for word in spec]
        combos = expanded
    return combos


def test_every_console_route_declares_its_access(scopes):
    undeclared = []
    for text, name, callback, params in console_routes():
        declaration = getattr(callback, "access", None)
        if declaration is None:
            undeclared.append(f"{text} ({name}): no @access.route")
            continue
        missing = [p for p in params if p not in declaration.params]
        if missing:
            undeclared.append(f"{text} ({name}): parameters {missing} not declared")
    assert not undeclared, "\n".join(undeclared)


def _refused_without_change(client, url):
    """POST inside a rolled-back transaction: the answer, and whether rows or the audit log changed."""
    before, audits = _fingerprint(), AuditEntry.objects.count()
    with transaction.atomic():
        response = client.post(url)
        changed = _fingerprint() != before or AuditEntry.objects.count() != audits
        transaction.set_rollback(True)
    return response.status_code, changed


def test_every_console_route_as_every_role_of_two_scopes(scopes):
    a, b = scopes
    admin = _as(system_admin())
    outsiders = {role: _as(user) for role, user in b.users.items()}
    insiders = {role: (user, _as(user)) for role, user in a.users.items()}
    failures, checked = [], 0
    for text, name, callback, params in console_routes():
        if callback.access.public:  # open to everyone (what they show and take is tested with them)
            for kwargs, _obj in _instances(callback, params, a.objects):
                status, changed = _refused_without_change(Client(), reverse(name, kwargs=kwargs))
                checked += 1
                if status >= 500 or changed:  # an empty form from nobody writes nothing
                    failures.append(f"POST {text} without sign-in: {status}, changed={changed}")
            continue
        if not params:
            for role, client in outsiders.items():  # pages without an id: answer, never crash
                status = client.get(reverse(name)).status_code
                if status >= 500:
                    failures.append(f"GET {text} as {role}: {status}")
            continue
        for kwargs, obj in _instances(callback, params, a.objects):
            url = reverse(name, kwargs=kwargs)
            reads = admin.get(url).status_code
            if reads != 405:
                if reads in (404, 500):
                    failures.append(f"GET {url} as platform admin: {reads} (the walker's object is not found)")
                for role, client in outsiders.items():
                    status = client.get(url).status_code
                    checked += 1
                    if status != 404:
                        failures.append(f"GET {url} ({text}) as {b.name}.{role}: {status}, expected 404")
            if admin.post(url).status_code == 405:
                continue
            capability = callback.access.capability_for(kwargs)
            for role, client in outsiders.items():
                status, changed = _refused_without_change(client, url)
                checked += 1
                if status not in (403, 404) or changed:
                    failures.append(f"POST {url} ({text}) as {b.name}.{role}: {status}, changed={changed}")
            for role, (user, client) in insiders.items():
                if access.can(user, capability, obj):
                    continue
                status, changed = _refused_without_change(client, url)
                checked += 1
                if status not in (403, 404) or changed:
                    failures.append(f"POST {url} ({text}) as {a.name}.{role} (may not {capability}): {status}, changed={changed}")
    assert checked > 100
    assert not failures, "\n".join(failures)


# ---------------------------------------------------------------- the API, from its OpenAPI schema


def api_operations():
    schema = api.get_openapi_schema(path_prefix="/api")
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method.upper(), operation


def _api_url(path: str, objects) -> tuple[str, object]:
    target = None
    for name, (label, field) in PATH_OBJECTS.items():
        if "{" + name + "}" in path:
            target = objects[label]
            path = path.replace("{" + name + "}", str(getattr(target, field)))
    return path, target


def test_every_api_path_parameter_is_declared():
    import re

    unknown = {(path, p) for path, _m, _o in api_operations() for p in re.findall(r"{(\w+)}", path) if p not in PATH_OBJECTS}
    assert not unknown, f"declare these path parameters in wageguard.api.PATH_OBJECTS: {sorted(unknown)}"


def _signed_only(operation) -> bool:
    return all("SignedRequest" in requirement for requirement in operation.get("security", [{}]))


def test_every_api_operation_as_every_role_of_two_scopes(scopes):
    a, b = scopes
    failures, checked = [], 0
    for path, method, operation in api_operations():
        url, target = _api_url(path, a.objects)
        everyone = [(f"{s.name}.{role}", user, s is b) for s in (a, b) for role, user in s.users.items()]
        for label, user, outsider in everyone:
            client = _as(user)
            if method == "GET":
                status = client.get(url).status_code
                checked += 1
                if _signed_only(operation):
                    ok = status == 401
                elif target is not None and outsider:
                    ok = status == 404
                else:
                    ok = status < 500
                if not ok:
                    failures.append(f"GET {url} as {label}: {status}")
                continue
            capability = operation.get("x-capability")
            must_refuse = (_signed_only(operation) or (target is not None and outsider)
                           or (capability is not None and not access.can(user, capability, target)))
            if not must_refuse:
                continue  # allowed: its validation is tested elsewhere
            before, audits = _fingerprint(), AuditEntry.objects.count()
            with transaction.atomic():
                response = client.post(url, b"{}", content_type="application/json")
                changed = _fingerprint() != before or AuditEntry.objects.count() != audits
                transaction.set_rollback(True)
            checked += 1
            expected = (401,) if _signed_only(operation) else (403, 404)
            if response.status_code not in expected or changed:
                failures.append(f"{method} {url} as {label}: {response.status_code} {response.content[:120]!r}, changed={changed}")
    assert checked > 50
    assert not failures, "\n".join(failures)

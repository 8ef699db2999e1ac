"""One way to assemble a service: the FastAPI app around its spec and runtime."""

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Depends, FastAPI

from tuopin_eventkit import logs, migrate
from tuopin_eventkit.security import auth
from tuopin_eventkit.settings import ServiceSettings, refuse_development_keys
from tuopin_eventkit.web import builtin, docs, hardening, http, localised, problems
from tuopin_eventkit.web.runtime import Runtime, ServiceSpec

log = logging.getLogger(__name__)


def create_app(spec: ServiceSpec, settings: ServiceSettings | None = None) -> FastAPI:
    settings = settings or spec.settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        logs.configure(spec.name, settings.log_level)
        refuse_development_keys(settings)
        runtime = Runtime.open(spec, settings)
        if settings.migrate_on_start:
            await migrate.upgrade(runtime.engine, spec.migrations)
        runtime.start_background()
        app.state.runtime = runtime
        log.info("%s ready on %s:%d", spec.name, settings.host, settings.port)
        try:
            yield
        finally:
            await runtime.close()

    app = FastAPI(
        title=spec.title,
        version="0.1.0",
        lifespan=lifespan,
        dependencies=[Depends(http.authorize)],
        docs_url=None,
        redoc_url=None,  # served offline by docs.install
    )
    docs.install(app)
    problems.install(app)
    builtin.install(app, spec)
    hardening.install(app, settings)
    for router in spec.routers:
        app.include_router(router)
    problems.document(app)
    # outermost: every problem, whoever made it, in the service's words and the kernel's
    app.add_middleware(localised.Localised, catalogue=spec.messages + localised.KERNEL)
    _check_access(app, spec)
    return app


def _check_access(app: FastAPI, spec: ServiceSpec) -> None:
    """Every route of the API document has its access rule, and every rule's scope names a
    parameter or body field its route declares: a route nobody thought about would
    answer 403 to all, a scope read from nowhere would refuse everyone — better to refuse
    to start. (Routes kept out of the document, like static assets, are refused at request
    time unless they have a rule too.)"""
    document = app.openapi()
    operations = {
        f"{method.upper()} {path}": operation
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }
    missing = sorted(set(operations) - {*auth.KERNEL_ACCESS, *spec.access})
    if missing:
        raise RuntimeError(f"{spec.name}: routes without an access rule {missing}")
    schemas = document.get("components", {}).get("schemas", {})
    nowhere = [
        f"{key} (no {rule.scope.at.place} field {rule.scope.at.name})"
        for key, rule in spec.access.items()
        if rule.scope.at is not None
        and key in operations
        and rule.scope.at.name not in _fields(operations[key], rule.scope.at.place, schemas)
    ]
    if nowhere:
        raise RuntimeError(f"{spec.name}: scopes read from nowhere: {nowhere}")


def _fields(operation: dict[str, Any], place: str, schemas: dict[str, Any]) -> set[str]:
    """The names an operation of the API document takes in ``place``: its path or query
    parameters, or the fields every form of its JSON body has."""
    if place != "body":
        return {p["name"] for p in operation.get("parameters", []) if p["in"] == place}
    content = operation.get("requestBody", {}).get("content", {})
    return _properties(content.get("application/json", {}).get("schema", {}), schemas)


def _properties(schema: dict[str, Any], schemas: dict[str, Any]) -> set[str]:
    if "$ref" in schema:
        return _properties(schemas[schema["$ref"].rsplit("/", 1)[-1]], schemas)
    forms = schema.get("oneOf") or schema.get("anyOf")
    if forms:  # a union of bodies (a bank's postings): a field all of them have
        return set.intersection(*(_properties(form, schemas) for form in forms))
    return set(schema.get("properties", {}))

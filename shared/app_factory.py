"""The one way every service builds its FastAPI app: same middleware, errors, health, metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from shared.auth import TokenCodec, public, refusal_before_body
from shared.database import create_engine, create_sessionmaker, ping
from shared.db_url import resolve_database_url
from shared.edge import TextGuardMiddleware, refuse_unstorable_body
from shared.observability import (
    BodySizeLimitMiddleware,
    Metrics,
    MetricsMiddleware,
    RequestContextMiddleware,
    configure_logging,
)
from shared.openapi import install_problem_docs
from shared.problems import install_problem_handlers
from shared.rate_limit import RateLimiter
from shared.settings import ServiceSettings

ExtraLifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]

HEALTH_TAG = {"name": "operations", "description": "Liveness, readiness and metrics."}


def build_app(
    *,
    service: str,
    settings: ServiceSettings,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    tags: Sequence[dict[str, str]] = (),
    extra_lifespan: ExtraLifespan | None = None,
    version: str = "0.1.0",
) -> FastAPI:
    """Assemble a service: lifespan-owned engine, problem errors, request ids, metrics."""
    configure_logging(service, settings.log_level)
    metrics = Metrics(service)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        url = resolve_database_url(settings)
        engine = create_engine(url, pool_size=settings.db_pool_size, application_name=service)
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        try:
            if extra_lifespan is None:
                yield
            else:
                async with extra_lifespan(app):
                    yield
        finally:
            await engine.dispose()

    app = FastAPI(
        title=title,
        description=description,
        version=version,
        lifespan=lifespan,
        openapi_tags=[*tags, HEALTH_TAG],
        dependencies=[Depends(refuse_unstorable_body)],
    )
    app.state.settings = settings
    app.state.service = service
    app.state.metrics = metrics
    app.state.token_codec = TokenCodec(
        settings.jwt_secret.get_secret_value(),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )
    app.state.rate_limiter = RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst)
    install_problem_handlers(app, precheck=refusal_before_body)
    app.include_router(_operations_router())
    for router in routers:
        app.include_router(router)
    install_problem_docs(app)
    # Outermost last: request id wraps everything so even a 413 carries one; the text
    # guard is innermost, so its 422 is logged and counted like any other answer.
    app.add_middleware(TextGuardMiddleware)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(RequestContextMiddleware, service=service)
    return app


def _operations_router() -> APIRouter:
    router = APIRouter(tags=["operations"], dependencies=[Depends(public)])

    @router.get("/healthz", summary="Liveness: the process is up (no I/O)")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="Readiness: dependencies reachable",
        responses={503: {"description": "A dependency is down; the body says which."}},
    )
    async def readyz(request: Request) -> JSONResponse:
        checks: dict[str, Any] = {}
        try:
            await ping(request.app.state.engine)
            checks["database"] = "ok"
        except Exception as exc:  # any failure means not ready; say which and why
            checks["database"] = f"down: {type(exc).__name__}"
        ready = all(value == "ok" for value in checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "not_ready", "checks": checks},
            status_code=200 if ready else 503,
        )

    @router.get(
        "/metrics",
        summary="Prometheus metrics",
        response_class=Response,
        responses={200: {"content": {"text/plain": {}}}},
    )
    async def metrics(request: Request) -> Response:
        body = request.app.state.metrics.render()
        return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")

    return router

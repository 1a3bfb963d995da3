"""Bearer-token authentication and per-route role policies.

Tokens are HS256 JWTs carrying a role and the scopes the holder may act for (ICBs, wards,
a vendor). Every route declares who may call it with `allow(...)` or `public()`;
`undeclared_routes` finds any route that forgot, and each service's tests assert none do.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any

import jwt
from fastapi import Depends, FastAPI, Request
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.problems import Forbidden, ProblemError, Unauthorized

ALL = "*"
ALGORITHM = "HS256"
POLICY_ATTR = "__vward_policy__"


class Role(StrEnum):
    clinician = "clinician"
    commissioner = "commissioner"
    vendor = "vendor"
    admin = "admin"
    service = "service"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling and what they may act for; `*` in a scope means all."""

    subject: str
    role: Role
    icbs: frozenset[str] = field(default_factory=frozenset)
    wards: frozenset[str] = field(default_factory=frozenset)
    vendor: str | None = None
    token_id: str | None = None
    expires_at: float | None = None  # the token's `exp` (Unix seconds): long streams end there

    @property
    def is_national(self) -> bool:
        return self.role in (Role.admin, Role.service) or ALL in self.icbs

    def may_see_icb(self, icb: str) -> bool:
        return self.is_national or icb in self.icbs

    def may_see_ward(self, ward: str, icb: str | None = None) -> bool:
        """Admins and services everywhere; clinicians by ward or whole ICB; nobody else."""
        if self.role in (Role.admin, Role.service):
            return True
        if self.role is not Role.clinician:
            return False  # commissioners and vendors never see a ward's patients
        if ALL in self.wards or ward in self.wards:
            return True
        return icb is not None and (ALL in self.icbs or icb in self.icbs)

    def require_ward(self, ward: str, icb: str | None = None) -> None:
        if not self.may_see_ward(ward, icb):
            raise Forbidden(f"this token is not scoped to ward {ward}", slug="wrong-ward")

    def require_icb(self, icb: str) -> None:
        if not self.may_see_icb(icb):
            raise Forbidden(f"this token is not scoped to ICB {icb}", slug="wrong-icb")


def may_act_for_ward(principal: Principal, ward: object, icbs: Iterable[str | None] = ()) -> bool:
    """The one ward-scope rule of every service: the ward itself, or (clinicians) its ICB.

    `icbs` are the ward's ICB under each of its codes (ONS `E54…`, ODS `Q…`), as the ward's
    owner (ward_api) knows them; a token scoped to the ICB under either code covers the ward.
    Admins and services pass; commissioners and vendors never do. Patient data is further
    refused to admins by the routes' role policies, the same in every service.
    """
    ward_id = str(ward)
    if principal.may_see_ward(ward_id):
        return True
    return any(principal.may_see_ward(ward_id, icb) for icb in icbs if icb)


def require_ward_scope(principal: Principal, ward: object, icbs: Iterable[str | None] = ()) -> None:
    """403 `wrong-ward` unless `may_act_for_ward`."""
    if not may_act_for_ward(principal, ward, icbs):
        raise Forbidden(f"this token is not scoped to ward {ward}", slug="wrong-ward")


@dataclass(frozen=True, slots=True)
class TokenCodec:
    """Signs and verifies platform tokens with one shared key."""

    secret: str
    issuer: str = "vward"
    audience: str = "vward"
    leeway_seconds: int = 10

    def issue(
        self,
        *,
        subject: str,
        role: Role | str,
        icbs: Iterable[str] = (),
        wards: Iterable[str] = (),
        vendor: str | None = None,
        ttl_seconds: int = 3600,
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "iat": now,
            "nbf": now,
            "exp": now + ttl_seconds,
            "jti": uuid.uuid4().hex,
            "role": str(Role(role)),
            "icbs": sorted(icbs),
            "wards": sorted(wards),
        }
        if vendor:
            claims["vendor"] = vendor
        return jwt.encode(claims, self.secret, algorithm=ALGORITHM)

    def verify(self, token: str) -> Principal:
        """Decode and check signature, expiry, issuer and audience; 401 on any failure."""
        try:
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=[ALGORITHM],  # never trust the token's own alg (no `none`)
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_seconds,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("the token has expired", slug="token-expired") from exc
        except jwt.InvalidSignatureError as exc:
            raise Unauthorized("the token signature is invalid", slug="token-invalid") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"the token is not valid: {exc}", slug="token-invalid") from exc
        try:
            role = Role(str(claims.get("role")))
        except ValueError as exc:
            raise Unauthorized("the token carries no known role", slug="token-invalid") from exc
        icbs, wards, vendor = claims.get("icbs", []), claims.get("wards", []), claims.get("vendor")
        if not (_string_list(icbs) and _string_list(wards)) or not isinstance(vendor, str | None):
            raise Unauthorized("the token's scopes are malformed", slug="token-invalid")
        return Principal(
            subject=str(claims["sub"]),
            role=role,
            icbs=frozenset(icbs),
            wards=frozenset(wards),
            vendor=vendor,
            token_id=claims.get("jti"),
            expires_at=float(claims["exp"]),
        )


def _string_list(value: object) -> bool:
    """Scopes must be lists of strings: a bare string would be read letter by letter."""
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


_bearer = HTTPBearer(auto_error=False, description="A vward JWT (`vward token --help`).")
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="vward"'}


def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller's principal from the bearer token; 401 when absent or invalid."""
    if credentials is None:
        raise Unauthorized("a bearer token is required", slug="token-missing", headers=_CHALLENGE)
    codec: TokenCodec = request.app.state.token_codec
    try:
        principal = codec.verify(credentials.credentials)
    except Unauthorized as exc:
        exc.headers = _CHALLENGE
        raise
    request.state.principal = principal
    limiter = getattr(request.app.state, "rate_limiter", None)
    if limiter is not None:
        limiter.check(f"{principal.role}:{principal.vendor or principal.subject}")
    return principal


def allow(*roles: Role) -> Callable[..., Principal]:
    """Dependency admitting only the given roles (403 otherwise) and returning the principal."""
    admitted = frozenset(roles)

    def policy(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if principal.role not in admitted:
            raise Forbidden(
                f"role {principal.role} may not call this endpoint",
                slug="wrong-role",
                allowed_roles=sorted(admitted),
            )
        return principal

    setattr(policy, POLICY_ATTR, admitted)
    policy.__name__ = "allow_" + "_".join(sorted(admitted))
    return policy


def public() -> None:
    """Marks an endpoint open to anyone (health, readiness, metrics)."""


setattr(public, POLICY_ATTR, frozenset({"public"}))


def route_policy(route: APIRoute) -> frozenset[str] | None:
    """The roles a route admits, or None if it declared no policy."""
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        policy = getattr(dependant.call, POLICY_ATTR, None)
        if policy is not None:
            return frozenset(policy)
        stack.extend(dependant.dependencies)
    return None


def _uses_bearer(route: APIRoute) -> bool:
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        if dependant.call is authenticate:
            return True
        stack.extend(dependant.dependencies)
    return False


def refusal_before_body(request: Request) -> ProblemError | None:
    """The 401/403 a bearer-protected route owes a caller, judged without reading the body.

    FastAPI parses the body before running dependencies, so a refused caller sending broken
    JSON would otherwise learn about the body (400) instead of being refused (401/403).
    """
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not _uses_bearer(route):
        return None
    policy = route_policy(route)
    if not policy:
        return None
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return Unauthorized("a bearer token is required", slug="token-missing", headers=_CHALLENGE)
    try:
        principal = request.app.state.token_codec.verify(token.strip())
    except Unauthorized as exc:
        exc.headers = _CHALLENGE
        return exc
    if principal.role not in policy:
        return Forbidden(
            f"role {principal.role} may not call this endpoint",
            slug="wrong-role",
            allowed_roles=sorted(policy),
        )
    return None


def api_routes(app: FastAPI) -> list[APIRoute]:
    """Every API route of the app, through included routers, as FastAPI will serve it."""
    routes = []
    for context in iter_route_contexts(app.routes):
        effective = getattr(context, "_effective_route", context.original_route)
        route = effective if isinstance(effective, APIRoute) else context.original_route
        if isinstance(route, APIRoute):
            routes.append(route)
    return routes


def undeclared_routes(app: FastAPI) -> list[str]:
    """`METHOD path` of every API route that declares no access policy."""
    return [
        f"{method} {route.path}"
        for route in api_routes(app)
        if route_policy(route) is None
        for method in sorted(route.methods or ())
    ]

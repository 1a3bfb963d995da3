"""Scope checks shared by the features: ICB codes may be scoped by ONS (E54…) or ODS (Q…) code."""

from __future__ import annotations

from shared.auth import Principal, require_ward_scope
from shared.problems import Forbidden


def may_see_icb(principal: Principal, code: str, ods_code: str | None = None) -> bool:
    """True when the token covers the ICB under either of its codes."""
    return principal.may_see_icb(code) or (ods_code is not None and principal.may_see_icb(ods_code))


def require_icb(principal: Principal, code: str, ods_code: str | None = None) -> None:
    if not may_see_icb(principal, code, ods_code):
        raise Forbidden(f"this token is not scoped to ICB {code}", slug="wrong-icb")


def require_ward(principal: Principal, ward_id: object, icb_code: str, icb_ods: str) -> None:
    """403 `wrong-ward` unless the token covers the ward (or, for clinicians, its whole ICB)."""
    require_ward_scope(principal, ward_id, (icb_code, icb_ods))

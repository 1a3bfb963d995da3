"""Request dependencies of equity_audit: its settings, its ward_api client and area cache."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.equity_audit.audit.service import AreaCache
from services.equity_audit.clients.ward_api import WardApiClient
from services.equity_audit.settings import EquitySettings


def get_settings(request: Request) -> EquitySettings:
    return request.app.state.settings


def get_ward_api(request: Request) -> WardApiClient:
    return request.app.state.ward_api


def get_area_cache(request: Request) -> AreaCache:
    return request.app.state.area_cache


SettingsDep = Annotated[EquitySettings, Depends(get_settings)]
WardApiDep = Annotated[WardApiClient, Depends(get_ward_api)]
AreaCacheDep = Annotated[AreaCache, Depends(get_area_cache)]

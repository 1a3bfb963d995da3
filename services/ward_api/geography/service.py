"""ICBs with their sub-ICB locations and every population denominator on record."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy.ext.asyncio import AsyncSession

from services.ward_api.geography import repository
from services.ward_api.geography.models import Icb
from services.ward_api.geography.schemas import DenominatorOut, IcbDetail, IcbOut, SubIcbOut
from shared.problems import NotFound


async def get_icb_or_raise(session: AsyncSession, code: str) -> Icb:
    icb = await repository.get_icb(session, code)
    if icb is None:
        raise NotFound(f"no ICB with code {code}", slug="icb-not-found", code=code)
    return icb


async def list_icbs(session: AsyncSession) -> list[IcbOut]:
    icbs = await repository.list_icbs(session)
    by_area = defaultdict(list)
    for d in await repository.denominators(session, [i.code for i in icbs]):
        by_area[d.area_code].append(DenominatorOut.model_validate(d))
    return [
        IcbOut.model_validate(i).model_copy(update={"denominators": by_area[i.code]}) for i in icbs
    ]


async def icb_detail(session: AsyncSession, code: str) -> IcbDetail:
    icb = await get_icb_or_raise(session, code)
    subs = await repository.sub_icbs(session, icb.code)
    by_area = defaultdict(list)
    codes = [icb.code, *(s.code for s in subs)]
    for d in await repository.denominators(session, codes):
        by_area[d.area_code].append(DenominatorOut.model_validate(d))
    return IcbDetail(
        code=icb.code,
        ods_code=icb.ods_code,
        name=icb.name,
        region=icb.region,
        denominators=by_area[icb.code],
        sub_icbs=[
            SubIcbOut(code=s.code, ods_code=s.ods_code, denominators=by_area[s.code]) for s in subs
        ],
    )

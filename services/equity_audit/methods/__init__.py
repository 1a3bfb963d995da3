"""Public-health statistics for the equity audit, matching OHID's PHEindicatormethods.

Pure functions over numbers: no I/O. Every bad input raises MethodInputError:

    ValueError
    └── MethodInputError(item_index, field, reason)
"""

from services.equity_audit.methods.core20 import (
    Core20Result,
    core20_share,
    core20_share_by_decile,
    is_core20,
)
from services.equity_audit.methods.dsr import DsrResult, directly_standardised_rate
from services.equity_audit.methods.errors import MethodInputError
from services.equity_audit.methods.esp2013 import AGE_BANDS, ESP2013
from services.equity_audit.methods.funnels import (
    FunnelLimit,
    FunnelPoint,
    FunnelSignificance,
    FunnelUnit,
    classify_units,
    funnel_limits,
)
from services.equity_audit.methods.intervals import ConfidenceLimits
from services.equity_audit.methods.proportions import ProportionResult, proportion
from services.equity_audit.methods.rate_ratio import RateRatioResult, rate_ratio
from services.equity_audit.methods.rates import RateResult, rate
from services.equity_audit.methods.sii import QuantileValue, SiiResult, slope_index_of_inequality

__all__ = [
    "AGE_BANDS",
    "ESP2013",
    "ConfidenceLimits",
    "Core20Result",
    "DsrResult",
    "FunnelLimit",
    "FunnelPoint",
    "FunnelSignificance",
    "FunnelUnit",
    "MethodInputError",
    "ProportionResult",
    "QuantileValue",
    "RateRatioResult",
    "RateResult",
    "SiiResult",
    "classify_units",
    "core20_share",
    "core20_share_by_decile",
    "directly_standardised_rate",
    "funnel_limits",
    "is_core20",
    "proportion",
    "rate",
    "rate_ratio",
    "slope_index_of_inequality",
]

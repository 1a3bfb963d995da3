"""A differencing attacker for the whole audit release: every scope, every cut, at once.

The attacker reads what an audit publishes (the JSON `build_audit` returns) for England and
every ICB, for every cut, and knows the geography (which LSOA lies in which sub-ICB, ICB,
IMD decile, digital-exclusion and housing quintile), as any reader of the reference data
does. It writes what it knows as linear constraints over unknowns no table publishes:

* an *area atom* per combination (ICB, sub-ICB, IMD decile, digital quintile, housing
  quintile) that exists in the geography, and one per ward ICB for admissions without a known
  LSOA (plus one for those without an ICB); every area figure is the sum of its atoms;
* for a person cut, one unknown per (ICB, group), summing to the ICB's atoms (a reader
  knows that every cut partitions the same admissions); for own device and broadband, one
  per (ICB, IMD quintile, yes / no / not recorded), which links the person cut to the
  digital-access table and to the quintile counts;
* a published count v means the true count is one that rounds to v and is not small
  (v - 2 .. v + 2 for base 5, and 0 exactly for 0); a hidden count is only known to be >= 0;
  a group a scope does not list has no admissions there.

Protection rule (the one the release must meet): for every count hidden because it is small
(true value 1..threshold, or 0 when zeros are hidden), the smallest and largest values the
attacker's linear programme allows (scipy `linprog`, HiGHS, over the reals, so a sound
over-approximation of what an integer attacker learns) must still span the whole
suppression band: min <= 1 (0 when zeros are hidden) and max >= threshold. A reader then
learns no more about it than the `*` itself says.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix, hstack, identity, vstack

from services.equity_audit.audit.frame import AREA_CUTS, Areas, Uptake
from services.equity_audit.domain.disclosure import DEFAULT_POLICY, DisclosurePolicy

MEASURES = (
    "admissions",
    "discharged",
    "escalated",
    "stays_over_14_days",
    "readings_expected",
    "readings_received",
)
DIGITAL = ("own_device", "broadband")
_OD = ("yes", "no", "unknown")
NO_ICB = ""


@dataclass
class Model:
    """Unknowns (with their true values) and constraints for one measure."""

    truth: list[float] = field(default_factory=list)
    index: dict[tuple, int] = field(default_factory=dict)
    eq: list[tuple[tuple[int, ...], tuple[int, ...]]] = field(default_factory=list)
    cells: dict[tuple[int, ...], list[tuple[int | None, str]]] = field(default_factory=dict)

    def var(self, key: tuple, true: float) -> int:
        if key not in self.index:
            self.index[key] = len(self.truth)
            self.truth.append(true)
        return self.index[key]

    def publish(self, expr: Iterable[int], value: int | None, where: str) -> None:
        self.cells.setdefault(tuple(sorted(expr)), []).append((value, where))


@dataclass(frozen=True)
class Finding:
    where: str
    true: int
    low: float
    high: float


def _atoms(areas: Areas) -> tuple[np.ndarray, list[tuple]]:
    keys = list(
        zip(
            areas.icb.tolist(),
            areas.sub_icb.tolist(),
            areas.imd_decile.tolist(),
            areas.digital_quintile.tolist(),
            areas.housing_quintile.tolist(),
            strict=True,
        )
    )
    unique = sorted(set(keys))
    lookup = {k: i for i, k in enumerate(unique)}
    return np.array([lookup[k] for k in keys]), unique


class Attacker:
    """Builds one model per measure from published audits and attacks every hidden count."""

    def __init__(
        self,
        areas: Areas,
        uptakes: dict[str, Uptake],
        policy: DisclosurePolicy = DEFAULT_POLICY,
    ) -> None:
        self.areas, self.uptakes, self.policy = areas, uptakes, policy
        self.atom_of_area, self.atoms = _atoms(areas)
        self.icbs = sorted(areas.icb_names)
        columns = list(zip(*self.atoms, strict=True))
        self.atom_icb, self.atom_sub = np.array(columns[0]), np.array(columns[1])
        self.atom_dec, self.atom_dq, self.atom_hq = (np.array(c) for c in columns[2:])
        self._exprs: dict[tuple, list[int]] = {}
        self.models = {m: Model() for m in MEASURES}
        base = next(iter(uptakes.values()))
        known = base.area >= 0
        for measure, model in self.models.items():
            values = getattr(base, measure)
            true = np.bincount(
                self.atom_of_area[base.area[known]],
                weights=values[known],
                minlength=len(self.atoms),
            )
            for i, key in enumerate(self.atoms):
                model.var(("atom", key), float(true[i]))
            for ward in [*self.icbs, NO_ICB]:
                mask = ~known & (base.icb == ward)
                model.var(("unk", ward), float(values[mask].sum()))
        self._digital()

    # --- expressions ------------------------------------------------------------------------

    def _scope_icbs(self, scope: str | None) -> list[str]:
        return [*self.icbs, NO_ICB] if scope is None else [scope]

    def area_expr(self, model: Model, scope: str | None, cut: str, group: str) -> list[int]:
        """Atoms (whose unknowns come first, in the same order in every model) of a cell."""
        key = (scope, cut, group)
        if key not in self._exprs:
            icbs = self._scope_icbs(scope)
            out = [model.index[("unk", w)] for w in icbs if group in ("unknown", "total")]
            mask = np.isin(self.atom_icb, icbs)
            if group != "total":
                mask &= _in_group(cut, group, self)
            self._exprs[key] = [*np.flatnonzero(mask).tolist(), *out]
        return self._exprs[key]

    def icb_atoms(self, model: Model, icb: str) -> list[int]:
        return self.area_expr(model, icb, "icb", "total")

    def _digital(self) -> None:
        """(ICB, IMD quintile, yes/no/unknown) unknowns for own device and broadband."""
        model = self.models["admissions"]
        base = next(iter(self.uptakes.values()))
        known = base.area >= 0
        quintile = (self.areas.imd_decile + 1) // 2
        for name in DIGITAL:
            yes, no = getattr(base, f"{name}_yes"), getattr(base, f"{name}_no")
            parts = {"yes": yes, "no": no, "unknown": base.admissions - yes - no}
            for icb in [*self.icbs, NO_ICB]:
                for q in range(1, 6):
                    area_rows = known.copy()
                    area_rows[known] = (self.areas.icb[base.area[known]] == icb) & (
                        quintile[base.area[known]] == q
                    )
                    keys = [
                        model.var((name, icb, q, od), float(parts[od][area_rows].sum()))
                        for od in _OD
                    ]
                    atoms = np.flatnonzero(
                        (self.atom_icb == icb) & ((self.atom_dec + 1) // 2 == q)
                    ).tolist()
                    model.eq.append((tuple(keys), tuple(atoms)))
                rows = ~known & (base.icb == icb)
                keys = [model.var((name, icb, 0, od), float(parts[od][rows].sum())) for od in _OD]
                model.eq.append((tuple(keys), (model.index[("unk", icb)],)))

    def person_expr(
        self, model: Model, measure: str, cut: str, scope: str | None, group: str
    ) -> list[int]:
        out: list[int] = []
        for icb in self._scope_icbs(scope):
            if measure == "admissions" and cut in DIGITAL:
                if group == "total":
                    out += self.icb_atoms(model, icb)
                else:
                    out += [model.index[(cut, icb, q, group)] for q in range(6)]
                continue
            if group == "total":
                out += self.icb_atoms(model, icb)
                continue
            key = ("person", cut, icb, group)
            if key not in model.index:
                uptake = self.uptakes[cut]
                rows = _icb_rows(self.areas, uptake, icb) & (uptake.person == group)
                if icb != NO_ICB and not rows.any():
                    continue  # the ICB's own audit does not list the group: none there
                model.var(key, float(getattr(uptake, measure)[rows].sum()))
            out.append(model.index[key])
        return out

    def close_person_cuts(self) -> None:
        """Each ICB's person groups of a cut add up to its admissions."""
        for measure, model in self.models.items():
            cuts = {k[1] for k in model.index if k[0] == "person"}
            for cut in cuts:
                uptake = self.uptakes[cut]
                for icb in [*self.icbs, NO_ICB]:
                    rows = _icb_rows(self.areas, uptake, icb)
                    for group in set(uptake.person[rows].tolist()):
                        key = ("person", cut, icb, group)
                        if key not in model.index:
                            # A group no scope lists for this ICB (only England sees it).
                            model.var(
                                key,
                                float(
                                    getattr(uptake, measure)[rows & (uptake.person == group)].sum()
                                ),
                            )
                    groups = tuple(
                        model.index[("person", cut, icb, g)]
                        for g in set(uptake.person[rows].tolist())
                    )
                    model.eq.append((groups, tuple(self.icb_atoms(model, icb))))

    # --- reading published audits -----------------------------------------------------------

    def read(self, audit: dict[str, Any], scope: str | None) -> None:
        cut = audit["cut"]
        where = f"{scope or 'England'}/{cut}"
        for measure, model in self.models.items():
            listed = set()
            for row in [*audit["groups"], audit["total"]]:
                group = row["group"]
                listed.add(group)
                if cut in AREA_CUTS:
                    expr = self.area_expr(model, scope, cut, group)
                else:
                    expr = self.person_expr(model, measure, cut, scope, group)
                model.publish(expr, row[measure], f"{where}/{group}/{measure}")
            if cut in AREA_CUTS:
                for group in _area_groups(self.areas, cut, scope) - listed:
                    model.publish(
                        self.area_expr(model, scope, cut, group), 0, f"{where}/{group}:absent"
                    )
                if "unknown" not in listed:
                    expr = self.area_expr(model, scope, cut, "unknown")
                    model.publish(expr, 0, f"{where}/unknown:absent")
        model = self.models["admissions"]
        for row in audit["inequality"]["imd_quintile_rates"]:
            expr = self.area_expr(model, scope, "imd_quintile", row["group"])
            model.publish(expr, row["admissions"], f"{where}/quintile_rates/{row['group']}")
        for name in DIGITAL:
            for row in [*audit["digital_access"]["rows"], audit["digital_access"]["total"]]:
                qs = range(1, 6) if row["group"] == "total" else [int(row["group"])]
                icbs = self._scope_icbs(scope)
                yes = [model.index[(name, i, q, "yes")] for i in icbs for q in qs]
                no = [model.index[(name, i, q, "no")] for i in icbs for q in qs]
                model.publish(yes, row[name], f"{where}/digital/{row['group']}/{name}")
                model.publish(
                    yes + no,
                    row[f"{name}_recorded"],
                    f"{where}/digital/{row['group']}/{name}_recorded",
                )
        share = _need_share(self.areas)
        for point in audit["need"]["points"]:
            icb = point["icb_code"]
            known = self.area_expr(model, icb, "icb", icb)
            core = self.area_expr(model, icb, "core20", "core20")
            model.publish(core, point["observed_core20_admissions"], f"need/{icb}/observed")
            total = point["expected_core20_admissions"] / share[icb]
            model.publish(
                known,
                round(total / self.policy.rounding_base) * self.policy.rounding_base,
                f"need/{icb}/total",
            )

    # --- checks ----------------------------------------------------------------------------

    def inconsistencies(self) -> list[str]:
        """Same population shown in one place and hidden (or shown differently) in another."""
        out = []
        for model in self.models.values():
            for places in model.cells.values():
                if len({v for v, _ in places}) > 1:
                    out.append("; ".join(f"{w}={v}" for v, w in places[:4]))
        return out

    def wrong_values(self) -> list[str]:
        """Published values that are not the true count rounded (a model or release error)."""
        out = []
        for model in self.models.values():
            truth = np.array(model.truth)
            for expr, places in model.cells.items():
                true = round(float(truth[list(expr)].sum()))
                for value, where in places:
                    if value is not None and value != self.policy.round_count(true):
                        out.append(f"{where}: published {value}, true {true}")
        return out

    def attack(self, measures: Sequence[str] = MEASURES) -> list[Finding]:
        findings = []
        for measure in measures:
            findings += self._attack(self.models[measure], measure)
        return findings

    def _attack(self, model: Model, measure: str) -> list[Finding]:
        n = len(model.truth)
        truth = np.array(model.truth)
        rows, cols, data, lo, hi = [], [], [], [], []
        targets = []
        for expr, places in model.cells.items():
            value = places[0][0]
            true = round(float(truth[list(expr)].sum()))
            if value is None:
                if self.policy.is_small(true):
                    targets.append((expr, true, places[0][1]))
                continue
            r = len(lo)
            rows += [r] * len(expr)
            cols += list(expr)
            data += [1.0] * len(expr)
            low, high = self._interval(value)
            lo.append(low)
            hi.append(high)
        eq_rows, eq_cols, eq_data = [], [], []
        for r, (left, right) in enumerate(model.eq):
            for c in left:
                eq_rows.append(r), eq_cols.append(c), eq_data.append(1.0)
            for c in right:
                eq_rows.append(r), eq_cols.append(c), eq_data.append(-1.0)
        a_ub = csr_matrix(
            (data + [-d for d in data], (rows + [r + len(lo) for r in rows], cols + cols)),
            shape=(2 * len(lo), n),
        )
        b_ub = np.array(hi + [-v for v in lo])
        a_eq = csr_matrix((eq_data, (eq_rows, eq_cols)), shape=(max(len(model.eq), 1), n))
        b_eq = np.zeros(max(len(model.eq), 1))
        band_low = 1.0 if self.policy.show_zero else 0.0
        band_high = float(self.policy.threshold)
        if not targets:
            return []
        # Certify many targets at once (a feasible point where each reaches the band's end),
        # then attack the rest one by one: the same answers as one LP per target, faster.
        m = len(targets)
        pick_rows = [k for k, (expr, _, _) in enumerate(targets) for _ in expr]
        pick_cols = [c for expr, _, _ in targets for c in expr]
        pick = csr_matrix(([1.0] * len(pick_cols), (pick_rows, pick_cols)), shape=(m, n))
        eye = identity(m, format="csr")
        a_eq_all = hstack([a_eq, csr_matrix((a_eq.shape[0], m))]).tocsr()
        a_ub_base = hstack([a_ub, csr_matrix((a_ub.shape[0], m))]).tocsr()

        def joint(maximise: bool, open_: list[int]) -> np.ndarray:
            sign = 1.0 if maximise else -1.0
            a = vstack([a_ub_base, hstack([-sign * pick, sign * eye])]).tocsr()
            b = np.concatenate([b_ub, np.full(m, 0.0 if maximise else band_low)])
            weight = np.zeros(m)
            weight[open_] = 1.0
            cost = np.concatenate([np.zeros(n), -weight if maximise else weight])
            extra = [(None, band_high)] * m if maximise else [(0.0, None)] * m
            result = linprog(
                cost, A_ub=a, b_ub=b, A_eq=a_eq_all, b_eq=b_eq,
                bounds=[(0, None)] * n + extra, method="highs",
            )  # fmt: skip
            assert result.status == 0, f"attacker model infeasible ({result.message})"
            return pick @ result.x[:n]

        def reaches(value: float, maximise: bool) -> bool:
            return value >= band_high - 1e-6 if maximise else value <= band_low + 1e-6

        narrowed: dict[int, list[float]] = {}
        for maximise in (True, False):
            remaining = list(range(m))
            while remaining:
                sums = joint(maximise, remaining)
                left = [k for k in remaining if not reaches(sums[k], maximise)]
                if len(left) == len(remaining):
                    break
                remaining = left
            for k in remaining:
                objective = np.zeros(n)
                objective[list(targets[k][0])] = -1.0 if maximise else 1.0
                result = linprog(
                    objective, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, method="highs"
                )
                if result.status == 3:
                    continue  # unbounded above
                best = -result.fun if maximise else result.fun
                if not reaches(best, maximise):
                    narrowed.setdefault(k, [band_low, band_high])[0 if not maximise else 1] = best
        return [
            Finding(targets[k][2], targets[k][1], round(lo, 3), round(hi, 3))
            for k, (lo, hi) in sorted(narrowed.items())
        ]

    def _interval(self, value: int) -> tuple[float, float]:
        if value == 0:
            return 0.0, 0.0
        half = self.policy.rounding_base // 2
        return float(max(value - half, self.policy.threshold + 1)), float(value + half)


def _in_group(cut: str, group: str, a: Attacker) -> np.ndarray:
    """Which atoms a group of an area cut holds (before restricting to the scope)."""
    dec = a.atom_dec
    if cut in ("imd_quintile", "imd_decile"):
        if group == "unknown":
            return np.zeros(dec.size, bool)
        return ((dec + 1) // 2 if cut == "imd_quintile" else dec) == int(group)
    if cut == "core20":
        return dec <= 2 if group == "core20" else dec > 2 if group == "other" else dec < 0
    if cut in ("digital_exclusion_quintile", "housing_quintile"):
        q = a.atom_dq if cut == "digital_exclusion_quintile" else a.atom_hq
        return q == (0 if group == "unknown" else int(group))
    if cut == "icb":
        return a.atom_icb == group
    if cut == "sub_icb":
        return a.atom_sub == group
    raise AssertionError(cut)


def _area_groups(areas: Areas, cut: str, scope: str | None) -> set[str]:
    mask = np.ones(len(areas), bool) if scope is None else areas.icb == scope
    if cut == "icb":
        return set(areas.icb[mask].tolist())
    if cut == "sub_icb":
        return set(areas.sub_icb[mask].tolist())
    return set()


def _icb_rows(areas: Areas, uptake: Uptake, icb: str) -> np.ndarray:
    known = uptake.area >= 0
    resident = np.zeros(len(uptake), bool)
    resident[known] = areas.icb[uptake.area[known]] == icb
    return resident | (~known & (uptake.icb == icb))


def _need_share(areas: Areas) -> dict[str, float]:
    weight = areas.population * areas.imd_score
    out = {}
    for icb in areas.icb_names:
        mask = areas.icb == icb
        total = weight[mask].sum()
        out[icb] = float(weight[mask & areas.core20].sum() / total) if total else 0.0
    return out

"""Inline SVG charts for the HTML report: no JavaScript, no external assets."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 320
LEFT, RIGHT, TOP, BOTTOM = 70, 20, 20, 60


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def rate_chart(rates: Sequence[dict[str, Any]], sii: dict[str, Any], *, title: str) -> Markup:
    """Bars of crude rates by IMD quintile with 95% error bars and the fitted SII line."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    tops = [r.get("crude_rate_upper_95") or r.get("crude_rate_per_100k") or 0 for r in rates]
    y_max = _nice_max(max(tops, default=0) * 1.1)

    def y(v: float) -> float:
        return TOP + plot_h * (1 - v / y_max)

    n = max(len(rates), 1)
    slot = plot_w / n
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}"'
        f' viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}"'
        ' stroke="#333"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#333"/>',
    ]
    for k in range(5):
        value = y_max * k / 4
        parts.append(
            f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" font-size="11" text-anchor="end">'
            f"{value:g}</text>"
            f'<line x1="{LEFT}" y1="{y(value):.1f}" x2="{LEFT + plot_w}" y2="{y(value):.1f}"'
            ' stroke="#ddd"/>'
        )
    for i, r in enumerate(rates):
        cx = LEFT + slot * (i + 0.5)
        label = escape(str(r["label"]))
        parts.append(
            f'<text x="{cx:.1f}" y="{TOP + plot_h + 16}" font-size="11" text-anchor="middle">'
            f"{label}</text>"
        )
        rate = r.get("crude_rate_per_100k")
        if rate is None:
            parts.append(
                f'<text x="{cx:.1f}" y="{TOP + plot_h - 6}" font-size="14"'
                ' text-anchor="middle">*</text>'
            )
            continue
        parts.append(
            f'<rect x="{cx - slot * 0.3:.1f}" y="{y(rate):.1f}" width="{slot * 0.6:.1f}"'
            f' height="{TOP + plot_h - y(rate):.1f}" fill="#005eb8"/>'
        )
        low, high = r.get("crude_rate_lower_95"), r.get("crude_rate_upper_95")
        if low is not None and high is not None:
            parts.append(
                f'<line x1="{cx:.1f}" y1="{y(low):.1f}" x2="{cx:.1f}" y2="{y(high):.1f}"'
                ' stroke="#212b32" stroke-width="2"/>'
                f'<line x1="{cx - 6:.1f}" y1="{y(low):.1f}" x2="{cx + 6:.1f}" y2="{y(low):.1f}"'
                ' stroke="#212b32" stroke-width="2"/>'
                f'<line x1="{cx - 6:.1f}" y1="{y(high):.1f}" x2="{cx + 6:.1f}"'
                f' y2="{y(high):.1f}" stroke="#212b32" stroke-width="2"/>'
            )
    line = sii.get("fitted_line") if sii.get("available") else None
    if line and len(sii.get("quantile_rank", [])) == len(rates):

        def fitted(x: float) -> float:
            level = line["intercept"] + line["slope"] * x
            return math.exp(level) if line.get("scale") == "log" else max(0.0, level)

        points = " ".join(
            f"{LEFT + slot * (i + 0.5):.1f},{y(fitted(x)):.1f}"
            for i, x in enumerate(sii["quantile_rank"])
        )
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="#d5281b" stroke-width="2"'
            ' stroke-dasharray="6 4"/>'
        )
    parts.append(
        f'<text x="14" y="{TOP + plot_h / 2:.1f}" font-size="11" text-anchor="middle"'
        f' transform="rotate(-90 14 {TOP + plot_h / 2:.1f})">admissions per 100,000</text>'
        f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 12}" font-size="11"'
        ' text-anchor="middle">IMD 2019 quintile (bars: crude rate, whiskers: 95% CI,'
        " dashed: SII line)</text></svg>"
    )
    return Markup("".join(parts))  # noqa: S704 - every interpolated text is escaped above


def funnel_chart(need: dict[str, Any], *, title: str) -> Markup:
    """O/E of Core20 admissions against expected, with 95% and 99.8% limits around 1."""
    points, limits = need.get("points", []), need.get("limits", [])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}"'
        f' viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
    ]
    if not points or not limits:
        parts.append(
            f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" font-size="13">'
            "Not enough published data for a funnel plot</text></svg>"
        )
        return Markup("".join(parts))  # noqa: S704
    x_min = math.log10(limits[0]["expected"])
    x_max = math.log10(limits[-1]["expected"])
    ratios = [p["ratio"] for p in points] + [lim["upper_95"] for lim in limits[len(limits) // 4 :]]
    y_max = max(2.0, min(max(ratios) * 1.1, 5.0))

    def x(e: float) -> float:
        return LEFT + plot_w * (math.log10(e) - x_min) / max(x_max - x_min, 1e-9)

    def y(v: float) -> float:
        return TOP + plot_h * (1 - min(v, y_max) / y_max)

    parts += [
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}"'
        ' stroke="#333"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#333"/>',
        f'<line x1="{LEFT}" y1="{y(1):.1f}" x2="{LEFT + plot_w}" y2="{y(1):.1f}"'
        ' stroke="#333" stroke-dasharray="2 2"/>',
    ]
    for k in range(5):
        value = y_max * k / 4
        parts.append(
            f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" font-size="11" text-anchor="end">'
            f"{value:.2g}</text>"
        )
    for key, colour in (("95", "#ffb81c"), ("99_8", "#d5281b")):
        for side in ("lower", "upper"):
            path = " ".join(
                f"{x(lim['expected']):.1f},{y(lim[f'{side}_{key}']):.1f}" for lim in limits
            )
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}"/>')
    for p in points:
        colour = (
            "#d5281b"
            if p["flag"] == "below_need"
            else ("#ffb81c" if p["flag"] == "watch" else "#005eb8")
        )
        radius = 6 if p["in_scope"] else 4
        parts.append(
            f'<circle cx="{x(p["expected_core20_admissions"]):.1f}" cy="{y(p["ratio"]):.1f}"'
            f' r="{radius}" fill="{colour}" stroke="#000"'
            f' stroke-width="{1 if p["in_scope"] else 0}">'
            f"<title>{escape(p['icb_ods_code'])} {escape(p['icb_name'])}: O/E {p['ratio']}"
            "</title></circle>"
        )
    parts.append(
        f'<text x="14" y="{TOP + plot_h / 2:.1f}" font-size="11" text-anchor="middle"'
        f' transform="rotate(-90 14 {TOP + plot_h / 2:.1f})">observed / expected</text>'
        f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 12}" font-size="11"'
        ' text-anchor="middle">expected Core20 admissions (log scale); lines: 95% and 99.8%'
        " limits</text></svg>"
    )
    return Markup("".join(parts))  # noqa: S704

# ruff: noqa: E501 - the template keeps its HTML lines whole
"""The self-contained HTML audit report: server-side, inline SVG and CSS, no scripts."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, select_autoescape

from services.equity_audit.audit.csv_out import COLUMNS, cell_text
from services.equity_audit.audit.svg import funnel_chart, rate_chart

_ENV = Environment(autoescape=select_autoescape(default=True, default_for_string=True))

_TEMPLATE = _ENV.from_string(
    """<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>{{ a.title }}</title>
<style>
body { font-family: Arial, Helvetica, sans-serif; color: #212b32; margin: 24px; max-width: 1100px; }
h1 { color: #005eb8; } h2 { border-bottom: 2px solid #005eb8; padding-bottom: 4px; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0 16px; }
th, td { border: 1px solid #aeb7bd; padding: 4px 6px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.banner { background: #d5281b; color: #fff; padding: 10px; font-weight: bold; }
.stale { background: #ffb81c; padding: 8px; }
.small { font-size: 12px; color: #4c6272; }
</style>
</head>
<body>
{% if a.synthetic %}<p class="banner" id="synthetic">SYNTHETIC reference data: the areas in this report were made up for demonstration and testing. Do not use it for decisions.</p>{% endif %}
<h1>{{ a.title }}</h1>
<p>Cut: <strong>{{ a.cut }}</strong>. Period: {{ a.period.from_month or "–" }} to {{ a.period.to_month or "–" }}. Generated {{ a.generated_at }}.</p>
<p class="{{ 'stale' if a.snapshot.stale else 'small' }}">Uptake snapshot taken {{ a.snapshot.taken_at }} ({{ a.snapshot.age_seconds }} seconds old){% if a.snapshot.stale %}: ward_api could not be reached, so this is the last snapshot{% endif %}.</p>

<h2 id="rates">Admission rates by IMD quintile</h2>
{{ rate_svg }}
{% set s = a.inequality.imd_quintile %}
{% if s.available %}
<p>Slope index of inequality: <strong>{{ s.sii }}</strong> per 100,000 (95% CI {{ s.sii_lower_95 }} to {{ s.sii_upper_95 }}).</p>
{% if s.rii is not none and s.rii_most_over_least_deprived is not none %}<p id="rii">Relative index of inequality, most deprived over least deprived: <strong>{{ s.rii_most_over_least_deprived }}</strong> (95% CI {{ s.rii_most_over_least_deprived_lower_95 }} to {{ s.rii_most_over_least_deprived_upper_95 }}); as PHEindicatormethods reports it (least deprived over most deprived): {{ s.rii }} (95% CI {{ s.rii_lower_95 }} to {{ s.rii_upper_95 }}).</p>
{% else %}<p id="rii">Relative index of inequality not given: {{ s.rii_reason }}.</p>{% endif %}
{% else %}<p>SII not available: {{ s.reason }}.</p>{% endif %}
{% set rr = a.inequality.rate_ratio_most_vs_least_deprived %}
<p>Rate ratio, most vs least deprived quintile: {% if rr.available %}<strong>{{ rr.rate_ratio }}</strong> (95% CI {{ rr.lower_95 }} to {{ rr.upper_95 }}, {{ rr.method }}){% else %}not available ({{ rr.reason }}){% endif %}.</p>

<h2 id="core20">Core20 share</h2>
{% set c = a.inequality.core20 %}
{% if c.available %}
<p>{{ c.admission_share_pct }}% of admissions (95% CI {{ c.admission_share_lower_95 }}–{{ c.admission_share_upper_95 }}%) came from Core20 areas, which hold {{ c.population_share_pct }}% of the population: a ratio of {{ c.share_ratio }} (1 = proportionate).</p>
{% else %}<p>Core20 share not available: {{ c.reason }}.</p>{% endif %}

<h2 id="digital">Digital access by IMD quintile</h2>
{% set d = a.digital_access %}
<table>
<thead><tr><th>IMD quintile</th><th>Own device recorded</th><th>With own device</th><th>Own device %</th><th>Broadband recorded</th><th>With broadband</th><th>Broadband %</th></tr></thead>
<tbody>
{% for row in digital_rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>
{% endfor %}
</tbody>
</table>
<p class="small">Admissions of patients recorded with their own device or broadband at home, as a share of admissions with it recorded, by IMD quintile of residence: where digital exclusion shows. * = hidden by disclosure control.</p>

<h2 id="groups">Outcomes by {{ a.cut }}</h2>
<table>
<thead><tr>{% for h in headings %}<th>{{ h }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>
{% endfor %}
</tbody>
</table>
<p class="small">* = hidden by disclosure control ({{ a.disclosure.rule }}).</p>

<h2 id="funnel">ICBs: Core20 uptake against need</h2>
{{ funnel_svg }}
<p class="small" id="need-rule">{{ a.need_rule }}</p>
{% if a.need.flagged %}<p>Below need (99.8% limit): {{ a.need.flagged | join(", ") }}.</p>{% else %}<p>No ICB falls below the 99.8% limit.</p>{% endif %}
{% if a.need.watch %}<p>Below the 95% limit only: {{ a.need.watch | join(", ") }}.</p>{% endif %}

<h2 id="inclusion">What inclusion would cost here</h2>
{% set i = a.inclusion %}
{% if i and i.available %}
<p>For every {{ i.beds }} new beds: {{ i.expected_admissions }} admissions a year ({{ i.expected_working }}). Beds cost £{{ i.beds_cost_gbp }}; what their patients need to be included costs £{{ i.inclusion_cost_gbp }} more (£{{ i.inclusion_cost_lower_gbp }}–£{{ i.inclusion_cost_upper_gbp }}), £{{ i.inclusion_cost_per_bed_gbp }} a bed.</p>
<table>
<thead><tr><th>Need</th><th>Share of admissions</th><th>95% limits</th><th>Admissions</th><th>Cost £</th><th>Source</th></tr></thead>
<tbody>{% for n in i.needs %}<tr><td>{{ n.need | replace("_", " ") }}</td><td>{{ n.share }}</td><td>{{ n.share_lower }}–{{ n.share_upper }}</td><td>{{ n.admissions }}</td><td>{{ n.cost_gbp }}</td><td>{{ n.source }}</td></tr>{% endfor %}</tbody>
</table>
<p>Core20 share of the population {{ i.core20.population_share }}; of expected admissions without inclusion {{ i.core20.admissions_share_without_inclusion }}, with it {{ i.core20.admissions_share_with_inclusion }}. Voluntary-sector hours needed a week: {{ i.voluntary.hours_needed_per_week }}; recorded partners offer {{ i.voluntary.partner_hours_per_week }}.</p>
<p class="small">{{ i.attribution }}</p>
{% elif i %}<p>Not available: {{ i.reason }}.</p>{% endif %}

<h2 id="data">Data, vintages and caveats</h2>
<table>
<thead><tr><th>Dataset</th><th>Vintage</th><th>Publisher</th><th>Licence</th></tr></thead>
<tbody>{% for d in a.datasets %}<tr><td>{{ d.name }}</td><td>{{ d.vintage }}</td><td>{{ d.publisher }}</td><td>{{ d.licence }}</td></tr>{% endfor %}</tbody>
</table>
<ul>{% for c in a.caveats %}<li>{{ c }}</li>{% endfor %}</ul>
<h2 id="attribution">Attribution</h2>
{% for t in a.attribution %}<p class="small">{{ t }}</p>{% endfor %}
</body>
</html>
"""
)

_HEADINGS = {
    "label": "Group",
    "population": "Population",
    "admissions": "Admissions",
    "crude_rate_per_100k": "Rate per 100,000",
    "crude_rate_lower_95": "95% lower",
    "crude_rate_upper_95": "95% upper",
    "mean_length_of_stay_days": "Mean stay (days)",
    "escalation_pct": "Escalated to hospital %",
    "monitoring_completeness_pct": "Monitoring completeness %",
}


_DIGITAL_COLUMNS = (
    "label", "own_device_recorded", "own_device", "own_device_pct",
    "broadband_recorded", "broadband", "broadband_pct",
)  # fmt: skip


def render_html(audit: dict[str, Any]) -> str:
    columns = [c for c in COLUMNS if c in _HEADINGS]
    symbol = audit["disclosure"]["symbol"]
    rows = [[cell_text(r, c, symbol) for c in columns] for r in [*audit["groups"], audit["total"]]]
    digital = audit["digital_access"]
    digital_rows = [
        [cell_text(r, c, symbol) for c in _DIGITAL_COLUMNS]
        for r in [*digital["rows"], digital["total"]]
    ]
    return _TEMPLATE.render(
        a=audit,
        headings=[_HEADINGS[c] for c in columns],
        rows=rows,
        digital_rows=digital_rows,
        rate_svg=rate_chart(
            audit["inequality"]["imd_quintile_rates"],
            audit["inequality"]["imd_quintile"],
            title="Admissions per 100,000 by IMD quintile",
        ),
        funnel_svg=funnel_chart(audit["need"], title="Core20 admissions: observed / expected"),
    )

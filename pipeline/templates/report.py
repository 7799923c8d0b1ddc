"""The report's HTML (rendered with autoescaping on) and Markdown templates.

Both receive ``report`` (a :class:`pipeline.report.Report`); the HTML also gets
``review_url``.  Every number is rendered from a ``Cell``: a link in the HTML, the
number and its filter's name in the Markdown.
"""

from __future__ import annotations

HTML_TEMPLATE = """\
{%- macro num(cell, text) -%}
<a class="num" href="{{ cell.url(review_url) }}" title="{{ cell.filter_name }}"
data-n="{{ cell.count }}" data-unit="{{ cell.unit }}">{{ text }}</a>
{%- endmacro -%}
{%- macro table(breakdown) -%}
<table>
  <thead><tr><th scope="col">{{ breakdown.title }}</th><th scope="col">trainings</th>
  <th scope="col">share</th></tr></thead>
  <tbody>
  {% for cell in breakdown.cells %}
    <tr><td>{{ cell.label }}</td><td class="n">{{ num(cell, cell.count) }}</td>
    <td class="n">{{ num(cell, cell.share ~ " %") }}</td></tr>
  {% endfor %}
  </tbody>
</table>
{%- endmacro -%}
{%- macro flow_row(cell, indent=0) -%}
<tr{% if indent %} class="sub{{ indent }}"{% endif %}><td>{{ cell.label }}</td>
<td class="n">{{ num(cell, cell.count) }}</td></tr>
{%- endmacro -%}
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy"
      content="default-src 'none'; img-src data: 'self'; style-src 'unsafe-inline'">
<link rel="icon" href="data:,">
<title>offermap report: {{ report.total.count }} accepted trainings</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto;
         padding: 0 1rem; color: #1d1d1f; line-height: 1.45; }
  h1 { font-size: 1.6rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #ddd; }
  table { border-collapse: collapse; margin: .6rem 0 1rem; min-width: 24rem; }
  th, td { text-align: left; padding: .2rem .8rem .2rem 0; border-bottom: 1px solid #eee; }
  td.n, td.was { text-align: right; font-variant-numeric: tabular-nums; }
  tr.sub1 td:first-child { padding-left: 1.5rem; }
  tr.sub2 td:first-child { padding-left: 3rem; }
  a.num { color: #0b57a4; text-decoration: none; }
  a.num:hover { text-decoration: underline; }
  figure { margin: .5rem 0 1.5rem; } figure img { max-width: 100%; height: auto; }
  .note { color: #555; font-size: .9rem; }
  section.breakdown { break-inside: avoid; }
</style>
</head>
<body>
<h1>Training offer on citizen engagement: {{ num(report.total, report.total.count) }}
accepted trainings</h1>
<p class="note">Generated {{ report.generated_at }}. Every number links to the list of
entries behind it.</p>

<h2 id="findings">Findings</h2>
{% if report.sentences %}
<ul class="sentences">
{% for sentence in report.sentences %}
  <li>{{ num(sentence.cell, sentence.cell.count) }} of the
  {{ num(sentence.total, sentence.total.count) }} trainings
  ({{ num(sentence.cell, sentence.cell.share ~ " %") }}) {{ sentence.predicate }}.</li>
{% endfor %}
</ul>
{% else %}
<p>No accepted trainings yet.</p>
{% endif %}

{% for breakdown in report.breakdowns %}
<section class="breakdown" id="{{ breakdown.key }}">
<h2>{{ breakdown.title }}</h2>
{{ table(breakdown) }}
{% if breakdown.note %}<p class="note">{{ breakdown.note }}</p>{% endif %}
{% if breakdown.key in report.charts %}
{% set chart = report.charts[breakdown.key] %}
<figure><img src="{{ chart.data_uri }}" alt="Chart: {{ breakdown.title }}" width="640"
height="360"><figcaption class="note">Also as <a href="{{ chart.png }}">PNG</a> and
<a href="{{ chart.svg }}">SVG</a>.</figcaption></figure>
{% endif %}
</section>
{% endfor %}

<section class="breakdown" id="signals">
<h2>{{ report.signals.title }}</h2>
{{ table(report.signals) }}
<p class="note">{{ report.signals.note }}</p>
{% if "signal" in report.charts %}
{% set chart = report.charts["signal"] %}
<figure><img src="{{ chart.data_uri }}" alt="Chart: {{ report.signals.title }}" width="640"
height="360"><figcaption class="note">Also as <a href="{{ chart.png }}">PNG</a> and
<a href="{{ chart.svg }}">SVG</a>.</figcaption></figure>
{% endif %}
</section>

{% set flow = report.flow %}
<h2 id="flow">From search to inclusion</h2>
<table class="flow">
  <tbody>
  {% for cell, depth in flow.rows() %}{{ flow_row(cell, depth) }}{% endfor %}
  </tbody>
</table>
<p class="note">Identified: every place a training was read, by the search backend or the
provider site that led to it. Duplicates: places beyond the first for the same training.
Screened: trainings a reviewer decided on (excluded, maybe or included); awaiting review:
not decided yet.</p>

<h2 id="changes">Since the previous report</h2>
{% set changes = report.changes %}
{% if changes is none %}
<p>This is the first report in this folder.</p>
{% else %}
<p>The previous report ({{ changes.previous_at }}) counted {{ changes.previous_total }}
accepted trainings; this one counts {{ num(report.total, report.total.count) }}.</p>
{% if changes.added %}
<p>Added ({{ changes.added | length }}):</p>
<ul>{% for id, title in changes.added %}<li>#{{ id }} {{ title }}</li>{% endfor %}</ul>
{% endif %}
{% if changes.removed %}
<p>No longer accepted ({{ changes.removed | length }}):</p>
<ul>{% for id, title in changes.removed %}<li>#{{ id }} {{ title }}</li>{% endfor %}</ul>
{% endif %}
{% if changes.moved %}
<table>
  <thead><tr><th scope="col">breakdown</th><th scope="col">value</th>
  <th scope="col">before</th><th scope="col">now</th></tr></thead>
  <tbody>
  {% for title, value, before, after in changes.moved %}
  <tr><td>{{ title }}</td><td>{{ value }}</td><td class="was">{{ before }}</td>
  <td class="n">{{ num(after, after.count) }}</td></tr>
  {% endfor %}
  </tbody>
</table>
{% endif %}
{% if not (changes.added or changes.removed or changes.moved) %}<p>Nothing changed.</p>{% endif %}
{% endif %}

<h2 id="trainings">The {{ report.total.count }} accepted trainings</h2>
<table class="entries">
  <thead><tr><th scope="col">#</th><th scope="col">title</th><th scope="col">provider</th>
  <th scope="col">format</th><th scope="col">modality</th></tr></thead>
  <tbody>
  {% for entry in report.entries %}
  <tr><td class="n"><a href="{{ review_url.rstrip('/') }}/candidates/{{ entry.id }}">
  {{- entry.id }}</a></td><td>{{ entry.title }}</td><td>{{ entry.provider }}</td>
  <td>{{ entry.format }}</td><td>{{ entry.modality }}</td></tr>
  {% endfor %}
  </tbody>
</table>
</body>
</html>
"""

MARKDOWN_TEMPLATE = """\
{%- macro flow_row(cell, sub=0) -%}
{% set label = ("— " * sub) ~ (cell.label | md) %}
| {{ label }} | {{ cell.count }} | {{ cell.filter_name | code }} |
{%- endmacro -%}
{%- macro table(breakdown) -%}
| {{ breakdown.title | md }} | trainings | share | filter |
|---|---:|---:|---|
{% for cell in breakdown.cells %}
| {{ cell.label | md }} | {{ cell.count }} | {{ cell.share }} % | {{ cell.filter_name | code }} |
{% endfor %}
{%- endmacro -%}
# Training offer on citizen engagement: {{ report.total.count }} accepted trainings

Generated {{ report.generated_at }}. Each number is followed by, or listed with, the
filter of the entries behind it (`status=accepted` selects the accepted trainings).

## Findings

{% for sentence in report.sentences %}
- {{ sentence.text | md }} [{{ sentence.cell.filter_name | code }}]
{% else %}
No accepted trainings yet.
{% endfor %}
{% for breakdown in report.breakdowns %}

## {{ breakdown.title | md }}

{{ table(breakdown) }}
{% if breakdown.note %}

{{ breakdown.note | md }}
{% endif %}
{% if breakdown.key in report.charts %}

![{{ breakdown.title | md }}]({{ report.charts[breakdown.key].png }})
{% endif %}
{% endfor %}

## {{ report.signals.title | md }}

{{ table(report.signals) }}

{{ report.signals.note | md }}
{% set flow = report.flow %}

## From search to inclusion

| step | records | filter |
|---|---:|---|
{% for cell, depth in flow.rows() %}
{{ flow_row(cell, depth) }}
{% endfor %}

## Since the previous report

{% set changes = report.changes %}
{% if changes is none %}
This is the first report in this folder.
{% else %}
The previous report ({{ changes.previous_at | md }}) counted {{ changes.previous_total }}
accepted trainings; this one counts {{ report.total.count }}.
{% if changes.added %}

Added ({{ changes.added | length }}):

{% for id, title in changes.added %}
- \\#{{ id }} {{ title | md }}
{% endfor %}
{% endif %}
{% if changes.removed %}

No longer accepted ({{ changes.removed | length }}):

{% for id, title in changes.removed %}
- \\#{{ id }} {{ title | md }}
{% endfor %}
{% endif %}
{% if changes.moved %}

| breakdown | value | before | now |
|---|---|---:|---:|
{% for title, value, before, after in changes.moved %}
| {{ title | md }} | {{ value | md }} | {{ before }} | {{ after.count }} |
{% endfor %}
{% endif %}
{% if not (changes.added or changes.removed or changes.moved) %}

Nothing changed.
{% endif %}
{% endif %}

## The {{ report.total.count }} accepted trainings

| \\# | title | provider | format | modality |
|---:|---|---|---|---|
{% for entry in report.entries %}
| {{ entry.id }} | {{ entry.title | md }} | {{ entry.provider | md }} | {{ entry.format | md }} \
| {{ entry.modality | md }} |
{% endfor %}
"""

"""A self-contained HTML page of the report (no external assets, safe to upload as an artifact)."""

from __future__ import annotations

import json

from jinja2 import Environment, select_autoescape

from mlgate.findings import Report, Status
from mlgate.reports.summary import verdict_line

_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#1f2328;
 padding:0 1rem}
h1{font-size:1.4rem}.verdict{padding:.6rem 1rem;border-radius:6px;font-weight:600}
.ok{background:#dafbe1}.bad{background:#ffebe9}
table{border-collapse:collapse;width:100%;margin-top:1rem}
th,td{border-bottom:1px solid #d0d7de;padding:.35rem .5rem;text-align:left;vertical-align:top}
td.s{font-weight:700;white-space:nowrap}.pass{color:#1a7f37}.warn{color:#9a6700}
.fail,.error{color:#cf222e}code{font-size:12px;color:#57606a;word-break:break-all}
</style></head><body>
<h1>{{ title }}</h1>
<div class="verdict {{ 'ok' if passed else 'bad' }}">{{ verdict }}</div>
<table><thead><tr><th>status</th><th>check</th><th>column</th><th>message</th><th>details</th></tr></thead>
<tbody>{% for f in findings %}<tr><td class="s {{ f.status.value }}">{{ f.status.value|upper }}</td>
<td>{{ f.name }}</td><td>{{ f.column or "" }}</td><td>{{ f.message }}</td>
<td><code>{{ f.details_json }}</code></td></tr>{% endfor %}</tbody></table>
</body></html>
"""


def render_html(report: Report) -> str:
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    rows = [
        {
            "status": f.status,
            "name": f.name,
            "column": f.column,
            "message": f.message,
            "details_json": json.dumps(dict(f.details), default=str),
        }
        for f in report.worst_first()
    ]
    return env.from_string(_TEMPLATE).render(
        title=report.title,
        passed=report.passed,
        verdict=verdict_line(report),
        findings=rows,
        Status=Status,
    )

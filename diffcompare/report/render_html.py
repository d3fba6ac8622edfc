"""Section views -> ONE self-contained HTML page (figures embedded as base64 PNG, inline
CSS, no scripts, no network). Each section: its takeaway, its figures, at most a few
bullets, then a collapsible ``<details>`` with the rest and the tables; a glossary closes
the page. Formats; computes nothing."""
from __future__ import annotations

import base64
import html

from .glossary import glossary

__all__ = ["page"]

_CSS = """
body{font:16px/1.55 system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1100px;
margin:2em auto;padding:0 1.2em;color:#1b1f24}
h1{font-size:1.8em;margin-bottom:.2em} h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2.2em}
.meta{color:#666;font-size:.85em} nav{margin:1em 0;line-height:2} nav a{margin-right:1.1em}
.takeaway{font-size:1.12em;font-weight:600;background:#f3f7fb;border-left:4px solid #4a7ab5;
padding:.55em .9em;margin:.8em 0}
.intro{color:#444}
figure{margin:1em 0} figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{color:#555;font-size:.9em}
.status{padding:.6em 1em;border-radius:6px;background:#fff4e5;border:1px solid #f0c36d}
.status.failed{background:#fdecea;border-color:#e6a19a}
.problem{color:#a33;font-size:.9em}
details{margin:.8em 0;border:1px solid #e3e6ea;border-radius:6px;padding:.3em .9em;background:#fbfbfc;overflow-x:auto}
summary{cursor:pointer;color:#2d5d8f;font-weight:600}
table{border-collapse:collapse;margin:1em 0;font-size:.9em} th,td{border:1px solid #ddd;padding:.3em .55em;
vertical-align:top;text-align:left} th{background:#f6f8fa} caption{text-align:left;color:#444;padding:.3em 0}
ul.conc li{margin:.3em 0} dl.glossary dt{font-weight:600;margin-top:.5em} dl.glossary dd{margin-left:1.5em;color:#333}
"""


def _e(s):
    return html.escape(str(s))


def _table(caption, header, rows):
    out = [f"<table><caption>{_e(caption)}</caption><tr>" + "".join(f"<th>{_e(h)}</th>" for h in header)
           + "</tr>"]
    out.extend("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows)
    out.append("</table>")
    return "\n".join(out)


def _section(v):
    out = [f'<section id="{_e(v.key)}"><h2>{_e(v.title)}</h2>']
    if v.takeaway:
        out.append(f'<p class="takeaway">{_e(v.takeaway)}</p>')
        out.append(f'<p class="intro">{_e(v.intro)}</p>')
    else:
        out.append(f'<p class="takeaway">{_e(v.intro)}</p>')
    if v.status != "ok":
        lead, msg = v.headline
        out.append(f'<p class="status {_e(v.status)}"><b>{_e(lead)}</b> {_e(msg)}</p>')
    for name, png, caption in v.figures:
        b64 = base64.b64encode(png).decode("ascii")
        out.append(f'<figure><img alt="{_e(caption)}" src="data:image/png;base64,{b64}">'
                   f"<figcaption>{_e(caption)}</figcaption></figure>")
    if v.conclusions:
        out.append('<ul class="conc">' + "".join(f"<li>{_e(c)}</li>" for c in v.conclusions) + "</ul>")
    if v.has_details:
        what = ", ".join(x for x in (f"{len(v.details)} more finding{'s' * (len(v.details) != 1)}" if v.details else "",
                                     f"{len(v.tables)} table{'s' * (len(v.tables) != 1)}" if v.tables else "") if x)
        out.append(f"<details><summary>Details: {_e(what)}</summary>")
        if v.details:
            out.append('<ul class="conc">' + "".join(f"<li>{_e(c)}</li>" for c in v.details) + "</ul>")
        out.extend(_table(*t) for t in v.tables)
        out.append("</details>")
    out.extend(f'<p class="problem">{_e(p)}</p>' for p in v.problems)
    out.extend(f'<p class="meta">{_e(n)}</p>' for n in v.notes)
    if v.seconds:
        out.append(f'<p class="meta">Section measured in {v.seconds:.1f} s.</p>')
    out.append("</section>")
    return "\n".join(out)


def _glossary(sections):
    items = "".join(f"<dt>{_e(t)}</dt><dd>{_e(d)}</dd>" for t, d in glossary(sections))
    return f'<section id="glossary"><h2>Glossary</h2><dl class="glossary">{items}</dl></section>'


def page(views, meta, sections=()):
    m = " · ".join(f"{_e(k)}: {_e(v)}" for k, v in meta.items())
    nav = " ".join(f'<a href="#{_e(v.key)}">{_e(v.title.split(":")[0])}</a>' for v in views)
    nav += ' <a href="#glossary">Glossary</a>'
    body = "\n".join(_section(v) for v in views)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>diffcompare report</title><style>{_CSS}</style></head><body>\n"
            f"<h1>diffcompare: numerical, symbolic and automatic differentiation, measured</h1>\n"
            f"<p>One model definition, differentiated three ways on this machine. Each section "
            f"opens with what it shows in one sentence, then the figure, then the findings; open "
            f"<b>Details</b> for the rest. Terms are defined in the <a href=\"#glossary\">glossary</a>.</p>\n"
            f"<nav>{nav}</nav>\n{body}\n{_glossary(sections)}\n"
            f'<p class="meta">{m}</p>\n'
            f'<p class="meta">Generated by <code>diffcompare report</code>; every number comes from '
            f"records.json of this run.</p></body></html>\n")

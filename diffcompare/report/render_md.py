"""Section views -> a Markdown page that reads well on GitHub (figures as PNG files beside
it, referenced by relative path). Each section: its takeaway, its figures, at most a few
bullets; the rest and the tables go to an appendix; a glossary closes the page. Formats;
computes nothing."""
from __future__ import annotations

from .glossary import glossary

__all__ = ["page"]


_SPECIAL = "\\`*_[]<>#|~"


def _t(s):
    """Text as Markdown that shows literally: ``8*d**2`` must not turn into emphasis."""
    return "".join("\\" + c if c in _SPECIAL else c for c in str(s).replace("\n", " "))


def _anchor(title):
    keep = "".join(c for c in title.lower() if c.isalnum() or c in " -")
    return keep.replace(" ", "-")


def _appendix_title(v):
    return f"Appendix: {v.title}"


def _section(v, figure_dir):
    out = [f"## {_t(v.title)}", ""]
    if v.takeaway:
        out += [f"**{_t(v.takeaway)}**", "", _t(v.intro), ""]
    else:
        out += [f"**{_t(v.intro)}**", ""]
    if v.status != "ok":
        lead, msg = v.headline
        out += [f"> **{_t(lead)}** {_t(msg)}", ""]
    for name, _png, caption in v.figures:
        out += [f"![{_t(caption)}]({figure_dir}/{name})", "", f"*{_t(caption)}*", ""]
    out += [f"- {_t(c)}" for c in v.conclusions]
    if v.conclusions:
        out.append("")
    if v.has_details:
        out += [f"More in [{_t(_appendix_title(v))}](#{_anchor(_appendix_title(v))}).", ""]
    out += [f"*Problem: {_t(p)}*" for p in v.problems]
    out += [f"*{_t(n)}*" for n in v.notes]
    if v.seconds:
        out += [f"<sub>Section measured in {v.seconds:.1f} s.</sub>", ""]
    return "\n".join(out)


def _appendix(v):
    out = [f"### {_t(_appendix_title(v))}", ""]
    out += [f"- {_t(c)}" for c in v.details]
    if v.details:
        out.append("")
    for caption, header, rows in v.tables:
        out += [f"*{_t(caption)}*", "", "| " + " | ".join(_t(h) for h in header) + " |",
                "|" + "---|" * len(header)]
        out += ["| " + " | ".join(_t(c) for c in row) + " |" for row in rows]
        out.append("")
    return "\n".join(out)


def page(views, meta, sections=(), figure_dir="figures"):
    head = ["# diffcompare: numerical, symbolic and automatic differentiation, measured", "",
            "One model definition, differentiated three ways on this machine. Each section opens with "
            "what it shows in one sentence, then the figure, then the findings; details and tables are in "
            "the appendix, terms in the [glossary](#glossary). Every number comes from "
            "[records.json](records.json) of this run; a self-contained version is [index.html](index.html).", "",
            "Sections: " + " · ".join(f"[{v.title.split(':')[0]}](#{_anchor(v.title)})" for v in views)
            + " · [Glossary](#glossary)", ""]
    body = [_section(v, figure_dir) for v in views]
    appendix = [_appendix(v) for v in views if v.has_details]
    if appendix:
        body += ["## Appendix", ""] + appendix
    body += ["## Glossary", ""] + [f"- **{_t(t)}**: {_t(d)}" for t, d in glossary(sections)] + [""]
    body += [" · ".join(f"{_t(k)}: {_t(v)}" for k, v in meta.items()), ""]
    return "\n".join(head + body) + "\n"

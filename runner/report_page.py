"""A mock session's final report as files: a standalone HTML page and an SVG that render offline.

The HTML page is real markup (a title, the date, a table, the score), readable in any browser with its own
fonts; the SVG is the terminal rendering, without the web font Rich links from a CDN.
"""

from __future__ import annotations

import html
import re
import time

FONT_FACE = re.compile(r"@font-face\s*\{[^}]*\}\s*", re.S)
FONTS = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
MONO = "ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, 'Liberation Mono', monospace"
COLUMNS = ("#", "Task", "Title", "Score", "Subs", "Counted at", "Hints")
NUMERIC = {"#", "Score", "Subs", "Hints"}


def when(seconds: float | None) -> str:
    """A local date and time, e.g. 2026-11-27 09:14 (UTC+01:00)."""
    if seconds is None:
        return "–"
    local = time.localtime(seconds)
    offset = time.strftime("%z", local)
    return time.strftime("%Y-%m-%d %H:%M", local) + (f" (UTC{offset[:3]}:{offset[3:]})" if offset else "")


def rows(report) -> list[tuple[str, ...]]:
    """The report's table, cell by cell as the terminal shows it."""
    from runner.render import clock

    s = report.session
    out = []
    for i, t in enumerate(report.tasks, 1):
        counted = "–" if t.counted_at is None else f"+{clock(t.counted_at - s.started_at)}"
        subs = str(t.submissions) + (f" ({t.late} late)" if t.late else "")
        out.append((str(i), t.exercise, t.title, f"{t.score:g}", subs, counted, str(t.hints)))
    return out


def page(report) -> str:
    """The final report as a standalone HTML page: no scripts, no external fonts, styles or images."""
    s = report.session
    minutes = (s.deadline - s.started_at) / 60
    title = f"Mock session {s.id} · {s.preset} · score {report.score:g}/100"
    esc = html.escape
    head = "".join(f'<th scope="col"{" class=num" if c in NUMERIC else ""}>{esc(c)}</th>' for c in COLUMNS)
    body = "\n".join("<tr>" + "".join(f'<td{" class=num" if c in NUMERIC else ""}>{esc(v)}</td>'
                                      for c, v in zip(COLUMNS, row)) + "</tr>" for row in rows(report))
    notes = []
    if report.auto_graded:
        notes.append(f"Graded at the deadline (saved, not submitted): {', '.join(report.auto_graded)}.")
    if report.previous:
        scores = [score for _, score in report.previous]
        delta = report.score - scores[-1]
        notes.append(f"Earlier sessions: {len(scores)}, best {max(scores):g}, last {scores[-1]:g} "
                     f"({'+' if delta >= 0 else ''}{delta:g} this time).")
    note_html = "".join(f"<p>{esc(n)}</p>\n" for n in notes)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<style>
body {{ font-family: {FONTS}; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #1b1b1b; }}
h1 {{ font-size: 1.4rem; margin-bottom: .2rem; }}
.meta {{ color: #555; margin-top: 0; }}
table {{ border-collapse: collapse; margin: 1rem 0; }}
th, td {{ border-bottom: 1px solid #ccc; padding: .35rem .7rem; text-align: left; }}
th {{ background: #f2f2f2; }}
.num {{ text-align: right; font-family: {MONO}; }}
.score {{ font-size: 1.2rem; font-weight: bold; }}
</style>
</head>
<body>
<h1>Mock session {s.id} · {esc(s.preset)}</h1>
<p class="meta">{len(report.tasks)} tasks · {minutes:.3g} min · started <time>{esc(when(s.started_at))}</time>
 · finished <time>{esc(when(s.finished_at))}</time></p>
<table>
<thead><tr>{head}</tr></thead>
<tbody>
{body}
</tbody>
</table>
<p class="score" id="score">Session score {report.score:g}/100</p>
<p>The mean of the task scores, each task weighted equally.</p>
{note_html}<footer class="meta">Exported by practice on {esc(when(time.time()))}.</footer>
</body>
</html>
"""


def offline_svg(svg: str) -> str:
    """Rich's SVG without its @font-face (a CDN font fetched when opened): local monospace fonts instead."""
    svg = FONT_FACE.sub("", svg)
    return re.sub(r'font-family:\s*"?Fira Code"?,\s*monospace', f"font-family: {MONO}", svg)

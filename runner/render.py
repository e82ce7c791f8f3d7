"""All Rich rendering: catalog, prompt, scorecard, examples, status, history, hints and solutions."""

from __future__ import annotations

import time

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from runner.results import GradeResult, Outcome, RunResult, Status

OUTCOME_STYLE = {
    Outcome.PASSED: ("✓ passed", "green"),
    Outcome.FAILED: ("✗ failed", "red"),
    Outcome.ERROR: ("! error", "red"),
    Outcome.TIMEOUT: ("⧗ timeout", "yellow"),
    Outcome.SKIPPED: ("- skipped", "dim"),
}
STATUS_STYLE = {"new": "dim", "started": "yellow", "attempted": "cyan", "solved": "green"}


def make_console(stderr: bool = False) -> Console:
    """A console on stdout (or stderr); Rich honours NO_COLOR and non-terminal output itself."""
    return Console(stderr=stderr, highlight=False, soft_wrap=stderr)


def clock(seconds: float | None) -> str:
    """Format seconds as M:SS or H:MM:SS."""
    if seconds is None:
        return "–"
    sign = "-" if seconds < 0 else ""
    seconds = int(abs(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{sign}{h}:{m:02d}:{s:02d}" if h else f"{sign}{m}:{s:02d}"


def _points(value: float) -> str:
    return f"{value:g}"


# ---- catalog and prompt -------------------------------------------------------------------------------

def render_catalog(console: Console, entries) -> None:
    """Aligned columns as one Text: a Rich Table here costs ~50 ms, a third of `practice list`."""
    rows = [(e.exercise.id, e.exercise.title, e.exercise.topic, e.exercise.difficulty, f"{e.exercise.minutes:g}",
             "–" if e.best is None else f"{e.best:g}", e.status) for e in entries]
    header = ("ID", "Title", "Topic", "Level", "Min", "Best", "Status")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    spare = console.width - (sum(widths) - widths[1]) - 2 * (len(header) - 1)
    widths[1] = max(12, min(widths[1], spare))
    right = {4, 5}

    def cells(row) -> list[str]:
        out = []
        for i, value in enumerate(row):
            value = value if len(value) <= widths[i] else value[: widths[i] - 1] + "…"
            out.append(value.rjust(widths[i]) if i in right else value.ljust(widths[i]))
        return out

    text = Text()
    text.append("  ".join(cells(header)).rstrip() + "\n", style="bold")
    for row, entry in zip(rows, entries):
        parts = cells(row)
        text.append(parts[0], style="bold")
        text.append("  " + "  ".join(parts[1:-1]) + "  ")
        text.append(parts[-1].rstrip(), style=STATUS_STYLE.get(entry.status, ""))
        text.append("\n")
    solved = sum(e.status == "solved" for e in entries)
    if entries:
        text.append(f"{len(entries)} exercises, {solved} solved. Start one: practice start ID", style="dim")
    else:
        text.append("No exercises in this bank yet. Add one: practice new ID (see practice bank show)", style="dim")
    console.print(text, soft_wrap=True)


def render_welcome(console: Console, entries) -> None:
    """Bare `practice`: the catalog, then the first steps."""
    render_catalog(console, entries)
    first = next((e.exercise.id for e in entries if e.status != "solved"), entries[0].exercise.id if entries else "ID")
    console.print(Text(f"\nNext: practice start {first}   (a live view: countdown, examples rerun on save)\n"
                       "      practice show ID · practice submit · practice mock start · practice --help",
                       style="dim"), soft_wrap=True)


def render_prompt(console: Console, exercise) -> None:
    from rich.markdown import Markdown
    from rich.panel import Panel

    head = Text.assemble((f"{exercise.id} · {exercise.title}", "bold"),
                         f"   {exercise.topic} · {exercise.difficulty} · {exercise.minutes:g} min")
    console.print(head)
    console.print(Markdown(exercise.prompt))
    rules = [f"Imports: {exercise.constraints.describe()}", *exercise.constraints.notes]
    console.print(Panel(Text("\n".join(f"• {r}" for r in rules)), title="Constraints", title_align="left",
                        expand=False))
    if exercise.questions:
        console.print(Text("Written questions", style="bold"))
        for q in exercise.questions:
            console.print(Text(f"  {q.id}. {q.text.strip()}"))
    console.print(f"Time limit: {exercise.minutes:g} minutes. Hints available: {len(exercise.hints)}.")


def render_start(console: Console, info) -> None:
    render_prompt(console, info.exercise)
    box = info.timebox
    left = box.remaining(info.now)
    if box.mock:
        state = (f"Mock session: {clock(left)} left of {clock(box.limit_s)} for all its tasks." if box.counts(info.now)
                 else "Mock session: time is up. Submissions now are recorded but not counted.")
    elif info.resumed:
        state = f"Resumed: the clock kept running, {clock(left)} left of {clock(box.limit_s)}."
    else:
        state = f"Clock started: {clock(box.limit_s)}."
    if info.moved_to:
        console.print(f"Your previous file was moved to {info.moved_to}")
    kept = "" if info.created else " (your existing file, unchanged)"
    console.print(Text.assemble(("Your file: ", "bold"), (str(info.path), "bold cyan"), kept), soft_wrap=True)
    console.print(state)
    console.print(f"Check: practice run {info.exercise.id}    Submit: practice submit {info.exercise.id}")


# ---- scorecard ----------------------------------------------------------------------------------------

def render_scorecard(console: Console, result: GradeResult, title: str = "", reveal: bool = False) -> None:
    from rich.panel import Panel
    from rich.table import Table

    heading = escape(f"{result.exercise} · {title}" if title else result.exercise)
    if result.status is Status.ERROR:
        console.print(Panel(Text(visible_controls(result.error or "grading failed"), style="red"),
                            title=f"{heading} · score 0",
                            title_align="left"))
        _footer(console, result)
        return
    table = Table(title=heading, title_justify="left", expand=True)
    table.add_column("#", justify="right", width=3)
    table.add_column("Check", ratio=1)
    table.add_column("Result", no_wrap=True)
    table.add_column("Points", justify="right", no_wrap=True)
    for i, test in enumerate(result.tests, 1):
        label, style = OUTCOME_STYLE[test.outcome]
        check = Text(test.description)
        if reveal and test.outcome is not Outcome.PASSED and test.message:
            check.append(f"\n{visible_controls(test.message)}", style="dim")
        table.add_row(str(i), check, Text(label, style=style),
                      f"{_points(test.points)}/{_points(test.max_points)}")
    console.print(table)
    style = "green" if result.score >= 100 else ("yellow" if result.score > 0 else "red")
    console.print(Text.assemble(("Score ", "bold"), (f"{result.score:g}/100", f"bold {style}"),
                                f"   {result.passed} of {result.total} checks passed · "
                                f"{_points(result.points)}/{_points(result.max_points)} points"))
    _footer(console, result)
    failing = [t for t in result.tests if t.outcome is not Outcome.PASSED]
    if reveal:
        render_counterexamples(console, result)
    if failing and not reveal:
        console.print(Text("Run again with --reveal to see why each check failed.", style="dim"))


def render_counterexamples(console: Console, result: GradeResult) -> None:
    """Each failed check's counterexample (the smallest input found), as lines to paste into a REPL."""
    found = [(i, t) for i, t in enumerate(result.tests, 1) if t.detail]
    if not found:
        return
    console.print(Text.assemble(("Counterexamples", "bold"), " (the smallest inputs found; paste into Python after "
                                f"`{found[0][1].detail.get('setup', 'import numpy as np')}`):"), soft_wrap=True)
    for i, test in found:
        d = test.detail
        console.print(Text.assemble((f"#{i} ", "bold"), (">>> ", "dim"), (d.get("call", ""), "cyan")), soft_wrap=True)
        for label, key in (("yours   ", "yours"), ("expected", "expected"), ("differs ", "where")):
            if d.get(key):
                console.print(Text.assemble(f"   {label} ", (str(d[key]), "red" if key == "yours" else "")),
                              soft_wrap=True)


def _footer(console: Console, result: GradeResult) -> None:
    """Time used, hints, and the enforced import rule, under either kind of scorecard."""
    parts = []
    if result.elapsed_s is not None:
        over = Text(" over time", style="bold red") if result.overtime else Text("")
        of = " of the mock session" if result.clock == "session" else ""
        parts.append(Text.assemble(("Time ", "bold"), f"{clock(result.elapsed_s)} of {clock(result.time_limit_s)}{of}",
                                   over))
    if not result.counted:
        parts.append(Text("Late: recorded, not counted (the mock session's deadline had passed)", style="bold red"))
    if result.hints_used:
        parts.append(Text.assemble(("Hints ", "bold"), str(result.hints_used)))
    if parts:
        console.print(Text("   ").join(parts))
    if result.constraints:
        console.print(Text.assemble(("Rules ", "bold"), f"imports: {result.constraints} (enforced)"))
    if result.isolation:
        console.print(Text.assemble(("Sandbox ", "bold"), result.isolation), style="dim")


# ---- the live view ---------------------------------------------------------------------------------------

LIVE_PROMPT_LINES = (2, 6)  # the prompt summary: at least, at most
LIVE_HINT_LINES = 3


def _line(text: Text | str, width: int, style: str = "") -> Text:
    """One screen row: never wraps; too long ends in an ellipsis."""
    line = text.copy() if isinstance(text, Text) else Text(text, style=style)
    line.no_wrap = True
    line.truncate(width, overflow="ellipsis")
    return line


def _wrapped(text: str, width: int, rows: int, style: str = "") -> list[Text]:
    """`text` wrapped to `width`, at most `rows` rows; a cut shows as an ellipsis."""
    import textwrap

    lines = textwrap.wrap(" ".join(text.split()), width) or [""]
    if len(lines) > rows:
        lines = lines[:rows]
        lines[-1] = lines[-1][: max(0, width - 1)].rstrip() + "…"
    return [Text(line, style=style) for line in lines[:rows]]


def _plain(markdown: str) -> str:
    """The prompt as words for the live view's few rows: no bold markers, backticks, headings or table rules;
    table cells joined by ' · '. A power (`x ** 2`, 10**6) is not a bold marker and stays."""
    import re

    rows = []
    for line in markdown.splitlines():
        line = line.strip()
        if re.fullmatch(r"\|?(\s*:?-{3,}:?\s*\|)+\s*:?-{0,}:?\s*\|?", line):
            continue  # a table's rule row
        if line.startswith("|") and line.endswith("|") and len(line) > 1:
            line = " · ".join(cell.strip() for cell in line[1:-1].split("|")) + ";"
        rows.append(re.sub(r"^#+\s+", "", line))
    text = re.sub(r"(?<![\w*])\*\*(?=[\w`(])|(?<=[\w`).:,;!?])\*\*(?![\w*])", "", " ".join(rows))  # not 10**6
    return text.replace("`", "")


def _live_header(view, width: int) -> Text:
    box, now = view.box, view.now
    if box.mock and box.over(now):
        right = Text("TIME IS UP · mock session over", style="bold red")
    elif box.over(now):
        right = Text.assemble((clock(-box.remaining(now)), "bold red"), f" over the {clock(box.limit_s)} limit")
    else:
        left = box.remaining(now)
        right = Text.assemble((clock(left), "bold yellow" if left < 120 else "bold green"),
                              f" left of {clock(box.limit_s)}", " (mock)" if box.mock else "")
    title = Text(f"{view.exercise.id} · {view.exercise.title}", style="bold")
    title.truncate(max(1, width - len(right) - 2), overflow="ellipsis")
    return Text.assemble(title, " " * max(2, width - len(title) - len(right)), right)


def _live_examples(view, width: int) -> tuple[list[Text], list[Text], Text]:
    """Example rows, their failure details, and the summary row."""
    ex = view.examples
    if ex is None:
        return [], [], Text("Examples: running…" if view.running else "Examples: not run yet (r runs them)")
    rows, details = [], []
    if ex.status is Status.ERROR:
        details.append(Text(visible_controls(ex.error or "the examples could not run"), style="red"))
    for i, e in enumerate(ex.examples, 1):
        rows.append(Text.assemble(("✓", "green") if e.passed else ("✗", "red"), f" example {i}: {e.call}"))
        if not e.passed:
            details.append(Text(visible_controls(f"  {i}: {e.message or f'expected {e.expected}, got {e.got}'}"),
                                style="dim"))
    summary = Text(f"{ex.passed} of {len(ex.examples)} examples pass" if ex.examples else "No example ran",
                   style="bold")
    return rows, details, summary


def _live_counterexamples(view) -> list[Text]:
    """After `w`: each failed check's smallest failing input (the call first, so a long description cannot push it
    off the row; then yours and expected), two rows each."""
    revealed = getattr(view, "revealed", None)
    rows = []
    for test in revealed.tests if revealed is not None else ():
        if test.detail:
            d = test.detail
            rows.append(Text.assemble(("✗ ", "red"), (d.get("call", ""), "cyan"), (f"  {test.description}", "dim")))
            rows.append(Text(f"    yours {d.get('yours', '')} · expected {d.get('expected', '')}", style="dim"))
    return rows


def _live_score(view) -> Text:
    r = view.result
    if r is None:
        return Text("Last score: none yet (s grades with the hidden checks)", style="dim")
    late = Text(" · late: recorded, not counted", style="bold red") if not r.counted else Text("")
    if r.status is Status.ERROR:
        return Text.assemble(("Last score: 0/100", "red"), late, f" — {visible_controls(r.error or '')}")
    counts: dict = {}
    for t in r.tests:
        counts[t.outcome] = counts.get(t.outcome, 0) + 1
    summary = ", ".join(f"{n} {OUTCOME_STYLE[o][0].split()[-1]}" for o, n in counts.items())
    return Text.assemble((f"Last score: {r.score:g}/100", "bold"), late, f" ({summary})")


def _live_status(view) -> list[Text]:
    """What is running (with its seconds, ticking) and the last message; either may be absent."""
    rows = []
    if view.running:
        queued = " · examples queued for after grading" if view.queued_examples else ""
        rows.append(Text.assemble(("⧗ ", "yellow"), (f"{view.running.label}… {view.running_s} s", "bold yellow"),
                                  f" · c cancels{queued}"))
    if view.message or not rows:
        rows.append(Text(view.message, style="dim"))
    return rows


def render_live(view, width: int, height: int):
    """The live view's screen, built for `width` x `height` (80x24 first): every row fits, none wraps.

    Always shown: the header and countdown, the file, a prompt summary, the examples' summary, the last score,
    what is running (or the last message) and the keys. The rest (each example, failure details, the hint, more
    of the prompt) takes the rows left, shortened with an ellipsis rather than pushed off the screen.
    `view` is a runner.live.LiveView (duck-typed: exercise, path, box, now, examples, result, hint, message,
    running, running_s, queued_examples, saves, keys).
    """
    from rich.console import Group
    from rich.panel import Panel

    framed = height >= 14 and width >= 40
    inner = width - 4 if framed else width
    rows = height - 1 - (2 if framed else 0)
    box = view.box
    header = _live_header(view, inner)
    path = str(view.path)
    room = inner - len("File ") - len(f"   saves seen: {view.saves}")
    if len(path) > room:
        path = "…" + path[-max(1, room - 1):]
    file_row = Text.assemble("File ", (path, "cyan"), f"   saves seen: {view.saves}")
    ex_rows, ex_details, ex_summary = _live_examples(view, inner)
    up = (Text("Time is up: submissions now are recorded but not counted.", style="bold red")
          if box.mock and box.over(view.now) else None)
    status = _live_status(view)
    fixed = [header, file_row, ex_summary, _live_score(view), status[-1], Text(view.keys, style="bold")]
    spare = rows - len(fixed) - len(status) + 1 - (1 if up is not None else 0)
    prompt_rows = max(0, min(LIVE_PROMPT_LINES[0], spare))
    spare -= prompt_rows
    if len(ex_rows) <= spare:
        shown_ex = ex_rows
    elif spare >= 1:
        shown_ex = [*ex_rows[: spare - 1], Text(f"… {len(ex_rows) - spare + 1} more examples: `practice run` "
                                                "shows them all", style="dim")]
    else:
        shown_ex = []
    spare -= len(shown_ex)
    hint = _wrapped(view.hint, inner, min(LIVE_HINT_LINES, spare), style="yellow") if view.hint and spare > 0 else []
    spare -= len(hint)
    details = [*_live_counterexamples(view), *ex_details][:spare]
    spare -= len(details)
    prompt_rows += max(0, min(LIVE_PROMPT_LINES[1] - prompt_rows, spare))
    prompt = _wrapped("Task: " + _plain(view.exercise.prompt), inner, prompt_rows) if prompt_rows else []
    ordered = [header, file_row, *prompt, *shown_ex, *details, ex_summary, fixed[3], *hint,
               *([up] if up is not None else []), *status, fixed[5]]
    if len(ordered) > rows:  # a tiny screen: keep the rows that matter most
        keep = [fixed[5], header, *status, fixed[3], ex_summary, *([up] if up is not None else [])]
        ordered = [r for r in ordered if any(r is k for k in keep[: max(1, rows)])]
    body = Group(*(_line(r, inner) for r in ordered))
    return Panel(body, title="practice", title_align="left", width=width) if framed else body


# ---- run --------------------------------------------------------------------------------------------

def render_run(console: Console, result: RunResult) -> None:
    from rich.panel import Panel

    from runner.plots import render_plot

    if result.status is Status.ERROR:
        console.print(Text(visible_controls(result.error or "the examples could not run"), style="red"))
    for i, ex in enumerate(result.examples, 1):
        mark = Text("✓", style="green") if ex.passed else Text("✗", style="red")
        console.print(Text.assemble(mark, f" example {i}: ", (ex.call, "bold")))
        if not ex.passed:
            if ex.message:
                console.print(Text(visible_controls(f"    {ex.message}"), style="red"))
            else:
                console.print(Text(f"    expected: {ex.expected}\n    got:      {ex.got}"))
            if ex.where:
                console.print(Text(f"    differs:  {ex.where}", style="yellow"))
    if result.examples:
        console.print(f"{result.passed} of {len(result.examples)} examples pass (visible examples only; "
                      f"submit to run the hidden checks).")
    for plot in result.plots:
        render_plot(console, plot)
    if result.output.strip():
        console.print(Panel(Text(visible_controls(result.output.rstrip())), title="Your code printed",
                            title_align="left"))


def visible_controls(text: str) -> str:
    """Show control characters (ESC, BEL, CR, ...) as ^[ ^G ^M, so printed text cannot drive the terminal."""
    import re

    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", lambda m: f"^{chr((ord(m.group()) + 64) % 128)}", text)


def render_plot(console: Console, plot) -> None:
    from runner.plots import render_plot as draw

    draw(console, plot)


# ---- status, history, hints, solutions ----------------------------------------------------------------

def render_status(console: Console, info) -> None:
    if info.active is None:
        console.print("No active attempt. Start one with `practice start ID`.")
        return
    a = info.active
    box = info.timeboxes[a.id]
    console.print(Text.assemble(("Active: ", "bold"), f"{a.exercise} · {info.exercise.title}",
                                " (a task of the mock session)" if box.mock else ""))
    console.print(time_left(box, info.now))
    if box.mock:
        console.print(f"Mock session {a.session_id}: `practice mock status` shows every task and its score.")
    console.print(f"File: {a.file}")
    best = info.best.get(a.exercise)
    if best:
        console.print(f"Best score so far: {best[0]:g} ({best[1]} submissions)")
    others = [o for o in info.open_attempts if o.id != a.id]
    if others:
        console.print("Also open: " + ", ".join(f"{o.exercise} ({_left(info.timeboxes[o.id], info.now)})"
                                                for o in others))


def _left(box, now: float) -> str:
    if box.over(now):
        return "time is up" if box.mock else "over time"
    return f"{clock(box.remaining(now))} left" + (" in the mock" if box.mock else "")


def time_left(box, now: float) -> Text:
    """One line: the time left of a Timebox, or that it is up (a mock session's deadline ends its tasks)."""
    if box.mock and box.over(now):
        return Text("Time is up: the mock session has ended; later submissions are recorded but do not count.",
                    style="bold red")
    what = "Mock session time left: " if box.mock else "Time left: "
    over = Text(" (over time)", style="bold red") if box.over(now) else Text("")
    return Text.assemble(what, (clock(box.remaining(now)), "bold"), f" of {clock(box.limit_s)}", over)


def render_history(console: Console, summary, submissions) -> None:
    from rich.table import Table

    if not submissions and not summary:
        console.print("No attempts yet. Start one with `practice start ID`.")
        return
    table = Table(title="By exercise", title_justify="left")
    for name in ("Exercise", "Title", "Attempts", "Submissions", "Best", "Time to solve"):
        table.add_column(name, justify="right" if name in ("Attempts", "Submissions", "Best") else "left")
    for e in summary:
        best = "–" if e.best is None else f"{e.best:g}"
        table.add_row(e.exercise, Text(e.title), str(e.attempts), str(e.submissions), best, clock(e.time_to_solve_s))
    console.print(table)
    if not submissions:
        return
    table = Table(title="Submissions", title_justify="left")
    for name in ("#", "When", "Exercise", "Score", "Time used", "State"):
        table.add_column(name, justify="right" if name in ("#", "Score", "Time used") else "left")
    for s in submissions:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(s.submitted_at))
        score = "–" if s.score is None else f"{s.score:g}"
        late = "" if s.counted or s.state == "cancelled" else " (late)"
        state = s.state + late + (" (auto)" if s.automatic else "")
        table.add_row(str(s.id), when, s.exercise, score, clock(s.elapsed_s), state)
    console.print(table)


def render_stats(console: Console, topics, graded, plan=None) -> None:
    from rich.table import Table

    from runner.plots import line_chart
    from runner.results import PlotData

    table = Table(title="Progress by topic", title_justify="left")
    for name in ("Topic", "Exercises", "Attempted", "Solved", "Mean best"):
        table.add_column(name, justify="left" if name == "Topic" else "right")
    for t in topics:
        table.add_row(t.topic, str(t.exercises), str(t.attempted), str(t.solved), f"{t.mean_best:g}")
    console.print(table)
    if plan is not None:
        render_reviews(console, plan)
    if len(graded) < 2:
        console.print("Submit a few more times to see your scores over time.")
        return
    scores = [s.score for s in graded]
    running = [max(scores[: i + 1]) for i in range(len(scores))]
    plot = PlotData(title="Scores over time", kind="line", xlabel="submission", ylabel="score",
                    x=tuple(float(i) for i in range(1, len(scores) + 1)),
                    series={"score": tuple(scores), "best so far": tuple(running)})
    console.print(Text(plot.title, style="bold"))
    console.print(line_chart(plot, width=min(60, max(20, len(scores) * 3)), height=8))


def render_reviews(console: Console, plan) -> None:
    """What is due for review and when (FSRS cards), soonest first."""
    from rich.table import Table

    from runner.schedule import RATING_NAMES, due_in

    if not plan.cards:
        console.print("Nothing to review yet: `practice next` suggests where to start.")
        return
    table = Table(title="Reviews", title_justify="left")
    for name in ("Exercise", "Last result", "Reviews", "Due"):
        table.add_column(name, justify="right" if name == "Reviews" else "left")
    for card in plan.by_due:
        due = Text(due_in(card, plan.now), style="bold yellow" if card.is_due(plan.now) else "")
        table.add_row(card.exercise, Text(f"{card.last_why} ({RATING_NAMES[card.last_rating]})"), str(card.reviews),
                      due)
    console.print(table)
    n = len(plan.due)
    console.print(f"{n} due now; `practice next` picks one." if n else "Nothing is due now.")


def render_next(console: Console, pick, exercise, plan) -> None:
    """The exercise to practise next, why, and the command that starts it."""
    if pick is None:
        console.print("The bank has no exercises.")
        return
    head = Text("Next: ", style="bold")
    head.append(f"{exercise.id}  {exercise.title}", style="bold cyan")
    head.append(f"  ({exercise.topic}, {exercise.difficulty}, {exercise.minutes:g} min)")
    console.print(head)
    console.print(Text("Why:   ", style="bold") + Text(pick.why))
    console.print(Text("Start: ", style="bold") + Text(pick.command, style="green"))
    n = len(plan.due)
    if n > 1 or (n == 1 and pick.reason != "due"):
        console.print(Text(f"{n} exercise{'s' if n > 1 else ''} due for review; `practice stats` lists them.",
                           style="dim"))


def render_hint(console: Console, hint) -> None:
    from rich.panel import Panel

    if not hint.total:
        console.print(Text(hint.text))
        return
    console.print(Panel(Text(hint.text), title=f"Hint {hint.number} of {hint.total} · {hint.exercise.id}",
                        title_align="left"))


def render_solution(console: Console, sol) -> None:
    from rich.console import Group
    from rich.markdown import Markdown
    from rich.panel import Panel
    from rich.syntax import Syntax

    console.print(Panel(Syntax(sol.reference, "python", theme="ansi_dark", background_color="default",
                               word_wrap=True),
                        title=f"{sol.exercise.id} · reference solution", title_align="left"))
    if sol.answers.strip():
        console.print(Group(Text("Model answers", style="bold"), Markdown(sol.answers)))


# ---- mock sessions ------------------------------------------------------------------------------------

def render_presets(console: Console, default: str, presets: dict) -> None:
    from rich.table import Table

    table = Table(title="Mock presets", title_justify="left")
    for name in ("Preset", "Title", "Minutes", "Tasks"):
        table.add_column(name)
    for name, preset in presets.items():
        tasks = sum(slot.count for slot in preset.slots)
        table.add_row(name + (" (default)" if name == default else ""), Text(preset.title), f"{preset.minutes:g}",
                      str(tasks))
    console.print(table)


def render_session(console: Console, report, final: bool = False) -> None:
    from rich.table import Table

    s = report.session
    minutes = (s.deadline - s.started_at) / 60  # finished early: the time it ran, e.g. 0.0116876 min -> 0:00
    length = f"{minutes:g} min" if minutes == round(minutes) else clock(s.deadline - s.started_at)
    head = f"Mock session {s.id} · {s.preset} · {len(report.tasks)} tasks · {length}"
    console.print(Text(head, style="bold"))
    if report.auto_graded:
        console.print(f"Graded at the deadline (saved, not submitted): {', '.join(report.auto_graded)}")
    if not final:
        console.print(time_left(report.timebox, report.now))
        if report.watcher == "missing" and not report.over:
            console.print(Text("The file watcher is not running: your saves are kept only when a practice "
                               "command runs. Run `practice mock status` after saving.", style="yellow"))
    table = Table(expand=False)
    for name, kw in (("#", {"justify": "right"}), ("Task", {"style": "bold"}), ("Title", {}),
                     ("Score", {"justify": "right"}), ("Subs", {"justify": "right"}), ("Counted at", {}),
                     ("Hints", {"justify": "right"})):
        table.add_column(name, **kw)
    for i, t in enumerate(report.tasks, 1):
        counted = "–" if t.counted_at is None else f"+{clock(t.counted_at - s.started_at)}"
        subs = str(t.submissions) + (f" ({t.late} late)" if t.late else "")
        table.add_row(str(i), t.exercise, Text(t.title), f"{t.score:g}", subs, counted, str(t.hints))
    console.print(table)
    if not final:
        for t in report.tasks:
            console.print(Text.assemble(f"  {t.exercise}: ", (t.file, "cyan")), soft_wrap=True)
        console.print("Submit any task, as often as you like: practice submit ID. The last submission before "
                      "the deadline counts; work saved by the deadline is graded if you never submitted it.")
    console.print(Text.assemble(("Session score ", "bold"), (f"{report.score:g}/100", "bold"),
                                "  (mean of the task scores, each task weighted equally)"))
    if final and report.previous:
        scores = [score for _, score in report.previous]
        best = max(scores)
        delta = report.score - scores[-1]
        console.print(f"Earlier sessions: {len(scores)}, best {best:g}, last {scores[-1]:g} "
                      f"({'+' if delta >= 0 else ''}{delta:g} this time)")


def export_session(report, path) -> None:
    """Save the final report as a standalone HTML page, or as SVG rendered as in the terminal; both offline."""
    import io
    from pathlib import Path

    from runner import report_page

    if str(path).lower().endswith(".svg"):
        console = Console(file=io.StringIO(), record=True, width=100, force_terminal=True, color_system="truecolor")
        render_session(console, report, final=True)
        svg = console.export_svg(title=f"practice · mock session {report.session.id}")
        text = report_page.offline_svg(svg)
    else:
        text = report_page.page(report)
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        from runner.errors import WorkspaceError

        raise WorkspaceError(f"cannot write the report to {path}: {exc.strerror or exc}",
                             fix=f"Choose a folder that exists; export again with "
                                 f"`practice mock report {report.session.id} --export FILE`.") from None


def render_versions(console: Console, exercise, attempt, snapshots) -> None:
    from rich.table import Table

    if not snapshots:
        console.print(f"No saved versions of {exercise.id} yet: the live view of `practice start` keeps one per save.")
        return
    table = Table(title=f"Saved versions · {exercise.id}", title_justify="left")
    for name in ("#", "Saved", "Into the attempt", "Lines"):
        table.add_column(name, justify="right" if name != "Saved" else "left")
    for i, snap in enumerate(snapshots, 1):
        saved = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(snap.mtime))
        table.add_row(str(i), saved, clock(snap.mtime - attempt.started_at), str(snap.source.count("\n")))
    console.print(table)
    console.print(f"Show one: practice versions {exercise.id} --show N    "
                  f"Restore: practice versions {exercise.id} --restore N")


# ---- instructor tooling -------------------------------------------------------------------------------

def render_scaffold(console: Console, root, exercise_id: str, written) -> None:
    console.print(Text(f"Created exercise {exercise_id}:", style="bold"))
    for path in written:
        console.print(f"  {path.relative_to(root)}", soft_wrap=True)
    console.print(f"It validates as scaffolded: `practice validate {exercise_id}`. Then make it yours: edit the "
                  "prompt, stub, checks, reference and wrong solutions, and validate again (docs/AUTHORING.md).")


def render_bank_init(console: Console, root, written) -> None:
    console.print(Text(f"Created an empty bank in {root}:", style="bold"), soft_wrap=True)
    for path in written:
        console.print(Text(f"  {path.relative_to(root)}"), soft_wrap=True)
    console.print(Text(f"Add an exercise: practice new --bank {root} 5A. Use the bank: practice --bank {root} list, "
                       "or name it in config.toml (see its README.md)."), soft_wrap=True)


def render_bank_info(console: Console, info: dict) -> None:
    console.print(Text.assemble(("Bank: ", "bold"), info["bank"], f"  ({info['exercises']} exercises)"), soft_wrap=True)
    console.print(Text(f"Chosen by: {info['source']}. Order: --bank, PRACTICE_BANK, bank = in "
                       "$PRACTICE_HOME/config.toml, the built-in bank.", style="dim"), soft_wrap=True)


def render_validation(console: Console, report, root) -> None:
    if report.ok:
        timing = "" if report.seconds is None else f" · {report.seconds:.1f} s of {report.run_seconds:g} s"
        timing += " · timing.json written" if report.timing_written else ""
        console.print(Text.assemble(("✓ ", "green"), (report.exercise_id, "bold"),
                                    f"  reference {report.reference:g} · stub {report.stub:g} · "
                                    f"{report.wrong_rejected}/{report.wrong_total} wrong rejected · "
                                    f"deterministic{timing}"))
        return
    console.print(Text.assemble(("✗ ", "red"), (report.exercise_id, "bold")))
    for problem in report.problems:
        console.print(f"  {problem.line(root)}", soft_wrap=True, markup=False)


def render_mutants(console: Console, report) -> None:
    """One line per exercise (mutants, killed, recorded equivalents, score, time), then each new survivor's diff."""
    if report.error:
        console.print(Text.assemble(("✗ ", "red"), (report.exercise_id, "bold"), f"  {report.error}"), soft_wrap=True)
        return
    score = "n/a" if report.score is None else f"{report.score:.1f}%"
    console.print(Text.assemble(("✓ " if report.ok else "✗ ", "green" if report.ok else "red"),
                                (report.exercise_id, "bold"),
                                f"  {report.mutants} mutants · {report.killed} killed · {report.equivalent} "
                                f"equivalent · score {score} · {len(report.survivors)} new survivors · "
                                f"{report.seconds:.1f} s"))
    for line in report.stale:
        console.print(f"  equivalent_mutants.yaml: {line}", soft_wrap=True, markup=False)
    for mutant in report.survivors:
        console.print(Text(f"  survivor {mutant.id}: {mutant.operator} in {mutant.function}, line {mutant.line}",
                           style="yellow"))
        for line in report.diffs.get(mutant.id, "").splitlines():
            style = "red" if line.startswith("-") else "green" if line.startswith("+") else "dim"
            console.print(Text(f"    {line}", style=style), soft_wrap=True)


def render_orphans(console: Console, orphans, root) -> None:
    for problem in orphans:
        console.print(Text.assemble(("✗ orphan ", "red"), problem.line(root)), soft_wrap=True)


def run_with_progress(work, total: int, echo_json: bool, also=None):
    """Run `work(on_result)`, with a progress bar on stderr in a terminal and JSON lines on stdout if asked;
    `also(result)` is called for each result too (e.g. to write a CSV row). Ctrl-C says how many were done."""
    import json
    import signal
    import sys

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    err = make_console(stderr=True)
    with Progress(TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err,
                  disable=not err.is_terminal, transient=True) as progress:
        task = progress.add_task("grading", total=total)

        done = 0

        def on_result(graded) -> None:
            nonlocal done
            # Ctrl-C waits until this result is in every output, so the JSON lines and the CSV agree.
            blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
            try:
                if echo_json:
                    sys.stdout.write(json.dumps(graded.to_dict()) + "\n")
                    sys.stdout.flush()
                if also is not None:
                    also(graded)
                done += 1
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
            progress.advance(task)

        try:
            return work(on_result)
        except KeyboardInterrupt:
            err.print(f"interrupted: {done} of {total} graded and kept", markup=False)
            raise


def render_gradescope_export(console: Console, info) -> None:
    console.print(f"Wrote {info.path}: upload it as the autograder of a Gradescope programming assignment; "
                  f"students submit {info.stub} (helper modules beside it may be submitted too).", soft_wrap=True)
    scaled = "" if info.total == info.points else f", scaled from the exercise's {info.points:g}"
    console.print(Text.assemble("Set the assignment's autograder points to ", (f"{info.total:g}", "bold"),
                                f" ({info.checks} checks{scaled}). Checks are {info.visibility.replace('_', ' ')}"
                                " to students."), soft_wrap=True)
    if info.fixtures:
        console.print(f"Model fixtures shipped: {', '.join(info.fixtures)}", soft_wrap=True)


def render_batch(console: Console, results: list[dict], summary: dict, table: bool = True) -> None:
    from rich.table import Table

    if table:
        t = Table(title="Submissions", title_justify="left")
        for name in ("Student", "Score", "Passed", "Note"):
            t.add_column(name, justify="right" if name in ("Score", "Passed") else "left")
        for r in results:
            note = visible_controls(r["error"] or "")
            student = visible_controls(r.get("student", r["file"]))
            t.add_row(Text(student), f"{r['score']:g}", f"{r['passed']}/{r['total']}",
                      Text(note if len(note) <= 120 else note[:119] + "…"))  # Text: a name is not markup
        console.print(t)
    if not summary["submissions"]:
        console.print("No submissions found.")
        return
    dist = "  ".join(f"{k}: {v}" for k, v in summary["distribution"].items())
    console.print(Text.assemble(("Summary ", "bold"), f"{summary['submissions']} submissions, {summary['errors']} "
                                f"could not be graded · mean {summary['mean']:g} · median {summary['median']:g} · "
                                f"min {summary['min']:g} · max {summary['max']:g}"))
    console.print(Text.assemble(("Scores ", "bold"), dist))

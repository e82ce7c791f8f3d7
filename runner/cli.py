"""The `practice` command line: each command parses options, calls core, and renders."""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import sys
from pathlib import Path

import typer

from runner import render
from runner.errors import Aborted, ExitStatus, NoAttempt, PracticeError, UsageError

app = typer.Typer(help="Timed NumPy practice for transformer math and interpretability, graded by hidden tests.",
                  no_args_is_help=False, add_completion=True, pretty_exceptions_enable=False,
                  context_settings={"help_option_names": ["-h", "--help"]})
STATE: dict = {"bank": None}
mock_app = typer.Typer(help="Timed mock OA sessions: several tasks behind one countdown.", no_args_is_help=True)
app.add_typer(mock_app, name="mock")
export_app = typer.Typer(help="Export to the graders schools already use.", no_args_is_help=True)
app.add_typer(export_app, name="export")
bank_app = typer.Typer(help="Your own exercise banks: create one, see which bank is in use.", no_args_is_help=True)
app.add_typer(bank_app, name="bank")

IdArg = typer.Argument(..., help="Exercise id, e.g. 1A (any case).", show_default=False)
OptionalId = typer.Argument(None, help="Exercise id; the active attempt when left out.", show_default=False)
FileOpt = typer.Option(None, "--file", "-f", help="Grade this file instead of the workspace file.",
                       dir_okay=False, show_default=False)
JsonOpt = typer.Option(False, "--json", help="Print one JSON object instead of the rendered view.")


def report_errors(fn):
    """Turn PracticeError into one line on stderr and its exit status; never show a platform traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except PracticeError as exc:
            render.make_console(stderr=True).print(f"error: {exc.one_line()}", markup=False)
            raise typer.Exit(int(exc.exit_status)) from None
        except (typer.Exit, typer.Abort):
            raise
        except KeyboardInterrupt:
            render.make_console(stderr=True).print("interrupted", markup=False)
            raise typer.Exit(130) from None
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            if os.environ.get("PRACTICE_DEBUG"):
                raise
            render.make_console(stderr=True).print(
                f"error: internal error ({type(exc).__name__}: {exc}). Rerun with PRACTICE_DEBUG=1 and report it.",
                markup=False)
            raise typer.Exit(int(ExitStatus.INTERNAL)) from None

    return wrapper


def command(*names, group: typer.Typer = app, **kwargs):
    """Register a command with error reporting."""
    return lambda fn: group.command(*names, **kwargs)(report_errors(fn))


def practice(settle: bool = True):
    """The platform for this invocation; first applies mock-session deadline rules (snapshot, settle)."""
    from runner.clock import clock_from_env
    from runner.config import resolve_locations
    from runner.core import Practice

    p = Practice(resolve_locations(STATE["bank"]), clock=clock_from_env())  # a test may shift the clock
    notice = p.interrupted_notice()  # a submission stopped by Ctrl-C, kill -9 or a closed terminal
    if notice:
        render.make_console(stderr=True).print(notice, markup=False)
    if settle and p.store.open_session() is not None:  # most commands run with no session: skip the import
        p.mock.snapshot()
        p.mock.settle()
    return p


def _version(value: bool):
    if value:
        from runner import __version__

        typer.echo(f"practice {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def main_options(
    ctx: typer.Context,
    bank: Path | None = typer.Option(None, "--bank", help="Use this bank (default: $PRACTICE_BANK, else `bank` in "
                                     "$PRACTICE_HOME/config.toml, else the built-in bank).", show_default=False),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
):
    """Practise OA-style exercises: `practice list`, `practice start 1A`, edit, `practice submit`."""
    STATE["bank"] = bank
    if ctx.invoked_subcommand is None:  # bare `practice`: the catalog and how to start
        report_errors(lambda: render.render_welcome(render.make_console(), practice().catalog()))()


@command("list")
def list_exercises(as_json: bool = JsonOpt):
    """List the exercises with your best score and status."""
    entries = practice().catalog()
    if as_json:
        typer.echo(json.dumps([{"id": e.exercise.id, "title": e.exercise.title, "topic": e.exercise.topic,
                                "tags": list(e.exercise.tags), "difficulty": e.exercise.difficulty,
                                "minutes": e.exercise.minutes, "best": e.best, "submissions": e.submissions,
                                "status": e.status} for e in entries]))
        return
    render.render_catalog(render.make_console(), entries)


@command("show")
def show(exercise_id: str = IdArg):
    """Show an exercise's prompt, constraints and time limit."""
    render.render_prompt(render.make_console(), practice().bank.get(exercise_id))


@command("start")
def start(exercise_id: str = IdArg,
          restart: bool = typer.Option(False, "--restart", help="Move your file aside and start over."),
          no_live: bool = typer.Option(False, "--no-live", help="Print and return instead of the live view.")):
    """Write the stub into your workspace and start the clock (resumes if already started).

    In a terminal it stays open as a live view: the countdown, your visible examples rerun on every save,
    and keys to run, submit, get a hint or quit. Elsewhere (or with --no-live) it returns at once.
    """
    from runner.live import LiveView, live_possible

    p = practice()
    info = p.start(exercise_id, restart=restart)
    console = render.make_console()
    render.render_start(console, info)
    if not no_live and live_possible():
        LiveView(p, info, console).run()


@command("run")
def run(exercise_id: str | None = OptionalId, file: Path | None = FileOpt,
        plot: Path | None = typer.Option(None, "--plot", help="Also save the figures as a PNG (needs matplotlib).",
                                            dir_okay=False)):
    """Check your file against the visible examples only (quick, not scored)."""
    result = practice().run(exercise_id, file)
    render.render_run(render.make_console(), result)
    _save_plot(result.plots, plot)


@command("submit")
def submit(exercise_id: str | None = OptionalId, file: Path | None = FileOpt, as_json: bool = JsonOpt,
           reveal: bool = typer.Option(False, "--reveal", help="Show why each failed check failed, with the "
                                       "smallest input your code gets wrong where the check allows it."),
           plot: Path | None = typer.Option(None, "--plot", help="Also save the figures as a PNG (needs matplotlib).",
                                            dir_okay=False)):
    """Grade your file with the hidden checks and record the submission."""
    p = practice(settle=False)  # submit applies the mock deadline rules itself
    result = p.submit(exercise_id, file, reveal=reveal)
    if as_json:
        typer.echo(json.dumps(result.to_dict()))
        return
    exercise = p.bank.get(result.exercise)
    console = render.make_console()
    render.render_scorecard(console, result, exercise.title, reveal=reveal)
    if exercise.plots:
        figures = p.run(exercise.id, file).plots
        for figure in figures:
            render.render_plot(console, figure)
        _save_plot(figures, plot)


@command("status")
def status():
    """Show the active attempt and its time left."""
    render.render_status(render.make_console(), practice().status())


@command("history")
def history(exercise_id: str | None = typer.Argument(None, help="Only this exercise.", show_default=False),
            as_json: bool = JsonOpt):
    """Each exercise's attempts, best score and time to solve, then every submission."""
    summary, rows = practice().history(exercise_id)
    if as_json:
        keep = ("id", "exercise", "attempt_id", "file", "submitted_at", "elapsed_s", "state", "score", "points",
                "max_points", "error", "session_id", "counted", "automatic")
        typer.echo(json.dumps({"exercises": [dataclasses.asdict(e) for e in summary],
                               "submissions": [{k: getattr(s, k) for k in keep} for s in rows]}))
        return
    render.render_history(render.make_console(), summary, rows)


@command("stats")
def stats(as_json: bool = JsonOpt):
    """Your progress by topic, what is due for review (and when), and a chart of your scores over time."""
    p = practice()
    topics, graded = p.stats()
    plan = p.plan()
    if as_json:
        typer.echo(json.dumps({"topics": [dataclasses.asdict(t) for t in topics],
                               "scores": [{"submitted_at": s.submitted_at, "exercise": s.exercise, "score": s.score}
                                          for s in graded],
                               "reviews": [plan.card_dict(c) for c in plan.by_due]}))
        return
    render.render_stats(render.make_console(), topics, graded, plan)


@command("next")
def next_exercise(as_json: bool = JsonOpt):
    """Suggest what to practise next from your history (spaced repetition, FSRS): why, and how to start it."""
    p = practice()
    plan = p.plan()
    pick = plan.next
    exercise = p.bank.get(pick.exercise) if pick else None
    if as_json:
        typer.echo(json.dumps(dict(pick.to_dict(exercise.title, exercise.topic) if pick else {"exercise": None},
                                   due=len(plan.due), now=plan.now)))
        return
    render.render_next(render.make_console(), pick, exercise, plan)


@command("versions")
def versions(exercise_id: str = IdArg,
             show: int | None = typer.Option(None, "--show", help="Print saved version N."),
             restore: int | None = typer.Option(None, "--restore", help="Put version N back (your file is "
                                                "moved aside first).")):
    """List the saved versions of your file (every save the live view saw), show or restore one."""
    p = practice()
    if restore is not None:
        path, moved = p.restore(exercise_id, restore)
        render.make_console().print(f"Restored version {restore} into {path}" + (f"; previous file kept as {moved}"
                                                                                  if moved else ""), soft_wrap=True)
        return
    exercise, attempt, snapshots = p.versions(exercise_id)
    if show is not None:
        from runner.core import check_version

        check_version(exercise.id, show, snapshots)
        typer.echo(snapshots[show - 1].source, nl=False)
        return
    render.render_versions(render.make_console(), exercise, attempt, snapshots)


@command("hint")
def hint(exercise_id: str = IdArg):
    """Reveal the next hint (recorded, and shown on the scorecard)."""
    render.render_hint(render.make_console(), practice().hint(exercise_id))


@command("solution")
def solution(exercise_id: str = IdArg,
             yes: bool = typer.Option(False, "--yes", "-y", help="Show it without asking, even before submitting.")):
    """Show the reference solution and model answers."""
    p = practice()
    info = p.solution(exercise_id)
    if not info.submitted and not yes:
        if not sys.stdin.isatty():
            raise Aborted(f"you have not submitted {info.exercise.id} yet",
                          fix="Pass --yes to see the solution anyway.")
        if not typer.confirm(f"You have not submitted {info.exercise.id} yet. Show the solution anyway?"):
            raise Aborted("solution not shown")
    p.record_solution_viewed(exercise_id)
    render.render_solution(render.make_console(), info)


@command("presets", group=mock_app)
def mock_presets():
    """List the mock presets in the bank."""
    default, presets = practice(settle=False).mock.presets()
    render.render_presets(render.make_console(), default, presets)


@command("start", group=mock_app)
def mock_start(preset: str | None = typer.Option(None, "--preset", help="A preset from `practice mock presets`."),
               ids: str | None = typer.Option(None, "--ids", help="Comma-separated ids instead of a preset."),
               minutes: float | None = typer.Option(None, "--minutes", help="Total time; fractions allowed."),
               seed: int | None = typer.Option(None, "--seed", help="Seed for drawing the tasks.")):
    """Start a mock OA: draw the tasks, write their stubs and start one countdown."""
    if preset and ids:
        raise UsageError("give --preset or --ids, not both", fix="Drop one of them.")
    id_list = [i.strip() for i in ids.split(",") if i.strip()] if ids else None
    report = practice().mock.start(preset, id_list, minutes, seed, watch=True)
    render.render_session(render.make_console(), report)


@command("status", group=mock_app)
def mock_status(as_json: bool = JsonOpt):
    """Show the countdown and each task's score so far."""
    report = practice().mock.status()
    if as_json:
        typer.echo(json.dumps(report.to_dict()))
        return
    render.render_session(render.make_console(), report)


@command("finish", group=mock_app)
def mock_finish(as_json: bool = JsonOpt,
                export: Path | None = typer.Option(None, "--export", help="Also save the report as .html or .svg.",
                                                      dir_okay=False)):
    """End the session (early if time is left) and print the final report."""
    _check_export(export)
    p = practice()
    if export is not None and p.store.open_session() is None:
        raise NoAttempt("no mock session is running", fix="Export a finished one again with "
                        "`practice mock report [N] --export FILE`.")
    _final_report(p.mock.finish(), as_json, export)


@command("report", group=mock_app)
def mock_report(session_id: int | None = typer.Argument(None, help="Session number; the latest finished one "
                                                        "when left out.", show_default=False),
                as_json: bool = JsonOpt,
                export: Path | None = typer.Option(None, "--export", help="Also save the report as .html or .svg.",
                                                   dir_okay=False)):
    """Show the final report of a finished session again, and export it (.html page or .svg)."""
    _check_export(export)
    _final_report(practice().mock.past(session_id), as_json, export)


def _check_export(export: Path | None) -> None:
    if export is not None and export.suffix.lower() not in (".html", ".svg"):
        raise UsageError(f"cannot export to {export.name}", fix="Use a .html or .svg file name.")


def _final_report(report, as_json: bool, export: Path | None) -> None:
    if export is not None:
        render.export_session(report, export)
    if as_json:
        typer.echo(json.dumps(report.to_dict()))
        return
    render.render_session(render.make_console(), report, final=True)
    if export is not None:
        render.make_console().print(f"Saved the report to {export}")


@command("new")
def new(exercise_id: str = typer.Argument(..., help="The new exercise's id, e.g. 5A.", show_default=False),
        title: str | None = typer.Option(None, "--title", help="Its title."),
        topic: str | None = typer.Option(None, "--topic", help="Its main topic."),
        bank: Path | None = typer.Option(None, "--bank", help="Add it to this bank (see `practice bank init`).",
                                         file_okay=False, show_default=False)):
    """Scaffold an exercise in the bank (yaml, stub, hidden tests, reference, wrong/) that validates as is."""
    from runner.scaffold import scaffold

    STATE["bank"] = bank or STATE["bank"]
    p = practice(settle=False)
    written = scaffold(p.locations.bank, exercise_id, title, topic)
    render.render_scaffold(render.make_console(), p.locations.bank, exercise_id, written)


@command("validate")
def validate(exercise_ids: list[str] | None = typer.Argument(None, help="Ids to check; all when left out.",
                                                             show_default=False),
             jobs: int = typer.Option(2, "--jobs", "-j", help="Gradings in parallel."),
             mutants: bool = typer.Option(False, "--mutants", help="Mutation analysis instead: grade generated "
                                                                    "mutants of each reference, show survivors."),
             as_json: bool = typer.Option(False, "--json", help="With --mutants: print one JSON object.")):
    """Prove exercises sound: schema, reference 100, stub 0, wrong solutions rejected, determinism, timing."""
    from runner.validate import validate as run_validation

    p = practice(settle=False)
    console = render.make_console()
    if mutants:
        from runner.mutants import mutation_analysis

        reports = mutation_analysis(p.bank, exercise_ids or None, jobs,
                                    on_report=None if as_json else lambda r: render.render_mutants(console, r))
        if as_json:
            typer.echo(json.dumps({"exercises": [r.to_dict() for r in reports]}))
        if not all(r.ok for r in reports):
            raise typer.Exit(int(ExitStatus.ERROR))
        return
    reports, orphans = run_validation(p.bank, exercise_ids or None, jobs,
                                      on_report=lambda r: render.render_validation(console, r, p.bank.root))
    render.render_orphans(console, orphans, p.bank.root)
    failed = sum(not r.ok for r in reports) + bool(orphans)
    console.print(f"{len(reports) - sum(not r.ok for r in reports)} of {len(reports)} exercises valid"
                  + (f"; {len(orphans)} orphan files" if orphans else ""))
    if failed:
        raise typer.Exit(int(ExitStatus.ERROR))


@command("grade")
def grade(exercise_id: str = typer.Argument(..., help="Exercise id, or `merge` to join shard results.",
                                            show_default=False),
          paths: list[Path] = typer.Argument(..., help="Files, folders of files, or folders of student folders "
                                                       "(with `merge`: JSON-lines result files).",
                                             show_default=False),
          jobs: int = typer.Option(2, "--jobs", "-j", help="Submissions graded in parallel."),
          as_json: bool = typer.Option(False, "--json", help="One JSON line per submission on stdout."),
          csv_file: Path | None = typer.Option(None, "--csv", help="Also write a CSV of scores.", dir_okay=False),
          junit: Path | None = typer.Option(None, "--junit", help="Also write JUnit XML.", dir_okay=False),
          shard_spec: str | None = typer.Option(None, "--shard", help="Grade only shard I of N (I/N, e.g. in a "
                                                "CI matrix), or `auto` in a Slurm array or Kubernetes indexed Job; "
                                                "join with `grade merge`."),
          shard_count: int | None = typer.Option(None, "--shard-count", help="With --shard auto: how many shards "
                                                 "(a Kubernetes Job's completions; Slurm tells it itself).")):
    """Grade many submissions with the hidden checks, in parallel (instructors).

    Results go out as they finish: JSON lines on stdout (--json) and CSV rows (--csv), so an interrupted run
    keeps what was graded. Students are sharded by a stable hash of their name: any shard can be rerun alone.
    """
    from runner import batch

    if exercise_id.lower() == "merge":
        batch.check_writable(csv_file, junit)
        results = batch.read_json_lines(paths)
        exercise_name = results[0]["exercise"] if results else "merge"
        if csv_file:
            batch.write_csv(results, csv_file)
        if junit:
            batch.write_junit(results, junit, exercise_name)
        if as_json:
            for record in results:
                typer.echo(json.dumps(record))
    else:
        from runner.grading.client import GraderPool
        from runner.sandbox import layers

        one_file = len(paths) == 1 and paths[0].is_file()
        with GraderPool(jobs).start(1 if one_file else jobs) as pool:  # workers start while the class is read
            exercise = practice(settle=False).bank.get(exercise_id)
            layers.warn_if_weakest()  # hostile submissions could change grades here: say so once
            batch.check_writable(csv_file, junit)
            entries = batch.collect(exercise, paths)
            chosen = batch.resolve_shard(shard_spec, shard_count, os.environ)
            if chosen:
                entries = batch.shard(entries, *chosen)
            pool.start(len(entries))
            with batch.Reports(exercise.id, csv_file, junit) as reports:
                graded = render.run_with_progress(
                    lambda on_result: batch.grade_all(exercise, entries, jobs, on_result, pool=pool),
                    len(entries), echo_json=as_json, also=reports.add)
        results = [g.to_dict() for g in graded]
    render.render_batch(render.make_console(stderr=as_json), results, batch.summary(results), table=not as_json)


@command("gradescope", group=export_app)
def export_gradescope(exercise_id: str = IdArg,
                      output: Path = typer.Option(Path("autograder.zip"), "--output", "-o", dir_okay=False,
                                                  help="Where to write the zip."),
                      visibility: str = typer.Option("visible", "--visibility", help="When students see each "
                                                     "check: visible, hidden, after_due_date or after_published."),
                      total: float | None = typer.Option(None, "--total", help="Scale the score to this many points "
                                                         "(default: the exercise's own points).")):
    """Build a Gradescope autograder zip (setup.sh, run_autograder, hidden tests; no solutions)."""
    from runner.gradescope import export

    p = practice(settle=False)
    render.render_gradescope_export(render.make_console(),
                                    export(p.bank, p.bank.get(exercise_id), output, visibility, total))


@command("init", group=bank_app)
def bank_init(folder: Path = typer.Argument(..., help="Where to create the bank.", file_okay=False,
                                            show_default=False)):
    """Create an empty bank (exercises/, hidden_tests/, solutions/, schema docs, README) to fill with `new`."""
    from runner.config import builtin_bank
    from runner.scaffold import init_bank

    written = init_bank(folder, docs_from=builtin_bank())
    render.render_bank_init(render.make_console(), folder, written)


@command("show", group=bank_app)
def bank_show(as_json: bool = JsonOpt):
    """Say which bank is in use, where that choice came from, and how many exercises it has."""
    p = practice(settle=False)
    info = {"bank": str(p.locations.bank), "source": p.locations.bank_source, "exercises": len(p.bank.ids)}
    if as_json:
        typer.echo(json.dumps(info))
        return
    render.render_bank_info(render.make_console(), info)


def _save_plot(plots, path: Path | None) -> None:
    if path is None:
        return
    from runner.plots import save_png

    saved = save_png(list(plots), path)
    render.make_console().print(f"Saved {saved}")


def main() -> None:
    """Entry point for `python -m runner`."""
    app()

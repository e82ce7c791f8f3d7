"""A mock session's report as files: a real HTML page (title, date, the terminal's table and score) and an SVG,
both rendering offline; any finished session can be exported again with `practice mock report N --export F`."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from runner import render
from runner.cli import app
from runner.report_page import rows

runner = CliRunner()
FETCHES = re.compile(r"url\((?!#)|@import|<link|<script|src=|https?://(?!www\.w3\.org/)", re.I)  # url(#id): local


def fetches(markup: str):
    """Anything a browser would fetch or run (comments aside)."""
    return FETCHES.search(re.sub(r"<!--.*?-->", "", markup, flags=re.S))


class Page(HTMLParser):
    """What a browser would show: the title, the table's cells row by row, and the text."""

    def __init__(self):
        super().__init__()
        self.title, self.rows, self.text, self._in = "", [], [], []

    def handle_starttag(self, tag, attrs):
        self._in.append(tag)
        if tag == "tr":
            self.rows.append([])

    def handle_endtag(self, tag):
        while self._in and self._in.pop() != tag:
            pass

    def handle_data(self, data):
        if "title" in self._in:
            self.title += data
        if self._in and self._in[-1] in ("td", "th"):
            self.rows[-1].append(data)
        self.text.append(data)


def finished_sessions(practice_env, fixture_bank) -> None:
    """Session 1 scores 50 (D1 solved, H1 not); session 2 scores 0."""
    assert runner.invoke(app, ["mock", "start", "--ids", "D1,H1", "--minutes", "5"]).exit_code == 0
    shutil.copy(fixture_bank / "solutions/D1/reference.py", practice_env / "ws/mock-1/D1/double.py")
    assert runner.invoke(app, ["submit", "D1", "--json"]).exit_code == 0
    assert runner.invoke(app, ["mock", "finish"]).exit_code == 0
    assert runner.invoke(app, ["mock", "start", "--ids", "D1", "--minutes", "5"]).exit_code == 0
    assert runner.invoke(app, ["mock", "finish"]).exit_code == 0


def test_any_finished_session_exports_again_as_a_real_page(practice_env, fixture_bank, tmp_path):
    finished_sessions(practice_env, fixture_bank)
    page_path, svg_path = tmp_path / "one.html", tmp_path / "one.svg"
    out = runner.invoke(app, ["mock", "report", "1", "--export", str(page_path)])
    assert out.exit_code == 0, out.output
    assert "Session score 50/100" in out.stdout and "Earlier sessions" not in out.stdout  # session 2 came later
    html = page_path.read_text()
    assert not fetches(html)  # renders offline: nothing fetched, no script
    page = Page()
    page.feed(html)
    assert page.title == "Mock session 1 · custom · score 50/100"
    text = "".join(page.text)
    assert re.search(r"started \d{4}-\d{2}-\d{2} \d{2}:\d{2}", text) and "Session score 50/100" in text
    from runner.config import resolve_locations
    from runner.core import Practice

    report = Practice(resolve_locations(None)).mock.past(1)
    assert page.rows[0] == ["#", "Task", "Title", "Score", "Subs", "Counted at", "Hints"]
    assert [tuple(r) for r in page.rows[1:]] == rows(report)  # the terminal's table, cell for cell
    assert [r[1] for r in page.rows[1:]] == ["D1", "H1"] and page.rows[1][3] == "100"

    assert runner.invoke(app, ["mock", "report", "--export", str(svg_path)]).exit_code == 0  # the latest: 2
    svg = svg_path.read_text()
    assert svg.lstrip().startswith("<svg") and "Mock session 2" in svg.replace("&#160;", " ")
    assert "@font-face" not in svg
    assert not fetches(svg)
    latest = runner.invoke(app, ["mock", "report", "--json"]).stdout
    assert '"previous": [{"session": 1' in latest


def test_report_and_finish_say_what_to_do(practice_env, fixture_bank, tmp_path):
    out = runner.invoke(app, ["mock", "report"])
    assert out.exit_code == 1 and "no mock session has finished yet" in out.stderr
    finished_sessions(practice_env, fixture_bank)
    again = runner.invoke(app, ["mock", "finish", "--export", str(tmp_path / "r.html")])
    assert again.exit_code == 1 and "practice mock report" in again.stderr
    assert runner.invoke(app, ["mock", "report", "9"]).exit_code == 2
    assert runner.invoke(app, ["mock", "report", "1", "--export", str(tmp_path / "r.pdf")]).exit_code == 2


def chromium() -> str | None:
    return next((found for name in ("chromium", "chromium-browser", "chromium-headless-shell", "google-chrome")
                 if (found := shutil.which(name))), None)


@pytest.mark.skipif(chromium() is None, reason="no Chromium on this machine")
def test_headless_chromium_renders_the_page(practice_env, fixture_bank, tmp_path):
    finished_sessions(practice_env, fixture_bank)
    page_path = tmp_path / "report.html"
    assert runner.invoke(app, ["mock", "report", "1", "--export", str(page_path)]).exit_code == 0
    done = subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
                           page_path.as_uri()], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "<title>Mock session 1 · custom · score 50/100</title>" in done.stdout
    assert "Session score 50/100" in done.stdout and done.stdout.count("<tr>") == 3
    shot = tmp_path / "shot.png"
    subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", f"--screenshot={shot}",
                    "--window-size=900,600", page_path.as_uri()], capture_output=True, timeout=60)
    assert shot.is_file() and shot.stat().st_size > 1000


def test_export_session_writes_the_same_score(tmp_path, practice_env, fixture_bank):
    finished_sessions(practice_env, fixture_bank)
    from runner.config import resolve_locations
    from runner.core import Practice

    report = Practice(resolve_locations(None)).mock.past(2)
    render.export_session(report, Path(tmp_path / "two.html"))
    assert "Session score 0/100" in (tmp_path / "two.html").read_text()
    assert "Earlier sessions: 1, best 50, last 50 (-50 this time)." in (tmp_path / "two.html").read_text()

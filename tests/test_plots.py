"""Figures: terminal drawings, and PNG export through the optional matplotlib extra."""

from __future__ import annotations

import builtins
import io
import struct

import pytest
from rich.console import Console
from typer.testing import CliRunner

from runner.errors import PracticeError
from runner.plots import heatmap, line_chart, save_png
from runner.results import PlotData

LINE = PlotData(title="Error against angle", kind="line", xlabel="angle", ylabel="error",
                x=(0.0, 0.5, 1.0, 1.5), series={"measured": (0.1, 0.07, 0.03, 3.7e-34), "closed form": (0.1, 0.07,
                                                                                                         0.03, 0.0)})
GRID = PlotData(title="Patching", kind="heatmap", xlabel="position", ylabel="layer",
                grid=((0.0, 0.5, 1.0), (1.0, -0.5, 0.0)))


def text(renderable) -> str:
    console = Console(file=io.StringIO(), width=90, color_system=None)
    console.print(renderable)
    return console.file.getvalue()


def test_line_chart_draws_axes_legend_and_reads_tiny_values_as_zero():
    out = text(line_chart(LINE))
    assert "0.1 │" in out and "  0 │" in out
    assert "3.7e-34" not in out
    assert "• measured" in out and "x closed form" in out and "angle" in out


def test_heatmap_shades_each_cell():
    out = text(heatmap(GRID))
    assert out.count("██") == 2 and "layer" in out and "position" in out


def png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_png_is_a_valid_image_of_the_expected_size(tmp_path):  # CI installs the plots extra
    assert png_size(save_png([LINE], tmp_path / "one.png")) == (800, 500)
    assert png_size(save_png([LINE, GRID], tmp_path / "two.png", width_px=600, height_px=400)) == (1200, 400)


PATCHING = PlotData(title="Patching the first A back in (induction-2l; clean 0 13 7 5 9 11 20 6 13, corrupted 0 4 7 "
                           "...), logit difference recovered", kind="heatmap", xlabel="position",
                     ylabel="layer", grid=((0.1, 0.9, 0.2, -0.05), (0.0, 0.3, 0.8, 0.1), (-0.2, 0.0, 0.05, 0.6)))


def test_heatmap_figure_fits_its_title_ticks_rows_and_centres_the_colormap():
    import matplotlib.pyplot as plt

    from runner.plots import figure

    fig = figure([PATCHING, LINE])
    try:
        fig.canvas.draw()
        heat = fig.axes[0]
        box, page = heat.title.get_window_extent(), fig.bbox
        assert page.x0 <= box.x0 and box.x1 <= page.x1 / 2 and box.y1 <= page.y1, (box, page)  # not cut at edges
        assert "\n" in heat.get_title()  # wrapped, not shrunk to nothing
        assert list(heat.get_yticks()) == [0, 1, 2]  # one tick per row, not -0.5 … 2.5
        assert list(heat.get_xticks()) == [0, 1, 2, 3]
        image = heat.images[0]
        assert image.norm.vmin == -image.norm.vmax == -0.9  # symmetric: 0 is the colormap's middle (white)
        assert image.norm(0.0) == pytest.approx(0.5)
        assert fig.axes[1].get_title().startswith("Error against angle")
    finally:
        plt.close(fig)


def test_without_matplotlib_plot_says_how_to_get_it(monkeypatch, tmp_path):
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(PracticeError) as info:
        save_png([LINE], tmp_path / "x.png")
    assert "pip install -e '.[plots]'" in info.value.one_line()


@pytest.mark.slow
def test_4a_plots_appear_for_a_learners_own_solution(practice_env, monkeypatch, tmp_path):
    from runner.cli import app
    from runner.config import REPO_ROOT

    monkeypatch.setenv("PRACTICE_BANK", str(REPO_ROOT))
    runner = CliRunner()
    learner = tmp_path / "mine.py"
    learner.write_text((REPO_ROOT / "solutions/4A/reference.py").read_text())
    out = runner.invoke(app, ["run", "4A", "--file", str(learner), "--plot", str(tmp_path / "4a.png")])
    assert out.exit_code == 0, out.output
    assert out.stdout.count("• measured") == 2 and "could not draw" not in out.stdout
    width, height = png_size(tmp_path / "4a.png")
    assert height == 500 and width % 800 == 0
    submitted = runner.invoke(app, ["submit", "4A", "--file", str(learner)])
    assert "Score 100/100" in submitted.stdout and "│" in submitted.stdout

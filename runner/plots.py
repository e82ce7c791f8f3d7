"""Figures from exercise results: drawn in the terminal, or saved as PNG through matplotlib."""

from __future__ import annotations

import math
from pathlib import Path

from rich.console import Console
from rich.text import Text

from runner.errors import PracticeError
from runner.results import PlotData

MARKERS = "•x+o*#"
COLORS = ("cyan", "magenta", "yellow", "green", "blue", "red")
SHADES = " ░▒▓█"


def _finite(values) -> list[float]:
    return [v for v in values if math.isfinite(v)]


def _label(value: float, span: float) -> str:
    """Axis label: values negligible next to the axis span (e.g. 3.7e-34 on a 0..0.1 axis) read as 0."""
    return "0" if abs(value) <= 1e-9 * span else f"{value:.3g}"


def line_chart(plot: PlotData, width: int = 60, height: int = 14) -> Text:
    """Draw each series of a line plot as markers on a character grid with labelled axes."""
    xs = plot.x
    ys_all = _finite([y for series in plot.series.values() for y in series])
    if not xs or not ys_all:
        return Text("(nothing to plot)")
    x_lo, x_hi = min(xs), max(xs)
    y_lo, y_hi = min(ys_all), max(ys_all)
    if y_hi == y_lo:
        y_lo, y_hi = y_lo - 1, y_hi + 1
    if x_hi == x_lo:
        x_hi = x_lo + 1
    grid: list[list[tuple[str, str] | None]] = [[None] * width for _ in range(height)]
    for k, series in enumerate(plot.series.values()):
        for x, y in zip(xs, series):
            if not math.isfinite(y):
                continue
            col = round((x - x_lo) / (x_hi - x_lo) * (width - 1))
            row = height - 1 - round((y - y_lo) / (y_hi - y_lo) * (height - 1))
            grid[row][col] = (MARKERS[k % len(MARKERS)], COLORS[k % len(COLORS)])
    out = Text()
    span = max(abs(y_hi), abs(y_lo))
    top, bottom = _label(y_hi, span), _label(y_lo, span)
    label_width = max(len(top), len(bottom))
    for r, row in enumerate(grid):
        label = top if r == 0 else (bottom if r == height - 1 else "")
        out.append(f"{label:>{label_width}} │")
        for cell in row:
            out.append(cell[0], style=cell[1]) if cell else out.append(" ")
        out.append("\n")
    out.append(" " * label_width + " └" + "─" * width + "\n")
    x_span = max(abs(x_lo), abs(x_hi))
    left, right = _label(x_lo, x_span), _label(x_hi, x_span)
    out.append(" " * (label_width + 2) + left + right.rjust(width - len(left)) + "\n")
    out.append(" " * (label_width + 2) + plot.xlabel.center(width) + "\n")
    for k, name in enumerate(plot.series):
        out.append(f"  {MARKERS[k % len(MARKERS)]} ", style=COLORS[k % len(COLORS)])
        out.append(name)
    return out


def heatmap(plot: PlotData) -> Text:
    """Draw a 2-D grid with shaded blocks (two characters a cell), rows and columns numbered."""
    values = _finite([v for row in plot.grid for v in row])
    if not values:
        return Text("(nothing to plot)")
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0
    out = Text()
    ncols = max(len(row) for row in plot.grid)
    out.append("     " + "".join(f"{c:<2d}"[:2] for c in range(ncols)) + f"   {plot.xlabel}\n")
    for r, row in enumerate(plot.grid):
        out.append(f"{r:>3d}  ")
        for v in row:
            if not math.isfinite(v):
                out.append("??", style="red")
                continue
            level = (v - lo) / span
            shade = SHADES[min(len(SHADES) - 1, int(level * len(SHADES)))]
            out.append(shade * 2, style="red" if v > 0 else "blue")
        out.append("\n")
    out.append(f"rows: {plot.ylabel}   scale: '{SHADES[1]}' {lo:.3g} … '{SHADES[-1]}' {hi:.3g}")
    return out


def render_plot(console: Console, plot: PlotData) -> None:
    console.print(Text(plot.title, style="bold"))
    if plot.error:
        console.print(Text(f"  could not draw: {plot.error}", style="red"))
        return
    console.print(heatmap(plot) if plot.kind == "heatmap" else line_chart(plot))


def figure(plots: list[PlotData], width_px: int = 800, height_px: int = 500):
    """A matplotlib figure with the plots side by side: titles wrapped to fit their panel, heatmaps with a tick
    per row and column and a diverging colormap centred on 0 (needs matplotlib)."""
    import textwrap

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise PracticeError("--plot needs matplotlib", fix="Install it with `pip install -e '.[plots]'`.") from None
    drawable = [p for p in plots if not p.error]
    if not drawable:
        raise PracticeError("this exercise produced no figure to save", fix="Run `practice run ID` to see why.")
    dpi = 100
    fig, axes = plt.subplots(1, len(drawable), figsize=(width_px * len(drawable) / dpi, height_px / dpi), dpi=dpi,
                             squeeze=False, layout="constrained")
    for ax, plot in zip(axes[0], drawable):
        if plot.kind == "heatmap":
            rows = [[v if math.isfinite(v) else math.nan for v in row] for row in plot.grid]
            reach = max((abs(v) for row in rows for v in row if math.isfinite(v)), default=0.0) or 1.0
            image = ax.imshow(rows, cmap="RdBu_r", vmin=-reach, vmax=reach, aspect="auto", interpolation="nearest")
            fig.colorbar(image, ax=ax)
            ncols = max(len(row) for row in rows)
            ax.set_yticks(range(len(rows)))
            ax.set_xticks(range(0, ncols, max(1, math.ceil(ncols / 20))))
        else:
            for name, ys in plot.series.items():
                ax.plot(plot.x, ys, marker="o", markersize=3, label=name)
            ax.legend()
        ax.set_title(plot.title, fontsize=12)
        ax.set_xlabel(plot.xlabel)
        ax.set_ylabel(plot.ylabel)
    for ax, plot in zip(axes[0], drawable):  # wrap each title until it fits its panel, measured as drawn
        chars = len(plot.title)
        for _ in range(4):
            fig.canvas.draw()
            box = ax.title.get_window_extent()
            panel = fig.bbox.width / len(drawable) - 24
            if box.width <= panel and box.x0 >= 0 and box.x1 <= fig.bbox.width:
                break
            chars = max(20, min(chars - 8, int(chars * panel / max(box.width, 1.0)) - 2))
            ax.set_title("\n".join(textwrap.wrap(plot.title, chars)), fontsize=12)
    return fig


def save_png(plots: list[PlotData], path: Path, width_px: int = 800, height_px: int = 500) -> Path:
    """Save the figures side by side as one PNG of width_px × height_px per figure (needs matplotlib)."""
    fig = figure(plots, width_px, height_px)  # first: it says how to get matplotlib if it is missing
    import matplotlib.pyplot as plt

    path = Path(path)
    fig.savefig(path, dpi=fig.dpi)
    plt.close(fig)
    return path

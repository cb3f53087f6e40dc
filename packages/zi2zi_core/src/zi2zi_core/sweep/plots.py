"""PNG charts of a sweep drawn with PIL: line charts (one panel per batch size, one colour per
G/D pair) and a horizontal bar chart of final val L1 and D-loss spread per run.

Kept deliberately plain: axes with "nice" ticks, a legend, titles. Pillow is already a
dependency; a plotting library is not.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from glyphrender.atomic import atomic_path
from PIL import Image, ImageDraw, ImageFont

# Distinguishable colours (Tableau 10 + 6 more), one per G/D pair.
PALETTE = [
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
    (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
    (0, 0, 128), (128, 0, 0), (0, 100, 0), (255, 0, 255), (0, 0, 0), (255, 180, 0),
]  # fmt: skip
WHITE, BLACK, GREY, LIGHT = (255, 255, 255), (0, 0, 0), (120, 120, 120), (225, 225, 225)
RED = (200, 0, 0)


def _font(size: int) -> ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: a fixed bitmap font
        return ImageFont.load_default()


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """About ``count`` round tick values covering [lo, hi] (steps of 1, 2 or 5 x 10^k)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0]
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(count, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    first = math.floor(lo / step) * step
    ticks = []
    t = first
    while t <= hi + step * 1e-9:
        ticks.append(round(t, 12))
        t += step
    if ticks[-1] < hi:
        ticks.append(round(ticks[-1] + step, 12))
    return ticks


def _tick_label(value: float) -> str:
    return f"{value:g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.1e}"


def pair_key(run: dict[str, Any]) -> str:
    return f"G {run['g']} / D {run['d']}"


def colours(
    runs: list[dict[str, Any]], key: Callable[[dict[str, Any]], str] = pair_key
) -> dict[str, tuple[int, int, int]]:
    """One colour per ``key`` (the G/D pair), in order of first appearance (stable across
    panels)."""
    out: dict[str, tuple[int, int, int]] = {}
    for run in runs:
        name = key(run)
        if name not in out:
            out[name] = PALETTE[len(out) % len(PALETTE)]
    return out


def _text_width(draw: ImageDraw.ImageDraw, text: str, font) -> int:
    left, _, right, _ = draw.textbbox((0, 0), text, font=font)
    return right - left


def _panel(
    draw: ImageDraw.ImageDraw,
    box: tuple[int, int, int, int],
    title: str,
    series: list[tuple[tuple[int, int, int], list[float], list[float]]],
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    x_label: str,
    y_label: str,
    font,
    small,
    hline: tuple[float, str] | None = None,
) -> None:
    """One line chart inside ``box`` (left, top, right, bottom); ``hline``: a dashed
    reference line (value, label)."""
    left, top, right, bottom = box
    pl, pt, pr, pb = left + 58, top + 26, right - 10, bottom - 40
    draw.text(((left + right) // 2, top + 4), title, fill=BLACK, font=font, anchor="mt")
    xt = nice_ticks(*x_range)
    yt = nice_ticks(*y_range)
    x0, x1, y0, y1 = xt[0], xt[-1], yt[0], yt[-1]

    def px(x: float) -> float:
        return pl + (x - x0) / ((x1 - x0) or 1) * (pr - pl)

    def py(y: float) -> float:
        return pb - (y - y0) / ((y1 - y0) or 1) * (pb - pt)

    for t in yt:
        y = py(t)
        draw.line([(pl, y), (pr, y)], fill=LIGHT)
        draw.text((pl - 4, y), _tick_label(t), fill=BLACK, font=small, anchor="rm")
    for t in xt:
        x = px(t)
        draw.line([(x, pb), (x, pb + 4)], fill=BLACK)
        draw.text((x, pb + 6), _tick_label(t), fill=BLACK, font=small, anchor="mt")
    draw.rectangle([pl, pt, pr, pb], outline=BLACK)
    draw.text(((pl + pr) // 2, bottom - 4), x_label, fill=BLACK, font=small, anchor="mb")
    draw.text((left + 2, top + 6), y_label, fill=BLACK, font=small)
    if hline is not None and y0 <= hline[0] <= y1:
        y = py(hline[0])
        for xs in range(int(pl), int(pr), 12):  # dashed
            draw.line([(xs, y), (min(xs + 6, pr), y)], fill=GREY, width=2)
        draw.text((pr - 4, y - 3), hline[1], fill=GREY, font=small, anchor="rb")
    for colour, xs, ys in series:
        points = [(px(x), py(y)) for x, y in zip(xs, ys, strict=True) if y is not None]
        if len(points) >= 2:
            draw.line(points, fill=colour, width=2)
        for x, y in points[-1:]:
            draw.ellipse([x - 2.5, y - 2.5, x + 2.5, y + 2.5], fill=colour)


def _legend(draw, origin: tuple[int, int], entries, font) -> None:
    x, y = origin
    for label, colour in entries:
        draw.line([(x, y + 7), (x + 22, y + 7)], fill=colour, width=3)
        draw.text((x + 28, y), label, fill=BLACK, font=font)
        y += 18


def line_chart(
    runs: list[dict[str, Any]],
    path: Path,
    title: str,
    series_of,  # run -> (xs, ys)
    y_label: str,
    hline: tuple[float, str] | None = None,
    x_label: str = "step",
    key: Callable[[dict[str, Any]], str] = pair_key,
) -> Path:
    """Panels per batch size, one line per run coloured by its ``key`` (the G/D pair), a
    shared legend."""
    font, small = _font(15), _font(12)
    batches = sorted({r["batch_size"] for r in runs if r["batch_size"] is not None}) or [None]
    colour_of = colours(runs, key)
    all_x = [x for r in runs for x in series_of(r)[0]]
    all_y = [y for r in runs for y in series_of(r)[1] if y is not None]
    x_range = (0.0, float(max(all_x, default=1)))
    if hline is not None:
        all_y.append(hline[0])
    y_range = (float(min(all_y, default=0)), float(max(all_y, default=1)))
    pw, ph = 380, 320
    scratch = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    legend_w = max(_text_width(scratch, k, small) for k in colour_of) + 50
    width = pw * len(batches) + legend_w + 20
    height = max(ph + 40, 50 + 18 * len(colour_of))
    img = Image.new("RGB", (width, height), WHITE)
    draw = ImageDraw.Draw(img)
    draw.text((10, 8), title, fill=BLACK, font=font)
    for i, batch in enumerate(batches):
        members = [r for r in runs if r["batch_size"] == batch]
        series = [(colour_of[key(r)], *series_of(r)) for r in members]
        _panel(
            draw,
            (i * pw + 5, 34, (i + 1) * pw, 34 + ph),
            f"batch {batch}",
            series,
            x_range,
            y_range,
            x_label,
            y_label,
            font,
            small,
            hline,
        )
    _legend(draw, (pw * len(batches) + 15, 50), list(colour_of.items()), small)
    return _save(img, path)


def stability_chart(runs: list[dict[str, Any]], path: Path) -> Path:
    """Per batch size: horizontal bars of final val L1 (copy-source L1 dashed) and of D-loss
    spread for each run, with the number of D collapse events in red; an unfinished run's
    label says the step it reached (its numbers are not comparable)."""
    font, small = _font(15), _font(12)
    colour_of = colours(runs)
    batches = sorted({r["batch_size"] for r in runs if r["batch_size"] is not None})
    scratch = ImageDraw.Draw(Image.new("RGB", (1, 1)))

    def label(r: dict[str, Any]) -> str:
        if r["status"] == "finished":
            return pair_key(r)
        return f"{pair_key(r)} (at step {r['last_step']}/{r['steps_target']})"

    label_w = max((_text_width(scratch, label(r), small) for r in runs), default=100) + 16
    bar_w, row_h = 300, 18
    rows = sum(len([r for r in runs if r["batch_size"] == b]) + 2 for b in batches)
    width = label_w + 2 * (bar_w + 90) + 20
    height = 70 + rows * row_h + 20
    img = Image.new("RGB", (width, height), WHITE)
    draw = ImageDraw.Draw(img)
    draw.text((10, 8), "Stability per batch size", fill=BLACK, font=font)
    copy_l1 = next((r["baseline"]["val_l1"] for r in runs if r["baseline"]), None)
    l1_max = max([r["final"]["val_l1"] for r in runs if r["final"]] + [copy_l1 or 0]) or 1.0
    sp_max = max((r["d_adv_spread"] or 0 for r in runs), default=1.0) or 1.0
    col1 = label_w
    col2 = label_w + bar_w + 90
    l1_title = "final val L1 (lower is better)"
    if copy_l1 is not None:
        l1_title += f"; dashed: copy source {copy_l1:.4f}"
    draw.text((col1, 32), l1_title, fill=BLACK, font=small)
    top_y = 56
    draw.text(
        (col2, 32),
        "D-loss spread (std of d_adv, 2nd half); red: D collapses",
        fill=BLACK,
        font=small,
    )
    y = 56
    for batch in batches:
        members = sorted(
            [r for r in runs if r["batch_size"] == batch],
            key=lambda r: r["final"]["val_l1"] if r["final"] else math.inf,
        )
        draw.text((8, y), f"batch {batch}", fill=BLACK, font=font)
        draw.line([(8, y + row_h + 2), (width - 10, y + row_h + 2)], fill=GREY)
        y += row_h + 6
        for r in members:
            colour = colour_of[pair_key(r)]
            draw.text((col1 - 8, y + 1), label(r), fill=BLACK, font=small, anchor="ra")
            if r["final"]:
                v = r["final"]["val_l1"]
                draw.rectangle(
                    [col1, y + 2, col1 + max(1, v / l1_max * bar_w), y + row_h - 3], fill=colour
                )
                # Values in a column after the bars, clear of the copy-source line.
                draw.text((col1 + bar_w + 6, y + 1), f"{v:.4f}", fill=BLACK, font=small)
            s = r["d_adv_spread"]
            if s is not None:
                draw.rectangle(
                    [col2, y + 2, col2 + max(1, s / sp_max * bar_w), y + row_h - 3], fill=colour
                )
                draw.text(
                    (col2 + s / sp_max * bar_w + 4, y + 1), f"{s:.3g}", fill=BLACK, font=small
                )
            n = len(r["collapse_events"])
            if n:
                draw.text((width - 40, y + 1), f"x{n}", fill=RED, font=small)
            y += row_h
        y += row_h - 6
    if copy_l1 is not None:  # dashed vertical line over all the L1 bars
        x = col1 + copy_l1 / l1_max * bar_w
        for ys in range(top_y, y, 10):
            draw.line([(x, ys), (x, min(ys + 5, y))], fill=BLACK, width=1)
    return _save(img, path)


def _save(img: Image.Image, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path, "the plot") as tmp:
        img.save(tmp, format="PNG")
    return path


def draw_all(runs: list[dict[str, Any]], plots_dir: Path) -> list[Path]:
    """val_l1.png, d_loss.png, g_l1.png and stability.png under ``plots_dir``."""

    def val_l1(r):
        return [v["step"] for v in r["val_curve"]], [v["val_l1"] for v in r["val_curve"]]

    def d_adv(r):
        return r["train_curve"]["step"], r["train_curve"]["d_adv"]

    def g_loss(r):
        return r["train_curve"]["step"], r["train_curve"]["g_loss"]

    base = next((r["baseline"]["val_l1"] for r in runs if r["baseline"]), None)
    copy_line = (base, f"copy source {base:.4f}") if base is not None else None
    return [
        line_chart(
            runs,
            plots_dir / "val_l1.png",
            "Val L1 of the EMA generator",
            val_l1,
            "val L1",
            copy_line,
        ),
        line_chart(
            runs,
            plots_dir / "d_loss.png",
            "Discriminator adversarial loss (per tick)",
            d_adv,
            "d_adv",
        ),
        line_chart(
            runs, plots_dir / "g_loss.png", "Generator total loss (per tick)", g_loss, "g_loss"
        ),
        stability_chart(runs, plots_dir / "stability.png"),
    ]

"""report.html as a reader sees it: rendered by headless Chromium, not only parsed as text. The other report tests
check that the figures' SVG is in the file; only a browser shows whether it draws (an escaped or truncated SVG,
a figure hidden or pushed off the page, still passes a text check). CI installs Debian's `chromium`
(`.ci/setup-env --system`); without it this test fails rather than skips, so CI cannot pass without rendering.

How a figure is judged without golden images (which break with every Chromium or matplotlib update): each figure
is rendered alone (everything else on the page `visibility: hidden`, so the layout is the real page's), and its
drawn pixels must (a) include coloured ones (the data: matplotlib's tab:blue/red, the C0–C2 cycle and the RdBu
map; text, axes and tables are black or grey) and (b) span about the size its SVG declares (matplotlib's tight
bounding box puts tick labels, title and colour bar at the edges, so a partly drawn figure is smaller). The last
test runs the same checks on broken copies of the page to show that they fail there."""

from __future__ import annotations

import csv
import html
import json
import random
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

WIDTH, HEIGHT = 1200, 4000  # the window, so the screenshot; tall enough for the whole test report
CONTENT_WIDTH = 1100  # write.py's body max-width; `figure svg{max-width:100%}` scales wider figures down to it
FIGURES = ("forest", "heatmap", "success")
INK = 235  # a pixel whose darkest channel is below this is drawn on (the page is white)
COLOURED = 60  # ... and coloured when its channels differ by more than this (grey text and axes do not)
MIN_COLOURED = 1000  # coloured pixels a figure needs; the test report's smallest (success) has about 2000
SIZE_FRACTION = 0.8  # drawn extent / declared size; tight bounding boxes give ~0.95, a truncated figure less


@dataclass
class Drawn:
    """What a screenshot shows: pixels drawn on, coloured ones, and the box around the drawn ones."""

    ink: int
    coloured: int
    box: tuple[int, int, int, int] | None  # left, top, right, bottom (inclusive), None when blank


def _measure(png: Path) -> Drawn:
    rgb = np.asarray(Image.open(png).convert("RGB")).astype(int)
    ink = rgb.min(axis=2) < INK
    coloured = (rgb.max(axis=2) - rgb.min(axis=2)) > COLOURED
    ys, xs = np.nonzero(ink)
    box = (int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())) if len(xs) else None
    return Drawn(int(ink.sum()), int(coloured.sum()), box)


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("headless Chromium is missing: run `.ci/setup-env --system` (installs Debian's `chromium`)")
    return found


def _render(chromium: str, page: str, work: Path, name: str) -> tuple[Path, str]:
    """Screenshot of `page` (HTML text) and Chromium's DOM after parsing it."""
    src, png = work / f"{name}.html", work / f"{name}.png"
    src.write_text(page, encoding="utf-8")
    cmd = [
        chromium,
        "--headless",
        "--no-sandbox",  # root in a container: no user namespaces for the sandbox
        "--disable-gpu",
        "--disable-dev-shm-usage",  # containers' /dev/shm is often 64 MB
        "--hide-scrollbars",
        "--force-device-scale-factor=1",  # one CSS pixel per screenshot pixel, whatever the host's DPI
        f"--user-data-dir={work / f'profile-{name}'}",  # own profile: parallel runs would share the default one
        f"--window-size={WIDTH},{HEIGHT}",
        f"--screenshot={png}",
        "--dump-dom",
        src.as_uri(),
    ]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
    assert run.returncode == 0 and png.is_file(), f"chromium failed ({run.returncode}):\n{run.stderr[-3000:]}"
    return png, run.stdout


def _figure_svg(page: str, name: str) -> str:
    found = re.search(rf"<figure id='{name}'>(.*?)</figure>", page, flags=re.S)
    assert found, f"report.html has no <figure id='{name}'>"
    return found[1]


def _alone(page: str, name: str) -> str:
    """The page with everything but one figure hidden; hidden elements keep their place, so the layout is the same."""
    style = f"<style>body *{{visibility:hidden}}#{name},#{name} *{{visibility:visible}}</style>"
    return page.replace("</head>", style + "</head>", 1)


def _expected_size(page: str, name: str) -> tuple[float, float]:
    """The figure's size in CSS pixels, from its SVG's width and height (matplotlib writes points)."""
    tag = re.match(r"\s*<svg[^>]*>", _figure_svg(page, name))
    assert tag, f"figure {name} does not start with <svg>"
    w, h = (float(re.search(rf'\b{a}="([\d.]+)pt"', tag[0])[1]) * 96 / 72 for a in ("width", "height"))
    scale = min(1.0, CONTENT_WIDTH / w)
    return w * scale, h * scale


def _problems(drawn: Drawn, expected: tuple[float, float]) -> list[str]:
    """What is wrong with one figure rendered alone; empty when it looks drawn in full."""
    if drawn.box is None:
        return ["nothing drawn"]
    out = []
    if drawn.coloured < MIN_COLOURED:
        out.append(f"{drawn.coloured} coloured pixels (< {MIN_COLOURED}): the data are not drawn")
    left, top, right, bottom = drawn.box
    width, height = right - left + 1, bottom - top + 1
    for what, got, want in (("wide", width, expected[0]), ("tall", height, expected[1])):
        if not SIZE_FRACTION * want <= got <= want + 2:
            out.append(f"{got} px {what}, its SVG declares {want:.0f}: drawn in part, or not as a figure")
    if right >= WIDTH - 1 or bottom >= HEIGHT - 1:
        out.append(f"reaches the window's edge {drawn.box}: cut off")
    return out


def _trial_table(path: Path) -> None:
    """3 arms x 2 seeds x 3 targets x 10 trials; arm a clearly better than the baseline, b a little worse."""
    rng = random.Random(0)
    rates = {"baseline": (0.5, 0.4, 0.6), "a": (0.8, 0.7, 0.9), "b": (0.4, 0.3, 0.5)}
    targets = (("panda", "lift"), ("ur5e", "lift"), ("kinova3", "lift"))
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["arm", "seed", "embodiment", "task", "trial", "success", "progress"])
        for arm, ps in rates.items():
            for seed in (0, 1):
                for (robot, task), p in zip(targets, ps, strict=True):
                    for trial in range(10):
                        ok = rng.random() < p
                        out.writerow([arm, seed, robot, task, trial, int(ok), 1.0 if ok else round(rng.random(), 2)])


def _without_figures(page: str) -> str:
    return re.sub(r"<figure id='\w+'>.*?</figure>", "", page, flags=re.S)


def _escaped(page: str, name: str) -> str:
    """One figure's SVG escaped, so it shows as markup text (a double-escaping bug)."""
    svg = _figure_svg(page, name)
    return page.replace(svg, html.escape(svg), 1)


def _truncated(page: str, name: str) -> str:
    """One figure's SVG cut after its first third (a partly written figure; the HTML parser closes the tags)."""
    svg = _figure_svg(page, name)
    return page.replace(svg, svg[: len(svg) // 3], 1)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Build a report through the real CLI, then render it, each figure alone, and broken copies, in parallel."""
    chromium = _chromium()
    work = tmp_path_factory.mktemp("html_render")
    _trial_table(work / "trials.csv")
    cmd = [sys.executable, "-m", "ablate.cli.main", "report", "trials.csv", "--baseline", "baseline"]
    cmd += ["--out", "out", "--resamples", "1000"]
    run = subprocess.run(cmd, cwd=work, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    page = (work / "out" / "report.html").read_text(encoding="utf-8")
    pages = {"page": page, "no figures": _without_figures(page)}
    pages |= {f"{name} alone": _alone(page, name) for name in FIGURES}
    pages["forest escaped"] = _alone(_escaped(page, "forest"), "forest")
    pages["heatmap truncated"] = _alone(_truncated(page, "heatmap"), "heatmap")
    # Chromium takes 1-2 s a page, mostly start-up; three at a time keeps the test near 10 s on two cores.
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {
            key: pool.submit(_render, chromium, text, work, key.replace(" ", "-")) for key, text in pages.items()
        }
        shots = {key: f.result() for key, f in futures.items()}
    return {
        "page": page,
        "result": json.loads((work / "out" / "results.json").read_text()),
        "dom": shots["page"][1],
        "drawn": {key: _measure(png) for key, (png, _) in shots.items()},
        "size": Image.open(shots["page"][0]).size,
    }


def test_the_page_renders_with_its_verdicts(rendered):
    assert rendered["size"] == (WIDTH, HEIGHT)
    drawn = rendered["drawn"]["page"]
    assert drawn.box is not None and drawn.ink > 0.01 * WIDTH * HEIGHT, f"the page is (nearly) blank: {drawn}"
    # The DOM Chromium built, unescaped to text: every verdict a reader should see, and each figure as SVG.
    text = html.unescape(re.sub(r"<[^>]+>", "", rendered["dom"]))
    assert rendered["result"]["verdicts"], "the test report should have verdicts"
    for verdict in rendered["result"]["verdicts"]:
        assert verdict in text
    for name in FIGURES:
        figure = re.search(rf'<figure id="{name}">(.*?)</figure>', rendered["dom"], flags=re.S)
        assert figure and figure[1].lstrip().startswith("<svg"), f"no SVG in figure {name} of the rendered DOM"
        assert figure[1].count("<path") > 10, f"figure {name}'s SVG has almost no paths"


@pytest.mark.parametrize("name", FIGURES)
def test_each_figure_is_drawn_in_full(rendered, name):
    drawn = rendered["drawn"][f"{name} alone"]
    problems = _problems(drawn, _expected_size(rendered["page"], name))
    assert not problems, f"figure {name}: {'; '.join(problems)} ({drawn})"


def test_the_figures_are_visible_in_order_without_overlapping(rendered):
    boxes = [rendered["drawn"][f"{name} alone"].box for name in FIGURES]
    assert all(boxes), f"a figure draws nothing: {dict(zip(FIGURES, boxes, strict=True))}"
    for upper, lower in pairwise(boxes):
        assert upper[3] < lower[1], f"figures overlap or are out of order: {boxes}"
    # On the real page nothing covers them: its coloured pixels are (about) the figures' own.
    alone = sum(rendered["drawn"][f"{name} alone"].coloured for name in FIGURES)
    assert rendered["drawn"]["page"].coloured >= 0.9 * alone, (rendered["drawn"]["page"], alone)


def test_the_checks_fail_on_broken_figures(rendered):
    """The checks above are not vacuous: a page without figures, an escaped SVG and a truncated one fail them."""
    drawn = rendered["drawn"]
    assert drawn["no figures"].coloured < 0.01 * drawn["page"].coloured, drawn["no figures"]
    assert _problems(drawn["forest escaped"], _expected_size(rendered["page"], "forest"))
    assert _problems(drawn["heatmap truncated"], _expected_size(rendered["page"], "heatmap"))

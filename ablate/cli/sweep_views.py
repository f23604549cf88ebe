"""How the sweep commands print: rich tables of plans, runs and success, the launch's progress bars (drawn from the
library's `Progress` events), and the closing summary of a sweep."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.progress import Progress as Bars
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:  # the API loads when a command runs, not when the CLI starts
    from ablate.api import LaunchPreview, Progress, SweepResult, SweepStatus

LOG_EVERY_S = 30.0  # progress lines when the output is not a terminal (a log file, CI)
COLORS = {"done": "green", "failed": "red", "running": "cyan", "pending": "yellow", "unknown": "magenta"}


def plan_table(p) -> Table:
    table = Table(title=f"{p.spec.name} — recipe {p.spec.recipe}")
    table.add_column("arm")
    table.add_column("name")
    for factor in p.spec.factors:
        table.add_column(factor)
    table.add_column("budget per stage")
    for arm in p.arms:
        stages = "; ".join(
            f"{s.stage}: {s.steps} steps × {s.batch_size} = {s.planned:g} {s.unit}"
            if s.steps is not None
            else f"{s.stage}: {s.planned:g} {s.unit} (time-bound)"
            for s in arm.budget
        )
        table.add_row(arm.id, arm.name, *arm.levels.values(), stages)
    return table


def status_table(statuses) -> Table:
    table = Table()
    for col in ("run", "state", "job", "stage", "consumed", "last metric"):
        table.add_column(col)
    for s in statuses:
        consumed = f"{s.consumed:g}/{s.planned:g} {s.unit}"
        state = f"[{COLORS.get(s.state, 'white')}]{s.state}[/]" + (f" ×{s.attempts}" if s.attempts > 1 else "")
        table.add_row(s.run.name, state, s.job_id or "-", s.stage or "-", consumed, s.metric)
    return table


def print_status(console: Console, status: SweepStatus) -> None:
    """The run table, the error tail of every failed run, and the count per state."""
    console.print(status_table(status.runs))
    for s in status.runs:
        if s.state in ("failed", "unknown") and s.error:
            console.print(f"[red]{s.run.name} failed:[/]", markup=True)
            console.print(s.error, markup=False, highlight=False, soft_wrap=True)
    console.print(", ".join(f"{n} {k}" for k, n in status.counts.items()))


def print_preview(console: Console, preview: LaunchPreview) -> None:
    """`ablate run --dry-run`: the plan, the runs it would launch, and on Slurm the sbatch scripts."""
    p, settings = preview.plan, preview.launcher
    if not preview.tuned:
        console.print("[yellow]not tuned yet: the arms below carry the recipe's values (see `ablate tune`)[/]")
    console.print(plan_table(p))
    console.print(
        f"dry run: would launch {len(preview.todo)} of {len(p.runs)} runs on {settings.kind} into {preview.sweep_dir}"
    )
    for r in preview.todo:
        budget = p.arm(r.arm).budget
        stages = " + ".join(f"{s.stage} {s.steps if s.steps is not None else s.planned:g}" for s in budget)
        unit = "steps" if all(s.steps is not None for s in budget) else p.spec.budget.unit
        console.print(f"  {r.id}  {r.name}  ({stages} {unit})")
    if preview.sbatch:
        console.print(
            f"[bold]sbatch script[/] (profile {settings.profile_path}; one array of {len(preview.todo)} tasks, "
            f"at most {settings.profile.array_parallelism} at once):"
        )
        console.print(preview.sbatch, markup=False, highlight=False, soft_wrap=True)
    if preview.report_sbatch:
        console.print("[bold]then the report job[/] (one CPU task; starts when every task of the array has ended):")
        console.print(preview.report_sbatch, markup=False, highlight=False, soft_wrap=True)


def print_result(console: Console, result: SweepResult) -> None:
    """After a launch: the runs, closed-loop success per arm, the report's verdicts and the paths written."""
    console.print(status_table(result.runs))
    lines = [f"sweep dir: {result.sweep_dir}", f"manifest:  {result.manifest}", f"MLflow:    {result.tracking_uri}"]
    if result.success is not None:
        console.print(success_table(result.success))
        lines.append(
            f"trials:    {result.trials_dir} ({result.trial_rows} rows of this plan's runs; "
            "pandas.read_parquet reads the folder)"
        )
    if result.report_written:
        if result.confirmatory:
            console.print("[bold]confirmatory verdicts[/bold] (pre-registered; frozen with the spec):")
            for line in result.confirmatory:
                console.print(f"  - {line}", highlight=False, markup=False)
        label = "exploratory verdicts" if result.confirmatory else "verdicts"
        console.print(f"[bold]{label}[/bold] (ablate report; methods in report.md):")
        for line in result.verdicts:
            console.print(f"  - {line}", highlight=False, markup=False)  # labels hold [factor=level]
        lines.append(f"report:    {result.report_html} (also report.md, tables.tex, results.json)")
    elif result.report_withheld:
        console.print(result.report_withheld, highlight=False, markup=False, soft_wrap=True)
    console.print("\n".join(lines), soft_wrap=True)  # paths whole, to copy from a terminal or a log
    console.print(f"next: ablate status {result.sweep_dir}   ·   ablate audit {result.sweep_dir}", soft_wrap=True)


def success_table(summary) -> Table:
    levels = [c for c in summary.columns if c not in ("successes", "trials", "rate", "per_seed")]
    out = Table(title="closed-loop success per arm (successes/trials over all seeds; descriptive, no test)")
    for col in [*levels, "success", "rate", "per seed"]:
        out.add_column(col)
    for _, row in summary.iterrows():
        out.add_row(*(str(row[c]) for c in levels), f"{row.successes}/{row.trials}", f"{row.rate:.2f}", row.per_seed)
    return out


class LaunchDisplay:
    """The `on_progress` callback of the CLI: runs and budget as progress bars on a terminal (a progress line every
    30 s otherwise), every other event as a line above them. Use as a context manager."""

    def __init__(self, console: Console):
        self.console = console
        self.bars: Bars | None = None
        self.last_line = 0.0

    def __enter__(self) -> LaunchDisplay:
        return self

    def __exit__(self, *exc) -> None:
        if self.bars is not None:
            self.bars.stop()
            self.bars = None

    def __call__(self, event: Progress) -> None:
        if event.kind == "tick":
            self._tick(event)
        elif event.kind == "run":  # "  done   NAME  METRIC" / "  failed NAME  ERROR": the word in colour
            text = Text(event.message)
            word = event.run.state if event.run is not None else ""
            at = event.message.find(word) if word else -1
            if at >= 0:
                text.stylize("green" if word == "done" else "red", at, at + len(word))
            self.console.print(text, soft_wrap=True)
        elif event.kind == "start":  # "SWEEP: N runs — …": the sweep's name in bold
            text = Text(event.message)
            text.stylize("bold", 0, max(0, event.message.find(":")))
            self.console.print(text, soft_wrap=True)
        else:
            self.console.print(event.message, markup=False, highlight=False, soft_wrap=True)

    def _tick(self, event: Progress) -> None:
        if not self.console.is_terminal:
            if time.monotonic() - self.last_line >= LOG_EVERY_S:
                self.last_line = time.monotonic()
                self.console.print(event.message, markup=False, highlight=False, soft_wrap=True)
            return
        if self.bars is None:
            columns = [
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.fields[detail]}"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
            ]
            self.bars = Bars(*columns, console=self.console, transient=True)
            self.bars.add_task("runs finished", total=1, detail="")
            self.bars.add_task("budget consumed", total=1.0, detail="")
            self.bars.start()
        runs, budget = self.bars.task_ids
        self.bars.update(runs, total=event.total, completed=event.done, detail=f"{event.done}/{event.total}")
        self.bars.update(budget, completed=event.share, detail=f"{event.share:.0%}")

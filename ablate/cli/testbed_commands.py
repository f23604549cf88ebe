"""`ablate testbed make`: scripted expert demonstrations in robosuite, one LeRobot dataset per robot."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from ablate.errors import InputError

testbed = typer.Typer(help="The multi-robot robosuite testbed.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(testbed, name="testbed")


@testbed.command("make")
def make(
    robots: Annotated[str, typer.Option(help="comma-separated, e.g. Panda,UR5e,Kinova3,IIWA")],
    task: Annotated[str, typer.Option(help="lift | stack")],
    episodes: Annotated[int, typer.Option(min=1, help="successful demonstrations per robot")],
    out: Annotated[Path, typer.Option(help="folder that receives one dataset per robot")],
    no_images: Annotated[bool, typer.Option("--no-images", help="low-dimensional observations only")] = False,
    image_size: Annotated[int, typer.Option(help="square camera images, pixels")] = 64,
    seed: Annotated[int, typer.Option(help="episode seeds start at seed × 100000")] = 0,
) -> None:
    """Write one LeRobot v3 dataset per robot from scripted expert demonstrations."""
    from ablate.data.embodiments import EMBODIMENTS
    from ablate.testbed.tasks import TASKS

    names = [r.strip() for r in robots.split(",") if r.strip()]
    unknown = [r for r in names if r not in EMBODIMENTS]
    if unknown:
        raise InputError.single(
            "--robots", "", f"unknown robot(s) {', '.join(unknown)}; known: {', '.join(EMBODIMENTS)}"
        )
    if task not in TASKS:
        raise InputError.single("--task", "", f"unknown task '{task}'; known: {', '.join(TASKS)}")
    existing = [out / f"{r}_{task}" for r in names if (out / f"{r}_{task}").exists()]
    if existing:
        raise InputError.single("--out", "", f"{', '.join(map(str, existing))} already exist; nothing was written")

    from ablate.testbed.record import record_dataset

    console = Console()
    out.mkdir(parents=True, exist_ok=True)
    columns = [
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    ]
    summaries = []
    with Progress(*columns, console=console) as progress:
        for robot in names:
            bar = progress.add_task(f"{robot} {task}", total=episodes)

            def advance(info, bar=bar):
                progress.update(bar, advance=int(info["success"]))

            summaries.append(
                record_dataset(
                    robot,
                    task,
                    episodes,
                    out,
                    images=not no_images,
                    image_size=image_size,
                    seed=seed,
                    on_episode=advance,
                )
            )
    for s in summaries:
        console.print(
            f"{s['robot']:8s} {s['task']}: {s['episodes']} episodes kept of {s['attempts']} "
            f"(expert success {s['success_rate']:.0%}), {s['seconds']:.0f} s → {out / (s['robot'] + '_' + task)}"
        )

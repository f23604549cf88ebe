"""`ablate env`: the environments policies are evaluated in (`ablate.envs`) — which are known, and demonstrations
recorded from an environment's own expert as LeRobot datasets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ablate.errors import InputError

env_app = typer.Typer(help="Evaluation environments: list them, record expert demonstrations.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(env_app, name="env")


@env_app.command("list")
def list_environments() -> None:
    """The environment adapters: shipped ones and those registered in the ablate.environments entry points."""
    from ablate.envs.adapter import known_environments

    for name, target in known_environments().items():
        typer.echo(f"{name:<12} {target}")


@env_app.command("record")
def record(
    env: Annotated[str, typer.Argument(help="an environment with an expert, e.g. metaworld")],
    tasks: Annotated[str, typer.Option(help="comma-separated, e.g. reach,push,pick-place")],
    episodes: Annotated[int, typer.Option(min=1, help="successful demonstrations per task")],
    out: Annotated[Path, typer.Option(help="folder that receives one dataset per task (<robot>_<task>)")],
    robot: Annotated[str, typer.Option(help="the environment's robot")] = "sawyer",
    seed: Annotated[int, typer.Option(help="episode seeds derive from it")] = 0,
) -> None:
    """Record expert demonstrations as LeRobot v3 datasets, each with its description and the robot's file."""
    from ablate.envs.adapter import Unsupported, environment
    from ablate.envs.record import record_expert

    names = [t.strip() for t in tasks.split(",") if t.strip()]
    if not names:
        raise InputError.single("--tasks", "", "name at least one task")
    try:  # every task checked before any is recorded: a typo in the last one writes nothing
        adapter = environment(env)
        for task in names:
            adapter(robot, task, action="joint").close()
    except Unsupported as e:
        raise InputError.single("--tasks" if "task" in str(e) else env, "", str(e)) from None
    for task in names:
        try:
            summary = record_expert(env, robot, task, episodes, out, seed, log=typer.echo)
        except ValueError as e:  # no expert to record with
            raise InputError.single(env, "", str(e)) from None
        except RuntimeError as e:  # the expert keeps failing: nothing of this task was kept
            typer.echo(f"error: {e}", err=True)
            raise typer.Exit(1) from None
        typer.echo(
            f"{summary['dataset']}: {summary['episodes']} episodes ({summary['attempts']} attempts) in "
            f"{summary['seconds']:.0f} s"
        )

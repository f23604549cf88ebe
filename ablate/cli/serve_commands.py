"""`ablate serve RUN`: a trained run's policy over openpi's websocket policy protocol (`ablate.serve`), optionally
recording the operator's trials into a trial table or a blind study's outcome sheet."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    run: Annotated[Path, typer.Argument(help="a run directory (its newest intact checkpoint) or a ckpt-*.pt file")],
    port: Annotated[int, typer.Option(min=0, max=65535, help="TCP port (0: a free one, printed)")] = 8000,
    host: Annotated[str, typer.Option(help="address to listen on (0.0.0.0: every interface)")] = "127.0.0.1",
    embodiment: Annotated[str | None, typer.Option(help="which of the run's robots: embodiment or dataset")] = None,
    device: Annotated[str | None, typer.Option(help="torch device (default: cuda when there is one)")] = None,
    trials: Annotated[Path | None, typer.Option(help="a trial table (.csv) to record the trials into")] = None,
    blind: Annotated[Path | None, typer.Option(help="an `ablate blind` study folder to record outcomes into")] = None,
    alias: Annotated[str | None, typer.Option(help="with --blind: the alias served (ALIAS or GROUP:ALIAS)")] = None,
    judge: Annotated[str, typer.Option(help="with --blind: who the outcome sheet says recorded them")] = "operator",
) -> None:
    """Serve RUN's policy: openpi-client's WebsocketClientPolicy(host, port).infer(obs)["actions"] gets chunks."""
    from ablate.errors import InputError

    if blind is not None and trials is not None:
        raise InputError.single("--blind", "", "record into a trial table (--trials) or a blind study, not both")
    if (blind is None) != (alias is None):
        raise InputError.single("--alias", "", "--blind STUDY and --alias ALIAS go together")
    from ablate.policy import load_policy
    from ablate.serve.recorder import BlindRecorder, TrialRecorder
    from ablate.serve.server import PolicyServer, serve_until_stopped

    policy = load_policy(run, embodiment, device=device, log=typer.echo)
    recorder = None
    if trials is not None:
        recorder = TrialRecorder(trials, policy.run)
    elif blind is not None and alias is not None:
        recorder = BlindRecorder(blind, alias, judge)
    if recorder is not None:
        typer.echo(f"recording trials ({{'ablate.trial': {{…}}}} requests) into {recorder.describe()}")
    serve_until_stopped(PolicyServer(policy, host, port, recorder, log=typer.echo))

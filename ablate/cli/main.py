"""Entry point: `ablate <command>`. Exit codes: 0 ok, 1 a check failed, 2 bad input (nothing launched)."""

from __future__ import annotations

import sys

import typer

from ablate.cli import (
    blind_commands,
    data_commands,
    env_commands,
    power_commands,
    report_commands,
    serve_commands,
    sweep_commands,
    table_commands,
    testbed_commands,
    train_commands,
    tune_commands,
)
from ablate.errors import InputError

app = typer.Typer(
    name="ablate",
    help="Controlled ablation studies for VLA policies: matched budgets, paired seeds, resumable sweeps.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
blind_commands.register(app)
power_commands.register(app)
data_commands.register(app)
env_commands.register(app)
report_commands.register(app)
serve_commands.register(app)
sweep_commands.register(app)
table_commands.register(app)
testbed_commands.register(app)
train_commands.register(app)
tune_commands.register(app)


INTERRUPTED = 130  # the shell's code for SIGINT: Ctrl-C, and nothing else


def main(argv: list[str] | None = None) -> None:
    try:
        code = app(args=argv, standalone_mode=False)  # click returns typer.Exit's code in this mode
        if code == INTERRUPTED:  # typer's Ctrl-C, returned silently: no command of ours exits 130 itself
            print("interrupted", file=sys.stderr)
        if isinstance(code, int) and code:
            sys.exit(code)
    except InputError as e:
        for problem in e.problems:
            print(f"error: {problem}", file=sys.stderr)
        sys.exit(2)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except SystemExit:
        raise
    except Exception as e:
        usage = _click_exceptions()
        if isinstance(e, usage):  # a usage error (unknown option, missing argument, no arguments): exit 2
            e.show()
            sys.exit(2)
        if type(e).__name__ == "Abort":  # click turns KeyboardInterrupt *and* EOFError into Abort
            cause = e.__cause__ or e.__context__
            if isinstance(cause, EOFError):
                raise cause from None  # an error inside a command, not the user's Ctrl-C: never a silent 130
            print("interrupted", file=sys.stderr)
            sys.exit(INTERRUPTED)
        raise


def _click_exceptions() -> tuple[type, ...]:
    """Click's exception base, and the copy of click that newer typer bundles (`typer._click`) and raises."""
    import click

    found: list[type] = [click.exceptions.ClickException]
    try:
        from typer._click import exceptions as bundled

        found.append(bundled.ClickException)
    except ImportError:
        pass
    return tuple(found)


if __name__ == "__main__":
    main()

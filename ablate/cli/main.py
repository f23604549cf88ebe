"""Entry point: `ablate <command>`. Exit codes: 0 ok, 1 a check failed, 2 bad input (nothing launched)."""

from __future__ import annotations

import sys

import typer

from ablate.cli import sweep_commands, testbed_commands, train_commands
from ablate.errors import InputError

app = typer.Typer(
    name="ablate",
    help="Controlled ablation studies for VLA policies: matched budgets, paired seeds, resumable sweeps.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
sweep_commands.register(app)
testbed_commands.register(app)
train_commands.register(app)


def main(argv: list[str] | None = None) -> None:
    try:
        code = app(args=argv, standalone_mode=False)  # click returns typer.Exit's code in this mode
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
    except Exception as e:  # click usage errors
        import click

        if isinstance(e, click.exceptions.ClickException):
            e.show()
            sys.exit(2)
        if isinstance(e, click.exceptions.Abort):
            sys.exit(130)
        raise


if __name__ == "__main__":
    main()

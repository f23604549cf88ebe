"""The README's `ablate serve` commands, read from README.md and run as written from a project with a trained SO-100
run (`runs/so100`) and a blind study (`study`) holding the alias they name: each serves, answers openpi-client, and
stops on Ctrl-C."""

from __future__ import annotations

import re
import shlex
import signal
import subprocess
import sys
import urllib.request

import numpy as np
import pytest
from openpi_client.websocket_client_policy import WebsocketClientPolicy

from ablate.blind.plan import make_plan
from tests.conftest import REPO
from tests.policy import trained


def readme_serve_commands() -> list[str]:
    section = (REPO / "README.md").read_text().split("\n### Serving it to a robot: `ablate serve`\n", 1)[1]
    block = re.search(r"^```bash\n(.*?)^```$", section, flags=re.S | re.M).group(1)
    return [line.split("   #")[0].strip() for line in block.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = trained.so100_project(tmp_path_factory.mktemp("readme-serve"))
    trained.train(root, "runs/so100", "data.mixture={so100_pick: 1.0}")
    return root


def test_each_readme_serve_command_serves_until_ctrl_c(project):
    commands = readme_serve_commands()
    assert [c.split()[:2] for c in commands] == [["ablate", "serve"]] * 3
    for command in commands:
        args = shlex.split(command)[1:]
        if "--blind" in args:  # a study holding the alias the README names, the served run among its models
            alias = args[args.index("--alias") + 1]
            seed = next(s for s in range(1000) if _has_alias(project, s, alias))
            make_plan(["runs/so100", "m2", "m3", "m4"], ["so100/pick"], 1, 4, project / "study", seed=seed)
        port = _free_port()
        args[args.index("--port") + 1] = str(port)  # the README's 8000 may be taken on a test machine
        proc = subprocess.Popen(
            [sys.executable, "-m", "ablate.cli.main", *args], cwd=project, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            for line in proc.stdout:
                if "serving on ws://" in line:
                    break
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30) as response:
                assert response.status == 200
            client = WebsocketClientPolicy(host="127.0.0.1", port=port)
            actions = client.infer({"observation.state": np.zeros(6, np.float32), "task": "pick"})["actions"]
            assert actions.shape == (8, 6), command
            if "--trials" in args or "--blind" in args:
                recorded = client.infer({"ablate.trial": _trial(args)})["recorded"]
                assert recorded["success"] == 1, command
        finally:
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=30) == 0, command


def _trial(args: list[str]) -> dict:
    return {"success": 1} if "--blind" in args else {"target": "so100/pick", "success": 1}


def _has_alias(root, seed: int, alias: str) -> bool:
    from ablate.blind.assign import assign

    return alias in assign(["runs/so100", "m2", "m3", "m4"], ["so100/pick"], 1, 4, seed).groups["G1"]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

"""`ablate serve` (the real CLI, a real process) with the real `openpi-client` from PyPI as the client, over
loopback: the chunks are `load_policy`'s, a malformed request is an error to that client while the server goes on,
a client that vanishes mid-request harms nobody, and trials recorded through the same socket end in a trial table."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import websockets.sync.client
from openpi_client.websocket_client_policy import WebsocketClientPolicy

import ablate
from ablate.serve.protocol import pack, unpack
from ablate.trials import read_trials
from tests.data import user_datasets
from tests.policy import trained

STATE = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], np.float32)


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    """A trained SO-100 run whose training data and embodiment files are then moved away: it serves without them."""
    root = trained.so100_project(tmp_path_factory.mktemp("serve"))
    run = trained.train(root, "runs/so100", "data.mixture={so100_pick: 1.0}")
    shutil.move(root / "data", root / "data-gone")
    shutil.move(root / "embodiments", root / "embodiments-gone")
    return run


@pytest.fixture(scope="module")
def server(run):
    """`ablate serve RUN --port 0 --trials …`, one for the module's tests (in order; the last stops it with Ctrl-C);
    yields (port, process, trial table)."""
    table = run.parent.parent / "trials.csv"
    proc = subprocess.Popen(
        [sys.executable, "-m", "ablate.cli.main", "serve", str(run), "--port", "0", "--trials", str(table)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines = []
    for line in proc.stdout:
        lines.append(line)
        found = re.search(r"serving on ws://127\.0\.0\.1:(\d+)", line)
        if found:
            break
    else:
        raise AssertionError("".join(lines))
    port = int(found.group(1))
    # openpi-client 0.1.2 does not retry a refused connection: wait for the health check as robot code would
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30) as response:
        assert response.status == 200
    yield port, proc, table, lines
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)


def test_openpi_client_gets_the_policys_chunks_and_its_metadata(run, server):
    port = server[0]
    client = WebsocketClientPolicy(host="127.0.0.1", port=port)
    metadata = client.get_server_metadata()
    assert metadata["action_names"] == user_datasets.SO100_NAMES and metadata["action_frame"] == "joint_abs"
    assert metadata["observation_features"] == ["observation.state"] and metadata["horizon"] == 8
    # openpi's spelling (observation/state, prompt) reads as LeRobot's
    reply = client.infer({"observation/state": STATE, "prompt": "pick the cube 0"})
    policy = ablate.load_policy(run, log=None)
    policy.reset()  # a connection is an episode: the noise seeded with the run's seed
    expected = policy.predict({"observation.state": STATE, "task": "pick the cube 0"})
    np.testing.assert_allclose(reply["actions"], expected)
    assert reply["actions"].shape == (8, 6) and reply["server_timing"]["infer_ms"] > 0
    other = WebsocketClientPolicy(host="127.0.0.1", port=port)  # its own episode: its own noise, seeded alike
    second = other.infer({"observation.state": STATE, "task": "pick the cube 0"})["actions"]
    np.testing.assert_allclose(second, expected)
    round_trips = []
    for _ in range(10):
        started = time.perf_counter()
        client.infer({"observation.state": STATE, "task": "pick the cube 0"})
        round_trips.append(1000 * (time.perf_counter() - started))
    print(f"round trip over loopback: median {np.median(round_trips):.1f} ms (10 requests)")


def test_a_malformed_request_is_an_error_to_the_client_and_the_server_goes_on(server):
    port, proc, _, _ = server
    client = WebsocketClientPolicy(host="127.0.0.1", port=port)
    with pytest.raises(RuntimeError, match=r"observation\.state holds 5 values, expected 6"):
        client.infer({"observation.state": np.zeros(5, np.float32), "task": "pick"})
    assert client.infer({"observation.state": STATE, "task": "pick"})["actions"].shape == (8, 6)  # same connection
    with websockets.sync.client.connect(f"ws://127.0.0.1:{port}", compression=None, max_size=None) as raw:
        unpack(raw.recv())  # the metadata
        raw.send(b"\xc1 not msgpack")
        assert raw.recv().startswith("ablate serve: bad request: not a msgpack frame")
        raw.send(pack([1, 2, 3]))
        assert "expected a map of observation features" in raw.recv()
    assert proc.poll() is None


def test_a_client_that_disconnects_mid_request_harms_no_other(server):
    port, proc = server[:2]
    with websockets.sync.client.connect(f"ws://127.0.0.1:{port}", compression=None, max_size=None) as raw:
        unpack(raw.recv())
        raw.send(pack({"observation.state": STATE, "task": "pick"}))
    # closed: gone before its reply
    client = WebsocketClientPolicy(host="127.0.0.1", port=port)
    assert client.infer({"observation.state": STATE, "task": "pick"})["actions"].shape == (8, 6)
    assert proc.poll() is None


def test_trials_recorded_through_the_socket_end_in_a_trial_table(server):
    port, proc, table = server[:3]
    client = WebsocketClientPolicy(host="127.0.0.1", port=port)
    assert "trial table" in client.get_server_metadata()["records_trials"]
    first = client.infer({"ablate.trial": {"target": "so100/pick", "success": 1, "progress": 1.0}})["recorded"]
    second = client.infer({"ablate.trial": {"target": "so100/pick", "success": False, "progress": 0.4}})["recorded"]
    assert (first["trial"], second["trial"]) == (0, 1)
    with pytest.raises(RuntimeError, match=r"success: expected 0 or 1"):
        client.infer({"ablate.trial": {"target": "so100/pick", "success": 2}})
    with pytest.raises(RuntimeError, match=r"trial 1 of run so100 is recorded already"):
        client.infer({"ablate.trial": {"target": "so100/pick", "success": 1, "trial": 1}})
    rows = read_trials(table)  # the trial table's own reader and checks
    assert rows[["run", "embodiment", "task", "trial", "success"]].values.tolist() == [
        ["so100", "so100", "pick", 0, 1], ["so100", "so100", "pick", 1, 0]
    ]  # fmt: skip
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 0
    assert "stopped after" in proc.stdout.read()

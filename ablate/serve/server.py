"""`ablate serve RUN`: a trained run's policy (`ablate.policy.load_policy`) behind openpi's websocket policy
protocol (`protocol.py`), so robot-side code written for openpi — `openpi_client.WebsocketClientPolicy` — drives
it unchanged:

    client = WebsocketClientPolicy(host="127.0.0.1", port=8000)
    client.get_server_metadata()          # the policy's metadata (layout, frame, horizon, observation features)
    client.infer(obs)["actions"]          # [horizon, D] absolute targets, as `LoadedPolicy.predict`

Observation keys are LeRobot's (`observation.state`, `observation.images.top`, `task`); openpi's slash spelling
(`observation/state`) and `prompt` are read as the same. A request the policy cannot read is answered with a text
frame naming the problem (openpi-client raises it as an error) and the connection stays open; an internal error
closes that connection only. The server keeps serving either way.

Each new connection is a new episode with its own flow noise, seeded with the run's seed, so a client replaying the
same observations gets the same chunks whatever other clients do. Requests are served one at a time (one model).

A request `{"ablate.trial": {...}}` records a trial instead (`recorder.py`), when the server was started with a
trial table or a blind study to record into."""

from __future__ import annotations

import asyncio
import threading
import time
import traceback
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import torch

from ablate.errors import InputError
from ablate.policy import LoadedPolicy
from ablate.policy.observation import ObservationError
from ablate.serve.protocol import ProtocolError, pack, unpack
from ablate.serve.recorder import RECORD_KEY, Recorder, RecordError

HEALTH_PATH = "/healthz"


class PolicyServer:
    def __init__(
        self,
        policy: LoadedPolicy,
        host: str = "127.0.0.1",
        port: int = 8000,
        recorder: Recorder | None = None,
        log: Callable[[str], None] = print,
    ):
        self.policy, self.host, self.port, self.recorder, self.log = policy, host, port, recorder, log
        self._lock = threading.Lock()
        self._previous_total_ms: float | None = None
        self.served = 0

    def metadata(self) -> dict[str, Any]:
        recording = self.recorder.describe() if self.recorder else None
        return self.policy.metadata() | {"server": "ablate", "records_trials": recording}

    async def serve_forever(self, ready: Callable[[int], None] | None = None) -> None:
        from websockets.asyncio.server import serve

        async with serve(
            self._handle, self.host, self.port, compression=None, max_size=None, process_request=_health
        ) as server:
            port = server.sockets[0].getsockname()[1]
            health = f"http://{self.host}:{port}{HEALTH_PATH}"
            self.log(f"serving on ws://{self.host}:{port} (health: {health}); Ctrl-C stops")
            if ready:
                ready(port)
            await server.serve_forever()

    async def _handle(self, connection) -> None:
        from websockets.exceptions import ConnectionClosed

        peer = _peer(connection)
        self.log(f"{peer}: connected; a new episode (noise seeded with the run's seed)")
        # this connection's own noise: another client's requests do not shift its chunks
        noise = torch.Generator().manual_seed(int(self.policy.run.get("seed", 0)))
        try:
            await connection.send(pack(self.metadata()))
            async for frame in connection:
                started = time.monotonic()
                try:
                    reply = await asyncio.to_thread(self._answer, unpack(frame), noise)
                except (ProtocolError, ObservationError, RecordError, InputError) as e:
                    self.log(f"{peer}: bad request: {e}")
                    await connection.send(f"ablate serve: bad request: {_text(e)}")
                    continue
                except Exception:
                    self.log(f"{peer}: internal error, closing this connection:\n{traceback.format_exc()}")
                    await connection.send(f"ablate serve: internal error:\n{traceback.format_exc()}")
                    await connection.close(code=1011, reason="internal error; the server goes on serving")
                    return
                total_ms = 1000 * (time.monotonic() - started)
                if "actions" in reply:
                    reply["server_timing"] = {"infer_ms": total_ms, "prev_total_ms": self._previous_total_ms}
                    self._previous_total_ms = total_ms
                await connection.send(pack(reply))
        except ConnectionClosed:
            pass
        self.log(f"{peer}: disconnected")

    def _answer(self, message: Any, noise) -> dict[str, Any]:
        """In a worker thread, one request at a time (the lock): the event loop keeps answering pings and health
        checks meanwhile."""
        if not isinstance(message, dict):
            raise ProtocolError(f"expected a map of observation features, got {type(message).__name__}")
        if RECORD_KEY in message:
            if self.recorder is None:
                raise RecordError("this server records no trials: start it with --trials FILE or --blind STUDY")
            with self._lock:  # two operators never number the same trial
                return {"recorded": self.recorder.record(message[RECORD_KEY])}
        obs = lerobot_names(message)
        with self._lock:
            started = time.monotonic()
            chunk = self.policy.predict(obs, generator=noise)
            self.served += 1
        return {"actions": chunk, "policy_timing": {"infer_ms": 1000 * (time.monotonic() - started)}}


def lerobot_names(message: dict) -> dict[str, Any]:
    """openpi's `observation/state` read as LeRobot's `observation.state` (the dotted name wins when both are sent)."""
    out = {str(k): v for k, v in message.items()}
    for key, value in list(out.items()):
        out.setdefault(key.replace("/", "."), value)
    return out


def _health(connection, request):
    if request.path == HEALTH_PATH:
        return connection.respond(HTTPStatus.OK, "OK\n")
    return None


def _peer(connection) -> str:
    address = getattr(connection, "remote_address", None)
    return f"{address[0]}:{address[1]}" if address else "client"


def _text(error: Exception) -> str:
    if isinstance(error, InputError):
        return "; ".join(str(p) for p in error.problems)
    return str(error)


def serve_until_stopped(server: PolicyServer) -> None:
    """Serve until Ctrl-C."""
    try:
        asyncio.run(server.serve_forever())
    except KeyboardInterrupt:
        server.log(f"stopped after {server.served} request(s)")

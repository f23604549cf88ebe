"""openpi's websocket policy protocol, as its client (`openpi-client`) speaks it:

- the client connects (no compression, no size limit); the server first sends its metadata, one binary frame;
- then each binary frame from the client is an observation, each binary frame back its result (`actions`, plus
  timings); a text frame back is an error message (the client raises it);
- frames are msgpack, with numpy arrays as maps {b"__ndarray__": True, b"data": raw bytes, b"dtype": dtype.str,
  b"shape": shape} and numpy scalars as {b"__npgeneric__": True, b"data": item, b"dtype": dtype.str}; object,
  void and complex arrays are refused (never pickle).

The codec is written here (twenty lines) rather than imported from openpi-client, which the tests use as the
independent client it is."""

from __future__ import annotations

from typing import Any

import msgpack
import numpy as np


class ProtocolError(ValueError):
    """A frame that is not a msgpack observation of this protocol; the message says why."""


def _encode(obj: Any) -> Any:
    if isinstance(obj, np.ndarray | np.generic) and obj.dtype.kind in "VOc":
        raise ProtocolError(f"cannot send a numpy {obj.dtype} value")
    if isinstance(obj, np.ndarray):
        data = np.ascontiguousarray(obj)
        return {b"__ndarray__": True, b"data": data.tobytes(), b"dtype": data.dtype.str, b"shape": data.shape}
    if isinstance(obj, np.generic):
        return {b"__npgeneric__": True, b"data": obj.item(), b"dtype": obj.dtype.str}
    return obj


def _decode(obj: dict) -> Any:
    if b"__ndarray__" in obj:
        dtype = np.dtype(obj[b"dtype"])
        if dtype.kind in "VOc":
            raise ProtocolError(f"numpy {dtype} arrays are not accepted")
        return np.ndarray(buffer=obj[b"data"], dtype=dtype, shape=obj[b"shape"])
    if b"__npgeneric__" in obj:
        return np.dtype(obj[b"dtype"]).type(obj[b"data"])
    return obj


def pack(message: Any) -> bytes:
    return msgpack.packb(message, default=_encode)


def unpack(frame: bytes | str) -> Any:
    if isinstance(frame, str):
        raise ProtocolError("expected a binary msgpack frame, got a text frame")
    try:
        return msgpack.unpackb(frame, object_hook=_decode)
    except (ValueError, TypeError, msgpack.UnpackException) as e:
        raise ProtocolError(f"not a msgpack frame of numpy arrays ({type(e).__name__}: {e})") from None

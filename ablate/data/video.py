"""Which decoder reads a dataset's camera videos, chosen once per process and said in one line.

torchcodec (lerobot's preferred decoder) links against the system's FFmpeg shared libraries (major versions 4–8;
`.ci/setup-env --system` installs Debian's); without them it cannot load, and PyAV, which bundles its own FFmpeg,
decodes the same videos. Left to itself, lerobot probes torchcodec on every `LeRobotDataset` it opens and logs
torchcodec's whole library-loading traceback each time; choosing here, once, and passing the choice as
`video_backend=` replaces that with one line that says what to install.
"""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

TORCHCODEC, PYAV = "torchcodec", "pyav"
# The backend named to lerobot for a dataset none of whose frames is decoded from video: it is never used, and
# naming one keeps lerobot from probing torchcodec itself.
UNUSED = PYAV


def video_backend(root: Path, decoding: bool) -> str:
    """The `video_backend=` to open the LeRobot dataset at `root` with. The choice (and its line) is made only
    when camera images will be decoded (`decoding`) from the dataset's videos."""
    return chosen_backend() if decoding and has_videos(root) else UNUSED


def has_videos(root: Path) -> bool:
    """Whether any of the dataset's features is stored as video (`meta/info.json`, read before lerobot opens it)."""
    features = json.loads((Path(root) / "meta" / "info.json").read_text())["features"]
    return any(feature["dtype"] == "video" for feature in features.values())


@functools.cache
def chosen_backend() -> str:
    backend, why = _probe()
    print(f"video: decoding with {backend} ({why})", file=sys.stderr, flush=True)
    return backend


def _probe() -> tuple[str, str]:
    try:
        import torchcodec  # noqa: F401  (importing it loads its FFmpeg-linked libraries)
    except ImportError:
        return PYAV, "torchcodec is not installed"
    except (OSError, RuntimeError):
        # Its message carries the whole loading traceback, one per FFmpeg version tried: not shown.
        return PYAV, "torchcodec needs FFmpeg's shared libraries: apt install ffmpeg"
    from torchcodec import ffmpeg_major_version

    return TORCHCODEC, f"FFmpeg {ffmpeg_major_version}"

"""Camera images stored as video decode through ablate's loader on whichever backend this machine has: torchcodec
when FFmpeg's shared libraries are installed, else PyAV; which one is said in one line per process, never with
torchcodec's loading traceback."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from ablate.data import video
from ablate.data.frames import Frame
from ablate.data.inputs import Padding
from ablate.data.loader import MixtureLoader
from ablate.data.source import EmbodimentSource, SourceConfig
from tests.data.small_dataset import VIDEO_SIZE, write_small_dataset

FRAMES = 6
_SETTINGS = {"padding": Padding(state=16, action=10, environment=0), "temperature": 1.0, "normalization": "mean_std"}


def source(root, split="train", images=True) -> EmbodimentSource:
    cfg = SourceConfig(root=root, frame=Frame("joint_abs"), split=split, val_fraction=0.5, images=images)
    return EmbodimentSource(cfg)


def torchcodec_loads() -> bool:
    try:
        import torchcodec  # noqa: F401
    except (ImportError, OSError, RuntimeError):
        return False
    return True


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    return write_small_dataset(tmp_path_factory.mktemp("video") / "Panda_lift", episodes=2, frames=FRAMES, video=True)


@pytest.fixture
def fresh_choice():
    """The backend chosen anew, as by a new process."""
    video.chosen_backend.cache_clear()
    yield
    video.chosen_backend.cache_clear()


def test_video_frames_decode_through_the_loader_and_the_backend_is_said_once(videos, fresh_choice, capsys):
    capsys.readouterr()
    train, val = source(videos), source(videos, split="val")
    loader = MixtureLoader([train, val], "proportional", seed=0, **_SETTINGS)
    batch = loader.batch(8)
    assert batch["images"].shape == (8, 1, 3, VIDEO_SIZE, VIDEO_SIZE) and batch["images"].any()
    for src in (train, val):
        for i in (0, FRAMES - 1):
            grey = (20 + 10 * i) / 255  # each frame one grey level (lossy AV1: close, not exact)
            np.testing.assert_allclose(src.sample(i)["images"].mean(), grey, atol=0.03)

    expected = "torchcodec" if torchcodec_loads() else "pyav"
    assert train.dataset._video_backend == val.dataset._video_backend == expected
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("video:")]
    assert len(lines) == 1 and lines[0].startswith(f"video: decoding with {expected} (")
    if expected == "pyav" and importlib.util.find_spec("torchcodec"):
        assert lines[0] == "video: decoding with pyav (torchcodec needs FFmpeg's shared libraries: apt install ffmpeg)"
    assert "Traceback" not in err and "libtorchcodec" not in err


def test_nothing_is_chosen_or_said_when_no_frame_is_decoded_from_video(videos, fresh_choice, capsys, tmp_path):
    capsys.readouterr()
    source(videos, images=False)
    source(write_small_dataset(tmp_path / "Panda_lift", episodes=2, frames=FRAMES), images=False)
    assert "video:" not in capsys.readouterr().err
    assert video.chosen_backend.cache_info().currsize == 0

"""lerobot's `LeRobotDataset`, imported with its start-up noise turned down.

Without a system FFmpeg, lerobot logs torchcodec's whole library-loading traceback as a warning each time it
picks a video backend, then falls back to pyav, which decodes fine; and Hugging Face `datasets` draws a progress
bar for every internal `map`. Neither tells a researcher anything, and both bury ablate's own progress lines.
"""

from __future__ import annotations

import logging


def lerobot_dataset_class():
    import datasets

    logging.getLogger("lerobot.utils.import_utils").setLevel(logging.ERROR)
    datasets.disable_progress_bars()
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    return LeRobotDataset

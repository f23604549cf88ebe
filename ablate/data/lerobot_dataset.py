"""lerobot's `LeRobotDataset`, imported with its start-up noise turned down.

ablate names the video backend itself (`ablate.data.video`: one line per process), but any `LeRobotDataset`
opened or created without one makes lerobot probe torchcodec, and without a system FFmpeg it logs torchcodec's
whole library-loading traceback as a warning each time before falling back to pyav, which decodes fine; that
logger stays quiet. Hugging Face `datasets` draws a progress bar for every internal `map`. Neither tells a
researcher anything, and both bury ablate's own progress lines.
"""

from __future__ import annotations

import logging


def lerobot_dataset_class():
    import datasets

    logging.getLogger("lerobot.utils.import_utils").setLevel(logging.ERROR)
    datasets.disable_progress_bars()
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    return LeRobotDataset

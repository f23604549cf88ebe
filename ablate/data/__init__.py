"""Data: embodiments, LeRobot datasets, action frames, normalisation, mixtures and sensory dropout."""

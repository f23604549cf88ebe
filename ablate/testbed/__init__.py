"""The multi-robot testbed: robosuite tasks on several robots, scripted experts, LeRobot datasets, and an
episode runner that executes a policy's action chunks in any frame."""

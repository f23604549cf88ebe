"""Environments a policy is evaluated in, behind one adapter contract (`adapter.py`): the robosuite testbed,
Meta-World, and any registered in the `ablate.environments` entry-point group."""

"""A trained run as a policy outside ablate's pipeline: self-contained checkpoints (`bundle`), `load_policy` with
`predict`/`select_action` on raw LeRobot-named observations (`loaded`, `observation`)."""

from ablate.policy.loaded import LoadedPolicy, load_policy

__all__ = ["LoadedPolicy", "load_policy"]

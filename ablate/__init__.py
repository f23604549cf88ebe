"""ablate: controlled ablation studies for vision-language-action robot policies."""

__version__ = "0.1.0"


def __getattr__(name: str):
    """`ablate.load_policy`: imported on first use (it imports torch; `import ablate` stays light)."""
    if name == "load_policy":
        from ablate.policy import load_policy

        return load_policy
    raise AttributeError(f"module 'ablate' has no attribute {name!r}")

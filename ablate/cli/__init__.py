"""The `ablate` command line (DESIGN.md, "CLI"). Commands that only read or plan never import torch."""

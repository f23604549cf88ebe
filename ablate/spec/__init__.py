"""Sweep specs: YAML → validated spec → arms × seeds = runs, with matched budgets (the plan)."""

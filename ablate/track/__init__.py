"""Experiment tracking in MLflow: the sweep is a parent run, each run a child run."""

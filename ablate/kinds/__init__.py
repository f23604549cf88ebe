"""Job kinds: what a run does, registered by name in `ablate.jobs.registry` (`vla`, `mlp_regression`). Each
composes the layers below it — data, model, the stage loop (`ablate.train`), evaluation — and nothing below
imports a job kind."""

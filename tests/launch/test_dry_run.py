"""`ablate run --dry-run` shows exactly what would be submitted and writes nothing."""

from __future__ import annotations

SPEC = """
name: dry
recipe: quickstart/mlp
seeds: [0, 1, 2]
factors:
  stages: [single, two_stage]
budget: {unit: samples, per_run: 3200}
launcher: {kind: slurm, profile: gpu-8x}
"""


def test_slurm_dry_run_prints_the_array_resources_and_budgets_and_writes_nothing(project):
    result = project.cli("run", project.spec(SPEC), "--dry-run")
    assert result.code == 0, result.stderr
    out = result.stdout
    for line in (
        "#SBATCH --array=0-5%6",
        "#SBATCH --gpus-per-node=8",
        "#SBATCH --ntasks-per-node=8",
        "#SBATCH --partition=gpu",
        "#SBATCH --time=2880",
        "#SBATCH --cpus-per-task=10",
        "#SBATCH --mem=491520MB",
        "#SBATCH --signal=USR2@90",
    ):
        assert line in out
    assert "would launch 6 of 6 runs on slurm" in out
    assert "pre: 50 steps × 32 = 1600 samples" in out and "main: 100 steps × 32 = 3200 samples" in out
    assert not (project.root / "sweeps").exists()


def test_a_profile_with_a_typo_is_bad_input(project):
    (project.root / "slurm" / "profiles" / "typo.yaml").write_text("partition: gpu\ngpu: 8\n")
    result = project.cli("run", project.spec(SPEC.replace("gpu-8x", "typo")), "--dry-run")
    assert result.code == 2
    assert "typo.yaml:2: gpu: Extra inputs are not permitted" in result.stderr
    unknown = project.cli("run", project.spec(SPEC.replace("gpu-8x", "nope")), "--dry-run")
    assert unknown.code == 2 and "no Slurm profile 'nope'" in unknown.stderr and "local-cluster" in unknown.stderr


def test_paper_scale_studies_plan_and_dry_run_with_their_report_job(project):
    """Every Rethink-VLA study at paper scale: 240k steps (40k VLM frozen + 200k) of batch 256 per run, one array of
    8-GPU runs, and the report job that waits for the array (afterany)."""
    import shutil

    from tests.conftest import REPO

    for name in ("action_frame", "mixture", "regularization"):
        spec = project.root / "experiments" / f"paper_{name}.yaml"
        shutil.copy(REPO / "experiments" / "rethink_vla" / "paper" / f"{name}.yaml", spec)
        result = project.cli("run", spec, "--dry-run")
        assert result.code == 0, result.stderr
        out = result.stdout
        runs = {"action_frame": 18, "mixture": 12, "regularization": 12}[name]
        assert f"would launch {runs} of {runs} runs on slurm" in out
        assert f"#SBATCH --array=0-{runs - 1}%{min(runs, 16)}" in out and "#SBATCH --gpus-per-node=8" in out
        assert "(pre 40000 + post 200000 steps)" in out
        assert (
            "--dependency='afterany:<ARRAY_JOB_ID>'" in out
            and f"#SBATCH --job-name=rethink-paper-{name.replace('_', '-')}-report" in out
        )
    assert "(main 240000 steps)" in out  # stage 2 only: the same 240k steps in one stage
    assert not (project.root / "sweeps").exists()


def test_slurm_dry_run_needs_no_slurm_on_path(project, tmp_path_factory):
    """A dry run only renders the sbatch scripts: on a laptop (no `srun`/`sbatch` on PATH) it must still print them
    (issue 14; submitit's SlurmExecutor refuses to construct without `srun`)."""
    import os
    import shutil
    import sys

    bare = tmp_path_factory.mktemp("bare-path")
    os.symlink(sys.executable, bare / "python")
    assert shutil.which("srun", path=str(bare)) is None and shutil.which("sbatch", path=str(bare)) is None
    spec = project.spec(SPEC.replace("seeds: [0, 1, 2]", "seeds: [0, 1, 2]\nreport: {baseline: stages=single}"))
    result = project.cli("run", spec, "--dry-run", env={"PATH": str(bare)})
    assert result.code == 0, result.stderr
    assert "Could not detect" not in result.stderr and "Traceback" not in result.stderr
    assert "#!/bin/bash" in result.stdout and "#SBATCH --array=0-5%6" in result.stdout
    assert "#SBATCH --gpus-per-node=8" in result.stdout and "would launch 6 of 6 runs on slurm" in result.stdout
    assert "--dependency='afterany:<ARRAY_JOB_ID>'" in result.stdout  # the report job's script too
    assert not (project.root / "sweeps").exists()

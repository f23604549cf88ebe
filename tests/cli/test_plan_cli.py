"""`ablate plan` checks every arm as a typed run config before anything is launched: a mistyped value or a
mixture naming a missing dataset is exit 2 at the spec line that set it; what it cannot check is said aloud."""

from __future__ import annotations


def test_a_bad_recipe_value_is_caught_by_plan_at_its_spec_line(project):
    spec = project.spec(
        """
        name: typo
        recipe: testbed/tiny
        seeds: [0]
        factors:
          train.parallel: [ddp, fdsp]
        budget: {unit: samples, per_run: 960}
        """
    )
    result = project.cli("plan", spec)
    assert result.code == 2
    assert "spec.yaml:6: factors.train.parallel[1]: arm fdsp: train.parallel: Input should be 'ddp' or 'fsdp'" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr


def test_a_key_the_run_config_does_not_know_is_named_with_the_nearest(project):
    spec = project.spec(
        """
        name: typo
        recipe: quickstart/mlp
        seeds: [0]
        factors:
          +train.paralel: [ddp]
        budget: {unit: samples, per_run: 960}
        """
    )
    result = project.cli("plan", spec)
    assert result.code == 2
    assert "train.paralel: unknown key (did you mean 'parallel'?)" in result.stderr


def test_a_mixture_naming_a_missing_dataset_is_refused_with_what_is_there(project):
    (project.root / "datasets" / "Panda_lift").mkdir(parents=True)
    (project.root / "datasets" / "UR5e_lift").mkdir()
    spec = project.spec(
        """
        name: mixtures
        recipe: testbed/tiny
        seeds: [0]
        overrides: {data.root: datasets, data.testbed: null}
        factors:
          mixture:
            alone: {data.mixture: {Panda: 1.0}}
            pooled: {data.mixture: {Panda: 1.0, UR5: 1.0}}
        budget: {unit: samples, per_run: 960}
        """
    )
    result = project.cli("plan", spec)
    assert result.code == 2
    assert (
        "factors.mixture.pooled.data.mixture: arm pooled: no dataset 'UR5_lift' in datasets "
        "(did you mean 'UR5e_lift'?); datasets there: Panda_lift, UR5e_lift"
    ) in result.stderr


def test_a_data_root_absent_here_is_noted_not_checked(project):
    spec = project.spec(
        """
        name: cluster
        recipe: paper/rethink
        seeds: [0]
        overrides: {data.root: /nowhere/lerobot}
        budget: {unit: steps, per_run: 240000}
        """
    )
    result = project.cli("plan", spec)
    assert result.code == 0, result.stderr
    assert "note: data.root /nowhere/lerobot does not exist on this machine" in result.stdout

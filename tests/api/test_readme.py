"""The README's "Python API" script, read from README.md at test time (so the README cannot drift from the API) and
run as a user runs it, from a project folder. The quickstart study takes minutes; the project's
`experiments/quickstart.yaml` here is a tiny stand-in on the `mlp_regression` job (2 arms × 1 seed, in-process
launcher), and the sweep lands in the project's own sweeps/ folder."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.conftest import REPO

TINY_QUICKSTART = """
name: quickstart-tiny
recipe: quickstart/mlp
seeds: [0]
factors:
  optim.lr: [0.001, 0.003]
budget: {unit: samples, per_run: 320}
launcher: {kind: debug}
"""


def readme_python(heading: str = "## Python API") -> str:
    """The first ```python block of the README section `heading`."""
    section = (REPO / "README.md").read_text().split(f"\n{heading}\n", 1)[1]
    match = re.search(r"^```python\n(.*?)^```$", section, flags=re.S | re.M)
    assert match, f"no python block under {heading!r} in README.md"
    return match.group(1)


def test_the_readme_python_api_script_plans_runs_and_reads_the_result(project):
    code = readme_python()
    assert 'api.plan("experiments/quickstart.yaml")' in code and "api.run_sweep(plan, on_progress=" in code
    project.spec(TINY_QUICKSTART, name="quickstart.yaml")
    script = project.root / "readme_api.py"
    script.write_text(code)

    out = subprocess.run([sys.executable, str(script)], cwd=project.root, capture_output=True, text=True, timeout=300)

    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-3000:]
    assert "quickstart-tiny: 2 arms, 2 runs" in out.stdout
    assert "quickstart-tiny: 2 runs — 0 done, 0 running or pending (adopted), 2 to launch on debug" in out.stdout
    assert re.search(r"\[2/2 runs, 100% of the budget\] done +0\.00[13]-s0", out.stdout), out.stdout
    sweep = (project.root / "sweeps" / "quickstart-tiny").resolve()
    assert f"{sweep} [('0.001-s0', 'done'), ('0.003-s0', 'done')]" in out.stdout
    assert "report: None" in out.stdout  # the regression job records no closed-loop trials: nothing to report
    assert (sweep / "manifest.json").is_file() and len(list((sweep / "runs").iterdir())) == 2

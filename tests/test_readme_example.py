"""The README's Python example runs as written and prints what the analysis computes."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from ssbscreen.analysis.references import offline_reference_set
from ssbscreen.analysis.windows import electrochemical_window

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_python_example_prints_the_window_of_the_offline_set(tmp_path):
    (code,) = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stderr[-2000:]
    window_line, reaction_line = run.stdout.splitlines()[-2:]  # CHGNet prints when it loads
    reference = offline_reference_set()
    window = electrochemical_window(reference.lowest_entry("Li3InCl6"), reference)
    phase, low, high = window_line.split()
    assert phase == "Li3InCl6"
    assert float(low) == pytest.approx(window.reduction_v_vs_li, abs=1e-4)  # stored to 4 digits
    assert float(high) == pytest.approx(window.oxidation_v_vs_li, abs=1e-4)
    phases, energy = reaction_line.rsplit(" ", 1)
    assert phases == "Li3InCl6 | Li2S" and float(energy) < 0
    assert (tmp_path / "ssbscreen-store").is_dir()  # the store the example names


def test_every_name_ssbscreen_exports_resolves():
    import ssbscreen

    for name in ssbscreen.__all__:
        exported = getattr(ssbscreen, name)  # AttributeError when its module lacks it
        assert getattr(exported, "__name__", name) == name  # not another object of that name
    assert ssbscreen.POTENTIALS["chgnet"].key == "chgnet"

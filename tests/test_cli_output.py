"""What a command prints (issue 22): the answer alone on stdout, a progress bar on stderr, the
libraries' logs, warnings and prints in ssbscreen.log (and with -v on stderr too); one model
load per process however many structures it relaxes."""

import json
import os
import re
import subprocess
import sys

import pytest
from pymatgen.core import Lattice, Structure

from ssbscreen.cli import LOG_FILE, main
from ssbscreen.potentials import loaded_calculator

# the offline set holds LiCl, LiF and Li3PO4: these commands compute only result documents
COMPUTING_COMMANDS = {
    "hull": ["hull", "LiCl"],
    "window": ["window", "LiF"],
    "react": ["react", "LiCl", "LiF"],
    "scan": ["scan", "LiCl", "Li3PO4", "--from", "1", "--to", "3"],
    "screen coatings": ["screen", "coatings", "--cathode", "LiCl", "--electrolyte", "LiF"],
}
JOB_LINE = "Starting job - "  # what jobflow logs as each job starts
BANNER = "CHGNet v0.3.0 initialized"  # what CHGNet prints as it loads its weights


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A working directory of its own (the log is written there) with an empty store."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SSBSCREEN_STORE", raising=False)
    return tmp_path


@pytest.mark.parametrize("command", COMPUTING_COMMANDS)
def test_stdout_is_the_json_answer_and_the_log_gets_the_library_lines(workdir, capsys, command):
    assert main([*COMPUTING_COMMANDS[command], "--json"]) == 0
    captured = capsys.readouterr()
    assert isinstance(json.loads(captured.out), dict)
    assert JOB_LINE not in captured.err
    done = re.search(r"jobs .*?(\d+)/(\d+)", captured.err)  # the bar's jobs done / total
    assert done and done[1] == done[2] != "0", captured.err
    assert JOB_LINE in (workdir / LOG_FILE).read_text()


def test_a_campaign_file_run_prints_its_tables_and_logs_its_jobs(workdir, capsys):
    (workdir / "c.yaml").write_text("name: quiet\nscreen:\n  hulls: [LiCl, LiF]\n")
    assert main(["run", "c.yaml"]) == 0
    captured = capsys.readouterr()
    assert "LiCl" in captured.out and "LiF" in captured.out
    assert JOB_LINE not in captured.out + captured.err
    assert JOB_LINE in (workdir / LOG_FILE).read_text()


@pytest.mark.parametrize("where", ["before", "after"])
def test_verbose_shows_the_library_log_on_stderr(workdir, capsys, where):
    args = ["hull", "LiCl", "--json"]
    assert main(["-v", *args] if where == "before" else [*args, "-v"]) == 0
    captured = capsys.readouterr()
    assert JOB_LINE in captured.err and JOB_LINE in (workdir / LOG_FILE).read_text()
    assert json.loads(captured.out)["phase"] == "LiCl"


def test_warnings_of_libraries_go_to_the_log(workdir, capsys, monkeypatch):
    import warnings

    from ssbscreen import cli

    def warn_then_list(args):
        warnings.warn("a library's warning", UserWarning, stacklevel=1)
        print("a library's print")
        return 0

    monkeypatch.setattr(cli, "_structures", warn_then_list)
    assert main(["structures", "list"]) == 0
    captured = capsys.readouterr()
    assert captured.out == captured.err == ""
    log = (workdir / LOG_FILE).read_text()
    assert "a library's warning" in log and "a library's print" in log


@pytest.mark.slow
def test_one_model_load_for_several_relaxations(workdir, capsys):
    """Two phases outside the reference set: two relaxations and two statics, one load."""
    for name, a, anion in (("LiF.cif", 4.1, "F"), ("LiCl.cif", 5.2, "Cl")):
        Structure.from_spacegroup(
            "Fm-3m", Lattice.cubic(a), ["Li", anion], [[0, 0, 0], [0.5, 0.5, 0.5]]
        ).to(filename=str(workdir / name))
    loaded_calculator.cache_clear()  # as in a fresh process
    assert main(["react", "LiF.cif", "LiCl.cif", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["phases"] == ["LiF.cif", "LiCl.cif"]
    log = (workdir / LOG_FILE).read_text()
    relaxations = re.findall(r"Starting job - \S+ (relax|static) ", log)
    assert len(relaxations) == 4
    assert log.count(BANNER) == 1 and BANNER not in captured.err


def test_store_option_holds_for_the_command_only(tmp_path, monkeypatch, capsys):
    """--store reaches the jobs through $SSBSCREEN_STORE while the command runs; afterwards
    the environment is as it was, so a next command in the same process uses its own store."""
    monkeypatch.setenv("SSBSCREEN_STORE", f"embedded://{tmp_path / 'default'}")
    store = f"embedded://{tmp_path / 'given'}"
    assert main(["hull", "LiCl", "--store", store, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["e_above_hull_ev_per_atom"] == 0
    assert os.environ["SSBSCREEN_STORE"] == f"embedded://{tmp_path / 'default'}"
    monkeypatch.delenv("SSBSCREEN_STORE")
    assert main(["hull", "LiCl", "--store", store, "--json"]) == 0
    assert "SSBSCREEN_STORE" not in os.environ


def test_a_reader_that_closes_the_pipe_ends_the_command_quietly(tmp_path):
    """`ssbscreen references list | head -1`: exit 141 (128 + SIGPIPE), no error message."""
    program = "from ssbscreen.cli import main; raise SystemExit(main())"
    process = subprocess.Popen(
        [sys.executable, "-c", program, "references", "list"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env=os.environ | {"HF_HUB_OFFLINE": "1"},
    )
    process.stdout.close()  # before the answer is written
    err = process.stderr.read().decode()
    assert process.wait(timeout=300) == 141
    assert "error" not in err and "Traceback" not in err, err

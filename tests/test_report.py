"""`ssbscreen report`: one self-contained HTML page of stored results, rendered in a real
headless Chromium (Debian's `chromium`)."""

import html.parser
import shutil
import subprocess

import pytest

from ssbscreen.analysis.reactions import NO_REACTION
from ssbscreen.analysis.report import report_html
from ssbscreen.cli import main
from ssbscreen.schemas import HullDocument, MigrationDocument, ReactionDocument, WindowDocument
from ssbscreen.store import build_job_store

CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)"
)
PROVENANCE = {
    "engine": "mlip",
    "model": "CHGNet-0.3.0",
    "model_version": "0.3.0",
    "energy_corrections": "none",
    "settings": {},
}
HOSTILE = "<script>alert(1)</script>"
CAMPAIGN = """name: report-test
model: chgnet
references: offline
screen:
  hulls: [Li3InCl6]
  windows: [Li3InCl6]
  reactions: [[Li3InCl6, Li2S, null], [Li3InCl6, Li2S, 3.0], [Li3InCl6, Li2S, 4.2]]
  scans: [[Li3InCl6, Li2S, 2.0, 4.5]]
"""


class Page(html.parser.HTMLParser):
    """Tags, attributes and text of a page, as a browser's DOM gives them."""

    def __init__(self, text: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def count(self, tag: str) -> int:
        return sum(1 for t, _ in self.tags if t == tag)


def _documents(phase: str) -> dict[str, list[dict]]:
    """A hull, a window and an NEB as stored, the phase named ``phase`` (a user's string)."""
    common = {"reference_set": "offline-CHGNet-0.3.0-v2", "provenance": PROVENANCE}
    hull = HullDocument(
        key="h",
        phase=phase,
        formula="LiCl",
        e_above_hull_ev_per_atom=0.0,
        decomposition={"LiCl": 1.0},
        **common,
    )
    window = WindowDocument(
        key="w",
        phase=phase,
        formula="LiCl",
        reduction_v_vs_li=0.0,
        oxidation_v_vs_li=4.18,
        oxidation_products=["Cl2"],
        **common,
    )
    neb = MigrationDocument(  # a hop between equivalent sites: a symmetric profile
        key="0123456789ab",
        host=phase,
        host_formula="LiCl",
        ion="Li",
        mechanism="vacancy",
        path_label="Li 4a-Li 4a",
        hop_length_a=3.6,
        multiplicity=1,
        state="successful",
        converged=True,
        barrier_ev=0.35,
        reverse_barrier_ev=0.35,
        energies_ev=[0.0, 0.2, 0.35, 0.2, 0.0],
        reaction_coordinate_a=[0.0, 0.9, 1.8, 2.7, 3.6],
        saddle_index=2,
        equivalent_paths=[[[0, 0, 0], [0.5, 0.5, 0]]],
        n_images=3,
        n_atoms=63,
        provenance=PROVENANCE,
    )
    reactions = [  # LiCl + Li2S do not react; at 298 K the same, from free energies
        ReactionDocument(
            key=f"r{t}",
            phases=[phase, "Li2S"],
            voltage_v_vs_li=None,
            temperature_k=t,
            reaction_energy_ev_per_atom=0.0,
            mixing_fractions=[1.0, 0.0],
            mixing_ratio=1.0,
            products={},
            reaction=NO_REACTION,
            **common,
        ).model_dump()
        for t in (None, 298.0)
    ]
    return {
        "reaction": reactions,
        "hull": [hull.model_dump()],
        "window": [window.model_dump()],
        "migration": [neb.model_dump()],
    }


def test_page_escapes_every_string_and_needs_nothing_from_outside():
    text = report_html(_documents(HOSTILE), f"report of {HOSTILE}", [f"note {HOSTILE}"])
    assert "<script" not in text.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    page = Page(text)
    # hull, window, reaction, migration, percolation and provenance tables
    assert page.count("table") == 6
    sources = [attrs["src"] for tag, attrs in page.tags if tag == "img"]
    # vs mixing ratio, hull/window bars, the NEB profile, free energy vs T
    assert len(sources) == 4
    assert all(s.startswith("data:image/png;base64,") for s in sources)
    assert not any(tag in ("link", "script", "iframe", "object") for tag, _ in page.tags)
    assert "http://" not in text and "https://" not in text
    # every number carries its reference set and its model
    assert "offline-CHGNet-0.3.0-v2" in text and "CHGNet-0.3.0" in text


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--out", "report.txt"], "--out report.txt is not an .html file"),
        (["--out", "missing/report.html"], "--out missing/report.html cannot be written"),
        (["nofile.yaml", "--out", "report.html"], "nofile.yaml does not exist"),
        (["--out", "report.html"], "ssbscreen demo"),
    ],
)
def test_bad_input_is_one_sentence_exit_2_and_nothing_written(
    tmp_path, monkeypatch, capsys, args, needle
):
    monkeypatch.chdir(tmp_path)
    assert main(["report", *args, "--store", f"embedded://{tmp_path / 'store'}"]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert needle in err and "\n" not in err and captured.out == ""
    assert not list(tmp_path.glob("report.*")) and not (tmp_path / "store").exists()


def test_an_empty_store_says_what_to_run_first(tmp_path, capsys):
    uri = f"embedded://{tmp_path / 'store'}"
    build_job_store(uri).connect()
    out = tmp_path / "report.html"
    assert main(["report", "--out", str(out), "--store", uri]) == 2
    err = capsys.readouterr().err.strip()
    assert "holds no results" in err and "ssbscreen run FILE" in err and "\n" not in err
    assert not out.exists()


def _chromium(*args: str) -> subprocess.CompletedProcess:
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=True)


@pytest.mark.slow
@needs_chromium
def test_report_of_a_campaign_renders_in_headless_chromium(tmp_path, capsys):
    from PIL import Image

    uri = f"embedded://{tmp_path / 'store'}"
    campaign = tmp_path / "campaign.yaml"
    campaign.write_text(CAMPAIGN)
    assert main(["run", str(campaign), "--store", uri]) == 0
    out = tmp_path / "report.html"
    capsys.readouterr()
    assert main(["report", str(campaign), "--out", str(out), "--store", uri]) == 0
    assert capsys.readouterr().out.strip() == str(out)

    dom = Page(_chromium("--dump-dom", out.as_uri()).stdout)
    text = " ".join(dom.text)
    assert "ssbscreen report: report-test" in text
    # hull, window, reaction and scan tables, and the provenance table
    assert dom.count("table") == 5 and dom.count("td") > 30
    assert "Li3InCl6 | Li2S" in text and "offline-CHGNet" in text
    images = [attrs for tag, attrs in dom.tags if tag == "img"]
    # vs mixing ratio, vs voltage, the scan, hull and window bars
    assert len(images) == 4
    assert all(a["src"].startswith("data:image/png;base64,") for a in images)

    shot = tmp_path / "shot.png"
    _chromium(f"--screenshot={shot}", "--window-size=1400,2400", out.as_uri())
    image = Image.open(shot).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20)
    assert image.size == (1400, 2400)
    assert len(colours) > 200  # text, table shading and the antialiased plots, not a blank page

    # a campaign that plans one more result than the store holds: reported, and counted
    campaign.write_text(
        CAMPAIGN.replace("[Li3InCl6, Li2S, 4.2]]", "[Li3InCl6, Li2S, 4.2], [Li3InCl6, Li2S, 2.5]]")
    )
    assert main(["report", str(campaign), "--out", str(out), "--store", uri]) == 0
    assert "1 result(s) of the campaign are not stored yet" in capsys.readouterr().err
    assert "1 result(s) of the campaign are not stored yet" in out.read_text()

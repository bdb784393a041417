"""Pack the Python packages the GPU runs need that the device image lacks (run here).

The device machine (Python 3.12 with a CUDA PyTorch, no network) gets ssbscreen's runtime
packages as one archive, .device/site.tar.xz (git-ignored; about 45 MB, under the 64 MiB a
device call carries): the versions installed here, as Python 3.12 manylinux wheels from the
package index, installed into a folder, trimmed of what is never loaded there (the weights
of the potentials not named by --models, botocore's service descriptions, plotly's
JavaScript), and compressed.

Usage: python benchmarks/device/pack.py [--out .device/site.tar.xz] [--models chgnet sevennet]
"""

from __future__ import annotations

import argparse
import importlib.metadata as metadata
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
# what the benchmarks import: their modules and the potentials' model code they load lazily
ENTRY_MODULES = (
    "benchmarks.batched_relaxation",
    "benchmarks.neb_batching",
    "benchmarks.phonon_batching",
    "chgnet.model",
    "chgnet.model.dynamics",
    "phonors",  # phonopy's Rust backend, its fallback where the C extension does not load
    "sevenn.calculator",
    "torch_sim",
    "torch_sim.models.sevennet",
    "atomate2.forcefields.utils",
    "atomate2.ase.utils",
    "ssbscreen.store",  # the reference-set build (build_references.sh)
    "ssbscreen.workflows.reference_set",
)
# the device image's Python packages (/work/.library/device/KINDS.md, read 2026-11-17), which
# the image's own versions serve (torch among them: a CUDA build)
IMAGE_PACKAGES = """
    certifi charset-normalizer cloudpickle contourpy cycler cython fonttools h5py idna joblib
    kiwisolver lxml matplotlib mpmath msgpack narwhals networkx numpy nvidia-ml-py
    opt-einsum opt-einsum-fx packaging pandas pillow psutil py-cpuinfo pyarrow
    pyparsing python-dateutil pyyaml requests rich scikit-learn scipy setuptools six sympy
    tabulate threadpoolctl torch torch-geometric tqdm typing-extensions urllib3 xxhash filelock
    fsspec jinja2 markupsafe triton"""
ON_IMAGE = set(IMAGE_PACKAGES.split())
# the weights each registered potential loads (potentials.POTENTIALS); those not asked for are
# left out, with the weights no potential here loads
WEIGHTS = {
    "chgnet": "chgnet/pretrained/0.3.0",
    "sevennet": "sevenn/pretrained_potentials/SevenNet_0__11Jul2024",
    "sevennet-l3i5": "sevenn/pretrained_potentials/SevenNet_l3i5",
}
UNUSED = (
    "sevenn/pretrained_potentials/SevenNet_0__22May2024",
    "sevenn/pair_e3gnn",
    "sevenn/pretrained_potentials/SevenNet_MF_0",
    "chgnet/pretrained/0.2.0",
    "chgnet/pretrained/r2scan",
    "plotly/package_data",  # plotly.js, for HTML pages; pymatgen's phase diagram imports plotly
    "plotly/labextension",
)
BENCHMARK_MODELS = ("chgnet", "sevennet")
# pure-Python packages published only as source (CHGNet imports nvidia-ml-py3's nvidia_smi):
# built into a wheel here
SOURCE_ONLY = ("nvidia-ml-py3",)
PLATFORMS = (
    "manylinux_2_28_x86_64",
    "manylinux_2_27_x86_64",
    "manylinux_2_26_x86_64",
    "manylinux_2_24_x86_64",
    "manylinux_2_17_x86_64",
    "manylinux2014_x86_64",
)


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def needed_distributions() -> dict[str, str]:
    """name -> version installed here, of every distribution the entry modules load, less the
    image's."""
    probe = (
        "import importlib, json, sys, importlib.metadata as md\n"
        f"for name in {ENTRY_MODULES!r}: importlib.import_module(name)\n"
        "found = md.packages_distributions()\n"
        "print(json.dumps(sorted({d for m in list(sys.modules) "
        "for d in found.get(m.split('.')[0], [])})))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPOSITORY, capture_output=True, text=True, check=True
    )
    names = json.loads(out.stdout.strip().splitlines()[-1])
    return {
        name: metadata.version(name)
        for name in names
        if _normal(name) not in ON_IMAGE and _normal(name) != "ssbscreen"
    }


def pack(out: Path, models: tuple[str, ...] = BENCHMARK_MODELS) -> Path:
    """Download, install, trim to the weights of ``models``, compress; return the archive."""
    unknown = sorted(set(models) - set(WEIGHTS))
    if unknown:
        raise SystemExit(f"--models {' '.join(unknown)}: choose from {', '.join(WEIGHTS)}.")
    wanted = needed_distributions()
    print(f"{len(wanted)} packages: {', '.join(sorted(wanted))}", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        wheels, site = Path(tmp, "wheels"), Path(tmp, "site")
        platform_args = [arg for p in PLATFORMS for arg in ("--platform", p)]
        common = ["--no-deps", "--only-binary=:all:", "--python-version", "3.12"]
        pinned = [f"{n}=={v}" for n, v in wanted.items() if n not in SOURCE_ONLY]
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", *common, "--implementation", "cp",
             *platform_args, "-d", str(wheels), *pinned],
            check=True,
        )  # fmt: skip
        built = [f"{n}=={v}" for n, v in wanted.items() if n in SOURCE_ONLY]
        if built:
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "wheel",
                    "-q",
                    "--no-deps",
                    "-w",
                    str(wheels),
                    *built,
                ],
                check=True,
            )
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", *common, "--implementation", "cp",
             *platform_args, "--no-compile", "--target", str(site), *map(str, wheels.iterdir())],
            check=True,
        )  # fmt: skip
        left_out = [path for name, path in WEIGHTS.items() if name not in models]
        for path in (*left_out, *UNUSED):
            shutil.rmtree(site / path, ignore_errors=True)
        for folder in site.rglob("__pycache__"):
            shutil.rmtree(folder, ignore_errors=True)
        for service in (site / "botocore" / "data").iterdir():  # only boto3's import is needed
            if service.is_dir():
                shutil.rmtree(service)
        out.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(out, "w:xz") as archive:
            archive.add(site, arcname="site")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPOSITORY / ".device" / "site.tar.xz")
    parser.add_argument(
        "--models", nargs="+", default=BENCHMARK_MODELS, help="potentials whose weights to keep"
    )
    args = parser.parse_args()
    path = pack(args.out, tuple(args.models))
    print(f"{path}: {path.stat().st_size / 2**20:.1f} MiB", file=sys.stderr)


if __name__ == "__main__":
    main()

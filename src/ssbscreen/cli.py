"""Command line: ``ssbscreen demo|structures|hull|...|run|query|table|store|submit|status``.

Bad input gets one sentence on stderr and exit code 2; nothing is written to the store then.
stdout carries only the answer; stderr a progress bar of the jobs computed, and messages; the
libraries' logs, warnings and prints go to ``ssbscreen.log`` (with -v also to stderr).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

from ssbscreen.potentials import DEFAULT_POTENTIAL

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as shells report a reader that closed the pipe
LOG_FILE = "ssbscreen.log"  # in the working directory: library logs, warnings and prints
FIRST_RUN = "`ssbscreen demo` or `ssbscreen run FILE`"  # what fills a store, for messages
PRINTED_LOGGER = "printed"  # what libraries print instead of log
NOISY_WARNINGS = (
    "logm result may be inaccurate",  # ASE's FrechetCellFilter, ~1e-13 errors
    "Converting a tensor with requires_grad=True",  # CHGNet
    "cd is deprecated",  # jobflow's local manager
)


class BadInput(ValueError):
    """Input a user must fix; printed as one sentence with exit code 2."""


def _campaign_options(parser: argparse.ArgumentParser, temperature: bool = True) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--model",
        default=DEFAULT_POTENTIAL,
        help="potential: chgnet (default, fast), sevennet-l3i5 (more accurate), sevennet",
    )
    parser.add_argument(
        "--engine",
        default="mlip",
        choices=["mlip", "mlip-batched", "vasp", "cp2k"],
        help="mlip (default, --model), mlip-batched (many structures relaxed together, GPU "
        "when present), vasp (MP settings) or cp2k (PBE, GTH)",
    )
    parser.add_argument(
        "--references",
        metavar="FILE|NAME",
        help="the hull: a JSON list of ComputedEntry dicts, or a set stored by `references "
        "build` (e.g. mp-chgnet)",
    )
    parser.add_argument(
        "--mix-engines",
        action="store_true",
        help="accept phase energies from another model than the reference set's",
    )
    parser.add_argument("--max-atoms", type=int, default=100, help="largest ordered cell built")
    if temperature:
        parser.add_argument(
            "--temperature",
            type=float,
            metavar="K",
            help="free energies G = E + F_vib(T) at T (kelvin); computes the phonons it needs",
        )
    parser.add_argument(
        "--store", help="store URI (default: $SSBSCREEN_STORE or ./ssbscreen_store)"
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``ssbscreen`` command."""
    from ssbscreen.analysis.kinds import PLOTS, QUERY_KINDS, TABLE_KINDS

    parser = argparse.ArgumentParser(prog="ssbscreen", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="system 1: Li3InCl6 between NCA and LPSCl, end to end")
    demo.add_argument("--model", default=DEFAULT_POTENTIAL)
    demo.add_argument("--store", help="store URI")
    demo.add_argument("--out", default="ssbscreen-output", help="folder for the table files")

    structures = sub.add_parser("structures", help="the structure library")
    ssub = structures.add_subparsers(dest="structures_command", required=True)
    ssub.add_parser("list", help="list library phases")
    show = ssub.add_parser("show", help="show one library phase")
    show.add_argument("name")
    show.add_argument("--json", action="store_true")
    show.add_argument("--cif", metavar="FILE", help="write the published cell as CIF")
    show.add_argument("--ordered", action="store_true", help="show the ordered representative")
    show.add_argument("--max-atoms", type=int, default=100)

    hull = sub.add_parser("hull", help="energy above hull and decomposition of a phase")
    hull.add_argument("phase")
    _campaign_options(hull)
    window = sub.add_parser("window", help="electrochemical window of a phase vs Li/Li+")
    window.add_argument("phase")
    _campaign_options(window)
    react = sub.add_parser("react", help="most negative reaction of two or three phases")
    react.add_argument("phases", nargs="+", metavar="PHASE", help="two or three phases")
    react.add_argument("--voltage", type=float, help="cell voltage (Li open), V vs Li or --vs")
    react.add_argument("--vs", metavar="ANODE", help="voltage given vs Li-In or Li4Ti5O12")
    react.add_argument("--plot", metavar="FILE", help="pair: energy vs mixing ratio (PNG/PDF)")
    _campaign_options(react)
    scan = sub.add_parser("scan", help="reaction energy of two phases over a voltage range")
    scan.add_argument("phases", nargs=2, metavar="PHASE")
    scan.add_argument("--from", dest="start", type=float, required=True, help="first voltage")
    scan.add_argument("--to", dest="stop", type=float, required=True, help="last voltage")
    scan.add_argument("--vs", metavar="ANODE", help="voltages given vs Li-In or Li4Ti5O12")
    scan.add_argument("--plot", metavar="FILE", help="energy vs voltage figure (PNG/PDF)")
    _campaign_options(scan)

    screen = sub.add_parser("screen", help="screens over the reference set")
    screen_sub = screen.add_subparsers(dest="screen_command", required=True)
    coatings = screen_sub.add_parser(
        "coatings", help="rank the set's Li phases as coatings between a cathode and electrolyte"
    )
    coatings.add_argument("--cathode", required=True, metavar="PHASE")
    coatings.add_argument("--electrolyte", required=True, metavar="PHASE")
    coatings.add_argument(
        "--voltage", type=float, default=4.3, help="cathode voltage, V vs Li (default 4.3)"
    )
    coatings.add_argument(
        "--max-ehull",
        type=float,
        default=0.05,
        metavar="EV_PER_ATOM",
        help="largest energy above hull of a coating (default 0.05 eV/atom)",
    )
    coatings.add_argument("--plot", metavar="FILE", help="reaction energy map (PNG/PDF)")
    _campaign_options(coatings, temperature=False)

    run = sub.add_parser("run", help="run a campaign file (YAML) into the store")
    run.add_argument("file")
    run.add_argument("--orderings", type=int, help="relax only this many orderings (quick look)")
    run.add_argument("--doped", type=int, help="relax only this many doped cells (quick look)")

    query = sub.add_parser("query", help="print stored result documents")
    query.add_argument("kind", choices=QUERY_KINDS)
    query.add_argument("--json", action="store_true", help="one JSON list")
    query.add_argument("--formula", help="only this phase (reduced formula, e.g. Li3InCl6)")
    query.add_argument("--chemsys", help="only this chemical system (e.g. Cl-In-Li)")
    query.add_argument("--engine", help="only results of this engine (mlip, vasp)")
    query.add_argument("--model", help="only results of this model (e.g. CHGNet-0.3.0)")
    query.add_argument("--campaign", help="only documents of this campaign")

    store_cmd = sub.add_parser("store", help="manage the result store")
    stsub = store_cmd.add_subparsers(dest="store_command", required=True)
    copy = stsub.add_parser("copy", help="copy results from one store to another (no duplicates)")
    copy.add_argument("source", help="store URI to read, e.g. embedded://./ssbscreen_store")
    copy.add_argument("destination", help="store URI to write, e.g. mongodb://host/ssbscreen")

    submit = sub.add_parser("submit", help="send a campaign file's missing jobs to an HPC queue")
    submit.add_argument("file")
    submit.add_argument("--via", required=True, choices=["jobflow-remote", "fireworks"])
    submit.add_argument("--project", help="jobflow-remote project (default: the current one)")
    submit.add_argument("--worker", help="jobflow-remote worker (default: the first)")
    submit.add_argument("--launchpad", help="FireWorks LaunchPad file (default: auto-load)")

    status = sub.add_parser("status", help="jobs of the HPC queue by state, and failures")
    status.add_argument("--via", default="jobflow-remote", choices=["jobflow-remote", "fireworks"])
    status.add_argument("--project", help="jobflow-remote project")
    status.add_argument("--launchpad", help="FireWorks LaunchPad file")
    status.add_argument("--rerun-failed", action="store_true", help="put failed jobs back")
    status.add_argument("--json", action="store_true")

    table = sub.add_parser("table", help="regenerate tables from the store (computes nothing)")
    table.add_argument("kind", nargs="?", choices=TABLE_KINDS)
    table.add_argument(
        "--observed", nargs="+", metavar="GROUP", help="species seen (PO_x SO_x P-S-P Li2S)"
    )
    table.add_argument("--format", default="md", choices=["md", "csv", "latex"])
    table.add_argument("--out", metavar="FILE")

    plot = sub.add_parser("plot", help="figures of stored results")
    plot.add_argument("kind", choices=list(PLOTS))
    plot.add_argument("id", help="key (or its first characters) of a migration document")
    plot.add_argument("--out", metavar="FILE", help="PNG file (default: neb-<id>.png)")

    report = sub.add_parser("report", help="one self-contained HTML page of stored results")
    report.add_argument("campaign", nargs="?", metavar="FILE", help="only this campaign's results")
    report.add_argument("--out", default="report.html", metavar="FILE", help="the .html page")

    for command in (run, query, submit, table, plot, report):  # the last option of each
        command.add_argument("--store", help="store URI")

    refs = sub.add_parser("references", help="reference sets: offline, or stored from MP")
    rsub = refs.add_subparsers(dest="references_command", required=True)
    build = rsub.add_parser(
        "build",
        help="compute the offline set (library structures) or a stored set (MP structures)",
    )
    build.add_argument(
        "--from",
        dest="source",
        default="library",
        choices=["library", "materials-project"],
        help="library: the offline data file (default); materials-project: the structures of "
        "--chemsys and its subsystems, stored as the set mp-<model>",
    )
    build.add_argument("--chemsys", help="with --from materials-project: e.g. Li-Nb-O")
    build.add_argument(
        "--within",
        type=float,
        metavar="EV_PER_ATOM",
        help="with --from materials-project: keep phases this far above MP's hull "
        "(default 0.1 eV/atom)",
    )
    build.add_argument("--model", default=DEFAULT_POTENTIAL)
    build.add_argument("--only", nargs="+", metavar="NAME", help="only these phases (library)")
    build.add_argument("--out", metavar="FILE", help="library: default the package's data file")
    build.add_argument("--store", help="store URI (finished phases are reused)")
    rlist = rsub.add_parser("list", help="phases of a reference set and their energies")
    rlist.add_argument("--model", default=DEFAULT_POTENTIAL)
    rlist.add_argument("--set", metavar="NAME", help="a stored set (e.g. mp-chgnet), not offline")
    rlist.add_argument("--json", action="store_true")
    rlist.add_argument("--store", help="store URI (with --set)")
    return parser


def _structures(args) -> int:
    from ssbscreen.structures.library import get_record, ordered_representative, phase_names
    from ssbscreen.structures.records import load_records

    if args.structures_command == "list":
        for name in phase_names():
            record = load_records("library")[name]
            order = "ordered" if record.is_ordered else "disordered"
            say(f"{name:10s} {record.formula:24s} {record.spacegroup_symbol:9s} {order}")
        return 0
    record = get_record(args.name)
    structure = (
        ordered_representative(record.name, args.max_atoms) if args.ordered else record.structure()
    )
    if args.cif:
        structure.to(filename=args.cif, fmt="cif")
    info = {
        "name": record.name,
        "formula": record.formula,
        "spacegroup_symbol": record.spacegroup_symbol,
        "spacegroup_number": record.spacegroup_number,
        "is_ordered": structure.is_ordered,
        "n_sites": len(structure),
        "lattice": record.lattice,
        "source": record.source,
    }
    if args.json:
        say(json.dumps(info, indent=2))
    else:
        say(
            f"{record.name}: {record.formula}, "
            f"{record.spacegroup_symbol} ({record.spacegroup_number})"
        )
        say(f"source: {record.source.get('reference')}")
        say(structure)
    return 0


def _campaign_from_args(args, hulls=(), windows=(), reactions=(), scans=()):
    from ssbscreen.workflows.campaign import Campaign
    from ssbscreen.workflows.engines import engine_from_name
    from ssbscreen.workflows.references import ReferenceSpec

    engine = engine_from_name(getattr(args, "engine", "mlip"), args.model)
    reference = ReferenceSpec.from_options(args.references, engine.potential, args.mix_engines)
    return Campaign(
        hulls=list(hulls),
        windows=list(windows),
        reactions=list(reactions),
        scans=list(scans),
        voltage_reference=getattr(args, "vs", None) or "Li",
        engine=engine,
        reference=reference,
        max_atoms=args.max_atoms,
        temperatures_k=[] if getattr(args, "temperature", None) is None else [args.temperature],
    )


def _run(campaign, store, plan=None) -> tuple[dict[str, list[dict]], bool]:
    """Run a campaign in ``store`` (a JobStore or its URI), planned once (``plan``, when
    already made in that store); (its result documents, whether every planned result was
    computed)."""
    from jobflow import JobStore

    from ssbscreen.store import build_job_store
    from ssbscreen.workflows.campaign import plan_campaign, run_campaign

    if not isinstance(store, JobStore):
        store = build_job_store(store)
    if plan is None:
        plan = plan_campaign(campaign, store)  # validates input before anything is written
    if not plan.is_empty:
        campaign.engine.check_runnable()
        tell(f"computing {plan.n_jobs} job(s) ...")
    results = run_campaign(campaign, store, plan)
    complete = True
    for kind, keys in plan.result_keys.items():
        if len(results[kind]) < len(keys):
            complete = False
            tell(
                f"warning: {len(keys) - len(results[kind])} of {len(keys)} {kind} results "
                "could not be computed; rerunning the same command computes only those.",
            )
            for failure in results["failures"]:
                if failure["job"].split(" ")[0] == kind:
                    tell(f"  {failure['job']}: {failure['reason']}")
    return results, complete


def _single(kind: str, args, campaign) -> int:
    if getattr(args, "plot", None):
        from ssbscreen.analysis.plots import check_figure_path

        check_figure_path(args.plot)  # before anything is computed or stored
        if kind == "reaction" and len(args.phases) != 2:
            raise BadInput("--plot draws the mixing curve of two phases; give two phases.")
    results, _ = _run(campaign, args.store)
    temperature = getattr(args, "temperature", None)
    docs = [d for d in results[kind] if d.get("temperature_k") == temperature]
    if not docs:
        tried = results["calculation"] + results.get("phonon", [])
        failed = [c for c in tried if c["state"] != "successful"]
        reason = failed[0]["reason"] if failed else f"see {LOG_FILE}"
        tell(f"error: the {kind} could not be computed: {reason}.")
        return 1
    from ssbscreen.analysis.kinds import RESULT_KINDS
    from ssbscreen.analysis.tables import nominal_names, render

    doc = nominal_names(docs[0])  # a disordered phase by its nominal formula, as in the tables
    # a document stored before the mutual energy was recorded has none: null
    out = {k: doc.get(k) for k in RESULT_KINDS[kind].answer}
    if getattr(args, "plot", None):  # a reaction (energy vs mixing ratio) or a scan
        from ssbscreen.analysis.plots import plot_document
        from ssbscreen.workflows.references import document_reference

        calculations = {c["phase"]: c for c in results["calculation"]}
        reference_of = document_reference(args.references, args.mix_engines, calculations)
        plot = plot_document(doc, args.plot, reference_of, calculations, args.mix_engines)
        out["plot"] = str(plot)
    out["reference_set"] = doc["reference_set"]
    out["model"] = doc["provenance"]["model"]
    out["temperature_k"] = doc.get("temperature_k")
    if temperature is not None:
        out["imaginary_modes_thz"] = doc["imaginary_modes_thz"]
        out["ideal_gases_bar"] = doc["ideal_gases_bar"]
    if args.json:
        say(json.dumps(out))
    else:
        say(render(kind, docs))
    return 0


def _screen_coatings(args) -> int:
    """Rank the reference set's Li phases as coatings (analysis/coatings.py); input checked
    before the cathode and electrolyte are computed as ``react`` computes them."""
    from pymatgen.core import Composition

    from ssbscreen.analysis.coatings import RANKING_RULE, coating_candidates, coating_screen
    from ssbscreen.analysis.references import phase_entry
    from ssbscreen.analysis.voltages import voltage_vs_li
    from ssbscreen.structures.library import UnknownPhaseError, phase_elements
    from ssbscreen.workflows.campaign import phase_structure

    voltage = voltage_vs_li(args.voltage)  # refuses nan, inf and voltages outside 0-10 V
    if args.plot:
        from ssbscreen.analysis.plots import check_figure_path

        check_figure_path(args.plot)
    if not 0.0 <= args.max_ehull < float("inf"):
        raise BadInput(f"--max-ehull {args.max_ehull:g} must be a finite energy >= 0 eV/atom.")
    phases = {"--cathode": args.cathode, "--electrolyte": args.electrolyte}
    if args.cathode == args.electrolyte:
        raise BadInput("--cathode and --electrolyte name the same phase; give two phases.")
    campaign = _campaign_from_args(args, hulls=list(phases.values()))  # checks --model
    elements = {"Li"} | phase_elements(args.cathode) | phase_elements(args.electrolyte)
    reference = campaign.reference.load(elements)
    formulas = {e.composition.reduced_formula for e in reference.entries}
    compositions = []
    for option, name in phases.items():
        try:
            structure = phase_structure(name, formulas, campaign.max_atoms)
        except UnknownPhaseError as exc:
            raise BadInput(f"{option}: {exc.args[0]}") from exc
        compositions.append(Composition(name) if structure is None else structure.composition)
    candidates = coating_candidates(reference, compositions)
    if not candidates:
        raise BadInput(
            f"The reference set {reference.name!r} has no Li-containing phase besides Li metal, "
            "the cathode and the electrolyte; give --references FILE with Li-containing entries."
        )
    results, _ = _run(campaign, args.store)
    calculations = {c["phase"]: c for c in results["calculation"]}
    failed = [c for c in calculations.values() if c["state"] != "successful"]
    if failed:
        reason = f"{failed[0]['phase']} could not be computed: {failed[0]['reason']}"
        tell(f"error: {reason}.")
        return 1
    cathode, electrolyte = (
        phase_entry(name, calculations.get(name), reference, campaign.reference.allow_mixing)
        for name in phases.values()
    )
    start = time.perf_counter()
    screen = coating_screen(cathode, electrolyte, candidates, reference, voltage, args.max_ehull)
    seconds = time.perf_counter() - start
    tell(f"screened {len(candidates)} coatings in {seconds:.2f} s")
    hulls = {d["phase"]: d["e_above_hull_ev_per_atom"] for d in results["hull"]}
    rows = [{"rank": i, **row.as_dict()} for i, row in enumerate(screen.rows, start=1)]
    out = {
        "cathode": args.cathode,
        "electrolyte": args.electrolyte,
        "voltage_v_vs_li": voltage,
        "max_e_above_hull_ev_per_atom": args.max_ehull,
        "cathode_e_above_hull_ev_per_atom": hulls.get(args.cathode),
        "electrolyte_e_above_hull_ev_per_atom": hulls.get(args.electrolyte),
        "cathode_electrolyte_ev_per_atom": round(screen.cathode_electrolyte_ev_per_atom, 6),
        "cathode_electrolyte_at_voltage_ev_per_atom": round(
            screen.cathode_electrolyte_at_voltage_ev_per_atom, 6
        ),
        "reference_set": reference.name,
        "model": reference.model or reference.name,
        "ranking": RANKING_RULE,
        "rows": rows,
    }
    if args.plot:
        from ssbscreen.analysis.plots import plot_coating_screen

        out["plot"] = str(plot_coating_screen(screen, args.cathode, args.electrolyte, args.plot))
    if args.json:
        say(json.dumps(out))
        return 0
    from ssbscreen.analysis.tables import render

    say(
        f"Coatings between {args.cathode} and {args.electrolyte} at {voltage:g} V vs Li: "
        f"{len(rows)} Li phases of {reference.name}, E_hull <= {args.max_ehull:g} eV/atom. "
        f"Bare {args.cathode} | {args.electrolyte}: "
        f"{1000 * screen.cathode_electrolyte_ev_per_atom:.1f} meV/atom chemical, "
        f"{1000 * screen.cathode_electrolyte_at_voltage_ev_per_atom:.1f} meV per non-Li atom "
        f"at {voltage:g} V."
    )
    say(render("coating", rows))
    say(f"Ranking: {RANKING_RULE}.")
    if args.plot:
        say(f"plot: {out['plot']}")
    return 0


def _stored_results(store_arg: str | None, first: str = FIRST_RUN):
    """The connected job store of a command that only reads it; BadInput, and no folder made,
    when an embedded store does not exist."""
    from ssbscreen.store import build_job_store
    from ssbscreen.store.config import embedded_path, is_embedded, resolve_store_uri

    uri = resolve_store_uri(store_arg)
    if is_embedded(uri) and not embedded_path(uri).exists():
        raise BadInput(f"There is no store at {embedded_path(uri)} yet; run {first} first.")
    store = build_job_store(uri)
    store.connect()
    return store


def _table(args) -> int:
    from ssbscreen.analysis.kinds import RESULT_KINDS, TABLE_KINDS
    from ssbscreen.analysis.tables import render, render_all
    from ssbscreen.store.queries import stored_outputs

    store = _stored_results(args.store)
    kinds = [args.kind] if args.kind else TABLE_KINDS
    docs = {kind: stored_outputs(store, RESULT_KINDS[kind].stored) for kind in kinds}
    text = (
        render(args.kind, docs[args.kind], args.format, args.observed)
        if args.kind
        else render_all(docs, args.format, args.observed)
    )
    if args.out:
        Path(args.out).write_text(text)
    say(text)
    return 0


def _run_file(args) -> int:
    from ssbscreen.analysis.tables import render, render_all
    from ssbscreen.store import build_job_store
    from ssbscreen.store.queries import stored_outputs
    from ssbscreen.workflows.campaign_file import read_campaign_file, section_flows
    from ssbscreen.workflows.local import run_flow_locally

    content = read_campaign_file(args.file)
    store = build_job_store(args.store)
    overrides = {
        key: value
        for key, value in (("n_orderings", args.orderings), ("n_doped", args.doped))
        if value is not None
    }
    complete = True
    for section in section_flows(content, store, overrides):
        if section.section == "screen":
            results, complete = _run(section.campaign, store, section.plan)
            observed = content["screen"].get("observed_products")
            kinds = ("hull", "window", "reaction", "scan")
            say(render_all({k: results[k] for k in kinds}, observed=observed))
            continue
        what = "job(s) ..." if section.section == "doping" else "NEB(s); finished ones are reused"
        tell(f"computing {len(section.flow.jobs)} {what}")
        run_flow_locally(section.flow, store)
        store.connect()
        name = content.get("name", section.section)
        docs = [d for d in stored_outputs(store, section.section) if d["campaign"] == name]
        say(render(section.section, docs))
        if section.section == "migration":
            say(render("percolation", docs))
    return 0 if complete else 1


def _query(args) -> int:
    from ssbscreen.analysis.kinds import RESULT_KINDS
    from ssbscreen.store.queries import query_outputs
    from ssbscreen.structures.library import phase_elements

    store = _stored_results(args.store)
    docs = query_outputs(
        store,
        args.kind,
        formula=args.formula,
        chemsys=args.chemsys,
        engine=args.engine,
        model=args.model,
        campaign=args.campaign,
        phase_elements=phase_elements,
    )
    docs = [RESULT_KINDS[args.kind].summary(d) for d in docs]
    text = json.dumps(docs, default=str) if args.json else "\n".join(map(str, docs))
    say(text)
    return 0


def _store(args) -> int:
    from ssbscreen.store import copy_store

    report = copy_store(args.source, args.destination)
    say(f"copied {report.source} -> {report.destination}")
    for name, n in report.copied.items():
        say(f"  {name}: {n} copied, {report.already_there[name]} already there")
    return 0


def _submit(args) -> int:
    from ssbscreen.store import build_job_store
    from ssbscreen.workflows.submit import campaign_flow, submit_flow

    store = build_job_store(args.store)
    flow = campaign_flow(args.file, store)
    ids = submit_flow(flow, args.via, store, args.launchpad, args.project, args.worker)
    say(f"submitted {len(ids)} job(s) via {args.via}" + (f": {', '.join(ids)}" if ids else ""))
    return 0


def _status(args) -> int:
    from ssbscreen.workflows.submit import queue_status, rerun_failed

    status = queue_status(args.via, args.launchpad, args.project)
    rerun = rerun_failed(args.via, args.launchpad, args.project) if args.rerun_failed else []
    if args.json:
        say(json.dumps({**status.as_dict(), "rerun": rerun}))
        return 0
    counts = ", ".join(f"{state}: {n}" for state, n in status.counts.items()) or "no jobs"
    say(f"{args.via}: {counts}")
    for failure in status.failures:
        say(f"  failed {failure['id']} {failure['name']}: {failure['reason']}")
    if rerun:
        say(f"put back in the queue: {', '.join(rerun)}")
    return 0


def _plot_stored(args) -> int:
    from ssbscreen.analysis.plots import PLOTS, plot_stored
    from ssbscreen.store.queries import stored_outputs
    from ssbscreen.workflows.references import document_reference

    docs = stored_outputs(_stored_results(args.store), PLOTS[args.kind])
    say(plot_stored(args.kind, docs, args.id, document_reference(None), args.out))
    return 0


def _report(args) -> int:
    """`report [FILE] [--out report.html]`: tables, figures and provenance of stored results."""
    from ssbscreen.analysis.report import REPORT_KINDS, report_html
    from ssbscreen.store.config import redact_uri, resolve_store_uri
    from ssbscreen.store.queries import stored_outputs
    from ssbscreen.workflows.campaign_file import campaign_documents, read_campaign_file

    out = Path(args.out)
    if out.suffix.lower() != ".html":
        raise BadInput(f"--out {args.out} is not an .html file; give e.g. --out report.html.")
    folder = out.resolve().parent
    writable = os.access(out, os.W_OK) if out.exists() else os.access(folder, os.W_OK)
    if not folder.is_dir() or out.is_dir() or not writable:
        raise BadInput(f"--out {args.out} cannot be written; give a file in a writable folder.")
    content = read_campaign_file(args.campaign) if args.campaign else None
    uri = resolve_store_uri(args.store)
    first = f"`ssbscreen run {args.campaign}`" if content else FIRST_RUN
    store = _stored_results(uri, first)
    if content is None:
        documents, missing = {kind: stored_outputs(store, kind) for kind in REPORT_KINDS}, 0
        title = "ssbscreen report: every result in the store"
    else:
        documents, missing = campaign_documents(content, store)
        title = f"ssbscreen report: {content.get('name', Path(args.campaign).stem)}"
    if not any(documents.values()):
        where = f"of {args.campaign} " if content else ""
        raise BadInput(f"The store holds no results {where}yet; run {first} first.")
    notes = [f"Store: {redact_uri(uri)}. Computed nothing: every number is a stored document."]
    if missing:
        notes.append(f"{missing} result(s) of the campaign are not stored yet; run {first}.")
        tell(f"warning: {notes[-1]}")
    observed = ((content or {}).get("screen") or {}).get("observed_products")
    out.write_text(report_html(documents, title, notes, observed))
    say(out)
    return 0


def _references(args) -> int:
    from ssbscreen.analysis.references import offline_reference_path, offline_reference_set
    from ssbscreen.potentials import get_potential
    from ssbscreen.workflows.engines import MLIPEngine
    from ssbscreen.workflows.references import stored_reference_set

    if args.references_command == "list":
        if args.set:
            reference = stored_reference_set(args.set)
        else:
            reference = offline_reference_set(args.model.lower())
        rows = [
            {
                "formula": e.composition.reduced_formula,
                "energy_per_atom_ev": e.energy_per_atom,
                "material_id": e.data.get("material_id"),
            }
            for e in reference.entries
        ]
        if args.json:
            say(json.dumps({"reference_set": reference.name, "entries": rows}))
        else:
            say(f"{reference.name}: {len(rows)} phases (energies on the MP2020 scale)")
            for row in sorted(rows, key=lambda r: r["formula"]):
                mid = row["material_id"] or ""
                say(f"  {row['formula']:12s} {row['energy_per_atom_ev']:10.4f} eV/atom  {mid}")
        return 0
    engine = MLIPEngine(potential=get_potential(args.model).key)
    if args.source == "materials-project":
        return _references_from_mp(args, engine)
    if args.chemsys or args.within is not None:
        raise BadInput("--chemsys and --within go with --from materials-project.")
    from ssbscreen.store import build_job_store
    from ssbscreen.workflows.reference_set import build_reference_set

    out = Path(args.out) if args.out else offline_reference_path(engine.potential)
    content = build_reference_set(engine, build_job_store(args.store), out, args.only)
    say(f"wrote {len(content['entries'])} entries to {out}")
    for name, reason in content["failed"].items():
        tell(f"  failed: {name}: {reason}")
    return _warn_failed(len(content["failed"]))


def _references_from_mp(args, engine) -> int:
    """`references build --from materials-project`: add --chemsys to the stored set mp-<model>."""
    from ssbscreen.store import build_collection, build_job_store
    from ssbscreen.store.jobstore import MP_CACHE_COLLECTION, REFERENCE_SETS_COLLECTION
    from ssbscreen.workflows.mp_reference_set import (
        DEFAULT_WITHIN_EV_PER_ATOM,
        build_mp_reference_set,
    )

    if args.only or args.out:
        raise BadInput(
            "--only and --out go with the library set; --from materials-project stores the "
            "set mp-<model> in the store (give --chemsys)."
        )
    if not args.chemsys:
        raise BadInput("--from materials-project needs --chemsys, e.g. --chemsys Li-Nb-O.")
    within = DEFAULT_WITHIN_EV_PER_ATOM if args.within is None else args.within
    report = build_mp_reference_set(
        engine,
        build_job_store(args.store),
        build_collection(REFERENCE_SETS_COLLECTION, args.store),
        build_collection(MP_CACHE_COLLECTION, args.store),
        args.chemsys,
        within,
        endpoint=os.environ.get("MP_API_ENDPOINT") or None,
    )
    say(
        f"{report.name}: {len(report.kept) - len(report.failed)} phase(s) of {report.chemsys} "
        f"within {report.within_ev_per_atom:g} eV/atom of MP's hull stored "
        f"({report.computed} computed now, {report.reused} reused); the set holds "
        f"{report.n_entries} entries; use it with --references {report.name}"
    )
    for mid, distance in sorted(report.excluded.items(), key=lambda kv: kv[1]):
        tell(f"  left out: {mid} ({distance:.3f} eV/atom above MP's hull)")
    for mid, reason in report.failed.items():
        tell(f"  failed: {mid}: {reason}")
    return _warn_failed(len(report.failed))


def _warn_failed(n_failed: int) -> int:
    """Exit status of a reference build: 1 with a warning when phases failed, else 0."""
    if not n_failed:
        return 0
    tell(
        f"warning: {n_failed} phase(s) could not be computed; rerunning the same command "
        "computes only those."
    )
    return 1


def _demo(args) -> int:
    from ssbscreen.analysis.tables import render_all
    from ssbscreen.workflows.demo import system1_campaign

    start = time.perf_counter()
    campaign = system1_campaign(args.model.lower())
    say(
        "ssbscreen demo: Li3InCl6-coated NCA with Li6PS5Cl (seed study system 1, docs/campaigns.md)"
    )
    say(f"engine: {campaign.engine.spec.model_name}; reference set: {campaign.reference.source}")
    results, _ = _run(campaign, args.store)
    failed = [c for c in results["calculation"] if c["state"] != "successful"]
    for calc in failed:
        tell(f"failed: {calc['phase']}: {calc['reason']}")
    docs = {kind: results[kind] for kind in ("hull", "window", "reaction")}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "system1.md").write_text(render_all(docs, "md"))
    (out / "system1.csv").write_text(render_all(docs, "csv"))
    say(render_all(docs, "md"))
    say(f"tables written to {out / 'system1.md'} and {out / 'system1.csv'}")
    say(f"wall time: {time.perf_counter() - start:.1f} s")
    return 1 if failed else 0


# where answers go: the stdout main() was called with; while a command runs, what libraries
# print goes to the log (and, with -v, to stderr), so --json stays JSON
_answer_stream = None
_message_stream = None  # the stderr main() was called with: progress, warnings, errors


def say(*values) -> None:
    """Print part of the answer."""
    print(*values, file=_answer_stream)


def tell(*values) -> None:
    """Print a message to the user (stderr), never part of the answer."""
    print(*values, file=_message_stream)


class _LogStream(io.TextIOBase):
    """A text stream whose lines go to ``logger`` (what libraries print to stdout or stderr)."""

    def __init__(self, logger: logging.Logger):
        self.logger, self.pending = logger, ""

    def write(self, text: str) -> int:
        *lines, self.pending = (self.pending + text).split("\n")
        for line in lines:
            if line.strip():
                self.logger.info(line.rstrip())
        return len(text)


@contextlib.contextmanager
def _store_for_jobs(store: str | None) -> Iterator[None]:
    """$SSBSCREEN_STORE set to ``--store`` while a command runs (jobs and caches use the same
    store), as it was afterwards."""
    from ssbscreen.store.config import ENV_VAR

    before = os.environ.get(ENV_VAR)
    if store:
        os.environ[ENV_VAR] = store
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(ENV_VAR, None)
        else:
            os.environ[ENV_VAR] = before


@contextlib.contextmanager
def _library_output_to_log(verbose: bool) -> Iterator[None]:
    """Send library logs, warnings and prints to LOG_FILE (and stderr when ``verbose``)."""
    handlers: list[logging.Handler] = [logging.FileHandler(LOG_FILE, delay=True)]
    if verbose:
        handlers.append(logging.StreamHandler(sys.stderr))
    root = logging.getLogger()
    saved_level = root.level
    for handler in handlers:
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
        root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("jobflow").setLevel(logging.INFO)  # job by job
    logging.getLogger(PRINTED_LOGGER).setLevel(logging.INFO)
    logging.captureWarnings(True)
    printed = _LogStream(logging.getLogger(PRINTED_LOGGER))
    try:
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
            yield
    finally:
        printed.write("\n")  # a last line printed without its newline
        logging.captureWarnings(False)
        root.setLevel(saved_level)
        for handler in handlers:
            root.removeHandler(handler)
            handler.close()


def _add_verbose(parser: argparse.ArgumentParser, default=False) -> None:
    """-v/--verbose on ``parser`` and every subcommand's parser (so it may come last)."""
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=default,
        help=f"also show the library log (always written to {LOG_FILE}) on stderr",
    )
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for subparser in action.choices.values():
                _add_verbose(subparser, default=argparse.SUPPRESS)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``ssbscreen`` console script."""
    from ssbscreen.workflows.local import progress_bar

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    for noise in NOISY_WARNINGS:  # harmless messages from dependencies, one per optimiser step
        warnings.filterwarnings("ignore", message=noise)
    parser = build_parser()
    _add_verbose(parser)
    args = parser.parse_args(argv)
    handlers = {
        "structures": _structures,
        "table": _table,
        "references": _references,
        "run": _run_file,
        "query": _query,
        "store": _store,
        "submit": _submit,
        "status": _status,
        "plot": _plot_stored,
        "report": _report,
        "demo": _demo,
        "hull": lambda a: _single("hull", a, _campaign_from_args(a, hulls=[a.phase])),
        "window": lambda a: _single("window", a, _campaign_from_args(a, windows=[a.phase])),
        "react": lambda a: _single(
            "reaction", a, _campaign_from_args(a, reactions=[(*a.phases, a.voltage)])
        ),
        "scan": lambda a: _single(
            "scan", a, _campaign_from_args(a, scans=[(*a.phases, a.start, a.stop)])
        ),
        "screen": _screen_coatings,  # the one screen so far: ``screen coatings``
    }
    global _answer_stream, _message_stream
    _answer_stream, _message_stream = sys.stdout, sys.stderr
    try:
        with (
            _store_for_jobs(getattr(args, "store", None)),
            _library_output_to_log(args.verbose),
            progress_bar(_message_stream),
        ):
            return handlers[args.command](args)
    except BrokenPipeError:  # the reader of stdout stopped (``| head``): nothing to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # for the exit flush
        return EXIT_BROKEN_PIPE
    except (ValueError, ConnectionError) as exc:
        message = exc.args[0] if exc.args else str(exc)
        tell(f"error: {message}")
        return EXIT_BAD_INPUT
    except OSError as exc:  # a file or folder named by the user: say which and why
        if exc.filename is None:
            raise
        tell(f"error: {exc.filename}: {exc.strerror}; check the path.")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        tell("interrupted: finished calculations are kept in the store; rerun to continue.")
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())

"""Time the bulk import and the reports on a large synthetic data set.

    make bench                                  # scale 1, SQLite and PostgreSQL
    make bench BENCH_ARGS="--scale 0.1"         # a quick run
    .venv/bin/python -m benchmarks.run --backends sqlite --repeat 1

Steps, in order, on a fresh database per backend (SQLite: a new file, and
PostgreSQL when a server answers at 127.0.0.1:5432: a throwaway database,
dropped afterwards), each in a fresh Python process so that its peak memory
is that step's alone:

1. ``migrate``: ``flask db upgrade`` (Flask-Migrate); informative only.
2. ``import``: ``import-data`` of the six files into the empty database.
3. ``import again``: the same files again (must report 0 created, 0 updated).
4. the reports: activity and sectors for one financial year and for all
   time, compliance on one date, delegates for one busy session.
5. ``programme page``: ``GET /sessions`` with 2,000 upcoming sessions from
   20 concurrent clients against ``gunicorn -w 2``, on a database of its
   own (``benchmarks.programme_page``); "wall s" is the p95 latency, and the
   output column gives p50, p95 and max.
6. ``booking race``: 200 people book the last 5 places of a session at the
   same moment through ``gunicorn -w 4`` (``benchmarks.booking_race``, the
   scenario of ``tests/test_booking_race.py``); "wall s" is the p95 latency
   and the outcome must be exactly 5 confirmed, 195 waiting, 0 errors.

Each child process runs the real CLI command (the click command, in-process,
with its output captured) and measures the command's wall time and the
process's peak resident memory (``getrusage(RUSAGE_SELF).ru_maxrss``).
"wall s" is the command itself; "process s" adds interpreter start-up and
app creation, as seen when typing ``flask --app wsgi ...``.

Targets (a 2-core machine): import <= 60 s, each report <= 1 s, programme
page p95 <= 1 s (the load generator shares the machine), peak memory
<= 500 MB. A missed target is printed as FAIL; the exit status is non-zero
only when a step crashed, because benchmarks inform rather than test.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from . import booking_race, generate, programme_page

ROOT = Path(__file__).resolve().parent.parent
DATA_ROOT = ROOT / "bench-data"
PG_ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
RESULT_MARK = "BENCH-RESULT "

IMPORT_TARGET_S = 60.0
REPORT_TARGET_S = 1.0
PAGE_TARGET_S = 1.0  # p95 of GET /sessions under 20 concurrent clients
# p95 of 200 simultaneous bookings queued on 4 sync workers: each waits for
# the ones ahead of it, so this is about how long the last in the queue waits.
RACE_TARGET_S = 5.0
MEMORY_TARGET_MB = 500.0


# -- the child: one step in a fresh process ------------------------------------------------

def child(spec: dict) -> None:
    """Run one step and print its measurements as a JSON line."""
    import resource

    from trainingapp import create_app
    from trainingapp.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": spec["url"], "SECRET_KEY": "benchmark"})
    result: dict = {}
    if spec["step"] == "migrate":
        from flask_migrate import upgrade

        with app.app_context():
            started = time.perf_counter()
            upgrade()
            result["wall"] = time.perf_counter() - started
            db.engine.dispose()
        result.update(exit_code=0, output="")
    else:
        runner = app.test_cli_runner()
        # ``flask --app wsgi ...`` (FlaskGroup) pushes an app context for
        # every command; the test runner invokes ``app.cli`` directly.
        with app.app_context():
            started = time.perf_counter()
            outcome = runner.invoke(args=spec["args"])
            result["wall"] = time.perf_counter() - started
        result["exit_code"] = outcome.exit_code
        output = outcome.stdout_bytes.decode("utf-8-sig", "replace")
        result["output"] = output if spec["step"].startswith("import") else ""
        result["rows"] = max(output.count("\r\n") - 1, 0)
        if outcome.exit_code != 0:
            error = outcome.stderr_bytes.decode("utf-8", "replace") if outcome.stderr_bytes else ""
            if outcome.exception is not None and not isinstance(outcome.exception, SystemExit):
                error += f"{type(outcome.exception).__name__}: {outcome.exception}"
            result["error"] = error[-2000:]
        with app.app_context():
            db.engine.dispose()
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(RESULT_MARK + json.dumps(result), flush=True)


# -- the parent -----------------------------------------------------------------------------

@dataclass
class Step:
    name: str
    args: list[str]
    target_s: float | None
    repeat: int = 1


@dataclass
class Measure:
    step: str
    backend: str
    wall: float | None = None
    process: float | None = None
    peak_mb: float | None = None
    target_s: float | None = None
    note: str = ""
    error: str = ""
    walls: list[float] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        if self.error:
            return "ERROR"
        if self.target_s is None:
            return "-"
        ok = self.wall <= self.target_s and (self.peak_mb is None or self.peak_mb <= MEMORY_TARGET_MB)
        return "pass" if ok else "FAIL"

    @property
    def target(self) -> str:
        if self.target_s is None:
            return "-"
        return f"≤ {self.target_s:g} s, ≤ {MEMORY_TARGET_MB:g} MB"


def run_child(step: str, url: str, args: list[str]) -> tuple[dict, float]:
    spec = json.dumps({"step": step, "url": url, "args": args})
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--child", spec],
        cwd=ROOT, capture_output=True, text=True,
    )
    elapsed = time.perf_counter() - started
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK):]), elapsed
    return {"exit_code": proc.returncode,
            "error": (proc.stderr or proc.stdout)[-2000:] or "no result"}, elapsed


def import_summary(output: str) -> str:
    """Totals over the CLI's ``FILE: N created, M updated, K unchanged`` lines."""
    totals = [0, 0, 0]
    for line in output.splitlines():
        match = re.fullmatch(r".+: (\d+) created, (\d+) updated, (\d+) unchanged", line.strip())
        if match:
            totals = [t + int(v) for t, v in zip(totals, match.groups())]
    return "{:,} created, {:,} updated, {:,} unchanged".format(*totals)


def measure(step: Step, backend: str, url: str, log) -> Measure:
    m = Measure(step.name, backend, target_s=step.target_s)
    peaks, processes = [], []
    for _ in range(step.repeat):
        result, elapsed = run_child("migrate" if step.name == "migrate" else step.name.split()[0],
                                    url, step.args)
        if result.get("exit_code") != 0 or "wall" not in result:
            m.error = result.get("error") or f"exit status {result.get('exit_code')}"
            log(f"  {step.name:<34} ERROR\n{m.error}")
            return m
        m.walls.append(result["wall"])
        peaks.append(result["peak_mb"])
        processes.append(elapsed)
        if step.name.startswith("import"):
            m.note = import_summary(result["output"])
        elif step.name != "migrate":
            m.note = f"{result['rows']} rows"
    m.wall = statistics.median(m.walls)
    m.process = statistics.median(processes)
    m.peak_mb = max(peaks)
    shown = " ".join(f"{w:.3f}" for w in m.walls)
    log(f"  {step.name:<34} {shown} s, {m.peak_mb:.0f} MB  {m.verdict}")
    if step.name.startswith("import"):
        log("".join(f"      {line}\n" for line in result["output"].splitlines() if line).rstrip())
    return m


def steps_for(data: Path, manifest: dict, repeat: int) -> list[Step]:
    fy_from, fy_to = manifest["financial_year"]
    fy = f"{fy_from[:4]}-{fy_to[2:4]}"
    return [
        Step("migrate", [], None),
        Step("import", ["import-data", str(data)], IMPORT_TARGET_S),
        Step("import again (no changes)", ["import-data", str(data)], IMPORT_TARGET_S),
        Step(f"report activity FY {fy}",
             ["report", "activity", "--from", fy_from, "--to", fy_to], REPORT_TARGET_S, repeat),
        Step("report activity all time", ["report", "activity"], REPORT_TARGET_S, repeat),
        Step(f"report sectors FY {fy}",
             ["report", "sectors", "--from", fy_from, "--to", fy_to], REPORT_TARGET_S, repeat),
        Step("report sectors all time", ["report", "sectors"], REPORT_TARGET_S, repeat),
        Step(f"report compliance on {manifest['compliance_on']}",
             ["report", "compliance", "--on", manifest["compliance_on"]], REPORT_TARGET_S, repeat),
        Step(f"report delegates {manifest['delegates_session']}",
             ["report", "delegates", "--session", manifest["delegates_session"]],
             REPORT_TARGET_S, repeat),
    ]


def prepare_data(scale: float, seed: int, regenerate: bool, log) -> tuple[Path, dict]:
    folder = DATA_ROOT / f"v{generate.GENERATOR_VERSION}-scale{scale:g}-seed{seed}"
    manifest_path = folder / "manifest.json"
    if not regenerate and manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("generator_version") == generate.GENERATOR_VERSION:
            log(f"Data: {folder.relative_to(ROOT)} (cached)")
            return folder, manifest
    log(f"Data: generating {folder.relative_to(ROOT)} ...")
    started = time.perf_counter()
    manifest = generate.generate(folder, scale, seed)
    log(f"  generated in {time.perf_counter() - started:.1f} s")
    return folder, manifest


def postgres_reason() -> str | None:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return (f"PostgreSQL not reachable at {make_url(PG_ADMIN_URL).render_as_string()}: "
                f"{type(exc).__name__}")


def run_backend(backend: str, steps: list[Step], log) -> list[Measure]:
    if backend == "sqlite":
        folder = DATA_ROOT / f"db-{uuid.uuid4().hex[:8]}"
        folder.mkdir(parents=True)
        try:
            return [measure(s, backend, f"sqlite:///{folder / 'bench.db'}", log) for s in steps]
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"trainingapp_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        return [measure(s, backend, url, log) for s in steps]
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def measure_programme_page(backend: str, log) -> Measure:
    """Step 5: the public programme page under concurrent load."""
    m = Measure(f"programme page, {programme_page.CLIENTS} clients (p95)", backend,
                target_s=PAGE_TARGET_S)
    try:
        result = programme_page.run(backend, PG_ADMIN_URL, log)
    except Exception as exc:  # noqa: BLE001 - reported as this step's error
        m.error = f"{type(exc).__name__}: {exc}"[-2000:]
        log(f"  {m.step:<34} ERROR\n{m.error}")
        return m
    if result["failed"] or result["p95"] is None:
        m.error = f"{result['failed']} of {result['requests']} requests did not answer 200"
    else:
        m.wall, m.peak_mb = result["p95"], result["peak_mb"]
        m.walls = [result["p50"], result["p95"], result["max"]]
        m.note = programme_page.summary(result)
    log(f"  {m.step:<34} {m.note or m.error}  {m.verdict}")
    return m


def measure_booking_race(backend: str, log) -> Measure:
    """Step 6: 200 people booking the last 5 places at once (latency of the
    race the booking test proves correct)."""
    m = Measure(f"booking race, {booking_race.PEOPLE} at once (p95)", backend,
                target_s=RACE_TARGET_S)
    try:
        result = booking_race.run(backend, PG_ADMIN_URL, log)
    except Exception as exc:  # noqa: BLE001 - reported as this step's error
        m.error = f"{type(exc).__name__}: {exc}"[-2000:]
        log(f"  {m.step:<34} ERROR\n{m.error}")
        return m
    expected = booking_race.PEOPLE - booking_race.LAST_PLACES
    if result["errors"] or result["locked"] or result["confirmed"] != booking_race.CAPACITY \
            or result["waitlisted"] != expected:
        m.error = booking_race.summary(result)
    else:
        m.wall = result["p95"]
        m.walls = [result["p50"], result["p95"], result["max"]]
        m.note = booking_race.summary(result)
    log(f"  {m.step:<34} {m.note or m.error}  {m.verdict}")
    return m


def table(measures: list[Measure]) -> str:
    header = ("step", "backend", "wall s", "process s", "peak MB", "target", "result", "output")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for m in measures:
        cells = (m.step, m.backend,
                 "-" if m.wall is None else f"{m.wall:.3f}" if m.wall < 10 else f"{m.wall:.1f}",
                 "-" if m.process is None else f"{m.process:.2f}",
                 "-" if m.peak_mb is None else f"{m.peak_mb:.0f}",
                 m.target, m.verdict, m.note)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time the import and the reports.")
    parser.add_argument("--scale", type=float, default=1.0, help="data size factor (default 1)")
    parser.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)
    parser.add_argument("--backends", default="sqlite,postgresql",
                        help="comma-separated: sqlite, postgresql (default both)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per report, each in a fresh process; the median is shown "
                             "(default 3)")
    parser.add_argument("--regenerate", action="store_true", help="rebuild the cached data")
    parser.add_argument("--json", type=Path, help="also write the measurements to this file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(json.loads(args.child))
        return 0

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    load_before = os.getloadavg()[0]
    data, manifest = prepare_data(args.scale, args.seed, args.regenerate, log)
    log("  rows: " + ", ".join(f"{k} {v:,}" for k, v in manifest["rows"].items()))
    steps = steps_for(data, manifest, max(1, args.repeat))
    measures: list[Measure] = []
    skipped: list[str] = []
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        if backend not in ("sqlite", "postgresql"):
            parser.error(f"unknown backend {backend!r}")
        if backend == "postgresql":
            reason = postgres_reason()
            if reason:
                log(f"Skipping PostgreSQL: {reason}")
                skipped.append(f"PostgreSQL skipped: {reason}")
                continue
        log(f"Backend {backend}:")
        measures.extend(run_backend(backend, steps, log))
        measures.append(measure_programme_page(backend, log))
        measures.append(measure_booking_race(backend, log))

    print(f"\nBenchmark {date.today().isoformat()}, scale {args.scale:g}, seed {args.seed}, "
          f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, load average "
          f"{load_before:.2f} at start, {os.getloadavg()[0]:.2f} at end")
    print("rows: " + ", ".join(f"{k} {v:,}" for k, v in manifest["rows"].items()))
    print(table(measures))
    for note in skipped:
        print(note)
    if args.json:
        args.json.write_text(json.dumps(
            {"date": date.today().isoformat(), "scale": args.scale, "seed": args.seed,
             "load_average": [load_before, os.getloadavg()[0]],
             "rows": manifest["rows"],
             "results": [{**{k: v for k, v in vars(m).items()}, "verdict": m.verdict}
                         for m in measures]}, indent=2) + "\n")
    for m in measures:
        if m.step.startswith("import again") and m.note and not m.note.startswith("0 created, 0 updated"):
            print(f"NOTE: the second import on {m.backend} was not idempotent: {m.note}")
    return 1 if any(m.error for m in measures) else 0


if __name__ == "__main__":
    sys.exit(main())

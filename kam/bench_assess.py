"""assess_100k and assess_1m: a full re-evaluation cycle on a generated company in SQLite.

The company (BENCH_ASSESS_CLIENTS / BENCH_ASSESS_1M_CLIENTS clients, three years, about 100
sales lines per client) is generated and imported with `kam import` once into
``var/bench/assess_<n>.sqlite3`` and reused while its parameters match (KAM_BENCH_DIR moves
it). The cycle runs as `kam assess --json` in a fresh process: wall time end to end (start,
read, compute, write) and its peak memory. The baseline reads the same rows with
``pandas.read_sql`` and computes the same metrics the straightforward pandas way
(kam.assessment.baseline), in its own process.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kam.bench import kam_env, kam_run

END = dt.date(2026, 10, 31)
#: Sales lines are imported in files of at most this many lines (bounded memory).
IMPORT_CHUNK_LINES = 5_000_000


def _bench_dir() -> Path:
    root = Path(
        os.environ.get("KAM_BENCH_DIR", Path(__file__).resolve().parent.parent / "var/bench")
    )
    root.mkdir(parents=True, exist_ok=True)
    return root


def _split(path: Path, lines: int) -> list[Path]:
    """Split a CSV into files of ``lines`` data lines each (header repeated)."""
    parts: list[Path] = []
    with path.open("rb") as source:
        header = source.readline()
        while True:
            chunk = [line for _, line in zip(range(lines), source, strict=False)]
            if not chunk:
                break
            part = path.with_name(f"{path.stem}-{len(parts):03d}.csv")
            with part.open("wb") as out:
                out.write(header)
                out.writelines(chunk)
            parts.append(part)
    path.unlink()  # the parts hold it all; keep the disk for the database
    return parts


def prepare(clients: int, seed: int = 11) -> tuple[str, dict[str, object]]:
    """The database URL of a generated, imported company (cached), and its figures."""
    path = _bench_dir() / f"assess_{clients}.sqlite3"
    stamp_path = path.with_suffix(".json")
    stamp = {"clients": clients, "seed": seed, "end": END.isoformat(), "version": 1}
    url = f"sqlite:///{path}"
    if path.exists() and stamp_path.exists():
        saved = json.loads(stamp_path.read_text())
        if saved.get("stamp") == stamp:
            return url, saved["figures"]
    for stale in path.parent.glob(f"{path.name}*"):
        stale.unlink()
    stamp_path.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="kam-bench-assess-", dir=_bench_dir()) as tmp:
        folder = Path(tmp)
        generated = json.loads(
            kam_run(
                url,
                "generate",
                "--clients",
                str(clients),
                "--years",
                "3",
                "--seed",
                str(seed),
                "--out",
                str(folder),
                "--end",
                END.isoformat(),
                "--json",
            )
            .strip()
            .splitlines()[-1]
        )
        kam_run(url, "migrate", "-v0")
        started = time.perf_counter()
        for kind in ("employees", "clients", "sales", "payments", "credit_decisions"):
            files = [folder / f"{kind}.csv"]
            if kind in ("sales", "payments"):
                files = _split(files[0], IMPORT_CHUNK_LINES)
            for file in files:
                kam_run(url, "import", kind, str(file), "--json")
                file.unlink()
        figures = {
            "lines": generated["sales_lines"],
            "documents": generated["documents"],
            "payments": generated["payments"],
            "import_seconds": round(time.perf_counter() - started, 1),
        }
    stamp_path.write_text(json.dumps({"stamp": stamp, "figures": figures}))
    return url, figures


MEASURE = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
result = subprocess.run(sys.argv[1:], capture_output=True, text=True)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
print(json.dumps({"rc": result.returncode, "seconds": seconds, "peak_rss_mb": peak,
                  "stdout": result.stdout[-4000:], "stderr": result.stderr[-4000:]}))
"""


def _measure(url: str, *args: str) -> dict[str, object]:
    """Run ``args`` in a fresh process (through a wrapper that reports its peak memory)."""
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, *args],
        env=kam_env(url),
        capture_output=True,
        text=True,
        check=True,
    )
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    if figures["rc"] != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {figures['stderr']}")
    return dict(figures)


BASELINE = """
import datetime as dt, json, sqlite3, time
import pandas as pd
import django
django.setup()
from django.db import connection
from kam.assessment.baseline import client_metrics_pandas
from kam.assessment.frames import assessment_queries, inline
from kam.assessment.metrics import Window
window = Window.of(dt.date.fromisoformat("{end}"))
started = time.perf_counter()
raw = sqlite3.connect(connection.settings_dict["NAME"])
frames = {{}}
for name, (sql, params, schema) in assessment_queries(window).items():
    frame = pd.read_sql(inline(sql, params), raw)
    frame.columns = list(schema)
    frames[name] = frame
clients = frames["clients"]
for column in ("purchase_potential", "annual_revenue", "employees"):
    clients[column] = clients[column].replace(float("inf"), float("nan"))
clients["group_id"] = clients["group_id"].where(clients["group_id"] >= 0)
frames["rollup"]["margin"] = frames["rollup"]["margin"].replace(float("inf"), float("nan"))
read = time.perf_counter() - started
result = client_metrics_pandas(frames["clients"], frames["rollup"], frames["documents"],
                               frames["payments"], frames["prior"], window)
print(json.dumps({{"rows": len(result), "read_seconds": read,
                  "seconds": time.perf_counter() - started}}))
"""


def run(name: str, clients: int, *, baseline: bool) -> dict[str, object]:
    url, figures = prepare(clients)
    cycle = _measure(
        url, sys.executable, "-m", "kam.manage", "assess", "--as-of", END.isoformat(), "--json"
    )
    report = json.loads(str(cycle["stdout"]).strip().splitlines()[-1])
    row: dict[str, object] = {
        "bench": name,
        "clients": report["clients"],
        "lines": figures["lines"],
        "seconds": round(float(cycle["seconds"]), 2),  # type: ignore[arg-type]
        "cycle_seconds": report["seconds"],
        "peak_rss_mb": cycle["peak_rss_mb"],
    }
    if baseline:
        code = BASELINE.format(end=END.isoformat())
        base = _measure(url, sys.executable, "-c", code)
        result = json.loads(str(base["stdout"]).strip().splitlines()[-1])
        row["baseline_seconds"] = round(float(base["seconds"]), 2)  # type: ignore[arg-type]
        row["baseline_compute_seconds"] = round(result["seconds"], 2)
        row["baseline_peak_rss_mb"] = base["peak_rss_mb"]
        row["ratio"] = round(row["baseline_seconds"] / row["seconds"], 1)  # type: ignore[operator]
    else:
        row["baseline_seconds"] = None
        row["ratio"] = None
    return row


def main(name: str) -> None:
    if name == "assess_100k":
        clients = int(os.environ.get("BENCH_ASSESS_CLIENTS", "100000"))
        print(json.dumps(run(name, clients, baseline=True)), flush=True)
    else:
        clients = int(os.environ.get("BENCH_ASSESS_1M_CLIENTS", "1000000"))
        # The pandas baseline takes about an hour at this size: BENCH_ASSESS_1M_BASELINE=1.
        wanted = os.environ.get("BENCH_ASSESS_1M_BASELINE") == "1"
        print(json.dumps(run(name, clients, baseline=wanted)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "assess_100k")

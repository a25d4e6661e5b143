"""audit_1m: an audit of 20 rules over about a million subjects in SQLite, facts included.

The company (BENCH_AUDIT_CLIENTS clients, default 29 000: three years of ~36 sales documents
each, about 1.05 M documents) is generated and imported with `kam import` once; the default
rulebook's rules are topped up to BENCH_AUDIT_RULES (20) with variants on sales documents
(other thresholds, written with ``rule_create`` + ``version_enable``). The result is kept as
``var/bench/audit_<n>.sqlite3`` while its parameters (and the migrations and the default
rulebook) match; KAM_BENCH_DIR moves it. Each measurement starts from a copy of it, so the
first audit opens every incident.

Measured, each in a fresh process: `kam audit --json` (start-up, reading, facts, evaluating
the rules, writing incidents and notices, committing) the first time and again (a re-run
opens nothing), with the peak memory; and the baseline (kam.rules.baseline: the facts of the
sales documents and the conditions of their rules, the straightforward pandas way from
``pandas.read_sql``) in its own process.

Python runs as the environment says, like the other benchmarks. This machine's shells set
PYTHONDONTWRITEBYTECODE, so every run compiles about a thousand modules first (about 1.5 s
of start-up); BENCH_AUDIT_BYTECODE=1 measures with a bytecode cache (``var/bench/pycache``),
as an installed Python runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kam.bench import kam_env, kam_run
from kam.bench_assess import END, _bench_dir

ROOT = Path(__file__).resolve().parent
#: How many rules are enabled when the audit runs.
RULES = int(os.environ.get("BENCH_AUDIT_RULES", "20"))

#: Rules to add to the default rulebook's, in this order, until RULES are enabled:
#: (code, kind, parameters, condition). Each has a pandas twin in kam.rules.baseline.
VARIANTS: list[tuple[str, str, dict[str, float], str]] = [
    (
        "deferred_sale_with_debt_overdue_90_days",
        "mandatory",
        {"max_overdue_days": 90},
        "payment_terms_days > 0 AND client_overdue_days > max_overdue_days",
    ),
    (
        "deferred_sale_near_credit_limit",
        "recommendation",
        {"share": 0.9},
        "is_deferred AND has_valid_credit_decision AND exposure > credit_limit * share "
        "AND exposure <= credit_limit",
    ),
    (
        "long_terms_require_credit_approval",
        "mandatory",
        {"long_terms_days": 45},
        "payment_terms_days > long_terms_days AND NOT has_valid_credit_decision",
    ),
    (
        "deferred_sale_with_debt_overdue_60_days",
        "recommendation",
        {"max_overdue_days": 60},
        "is_deferred AND client_overdue_days > max_overdue_days",
    ),
    (
        "deferred_sale_by_the_responsible_seller",
        "mandatory",
        {},
        "is_deferred AND NOT seller_is_responsible",
    ),
    (
        "large_deferred_sale_to_a_debtor",
        "recommendation",
        {"big_amount": 1000000, "min_debt": 1000000},
        "is_deferred AND amount > big_amount AND client_unpaid_before > min_debt",
    ),
    (
        "large_return_reviewed",
        "recommendation",
        {"max_return": 50000},
        "is_return AND amount < -max_return",
    ),
]


def add_variants(total: int | None = None) -> list[str]:
    """Write and enable variant rules (in the database Django is set up with): all of them,
    or as many as make ``total`` rules enabled. Their codes."""
    from kam.rules.models import Rule
    from kam.rules.services import VersionInput, rule_create, version_enable

    wanted = len(VARIANTS)
    if total is not None:
        wanted = max(0, total - Rule.objects.filter(enabled_version__isnull=False).count())
    added = []
    for code, kind, parameters, condition in VARIANTS[:wanted]:
        title = code.replace("_", " ")
        data = VersionInput(
            title_ru=title,
            title_en=title,
            subprocess="fulfilment",
            kind=kind,
            condition=condition,
            parameters=dict(parameters),
            violator="seller_id",
            notes="audit_1m benchmark",
        )
        version = rule_create(code=code, subject="sales_document", data=data, user=None)
        version_enable(version=version, user=None)
        added.append(code)
    return added


ADD_RULES = """
import json, os, sys
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
django.setup()
from kam.bench_audit import add_variants
print(json.dumps(add_variants(int(sys.argv[1]))))
"""

#: Imports a warm-up run makes: the measured runs find the sources in the page cache (and
#: their bytecode compiled, with BENCH_AUDIT_BYTECODE=1).
WARM_UP = """
import os
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
django.setup()
import connectorx, polars
import kam.assessment.reader, kam.rules.audit, kam.rules.management.commands.audit
from kam.rules.facts import subject_types
subject_types()
"""


def bench_env(url: str) -> dict[str, str]:
    """kam's benchmark environment (with Python's bytecode cache if asked: see the module's
    text)."""
    env = kam_env(url)
    if os.environ.get("BENCH_AUDIT_BYTECODE") == "1":
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(_bench_dir() / "pycache")
    return env


def _stamp(clients: int, seed: int) -> dict[str, object]:
    """What the prepared database depends on."""
    migrations = sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("*/migrations/0*.py"))
    rulebook = (ROOT / "rules" / "default_rulebook.toml").read_bytes()
    return {
        "clients": clients,
        "seed": seed,
        "end": END.isoformat(),
        "rules": RULES,
        "variants": VARIANTS,
        "migrations": migrations,
        "rulebook": hashlib.sha256(rulebook).hexdigest(),
        "version": 2,
    }


def prepare(clients: int, seed: int = 11) -> tuple[Path, dict[str, object]]:
    """The path of a generated, imported company with RULES enabled rules (cached), and its
    figures."""
    path = _bench_dir() / f"audit_{clients}.sqlite3"
    stamp_path = path.with_suffix(".json")
    stamp = json.loads(json.dumps(_stamp(clients, seed)))
    if path.exists() and stamp_path.exists():
        saved = json.loads(stamp_path.read_text())
        if saved.get("stamp") == stamp:
            return path, saved["figures"]
    for stale in path.parent.glob(f"{path.name}*"):
        stale.unlink()
    stamp_path.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    with tempfile.TemporaryDirectory(prefix="kam-bench-audit-", dir=_bench_dir()) as tmp:
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
            kam_run(url, "import", kind, str(folder / f"{kind}.csv"), "--json")
            (folder / f"{kind}.csv").unlink()
        added = subprocess.run(
            [sys.executable, "-c", ADD_RULES, str(RULES)],
            env=kam_env(url),
            capture_output=True,
            text=True,
            check=True,
        )
        figures = {
            "documents": generated["documents"],
            "payments": generated["payments"],
            "credit_decisions": generated["credit_decisions"],
            "variants": json.loads(added.stdout.strip().splitlines()[-1]),
            "import_seconds": round(time.perf_counter() - started, 1),
        }
    stamp_path.write_text(json.dumps({"stamp": stamp, "figures": figures}))
    return path, figures


def _fresh_copy(pristine: Path) -> Path:
    """A copy of the prepared database to audit (the prepared one stays without incidents),
    on the disk: otherwise the audit's first commit would wait for the copy's gigabyte to be
    written out (that doubled the time measured)."""
    work = pristine.with_name(pristine.stem + "-run.sqlite3")
    for stale in work.parent.glob(f"{work.name}*"):
        stale.unlink()
    shutil.copyfile(pristine, work)
    with work.open("rb+") as handle:
        os.fsync(handle.fileno())
    return work


MEASURE = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
result = subprocess.run(sys.argv[1:], capture_output=True, text=True)
seconds = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": result.returncode, "seconds": seconds,
                  "peak_rss_mb": usage.ru_maxrss // 1024,
                  "cpu_seconds": usage.ru_utime + usage.ru_stime,
                  "stdout": result.stdout[-4000:], "stderr": result.stderr[-4000:]}))
"""


def _measure(env: dict[str, str], *args: str) -> dict[str, object]:
    """Run ``args`` in a fresh process (through a wrapper that reports its peak memory)."""
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, *args], env=env, capture_output=True, text=True, check=True
    )
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    if figures["rc"] != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {figures['stderr']}")
    return dict(figures)


def _audit(env: dict[str, str]) -> tuple[dict[str, object], dict[str, object]]:
    measured = _measure(
        env, sys.executable, "-m", "kam.manage", "audit", "--as-of", END.isoformat(), "--json"
    )
    return measured, json.loads(str(measured["stdout"]).strip().splitlines()[-1])


BASELINE = """
import datetime as dt, json, sqlite3, sys, time
started = time.perf_counter()
from kam.rules.baseline import read_pandas, violations_pandas
raw = sqlite3.connect(sys.argv[1])
frames = read_pandas(raw, dt.date.fromisoformat(sys.argv[2]), sys.argv[3])
read = time.perf_counter() - started
found = violations_pandas(frames)
print(json.dumps({"violations": len(found), "rules": list(frames["rules"]["code"]),
                  "read_seconds": read, "seconds": time.perf_counter() - started}))
"""


def run(clients: int) -> dict[str, object]:
    pristine, figures = prepare(clients)
    work = _fresh_copy(pristine)
    env = bench_env(f"sqlite:///{work}")
    subprocess.run([sys.executable, "-c", WARM_UP], env=env, check=True)
    first, report = _audit(env)
    again, rerun = _audit(env)
    for audited in work.parent.glob(f"{work.name}*"):  # a gigabyte nobody reads again
        audited.unlink()
    from kam import settings

    base = _measure(
        env, sys.executable, "-c", BASELINE, str(pristine), END.isoformat(), settings.TIME_ZONE
    )
    baseline = json.loads(str(base["stdout"]).strip().splitlines()[-1])
    by_rule: dict[str, int] = report["by_rule"]  # type: ignore[assignment]
    seconds = round(float(first["seconds"]), 2)  # type: ignore[arg-type]
    baseline_seconds = round(float(base["seconds"]), 2)  # type: ignore[arg-type]
    return {
        "bench": "audit_1m",
        "rules": report["rules"],
        "subjects": report["subjects"],
        "documents": figures["documents"],
        "violations": report["violations"],
        "incidents_opened": report["incidents_opened"],
        "notices": report["notices"],
        "seconds": seconds,
        "audit_seconds": report["seconds"],
        # CPU time of the audit's processes (2 cores; other work on the machine does not
        # change it, while it stretches the wall time).
        "cpu_seconds": round(float(first["cpu_seconds"]), 2),  # type: ignore[arg-type]
        "rerun_seconds": round(float(again["seconds"]), 2),  # type: ignore[arg-type]
        "rerun_opened": rerun["incidents_opened"],
        "peak_rss_mb": max(int(first["peak_rss_mb"]), int(again["peak_rss_mb"])),  # type: ignore[call-overload]
        "baseline_seconds": baseline_seconds,
        "baseline_read_seconds": round(baseline["read_seconds"], 2),
        "baseline_peak_rss_mb": base["peak_rss_mb"],
        # The baseline covers the sales-document rules: it finds what the audit found there.
        "baseline_violations": baseline["violations"],
        "audit_sales_document_violations": sum(by_rule[code] for code in baseline["rules"]),
        "ratio": round(baseline_seconds / seconds, 1),
        "bytecode_cached": "PYTHONPYCACHEPREFIX" in env,
    }


def main() -> None:
    clients = int(os.environ.get("BENCH_AUDIT_CLIENTS", "29000"))
    print(json.dumps(run(clients)), flush=True)


if __name__ == "__main__":
    main()

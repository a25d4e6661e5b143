"""make bench: measured figures, one JSON object per line (format in DESIGN.md).

BENCH_ONLY=name[,name] runs a subset; BENCH_CLIENTS sets the generated company's size
(default 10 000 clients, about a million sales lines over three years).
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

BENCHES = [
    "import_sales_sqlite",
    "import_sales_postgres",
    "assess_100k",
    "assess_1m",
    "audit_1m",
    "web_p95",
]
POSTGRES_ADMIN_URL = os.environ.get("KAM_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")


def kam_env(database_url: str) -> dict[str, str]:
    """The environment benchmarks run kam in: production mode (no query log), English."""
    return {**os.environ, "KAM_DATABASE_URL": database_url, "KAM_LANGUAGE": "en", "KAM_DEBUG": "0"}


def kam_run(database_url: str, *args: str) -> str:
    """Run one kam command in a fresh process; its standard output."""
    result = subprocess.run(
        [sys.executable, "-m", "kam.manage", *args],
        env=kam_env(database_url),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"kam {' '.join(args)} failed: {result.stderr[-2000:]}")
    return result.stdout


def _kam(database_url: str, *args: str) -> dict[str, object]:
    lines = [x for x in kam_run(database_url, *args).splitlines() if x.startswith("{")]
    return json.loads(lines[-1]) if lines else {}


def _import_sales(database_url: str, company: Path) -> dict[str, object]:
    _kam(database_url, "migrate", "-v0")
    for kind in ("employees", "clients"):
        _kam(database_url, "import", kind, str(company / f"{kind}.csv"), "--json")
    started = time.perf_counter()
    report = _kam(database_url, "import", "sales", str(company / "sales.csv"), "--json")
    seconds = time.perf_counter() - started
    lines = int(report["rows"])  # type: ignore[call-overload]
    return {
        "lines": lines,
        "seconds": round(seconds, 2),
        "lines_per_s": round(lines / seconds),
        "import_seconds": report["seconds"],
    }


def main() -> None:
    only = {n for n in os.environ.get("BENCH_ONLY", "").split(",") if n}
    clients = int(os.environ.get("BENCH_CLIENTS", "10000"))
    with tempfile.TemporaryDirectory(prefix="kam-bench-") as tmp:
        company = Path(tmp) / "company"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
        imports = {"import_sales_sqlite", "import_sales_postgres"}
        # The import benchmarks' company (the others build and keep their own).
        if not only or only & imports:
            _kam(
                f"sqlite:///{tmp}/generate.sqlite3",
                "generate",
                "--clients",
                str(clients),
                "--years",
                "3",
                "--seed",
                "1",
                "--out",
                str(company),
                "--end",
                (dt.date.today() - dt.timedelta(days=1)).isoformat(),
                "--json",
            )
        for name in BENCHES:
            if only and name not in only:
                continue
            if name == "web_p95":
                from kam import bench_web

                bench_web.main()
                continue
            if name in ("assess_100k", "assess_1m"):
                from kam import bench_assess

                bench_assess.main(name)
                continue
            if name == "audit_1m":
                from kam import bench_audit

                bench_audit.main()
                continue
            if name == "import_sales_sqlite":
                figures = _import_sales(f"sqlite:///{tmp}/bench.sqlite3", company)
            else:
                import psycopg

                try:
                    with psycopg.connect(f"{POSTGRES_ADMIN_URL}/postgres", autocommit=True) as c:
                        c.execute("DROP DATABASE IF EXISTS kam_bench")
                        c.execute("CREATE DATABASE kam_bench")
                except psycopg.OperationalError as exc:
                    print(json.dumps({"bench": name, "skipped": f"no PostgreSQL: {exc}"}))
                    continue
                figures = _import_sales(f"{POSTGRES_ADMIN_URL}/kam_bench", company)
            print(json.dumps({"bench": name, **figures}), flush=True)


if __name__ == "__main__":
    main()

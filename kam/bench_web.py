"""web_p95: the client list (with a filter) and the client card under 32 concurrent users.

A generated company (BENCH_WEB_CLIENTS, default 100 000 clients ≈ 10 M sales lines) is
imported into PostgreSQL once (the database is reused while its parameters match), served by
`kam serve` (gunicorn), and loaded by wrk from loopback with a signed-in session.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from kam.bench import kam_env, kam_run

ADMIN_URL = os.environ.get("KAM_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
DATABASE = "kam_bench_web"
PORT = 8765

LUA = """
local paths = {%(paths)s}
local cookie = "sessionid=%(session)s"
request = function()
  return wrk.format("GET", paths[math.random(#paths)], {["Cookie"] = cookie})
end
%(delay)s
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"p50_ms": %%.1f, "p95_ms": %%.1f, "p99_ms": %%.1f, "requests": %%d, "errors": %%d, '
    .. '"requests_per_s": %%.1f}\\n',
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.requests, e.connect + e.read + e.write + e.status + e.timeout,
    summary.requests / (summary.duration / 1e6)))
end
"""


def _prepare(url: str, clients: int) -> dict[str, object]:
    import psycopg

    stamp: dict[str, object] = {"clients": clients, "seed": 5, "version": 1}
    with psycopg.connect(f"{ADMIN_URL}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone()
        if exists:
            with psycopg.connect(url) as db:
                try:
                    row = db.execute("SELECT value FROM kam_bench_stamp").fetchone()
                except psycopg.Error:
                    row = None
            if row and json.loads(row[0]) == stamp:
                return stamp
            conn.execute(f"DROP DATABASE {DATABASE}")
        conn.execute(f"CREATE DATABASE {DATABASE}")
    folder = Path(tempfile.mkdtemp(prefix="kam-bench-web-"))
    try:
        kam_run(url, "migrate", "-v0")
        end = (dt.date.today() - dt.timedelta(days=1)).isoformat()
        kam_run(
            url,
            "generate",
            "--clients",
            str(clients),
            "--years",
            "3",
            "--seed",
            "5",
            "--out",
            str(folder),
            "--end",
            end,
            "--json",
        )
        for kind in ("employees", "clients", "sales", "payments", "credit_decisions"):
            kam_run(url, "import", kind, str(folder / f"{kind}.csv"), "--json")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("CREATE TABLE kam_bench_stamp (value text)")
        db.execute("INSERT INTO kam_bench_stamp VALUES (%s)", [json.dumps(stamp)])
        db.execute("ANALYZE")
    return stamp


def _session(url: str) -> tuple[str, list[int], list[str]]:
    code = """
import json, random
from django.contrib.auth.models import Group, User
from django.contrib.sessions.backends.db import SessionStore
from kam.clients.models import Client
user, _ = User.objects.get_or_create(username="bench", defaults={"is_superuser": True})
user.groups.add(Group.objects.get(name="director"))
s = SessionStore(); s["_auth_user_id"] = str(user.pk)
s["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
s["_auth_user_hash"] = user.get_session_auth_hash(); s.create()
ids = list(Client.objects.values_list("id", flat=True))
regions = list(Client.objects.exclude(region="").values_list("region", flat=True).distinct())
random.seed(1)
print(json.dumps({"session": s.session_key, "ids": random.sample(ids, min(500, len(ids))),
                  "regions": regions}))
"""
    out = kam_run(url, "shell", "-c", code)
    data = json.loads(out.strip().splitlines()[-1])
    return data["session"], data["ids"], data["regions"]


# A person reads a page before the next click: 0.25-0.75 s here (users mode).
THINK = "delay = function() return math.random(250, 750) end"


def _wrk(paths: list[str], session: str, seconds: int, *, think: bool) -> dict[str, float]:
    from urllib.parse import quote

    lua = LUA % {
        "paths": ", ".join(json.dumps(quote(p, safe="/?=&")) for p in paths),
        "session": session,
        "delay": THINK if think else "",
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua)
    try:
        result = subprocess.run(
            [
                "wrk",
                "-t2",
                "-c32",
                f"-d{seconds}s",
                "--timeout",
                "10s",
                "-s",
                script.name,
                f"http://127.0.0.1:{PORT}",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        os.unlink(script.name)
    line = [x for x in result.stdout.splitlines() if x.startswith("{")][-1]
    return dict(json.loads(line))


def main() -> None:
    if not shutil.which("wrk"):
        print(json.dumps({"bench": "web_p95", "skipped": "wrk is not installed"}))
        return
    clients = int(os.environ.get("BENCH_WEB_CLIENTS", "100000"))
    seconds = int(os.environ.get("BENCH_WEB_SECONDS", "20"))
    url = f"{ADMIN_URL}/{DATABASE}"
    started = time.perf_counter()
    _prepare(url, clients)
    prepared = time.perf_counter() - started
    session, ids, regions = _session(url)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kam.manage",
            "serve",
            "--port",
            str(PORT),
            "--workers",
            "2",
            "--threads",
            "8",
        ],
        env=kam_env(url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/login/", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        random.seed(2)
        pages = {
            "client_list": [
                f"/clients/?region={r}&page={random.randint(1, 5)}" for r in regions[:10]
            ],
            "client_card": [f"/clients/{i}/" for i in ids],
        }
        for page, paths in pages.items():
            _wrk(paths[:5], session, 3, think=False)  # warm-up
            # "users": 32 people clicking with a pause; "saturation": 32 connections firing
            # back to back, which measures throughput more than what a person waits.
            for mode, think in (("users", True), ("saturation", False)):
                figures = _wrk(paths, session, seconds, think=think)
                row = {
                    "bench": "web_p95",
                    "page": page,
                    "mode": mode,
                    "clients": clients,
                    "concurrency": 32,
                    "seconds": seconds,
                    **figures,
                    "prepare_seconds": round(prepared, 1),
                }
                print(json.dumps(row), flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()

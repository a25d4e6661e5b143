"""Fast reads of a SQLite file in a separate process: ``python -m kam.assessment.reader``.

connectorx brings its own copy of SQLite. Two copies of SQLite in one process break each
other's POSIX file locks (closing one's file handle drops the other's locks — see "How To
Corrupt An SQLite Database File", 2.2.1), which shows as stale reads and I/O errors. So the
app's process never opens the file with connectorx: this small process does, and hands the
frames back as Arrow IPC files. Input (stdin, JSON): ``{"url": …, "out": dir, "queries":
{name: sql}}``; output: ``<dir>/<name>.arrow`` per query.

``--serve``: one job per line of stdin, answered by a line on stdout (``ok`` or the error),
until stdin closes; a caller that reads many frames (the audit) starts Python once.
"""

from __future__ import annotations

import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def run_job(job: dict[str, object]) -> None:
    import connectorx as cx
    import polars as pl

    out = Path(str(job["out"]))
    queries: dict[str, str] = job["queries"]  # type: ignore[assignment]

    def run(item: tuple[str, str]) -> None:
        name, sql = item
        frame = cx.read_sql(str(job["url"]), sql, return_type="polars")
        assert isinstance(frame, pl.DataFrame)
        frame.write_ipc(out / f"{name}.arrow", compression="uncompressed")

    with ThreadPoolExecutor(max_workers=len(queries)) as pool:
        list(pool.map(run, queries.items()))


def serve() -> None:
    import connectorx  # noqa: F401  (imported while the caller gets ready)
    import polars  # noqa: F401

    for line in sys.stdin:
        try:
            run_job(json.loads(line))
        except Exception as error:
            answer = f"error: {type(error).__name__}: {error}".replace("\n", " ")
        else:
            answer = "ok"
        sys.stdout.write(answer + "\n")
        sys.stdout.flush()
    os._exit(0)  # nothing to tidy: the caller waits for this exit


def main() -> None:
    if "--serve" in sys.argv[1:]:
        serve()
    else:
        run_job(json.load(sys.stdin))


if __name__ == "__main__":
    main()

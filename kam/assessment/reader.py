"""Fast reads of a SQLite file in a separate process: ``python -m kam.assessment.reader``.

connectorx brings its own copy of SQLite. Two copies of SQLite in one process break each
other's POSIX file locks (closing one's file handle drops the other's locks — see "How To
Corrupt An SQLite Database File", 2.2.1), which shows as stale reads and I/O errors. So the
app's process never opens the file with connectorx: this small process does, and hands the
frames back as Arrow IPC files. Input (stdin, JSON): ``{"url": …, "out": dir, "queries":
{name: sql}}``; output: ``<dir>/<name>.arrow`` per query.
"""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def main() -> None:
    import connectorx as cx
    import polars as pl

    job = json.load(sys.stdin)
    out = Path(job["out"])

    def run(item: tuple[str, str]) -> None:
        name, sql = item
        frame = cx.read_sql(job["url"], sql, return_type="polars")
        assert isinstance(frame, pl.DataFrame)
        frame.write_ipc(out / f"{name}.arrow", compression="uncompressed")

    with ThreadPoolExecutor(max_workers=len(job["queries"])) as pool:
        list(pool.map(run, job["queries"].items()))


if __name__ == "__main__":
    main()

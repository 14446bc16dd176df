"""Total memory (PSS: shared pages split between the processes that share them) of the
server's whole process tree, 4 workers each, after every worker has served requests, and
again after every worker has run a full garbage collection (which, without
``gc.freeze()``, writes to every object a preloaded master shared with it):
UvicornServer against GunicornUvicornServer with and without ``preload``, and with
``preload`` but without prodserver's ``gc.freeze()``. Interleaved rounds, medians.

    python bench/memory.py [--rounds 3] [--workers 4]

Target: GunicornUvicornServer with preload <= 0.8x UvicornServer.
"""

from __future__ import annotations

import argparse
import json
import random
import urllib.request
from pathlib import Path
from typing import Any

from publish import save_results
from tooling import (
    ensure_wrk,
    free_port,
    launched,
    medians,
    process_tree,
    prodserver_command,
    project_env,
    wrk_requests_per_second,
)

TARGET = 0.8
READY_SECONDS = 30
WARM_UP_SECONDS = 4  # per path: long enough for full (generation 2) collections in workers
UVICORN = "django_prodserver.backends.uvicorn.UvicornServer"
GUNICORN_UVICORN = "django_prodserver.backends.gunicorn.GunicornUvicornServer"


def configurations(port: int, workers: int) -> dict[str, tuple[dict[str, Any], dict[str, str]]]:
    uvicorn = {"host": "127.0.0.1", "port": port, "workers": workers, "no-access-log": True}
    gunicorn = {"bind": f"127.0.0.1:{port}", "workers": workers, "no-access-log": True}
    return {
        "UvicornServer": ({"BACKEND": UVICORN, "ARGS": uvicorn}, {}),
        "GunicornUvicornServer": ({"BACKEND": GUNICORN_UVICORN, "ARGS": gunicorn}, {}),
        "GunicornUvicornServer, preload": (
            {"BACKEND": GUNICORN_UVICORN, "ARGS": {**gunicorn, "preload": True}},
            {},
        ),
        "GunicornUvicornServer, preload, no gc.freeze()": (
            {"BACKEND": GUNICORN_UVICORN, "ARGS": {**gunicorn, "preload": True}},
            {"PRODSERVER_GC_FREEZE": "0"},
        ),
    }


def pss_megabytes(pids: list[int]) -> float:
    total_kb = 0
    for pid in pids:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        total_kb += next(
            int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:")
        )
    return total_kb / 1024


def serving_pids(url: str, wanted: int, attempts: int = 500) -> set[int]:
    """Worker PIDs, one new connection per request, until ``wanted`` of them answered."""
    pids: set[int] = set()
    for _ in range(attempts):
        with urllib.request.urlopen(url, timeout=READY_SECONDS) as reply:
            pids.add(json.loads(reply.read())["pid"])
        if len(pids) >= wanted:
            break
    return pids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=4)
    options = parser.parse_args()

    wrk = ensure_wrk()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    runs = configurations(port, options.workers)
    results: dict[str, list[float]] = {name: [] for name in runs}
    collected: dict[str, list[float]] = {name: [] for name in runs}
    for round_number in range(1, options.rounds + 1):
        order = list(runs)
        random.shuffle(order)
        for name in order:
            process, extra_env = runs[name]
            env = {**project_env({"web": process}), **extra_env}
            with launched(prodserver_command("web"), f"{base}/health/", env) as server:
                serving_pids(f"{base}/request-info/", options.workers)
                for path in ("/hello/", "/async/", "/sync/"):
                    wrk_requests_per_second(wrk, base + path, WARM_UP_SECONDS, connections=16)
                results[name].append(pss_megabytes(process_tree(server.pid)))
                serving_pids(f"{base}/bench/collect/", options.workers)
                collected[name].append(pss_megabytes(process_tree(server.pid)))
        print(f"round {round_number}: " + ", ".join(f"{n} {results[n][-1]:.0f} MB" for n in runs))

    pss, after_collection = medians(results), medians(collected)
    print(f"\nmedian total PSS over {options.rounds} rounds, {options.workers} workers:\n")
    print(
        "| server | after warm-up | ÷ UvicornServer "
        "| after a full collection in every worker | ÷ UvicornServer |"
    )
    print("|---|---|---|---|---|")
    for name in runs:
        print(
            f"| {name} | {pss[name]:.0f} MB | {pss[name] / pss['UvicornServer']:.2f} "
            f"| {after_collection[name]:.0f} MB "
            f"| {after_collection[name] / after_collection['UvicornServer']:.2f} |"
        )
    ratios = {
        label: values["GunicornUvicornServer, preload"] / values["UvicornServer"]
        for label, values in (("after warm-up", pss), ("after collection", after_collection))
    }
    for label, ratio in ratios.items():
        verdict = "met" if ratio <= TARGET else "MISSED"
        print(f"preload ÷ UvicornServer {label}: {ratio:.2f} (<= {TARGET}: {verdict})")
    save_results(
        "memory",
        {
            "workers": options.workers,
            "pss_megabytes": pss,
            "pss_megabytes_after_collection": after_collection,
            "preload_ratios": ratios,
        },
    )


if __name__ == "__main__":
    main()

"""Weight and speed of the declaration form, first load and later loads, on a slow 3G profile.

    .venv/bin/python bench/offline_weight.py [--chromium /usr/bin/chromium]

A fresh SQLite registry with the demo country (no records) is served on 127.0.0.1; Debian's
Chromium (headless, through Playwright) signs in as the demo clerk and opens the birth form:

- **first load**: a new browser profile, nothing cached, no service worker yet;
- **later load**: the same profile once the worker has cached the forms and static files;
- **offline load**: the same, with the network cut (the form comes from the worker's cache).

Bytes are counted where they leave the server (a WSGI wrapper adds up status line, headers and
body of every response), so what the worker serves from its cache counts nothing. Each load is
also timed (navigation to the ``load`` event) under Chrome DevTools' "Slow 3G" profile
(Network.emulateNetworkConditions: 2,000 ms latency, 50,000 bytes/s down and up).

The page's emulation does not apply to the requests the service worker makes itself (the form's
HTML, network first), so the later load is timed a second time with the same profile applied at
the server (a sleep of the latency plus bytes / throughput per response).

Baselines measured in the same run: the form's HTML document alone (what any page costs, the
floor of a form that must come from the server) and the sign-in page (the lightest page).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from config import DevelopmentConfig  # noqa: E402
from registry import create_app  # noqa: E402

SLOW_3G = {
    "offline": False,
    "latency": 2000,
    "downloadThroughput": 50_000,
    "uploadThroughput": 50_000,
}
BUDGET = 200_000


class Counter:
    """A WSGI wrapper adding up the bytes of every response, by path."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.sent: list[tuple[str, int]] = []
        self.lock = threading.Lock()
        self.throttle = False  # Slow 3G at the server: also slows what the worker fetches

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        head = [0]

        def counting_start(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            head[0] = len(status) + 11 + sum(len(k) + len(v) + 4 for k, v in headers)
            return start_response(status, headers, *args)

        body = b"".join(self.app(environ, counting_start))
        if self.throttle:
            latency = SLOW_3G["latency"] / 1000
            time.sleep(latency + (head[0] + len(body)) / SLOW_3G["downloadThroughput"])
        with self.lock:
            self.sent.append((environ.get("PATH_INFO", ""), head[0] + len(body)))
        return [body]

    def take(self) -> list[tuple[str, int]]:
        with self.lock:
            taken, self.sent = self.sent, []
        return taken


def serve(workdir: Path) -> tuple[str, Counter, Any]:
    url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    env = os.environ | {"DATABASE_URL": url, "CRVS_ENV": "development"}
    crvs = str(Path(sys.executable).with_name("crvs"))
    subprocess.run([crvs, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run(
        [crvs, "demo", "--births", "0", "--deaths", "0"], env=env, check=True, capture_output=True
    )
    config = DevelopmentConfig()
    config.DATABASE_URL = url
    app = create_app(config)
    counter = Counter(app.wsgi_app)
    app.wsgi_app = counter  # type: ignore[method-assign]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", counter, server


def load(page: Any, url: str, counter: Counter) -> tuple[float, int, list[tuple[str, int]]]:
    counter.take()
    started = time.perf_counter()
    page.goto(url, wait_until="load")
    elapsed = time.perf_counter() - started
    page.wait_for_timeout(300)  # let deferred requests of the page land in the count
    sent = counter.take()
    return elapsed, sum(n for _, n in sent), sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--chromium", default=os.environ.get("CRVS_CHROMIUM", "/usr/bin/chromium"))
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        base, counter, server = serve(Path(tmp))
        browser = playwright.chromium.launch(
            executable_path=args.chromium, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context()
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")

        # Baseline 1: the sign-in page, cold, slow 3G.
        cdp.send("Network.emulateNetworkConditions", SLOW_3G)
        login_s, login_bytes, _ = load(page, f"{base}/login", counter)
        # Sign in (fast network), then forget every cached file: the form's first load is cold.
        cdp.send(
            "Network.emulateNetworkConditions",
            SLOW_3G | {"latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )
        page.fill("#username", "clerk")
        page.fill("#password", "demo-clerk-pass")
        page.click("main button[type=submit]")
        page.wait_for_load_state()
        page.evaluate(
            "navigator.serviceWorker.getRegistrations()"
            ".then(rs => Promise.all(rs.map(r => r.unregister())))"
        )
        page.evaluate("caches.keys().then(ks => Promise.all(ks.map(k => caches.delete(k))))")
        cdp.send("Network.clearBrowserCache")
        page.goto("about:blank")

        cdp.send("Network.emulateNetworkConditions", SLOW_3G)
        asked: list[str] = []
        page.on("request", lambda r: asked.append(r.url.replace(base, "", 1).split("?")[0]))
        counter.take()
        started = time.perf_counter()
        page.goto(f"{base}/births/new", wait_until="load")
        first_s = time.perf_counter() - started
        page.wait_for_selector("html[data-offline-ready]", state="attached", timeout=120_000)
        page.wait_for_timeout(500)
        everything = counter.take()
        # What the page asked for (once each) is its first load; the rest is the worker's
        # precache of the other form, the outbox and the reference data.
        first_files, worker_files = [], []
        for path, n in everything:
            if path in asked:
                asked.remove(path)
                first_files.append((path, n))
            else:
                worker_files.append((path, n))
        first_bytes = sum(n for _, n in first_files)
        worker_bytes = sum(n for _, n in worker_files)
        html_bytes = sum(n for path, n in first_files if path == "/births/new")
        later_s, later_bytes, later_files = load(page, f"{base}/births/new", counter)
        # The page's emulation does not reach the worker's own fetches: throttle at the server.
        cdp.send(
            "Network.emulateNetworkConditions",
            SLOW_3G | {"latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )
        counter.throttle = True
        later_server_s, _, _ = load(page, f"{base}/births/new", counter)
        counter.throttle = False
        context.set_offline(True)
        offline_s, offline_bytes, _ = load(page, f"{base}/births/new", counter)
        usable = page.is_visible("#f-child-given-names")
        context.set_offline(False)
        browser.close()
        server.shutdown()

    print(f"{'load (Slow 3G: 2000 ms, 50 kB/s)':<44} {'bytes from server':>18} {'seconds':>8}")
    print(f"{'baseline: sign-in page, cold':<44} {login_bytes:>18,} {login_s:>8.2f}")
    print(f"{'baseline: the form HTML document alone':<44} {html_bytes:>18,} {'':>8}")
    print(f"{'declaration form, first load (cold)':<44} {first_bytes:>18,} {first_s:>8.2f}")
    print(f"{'  + the worker precache, in the background':<44} {worker_bytes:>18,} {'':>8}")
    print(f"{'declaration form, later load (worker)':<44} {later_bytes:>18,} {later_s:>8.2f}")
    print(
        f"{'  the same, Slow 3G applied at the server':<44} {later_bytes:>18,} {later_server_s:>8.2f}"
    )
    print(f"{'declaration form, offline':<44} {offline_bytes:>18,} {offline_s:>8.2f}")
    total = first_bytes + worker_bytes
    print(f"first load under {BUDGET:,} bytes: {'yes' if first_bytes < BUDGET else 'NO'}", end="")
    print(f" (with the precache: {total:,}, {'yes' if total < BUDGET else 'NO'})")
    print(f"offline form usable: {'yes' if usable else 'NO'}")
    print("first load files:", ", ".join(f"{p} {n:,}" for p, n in first_files))
    print("worker's precache:", ", ".join(f"{p} {n:,}" for p, n in worker_files))
    print("later load files:", ", ".join(f"{p} {n:,}" for p, n in later_files))


if __name__ == "__main__":
    main()

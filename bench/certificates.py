"""Benchmark: certificates per second, single process, beside a bare reportlab baseline.

Run from the repository root::

    .venv/bin/python bench/certificates.py            # rates, then peak memory at 1,000 and 10,000 pages
    .venv/bin/python bench/certificates.py --quick    # rates only, smaller counts

Figures printed:
  * baseline: a bare reportlab one-page PDF per certificate: the same Noto Sans TTF font,
    the same fields as plain text, the same signed QR payload drawn as one path (the library's own
    qr_ops, zxing-cpp matrix);
  * separate: render_birth_certificate() per certificate (full design: guilloche, bilingual
    labels, shaped text, signed QR), one PDF each;
  * batch: render_batch() pages of one PDF;
  * peak RSS of render_batch() in a fresh process for two batch sizes.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from certificates import (
    BirthRecord,
    Issue,
    RenderOptions,
    Sex,
    Signer,
    generate_signing_key,
    make_serial,
    render_batch,
    render_birth_certificate,
)
from certificates.render import facts_of, qr_ops

LATIN = ("Amina Diallo", "Dakar", "Fatou Diallo", "Moussa Diallo")
MIXED = ("محمد بن عبد الله", "አዲስ አበባ", "क्षत्रिय सीता", "রবীন্দ্রনাথ ঠাকুর")


def record(number: int, names: tuple[str, str, str, str]) -> tuple[BirthRecord, Issue]:
    child, place, mother, father = names
    birth = BirthRecord(
        registration_number=f"B-2024-{number:06d}",
        registration_date=date(2024, 3, 5),
        child_name=child,
        sex=Sex.FEMALE,
        date_of_birth=date(2024, 2, 28),
        place_of_birth=place,
        mother_name=mother,
        father_name=father,
    )
    issue = Issue(
        serial=make_serial(number, year=2024),
        office="Dakar Plateau",
        issue_date=date(2024, 6, 1),
        registrar_name="Awa Ndiaye",
    )
    return birth, issue


def baseline_pdf(birth: BirthRecord, issue: Issue, signer: Signer) -> bytes:
    """One page with bare reportlab: same font, plain text fields, QR as one path."""
    payload = signer.sign(facts_of(birth, issue))
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(595.2756, 841.8898), pageCompression=1, invariant=1)
    canvas.setFont("NotoSans", 12)
    y = 780.0
    for label, value in (
        ("Birth Certificate", ""),
        ("Name of child", birth.child_name),
        ("Sex", "Female"),
        ("Date of birth", birth.date_of_birth.isoformat()),
        ("Place of birth", birth.place_of_birth),
        ("Mother", birth.mother_name),
        ("Father", birth.father_name or ""),
        ("Registration number", birth.registration_number),
        ("Date of registration", birth.registration_date.isoformat()),
        ("Issuing office", issue.office),
        ("Date of issue", issue.issue_date.isoformat()),
        ("Certificate serial", issue.serial),
        ("Registrar", issue.registrar_name),
    ):
        canvas.drawString(60, y, label)
        canvas.drawString(250, y, value)
        y -= 24
    canvas.addLiteral(qr_ops(payload, 430, 62, 112))  # the same one-path QR as the library
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def measure(rounds: int, cases: dict[str, tuple[int, Callable[[], object]]]) -> dict[str, float]:
    """Run the cases in interleaved rounds; print and return the best rate of each.

    Rates are per CPU second of this process (time.process_time), the best of ``rounds``: this
    machine is shared, and CPU time is not inflated by other processes as wall time is.
    """
    best: dict[str, float] = dict.fromkeys(cases, 0.0)
    wall: dict[str, float] = dict.fromkeys(cases, 0.0)
    for _ in range(rounds):
        for label, (count, work) in cases.items():
            cpu, started = time.process_time(), time.perf_counter()
            work()
            cpu, elapsed = time.process_time() - cpu, time.perf_counter() - started
            if count / cpu > best[label]:
                best[label], wall[label] = count / cpu, count / elapsed
    print(f"{'':<52} {'count':>6}  {'per CPU s':>10}  {'per wall s':>10}")
    for label, (count, _) in cases.items():
        print(f"{label:<52} {count:>6}  {best[label]:10.1f}  {wall[label]:10.1f}")
    return best


def batch_memory(size: int) -> None:
    """Child process: render ``size`` pages into a temporary file; print peak RSS in MB."""
    private, _, _ = generate_signing_key()
    signer = Signer(private)
    items = (record(number, LATIN if number % 2 else MIXED) for number in range(size))
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        render_batch(items, out, signer, options=RenderOptions(languages=("en", "fr")))
        elapsed = time.perf_counter() - started
        out.seek(0, os.SEEK_END)
        megabytes = out.tell() / 1e6
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{size} {peak:.1f} {elapsed:.2f} {megabytes:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller counts, no memory runs")
    parser.add_argument("--sizes", type=int, nargs=2, default=(1000, 10000))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        batch_memory(args.child)
        return
    count = 100 if args.quick else 300
    private, _, _ = generate_signing_key()
    signer = Signer(private)
    options = RenderOptions(languages=("en", "fr"))
    font = options.font_dirs[0] + "/NotoSans-Regular.ttf"
    pdfmetrics.registerFont(TTFont("NotoSans", font))
    latin = [record(number, LATIN) for number in range(count)]
    mixed = [record(number, MIXED) for number in range(count)]
    # Warm up: font loading, shaping caches, guilloche path.
    baseline_pdf(*latin[0], signer)
    render_birth_certificate(*latin[0], signer, options=options)
    render_birth_certificate(*mixed[0], signer, options=RenderOptions(languages=("en", "ar")))
    ar = RenderOptions(languages=("en", "ar"))
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, single process, "
        f"best of {args.rounds} interleaved rounds"
    )
    cases: dict[str, tuple[int, Callable[[], object]]] = {
        "baseline: bare reportlab, one PDF each": (
            count,
            lambda: [baseline_pdf(*item, signer) for item in latin],
        ),
        "separate PDFs, Latin names, en/fr labels": (
            count,
            lambda: [render_birth_certificate(*item, signer, options=options) for item in latin],
        ),
        "separate PDFs, Arabic/Ethiopic/Indic names, en/ar": (
            count,
            lambda: [render_birth_certificate(*item, signer, options=ar) for item in mixed],
        ),
        "batch pages, Latin names, en/fr labels": (
            count,
            lambda: render_batch(iter(latin), io.BytesIO(), signer, options=options),
        ),
        "batch pages, Arabic/Ethiopic/Indic names, en/ar": (
            count,
            lambda: render_batch(iter(mixed), io.BytesIO(), signer, options=ar),
        ),
    }
    rates = measure(args.rounds, cases)
    base = rates["baseline: bare reportlab, one PDF each"]
    for label, value in rates.items():
        if not label.startswith("baseline"):
            print(f"  {label}: {value / base:.2f} x baseline")
    if args.quick:
        return
    print("peak RSS of render_batch in a fresh process (half Latin, half mixed scripts):")
    for size in args.sizes:
        result = subprocess.run(
            [sys.executable, __file__, "--child", str(size)],
            capture_output=True,
            text=True,
            check=True,
        )
        pages, peak, elapsed, megabytes = result.stdout.split()
        print(
            f"  {int(pages):>6} pages: peak RSS {float(peak):6.1f} MB, "
            f"{float(elapsed):7.1f} s ({int(pages) / float(elapsed):.0f} pages/s), "
            f"PDF {float(megabytes):.0f} MB"
        )


if __name__ == "__main__":
    main()

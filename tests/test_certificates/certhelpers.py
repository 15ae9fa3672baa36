"""Helpers for the certificates tests: sample records, PDF to image, ink checks."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

from PIL import Image

from certificates import BirthRecord, DeathRecord, Issue, Sex

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# One name per script the certificates must print.
NAMES = {
    "latin": "Zoë Ngozi Adébáyọ̀",
    "arabic": "محمد بن عبد الله",
    "ethiopic": "አበበ ቢቂላ",
    "devanagari": "क्षत्रिय प्रद्युम्न",
    "bengali": "রবীন্দ্রনাথ ঠাকুর",
    "chinese": "王小明",
}


def birth(child_name: str = "Amina Diallo", **changes: object) -> BirthRecord:
    values: dict[str, object] = {
        "registration_number": "B-2024-000123",
        "registration_date": date(2024, 3, 5),
        "child_name": child_name,
        "sex": Sex.FEMALE,
        "date_of_birth": date(2024, 2, 28),
        "place_of_birth": "Dakar",
        "mother_name": "Fatou Diallo",
        "father_name": "Moussa Diallo",
    }
    values.update(changes)
    return BirthRecord(**values)  # type: ignore[arg-type]


def death(deceased_name: str = "Ibrahima Sow", **changes: object) -> DeathRecord:
    values: dict[str, object] = {
        "registration_number": "D-2024-000042",
        "registration_date": date(2024, 5, 2),
        "deceased_name": deceased_name,
        "sex": Sex.MALE,
        "date_of_death": date(2024, 4, 30),
        "place_of_death": "Thiès",
        "date_of_birth": date(1950, 1, 1),
        "age_years": 74,
        "cause_of_death": "Natural causes",
    }
    values.update(changes)
    return DeathRecord(**values)  # type: ignore[arg-type]


def issue(**changes: object) -> Issue:
    values: dict[str, object] = {
        "serial": "2024-00000123-4",
        "office": "Dakar Plateau",
        "issue_date": date(2024, 6, 1),
        "registrar_name": "Awa Ndiaye",
    }
    values.update(changes)
    return Issue(**values)  # type: ignore[arg-type]


def pdf_to_images(
    pdf: bytes, tmp_path: Path, dpi: int = 150, pages: tuple[int, int] | None = None
) -> list[Image.Image]:
    """Render pages (all, or first to last, 1-based) with poppler's pdftoppm and load them."""
    source = tmp_path / "in.pdf"
    source.write_bytes(pdf)
    select = ["-f", str(pages[0]), "-l", str(pages[1])] if pages else []
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), *select, "-png", str(source), str(tmp_path / "page")],
        check=True,
        capture_output=True,
        timeout=60,
    )
    pages = sorted(tmp_path.glob("page-*.png"))
    return [Image.open(page).convert("RGB") for page in pages]


def save_artifact(image: Image.Image, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    image.save(ARTIFACTS / name)


def dark_mask(image: Image.Image, threshold: int = 110) -> Image.Image:
    """Return a 1-bit image: 255 where the page is dark ink."""
    return image.convert("L").point(lambda value: 255 if value < threshold else 0)


def diff_box(
    a: Image.Image, b: Image.Image, top_fraction: float = 0.75
) -> tuple[int, int, int, int] | None:
    """Return the bounding box of the dark ink present in ``a`` and not in ``b``.

    Only the top of the page is compared: the QR code at the bottom changes with every value.
    """
    from PIL import ImageChops

    area = (0, 0, a.width, int(a.height * top_fraction))
    only_a = ImageChops.subtract(dark_mask(a.crop(area)), dark_mask(b.crop(area)))
    return only_a.getbbox()


def components(mask: Image.Image) -> int:
    """Count 8-connected components of ink larger than 3 pixels in a 1-bit mask."""
    width, height = mask.size
    pixels = mask.load()
    assert pixels is not None
    seen: set[tuple[int, int]] = set()
    count = 0
    for y in range(height):
        for x in range(width):
            if pixels[x, y] and (x, y) not in seen:
                size = 0
                stack = [(x, y)]
                seen.add((x, y))
                while stack:
                    px, py = stack.pop()
                    size += 1
                    for nx in (px - 1, px, px + 1):
                        for ny in (py - 1, py, py + 1):
                            inside = 0 <= nx < width and 0 <= ny < height
                            if inside and (nx, ny) not in seen and pixels[nx, ny]:
                                seen.add((nx, ny))
                                stack.append((nx, ny))
                if size > 3:
                    count += 1
    return count

"""The command line, run as a subprocess exactly as outside checks call it."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

SETTINGS = {
    "id_column": "rec_id",
    "fields": [
        {"column": "given_name", "kind": "name", "role": "given_name"},
        {"column": "surname", "kind": "name", "role": "family_name"},
        {"column": "date_of_birth", "kind": "date", "format": "%Y%m%d"},
    ],
}
ROWS = [
    ["rec_id", "given_name", "surname", "date_of_birth"],
    ["1", "Mohamed", "Abdullahi", "20190513"],
    ["2", "Muhammad", "Abdullahi", "20191305"],
    ["3", "Amina", "Warsame", "20150101"],
    ["4", "Halima", "Osman", "not a date"],
    ["5", "", "", ""],
    ["6", "Halima", "Osman", "2017-99-99"],
]


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def _read(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dedupe", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def settings_file(tmp_path: Path) -> Path:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(SETTINGS), encoding="utf-8")
    return path


def test_dedupe_happy_path(tmp_path: Path, settings_file: Path) -> None:
    """Duplicates are written with probability, cluster and per-field levels."""
    data = _write(tmp_path / "in.csv", ROWS)
    out = tmp_path / "pairs.csv"
    result = _run("dedupe", "--settings", settings_file, data, "--out", out)
    assert result.returncode == 0, result.stderr
    rows = _read(out)
    pairs = {(r["left_id"], r["right_id"]) for r in rows}
    assert ("1", "2") in pairs
    assert ("4", "6") in pairs  # malformed dates are neutral, the names still match
    first = next(r for r in rows if (r["left_id"], r["right_id"]) == ("1", "2"))
    assert 0.9 <= float(first["probability"]) <= 1.0
    assert first["cluster_id"] == "1"
    assert first["given_name"] == "phonetic"
    assert first["date_of_birth"] == "transposed"
    assert all(float(r["probability"]) >= 0.9 for r in rows)


def test_threshold_option(tmp_path: Path, settings_file: Path) -> None:
    """A threshold of 1 keeps nothing but the header."""
    data = _write(tmp_path / "in.csv", ROWS)
    out = tmp_path / "pairs.csv"
    result = _run("dedupe", "--settings", settings_file, data, "--out", out, "--threshold", "1")
    assert result.returncode == 0, result.stderr
    assert out.read_text(encoding="utf-8").splitlines()[0].startswith("left_id,right_id,")
    assert len(out.read_text(encoding="utf-8").splitlines()) == 1


def test_link_happy_path(tmp_path: Path, settings_file: Path) -> None:
    """Linking two files pairs the right record with both its left registrations."""
    left = _write(tmp_path / "left.csv", ROWS[:4])
    right = _write(tmp_path / "right.csv", [ROWS[0], ["r1", "Mohammed", "Abdulahi", "20190513"]])
    out = tmp_path / "pairs.csv"
    result = _run("link", "--settings", settings_file, left, right, "--out", out)
    assert result.returncode == 0, result.stderr
    rows = _read(out)
    assert {(r["left_id"], r["right_id"]) for r in rows} == {("1", "r1"), ("2", "r1")}
    assert "cluster_id" not in rows[0]


def test_missing_column_exits_1_with_one_line(tmp_path: Path, settings_file: Path) -> None:
    """A missing column is one clear line on stderr and exit status 1."""
    data = _write(tmp_path / "in.csv", [[c for c in row if c] for row in [ROWS[0][:3]]])
    result = _run("dedupe", "--settings", settings_file, data, "--out", tmp_path / "o.csv")
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "date_of_birth" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        json.dumps({"fields": []}),
        json.dumps({"fields": [{"column": "x", "kind": "y"}]}),
    ],
)
def test_bad_settings_exit_1_with_one_line(tmp_path: Path, content: str) -> None:
    """Unreadable or invalid settings are one line on stderr and exit status 1."""
    settings = tmp_path / "settings.json"
    settings.write_text(content, encoding="utf-8")
    data = _write(tmp_path / "in.csv", ROWS)
    result = _run("dedupe", "--settings", settings, data, "--out", tmp_path / "o.csv")
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("error:")


def test_missing_input_file_exits_1(tmp_path: Path, settings_file: Path) -> None:
    """A missing input file is reported, not raised."""
    result = _run(
        "dedupe", "--settings", settings_file, tmp_path / "no.csv", "--out", tmp_path / "o.csv"
    )
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.fixture(scope="module")
def register_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from bench.gen_register import small_register, write

    out = tmp_path_factory.mktemp("register")
    write(small_register(), out)
    return out


def test_a_saved_model_scores_the_register_again_without_learning(
    tmp_path: Path, register_dir: Path
) -> None:
    """--save-model writes the learnt model; --model scores with it (no settings needed) and
    gives the very same pairs, probabilities and clusters."""
    data, settings = register_dir / "register.csv", register_dir / "settings.json"
    model, first, second = tmp_path / "model.json", tmp_path / "a.csv", tmp_path / "b.csv"
    learnt = _run(
        "dedupe", "--settings", settings, data, "--out", first, "--save-model", model, "-v"
    )
    assert learnt.returncode == 0, learnt.stderr
    assert "model: em" in learnt.stderr
    saved = json.loads(model.read_text(encoding="utf-8"))
    assert saved["source"] == "em" and saved["records"] == 1000
    assert any(field["tf"] for field in saved["fields"])
    again = _run("dedupe", "--model", model, data, "--out", second)
    assert again.returncode == 0, again.stderr
    assert len(_read(first)) > 100
    assert second.read_text(encoding="utf-8") == first.read_text(encoding="utf-8")


def test_link_with_a_saved_model(tmp_path: Path, settings_file: Path) -> None:
    """link accepts --save-model and --model alike."""
    left = _write(tmp_path / "left.csv", ROWS[:4])
    right = _write(tmp_path / "right.csv", [ROWS[0], ["r1", "Mohammed", "Abdulahi", "20190513"]])
    model, out = tmp_path / "model.json", tmp_path / "pairs.csv"
    saved = _run(
        "link", "--settings", settings_file, left, right, "--out", out, "--save-model", model
    )
    assert saved.returncode == 0, saved.stderr
    reused = _run("link", "--model", model, left, right, "--out", tmp_path / "again.csv")
    assert reused.returncode == 0, reused.stderr
    assert _read(tmp_path / "again.csv") == _read(out)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "not a JSON object"),
        (json.dumps({"prior": 0.1}), "malformed model"),
        (None, "cannot read model"),
    ],
)
def test_a_bad_model_file_exits_1_with_one_line(
    tmp_path: Path, content: str | None, message: str
) -> None:
    """An unreadable, non-JSON or malformed model is one line on stderr and exit status 1."""
    model = tmp_path / "model.json"
    if content is not None:
        model.write_text(content, encoding="utf-8")
    data = _write(tmp_path / "in.csv", ROWS)
    result = _run("dedupe", "--model", model, data, "--out", tmp_path / "o.csv")
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("error:") and message in result.stderr


def test_a_model_whose_weights_were_edited_badly_is_refused(
    tmp_path: Path, settings_file: Path
) -> None:
    """A saved model with a weight that is not a number, or a level too many, exits 1."""
    data = _write(tmp_path / "in.csv", ROWS)
    model = tmp_path / "model.json"
    saved = _run(
        "dedupe", "--settings", settings_file, data, "--out", tmp_path / "a.csv",
        "--save-model", model,
    )  # fmt: skip
    assert saved.returncode == 0, saved.stderr
    for edit in ("text", "extra level"):
        stored = json.loads(model.read_text(encoding="utf-8"))
        if edit == "text":
            stored["fields"][0]["weights"][0] = "heavy"
        else:
            stored["fields"][0]["weights"].append(1.0)
        model.write_text(json.dumps(stored), encoding="utf-8")
        result = _run("dedupe", "--model", model, data, "--out", tmp_path / "o.csv")
        assert result.returncode == 1, edit
        assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "options",
    [[], ["--settings", "S", "--model", "M"], ["--model", "M", "--save-model", "N"]],
)
def test_settings_or_model_but_not_both(tmp_path: Path, options: list[str]) -> None:
    """Exactly one of --settings and --model; --save-model only when learning."""
    data = _write(tmp_path / "in.csv", ROWS)
    result = _run("dedupe", *options, data, "--out", tmp_path / "o.csv")
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1

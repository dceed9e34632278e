"""What lettergen promises about your files (docs/files.md), checked on the real command line:
each test runs `lettergen` as a user does, in a subprocess, and compares the folders around
the output before and after."""

from __future__ import annotations

import csv
import fcntl
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import ROOT, SEED_CAMPAIGN, SHIPPED_DIRECTORY, flat, pdftotext

NAME = SEED_CAMPAIGN.stem
TWO = "de-berlin-embassy,it-rome-embassy"


def lettergen(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> tuple[int, str]:
    """The command as a user runs it: exit code and everything it printed."""
    done = subprocess.run(
        [sys.executable, "-m", "lettergen", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=600,
    )
    return done.returncode, done.stdout + done.stderr


def snapshot(root: Path, but: Path | None = None) -> dict[str, str]:
    """Every file and link under root (except the folder `but`), with its content hash."""
    seen = {}
    for path in sorted(root.rglob("*")):
        if but is not None and path.is_relative_to(but):
            continue
        if path.is_symlink():
            seen[path.relative_to(root).as_posix()] = "-> " + os.readlink(path)
        elif path.is_file():
            seen[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return seen


def listed(folder: Path) -> list[str]:
    return sorted(r["file"] for r in json.loads((folder / "manifest.json").read_text())["letters"])


def on_disk(folder: Path) -> list[str]:
    return sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p.name not in ("manifest.json", "manifest.csv")
    )


def no_traceback(output: str) -> None:
    assert "Traceback" not in output, output


# --- 1. the folder knows its files --------------------------------------------------------


def test_a_changed_letter_is_kept_when_the_batch_no_longer_makes_it(tmp_path: Path) -> None:
    outside = snapshot(tmp_path)
    code, output = lettergen(
        "batch", NAME, "--offices", TWO, "--format", "pdf,docx", "-o", str(tmp_path / "out")
    )
    assert code == 0, output
    folder = tmp_path / "out" / NAME
    edited = folder / "en" / "it-rome-embassy.docx"
    edited.write_bytes(edited.read_bytes() + b"an edit")
    code, output = lettergen(
        "batch", NAME, "--offices", "de-berlin-embassy", "-o", str(tmp_path / "out")
    )
    assert code == 0, output
    assert (
        "Kept en/it-rome-embassy.docx: changed since lettergen wrote it; kept, no longer in "
        "the manifest" in output
    )
    assert edited.read_bytes().endswith(b"an edit")
    assert "Removed 2 file(s) of the last run" in output  # the two it owned and no longer makes
    assert not (folder / "en" / "it-rome-embassy.pdf").exists()
    assert listed(folder) == ["en/de-berlin-embassy.pdf"]
    assert snapshot(tmp_path, but=tmp_path / "out") == outside


def test_files_no_manifest_lists_are_reported_and_left_alone(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert lettergen("batch", NAME, "--offices", TWO, "-o", str(out))[0] == 0
    folder = out / NAME
    (folder / "en" / "notes.txt").write_text("mine")
    (folder / "en" / ".de-berlin-embassy.pdf.x1y2.tmp").write_bytes(b"half a letter")
    code, output = lettergen("batch", NAME, "--offices", TWO, "-o", str(out))
    assert code == 0, output
    assert (
        "removed 1 temporary file(s) a killed run left: en/.de-berlin-embassy.pdf.x1y2.tmp"
        in output
    )
    assert "Not made by this batch, left alone (1): en/notes.txt" in output
    assert (folder / "en" / "notes.txt").read_text() == "mine"
    assert "Written 0, unchanged 2" in output


def test_a_run_killed_between_journal_and_rename_leaves_nothing_foreign(tmp_path: Path) -> None:
    """The journal announces a file (with its sha256) before the file is renamed into place.
    A run killed in between leaves a line whose bytes never arrived: it claims nothing, the
    manifest's row stands, and the next run owns the old file. A line whose bytes did arrive
    owns a file no manifest lists yet."""
    import json

    out = tmp_path / "out"
    assert lettergen("batch", NAME, "--offices", TWO, "-o", str(out))[0] == 0
    folder = out / NAME
    rows = json.loads((folder / "manifest.json").read_text("utf-8"))["letters"]
    announced = {**rows[0], "sha256": "0" * 64}  # the new bytes were never renamed in
    arrived = {**rows[1], "file": "en/arrived.pdf"}  # renamed in, then the run was killed
    (folder / "en" / "arrived.pdf").write_bytes((folder / rows[1]["file"]).read_bytes())
    (folder / ".manifest.journal").write_text(
        json.dumps(announced) + "\n" + json.dumps(arrived) + "\n", encoding="utf-8"
    )
    code, output = lettergen("batch", NAME, "--offices", TWO, "-o", str(out))
    assert code == 0, output
    assert "Not made by this batch" not in output
    assert "changed since lettergen wrote it" not in output
    assert "Written 0, unchanged 2" in output
    assert not (folder / "en" / "arrived.pdf").exists()  # lettergen's, no longer planned
    assert not list(folder.rglob("*.new.*"))
    assert on_disk(folder) == listed(folder)


def test_a_corrupt_manifest_is_kept_and_everything_rendered_again(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert lettergen("batch", NAME, "--offices", TWO, "-o", str(out))[0] == 0
    folder = out / NAME
    (folder / "manifest.json").write_text('{"letters": [ oops')
    code, output = lettergen("batch", NAME, "--offices", TWO, "-o", str(out))
    assert code == 0, output
    no_traceback(output)
    assert "manifest.json: unreadable (JSONDecodeError); kept as manifest.json.corrupt-1" in output
    assert (folder / "manifest.json.corrupt-1").read_text() == '{"letters": [ oops'
    assert "Written 2, unchanged 0" in output
    # Which files were lettergen's came from manifest.csv: replaced, none written beside.
    assert on_disk(folder) == sorted([*listed(folder), "manifest.json.corrupt-1"])


def test_render_writes_into_the_batch_folder_through_its_manifest(tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(ROOT / "data", home / "data")
    env = {"LETTERGEN_HOME": str(home)}
    assert lettergen("batch", NAME, "--offices", TWO, env=env)[0] == 0
    folder = home / "output" / NAME
    code, output = lettergen("render", NAME, "--office", "fr-paris-embassy", env=env)
    assert code == 0, output
    assert f"{folder / 'en' / 'fr-paris-embassy.pdf'} (1 page)" in output
    rows = {r["file"]: r for r in json.loads((folder / "manifest.json").read_text())["letters"]}
    assert sorted(rows) == [
        "en/de-berlin-embassy.pdf",
        "en/fr-paris-embassy.pdf",
        "en/it-rome-embassy.pdf",
    ]
    paris = (folder / "en" / "fr-paris-embassy.pdf").read_bytes()
    assert rows["en/fr-paris-embassy.pdf"]["sha256"] == hashlib.sha256(paris).hexdigest()
    # -o names a file outside any batch folder: written there, the manifest untouched.
    before = (folder / "manifest.json").read_bytes()
    code, output = lettergen(
        "render", NAME, "--office", "es-madrid-embassy", "-o", str(tmp_path / "m.pdf"), env=env
    )
    assert code == 0, output
    assert (folder / "manifest.json").read_bytes() == before
    assert "Madrid" in flat(pdftotext(tmp_path / "m.pdf"))


# --- 2. one batch per folder ---------------------------------------------------------------


def test_a_second_batch_into_a_locked_folder_stops(tmp_path: Path) -> None:
    folder = tmp_path / "out" / NAME
    folder.mkdir(parents=True)
    held = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(held, fcntl.LOCK_EX)  # what a running batch holds
        code, output = lettergen("batch", NAME, "--offices", TWO, "-o", str(tmp_path / "out"))
    finally:
        os.close(held)
    assert code == 1
    assert f"Error: {folder}: another lettergen batch is writing this folder" in output
    no_traceback(output)
    assert list(folder.iterdir()) == []


# --- 3. paths from input -------------------------------------------------------------------


def test_a_campaign_named_dot_dot_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "manifest.json").write_text("the user's own")
    dots = tmp_path / "...yaml"
    shutil.copy(SEED_CAMPAIGN, dots)
    before = snapshot(tmp_path)
    code, output = lettergen("batch", str(dots), "--offices", TWO, "-o", str(tmp_path / "out"))
    assert code == 1
    assert "campaign name '..' cannot name a file" in output
    no_traceback(output)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--lang", "../../../../tmp/x/en"),
            "--lang '../../../../tmp/x/en' is not a language code",
        ),
        (("--lang", "en/../../de"), "is not a language code"),
    ],
)
def test_language_codes_are_not_paths(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    before = snapshot(tmp_path)
    code, output = lettergen("batch", NAME, "--offices", TWO, *args, "-o", str(tmp_path / "out"))
    assert code == 1
    assert message in output
    no_traceback(output)
    assert snapshot(tmp_path) == before


def test_a_default_language_that_is_a_path_is_refused(tmp_path: Path) -> None:
    campaign = tmp_path / "evil.yaml"
    campaign.write_text(
        SEED_CAMPAIGN.read_text().replace("default_language: en", "default_language: ../../x/en")
    )
    assert "default_language: ../../x/en" in campaign.read_text()
    before = snapshot(tmp_path)
    code, output = lettergen("batch", str(campaign), "--offices", TWO, "-o", str(tmp_path / "out"))
    assert code == 1
    no_traceback(output)
    # Refused when the campaign is read (its texts lack that key) or, with texts under it,
    # by the language code check: either way before anything is written.
    assert "../../x/en is missing" in output or "'../../x/en' is not a language code" in output
    assert snapshot(tmp_path) == before


def test_lang_mark_current_takes_a_code_not_a_path(tmp_path: Path) -> None:
    victim = tmp_path / "strings.yaml"
    victim.write_text("status: mine\n")
    relative = os.path.relpath(tmp_path, ROOT / "letter_templates")
    code, output = lettergen("lang", "mark-current", relative)
    assert code == 1
    assert "is not a language code" in output
    assert victim.read_text() == "status: mine\n"


def test_two_campaign_files_with_one_name_do_not_share_a_folder(tmp_path: Path) -> None:
    for place in ("a", "b"):
        (tmp_path / place).mkdir()
        shutil.copy(SEED_CAMPAIGN, tmp_path / place / SEED_CAMPAIGN.name)
    out = str(tmp_path / "out")
    assert (
        lettergen("batch", str(tmp_path / "a" / SEED_CAMPAIGN.name), "--offices", TWO, "-o", out)[0]
        == 0
    )
    before = snapshot(tmp_path)
    code, output = lettergen(
        "batch",
        str(tmp_path / "b" / SEED_CAMPAIGN.name),
        "--offices",
        "de-berlin-embassy",
        "-o",
        out,
    )
    assert code == 1
    assert f"holds the letters of {tmp_path / 'a' / SEED_CAMPAIGN.name}" in output
    assert snapshot(tmp_path) == before


def test_an_office_id_that_is_a_path_is_refused(tmp_path: Path) -> None:
    directory = tmp_path / "directory.yaml"
    directory.write_text(
        SHIPPED_DIRECTORY.read_text().replace("id: de-berlin-embassy", "id: ../../de-berlin")
    )
    before = snapshot(tmp_path)
    code, output = lettergen(
        "batch", NAME, "--all", "--directory", str(directory), "-o", str(tmp_path / "out")
    )
    assert code == 1
    no_traceback(output)
    assert "'../../de-berlin'" in output
    assert snapshot(tmp_path) == before


def test_a_symlink_in_the_folder_does_not_lead_writes_outside(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    folder = tmp_path / "out" / NAME
    folder.mkdir(parents=True)
    (folder / "en").symlink_to(elsewhere)
    code, output = lettergen("batch", NAME, "--offices", TWO, "-o", str(tmp_path / "out"))
    assert code == 1
    assert "would be written outside" in output
    no_traceback(output)
    assert list(elsewhere.iterdir()) == []


def test_a_long_signer_name_gets_a_short_file_name(tmp_path: Path) -> None:
    signers = tmp_path / "signers.csv"
    long_name = "Maria " + "Lopez" * 38  # 196 characters: names are held to 200 (docs/input.md)
    signers.write_text(f"name\n{long_name}\n")
    code, output = lettergen(
        "batch",
        NAME,
        "--offices",
        "de-berlin-embassy",
        "--signers",
        str(signers),
        "-o",
        str(tmp_path / "out"),
    )
    assert code == 0, output
    (file,) = listed(tmp_path / "out" / NAME)
    name = Path(file).name
    assert len(name.encode()) <= 200
    assert name.startswith("de-berlin-embassy--maria-lopezlopez") and name.endswith(".pdf")


# --- 4. valid fax numbers only -------------------------------------------------------------


def test_an_invalid_fax_stops_the_batch_or_is_skipped_when_asked(tmp_path: Path) -> None:
    directory = tmp_path / "directory.yaml"
    text = SHIPPED_DIRECTORY.read_text()
    start = text.index("id: it-rome-embassy")
    faxes = text.index("faxes:", start)
    end = text.index("\n", faxes)
    directory.write_text(text[:faxes] + "faxes: ['+1 (999) abc']" + text[end:])
    out = str(tmp_path / "out")
    code, output = lettergen(
        "batch", NAME, "--offices", TWO, "--directory", str(directory), "-o", out
    )
    assert code == 1
    assert "office it-rome-embassy: fax '+1 (999) abc' is not an E.164 number" in output
    assert not (tmp_path / "out").exists()
    code, output = lettergen(
        "batch",
        NAME,
        "--offices",
        TWO,
        "--directory",
        str(directory),
        "--skip-invalid-fax",
        "-o",
        out,
    )
    assert code == 0, output
    assert "it-rome-embassy: fax '+1 (999) abc' is not an E.164 number" in output
    with (tmp_path / "out" / NAME / "manifest.csv").open() as handle:
        (row,) = list(csv.DictReader(handle))
    assert row["office_id"] == "de-berlin-embassy"
    # The number printed is the number in the manifest, the one to dial.
    text = flat(pdftotext(tmp_path / "out" / NAME / row["file"]))
    assert row["fax"] == "+493047007125"
    assert "Fax to +49 30 47007125" in text


# --- 5. OS errors on the output side -------------------------------------------------------


def test_a_file_where_a_folder_belongs_is_a_one_line_error(tmp_path: Path) -> None:
    folder = tmp_path / "out" / NAME
    folder.mkdir(parents=True)
    (folder / "en").write_text("a file, not a folder")
    code, output = lettergen("batch", NAME, "--offices", TWO, "-o", str(tmp_path / "out"))
    assert code == 1
    no_traceback(output)
    error = [line for line in output.splitlines() if line.startswith("Error:")]
    assert len(error) == 1
    assert "en" in error[0] and "a file is where a folder belongs" in error[0]


def test_a_folder_where_a_letter_belongs_is_kept_and_the_letter_written_beside(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "out" / NAME
    (folder / "en" / "de-berlin-embassy.pdf").mkdir(parents=True)
    code, output = lettergen("batch", NAME, "--offices", TWO, "-o", str(tmp_path / "out"))
    assert code == 0, output
    assert (
        "Kept en/de-berlin-embassy.pdf: not written by lettergen; the new letter is "
        "en/de-berlin-embassy.new.pdf" in output
    )
    assert (folder / "en" / "de-berlin-embassy.pdf").is_dir()
    assert listed(folder) == ["en/de-berlin-embassy.new.pdf", "en/it-rome-embassy.pdf"]


def test_a_name_too_long_for_the_file_system_is_a_one_line_error(tmp_path: Path) -> None:
    code, output = lettergen("batch", NAME, "--offices", TWO, "-o", str(tmp_path / ("x" * 300)))
    assert code == 1
    no_traceback(output)
    assert "file name too long" in output


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of its own (root only): to fill up, or to remount read-only."""
    mount = tmp_path / "fs"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_no_change_rerun_works_in_a_read_only_folder(small_fs: Path) -> None:
    out = small_fs / "out"
    assert lettergen("batch", NAME, "--offices", TWO, "-o", str(out))[0] == 0
    before = snapshot(small_fs)
    subprocess.run(["mount", "-o", "remount,ro", str(small_fs)], check=True)
    code, output = lettergen("batch", NAME, "--offices", TWO, "-o", str(out))
    assert code == 0, output
    assert "Written 0, unchanged 2" in output
    code, output = lettergen("batch", NAME, "--offices", "fr-paris-embassy", "-o", str(out))
    assert code == 1
    no_traceback(output)
    assert "cannot write: the file system is read-only" in output
    assert snapshot(small_fs) == before


def test_a_full_disk_is_a_one_line_error_and_leaves_no_temporary_file(small_fs: Path) -> None:
    subprocess.run(["mount", "-o", "remount,size=200k", str(small_fs)], check=True)
    out = small_fs / "out"
    code, output = lettergen(
        "batch", NAME, "--all", "--format", "pdf,tiff", "-j", "2", "-o", str(out)
    )
    assert code == 1
    no_traceback(output)
    assert "cannot write: no space left on the device" in output
    assert not list(out.rglob("*.tmp"))
    # What was written is known (the journal); the next run, with room, brings the folder
    # to exactly what its manifest lists.
    subprocess.run(["mount", "-o", "remount,size=64m", str(small_fs)], check=True)
    code, output = lettergen("batch", NAME, "--all", "--format", "pdf,tiff", "-o", str(out))
    assert code == 0, output
    assert "Not made by this batch" not in output
    assert on_disk(out / NAME) == listed(out / NAME)


# --- 6. crash safety -----------------------------------------------------------------------


def descendants(pid: int) -> set[int]:
    """Every process below pid (workers and the fork server), from /proc."""
    children: dict[int, list[int]] = {}
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(status.parent.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pids: set[int]) -> set[int]:
    left = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            left.add(pid)
    return left


SIGNERS = 150


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_a_killed_batch_leaves_no_process_and_the_rerun_repairs_the_folder(
    tmp_path: Path, sig: signal.Signals
) -> None:
    signers = tmp_path / "signers.csv"
    # Enough letters that the batch is still at work when it is stopped (below): a drive's
    # letters are stamped into their office's layout, a few milliseconds each.
    signers.write_text("name\n" + "".join(f"Supporter {i}\n" for i in range(SIGNERS)))
    out = tmp_path / "out"
    offices = ",".join(
        f"{place}-embassy"
        for place in (
            "de-berlin",
            "it-rome",
            "fr-paris",
            "es-madrid",
            "at-vienna",
            "ch-bern",
            "us-washington",
            "ru-moscow",
        )
    )
    args = [
        "batch",
        NAME,
        "--offices",
        offices,
        "--signers",
        str(signers),
        "-j",
        "2",
        "-o",
        str(out),
    ]
    batch = subprocess.Popen(
        [sys.executable, "-m", "lettergen", *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    journal = out / NAME / ".manifest.journal"
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 240
        while not (journal.exists() and journal.read_text().count("\n") >= 1):
            workers |= descendants(batch.pid)
            assert batch.poll() is None, "the batch ended before it was killed"
            assert time.monotonic() < deadline, "the batch wrote no letter in time"
            time.sleep(0.05)
        # Held still in the middle of its work (however fast letters are made on this
        # machine), so it is still running when the second batch starts and when it is killed.
        batch.send_signal(signal.SIGSTOP)
        assert batch.poll() is None, "the batch ended before it was killed"
        workers |= descendants(batch.pid)
        assert len(workers) >= 2, "the batch runs workers"
        # A second batch into the same folder meanwhile: refused.
        code, output = lettergen(*args)
        assert code == 1 and "another lettergen batch is writing this folder" in output
        batch.send_signal(sig)  # delivered as soon as the batch runs again
        batch.send_signal(signal.SIGCONT)
        batch.wait(timeout=60)
        deadline = time.monotonic() + 15
        while alive(workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not alive(workers), f"left running: {alive(workers)}"
    finally:
        if batch.poll() is None:
            batch.kill()
        for pid in alive(workers):
            os.kill(pid, signal.SIGKILL)
        if batch.stdout:
            batch.stdout.close()
    assert batch.returncode != 0
    if sig != signal.SIGKILL:
        return  # the rest is the same after any death; checked once, where it is hardest
    code, output = lettergen(*args)
    assert code == 0, output
    assert "Not made by this batch" not in output
    assert not list(out.rglob("*.tmp")) and not journal.exists()
    assert on_disk(out / NAME) == listed(out / NAME)
    assert len(listed(out / NAME)) == 8 * SIGNERS

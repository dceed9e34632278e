"""`lettergen send` and `lettergen status`: wiring, messages, the reports they write."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from click.testing import CliRunner
from test_send_ledger import write_batch

from conftest import SEED_CAMPAIGN, SHIPPED_DIRECTORY, pdftotext
from lettergen.cli import cli
from smtp_server import Behaviour, smtp_server


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_help_texts() -> None:
    for command in ("send", "status"):
        code, output = invoke(command, "--help")
        assert code == 0 and "CAMPAIGN" in output
    assert "--resend-unknown" in invoke("send", "--help")[1]


def test_states_are_printed() -> None:
    code, output = invoke("status", "x", "--states")
    assert code == 0
    assert "sending  → sent, retry, failed, unknown, queued" in output
    assert "sent     → (final)" in output


def test_no_batch_and_no_ledger_are_one_line_errors(tmp_path: Path) -> None:
    code, output = invoke("send", "nothing", "-o", str(tmp_path), "--no-render")
    assert code == 1 and "no letters to send: the batch has not been written" in output
    code, output = invoke("status", "nothing", "-o", str(tmp_path))
    assert code == 1 and "nothing has been sent yet: no delivery ledger" in output
    assert "Traceback" not in output


def test_dry_run_says_what_when_and_records_nothing(tmp_path: Path) -> None:
    write_batch(tmp_path / "c", 2)
    code, output = invoke("send", "c", "-o", str(tmp_path), "--no-render", "--transport", "dry-run")
    assert code == 0, output
    assert "would send en/office-00.pdf by fax to +493012340000 (office-00) at " in output
    assert "dry run, nothing sent or recorded" in output
    code, status = invoke("status", "c", "-o", str(tmp_path), "--json")
    assert [r["state"] for r in json.loads(status)["letters"]] == ["queued", "queued"]


def test_config_file_next_to_the_campaign_and_an_unknown_key(tmp_path: Path) -> None:
    write_batch(tmp_path / "c", 1)
    campaign = tmp_path / "c.yaml"  # a campaign given as a file: its .send.toml is beside it
    config = tmp_path / "c.send.toml"
    with smtp_server() as (server, port):
        config.write_text(
            'transport = "email"\ncolour = "blue"\n[email]\nhost = "127.0.0.1"\n'
            f'port = {port}\nsecurity = "none"\nfrom = "c@example.org"\n'
            'gateway = "{number}@fax.example.net"\n[hours]\nhours = "00:00-24:00"\n'
            'days = "mon-sun"\n'
        )
        code, output = invoke("send", str(campaign), "-o", str(tmp_path), "--no-render")
    assert code == 0, output
    assert "unknown key 'colour'" in output
    assert [m["To"] for m in server.messages] == ["493012340000@fax.example.net"]


def test_status_table_json_and_reports(tmp_path: Path) -> None:
    write_batch(tmp_path / "c", 3)
    rules = {"493012340002": Behaviour(rcpt="550 5.1.1 number disconnected")}
    with smtp_server(rules=rules) as (_, port):
        code, output = invoke(
            "send", "c", "-o", str(tmp_path), "--no-render", "--transport", "email",
            "--host", f"127.0.0.1:{port}", "--security", "none", "--from", "c@example.org",
            "--gateway", "{number}@fax.example.net", "--now",
        )  # fmt: skip
    assert code == 1  # a letter failed: the run says so
    assert "sent 2, failed 1" in output and "dead-numbers.csv" in output
    code, table = invoke("status", "c", "-o", str(tmp_path))
    assert code == 0
    lines = table.splitlines()
    assert lines[0].split()[:6] == ["office", "via", "to", "state", "tries", "pages"]
    assert lines[3].split()[:4] == ["office-02", "fax", "+493012340002", "failed"]
    assert "550 5.1.1 number disconnected" in lines[3]
    code, text = invoke("status", "c", "-o", str(tmp_path), "--json", "--report")
    document = json.loads(text[text.index("{") :])
    assert document["counts"] == {
        "queued": 0, "sending": 0, "sent": 2, "retry": 0, "failed": 1, "unknown": 0
    }  # fmt: skip
    assert set(document["letters"][0]) == {
        "id", "office_id", "country", "fax", "signer", "language", "file", "pages", "state",
        "attempts", "transport", "job_id", "next_at", "sent_at", "updated_at", "last_error",
        # added with channels
        "channel", "to", "why", "reply", "remote_id", "pages_sent",
    }  # fmt: skip
    assert document["letters"][0]["channel"] == "fax"
    assert document["letters"][0]["to"] == document["letters"][0]["fax"]
    folder = tmp_path / "c"
    dead = list(csv.DictReader(io.StringIO((folder / "dead-numbers.csv").read_text())))
    assert [(d["office_id"], d["fax"]) for d in dead] == [("office-02", "+493012340002")]
    assert dead[0]["error"] == "550 5.1.1 number disconnected (recipient)"
    report = list(csv.DictReader(io.StringIO((folder / "delivery.csv").read_text())))
    assert [r["state"] for r in report] == ["sent", "sent", "failed"]
    summary = " ".join(pdftotext(folder / "delivery.pdf").split())
    assert "2 of 3 offices reached (2 by fax)" in summary
    assert "office-02 fax +493012340002 failed 550 5.1.1 number disconnected" in summary


def _batch_with_signers(tmp_path: Path) -> tuple[Path, Path]:
    signers = tmp_path / "signers.csv"
    signers.write_text("name,city\nAnn Lee,Leeds\nBo Ek,Umeå\n", encoding="utf-8")
    code, output = invoke(
        "batch", str(SEED_CAMPAIGN), "--directory", str(SHIPPED_DIRECTORY),
        "--offices", "de-berlin-embassy,at-vienna-embassy", "--signers", str(signers),
        "-o", str(tmp_path / "out"),
    )  # fmt: skip
    assert code == 0, output
    return tmp_path / "out" / SEED_CAMPAIGN.stem, signers


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*.pdf")}


def test_send_renders_again_exactly_the_letters_the_batch_was_asked_for(tmp_path: Path) -> None:
    """`send` brings the folder up to date with the batch's own request (offices and signers
    from the manifest), never with the campaign's default targets."""
    folder, _ = _batch_with_signers(tmp_path)
    before = _files(folder)
    assert len(before) == 4
    request = json.loads((folder / "manifest.json").read_text("utf-8"))["request"]
    assert request["targets"]["offices"] == ["de-berlin-embassy", "at-vienna-embassy"]
    code, output = invoke(
        "send", str(SEED_CAMPAIGN), "-o", str(tmp_path / "out"), "--transport", "dry-run", "--now"
    )
    assert code == 0, output
    assert _files(folder) == before
    would = sorted(line.split()[2] for line in output.splitlines() if line.startswith("would send"))
    assert would == sorted(before)


def test_send_refuses_to_render_from_a_changed_signers_file(tmp_path: Path) -> None:
    folder, signers = _batch_with_signers(tmp_path)
    before = _files(folder)
    signers.write_text("name,city\nAnn Lee,Leeds\nBo Ek,Umeå\nCy Dee,Oslo\n", encoding="utf-8")
    code, output = invoke(
        "send", str(SEED_CAMPAIGN), "-o", str(tmp_path / "out"), "--transport", "dry-run"
    )
    assert code == 1 and "has changed since the batch was written" in output
    assert "--no-render" in output and "Traceback" not in output
    assert _files(folder) == before
    signers.unlink()
    code, output = invoke("send", str(SEED_CAMPAIGN), "-o", str(tmp_path / "out"))
    assert code == 1 and "which is no longer there" in output


def test_send_refuses_to_render_a_folder_that_does_not_record_its_request(tmp_path: Path) -> None:
    """A manifest of an older release, or of a folder with single letters merged into it by
    `render`, does not say which letters the folder is for: rendering would have to guess."""
    import lettergen

    folder, _ = _batch_with_signers(tmp_path)
    one = lettergen.BatchOptions(
        SEED_CAMPAIGN,
        directory=SHIPPED_DIRECTORY,
        targets=lettergen.Targets(offices=("fr-paris-embassy",)),
        output=tmp_path / "out",
        merge=True,
    )
    lettergen.run_batch(lettergen.prepare(one))
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    assert manifest["request"] is None
    assert len(manifest["letters"]) == 5  # the batch's four and the one merged in
    before = _files(folder)
    code, output = invoke("send", str(SEED_CAMPAIGN), "-o", str(tmp_path / "out"))
    assert code == 1 and "does not say which letters the batch was asked for" in output
    assert _files(folder) == before

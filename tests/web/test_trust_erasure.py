"""Erasure that erases: once a supporter's request is withdrawn, rejected, sent or past its
retention period, whoever holds the supporter ledger cannot confirm a guessed name.

The attack: letters are deterministic, so anyone with `ledger.sqlite` and the public campaign
renders the letter a guessed supporter would have asked for, hashes it, folds the name as the
limits do and keys it with every value the ledger holds, and looks for any of these in the
file. Each test shows the attack working on a request that is still kept (so the test can
fail), then finding nothing once the request is deleted."""

from __future__ import annotations

import hashlib
import hmac
import re
import sqlite3
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from test_web import post
from test_web_fax import ADMIN, SEED_CAMPAIGN, Clock, app_for, ask, settings, token_of

from lettergen.campaign.signers import Signer
from lettergen.supporters.service import Settings, run_sender
from lettergen.supporters.store import Supporters
from lettergen.web import Site

NAME, TOWN = "Grete Lindqvist", "Uppsala"


@pytest.fixture(scope="module")
def site() -> Site:
    return Site(SEED_CAMPAIGN)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def guesses(site: Site, name: str, town: str) -> set[str]:
    """What an attacker computes for a guess: the letter's sha256 (PDF and fax image) and the
    folded name keyed with every value the ledger's meta table holds, as hex and raw bytes."""
    choice = site.choose("DE", "")
    assert choice is not None
    country = site.language("en").country_name("DE")
    pdf = site.pdf(site.compose(choice, Signer(name, "", town, country, ""), "en"))
    found = {hashlib.sha256(pdf).hexdigest(), hashlib.sha256(site.tiff(pdf)).hexdigest()}
    for folded in {" ".join(name.casefold().split()), name, name.casefold()}:
        found.add(hashlib.sha256(folded.encode()).hexdigest())
    return found


def keyed_guesses(ledger: Path, name: str) -> set[str]:
    found = set()
    with sqlite3.connect(ledger) as db:
        values = [str(v) for (v,) in db.execute("SELECT value FROM meta")]
    for value in values:
        keys = [value.encode()]
        if re.fullmatch(r"[0-9a-f]+", value) and len(value) % 2 == 0:
            keys.append(bytes.fromhex(value))
        for key in keys:
            for folded in {" ".join(name.casefold().split()), name}:
                found.add(hmac.new(key, folded.encode(), hashlib.sha256).hexdigest())
    return found


def confirmed(site: Site, setup: Settings, name: str = NAME, town: str = TOWN) -> list[str]:
    """Every place in the ledger (file and write-ahead log, byte by byte) where the attacker's
    values for the guess turn up."""
    wanted = guesses(site, name, town) | keyed_guesses(setup.folder / "ledger.sqlite", name)
    hits = []
    for path in setup.folder.glob("ledger.sqlite*"):
        data = path.read_bytes()
        for value in wanted:
            if value.encode() in data or bytes.fromhex(value) in data:
                hits.append(f"{path.name}: {value[:12]}")
    return hits


def _ask(site: Site, setup: Settings, clock: Clock) -> tuple[Any, str]:
    client = app_for(site, setup, clock)
    response = ask(client, name=NAME, town=TOWN)
    assert response.status_code == 200, response.text
    return client, token_of(response)


def test_the_attack_works_on_a_kept_request_and_a_wrong_guess_confirms_nothing(
    site: Site, clock: Clock, tmp_path: Path
) -> None:
    setup = settings(tmp_path, moderate=True)
    _ask(site, setup, clock)
    assert confirmed(site, setup)  # the letter is kept: its hash is there, as it must be
    assert confirmed(site, setup, "Jan Novák", "Brno") == []


def test_a_withdrawn_request_confirms_no_guess(site: Site, clock: Clock, tmp_path: Path) -> None:
    setup = settings(tmp_path, moderate=True)
    client, token = _ask(site, setup, clock)
    assert post(client, f"/fax/{token}/delete").status_code == 200
    assert confirmed(site, setup) == []


def test_a_rejected_request_confirms_no_guess_yet_still_counts(
    site: Site, clock: Clock, tmp_path: Path
) -> None:
    setup = settings(tmp_path, moderate=True)
    client, _token = _ask(site, setup, clock)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/admin", headers=ADMIN).text)
    assert csrf
    client.post("/admin/fax/1/reject", headers=ADMIN, data={"csrf_token": csrf.group(1)})
    assert confirmed(site, setup) == []
    # The limit still holds (keyed with the server's secret, which the ledger does not hold).
    assert ask(client, name=NAME, town=TOWN).status_code == 429


def test_a_sent_and_purged_request_confirms_no_guess(
    site: Site, clock: Clock, tmp_path: Path
) -> None:
    setup = settings(tmp_path)
    client, _token = _ask(site, setup, clock)
    run_sender(setup, stop=threading.Event(), clock=clock, once=True)
    with sqlite3.connect(setup.folder / "ledger.sqlite") as db:
        assert [s for (s,) in db.execute("SELECT state FROM deliveries")] == ["sent"]
    assert confirmed(site, setup) == []
    assert ask(client, name=NAME, town=TOWN).status_code == 429  # once per office, still
    clock.now += timedelta(days=31)
    with Supporters.open(setup.folder, setup.rules, clock=clock) as store:
        store.purge()
    assert confirmed(site, setup) == []


def test_the_server_secret_is_kept_outside_the_folder_and_private(
    site: Site, clock: Clock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without LETTERGEN_SERVER_SECRET, the key is made once in a file of its own (0600),
    never in the supporter folder, and read again at the next start."""
    from lettergen.send.secret import server_secret

    monkeypatch.delenv("LETTERGEN_SERVER_SECRET", raising=False)
    monkeypatch.setenv("LETTERGEN_SECRET_FILE", str(tmp_path / "keys" / "server-secret"))
    first = server_secret()
    path = tmp_path / "keys" / "server-secret"
    assert path.stat().st_mode & 0o777 == 0o600
    assert server_secret() == first and len(first) == 32
    monkeypatch.setenv("LETTERGEN_SERVER_SECRET", "from the environment")
    assert server_secret() == hashlib.sha256(b"from the environment").digest()


def test_a_ledger_of_an_earlier_release_loses_its_salt_and_is_keyed_again(tmp_path: Path) -> None:
    """Earlier releases keyed signer hashes with a salt kept in the ledger: opened now, the
    salt is deleted, the kept request keyed with the server's secret, the erased one's hash
    dropped."""
    from lettergen.supporters.rules import Rules
    from lettergen.supporters.store import keyed, signer_text

    folder = tmp_path / "supporters"
    with Supporters.open(folder, Rules(), secret=b"old") as store:
        for name in ("Anna Weber", "Jan Novák"):
            store.ask(
                b"%PDF-1.4 " + name.encode(), pages=1, name=name, organisation="", town="",
                office_id="o", fax="+493047007125", country="DE", language="en",
                address_key="a",
            )  # fmt: skip
        salt = "ab" * 32
        with store.ledger.transaction() as db:
            db.execute("INSERT INTO meta VALUES ('signer_salt', ?)", (salt,))
            db.execute(
                "UPDATE requests SET name = NULL, signer_key = ? WHERE id = 2",
                (keyed(bytes.fromhex(salt), signer_text("Jan Novák")),),
            )
    with Supporters.open(folder, Rules(), secret=b"new") as store:
        keys = [k for (k,) in store.db.execute("SELECT signer_key FROM requests ORDER BY id")]
        assert keys == [keyed(b"new", signer_text("Anna Weber")), None]
        assert (
            store.db.execute("SELECT count(*) FROM meta WHERE key = 'signer_salt'").fetchone()[0]
            == 0
        )

"""`credsite notify`: emails to recipients through a real SMTP server on 127.0.0.1 (aiosmtpd).

What must hold: a dry run (the default) writes .eml files and sends nothing; a sent notice is
recorded in credsite.notified the moment the server accepts it, so no re-run, clone or CI run
sends it again and an interrupted batch resumes where it stopped; a temporary failure is retried,
a permanent one for one address is reported at its award and the rest go on; the ledger holds
no address; the SMTP password appears nowhere but in the login.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import os
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from conftest import NOW, SITE_YAML, build_site, output_of, run_cli

from credsite import cli as cli_module
from credsite.commands import mail, notify, roster
from credsite.content import config as site_config
from credsite.content.config import SmtpSettings
from credsite.errors import CredsiteError
from credsite.state.notified import FILE_NAME, Ledger, notice_key

PASSWORD = "Zq8-s3cret-pw-never-logged"
USERNAME = "coordinator"
ENV = {"CREDSITE_SMTP_PASSWORD": PASSWORD}
PEOPLE = [
    ("Ada Lovelace", "ada@example.org"),
    ("Alan Turing", "alan@example.org"),
    ("Grace Hopper", "grace@example.org"),
    ("Katherine Johnson", "katherine@example.org"),
    ("Edsger Dijkstra", "edsger@example.org"),
]
BATCH = "".join(
    f"- achievement: teamwork\n  name: {name}\n  email: {address}\n  issued: 2026-03-0{i}\n"
    for i, (name, address) in enumerate(PEOPLE, 1)
)


# -- a real SMTP server ----------------------------------------------------------------------------


class Mailbox:
    """aiosmtpd handler: keeps what it accepts; can refuse an address (550 at RCPT) or answer
    one DATA (counted over every try, 1-based) with a given reply."""

    def __init__(self) -> None:
        self.accepted: list[tuple[list[str], bytes]] = []
        self.refused: set[str] = set()
        self.data_replies: dict[int, str] = {}
        self.data_count = 0
        self.logins: list[tuple[bytes, bytes]] = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.data_count += 1
            reply = self.data_replies.pop(self.data_count, None)
            if reply is not None:
                return reply
            self.accepted.append((list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        self.logins.append((auth_data.login, auth_data.password))
        ok = auth_data.login == USERNAME.encode() and auth_data.password == PASSWORD.encode()
        return AuthResult(success=ok, handled=False)

    def recipients(self) -> list[str]:
        return [to for tos, _ in self.accepted for to in tos]

    def messages(self) -> list[EmailMessage]:
        return [
            email.message_from_bytes(data, policy=email.policy.default)  # type: ignore[misc]
            for _, data in self.accepted
        ]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    def __init__(self, mailbox: Mailbox, port: int, **options: Any) -> None:
        self.mailbox = mailbox
        self.port = port
        self.options = options
        self.controller: Controller | None = None

    def start(self) -> None:
        options = {"authenticator": self.mailbox.authenticate, "auth_require_tls": False}
        self.controller = Controller(
            self.mailbox, hostname="127.0.0.1", port=self.port, **{**options, **self.options}
        )
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server(Mailbox(), free_port())
    running.start()
    yield running
    running.stop()


def smtp_yaml(port: int, **extra: Any) -> str:
    settings = {
        "host": "127.0.0.1",
        "port": port,
        "username": USERNAME,
        "from": "Acme Credentials <credentials@acme.example.org>",
        "security": "none",
        "rate_per_minute": 100000,
        **extra,
    }
    return "smtp:\n" + "".join(f"  {k}: {v}\n" for k, v in settings.items() if v is not None)


@pytest.fixture
def site(make_site: Callable[..., Path], server: Server) -> Path:
    """Five teamwork awards (no expiry), built, with smtp: pointing at the test server."""
    root = make_site(
        {"site.yaml": SITE_YAML + smtp_yaml(server.port), "content/awards/awards.yaml": BATCH}
    )
    build_site(root)
    return root


@pytest.fixture(autouse=True)
def smtp_password(monkeypatch: pytest.MonkeyPatch, no_key_environment: None) -> None:
    """The password in the environment, as `credsite notify --send` reads it (after conftest's
    `no_key_environment` has cleared every CREDSITE_ variable)."""
    monkeypatch.setenv("CREDSITE_SMTP_PASSWORD", PASSWORD)


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """No real waiting in tests: every back-off and rate-limit pause is recorded instead."""
    waited: list[float] = []
    original = notify.sender_for
    monkeypatch.setattr(
        notify, "sender_for", lambda found, **o: original(found, sleep=waited.append, **o)
    )
    return waited


def send(root: Path, *args: str) -> Any:
    return run_cli("notify", "--send", "--yes", *args, cwd=root, env=ENV)


def ledger_lines(root: Path) -> list[dict[str, Any]]:
    path = root / FILE_NAME
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]


def location_of(root: Path, address: str) -> str:
    entry = next(e for e in roster.entries(root, now=NOW).entries if e.award.email == address)
    return entry.source


def secrets_nowhere(root: Path, *texts: str) -> None:
    """Neither the password nor (in the ledger) any address, name or token."""
    files = [root / FILE_NAME, *sorted((root / notify.OUTBOX).glob("*"))]
    for path in files:
        if path.exists():
            assert PASSWORD.encode() not in path.read_bytes(), path
    for text in texts:
        assert PASSWORD not in text


# -- dry run: the default ----------------------------------------------------------------------------


def test_dry_run_writes_eml_files_and_sends_nothing(site: Path, server: Server) -> None:
    result = run_cli("notify", cwd=site, env=ENV)
    assert result.exit_code == 0, output_of(result)
    assert "Dry run: wrote 5 messages" in result.stdout
    assert server.mailbox.accepted == [] and server.mailbox.logins == []  # never connected
    assert not (site / FILE_NAME).exists()
    outbox = site / notify.OUTBOX
    emls = sorted(outbox.glob("*.eml"))
    assert len(emls) == 5
    assert {p.stat().st_mode & 0o777 for p in emls} == {0o600}
    message = email.message_from_bytes(emls[0].read_bytes(), policy=email.policy.default)
    assert message["From"] == "Acme Credentials <credentials@acme.example.org>"
    assert message["To"] == "Ada Lovelace <ada@example.org>"
    assert message["Subject"] == "Your credential: Teamwork from Acme Learning"
    entry = next(e for e in roster.entries(site, now=NOW).entries if e.award.name == "Ada Lovelace")
    text = message.get_body(("plain",)).get_content()
    assert entry.page_url in text and entry.json_url in text
    assert entry.linkedin_url is not None and entry.linkedin_url in text
    html = message.get_body(("html",)).get_content()
    assert entry.page_url in html and entry.linkedin_url.replace("&", "&amp;") in html
    [badge] = [part for part in message.iter_attachments()]
    assert badge.get_content_type() == "image/png" and badge.get_filename() == "teamwork.png"
    assert badge.get_content() == (site / f"_site/credentials/{entry.token}.png").read_bytes()
    secrets_nowhere(site, output_of(result))

    again = run_cli("notify", "--dry-run", cwd=site, env=ENV)  # replaces the last run's files
    assert again.exit_code == 0 and len(list(outbox.glob("*.eml"))) == 5
    assert server.mailbox.accepted == []


def test_outbox_is_refused_inside_the_output_folder_or_content(site: Path) -> None:
    for folder in ("_site/outbox", "content/outbox"):
        result = run_cli("notify", "--outbox", folder, cwd=site)
        assert result.exit_code == 1
        assert f"error: {folder}: refusing to write the outbox into" in result.stderr
        assert not (site / folder).exists()
    (site / "notes").mkdir()
    (site / "notes" / "mine.txt").write_text("keep me")
    result = run_cli("notify", "--outbox", "notes", cwd=site)
    assert result.exit_code == 1 and "holds other files" in result.stderr
    assert (site / "notes" / "mine.txt").read_text() == "keep me"


def test_html_is_autoescaped_and_plain_text_is_not(
    make_site: Callable[..., Path], server: Server
) -> None:
    name = "Ada <b>Lovelace</b> & Co"
    awards = f"- achievement: teamwork\n  name: '{name}'\n  email: ada@example.org\n"
    root = make_site(
        {"site.yaml": SITE_YAML + smtp_yaml(server.port), "content/awards/awards.yaml": awards}
    )
    build_site(root)
    [notice] = notify.plan(root, now=NOW).notices
    assert f"Dear {name}," in notice.text
    assert notice.html is not None and "<b>" not in notice.html
    assert "Dear Ada &lt;b&gt;Lovelace&lt;/b&gt; &amp; Co," in notice.html


# -- sending ---------------------------------------------------------------------------------------


def test_send_delivers_each_once_and_never_again(
    site: Path, server: Server, waits: list[float]
) -> None:
    result = send(site)
    assert result.exit_code == 0, output_of(result)
    assert sorted(server.mailbox.recipients()) == sorted(a for _, a in PEOPLE)
    assert server.mailbox.logins[0] == (USERNAME.encode(), PASSWORD.encode())  # it was used
    assert "Sent 5 of 5 messages. Recorded in credsite.notified: commit it." in result.stdout
    assert f"sent: {location_of(site, 'ada@example.org')} (awarded)" in result.stdout
    lines = ledger_lines(site)
    assert [line["type"] for line in lines] == ["salt"] + ["sent"] * 5
    assert {line.get("kind") for line in lines[1:]} == {"awarded"}

    again = send(site)  # a re-run, or CI
    assert again.exit_code == 0
    assert "Nothing to send (5 told before, in credsite.notified)." in again.stdout
    assert len(server.mailbox.accepted) == 5
    assert ledger_lines(site) == lines

    clone = site.parent / "clone"  # another clone: the committed files, a build of its own
    clone.mkdir()
    for name in ("site.yaml", "content", "credsite.lock", FILE_NAME):
        source = site / name
        if source.is_dir():
            import shutil

            shutil.copytree(source, clone / name)
        else:
            (clone / name).write_bytes(source.read_bytes())
    build_site(clone)
    assert "Nothing to send" in send(clone).stdout
    assert len(server.mailbox.accepted) == 5
    secrets_nowhere(site, output_of(result), output_of(again))


def test_a_temporary_failure_mid_batch_is_retried_with_back_off(
    site: Path, server: Server, waits: list[float]
) -> None:
    server.mailbox.data_replies = {3: "451 4.3.0 Try again later", 4: "421 4.7.0 Slow down"}
    result = send(site)
    assert result.exit_code == 0, output_of(result)
    assert sorted(server.mailbox.recipients()) == sorted(a for _, a in PEOPLE)  # none lost
    assert len(server.mailbox.accepted) == 5  # none twice
    assert waits[:2] == [mail.BACKOFF, mail.BACKOFF * 2]  # the 3rd message, tried three times
    assert len(ledger_lines(site)) == 1 + 5


def test_a_permanent_failure_for_one_address_is_reported_and_the_rest_go_on(
    site: Path, server: Server, waits: list[float]
) -> None:
    server.mailbox.refused = {"grace@example.org"}
    result = send(site)
    assert result.exit_code == 1
    where = location_of(site, "grace@example.org")
    assert (
        f"error: {where}: awarded notice not delivered (permanent): recipient refused: "
        "550 5.1.1 No such user here" in result.stderr
    )
    assert "Sent 4 of 5 messages; 1 failed." in result.stdout
    assert sorted(server.mailbox.recipients()) == sorted(
        a for _, a in PEOPLE if a != "grace@example.org"
    )
    assert waits == []  # a 5xx is not retried
    # the bounce is recorded (for the report), as a hash like any notice, not as told
    kinds = [line["kind"] for line in ledger_lines(site)[1:]]
    assert sorted(kinds) == ["awarded"] * 4 + ["refused:awarded"]

    server.mailbox.refused = set()  # fixed on the server's side: the next run sends only her
    again = send(site)
    assert again.exit_code == 0, output_of(again)
    assert "Sent 1 of 1 message (4 told before, in credsite.notified)." in again.stdout
    assert sorted(server.mailbox.recipients()) == sorted(a for _, a in PEOPLE)
    assert len(ledger_lines(site)) == 1 + 5 + 1


def test_a_temporary_failure_that_lasts_is_reported_and_sent_next_run(
    site: Path, server: Server, waits: list[float]
) -> None:
    server.mailbox.data_replies = {n: "452 4.2.2 Mailbox full" for n in range(2, 2 + mail.ATTEMPTS)}
    result = send(site)
    assert result.exit_code == 1
    where = location_of(site, "alan@example.org")
    assert f"error: {where}: awarded notice not delivered (temporary, tried again next run)" in (
        result.stderr
    )
    assert f"still after {mail.ATTEMPTS} tries" in result.stderr
    assert len(server.mailbox.accepted) == 4
    assert waits == [mail.BACKOFF * 2**n for n in range(mail.ATTEMPTS - 1)]
    again = send(site)
    assert again.exit_code == 0 and "Sent 1 of 1 message (4 told before" in again.stdout
    assert sorted(server.mailbox.recipients()) == sorted(a for _, a in PEOPLE)


def test_an_interrupted_batch_resumes_where_it_stopped(
    site: Path, server: Server, waits: list[float]
) -> None:
    """The server goes away after two messages: the run stops, says so, exits 1; the next run
    (server back) sends the other three and nothing twice."""
    found = notify.plan(site, now=NOW)

    def server_dies(notice: notify.Notice, outcome: mail.Outcome) -> None:
        if len(server.mailbox.accepted) == 2:
            server.stop()

    sender = notify.sender_for(found)
    result = notify.send(found, sender, progress=server_dies)
    assert len(result.sent) == 2 and result.unsent == 3
    assert result.stopped is not None and "cannot connect to 127.0.0.1" in result.stopped
    assert len(ledger_lines(site)) == 1 + 2

    server.start()
    rerun = send(site)
    assert rerun.exit_code == 0, output_of(rerun)
    assert "Sent 3 of 3 messages (2 told before, in credsite.notified)." in rerun.stdout
    assert sorted(server.mailbox.recipients()) == sorted(a for _, a in PEOPLE)
    assert len(server.mailbox.accepted) == 5


def test_a_run_killed_mid_batch_keeps_what_was_sent(
    site: Path, server: Server, waits: list[float]
) -> None:
    found = notify.plan(site, now=NOW)

    def interrupt(notice: notify.Notice, outcome: mail.Outcome) -> None:
        if len(server.mailbox.accepted) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        notify.send(found, notify.sender_for(found), progress=interrupt)
    assert len(ledger_lines(site)) == 1 + 3
    assert send(site).exit_code == 0
    assert len(server.mailbox.accepted) == 5
    assert sorted(server.mailbox.recipients()) == sorted(a for _, a in PEOPLE)


def test_the_ledger_holds_no_address_name_token_or_password(
    site: Path, server: Server, waits: list[float]
) -> None:
    result = send(site)
    assert result.exit_code == 0
    text = (site / FILE_NAME).read_text()
    found = roster.entries(site, now=NOW).entries
    for entry in found:
        assert entry.award.email not in text
        assert entry.award.name not in text and entry.award.name.split()[0] not in text
        assert entry.token is not None and entry.token not in text
    assert "example.org" not in text and "@" not in text
    assert PASSWORD not in text
    lines = text.splitlines()
    assert lines[0].startswith("# credsite.notified")
    sent = [json.loads(line) for line in lines if '"sent"' in line]
    assert sent == sorted(sent, key=lambda line: (line["sent"], line["key"]))
    ledger = Ledger.load(site / FILE_NAME)
    entry = found[0]
    assert entry.token is not None
    assert ledger.told("awarded", entry.token, entry.award.email.upper())  # normalised
    assert not ledger.told("revoked", entry.token, entry.award.email)


def test_the_password_is_in_no_file_message_or_output(
    site: Path, server: Server, waits: list[float]
) -> None:
    wrong = run_cli("notify", "--send", "--yes", cwd=site, env={ENV_NAME: "wrong-" + PASSWORD})
    assert wrong.exit_code == 1
    assert f"127.0.0.1:{server.port} (none) refuses the login of 'coordinator' (535" in (
        wrong.stderr
    )
    assert "nothing was" in wrong.stderr.lower() and server.mailbox.accepted == []
    dry = run_cli("notify", cwd=site, env=ENV)
    sent = send(site)
    assert sent.exit_code == 0
    for _, data in server.mailbox.accepted:
        assert PASSWORD.encode() not in data
    secrets_nowhere(site, output_of(wrong), output_of(dry), output_of(sent))
    for path in site.rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path


ENV_NAME = "CREDSITE_SMTP_PASSWORD"


def test_send_needs_the_password_from_the_environment(
    site: Path, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CREDSITE_SMTP_PASSWORD")
    result = run_cli("notify", "--send", "--yes", cwd=site)
    assert result.exit_code == 1
    assert "CREDSITE_SMTP_PASSWORD is not" in result.stderr
    assert server.mailbox.accepted == []


def test_starttls_is_never_skipped(make_site: Callable[..., Path], server: Server) -> None:
    """With security: starttls, a server that offers no STARTTLS gets nothing, not even the login."""
    root = make_site(
        {
            "site.yaml": SITE_YAML + smtp_yaml(server.port, security="starttls"),
            "content/awards/awards.yaml": BATCH,
        }
    )
    build_site(root)
    result = run_cli("notify", "--send", "--yes", cwd=root, env=ENV)
    assert result.exit_code == 1
    assert "does not offer STARTTLS" in result.stderr
    assert server.mailbox.logins == [] and server.mailbox.accepted == []
    assert not (root / FILE_NAME).exists()


TLS_CERT = Path(__file__).parent / "smtp" / "localhost.pem"
TLS_KEY = Path(__file__).parent / "smtp" / "localhost-key.pem"


def server_tls() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(TLS_CERT, TLS_KEY)
    return context


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_tls_carries_the_login_and_the_messages(
    make_site: Callable[..., Path], security: str
) -> None:
    """STARTTLS (the server requires it before AUTH and MAIL) and implicit TLS, with the test
    certificate trusted; the system's authorities do not know it, so by default nothing is sent."""
    options: dict[str, Any]
    if security == "starttls":
        options = {"tls_context": server_tls(), "require_starttls": True, "auth_require_tls": True}
    else:  # aiosmtpd offers AUTH "over TLS" only after STARTTLS: implicit TLS is TLS all along
        options = {"ssl_context": server_tls()}
    tls_server = Server(Mailbox(), free_port(), **options)
    tls_server.start()
    try:
        root = make_site(
            {
                "site.yaml": SITE_YAML + smtp_yaml(tls_server.port, security=security),
                "content/awards/awards.yaml": BATCH,
            }
        )
        build_site(root)
        found = notify.plan(root, now=NOW)
        with pytest.raises(mail.MailError, match="certificate verify failed"):
            notify.send(found, notify.sender_for(found, sleep=lambda s: None))
        assert tls_server.mailbox.logins == [] and not (root / FILE_NAME).exists()

        trusted = ssl.create_default_context(cafile=str(TLS_CERT))
        result = notify.send(found, notify.sender_for(found, tls_context=trusted))
        assert len(result.sent) == 5 and result.failed == []
        assert tls_server.mailbox.logins == [(USERNAME.encode(), PASSWORD.encode())]
        assert sorted(tls_server.mailbox.recipients()) == sorted(a for _, a in PEOPLE)
    finally:
        tls_server.stop()


# -- confirmation ----------------------------------------------------------------------------------


def test_send_without_a_terminal_and_without_yes_is_refused(site: Path, server: Server) -> None:
    result = run_cli("notify", "--send", cwd=site, env=ENV)
    assert result.exit_code == 1
    assert "needs a confirmation and there is no terminal to ask on: add --yes" in result.stderr
    assert server.mailbox.accepted == [] and not (site / FILE_NAME).exists()


def test_send_asks_first_with_the_count(
    site: Path, server: Server, waits: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_module, "_interactive", lambda: True)
    from click.testing import CliRunner

    runner = CliRunner()
    monkeypatch.chdir(site)
    no = runner.invoke(cli_module.cli, ["notify", "--send"], input="n\n", env=ENV)
    assert no.exit_code == 0
    assert f"Send 5 messages through 127.0.0.1:{server.port} as Acme Credentials" in no.stderr
    assert "Nothing was sent." in no.stdout and server.mailbox.accepted == []
    yes = runner.invoke(cli_module.cli, ["notify", "--send"], input="y\n", env=ENV)
    assert yes.exit_code == 0, output_of(yes)
    assert len(server.mailbox.accepted) == 5


def test_mark_sent_records_without_sending(site: Path, server: Server) -> None:
    result = run_cli("notify", "--mark-sent", "--yes", cwd=site)
    assert result.exit_code == 0, output_of(result)
    assert "Recorded 5 message(s) as sent" in result.stdout
    assert server.mailbox.accepted == []
    assert all(line.get("marked") for line in ledger_lines(site)[1:])
    assert "Nothing to send (5 told before" in run_cli("notify", cwd=site).stdout


# -- the built site must be there and current ------------------------------------------------------


def test_an_unbuilt_site_is_refused(make_site: Callable[..., Path], server: Server) -> None:
    root = make_site({"site.yaml": SITE_YAML + smtp_yaml(server.port)})
    build_site(root)
    import shutil

    shutil.rmtree(root / "_site")
    result = run_cli("notify", cwd=root)
    assert result.exit_code == 1
    assert "the site is not built (_site/credentials/ does not exist): run 'credsite build'" in (
        result.stderr
    )


def test_a_stale_build_is_refused_at_the_award(site: Path, server: Server) -> None:
    awards = site / "content/awards/awards.yaml"
    awards.write_text(awards.read_text().replace("Grace Hopper", "Grace B. Hopper"))
    result = run_cli("notify", cwd=site)
    assert result.exit_code == 1
    where = location_of(site, "grace@example.org")
    assert (
        f"error: {where}: the built credential is out of date (the recipient's name changed "
        "since _site/ was built): run 'credsite build' first" in result.stderr
    )
    assert not (site / notify.OUTBOX).exists()

    awards.write_text(
        BATCH + "- achievement: mentor\n  name: New Person\n  email: new@example.org\n"
    )
    result = run_cli("notify", cwd=site)  # a new award, not built yet: a warning, not an error
    assert result.exit_code == 0, output_of(result)
    assert "1 award(s) are not built yet and are not told" in result.stderr
    assert "wrote 5 messages" in result.stdout


def test_revocation_notices_wait_for_the_build_that_revokes(
    site: Path, server: Server, waits: list[float]
) -> None:
    assert send(site).exit_code == 0
    awards = site / "content/awards/awards.yaml"
    awards.write_text(
        awards.read_text().replace(
            "  email: alan@example.org\n",
            "  email: alan@example.org\n  status: revoked\n  status_reason: Issued by mistake\n"
            "  status_date: 2026-10-01\n",
        )
    )
    stale = run_cli("notify", "--revoked", cwd=site)
    assert stale.exit_code == 1
    assert "the built site does not yet show it as revoked: run 'credsite build'" in stale.stderr
    build_site(site)
    found = notify.plan(site, revoked=True, now=NOW)
    [notice] = found.notices
    assert notice.kind == "revoked" and notice.entry.award.email == "alan@example.org"
    assert notice.subject == "Your credential Teamwork has been revoked"
    assert "Reason: Issued by mistake" in notice.text
    assert notify.plan(site, now=NOW).notices == []  # nobody new to announce
    result = send(site, "--revoked")
    assert result.exit_code == 0, output_of(result)
    assert server.mailbox.recipients()[-1] == "alan@example.org"
    assert "Nothing to send (1 told before" in send(site, "--revoked").stdout
    assert [line["kind"] for line in ledger_lines(site)[1:]].count("revoked") == 1


# -- reminders -------------------------------------------------------------------------------------

EXPIRING = """\
- achievement: mentor
  name: Grace Hopper
  email: grace@example.org
  issued: 2026-04-01
- achievement: mentor
  name: Alan Turing
  email: alan@example.org
  issued: 2026-09-01
- achievement: teamwork
  name: Ada Lovelace
  email: ada@example.org
  issued: 2026-03-01
"""


def test_expiring_within_reminds_once_per_credential_and_window(
    make_site: Callable[..., Path], server: Server
) -> None:
    root = make_site(
        {"site.yaml": SITE_YAML + smtp_yaml(server.port), "content/awards/awards.yaml": EXPIRING}
    )
    build_site(root)
    march = dt.datetime(2027, 3, 10, tzinfo=dt.UTC)  # Grace's mentor award expires 2027-04-01
    sender = mail.SmtpSender(
        site_config.load(root).smtp or pytest.fail("no smtp"), PASSWORD, sleep=lambda s: None
    )
    found = notify.plan(root, expiring_within="30d", now=march)
    [notice] = found.notices
    assert notice.entry.award.name == "Grace Hopper" and notice.ledger_kind == "expiring:30d"
    assert notice.subject == "Your credential Mentor expires on 1 April 2027"
    assert notify.send(found, sender).sent == [notice]
    assert notify.plan(root, expiring_within="30d", now=march).notices == []
    assert notify.plan(root, expiring_within="4w", now=march).notices != []  # another window
    later = notify.plan(root, expiring_within="30 days", now=march + dt.timedelta(days=10))
    assert later.notices == [] and later.told == 1
    assert notify.plan(root, now=march).notices != []  # reminders are not announcements
    with pytest.raises(CredsiteError, match="give a length such as 30d"):
        notify.plan(root, expiring_within="soon", now=march)


@pytest.mark.parametrize("window", ["8000y", "101 years", "1201m", "999999999999999999999d"])
def test_expiring_within_is_refused_beyond_100_years(
    make_site: Callable[..., Path], window: str
) -> None:
    """A window past the year 9999 was an OverflowError traceback ("date out of range")."""
    root = make_site(
        {"site.yaml": SITE_YAML + smtp_yaml(2525), "content/awards/awards.yaml": EXPIRING}
    )
    build_site(root)
    message = f"--expiring-within must be between 1 day and 100 years, got {window!r}"
    result = run_cli("notify", "--expiring-within", window, cwd=root)
    text = output_of(result)
    assert result.exit_code == 1 and "Traceback" not in text
    assert message in text and "nothing was written" in text
    assert not (root / notify.OUTBOX).exists() and not (root / FILE_NAME).exists()
    march = dt.datetime(2027, 3, 10, tzinfo=dt.UTC)  # before an expiry: the window is computed
    with pytest.raises(CredsiteError, match="between 1 day and 100 years"):
        notify.plan(root, expiring_within=window, now=march)
    assert notify.plan(root, expiring_within="100y", now=march).notices != []


# -- templates -------------------------------------------------------------------------------------


def test_a_site_template_overrides_the_theme_in_its_language(
    make_site: Callable[..., Path], server: Server
) -> None:
    french = (
        '{% set subject = "Votre badge : " ~ achievement.name %}\n'
        "Bonjour {{ recipient }},\n\n{{ page_url }}\n"
    )
    yaml = SITE_YAML + "language: fr\n" + smtp_yaml(server.port)
    root = make_site(
        {
            "site.yaml": yaml,
            "content/awards/awards.yaml": BATCH,
            "themes/default/templates/email/fr/awarded.txt": french,
        }
    )
    build_site(root)
    found = notify.plan(root, now=NOW)
    notice = found.notices[0]
    assert notice.language == "fr" and notice.subject == "Votre badge : Teamwork"
    assert notice.text.startswith("Bonjour Ada Lovelace,")
    assert notice.html is None  # no fr HTML: a plain-text email, never a mix of languages
    assert found.warnings == []

    (root / "site.yaml").write_text(SITE_YAML + "language: de-AT\n" + smtp_yaml(server.port))
    fallback = notify.plan(root, now=NOW)
    assert fallback.notices[0].language == "en"
    assert any("no email templates or message catalog in 'de-AT'" in str(w) for w in fallback.warnings)
    german = root / "themes/default/templates/email/de/awarded.txt"
    german.parent.mkdir()
    german.write_text('{% set subject = "Ihr Nachweis" %}\nHallo {{ recipient }}\n')
    base = notify.plan(root, now=NOW)  # de-AT finds de: no warning
    assert base.notices[0].language == "de" and base.notices[0].subject == "Ihr Nachweis"
    assert base.warnings == []


def test_templates_are_chosen_by_language_with_fallbacks(make_site: Callable[..., Path]) -> None:
    config = site_config.load(make_site({"site.yaml": SITE_YAML + "language: pt-BR\n"}))
    available = {"email/pt/awarded.txt", "email/en/awarded.txt", "email/en/awarded.html"}
    assert notify.choose_templates(available, "awarded", "fr-CA", config) == (
        "pt", "email/pt/awarded.txt", None,
    )  # fmt: skip
    available.add("email/fr/awarded.txt")
    assert notify.choose_templates(available, "awarded", "fr-CA", config)[0] == "fr"
    assert notify.choose_templates({"email/en/awarded.txt"}, "awarded", "th", config)[0] == "en"
    with pytest.raises(CredsiteError, match=r"email/th/revoked\.txt"):
        notify.choose_templates(available, "revoked", "th", config)


def test_a_template_mistake_is_located_and_nothing_is_written(
    make_site: Callable[..., Path], server: Server
) -> None:
    root = make_site(
        {
            "site.yaml": SITE_YAML + smtp_yaml(server.port),
            "themes/default/templates/email/en/awarded.txt": (
                '{% set subject = "x" %}\nHello {{ recipient }}\n{{ nope }}\n'
            ),
        }
    )
    build_site(root)
    result = run_cli("notify", cwd=root)
    assert result.exit_code == 1
    assert "error: themes/default/templates/email/en/awarded.txt:3: 'nope' is undefined" in (
        result.stderr
    )
    assert not (root / notify.OUTBOX).exists()


# -- site.yaml: smtp -------------------------------------------------------------------------------


def test_a_password_in_site_yaml_is_refused_where_it_is(make_site: Callable[..., Path]) -> None:
    root = make_site({"site.yaml": SITE_YAML + smtp_yaml(25) + "  password: hunter2-secret\n"})
    result = run_cli("notify", cwd=root)
    assert result.exit_code == 1
    line = len((SITE_YAML + smtp_yaml(25)).splitlines()) + 1
    assert f"error: site.yaml:{line}:3: never write the SMTP password in site.yaml" in (
        result.stderr
    )
    assert "CREDSITE_SMTP_PASSWORD" in result.stderr and "hunter2" not in output_of(result)
    build = run_cli("build", cwd=root)  # every command reads site.yaml: the build refuses too
    assert build.exit_code == 1 and "never write the SMTP password" in build.stderr


def test_smtp_settings_are_checked(make_site: Callable[..., Path]) -> None:
    def problems(smtp: str) -> str:
        root = make_site({"site.yaml": SITE_YAML + smtp}, name=f"s{len(os.listdir(tmp))}")
        with pytest.raises(CredsiteError) as caught:
            site_config.load(root)
        return str(caught.value)

    tmp = make_site({}, name="s0").parent
    assert "smtp needs 'from'" in problems("smtp:\n  host: mail.example.org\n")
    assert "'security' must be one of starttls, tls, none" in problems(
        "smtp:\n  host: h.example\n  from: a@b.example\n  security: ssl\n"
    )
    assert "would send the password unencrypted" in problems(
        "smtp:\n  host: mail.example.org\n  from: a@b.example\n  security: none\n  username: u\n"
    )
    assert "'port' must be a whole number" in problems(
        "smtp:\n  host: h.example\n  from: a@b.example\n  port: http\n"
    )
    assert "'from' must be an email address" in problems(
        "smtp:\n  host: h.example\n  from: nobody\n"
    )
    root = make_site(
        {
            "site.yaml": SITE_YAML
            + "smtp:\n  host: h.example\n  from: a@b.example\n  security: tls\n"
        },
        name="ok",
    )
    assert site_config.load(root).smtp == SmtpSettings(
        host="h.example", from_address="a@b.example", port=465, security="tls"
    )


def test_notify_without_smtp_settings_says_what_to_add(make_site: Callable[..., Path]) -> None:
    root = make_site()
    build_site(root)
    result = run_cli("notify", cwd=root)
    assert result.exit_code == 1
    assert "error: site.yaml: credsite notify needs an 'smtp:' section" in result.stderr


# -- the sender on its own -------------------------------------------------------------------------


def test_the_rate_limit_spaces_messages(site: Path, server: Server) -> None:
    now = [0.0]
    waited: list[float] = []

    def sleep(seconds: float) -> None:
        waited.append(seconds)
        now[0] += seconds

    settings = SmtpSettings(
        host="127.0.0.1", port=server.port, from_address="a@acme.example.org",
        security="none", rate_per_minute=6,
    )  # fmt: skip
    sender = mail.SmtpSender(settings, None, sleep=sleep, clock=lambda: now[0])
    found = notify.plan(site, now=NOW)
    found.smtp = settings
    result = notify.send(found, sender)
    assert len(result.sent) == 5
    assert waited == [10.0] * 4  # 6 a minute: one every 10 s
    assert "password" not in repr(sender).lower() and PASSWORD not in repr(sender)


# -- the ledger ------------------------------------------------------------------------------------


def test_ledger_lines_from_two_clones_merge(tmp_path: Path) -> None:
    """Two clones that each started a ledger, merged with merge=union: both salts count."""
    when = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    one, two = Ledger(tmp_path / "one"), Ledger(tmp_path / "two")
    one.record("awarded", "tok1", "a@example.org", when=when)
    two.record("awarded", "tok2", "b@example.org", when=when + dt.timedelta(hours=1))
    merged = tmp_path / FILE_NAME
    body = sorted(set(one.lines() + two.lines() + one.lines()))  # union, a duplicate line too
    merged.write_text("".join(line + "\n" for line in body))
    ledger = Ledger.load(merged)
    assert len(ledger.salts) == 2
    assert ledger.told("awarded", "tok1", "a@example.org")
    assert ledger.told("awarded", "tok2", " B@Example.org ")
    assert not ledger.told("awarded", "tok1", "b@example.org")
    ledger.record("revoked", "tok1", "a@example.org", when=when + dt.timedelta(days=1))
    assert len(Ledger.load(merged).sent) == 3
    key = notice_key(ledger.salts[0].salt, "revoked", "tok1", "a@example.org")
    assert key in merged.read_text()


def test_a_damaged_ledger_is_reported_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    path.write_text(
        '# header\n{"type":"salt","salt":"ab","since":"2026-01-01T00:00:00Z"}\n<<<<<<< HEAD\n'
        '{"type":"sent","key":"nope","kind":"awarded","sent":"2026-01-01T00:00:00Z"}\n'
        '{"type":"future"}\n'
        '{"type":"salt","salt":"\\udc80","since":"2026-01-01T00:00:00Z"}\n'  # not writable again
    )
    with pytest.raises(CredsiteError) as caught:
        Ledger.load(path)
    text = str(caught.value)
    assert "credsite.notified:3:1: merge conflict marker" in text
    assert "credsite.notified:4:1: unreadable ledger line" in text
    assert "credsite.notified:5:1: unreadable ledger line: unknown line type 'future'" in text
    assert "credsite.notified:6:1: unreadable ledger line: half of a UTF-16 surrogate pair" in text

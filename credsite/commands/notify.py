"""`credsite notify`: one email to each recipient who has not been told yet (docs/notify.md).

`plan` decides who is told what and renders every message before anything is sent, so a
template mistake or a stale build stops the run with nothing sent:

* who: the awards `credsite.commands.roster` lists (the same links as the roster), minus the
  notices `credsite.notified` records (`credsite.state.notified`);
* what: ``awarded`` (an active credential), ``expiring`` (`--expiring-within`: an active
  credential whose validUntil falls within the window) or ``revoked`` (`--revoked`);
* with what: the built site (`site.yaml: output`), which must hold each credential as the content
  and credsite.lock describe it now: the badge attached is its baked ``credentials/TOKEN.png``
  (with ``bake_in_browser``, the credential baked here into the badge it names, as its page's
  download link bakes it).

Then either `write_outbox` (the default, ``--dry-run``: one ``.eml`` file per message, nothing
sent) or `send` (``--send``: through `credsite.commands.mail`, each notice recorded in the ledger
the moment the server accepts it, so an interrupted run resumes where it stopped).

Templates are the theme's ``templates/email/<language>/<kind>.txt`` (plain text; it sets
``subject``) and ``.html`` (optional, autoescaped), found like page templates (the site's
``themes/<theme>/templates/`` first), in the recipient's language, else the site's, else English.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime as email_date
from email.utils import make_msgid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from credsite.atomic import write_atomic
from credsite.commands import mail, roster
from credsite.content import model
from credsite.content.config import SMTP_PASSWORD_VARIABLE, SiteConfig, SmtpSettings
from credsite.errors import ContentError, CredsiteError, Location, Problem, Problems
from credsite.issuing import private
from credsite.issuing.urls import Urls
from credsite.openbadges import png
from credsite.openbadges.image import KEYWORD_OB3
from credsite.state.notified import FILE_NAME, REFUSED, Ledger
from credsite.values import add_duration, format_datetime
from credsite.vc.status import Bitstring
from credsite.website import pages, render

if TYPE_CHECKING:
    import jinja2  # types only: credsite.website.render owns Jinja2

LEDGER_FILE = FILE_NAME
"""The ledger, in the site folder: credsite.notified."""
OUTBOX = ".credsite-outbox"
"""Where `--dry-run` writes its .eml files (git-ignored by `credsite init`)."""
OUTBOX_README = "README.txt"
"""Written into every outbox: marks a folder credsite may clear of its own .eml files."""
FALLBACK_LANGUAGE = "en"
"""The language the built-in theme's emails are written in."""
STATUS_OF_PURPOSE = {"revocation": "revoked", "suspension": "suspended"}
_WINDOW = re.compile(r"(?P<n>\d+)\s*(?P<unit>d|days?|w|weeks?|m|months?|y|years?)")


@dataclass(frozen=True)
class Window:
    """`--expiring-within`: ``30d``, ``6 weeks``, ``2m``, ``1 year``."""

    amount: tuple[int, str]
    label: str
    """Short form in the ledger: ``30d``, ``6w``, ``2m``, ``1y``."""

    @property
    def text(self) -> str:
        return pages.duration_text(self.amount)


def parse_window(text: str) -> Window:
    match = _WINDOW.fullmatch(text.strip().lower())
    digits = match["n"].lstrip("0") if match is not None else ""
    n = int(digits or "0") if len(digits) <= 9 else None  # None: huge (int() refuses 4,300 digits)
    if match is None or n == 0:
        raise CredsiteError(
            f"--expiring-within: give a length such as 30d, 6w, 2m or 1y, got {text!r}"
        )
    unit = {"d": "day", "w": "week", "m": "month", "y": "year"}[match["unit"][0]]
    if n is None or n > model.MAX_VALID_FOR[unit]:  # the longest 'valid_for'
        raise CredsiteError(
            f"--expiring-within must be between 1 day and 100 years, got {text.strip()!r}"
        )
    return Window((n, unit), f"{n}{unit[0]}")


@dataclass(frozen=True)
class Notice:
    """One message to one recipient, rendered and ready to send."""

    kind: str
    """awarded, expiring or revoked: which templates."""
    ledger_kind: str
    """How the ledger names it: awarded, expiring:30d, revoked."""
    detail: str
    """What else makes the notice the same one (an expiry reminder: the expiry date)."""
    entry: roster.Entry
    language: str
    """The language of the templates used."""
    subject: str
    text: str
    html: str | None
    badge: Path
    """The built baked PNG, attached."""
    badge_name: str
    badge_data: bytes | None = None
    """The badge as attached where the built site holds no file of it: a private credential's
    decrypted (its `badge` is published encrypted), or with ``bake_in_browser`` baked here."""

    @property
    def token(self) -> str:
        assert self.entry.token is not None  # only issued awards are notified
        return self.entry.token

    @property
    def where(self) -> str:
        """The award, as messages name it (its file and line): never its address."""
        return self.entry.source


@dataclass
class Plan:
    config: SiteConfig
    smtp: SmtpSettings
    ledger: Ledger
    notices: list[Notice] = field(default_factory=list)
    told: int = 0
    """Notices the ledger records as already given (skipped)."""
    not_issued: int = 0
    """Awards not built yet: told after the next build."""
    warnings: list[Problem | str] = field(default_factory=list)


# -- deciding who is told what ---------------------------------------------------------------------


def plan(
    root: Path,
    *,
    expiring_within: str | None = None,
    revoked: bool = False,
    achievement: str | None = None,
    file: Path | None = None,
    now: dt.datetime | None = None,
) -> Plan:
    """Every notice still to give, rendered. `awarded` notices unless `expiring_within` or
    `revoked` asks for reminders or revocation notices instead. Writes nothing."""
    now = now or dt.datetime.now(dt.UTC)
    window = parse_window(expiring_within) if expiring_within is not None else None
    found = roster.entries(root, achievement=achievement, file=file, now=now)
    config = found.config
    if config.smtp is None:
        raise CredsiteError(
            "credsite notify needs an 'smtp:' section in site.yaml, at least 'host' and 'from' "
            "(docs/notify.md); the password comes from the environment, "
            f"{SMTP_PASSWORD_VARIABLE}",
            Location("site.yaml"),
        )
    site = model.load(config)
    ledger = Ledger.load(config.root / LEDGER_FILE)
    result = Plan(config, config.smtp, ledger, warnings=list(found.warnings))
    wanted: list[tuple[roster.Entry, str, str, str]] = []
    for entry in found.entries:
        if entry.token is None:
            result.not_issued += 1
            continue
        if entry.award.withdrawn:
            continue  # taken down at the recipient's request: nothing to point them at
        kinds: list[tuple[str, str, str]] = []  # (kind, ledger kind, detail)
        if window is None and not revoked and entry.status == "active":
            kinds.append(("awarded", "awarded", ""))
        expires = entry.expires
        if (
            window is not None
            and entry.status == "active"
            and expires is not None
            and now < expires <= add_duration(now, window.amount)
        ):
            kinds.append(("expiring", f"expiring:{window.label}", format_datetime(expires)))
        if revoked and entry.status == "revoked":
            kinds.append(("revoked", "revoked", ""))
        for kind, ledger_kind, detail in kinds:
            if ledger.told(ledger_kind, entry.token, entry.award.email, detail):
                result.told += 1
            else:
                wanted.append((entry, kind, ledger_kind, detail))
    if result.not_issued:
        result.warnings.append(
            f"{result.not_issued} award(s) are not built yet and are not told: run "
            "'credsite build', then 'credsite notify' again"
        )
    badges: dict[str, bytes] = {}
    documents = check_built(config, [entry for entry, *_ in wanted], badges)
    theme = render.load_theme(config)
    text_env = theme.env.overlay(autoescape=False, cache_size=400)
    available = set(theme.env.list_templates())
    missing_languages: set[str] = set()
    for entry, kind, ledger_kind, detail in wanted:
        language = recipient_language(entry.award, config)
        used, text_name, html_name = choose_templates(available, kind, language, config)
        if used not in (language, language.split("-")[0]):
            # Another language's templates, in the recipient's words from the catalogs
            if theme.has_catalog(language):
                used = language
            else:
                missing_languages.add(language)
        document = documents[entry.award.key]
        context = _context(entry, site, config, kind, used, document, window)
        context.update(theme.words(used).callables())
        subject, text = _render_text(theme, text_env, text_name, context)
        html = (
            _render_html(theme, html_name, {**context, "subject": subject}) if html_name else None
        )
        assert entry.token is not None
        notice = Notice(
            kind=kind,
            ledger_kind=ledger_kind,
            detail=detail,
            entry=entry,
            language=used,
            subject=subject,
            text=text,
            html=html,
            badge=config.output_dir / Urls.credential_path(entry.token, "png"),
            badge_name=context["badge_name"],
            badge_data=badges.get(entry.award.key),
        )
        result.notices.append(notice)
    for language in sorted(missing_languages):
        result.warnings.append(
            f"no email templates or message catalog in '{language}': recipients in that "
            "language get them in the site's language or English (add "
            f"themes/{config.theme}/locale/{language}/LC_MESSAGES/messages.po, docs/themes.md)"
        )
    return result


def recipient_language(award: model.Award, config: SiteConfig) -> str:
    """The award's language if the content gives one, else the site's first."""
    return model.award_language(award, config)


def entry_language(entry: roster.Entry, config: SiteConfig) -> str:
    return recipient_language(entry.award, config)


def choose_templates(
    available: set[str], kind: str, language: str, config: SiteConfig
) -> tuple[str, str, str | None]:
    """(language used, text template, html template or None): the first language of the
    recipient's, its base language (pt-BR -> pt), the site's, its base, English, that has a
    ``<kind>.txt``; the ``.html`` of the same language if there is one."""
    candidates = [language, language.split("-")[0], config.language]
    candidates += [config.language.split("-")[0], FALLBACK_LANGUAGE]
    for code in dict.fromkeys(candidates):
        text = f"email/{code}/{kind}.txt"
        if text in available:
            html = f"email/{code}/{kind}.html"
            return code, text, html if html in available else None
    raise CredsiteError(
        f"no email template for '{kind}' notices: expected "
        f"themes/{config.theme}/templates/email/{language}/{kind}.txt",
        Location("site.yaml"),
    )


def wallet_link(json_url: str) -> str:
    """The email's "add to your wallet" link: the credential's JSON address, which wallets import
    by URL (Learner Credential Wallet: "Add credential", paste or scan).

    Not the page's one-tap ``https://lcw.app/request?request=...`` link
    (`credsite.website.pages.lcw_request_url`): it embeds the whole credential, 5-9 thousand
    characters, which mail clients wrap, truncate or flag; the page the email links to offers it.
    """
    return json_url


def _context(
    entry: roster.Entry,
    site: model.Site,
    config: SiteConfig,
    kind: str,
    language: str,
    document: dict[str, Any],
    window: Window | None,
) -> dict[str, Any]:
    """What every email template receives (docs/notify.md lists it)."""
    achievement = entry.achievement  # in the recipient's language (roster)
    issuer = model.localized(site.issuers[achievement.issuer], entry_language(entry, config))
    assert entry.json_url is not None
    reason = entry.award.status_reason if config.status.publish_reasons else None
    private_ = entry.award.visibility == "private"
    return {
        "kind": kind,
        "language": language,
        "site": model.localized(config, entry_language(entry, config)),
        "recipient": entry.award.name,
        "award": entry.award,
        "achievement": achievement,
        "issuer": issuer,
        "brand": pages.brand(issuer),
        "page_url": entry.page_url,
        "json_url": entry.json_url,
        "linkedin_url": entry.linkedin_url,
        # A private credential's JSON is not served in clear: its wallet link is its full link,
        # whose page offers the download and the wallet's one-tap link.
        "wallet_url": entry.page_url if private_ else wallet_link(entry.json_url),
        "private": private_,
        "issued": entry.issued,
        "expires": entry.expires,
        "window": window.text if window else None,
        "reason": reason,
        "badge_name": f"{achievement.slug}.png",
    }


def _render_text(
    theme: render.Theme, env: jinja2.Environment, name: str, context: dict[str, Any]
) -> tuple[str, str]:
    """The subject (the template's ``{% set subject = ... %}``) and the plain-text body."""
    try:
        template = env.get_template(name)
        try:
            module = template.make_module(context)
        except Exception:
            env.handle_exception()  # template file and line in the traceback, as render() does
        body = str(module)
        subject = getattr(module, "subject", None)
    except Exception as exc:
        _raise_template_problem(theme, exc)
        raise
    if not isinstance(subject, str) or not subject.strip():
        raise CredsiteError(
            'an email\'s text template must set its subject: {% set subject = "..." %}',
            Location(theme.shown(template.filename) or name),
        )
    return " ".join(subject.split()), body.strip() + "\n"


def _render_html(theme: render.Theme, name: str, context: dict[str, Any]) -> str:
    try:
        return theme.env.get_template(name).render(context)
    except Exception as exc:
        _raise_template_problem(theme, exc)
        raise


def _raise_template_problem(theme: render.Theme, exc: Exception) -> None:
    problem = render.template_problem(theme, exc)
    if problem is not None:
        raise CredsiteError(problem.message, problem.location) from None


# -- the built site --------------------------------------------------------------------------------


def check_built(
    config: SiteConfig, entries: list[roster.Entry], badges: dict[str, bytes] | None = None
) -> dict[str, dict[str, Any]]:
    """Each entry's built credential (award key -> document), after checking that the built site
    says what the email will: the same address, name, achievement, dates and status.

    A site never built, or built before the content or credsite.lock last changed, is refused:
    the email would link to pages that do not exist yet or say something else."""
    out = config.output_dir
    if not (out / "credentials").is_dir():
        raise CredsiteError(
            f"the site is not built ({config.output}/credentials/ does not exist): run "
            "'credsite build' first; notify attaches the badge images it writes"
        )
    problems = Problems()
    lists: dict[str, Bitstring | None] = {}
    documents: dict[str, dict[str, Any]] = {}
    stale = "run 'credsite build' first"
    for entry in entries:
        assert entry.token is not None
        where = entry.award.location
        path = out / Urls.credential_path(entry.token)
        try:
            if entry.award.visibility == "private":  # opened with its link's key
                assert entry.page_url is not None
                data = _open_private(out, entry, "json")
                if badges is not None and not config.bake_in_browser:
                    badges[entry.award.key] = _open_private(out, entry, "png")
            else:
                data = path.read_bytes()
            document = json.loads(data)
        except (OSError, ValueError):
            problems.add(where, f"this award is not in the built site ({config.output}/): {stale}")
            continue
        if config.bake_in_browser:  # the site publishes the badge, not the credential baked in
            baked = _baked_badge(config, document, data)
            if baked is None:
                problems.add(where, f"its badge image is not in {config.output}/: {stale}")
                continue
            if badges is not None:
                badges[entry.award.key] = baked
        elif entry.award.visibility != "private" and not (
            out / Urls.credential_path(entry.token, "png")
        ).is_file():
            problems.add(where, f"its baked badge image is not in {config.output}/: {stale}")
            continue
        differs = _differences(document, entry)
        if differs:
            problems.add(
                where,
                f"the built credential is out of date ({', '.join(differs)} changed since "
                f"{config.output}/ was built): {stale}",
            )
            continue
        for purpose, bit in _status_bits(document, config, lists):
            expected = entry.status == STATUS_OF_PURPOSE.get(purpose)
            if bit is None:
                problems.add(
                    where, f"its {purpose} status list is not in {config.output}/: {stale}"
                )
            elif bit != expected:
                shown = STATUS_OF_PURPOSE.get(purpose, purpose)
                problems.add(
                    where,
                    f"the built site {'does not yet show' if expected else 'still shows'} it as "
                    f"{shown}: {stale}",
                )
        documents[entry.award.key] = document
    if problems:
        raise ContentError(problems.items)
    return documents


def _baked_badge(config: SiteConfig, document: dict[str, Any], data: bytes) -> bytes | None:
    """The credential `document` (its JSON bytes `data`) baked into the badge it names, as its
    page's download link bakes it (``bake_in_browser``); None if the built site lacks it."""
    achievement = document.get("credentialSubject", {}).get("achievement", {})
    image = achievement.get("image", {}).get("id") if isinstance(achievement, dict) else None
    if not isinstance(image, str) or not image.startswith(config.url):
        return None
    try:
        badge = (config.output_dir / image.removeprefix(config.url)).read_bytes()
        return png.bake_png(badge, KEYWORD_OB3, data.decode("utf-8"))
    except (OSError, ValueError):  # ImageError too: a corrupt or missing badge
        return None


def _open_private(out: Path, entry: roster.Entry, suffix: str) -> bytes:
    """A private credential's built file, decrypted with the key of its full link."""
    assert entry.token is not None and entry.page_url is not None
    name = Urls.credential_path(entry.token, suffix)
    blob = (out / (name + private.SUFFIX)).read_bytes()
    try:
        return private.decrypt(private.key_from_fragment(entry.page_url), name, blob)
    except private.PrivateError as exc:
        raise ValueError(str(exc)) from None


def _differences(document: dict[str, Any], entry: roster.Entry) -> list[str]:
    """What the email would say that the built credential does not."""
    subject = document.get("credentialSubject")
    expires = format_datetime(entry.expires) if entry.expires else None
    issued = format_datetime(entry.issued) if entry.issued else None
    checks = [
        ("the site's url", document.get("id") == entry.json_url),
        (
            "the recipient's name",
            isinstance(subject, dict) and subject.get("name") == entry.award.name,
        ),
        ("the achievement's name", document.get("name") == entry.achievement.name),
        ("the issue date", document.get("validFrom") == issued),
        ("the expiry date", document.get("validUntil") == expires),
    ]
    return [what for what, same in checks if not same]


def _status_bits(
    document: dict[str, Any], config: SiteConfig, lists: dict[str, Bitstring | None]
) -> list[tuple[str, bool | None]]:
    """(purpose, bit) of each status entry, read from the built status lists (None: missing)."""
    entries = document.get("credentialStatus") or []
    found: list[tuple[str, bool | None]] = []
    for status in entries if isinstance(entries, list) else [entries]:
        url = str(status.get("statusListCredential", ""))
        purpose = str(status.get("statusPurpose", ""))
        path = url.removeprefix(config.url)
        if path not in lists:
            lists[path] = _read_list(config.output_dir / path) if path != url else None
        bits = lists[path]
        index = int(status.get("statusListIndex", -1))
        found.append((purpose, bits.get(index) if bits is not None and index >= 0 else None))
    return found


def _read_list(path: Path) -> Bitstring | None:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        return Bitstring.decode(document["credentialSubject"]["encodedList"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


# -- the messages ----------------------------------------------------------------------------------


def compose(notice: Notice, settings: SmtpSettings, now: dt.datetime) -> EmailMessage:
    """The message: plain text, HTML alternative if the theme has one, the baked badge."""
    message = EmailMessage()
    message["From"] = settings.from_address
    message["To"] = Address(
        " ".join(notice.entry.award.name.split()), addr_spec=notice.entry.award.email
    )
    if settings.reply_to:
        message["Reply-To"] = settings.reply_to
    message["Subject"] = notice.subject
    message["Date"] = email_date(now)
    domain = mail.address_of(settings.from_address).rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid("credsite", domain=domain)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
    message["Content-Language"] = notice.language
    message.set_content(notice.text)
    if notice.html is not None:
        message.add_alternative(notice.html, subtype="html")
    badge = notice.badge_data if notice.badge_data is not None else notice.badge.read_bytes()
    message.add_attachment(badge, maintype="image", subtype="png", filename=notice.badge_name)
    return message


def eml_bytes(message: EmailMessage) -> bytes:
    """The message as sent (CRLF line ends): what an .eml file holds."""
    return message.as_bytes(policy=SMTP)


# -- --dry-run: the outbox -------------------------------------------------------------------------


def outbox_folder(config: SiteConfig, given: Path | None) -> Path:
    """The outbox, refused inside the output folder (published) and content/ (read, committed):
    its files hold recipients' addresses."""
    folder = given if given is not None else config.root / OUTBOX
    where = folder.absolute().resolve()
    for place, what in (
        (config.output_dir, "the output folder, which is published"),
        (config.content_dir, "content/, which credsite reads and which is committed"),
    ):
        if where.is_relative_to(place.absolute().resolve()):
            raise CredsiteError(
                f"refusing to write the outbox into {what}: its messages hold recipients' "
                f"addresses. Use the default ({OUTBOX}/) or a folder outside the site",
                Location(str(folder)),
            )
    if where.exists() and not where.is_dir():
        raise CredsiteError("not a folder", Location(str(folder)))
    if where.is_dir() and any(where.iterdir()) and not (where / OUTBOX_README).is_file():
        raise CredsiteError(
            f"this folder holds other files and no {OUTBOX_README} of credsite's: give an empty "
            "or new folder for the outbox",
            Location(str(folder)),
        )
    return folder


def write_outbox(
    found: Plan, folder: Path, now: dt.datetime | None = None
) -> tuple[list[Path], list[str]]:
    """One .eml per notice (readable by you only), after removing the last run's; and warnings."""
    now = now or dt.datetime.now(dt.UTC)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for old in folder.glob("*.eml"):
        old.unlink()
    write_atomic(
        folder / OUTBOX_README,
        b"Written by `credsite notify` (dry run): one .eml file per message it would send.\n"
        b"Open them in a mail program to review. They hold recipients' addresses: keep\n"
        b"this folder private (it is git-ignored) and delete it when done. Each dry run\n"
        b"replaces the .eml files here.\n",
        mode=0o600,
    )
    written = []
    for number, notice in enumerate(found.notices, 1):
        path = folder / f"{number:04d}-{notice.kind}-{notice.entry.achievement.slug}.eml"
        write_atomic(path, eml_bytes(compose(notice, found.smtp, now)), mode=0o600)
        written.append(path)
    warnings = []
    repo = roster._git_would_commit(folder / OUTBOX_README)
    if repo is not None:
        warnings.append(
            f"{folder}: inside the git repository {repo} and not git-ignored: committing it would "
            "publish recipients' addresses. Add it to .gitignore"
        )
    return written, warnings


# -- --send ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    notice: Notice
    outcome: mail.Outcome

    def __str__(self) -> str:
        kind = "permanent" if self.outcome.permanent else "temporary, tried again next run"
        return f"{self.notice.kind} notice not delivered ({kind}): {self.outcome.message}"


@dataclass
class Sent:
    sent: list[Notice] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    stopped: str | None = None
    """Why the batch stopped early (the server became unreachable), if it did."""
    unsent: int = 0
    """Notices not tried because the batch stopped."""


def password() -> str | None:
    return os.environ.get(SMTP_PASSWORD_VARIABLE) or None


def sender_for(found: Plan, **options: Any) -> mail.SmtpSender:
    return mail.SmtpSender(found.smtp, password(), **options)


def send(
    found: Plan,
    sender: mail.SmtpSender,
    *,
    clock: Callable[[], dt.datetime] | None = None,
    progress: Callable[[Notice, mail.Outcome], None] | None = None,
) -> Sent:
    """Send each notice; the ledger records each the moment the server accepts it.

    A permanent failure for one address is reported, recorded as refused (`REFUSED`; it is still
    tried again next run, as the server may accept it then) and the batch goes on; so is a temporary
    one that outlasts its retries. A server that cannot be reached stops the batch: what was
    sent is recorded, and the next run starts with the rest."""
    clock = clock or (lambda: dt.datetime.now(dt.UTC))
    result = Sent()
    sender.open()
    try:
        for number, notice in enumerate(found.notices):
            try:
                outcome = sender.send(compose(notice, found.smtp, clock()))
            except mail.MailError as exc:
                result.stopped = str(exc)
                result.unsent = len(found.notices) - number
                break
            if outcome.sent:
                found.ledger.record(
                    notice.ledger_kind,
                    notice.token,
                    notice.entry.award.email,
                    notice.detail,
                    when=clock(),
                )
                result.sent.append(notice)
            else:
                result.failed.append(Failure(notice, outcome))
                if outcome.permanent:  # a bounce at the server's door: the report counts it
                    found.ledger.record(
                        REFUSED + notice.ledger_kind,
                        notice.token,
                        notice.entry.award.email,
                        notice.detail,
                        when=clock(),
                    )
            if progress is not None:
                progress(notice, outcome)
    finally:
        sender.close()
    return result


def mark_sent(found: Plan, clock: Callable[[], dt.datetime] | None = None) -> int:
    """`--mark-sent`: record every notice as given without sending (told some other way)."""
    clock = clock or (lambda: dt.datetime.now(dt.UTC))
    for notice in found.notices:
        found.ledger.record(
            notice.ledger_kind,
            notice.token,
            notice.entry.award.email,
            notice.detail,
            when=clock(),
            marked=True,
        )
    return len(found.notices)

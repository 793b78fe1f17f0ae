"""Handing messages to a mail server: SMTP with STARTTLS or TLS, a rate limit, bounded retries.

Standard library only (smtplib, ssl). One connection serves a whole batch and is opened again
after the server drops it. Each message ends as one `Outcome`:

* ``sent``: the server accepted it (250 after DATA);
* ``failed`` and ``permanent``: a 5xx reply for this message (unknown address, rejected content):
  trying again will not help, the rest of the batch goes on;
* ``failed`` and not permanent: a 4xx reply or a dropped connection, still so after the bounded
  retries with exponential back-off; the next run tries it again.

What no message can get past (the server refuses the login, the sender address or TLS, or cannot
be reached at all) raises `MailError`: the batch stops there, and what was sent stays recorded.

The password is used for `SMTP.login` only: it is never part of a message, an `Outcome` or an
error text.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr

from credsite.content.config import SMTP_PASSWORD_VARIABLE, SmtpSettings
from credsite.errors import CredsiteError

ATTEMPTS = 5
"""Tries per message (the first and four retries) before a temporary failure is reported."""
BACKOFF = 2.0
"""Seconds before the first retry; doubled for each further one."""
BACKOFF_MAX = 60.0
TIMEOUT = 60.0
"""Seconds to wait for the server on the network before counting the try as failed."""


class MailError(CredsiteError):
    """The mail server cannot take any message: wrong password, refused sender, no TLS, down."""


@dataclass(frozen=True)
class Outcome:
    sent: bool
    permanent: bool = False
    message: str = ""
    """The server's reply or what went wrong, for the report (never the password)."""
    attempts: int = 1


@dataclass(frozen=True)
class _Transient(Exception):
    what: str


@dataclass(frozen=True)
class _Unreachable(_Transient):
    """No connection could be opened: retried, then the whole batch stops."""


@dataclass(frozen=True)
class _Permanent(Exception):
    what: str


class SmtpSender:
    """Sends messages one at a time through `settings`, never faster than its rate limit."""

    def __init__(
        self,
        settings: SmtpSettings,
        password: str | None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        attempts: int = ATTEMPTS,
        backoff: float = BACKOFF,
        timeout: float = TIMEOUT,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        if settings.username and not password:
            raise MailError(
                f"smtp: username is set in site.yaml but {SMTP_PASSWORD_VARIABLE} is not: set it "
                "in the environment (in CI, from a secret) and run again"
            )
        self.settings = settings
        self._password = password
        self._sleep = sleep
        self._clock = clock
        self.attempts = attempts
        self.backoff = backoff
        self.timeout = timeout
        self._tls = tls_context
        self._smtp: smtplib.SMTP | None = None
        self._interval = 60.0 / settings.rate_per_minute
        self._next_at: float | None = None
        self.waited = 0.0
        """Seconds spent waiting for the rate limit and for retries."""

    def __repr__(self) -> str:  # never shows the password
        return f"SmtpSender({self.settings.host}:{self.settings.port}, {self.settings.security})"

    @property
    def server(self) -> str:
        return f"{self.settings.host}:{self.settings.port} ({self.settings.security})"

    # -- one message -----------------------------------------------------------------------------

    def send(self, message: EmailMessage) -> Outcome:
        """Hand `message` to the server: retried on temporary failures, with back-off."""
        last: _Transient | None = None
        for attempt in range(1, self.attempts + 1):
            if attempt > 1:
                self._wait(min(self.backoff * 2 ** (attempt - 2), BACKOFF_MAX))
            self._pace()
            try:
                self._send_once(message)
            except _Permanent as exc:
                return Outcome(False, True, exc.what, attempt)
            except _Transient as exc:
                last = exc
                continue
            return Outcome(True, False, "accepted", attempt)
        assert last is not None
        if isinstance(last, _Unreachable):
            raise MailError(f"{last.what} (still after {self.attempts} tries)")
        return Outcome(
            False, False, f"{last.what} (still after {self.attempts} tries)", self.attempts
        )

    def open(self) -> None:
        """Connect (and log in) before the first message, so that a wrong setting stops the run
        before anything is sent; a server that cannot be reached is tried like a message."""
        last = ""
        for attempt in range(1, self.attempts + 1):
            if attempt > 1:
                self._wait(min(self.backoff * 2 ** (attempt - 2), BACKOFF_MAX))
            try:
                self._connection()
                return
            except _Transient as exc:
                last = exc.what
        raise MailError(f"{last} (still after {self.attempts} tries); nothing was sent")

    def _send_once(self, message: EmailMessage) -> None:
        try:
            smtp = self._connection()
            smtp.send_message(message)
        except MailError:
            raise
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            self._raise_for(code, reply, "recipient refused")
        except smtplib.SMTPSenderRefused as exc:
            if 400 <= exc.smtp_code < 500:
                raise _Transient(_reply(exc.smtp_code, exc.smtp_error)) from None
            raise MailError(
                f"the mail server refuses the sender {exc.sender!r} "
                f"({_reply(exc.smtp_code, exc.smtp_error)}): check smtp: from in site.yaml"
            ) from None
        except smtplib.SMTPResponseException as exc:  # SMTPDataError and others with a code
            self._drop_if_closed(exc.smtp_code)
            self._raise_for(exc.smtp_code, exc.smtp_error, "refused")
        except smtplib.SMTPNotSupportedError as exc:  # e.g. an address that needs SMTPUTF8
            raise _Permanent(f"not supported by the server: {exc}") from None
        except (smtplib.SMTPServerDisconnected, ConnectionError, TimeoutError) as exc:
            self._drop()
            raise _Transient(f"connection lost: {str(exc) or type(exc).__name__}") from None
        except ssl.SSLError as exc:
            self._drop()
            raise MailError(f"TLS with {self.server} failed: {exc}") from None
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            raise _Transient(f"{type(exc).__name__}: {exc}") from None

    def _raise_for(self, code: int, reply: bytes | str, what: str) -> None:
        text = _reply(code, reply)
        if 400 <= code < 500:
            raise _Transient(text)
        raise _Permanent(f"{what}: {text}")

    def _drop_if_closed(self, code: int) -> None:
        if code in (421, -1):  # 421: the server is closing the connection
            self._drop()

    # -- the connection --------------------------------------------------------------------------

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        settings = self.settings
        context = self._tls or ssl.create_default_context()
        smtp: smtplib.SMTP
        try:
            if settings.security == "tls":
                smtp = smtplib.SMTP_SSL(
                    settings.host, settings.port, timeout=self.timeout, context=context
                )
            else:
                smtp = smtplib.SMTP(settings.host, settings.port, timeout=self.timeout)
        except ssl.SSLError as exc:
            raise MailError(f"TLS with {self.server} failed: {exc}") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise _Unreachable(f"cannot connect to {self.server}: {exc}") from None
        try:
            self._greet(smtp)
        except BaseException:
            _quietly_close(smtp)
            raise
        self._smtp = smtp
        return smtp

    def _greet(self, smtp: smtplib.SMTP) -> None:
        """EHLO, STARTTLS (required when configured: never a silent fallback) and the login."""
        settings = self.settings
        try:
            smtp.ehlo()
            if settings.security == "starttls":
                if not smtp.has_extn("starttls"):
                    raise MailError(
                        f"{self.server}: the server does not offer STARTTLS, so nothing would be "
                        "encrypted; nothing was sent. Check smtp: host, port and security"
                    )
                smtp.starttls(context=self._tls or ssl.create_default_context())
                smtp.ehlo()
            if settings.username:
                assert self._password is not None  # checked in __init__
                smtp.login(settings.username, self._password)
        except smtplib.SMTPAuthenticationError as exc:
            raise MailError(
                f"{self.server} refuses the login of {settings.username!r} "
                f"({_reply(exc.smtp_code, exc.smtp_error)}): check smtp: username and "
                f"{SMTP_PASSWORD_VARIABLE}"
            ) from None
        except smtplib.SMTPNotSupportedError:
            raise MailError(
                f"{self.server} offers no login (AUTH): remove smtp: username, or use the "
                "server's submission port"
            ) from None
        except ssl.SSLError as exc:
            raise MailError(f"TLS with {self.server} failed: {exc}") from None
        except smtplib.SMTPResponseException as exc:
            if 400 <= exc.smtp_code < 500:
                raise _Unreachable(
                    f"{self.server}: {_reply(exc.smtp_code, exc.smtp_error)}"
                ) from None
            raise MailError(f"{self.server}: {_reply(exc.smtp_code, exc.smtp_error)}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise _Unreachable(f"{self.server}: {type(exc).__name__}: {exc}") from None

    def _drop(self) -> None:
        if self._smtp is not None:
            _quietly_close(self._smtp)
            self._smtp = None

    def close(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._smtp.quit()
            self._drop()

    # -- pacing ----------------------------------------------------------------------------------

    def _pace(self) -> None:
        """Wait until the rate limit allows the next try."""
        now = self._clock()
        if self._next_at is not None and now < self._next_at:
            self._wait(self._next_at - now)
            now = self._clock()
        self._next_at = max(now, self._next_at or now) + self._interval

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self.waited += seconds
            self._sleep(seconds)


def address_of(text: str) -> str:
    """The bare address of ``Name <address>``."""
    return parseaddr(text)[1]


def _reply(code: int, reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return f"{code} {' '.join(text.split())}"


def _quietly_close(smtp: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError):
        smtp.close()

"""site.yaml: the site's settings, validated with located errors.

The attribute docstrings of `SiteConfig` are the reference for site.yaml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import unquote, urlsplit

from credsite.content import yamlsource
from credsite.content.fields import Languages, Reader, Translations
from credsite.content.yamlsource import Map, Seq
from credsite.errors import ContentError, CredsiteError, Location, Problem, Problems

SLUG = r"[a-z0-9][a-z0-9-]*"
PLACEHOLDER_URL = "https://your-org.github.io/credentials/"
"""The `url` that `credsite init` writes unless given one: a build warns while it is left."""


@dataclass(frozen=True)
class StatusSettings:
    suspension: bool = False
    """Add a second `credentialStatus` entry (purpose suspension) so awards can be suspended and
    reinstated. Off by default: the OB 3.0 JSON Schema allows a single credentialStatus object, so
    credentials with two entries fail strict schema validators. Turning it on changes every credential."""
    publish_reasons: bool = True
    """Show the revocation reason on the credential page and in the OB 2.0 assertion."""


SMTP_SECURITY = {"starttls": 587, "tls": 465, "none": 25}
"""`smtp: security` values and the port each uses unless `port` is given."""
SMTP_PASSWORD_VARIABLE = "CREDSITE_SMTP_PASSWORD"
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class SmtpSettings:
    """How `credsite notify --send` hands its emails to a mail server (docs/notify.md).

    The password is never read from site.yaml: only from $CREDSITE_SMTP_PASSWORD."""

    host: str
    from_address: str
    """The From header: an address, or ``Name <address>``."""
    port: int = 587
    username: str | None = None
    """Log in with this user name and $CREDSITE_SMTP_PASSWORD; no login without it."""
    security: str = "starttls"
    """starttls (port 587), tls (implicit TLS, port 465) or none (only to this computer)."""
    rate_per_minute: int = 30
    """At most this many messages a minute (providers throttle or block faster senders)."""
    reply_to: str | None = None


@dataclass(frozen=True)
class SiteConfig:
    root: Path = field(metadata={"fingerprint": False})
    """The folder holding site.yaml; every other path is relative to it. Where the site is, not
    what it says: left out of the build cache's fingerprints, so that a site moved, cloned
    elsewhere or built as `.` rather than by its full path keeps its cache."""
    title: str
    """The site's name, shown on every page; may be given per language (`title: {en: .., fr:
    ..}`, like `description`): `translations`, shown through `fields.localized`."""
    url: str
    """Public base URL the site is served from, ending in '/'. Every credential id and the issuer's
    did:web DID derive from it, so changing it later changes every credential."""
    output: str = field(default="_site", metadata={"fingerprint": False})
    """Output folder: where the files go, not what they say. Left out of fingerprints, as is
    `locations`: a preview builds into a folder of its own and keeps the site's pages, and a
    comment at the top of site.yaml moves no page."""
    theme: str = "default"
    """Theme name: templates are looked up in themes/<theme>/ of the site, then the built-in default."""
    description: str = ""
    language: str = "en"
    """The site's default language (BCP 47): the first of `languages`."""
    languages: tuple[str, ...] = ()
    """Every language the site publishes, the default first (`languages: [en, fr]`); a site that
    gives only `language:` (or neither) has that one language."""
    content: str = "content"
    """Folder of issuers/, achievements/, awards/ (YAML, and CSV for awards)."""
    keys: str = "keys"
    """Folder of signing keys (never published, never committed)."""
    lockfile: str = "credsite.lock"
    demo_key: bool = False
    """Sign with credsite's public demo key. Only for examples and tests: anyone can forge with it."""
    primary_issuer: str | None = None
    """The issuer whose DID is the site's own did:web (required when there are several issuers)."""
    status: StatusSettings = field(default_factory=StatusSettings)
    ob2: bool = True
    """Also publish Open Badges 2.0 hosted assertions."""
    ob2_baked: bool = True
    """With `ob2`, also publish each OB 2.0 assertion baked into a PNG and an SVG (about a third of
    what a site publishes: turn it off for a large site, see README "Hosting a large site")."""
    bake_in_browser: bool = False
    """Publish no baked image per credential, OB 2.0 assertion or learner record: the page's
    download links bake the signed JSON into the shared badge image in the visitor's browser,
    byte for byte the file a build would have published (OB 3.0 §5.3 "Baked Badge"). Most of
    what a site publishes per credential: on for a large site (README "Hosting a large site")."""
    headers: bool = False
    """Write `_headers` (Cloudflare Pages, Netlify): content types, and
    ``Access-Control-Allow-Origin: *`` on the JSON so browser-based verifiers can fetch it."""
    list_recipients: bool = False
    """List recipients on achievement pages. Off by default for privacy."""
    noindex: bool = True
    """Ask search engines not to index credential pages."""
    visibility: str = "unlisted"
    """The awards' visibility unless a cohort or an award says otherwise: `public` (listed on
    achievement pages, indexable), `unlisted` (unguessable URL, noindex, never listed) or `private`
    (published encrypted, the key only in the link's #fragment)."""
    smtp: SmtpSettings | None = None
    """The mail server `credsite notify --send` uses; None when site.yaml has no `smtp:`."""
    locations: dict[str, Location] = field(
        default_factory=dict, compare=False, repr=False, metadata={"fingerprint": False}
    )
    """Where `url`, `output`, `languages`/`language` and `bake_in_browser` are set: their values
    in site.yaml, or the -o option."""
    clr: bool = False
    """Publish a signed learner record (CLR 2.0) per recipient, holding all their credentials,
    at an unguessable address. Off by default: it links one person's credentials together."""
    translations: Translations = field(default_factory=dict, compare=False)
    """`title` and `description` in the site's other languages (`fields.localized`)."""
    warnings: tuple[Problem, ...] = field(default=(), compare=False, repr=False)
    """What site.yaml gives that may not be as meant (a title with no text in a language of the
    site): `model.load` reports them with the content's."""

    def __post_init__(self) -> None:
        if not self.languages:
            object.__setattr__(self, "languages", (self.language,))
        elif self.language != self.languages[0]:
            object.__setattr__(self, "language", self.languages[0])

    @property
    def hosts_ob2_images(self) -> bool:
        """The build publishes each OB 2.0 assertion baked into a PNG and an SVG (its `image`)."""
        return self.ob2 and self.ob2_baked and not self.bake_in_browser

    @property
    def output_dir(self) -> Path:
        return self.root / self.output

    @property
    def content_dir(self) -> Path:
        return self.root / self.content

    @property
    def keys_dir(self) -> Path:
        return self.root / self.keys

    @property
    def lockfile_path(self) -> Path:
        return self.root / self.lockfile


_KEYS = [
    "title",
    "url",
    "output",
    "theme",
    "description",
    "language",
    "languages",
    "content",
    "keys",
    "lockfile",
    "demo_key",
    "primary_issuer",
    "status",
    "ob2",
    "ob2_baked",
    "bake_in_browser",
    "headers",
    "list_recipients",
    "noindex",
    "visibility",
    "smtp",
    "clr",
]


def load(root: Path, *, output: str | None = None, problems: Problems | None = None) -> SiteConfig:
    """Read `root/site.yaml`; every problem is reported at once as a `ContentError`.

    Given `problems`, field mistakes are added there instead and a config with defaults in their
    place is returned, so the build can check the content too and report everything together.
    """
    path = root / "site.yaml"
    if not path.is_file():
        raise CredsiteError(
            f"no site.yaml in {root.resolve()}: run credsite in a site folder, "
            "or create one with 'credsite init DIR'"
        )
    data = yamlsource.load(path, "site.yaml")
    if not isinstance(data, Map):
        raise CredsiteError("site.yaml must be a mapping of settings", Location("site.yaml", 1, 1))
    collect = problems
    problems = Problems()
    read = Reader(data, problems, "site.yaml")
    read.check_keys(_KEYS, required=["title", "url"])
    url = read.url("url")
    if url is not None:
        url = _check_site_url(url, read)
    status = StatusSettings()
    status_map = read.map("status")
    if status_map is not None:
        sread = Reader(status_map, problems, "status")
        sread.check_keys(["suspension", "publish_reasons"])
        status = StatusSettings(
            suspension=sread.bool("suspension", False),
            publish_reasons=sread.bool("publish_reasons", True),
        )
    out = read.str("output", "_site")
    _check_relative(out, read, "output")
    located = ("url", "output", "languages", "language", "bake_in_browser")
    locations = {key: read.loc(key) for key in located if key in data}
    if output is not None and not output.strip():  # `-o ""`: not the default folder unasked
        problems.add(Location("-o"), "-o was given no folder: name the folder to write the site to")
    elif output:  # a folder given on the command line may be anywhere
        out, locations["output"] = output, Location(f"-o {output}")
    languages = _languages(read)
    texts = Languages(languages, Problems())
    translations: Translations = {}
    config = SiteConfig(
        root=root,
        title=read.text("title", texts, translations),
        url=url or "https://invalid.example/",
        output=out,
        theme=read.str("theme", "default", pattern=SLUG),
        description=read.text("description", texts, translations),
        language=languages[0],
        languages=languages,
        content=read.str("content", "content"),
        keys=read.str("keys", "keys"),
        lockfile=read.str("lockfile", "credsite.lock"),
        demo_key=read.bool("demo_key", False),
        primary_issuer=read.str("primary_issuer", None, pattern=SLUG),
        status=status,
        ob2=read.bool("ob2", True),
        ob2_baked=read.bool("ob2_baked", True),
        bake_in_browser=read.bool("bake_in_browser", False),
        headers=read.bool("headers", False),
        list_recipients=read.bool("list_recipients", False),
        noindex=read.bool("noindex", True),
        visibility=_visibility(read),
        smtp=_read_smtp(read),
        locations=locations,
        clr=read.bool("clr", False),
        translations=translations,
        warnings=tuple(texts.warnings.items),
    )
    if collect is not None:
        collect.extend(problems.items)
    elif problems:
        raise ContentError(problems.items)
    return config


LANGUAGE_TAG = r"[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?"
"""A language tag as the OB 3.0 schema's `inLanguage` accepts it: en, fr, pt-BR, zh-Hant-TW."""
RTL_LANGUAGES = ("ar", "he", "fa", "ur", "ps", "sd", "ug", "yi", "dv", "ckb")
"""Languages written right to left (their pages get dir="rtl")."""


def text_direction(language: str) -> str:
    """``rtl`` for a language written right to left, else ``ltr``."""
    return "rtl" if language.split("-")[0].lower() in RTL_LANGUAGES else "ltr"


def _languages(read: Reader) -> tuple[str, ...]:
    """`languages: [en, fr]` (the first is the default) or the older `language: en`."""
    if "languages" in read.data and "language" in read.data:
        read.problems.add(
            read.data.key_location("language"),
            "give either 'language' or 'languages', not both: 'languages: [en, fr]' lists every "
            "language of the site, the default first",
        )
    if "languages" not in read.data:
        one = read.str("language", "en", pattern=r"[A-Za-z]{2,3}(-[A-Za-z0-9]+)*")
        return (str(one),)
    seq = read.seq("languages")
    if seq is None:
        if read.data.get("languages") is not None:
            return ("en",)
        read.empty("languages")
        return ("en",)
    found: list[str] = []
    for index, where in enumerate(seq.item_locations):
        value = seq[index]
        text = "" if value is None or isinstance(value, (Map, Seq)) else str(seq.text(index))
        text = text.strip()
        if not re.fullmatch(LANGUAGE_TAG, text):
            read.problems.add(
                where,
                f"not a language tag: {text!r} (write it as en, fr, pt-BR or zh-Hant: lower-case "
                "language, then an optional Script and REGION)",
            )
        elif text in found:
            read.problems.add(where, f"language '{text}' is listed twice")
        else:
            found.append(text)
    if not found and not read.problems.items:
        read.problems.add(read.loc("languages"), "'languages' must list at least one language")
    return tuple(found) or ("en",)


def _read_smtp(read: Reader) -> SmtpSettings | None:
    """site.yaml's `smtp:` section; a `password:` in it is an error at its line."""
    data = read.map("smtp")
    if data is None:
        return None
    sread = Reader(data, read.problems, "smtp")
    if "password" in data:
        read.problems.add(
            data.key_location("password"),
            f"never write the SMTP password in site.yaml (it is committed): delete this line and "
            f"set the environment variable {SMTP_PASSWORD_VARIABLE} (a CI secret in CI)",
        )
    keys = ["host", "port", "username", "from", "security", "rate_per_minute", "reply_to"]
    sread.check_keys([*keys, "password"], required=["host", "from"])
    security = sread.str("security", "starttls")
    if security not in SMTP_SECURITY:
        sread.error("security", f"'security' must be one of {', '.join(SMTP_SECURITY)}")
        security = "starttls"
    host = sread.str("host", "localhost")
    username = sread.str("username", None)
    if security == "none" and username and host.lower() not in LOOPBACK_HOSTS:
        sread.error(
            "security",
            "'security: none' would send the password unencrypted: use starttls or tls "
            "(none is only for a mail server on this computer)",
        )
    port = _positive_int(sread, "port", SMTP_SECURITY[security], 65535)
    rate = _positive_int(sread, "rate_per_minute", 30, 100_000)
    addresses = {}
    for key in ("from", "reply_to"):
        text = sread.str(key, None)
        if text is not None and not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+", parseaddr(text)[1]):
            sread.error(key, f"'{key}' must be an email address, or Name <address>: {text!r}")
            text = None
        addresses[key] = text
    return SmtpSettings(
        host=host,
        from_address=addresses["from"] or "credsite@localhost",
        port=port,
        username=username,
        security=security,
        rate_per_minute=rate,
        reply_to=addresses["reply_to"],
    )


def _positive_int(read: Reader, key: str, default: int, largest: int) -> int:
    value = read.data.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= largest:
        read.error(key, f"'{key}' must be a whole number from 1 to {largest}")
        return default
    return value


def _check_site_url(url: str, read: Reader) -> str | None:
    parts = urlsplit(url)
    if parts.query or parts.fragment:
        read.error("url", "'url' must not have a query or fragment")
        return None
    if parts.username or parts.password:
        read.error("url", "'url' must not contain a user name or password")
        return None
    host = parts.hostname or ""
    if re.fullmatch(r"[\d.]+|\[.*\]", host) or ":" in host:
        read.error("url", "'url' must use a domain name: did:web does not allow IP addresses")
        return None
    if parts.scheme != "https":
        read.error(
            "url",
            "'url' must be https: the issuer's did:web DID is resolved over HTTPS "
            "(credsite serve previews any site on localhost as it is)",
        )
        return None
    if not host.isascii():
        try:
            ascii_form = ", " + host.encode("idna").decode("ascii")
        except UnicodeError:  # a part too long for IDNA too: the length check says so once fixed
            ascii_form = ""
        read.error(
            "url",
            f"'url' must give its host name in ASCII: write it in its xn-- form{ascii_form} "
            "(did:web DIDs take no other)",
        )
        return None
    if len(host.removesuffix(".")) > MAX_HOST:
        read.error(
            "url",
            f"'url' must have a host name of at most {MAX_HOST} characters (DNS allows no "
            f"more), got {len(host.removesuffix('.'))}",
        )
        return None
    if (longest := max(len(label) for label in host.split("."))) > MAX_LABEL:
        read.error(
            "url",
            f"'url' must have at most {MAX_LABEL} characters between the dots of its host name "
            f"(DNS allows no more), got {longest}",
        )
        return None
    if any(unquote(segment) in (".", "..") for segment in parts.path.split("/")):
        read.error(
            "url",
            "'url' must not have '.' or '..' in its path: browsers resolve them away, so the "
            "site would not be where its ids and did:web DIDs say",
        )
        return None
    if "//" in parts.path:
        read.error(
            "url",
            "'url' must not have an empty part (//) in its path: its did:web DID leaves it out, "
            "so the DID would not be where the site is",
        )
        return None
    # Host names are case-insensitive and did:web writes them in lower case: so do the ids.
    url = parts._replace(netloc=parts.netloc.lower()).geturl()
    return url if url.endswith("/") else url + "/"


def _check_relative(value: str, read: Reader, key: str) -> None:
    p = Path(value)
    if p.is_absolute() or ".." in p.parts or value in (".", ""):
        read.error(key, f"'{key}' must be a folder inside the site, got {value!r}")
    elif any(len(part.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES for part in p.parts):
        read.error(key, f"'{key}' has a folder name longer than {MAX_NAME_BYTES} bytes, which "
                        "file systems refuse")  # fmt: skip


MAX_NAME_BYTES = 255
"""The longest file or folder name Linux, macOS and Windows file systems take."""
MAX_HOST = 253
"""The longest host name DNS carries (RFC 1035 section 2.3.4, written without its final dot)."""
MAX_LABEL = 63
"""The longest part of a host name between dots (RFC 1035 section 2.3.4)."""


def check_site_url(text: str) -> str:
    """`text` as site.yaml's `url` accepts it, normalised (lower-case host, ending in '/').

    For commands given a URL (`credsite move`); a `CredsiteError` says what is wrong with it."""
    data = Map(Location("url"))
    data["url"] = text.strip()
    problems = Problems()
    read = Reader(data, problems, "url")
    url = read.url("url")
    if url is not None:
        url = _check_site_url(url, read)
    if problems or url is None:
        raise CredsiteError(problems.items[0].message if problems else f"not a site url: {text!r}")
    return str(url)


VISIBILITIES = ("public", "unlisted", "private")
"""`visibility:` of a site, a cohort or an award (docs: content/README.md "Visibility")."""


def _visibility(read: Reader) -> str:
    value = read.str("visibility", "unlisted")
    if value not in VISIBILITIES:
        read.error("visibility", f"'visibility' must be one of {', '.join(VISIBILITIES)}, "
                   f"got {value!r}")  # fmt: skip
        return "unlisted"
    return str(value)

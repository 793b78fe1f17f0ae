"""The site's URL scheme: every published path and URL, in one place.

docs/architecture.md "The built site" lists the same tree. Every URL is the site's base URL
(``site.yaml: url``, ending in ``/``) plus one of these paths, so a credential's id is where it is
hosted. Standard library and `credsite.vc.did` only: `credsite verify` reads a built folder with
these paths and no authoring stack.
"""

from __future__ import annotations

from credsite.vc import did as vc_did

CREDENTIALS = "credentials"
"""Folder of signed credentials, their pages and baked images (``TOKEN.json``, ``.html``, ...)."""
RECORDS = "records"
"""Folder of learner records (CLR 2.0, ``clr: true``): ``TOKEN.json``, ``.html``, ``.png``, ``.svg``."""
ENDORSEMENTS = "endorsements"
"""Folder of the signed endorsements written on this site, their detached proofs and pages."""
STATUS = "status"
"""The primary issuer's status lists (further issuers: ``issuers/SLUG/status``)."""
OB2_ASSERTIONS = "ob2/assertions"
"""OB 2.0 hosted assertions and their baked copies."""
SITE_MARKER = ".nojekyll"
"""Published at the root of every site (GitHub Pages would hide ``.well-known/`` otherwise)."""
DETACHED_PROOF_SUFFIX = ".jcs-proof.jsonld"
"""Beside each signed document the credential page checks (``X.json``): ``X.jcs-proof.jsonld``,
its detached eddsa-jcs-2022 proof (docs/interop.md "The page's own check"). Not ``.json``, so
that nothing looking for signed documents as ``*.json`` (verifiers, scripts) takes it for one."""


def detached_proof_path(document_path: str) -> str:
    """``credentials/TOKEN.json`` -> ``credentials/TOKEN.jcs-proof.jsonld`` (status lists alike).

    verify.js derives the same name from a document's URL: keep the two in step."""
    if not document_path.endswith(".json"):
        raise ValueError(f"{document_path!r} is not a .json document")
    return document_path[: -len(".json")] + DETACHED_PROOF_SUFFIX


class Urls:
    """Paths relative to the site root, and absolute URLs under `base`.

    `languages`: the site's, the default first. The default language's documents and pages are
    where a one-language site has them; another language's Achievement is ``SLUG.LANG.json``
    beside it and its pages are under ``LANG/`` (`page_path`)."""

    def __init__(self, base: str, primary_issuer: str, languages: tuple[str, ...] = ()) -> None:
        self.base = base
        self.primary_issuer = primary_issuer
        self.languages = languages
        self._dids: dict[str, str] = {}

    @property
    def default_language(self) -> str | None:
        return self.languages[0] if self.languages else None

    def is_default(self, language: str | None) -> bool:
        return language is None or not self.languages or language == self.languages[0]

    def page_path(self, path: str, language: str | None = None) -> str:
        """A page of the site (``index.html``, ``achievements/SLUG.html``) in `language`: the
        default language's at `path`, another's at ``LANG/path``."""
        return path if self.is_default(language) else f"{language}/{path}"

    def root_of(self, language: str | None) -> str:
        """The relative path from a page in `language` back to its folder's level in the default
        language (``../`` for ``LANG/``), for pages that link by relative paths."""
        return "" if self.is_default(language) else "../"

    def achievement_edition_path(self, slug: str, language: str | None = None) -> str:
        """The Achievement document in `language` (OB 3.0 has one language per Achievement,
        `inLanguage`, and `related` editions): the default's ``achievements/SLUG.json``, another's
        ``achievements/SLUG.LANG.json``."""
        if self.is_default(language):
            return self.achievement_path(slug)
        return f"achievements/{slug}.{language}.json"

    def achievement_page_path(self, slug: str, language: str | None = None) -> str:
        """The achievement's page in `language` (its criteria id in that edition)."""
        return self.page_path(self.achievement_path(slug, "html"), language)

    def issuer_page_path(self, slug: str, language: str | None = None) -> str:
        return self.page_path(self.issuer_path(slug, "html"), language)

    def url(self, path: str) -> str:
        return self.base + path

    def did(self, issuer: str) -> str:
        """The issuer's did:web (worked out once per issuer: every credential names it)."""
        found = self._dids.get(issuer)
        if found is None:
            url = self.base if issuer == self.primary_issuer else self.url(f"issuers/{issuer}/")
            found = self._dids[issuer] = vc_did.did_web_from_url(url)
        return found

    def did_path(self, issuer: str) -> str:
        """Where the DID document lives, relative to the site root (did:web §3.2 Read)."""
        url = vc_did.did_document_url(self.did(issuer))
        assert url.startswith(self.base), url
        return url[len(self.base) :]

    @staticmethod
    def credential_path(token: str, suffix: str = "json") -> str:
        return f"{CREDENTIALS}/{token}.{suffix}"

    @staticmethod
    def record_path(token: str, suffix: str = "json") -> str:
        """A recipient's learner record (CLR 2.0) and its page and baked images."""
        return f"{RECORDS}/{token}.{suffix}"

    @staticmethod
    def endorsement_path(token: str, suffix: str = "json") -> str:
        """A signed EndorsementCredential (``json``), its page (``html``)."""
        return f"{ENDORSEMENTS}/{token}.{suffix}"

    @staticmethod
    def achievement_path(slug: str, suffix: str = "json") -> str:
        return f"achievements/{slug}.{suffix}"

    @staticmethod
    def issuer_path(slug: str, suffix: str = "json") -> str:
        return f"issuers/{slug}.{suffix}"

    @staticmethod
    def achievement_image_path(slug: str, suffix: str = "png", edition: str = "") -> str:
        """The achievement's badge; `edition`: a language whose badge says other words than the
        first language's (`model.art_edition`), ``SLUG.LANG.png``."""
        return f"images/achievements/{slug}{'.' + edition if edition else ''}.{suffix}"

    @staticmethod
    def record_image_path(language: str, suffix: str = "png") -> str:
        """The image learner records in `language` are baked into, published for a browser to
        bake them (``bake_in_browser``)."""
        return f"images/records/{language}.{suffix}"

    @staticmethod
    def issuer_image_path(slug: str) -> str:
        return f"images/issuers/{slug}.png"

    @staticmethod
    def share_image_path(slug: str, edition: str = "") -> str:
        """The 1200x627 Open Graph card of an achievement (`edition` as for the badge)."""
        return f"images/share/{slug}{'.' + edition if edition else ''}.png"

    def status_list_path(self, issuer: str, number: int, purpose: str) -> str:
        """Each issuer signs its own lists: verifiers require list issuer == credential issuer."""
        folder = f"{STATUS}/" if issuer == self.primary_issuer else f"issuers/{issuer}/{STATUS}/"
        suffix = "" if purpose == "revocation" else f"-{purpose}"
        return f"{folder}{number}{suffix}.json"

    # -- Open Badges 2.0 (credsite.issuing.ob2) ----------------------------------------------------

    @staticmethod
    def ob2_assertion_path(token: str, suffix: str = "json") -> str:
        """OB 2.0 hosted assertion (``json``) and its baked copies (``png``, ``svg``)."""
        return f"{OB2_ASSERTIONS}/{token}.{suffix}"

    @staticmethod
    def ob2_issuer_path(slug: str) -> str:
        return f"ob2/issuers/{slug}.json"

    @staticmethod
    def ob2_revocation_list_path(slug: str) -> str:
        return f"ob2/issuers/{slug}-revocations.json"

    @staticmethod
    def ob2_badge_path(slug: str) -> str:
        return f"ob2/badges/{slug}.json"

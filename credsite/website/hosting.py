"""What hosts other than GitHub Pages read beside the site: the `_headers` file.

Cloudflare Pages and Netlify read ``_headers`` at the root of the published folder (and do not
serve it): a URL pattern, then indented ``Name: value`` lines. credsite writes one with
``headers: true`` in site.yaml: each JSON document with its exact media type, and
``Access-Control-Allow-Origin: *`` so that a verifier running in a browser on another origin may
fetch the credentials, DID documents, status lists and detached proofs (everything published is
public). On both hosts a ``*`` in a pattern matches any characters, ``/`` included.
"""

from __future__ import annotations

from urllib.parse import urlsplit

HEADERS_PATH = "_headers"

MEDIA_TYPES = {
    ".json": "application/json",
    ".jsonld": "application/ld+json",
}
"""The media type of each kind of JSON file the site publishes."""


def headers_file(site_url: str) -> str:
    """The ``_headers`` file for a site published at `site_url` (its path prefixes every rule)."""
    prefix = urlsplit(site_url).path or "/"
    lines = [
        "# Written by credsite (site.yaml: headers: true) for Cloudflare Pages and Netlify:",
        "# JSON with its media type, readable by browser-based verifiers on any origin.",
    ]
    for suffix, media_type in MEDIA_TYPES.items():
        lines += [
            f"{prefix}*{suffix}",
            f"  Content-Type: {media_type}",
            "  Access-Control-Allow-Origin: *",
        ]
    return "\n".join(lines) + "\n"

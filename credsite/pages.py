"""The site's HTML pages: index, 404, one per issuer, achievement and credential.

Layer 10 (beside output). Decides which page gets which template and context; `render` does the
Jinja2 work. docs/themes.md lists the variables each template receives.
"""

from __future__ import annotations

from typing import Any

from credsite import render
from credsite.credentials import Urls
from credsite.model import Site
from credsite.output import Output


def add_pages(
    site: Site,
    issued: list[Any],
    urls: Urls,
    site_output: Output,
    *,
    demo_key: bool,
    extra_head: str = "",
) -> None:
    """Every HTML page and the theme's static files; `issued` holds build.Issued items."""
    config = site.config
    theme = render.load_theme(config)
    common = {
        "site": config,
        "issuers": site.issuers,
        "achievements": site.achievements,
        "urls": urls,
        "demo_key": demo_key,
        "extra_head": extra_head,
    }
    by_achievement: dict[str, list[Any]] = {}
    for item in issued:
        by_achievement.setdefault(item.award.achievement, []).append(item)

    def page(template: str, path: str, **context: Any) -> None:
        site_output.add(path, render.render(theme, template, path, {**common, **context}))

    page("index.html", "index.html", credential_count=len(issued))
    page("404.html", "404.html")
    for issuer in site.issuers.values():
        page(
            "issuer.html",
            urls.issuer_path(issuer.slug, "html"),
            issuer=issuer,
            did=urls.did(issuer.slug),
        )
    for achievement in site.achievements.values():
        page(
            "achievement.html",
            urls.achievement_path(achievement.slug, "html"),
            achievement=achievement,
            issuer=site.issuers[achievement.issuer],
            holders=by_achievement.get(achievement.slug, []),
        )
    for item in issued:
        achievement = site.achievements[item.award.achievement]
        page(
            "credential.html",
            urls.credential_path(item.entry.credential, "html"),
            item=item,
            award=item.award,
            achievement=achievement,
            issuer=site.issuers[achievement.issuer],
            credential=item.document,
            credential_json=item.json_bytes.decode("utf-8"),
            page_url=urls.url(urls.credential_path(item.entry.credential, "html")),
        )
    for path, data in render.static_files(theme).items():
        site_output.add(path, data)

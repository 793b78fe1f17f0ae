"""Sites in several languages (issue 17, "Languages"): site.yaml `languages`, texts per language
with a located fallback warning, one OB 3.0 Achievement per language linked by `related`,
credentials signed in the recipient's language, pages per language with hreflang alternates, and
the theme's message catalogs (complete for en, fr, es, th, ar)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
from conftest import (
    MENTOR,
    NOW,
    REPO,
    SITE_URL,
    VECTORS,
    build_site,
    diff_trees,
    output_of,
    run_cli,
    tree,
)

from credsite.commands import verify as verifysite
from credsite.content import config as site_config
from credsite.content import model
from credsite.errors import CredsiteError
from credsite.openbadges import svg
from credsite.website import i18n

SITE_YAML_FR = f"""\
title: Test Credentials
url: {SITE_URL}
demo_key: true
languages: [en, fr]
"""
TEAMWORK_FR = """\
name:
  en: Teamwork
  fr: Travail d'équipe
description:
  en: Works well with others.
  fr: Travaille bien avec les autres.
criteria:
  en: Be **kind** to your team.
  fr: Être **bienveillant** avec son équipe.
"""
AWARDS_FR = """\
- achievement: teamwork
  name: Ada Lovelace
  email: ada.lovelace@example.org
  issued: 2026-03-01
- achievement: teamwork
  name: Alan Turing
  email: alan.turing@example.org
  issued: 2026-03-02
  language: fr
- achievement: mentor
  name: Grace Hopper
  email: grace.hopper@example.org
  issued: 2026-04-01
  language: fr
"""
FRENCH = {
    "site.yaml": SITE_YAML_FR,
    "content/achievements/teamwork.yaml": TEAMWORK_FR,
    "content/awards/awards.yaml": AWARDS_FR,
}
LOCALE = REPO / "themes" / "default" / "locale"


def achievement_validator() -> jsonschema.Draft201909Validator:
    schema = json.loads((VECTORS / "ob-v3p0-achievementcredential-schema.json").read_text("utf-8"))
    return jsonschema.Draft201909Validator(
        {**schema["$defs"]["Achievement"], "$defs": schema["$defs"]},
        format_checker=jsonschema.FormatChecker(),
    )


def credential_of(out: Path, name: str) -> dict:
    for path in sorted((out / "credentials").glob("*.json")):
        doc = json.loads(path.read_text("utf-8"))
        if doc["credentialSubject"]["name"] == name:
            return doc
    raise AssertionError(name)


@pytest.fixture
def french_site(make_site: Callable[..., Path]) -> Path:
    root = make_site(FRENCH)
    build_site(root)
    return root


# -- site.yaml and content ------------------------------------------------------------------------


def test_languages_key_and_the_older_language_key(make_site: Callable[..., Path]) -> None:
    root = make_site(FRENCH)
    config = site_config.load(root)
    assert config.languages == ("en", "fr") and config.language == "en"
    (root / "site.yaml").write_text(SITE_YAML_FR.replace("languages: [en, fr]", "language: fr"))
    config = site_config.load(root)
    assert config.languages == ("fr",) and config.language == "fr"


def test_language_and_languages_together_is_an_error_at_its_line(
    make_site: Callable[..., Path],
) -> None:
    root = make_site({"site.yaml": SITE_YAML_FR + "language: en\n"})
    with pytest.raises(CredsiteError) as caught:
        site_config.load(root)
    assert "site.yaml:5:1: give either 'language' or 'languages'" in str(caught.value)


def test_bad_language_tags_are_located(make_site: Callable[..., Path]) -> None:
    root = make_site({"site.yaml": SITE_YAML_FR.replace("[en, fr]", "[en, French, en]")})
    with pytest.raises(CredsiteError) as caught:
        site_config.load(root)
    text = str(caught.value)
    assert "site.yaml:4:17: not a language tag: 'French'" in text
    assert "site.yaml:4:25: language 'en' is listed twice" in text


def test_unknown_languages_in_maps_and_awards_are_located_errors_all_at_once(
    make_site: Callable[..., Path],
) -> None:
    root = make_site(
        {
            **FRENCH,
            "content/achievements/teamwork.yaml": TEAMWORK_FR.replace("  fr: Travail", "  de: Team"),
            "content/issuers/acme.yaml": "name: {fr: Acmé}\nurl: https://acme.example.org\n",
            "content/awards/awards.yaml": AWARDS_FR.replace("language: fr\n", "language: es\n", 1),
        }
    )
    result = run_cli("build", "-C", str(root))
    text = output_of(result)
    assert result.exit_code == 1
    assert (
        "content/achievements/teamwork.yaml:3:3: 'name' is given in 'de', which is not one of "
        "the site's languages (en, fr)"
    ) in text
    assert "content/issuers/acme.yaml:1:7: 'name' needs a text in 'en'" in text
    assert "content/awards/awards.yaml:9:13: unknown language 'es'" in text
    assert not (root / "_site").exists() and not (root / "credsite.lock").exists()


def test_a_missing_translation_falls_back_with_one_located_warning(
    make_site: Callable[..., Path],
) -> None:
    teamwork = TEAMWORK_FR.replace("  fr: Être **bienveillant** avec son équipe.\n", "")
    root = make_site({**FRENCH, "content/achievements/teamwork.yaml": teamwork})
    result = build_site(root)
    found = [str(w) for w in result.warnings if "has no 'fr' text" in str(w)]
    assert found == [
        "content/achievements/teamwork.yaml:8:3: 'criteria' has no 'fr' text: the 'fr' pages "
        "and credentials show the 'en' one"
    ]
    french = credential_of(root / "_site", "Alan Turing")["credentialSubject"]["achievement"]
    assert french["name"] == "Travail d'équipe"
    assert french["criteria"]["narrative"] == "Be **kind** to your team."  # the fallback
    strict = run_cli("build", "--strict", "-C", str(make_site(
        {**FRENCH, "content/achievements/teamwork.yaml": teamwork}, name="strict"
    )))  # fmt: skip
    assert strict.exit_code == 1 and "has no 'fr' text" in output_of(strict)


def test_localized_keeps_the_first_language_where_a_text_is_missing() -> None:
    achievement = model.Achievement(
        slug="a", issuer="i", name="Name", description="Desc", criteria="Crit", image=None,
        achievement_type="Badge", tags=(), valid_for=None, alignments=(),
        location=model.Location("a.yaml"), translations={"fr": {"name": "Nom"}},
    )  # fmt: skip
    french = model.localized(achievement, "fr")
    assert (french.name, french.description) == ("Nom", "Desc")
    assert model.localized(achievement, "es") is achievement


# -- Open Badges 3.0 --------------------------------------------------------------------------------


def test_one_achievement_per_language_valid_and_related_both_ways(french_site: Path) -> None:
    out = french_site / "_site"
    validator = achievement_validator()
    english = json.loads((out / "achievements/teamwork.json").read_text("utf-8"))
    french = json.loads((out / "achievements/teamwork.fr.json").read_text("utf-8"))
    for doc in (english, french):
        assert [e.message for e in validator.iter_errors(doc)] == []
    base = SITE_URL + "achievements/"
    assert (english["id"], english["inLanguage"]) == (base + "teamwork.json", "en")
    assert (french["id"], french["inLanguage"]) == (base + "teamwork.fr.json", "fr")
    assert english["related"] == [
        {"id": base + "teamwork.fr.json", "type": ["Related"], "inLanguage": "fr"}
    ]
    assert french["related"] == [
        {"id": base + "teamwork.json", "type": ["Related"], "inLanguage": "en"}
    ]
    assert (french["name"], french["description"]) == (
        "Travail d'équipe", "Travaille bien avec les autres."
    )  # fmt: skip
    assert french["criteria"] == {
        "id": SITE_URL + "fr/achievements/teamwork.html",
        "narrative": "Être **bienveillant** avec son équipe.",
    }
    assert french["image"]["caption"] == "Badge Travail d'équipe, délivré par Acme Learning"
    # an achievement given in one language only has a French edition too, with its texts
    mentor = json.loads((out / "achievements/mentor.fr.json").read_text("utf-8"))
    assert mentor["name"] == "Mentor" and mentor["inLanguage"] == "fr"


def test_a_french_recipients_credential_embeds_the_french_edition_and_verifies(
    french_site: Path,
) -> None:
    out = french_site / "_site"
    doc = credential_of(out, "Alan Turing")
    embedded = doc["credentialSubject"]["achievement"]
    published = json.loads((out / "achievements/teamwork.fr.json").read_text("utf-8"))
    assert embedded["id"] == published["id"] and embedded["inLanguage"] == "fr"
    assert embedded["related"] == published["related"]
    assert doc["name"] == "Travail d'équipe"
    english = credential_of(out, "Ada Lovelace")
    assert english["credentialSubject"]["achievement"]["id"] == SITE_URL + "achievements/teamwork.json"
    assert english["name"] == "Teamwork"
    reports = verifysite.verify_site(out, now=NOW)
    assert {r.report.status for r in reports} == {"verified"}


def test_a_one_language_site_is_unchanged_by_a_languages_list_of_one(
    make_site: Callable[..., Path],
) -> None:
    old = make_site(name="old")
    new = make_site({"site.yaml": SITE_YAML_FR.replace("languages: [en, fr]", "languages: [en]")},
                    name="new")  # fmt: skip
    build_site(old)
    build_site(new)
    assert diff_trees(tree(old / "_site"), tree(new / "_site")) == []
    assert "related" not in json.loads((old / "_site/achievements/teamwork.json").read_text())
    assert not (old / "_site/fr").exists()


# -- pages ------------------------------------------------------------------------------------------


def test_pages_per_language_with_hreflang_alternates_and_a_switch(french_site: Path) -> None:
    out = french_site / "_site"
    for path in ("index.html", "achievements/teamwork.html", "issuers/acme.html"):
        english = (out / path).read_text("utf-8")
        french = (out / "fr" / path).read_text("utf-8")
        assert '<html lang="en">' in english and '<html lang="fr">' in french
        for page in (english, french):
            assert f'<link rel="alternate" hreflang="en" href="{SITE_URL}{path}">' in page
            assert f'<link rel="alternate" hreflang="fr" href="{SITE_URL}fr/{path}">' in page
            assert f'<link rel="alternate" hreflang="x-default" href="{SITE_URL}{path}">' in page
            assert 'class="language-switch"' in page and ">Français</a>" in page
        assert 'lang="fr" aria-current="page">Français</a>' in french
    page = (out / "fr/achievements/teamwork.html").read_text("utf-8")
    assert "<h1>Travail d&#39;équipe</h1>" in page and "Comment l’obtenir" in page
    assert 'href="../../achievements/teamwork.fr.json"' in page


def test_a_credential_page_is_in_its_recipients_language(french_site: Path) -> None:
    out = french_site / "_site"
    doc = credential_of(out, "Alan Turing")
    page = (out / doc["id"].removeprefix(SITE_URL).replace(".json", ".html")).read_text("utf-8")
    assert '<html lang="fr">' in page and "hreflang" not in page
    assert "Délivré le" in page and "2 mars 2026" in page
    assert "name=Travail%20d%27%C3%A9quipe" in page  # the LinkedIn link
    assert '<meta property="og:description" content="Alan Turing a obtenu Travail' in page
    words = json.loads(re.search(r'id="credsite-words">(.*?)</script>', page).group(1))
    assert words["Verified"] == "Vérifié" and words["__date__"]["pattern"] == "d MMMM y"
    assert 'href="../fr/achievements/teamwork.html"' in page
    # the kind of achievement in French, and verify.js given the same word to check it against
    kind = re.search(r'data-vc="credentialSubject.achievement.achievementType"[^>]*>([^<]*)<', page)
    assert kind and kind.group(1) == "Badge" == words["Badge"], kind
    assert words["Certificate"] == "Certificat" and words["Micro-credential"] == "Microcertification"


def test_type_labels_follow_the_page_language() -> None:
    from credsite.website import i18n, render
    from credsite.website.pages import TYPE_WORDS, type_label

    french = render.Words("fr", i18n.translations([REPO / "themes/default"], "fr"))
    assert type_label("MicroCredential", french) == "Microcertification"
    assert type_label("Certificate", french) == "Certificat"
    assert type_label("RubricCriterionLevel", french) == "Niveau de la grille"
    assert type_label("ext:Workshop", french) == "Workshop"  # as written
    assert type_label("MicroCredential") == "Micro-credential"
    assert len(set(TYPE_WORDS)) == 50  # 31 achievement types, 7 statuses, 12 result types


def test_right_to_left_pages(make_site: Callable[..., Path]) -> None:
    root = make_site({"site.yaml": SITE_YAML_FR.replace("languages: [en, fr]", "language: ar")})
    result = build_site(root)
    index = (root / "_site/index.html").read_text("utf-8")
    assert '<html lang="ar" dir="rtl">' in index
    # the Arabic catalog: the theme's words in Arabic, and no warning
    assert [str(w) for w in result.warnings if "message catalog" in str(w)] == []
    assert "انتقل إلى المحتوى" in index and "Skip to content" not in index
    doc = credential_of(root / "_site", "Alan Turing")
    page = (root / "_site" / doc["id"].removeprefix(SITE_URL).replace(".json", ".html")).read_text(
        "utf-8"
    )
    assert '<html lang="ar" dir="rtl">' in page and "تاريخ الإصدار" in page
    assert "2 مارس 2026" in page  # the date as Babel writes it in Arabic
    words = json.loads(re.search(r'id="credsite-words">(.*?)</script>', page).group(1))
    assert words["Verified"] == "تم التحقق" and words["__date__"]["months"][2] == "مارس"


def test_arabic_plurals_have_their_six_forms() -> None:
    arabic = i18n.translations([REPO / "themes/default"], "ar")
    days = {n: arabic.ngettext("%(num)d day", "%(num)d days", n) % {"num": n}
            for n in (0, 1, 2, 3, 11, 100)}  # fmt: skip
    assert days == {0: "0 يوم", 1: "يوم واحد", 2: "يومان", 3: "3 أيام", 11: "11 يومًا",
                    100: "100 يوم"}  # fmt: skip


def test_a_catalog_with_wrong_plural_forms_is_caught(tmp_path: Path) -> None:
    po = tmp_path / "messages.po"
    pot = tmp_path / "messages.pot"
    pot.write_text('msgid "%(num)d day"\nmsgid_plural "%(num)d days"\nmsgstr[0] ""\nmsgstr[1] ""\n')
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: ar\\n"\n"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n'
        '"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "%(num)d day"\nmsgid_plural "%(num)d days"\nmsgstr[0] "a"\nmsgstr[1] "b"\n',
        encoding="utf-8",
    )
    check = i18n.check_catalog(pot, po, "ar")
    assert check.untranslated == () and len(check.plurals) == 2
    assert "CLDR's rule for ar is 'nplurals=6;" in check.plurals[0]
    assert check.plurals[1] == "'%(num)d day' has 2 forms"


# -- catalogs ---------------------------------------------------------------------------------------


def test_a_site_catalog_whose_translation_has_other_placeholders_is_a_located_error(
    make_site: Callable[..., Path],
) -> None:
    catalog = (
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Learner record of %(recipient)s"\nmsgstr "Relevé de %(nom)s"\n'
    )
    root = make_site({**FRENCH, "themes/default/locale/fr/LC_MESSAGES/messages.po": catalog})
    result = run_cli("build", "-q", "-C", str(root))
    text = output_of(result)
    assert result.exit_code == 1 and "Traceback" not in text, text
    assert (
        "locale/fr/LC_MESSAGES/messages.po:5:1: the translation of 'Learner record of "
        "%(recipient)s' does not fit it: unknown named placeholder 'nom'" in text
    ), text
    assert not (root / "_site").exists() and not (root / "credsite.lock").exists()


@pytest.mark.parametrize("language", ["en", "fr", "es", "th", "ar"])
def test_catalogs_are_complete(language: str) -> None:
    check = i18n.check_catalog(
        LOCALE / "messages.pot", i18n.catalog_path(REPO / "themes/default", language), language
    )
    assert check.untranslated == () and check.obsolete == () and check.plurals == ()


def test_the_template_catalog_is_what_babel_extracts(tmp_path: Path) -> None:
    from babel.messages import frontend

    target = tmp_path / "messages.pot"
    frontend.CommandLineInterface().run(
        ["pybabel", "-q", "extract", "-F", str(REPO / "babel.cfg"), "-k", "N_",
         "--no-location", "--omit-header", "--sort-output", "-o", str(target), str(REPO)]
    )  # fmt: skip
    def ids(path: Path) -> list[str]:
        return re.findall(r'^msgid "(.*)"$', path.read_text("utf-8"), re.M)

    assert ids(target) == ids(LOCALE / "messages.pot")


def test_dates_follow_the_language() -> None:
    import datetime as dt

    day = dt.date(2026, 7, 10)
    assert i18n.date_text(day, "en") == "10 July 2026"
    assert i18n.date_text(day, "fr") == "10 juillet 2026"
    assert i18n.date_text(day, "es") == "10 de julio de 2026"
    assert i18n.language_name("th") == "ไทย"


# -- emails -----------------------------------------------------------------------------------------


def test_emails_follow_the_recipients_language_through_the_catalogs(
    french_site: Path,
) -> None:
    from credsite.commands import notify

    (french_site / "site.yaml").write_text(
        SITE_YAML_FR + "smtp: {host: localhost, from: badges@example.org, security: none}\n"
    )
    found = notify.plan(french_site, now=NOW)
    by_name = {n.entry.award.name: n for n in found.notices}
    french, english = by_name["Alan Turing"], by_name["Ada Lovelace"]
    assert french.language == "fr" and english.language == "en"
    assert french.subject == "Votre titre : Travail d'équipe, délivré par Acme Learning"
    assert french.text.startswith("Bonjour Alan Turing,\n\nAcme Learning vous a décerné Travail")
    assert "le 2 mars 2026" in french.text
    assert french.html is not None and '<html lang="fr">' in french.html
    assert english.subject == "Your credential: Teamwork from Acme Learning"
    assert found.warnings == []


def test_a_spreadsheet_column_gives_the_recipients_language(make_site: Callable[..., Path]) -> None:
    csv = (
        "achievement,name,email,issued,language\n"
        "teamwork,Ada Lovelace,ada.lovelace@example.org,2026-03-01,\n"
        "teamwork,Alan Turing,alan.turing@example.org,2026-03-02,fr\n"
        "mentor,Grace Hopper,grace.hopper@example.org,2026-04-01,de\n"
    )
    root = make_site({**FRENCH, "content/awards/awards.yaml": None, "content/awards/a.csv": csv})
    result = run_cli("build", "-C", str(root))
    assert result.exit_code == 1
    assert "content/awards/a.csv:4:5: unknown language 'de'" in output_of(result)
    (root / "content/awards/a.csv").write_text(csv.replace(",de\n", ",\n"))
    build_site(root)
    out = root / "_site"
    assert credential_of(out, "Alan Turing")["credentialSubject"]["achievement"]["inLanguage"] == "fr"
    assert credential_of(out, "Ada Lovelace")["credentialSubject"]["achievement"]["inLanguage"] == "en"


# -- learner records and endorsement pages ----------------------------------------------------------

PARTNER = """\
name: Partner College
url: https://partner.example.edu
"""
ENDORSES_TEAMWORK = """\
endorser: partner
target:
  achievement: teamwork
comment: We **recognise** this badge.
issued: 2026-05-01
"""
MIXED_AWARDS = """\
- achievement: mentor
  name: Ada Lovelace
  email: ada.lovelace@example.org
  issued: 2026-04-02
  language: fr
"""


@pytest.fixture
def french_records_site(make_site: Callable[..., Path]) -> Path:
    root = make_site(
        {
            **FRENCH,
            "site.yaml": SITE_YAML_FR + "primary_issuer: acme\nclr: true\n",
            "content/awards/more.yaml": MIXED_AWARDS,  # Ada: one English award, one French
            "content/issuers/partner.yaml": PARTNER,
            "content/achievements/teamwork.yaml": TEAMWORK_FR + "issuer: acme\n",
            "content/achievements/mentor.yaml": MENTOR + "issuer: acme\n",
            "content/endorsements/teamwork.yaml": ENDORSES_TEAMWORK,
        }
    )
    build_site(root)
    return root


def record_page(out: Path, name: str) -> str:
    """The record page whose heading (the record's signed name) names `name`."""
    for path in sorted((out / "records").glob("*.html")):
        page = path.read_text("utf-8")
        if re.search(rf'data-vc="name">[^<]* {re.escape(name)}</h1>', page):
            return page
    raise AssertionError(name)


def test_a_french_recipients_learner_record_page_is_in_french(french_records_site: Path) -> None:
    out = french_records_site / "_site"
    page = record_page(out, "Alan Turing")
    assert '<html lang="fr">' in page and "hreflang" not in page
    assert "<title>Relevé d’apprentissage de Alan Turing · " in page
    assert '<th scope="col">Délivré par</th>' in page and "Sans expiration" in page
    assert ">2 mars 2026</time>" in page  # the credential's date, as the French page writes it
    # each row names what its credential signed: the French edition of the achievement
    doc = json.loads(
        (out / re.search(r'data-credential="(records/[a-z0-9]+\.json)"', page).group(1)).read_text(
            "utf-8"
        )
    )
    signed = doc["credentialSubject"]["verifiableCredential"][0]["credentialSubject"]
    assert signed["achievement"]["name"] == "Travail d'équipe"
    assert 'achievement.name">Travail d&#39;équipe</a>' in page
    assert "Learner record ·" not in page and "Print transcript" not in page
    # the record is signed in its recipient's language, through the catalogs
    assert doc["name"] == "Relevé d’apprentissage de Alan Turing"
    assert 'data-vc="name">Relevé d’apprentissage de Alan Turing</h1>' in page
    assert {r.report.status for r in verifysite.verify_site(out, now=NOW)} == {"verified"}
    # awards in two languages: the site's first language
    mixed = record_page(out, "Ada Lovelace")
    assert '<html lang="en">' in mixed and "<title>Learner record of Ada Lovelace · " in mixed
    assert 'data-vc="name">Learner record of Ada Lovelace</h1>' in mixed
    assert 'achievement.name">Teamwork</a>' in mixed  # Ada's English credential
    assert "Print transcript" in mixed
    # each record is baked into the image of its language, which says "Learner Record" in it
    for record, says, not_says, name in (
        (page, "Relevé", "Learner Record", "Relevé d’apprentissage de Alan Turing"),
        (mixed, "Learner Record", "Relevé", "Learner record of Ada Lovelace"),
    ):
        token = re.search(r'data-credential="records/([a-z0-9]+)\.json"', record).group(1)  # type: ignore[union-attr]
        baked = (out / "records" / f"{token}.svg").read_text("utf-8")
        drawn = baked.split("<clr:credential", 1)[0] + baked.rsplit("</clr:credential>", 1)[-1]
        assert says in drawn and not_says not in drawn, token
        assert json.loads(svg.extract_svg(baked, "clr") or "")["name"] == name


def test_an_endorsement_page_has_an_edition_per_language_from_the_catalogs(
    french_records_site: Path,
) -> None:
    out = french_records_site / "_site"
    (english_path,) = sorted((out / "endorsements").glob("*.html"))
    english = english_path.read_text("utf-8")
    french = (out / "fr/endorsements" / english_path.name).read_text("utf-8")
    assert '<html lang="fr">' in french and 'hreflang="fr"' in english
    fr = i18n.translations([REPO / "themes/default"], "fr")
    for message in ("Endorsement", "Verification", "What was checked"):
        assert f">{fr.gettext(message)}<" in french and f">{message}<" in english
    for message in ("What it endorses", "Check it yourself"):
        assert f">{fr.pgettext('endorsement', message)}</h2>" in french
        assert f">{message}</h2>" in english
    assert "Ce qu’elle recommande" in french and "La vérifier vous-même" in french
    assert ">Signée le <time" in french and ">1 mai 2026</time>" in french
    assert "Check it yourself" not in french and "Signed <time" not in french
    # what it endorses: the achievement's French edition, by its French name
    assert '<a href="../../fr/achievements/teamwork.html">Travail d&#39;équipe</a>' in french
    assert '<a href="../achievements/teamwork.html">Teamwork</a>' in english
    # the French achievement page links the French edition of the endorsement
    achievement = (out / "fr/achievements/teamwork.html").read_text("utf-8")
    assert f'href="../../fr/endorsements/{english_path.name}"' in achievement


def test_a_misspelt_site_language_is_one_error_at_site_yaml(
    make_site: Callable[..., Path],
) -> None:
    """`fx` for `fr`: said once where it was typed, not at every French text (which would then
    name `fr` as the unknown one); nothing written."""
    root = make_site(FRENCH)
    build_site(root)
    before = tree(root / "_site"), (root / "credsite.lock").read_bytes()
    (root / "site.yaml").write_text(SITE_YAML_FR.replace("languages: [en, fr]", "languages: [en, fx]"))
    result = run_cli("build", "-q", "-C", str(root))
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith("error: site.yaml:"), errors
    assert "unknown language 'fx'" in errors[0]
    assert (tree(root / "_site"), (root / "credsite.lock").read_bytes()) == before


# -- results, rubrics, alignments, pathway groups and the site's title, per language ------------

ASSESSED_FR = """\
name:
  en: Teamwork
  fr: Travail d'équipe
description: Works well with others.
criteria: Be **kind** to your team.
publish_results: true
results:
  - name:
      en: Final grade
      fr: Note finale
    allowed: [C, B, A]
  - name:
      en: Collaboration
      fr: Collaboration en équipe
    levels:
      - name: {en: Developing, fr: En progrès}
        points: 1
        description: {en: Sometimes helps, fr: Aide parfois}
      - name: {en: Proficient, fr: Confirmé}
        points: 2
        description: {en: Always helps}
    required_level: Developing
alignments:
  - name: {en: lead a team, fr: diriger une équipe}
    esco: http://data.europa.eu/esco/skill/1f1d2ff8-c4c1-45cc-9812-6a7ee84a73cb
    description:
      en: Guide a group of people.
      fr: Guider un groupe de personnes.
"""
ASSESSED_AWARDS = """\
- achievement: teamwork
  name: Ada Lovelace
  email: ada.lovelace@example.org
  issued: 2026-03-01
  results: {Final grade: A, Collaboration: Proficient}
- achievement: teamwork
  name: Alan Turing
  email: alan.turing@example.org
  issued: 2026-03-02
  language: fr
  results: {Final grade: B, Collaboration: Developing}
"""
PATHWAY_FR = """\
name: Team leader
description: Leads teams.
criteria: Hold both badges.
requires:
  - teamwork
  - any: [mentor]
    name: {en: Mentoring, fr: Tutorat}
"""
TITLED_FR = SITE_YAML_FR.replace(
    "title: Test Credentials\n",
    "title: {en: Test Credentials, fr: Attestations de test}\n"
    "description:\n  en: Badges of a test site.\n  fr: Les badges d'un site de test.\n",
)
TRANSLATED = {
    **FRENCH,
    "site.yaml": TITLED_FR,
    "content/achievements/teamwork.yaml": ASSESSED_FR,
    "content/awards/awards.yaml": ASSESSED_AWARDS,
    "content/pathways/team-leader.yaml": PATHWAY_FR,
}


@pytest.fixture
def translated_site(make_site: Callable[..., Path]) -> tuple[Path, list[str]]:
    root = make_site(TRANSLATED)
    result = build_site(root)
    return root, [str(w) for w in result.warnings]


def test_results_rubrics_and_alignments_are_signed_in_the_recipients_language(
    translated_site: tuple[Path, list[str]],
) -> None:
    root, warnings = translated_site
    out = root / "_site"
    assert [w for w in warnings if "text" in w] == [
        "content/achievements/teamwork.yaml:21:22: 'description' has no 'fr' text: the 'fr' "
        "pages and credentials show the 'en' one"
    ]
    french = credential_of(out, "Alan Turing")["credentialSubject"]
    english = credential_of(out, "Ada Lovelace")["credentialSubject"]
    fr_grade, fr_rubric = french["achievement"]["resultDescription"]
    en_grade, en_rubric = english["achievement"]["resultDescription"]
    assert (en_grade["name"], fr_grade["name"]) == ("Final grade", "Note finale")
    assert (en_rubric["name"], fr_rubric["name"]) == ("Collaboration", "Collaboration en équipe")
    assert [(lv["name"], lv["description"]) for lv in fr_rubric["rubricCriterionLevel"]] == [
        ("En progrès", "Aide parfois"), ("Confirmé", "Always helps")  # the fallback
    ]  # fmt: skip
    assert [lv["name"] for lv in en_rubric["rubricCriterionLevel"]] == ["Developing", "Proficient"]
    # ids come from the first language's names: the same in every edition
    assert fr_rubric["id"].endswith("teamwork.fr.json#result-collaboration")
    assert fr_rubric["requiredLevel"].endswith("#result-collaboration-level-developing")
    assert french["result"][1]["achievedLevel"] == fr_rubric["rubricCriterionLevel"][0]["id"]
    (fr_align,), (en_align,) = french["achievement"]["alignment"], english["achievement"]["alignment"]
    assert (fr_align["targetName"], fr_align["targetDescription"]) == (
        "diriger une équipe", "Guider un groupe de personnes."
    )  # fmt: skip
    assert (en_align["targetName"], en_align["targetDescription"]) == (
        "lead a team", "Guide a group of people."
    )  # fmt: skip
    assert fr_align["targetUrl"] == en_align["targetUrl"]
    published = json.loads((out / "achievements/teamwork.fr.json").read_text("utf-8"))
    assert [e.message for e in achievement_validator().iter_errors(published)] == []
    assert published["resultDescription"] == french["achievement"]["resultDescription"]
    reports = verifysite.verify_site(out, now=NOW)
    assert {r.report.status for r in reports} == {"verified"}


def test_pages_in_a_language_show_its_results_groups_alignments_and_title(
    translated_site: tuple[Path, list[str]],
) -> None:
    out = translated_site[0] / "_site"
    french = (out / "fr/achievements/teamwork.html").read_text("utf-8")
    english = (out / "achievements/teamwork.html").read_text("utf-8")
    for text in ("<dt>Note finale</dt>", "<strong>En progrès</strong>", "Aide parfois",
                 ">diriger une équipe</a>", "Guider un groupe de personnes.",
                 "· Attestations de test</title>"):  # fmt: skip
        assert text in french and text not in english, text
    for text in ("<dt>Final grade</dt>", "<strong>Developing</strong>", ">lead a team</a>",
                 "· Test Credentials</title>"):  # fmt: skip
        assert text in english and text not in french, text
    pathway = (out / "fr/achievements/team-leader.html").read_text("utf-8")
    assert '<p class="pathway-group-name">Tutorat</p>' in pathway
    assert '<p class="pathway-group-name">Mentoring</p>' in (
        out / "achievements/team-leader.html"
    ).read_text("utf-8")
    index = (out / "fr/index.html").read_text("utf-8")
    assert "<h1>Attestations de test</h1>" in index
    assert '<meta property="og:description" content="Les badges d&#39;un site de test.">' in index
    assert "<h1>Test Credentials</h1>" in (out / "index.html").read_text("utf-8")
    # the French recipient's credential page: the results as signed, in French
    doc = credential_of(out, "Alan Turing")
    page = (out / doc["id"].removeprefix(SITE_URL).replace(".json", ".html")).read_text("utf-8")
    assert "Note finale" in page and "En progrès" in page and "Final grade" not in page
    assert "· Attestations de test</title>" in page


def test_per_language_texts_in_results_groups_alignments_and_site_yaml_are_checked(
    make_site: Callable[..., Path],
) -> None:
    teamwork = ASSESSED_FR.replace("fr: Aide parfois", "de: Hilft manchmal").replace(
        "name: {en: lead a team, fr: diriger une équipe}", "name: {fr: diriger une équipe}"
    )
    pathway = PATHWAY_FR.replace("{en: Mentoring, fr: Tutorat}", "{en: Mentoring, es: Tutoría}")
    site_yaml = TITLED_FR.replace("fr: Attestations de test", "it: Attestati")
    root = make_site({**TRANSLATED, "site.yaml": site_yaml,
                      "content/achievements/teamwork.yaml": teamwork,
                      "content/pathways/team-leader.yaml": pathway})  # fmt: skip
    result = run_cli("build", "-q", "-C", str(root))
    text = output_of(result)
    assert result.exit_code == 1
    for message in (
        "site.yaml:1:31: 'title' is given in 'it', which is not one of the site's languages",
        "content/achievements/teamwork.yaml:18:44: 'description' is given in 'de', which is not",
        "content/achievements/teamwork.yaml:24:11: 'name' needs a text in 'en', the site's first",
        "content/pathways/team-leader.yaml:7:27: 'name' is given in 'es', which is not one of",
    ):
        assert message in text, text
    assert not (root / "_site").exists() and not (root / "credsite.lock").exists()


def test_an_empty_text_in_a_language_map_is_no_text(make_site: Callable[..., Path]) -> None:
    """`en: ~` is the first language's text left out (a located error, not a result, level or
    alignment silently dropped); `fr: ~` a translation left out (the usual warning)."""
    teamwork = ASSESSED_FR.replace("      en: Final grade\n", "      en: ~\n").replace(
        "{en: lead a team, fr: diriger une équipe}", "{en: , fr: diriger une équipe}"
    )
    root = make_site({**TRANSLATED, "content/achievements/teamwork.yaml": teamwork})
    result = run_cli("build", "-q", "-C", str(root))
    text = output_of(result)
    assert result.exit_code == 1 and "Traceback" not in text
    for message in (
        "content/achievements/teamwork.yaml:9:11: 'name' needs a text in 'en', the site's first",
        "content/achievements/teamwork.yaml:24:16: 'name' needs a text in 'en', the site's first",
    ):
        assert message in text, text
    assert not (root / "_site").exists() and not (root / "credsite.lock").exists()
    translated = ASSESSED_FR.replace("      fr: Note finale\n", "      fr: ~\n")
    root = make_site({**TRANSLATED, "content/achievements/teamwork.yaml": translated}, name="fr")
    warnings = [str(w) for w in build_site(root).warnings]
    assert any(
        w.startswith("content/achievements/teamwork.yaml:9:7: 'name' has no 'fr' text") for w in warnings
    ), warnings


def test_a_missing_title_translation_is_a_located_warning(make_site: Callable[..., Path]) -> None:
    site_yaml = TITLED_FR.replace(", fr: Attestations de test}", "}")
    root = make_site({**FRENCH, "site.yaml": site_yaml})
    result = build_site(root)
    assert "site.yaml:1:8: 'title' has no 'fr' text: the 'fr' pages and credentials show the " \
        "'en' one" in [str(w) for w in result.warnings]  # fmt: skip
    assert "<h1>Test Credentials</h1>" in (root / "_site/fr/index.html").read_text("utf-8")


# -- badge art and share cards per language -------------------------------------------------------


def test_badge_art_and_share_cards_are_drawn_in_each_language_whose_words_differ(
    french_site: Path,
) -> None:
    from credsite.openbadges.image import KEYWORD_OB3, PreparedPng
    from credsite.openbadges.png import bake_png, extract_png

    out = french_site / "_site"
    images = out / "images"
    english, french = (images / "achievements/teamwork.png").read_bytes(), (
        images / "achievements/teamwork.fr.png"
    ).read_bytes()
    assert english != french
    drawn = (images / "achievements/teamwork.fr.svg").read_text("utf-8")
    assert "<title>Travail d'équipe</title>" in drawn
    assert "Teamwork" not in drawn
    assert (images / "share/teamwork.png").read_bytes() != (
        images / "share/teamwork.fr.png"
    ).read_bytes()
    # 'Mentor' says the same in both languages: one drawing, which the French pages show too
    assert not list(images.rglob("mentor.fr.*"))
    assert sorted(p.name for p in (images / "achievements").iterdir()) == [
        "mentor.png", "mentor.svg", "teamwork.fr.png", "teamwork.fr.svg",
        "teamwork.png", "teamwork.svg",
    ]  # fmt: skip
    base = SITE_URL + "images/"
    edition = json.loads((out / "achievements/teamwork.fr.json").read_text("utf-8"))
    assert edition["image"]["id"] == base + "achievements/teamwork.fr.png"
    first = json.loads((out / "achievements/teamwork.json").read_text("utf-8"))
    assert first["image"]["id"] == base + "achievements/teamwork.png"
    mentor = json.loads((out / "achievements/mentor.fr.json").read_text("utf-8"))
    assert mentor["image"]["id"] == base + "achievements/mentor.png"
    # the French recipient's credential: baked into the French badge, its page's card French
    doc = credential_of(out, "Alan Turing")
    assert doc["credentialSubject"]["achievement"]["image"]["id"] == edition["image"]["id"]
    token = doc["id"].removeprefix(SITE_URL + "credentials/").removesuffix(".json")
    baked = (out / "credentials" / f"{token}.png").read_bytes()
    text = extract_png(baked)
    assert text is not None
    assert baked == bake_png(PreparedPng(french, 512, 512), KEYWORD_OB3, text)
    page = (out / "credentials" / f"{token}.html").read_text("utf-8")
    assert f'<meta property="og:image" content="{base}share/teamwork.fr.png">' in page
    ada = credential_of(out, "Ada Lovelace")
    ada_token = ada["id"].removeprefix(SITE_URL + "credentials/").removesuffix(".json")
    text = extract_png((out / "credentials" / f"{ada_token}.png").read_bytes())
    assert text is not None
    assert (out / "credentials" / f"{ada_token}.png").read_bytes() == bake_png(
        PreparedPng(english, 512, 512), KEYWORD_OB3, text
    )
    # the pages in French show the French drawing; the English ones the English
    fr_page = (out / "fr/achievements/teamwork.html").read_text("utf-8")
    assert 'src="../../images/achievements/teamwork.fr.png"' in fr_page
    assert f'<meta property="og:image" content="{base}share/teamwork.fr.png">' in fr_page
    en_page = (out / "achievements/teamwork.html").read_text("utf-8")
    assert 'src="../images/achievements/teamwork.png"' in en_page
    assert f'<meta property="og:image" content="{base}share/teamwork.png">' in en_page
    assert 'src="../images/achievements/teamwork.fr.png"' in (out / "fr/index.html").read_text()
    assert 'src="../../images/achievements/mentor.png"' in (
        out / "fr/achievements/mentor.html"
    ).read_text("utf-8")
    assert {r.report.status for r in verifysite.verify_site(out, now=NOW)} == {"verified"}


def test_a_given_raster_badge_is_one_image_but_share_cards_follow_the_language(
    make_site: Callable[..., Path],
) -> None:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 40, 40)).save(buffer, "PNG")
    teamwork = TEAMWORK_FR + "image: badge.png\n"
    root = make_site({**FRENCH, "content/achievements/teamwork.yaml": teamwork,
                      "content/badge.png": buffer.getvalue()})  # fmt: skip
    build_site(root)
    images = root / "_site/images"
    assert not (images / "achievements/teamwork.fr.png").exists()
    assert (images / "share/teamwork.fr.png").is_file()
    edition = json.loads((root / "_site/achievements/teamwork.fr.json").read_text("utf-8"))
    assert edition["image"]["id"] == SITE_URL + "images/achievements/teamwork.png"

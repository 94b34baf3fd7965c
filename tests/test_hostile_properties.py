"""Property: any text in any free-text field of study.yml is published inert (escape.py), and never crashes.

Pages are rendered in memory (render_page) and turned into HTML with Python-Markdown and the site's own
extensions, then scanned with an HTML parser (tests/scan.py). The fault corpus (tests/fixtures/bad/xss-*)
runs the same scan over full MkDocs builds.
"""

from __future__ import annotations

import copy
import html
import re
import shutil
from dataclasses import replace
from pathlib import Path

import markdown
import pytest
import scan
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import MINIMAL, shared_data
from evidence_site import escape, paths
from evidence_site.errors import BuildError, DataError
from evidence_site.figures import study_figures
from evidence_site.load import read_shared, read_study
from evidence_site.pipeline import SITE_DEFAULTS, Generated, check_references, site_inputs
from evidence_site.present import view
from evidence_site.render import environment, page_plan, render_page
from evidence_site.summarise import number_book
from evidence_site.validate import Shared, validate, validate_shared

EXTENSIONS = ["abbr", "admonition", "attr_list", "def_list", "footnotes", "md_in_html", "tables", "toc"]
FREE_TEXT = ("title", "short_title", "population", "design.type", "design.setting", "design.comparator",
             "design.data_source", "design.eligibility", "design.populations.0.definition",
             "citations.bachand2026.text", "citations.bachand2026.note", "limitations.0.text", "assumptions.0",
             "family_about", "condition", "outcomes.remission.label", "outcomes.remission.definition",
             "outcomes.sf_remission.plain", "subgroups.tofa.label", "published.0.note",
             "certainty.outcomes.0.statement", "certainty.outcomes.0.comment")
PAYLOADS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))",
            "<svg onload=alert(1)>", '" onmouseover="alert(1)', "{: onclick=alert(1) }", "![i](javascript:x)",
            "<iframe src=javascript:alert(1)>", "\n\n!!! note\n    <b onclick=x>", "&#106;avascript:", "<!--", "]]>",
            "*", "_", "`", "|", ": ", " #", "\\", "[^1]", "\n# h\n", "<https://x.org>", "javascript:alert(1)"]
TEXT = st.lists(st.one_of(st.sampled_from(PAYLOADS), st.text(max_size=20)), max_size=6).map("".join)


@pytest.fixture(scope="module")
def rendered_inputs():
    raw, shared = read_study(MINIMAL), shared_data()
    study = validate(raw, shared)
    book = number_book([study])
    words = yaml.safe_load((paths.TEMPLATES / "families" / "words.yml").read_text(encoding="utf-8"))
    figures = study_figures(study, view(study, book, words), book, "")
    plan = yaml.safe_load((paths.TEMPLATES / "pages.yml").read_text(encoding="utf-8"))
    return raw, shared, book, figures, plan, environment(paths.TEMPLATES), words


def _set(meta: dict, path: str, value: str) -> None:
    *parents, last = [int(k) if k.isdigit() else k for k in path.split(".")]
    node = meta
    for key in parents:
        node = node[key]
    node[last] = value


def _html(page: str) -> str:
    """The page as MkDocs/Material would print it: front matter into a meta tag and the title, body as HTML."""
    meta, body = {}, page
    if page.startswith("---\n"):
        end = page.index("\n---\n", 3)
        meta = yaml.safe_load(page[4:end]) or {}
        body = page[end + 5:]
        assert isinstance(meta, dict), meta
    head = "".join(f'<meta name="{k}" content="{v}">' for k, v in meta.items() if isinstance(v, str))
    return head + markdown.markdown(body, extensions=EXTENSIONS)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(field=st.sampled_from(FREE_TEXT), text=TEXT)
def test_any_free_text_is_published_inert(rendered_inputs, field: str, text: str) -> None:
    raw, shared, book, figures, plan, env, words = rendered_inputs
    meta = copy.deepcopy(raw.meta)
    _set(meta, field, text)
    try:
        hostile = validate(replace(raw, meta=meta), shared)  # any text is a valid value of a free-text field ...
    except DataError as exc:  # ... except blank text in a required one
        assert not text.strip() and "is blank" in str(exc), exc
        return
    views = {hostile.id: view(hostile, book, words)}
    pages = [p for p in page_plan([hostile], plan) if p.study or p.md_path == "index.md"
             or p.md_path.endswith(("/index.md", "changes.md"))]
    for page in pages:
        out = render_page(env, page, views, book, figures, SITE_DEFAULTS, extra={"topics": {}})  # home lists topics
        found = scan.executable_markup(_html(out))
        assert not found, f"{field}={text!r}: {page.md_path}: {found}"
    nav = Generated([hostile], book, pages, {}).nav()
    titles = re.findall(r"'([^']*)':", repr(nav))
    assert not scan.executable_markup("<nav>" + "".join(f"<a>{t}</a>" for t in titles) + "</nav>")


@given(text=st.text(max_size=200))
@settings(max_examples=100, deadline=None)
def test_escaped_text_reads_as_typed(text: str) -> None:
    """Escaped text, rendered, is the text (white space aside): nothing dropped, nothing interpreted."""
    rendered = markdown.markdown("x " + escape.text(text), extensions=EXTENSIONS)
    assert not scan.executable_markup(rendered)
    shown = html.unescape(re.sub(r"<[^>]+>", "", rendered))
    squeeze = lambda s: re.sub(r"\s+", "", s)  # noqa: E731
    cleaned = re.sub(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]", "", text)
    assert squeeze(shown) == squeeze("x " + cleaned), (text, rendered)


@given(text=st.text(max_size=200))
@example(text="see ![x](https://ok.example/i.png) and ![**y**](https://ok.example/)")  # an image (outside tester)
@settings(max_examples=100, deadline=None)
def test_inline_markdown_allows_only_emphasis_and_https_links(text: str) -> None:
    rendered = markdown.markdown(escape.inline_markdown(text), extensions=EXTENSIONS)
    assert not scan.executable_markup(rendered)
    tags = set(re.findall(r"<(\w+)", rendered))
    assert tags <= {"p", "em", "strong", "a"}, (text, rendered)
    for href in re.findall(r'href="([^"]*)"', rendered):
        assert html.unescape(href).startswith("https://"), (text, rendered)


AGGREGATE_TEXT = ("title", "short_title", "condition", "population", "family_about", "design", "setting",
                  "follow_up", "publication.authors", "publication.short", "publication.title", "publication.venue",
                  "publication.confirmed", "publication.doi", "publication.url",
                  "measures.clinical_response.label", "measures.clinical_response.definition",
                  "measures.clinical_response.plain", "caveats.0", "family_caveats.0")


@pytest.fixture(scope="module")
def aggregate_inputs():
    raw = read_study(paths.DATA / "studies" / "cohen-2025-apt-cd")
    return raw, shared_data()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(field=st.sampled_from(AGGREGATE_TEXT), text=TEXT)
def test_any_free_text_of_an_aggregate_study_is_published_inert(aggregate_inputs, field: str, text: str) -> None:
    """The aggregate kind's pages, the topic pages and the study indexes print study.yml text inert."""
    from evidence_site.pipeline import generate

    raw, shared = aggregate_inputs
    meta = copy.deepcopy(raw.meta)
    _set(meta, field, text)
    try:
        hostile = validate(replace(raw, meta=meta), shared)
    except Exception as exc:  # a field with its own format (a URL, a DOI) may refuse the text: that is fine
        assert type(exc).__name__ == "DataError", exc
        return
    generated = generate([hostile], paths.TEMPLATES, site={"reading_grade_max": 100})  # payloads read badly
    pages = {name: body.decode() for name, body in generated.files.items()
             if name.endswith(".md") and (hostile.id in name or "/topics/" in name or "studies" in name)}
    assert any("/topics/" in name for name in pages)
    for name, page in pages.items():
        found = scan.executable_markup(_html(page))
        assert not found, f"{field}={text!r}: {name}: {found}"


def test_a_right_to_left_override_in_data_cannot_reorder_what_a_page_shows() -> None:
    """U+202E made "0001 children" display as "1000 children" (outside hostile tester): bidirectional controls
    are printed as spaces, in page text, navigation titles and chart text alike."""
    from evidence_site.vegalite import svg_text

    typed = "\u202e0001\u2066 children\u200f"
    for shown in (str(escape.text(typed)), escape.html_text(typed), str(escape.inline_markdown(typed)),
                  svg_text(typed)):
        assert not re.search("[\u200e\u200f\u202a-\u202e\u2066-\u2069]", shown), shown
        assert shown.split() == ["0001", "children"], shown


STARS = st.lists(st.sampled_from(["*", "**", "***", "x", " ", "<", ">", "[", "]", "(", ")", "&", "_", "!", "`", "|",
                                  ":", "&#42;", "[a](https://a.example/)", "<div markdown=\"1\">", "</div>"]),
                 max_size=20).map("".join)


@given(text=STARS)
@example(text='<div markdown="1" onclick="alert(1)">**x**</div> *[first]: <b>abbr</b>')  # outside hostile tester
@example(text="*(`!**xx:*[|)")
@settings(max_examples=300, deadline=None)
def test_stars_next_to_emphasis_never_print_a_markdown_placeholder(text: str) -> None:
    """"*a**b*" left a literal "*" beside an escaped one; Python-Markdown paired them across its placeholder for the
    character reference and printed the placeholder ("klzzwxh:0046") as page text (outside hostile tester)."""
    shown = markdown.markdown(str(escape.inline_markdown(text)), extensions=EXTENSIONS)
    assert "klzzwxh" not in shown and "\x02" not in shown and "\x03" not in shown, shown


def test_the_address_for_reporting_an_error_is_a_link_whether_mailto_or_https(rendered_inputs) -> None:
    """trust.report_error accepts mailto: and https: only (load.check_trust), and both are printed as links: a mailto:
    address was printed as plain text."""
    raw, shared, book, figures, plan, env, words = rendered_inputs
    study = validate(raw, shared)
    views = {study.id: view(study, book, words)}
    for address in ("mailto:evidence@example.org", "https://example.org/report"):
        site = {**SITE_DEFAULTS, "trust": {"report_error": address}}
        pages = [render_page(env, p, views, book, figures, site, extra={"topics": {}})
                 for p in page_plan([study], plan) if p.study]
        assert any(f"To report an error: [{address}]({address})." in page for page in pages), address


def test_a_template_left_unclosed_is_named_with_its_line_and_a_hint_about_closing_it(rendered_inputs, tmp_path) -> None:
    """An unclosed {{ in a template got the hint for an unknown value name (outside tester): a syntax error names
    the template and line and says how to close it."""
    import shutil

    from evidence_site.errors import TemplateError

    raw, shared, book, figures, plan, _, words = rendered_inputs
    templates = shutil.copytree(paths.TEMPLATES, tmp_path / "templates")
    page = templates / "families" / "overview.md.j2"
    lines = page.read_text(encoding="utf-8").splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines) if "{{ " in line)
    lines[number] = lines[number].replace("{{ ", "{{ study.names.medicine ", 1)
    page.write_text("".join(lines), encoding="utf-8")
    study = validate(raw, shared)
    views = {study.id: view(study, book, words)}
    overview = next(p for p in page_plan([study], plan) if p.study and p.template == "families/overview.md.j2")
    with pytest.raises(TemplateError) as raised:
        render_page(environment(templates), overview, views, book, figures, SITE_DEFAULTS, extra={"topics": {}})
    message = str(raised.value)
    assert f"templates/families/overview.md.j2, line {number + 1}:" in message, message
    assert "Close every {{ with }}" in message and "numbers.json" not in message, message


def test_a_link_to_an_address_that_is_not_https_is_shown_as_typed_address_and_all() -> None:
    """An outside research coordinator's `[plain](http://...)` printed only "plain": the address was lost without a
    word. It is shown as typed now, and is still no link."""
    rendered = markdown.markdown(escape.inline_markdown("see [plain](http://example.org/x) now"),
                                 extensions=EXTENSIONS)
    assert "<a" not in rendered
    assert html.unescape(re.sub(r"<[^>]+>", "", rendered)) == "see [plain](http://example.org/x) now"


# Every vector at once, after the field's own text (so a field with a format of its own is refused, not emptied).
# No digits: family words hold figures only as times (the rule family_words_no_figures), so a payload with a digit
# would be refused there and those fields left out of the attack.
ATTACK = (' <script>alert(document.domain)</script><img src=x onerror=alert(document.domain)>'
          '[x](javascript:alert(document.domain)) <svg onload=alert(document.domain)>'
          '" onmouseover="alert(document.domain) {: onclick=alert(document.domain) } ![i](javascript:x) '
          '<iframe src=javascript:alert(document.domain)>')


def _text_leaves(node: object, path: tuple = ()) -> list[tuple]:
    """The path of every text in a parsed YAML tree."""
    if isinstance(node, str):
        return [path]
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    return [leaf for key, value in items for leaf in _text_leaves(value, (*path, key))]


def _value(meta: dict, path: tuple) -> object:
    node: object = meta
    for key in path:
        node = node[key]  # type: ignore[index]
    return node


def _attacked(meta: dict, leaves: list[tuple]) -> dict:
    meta = copy.deepcopy(meta)
    for path in leaves:
        node = _value(meta, path[:-1])
        node[path[-1]] = f"{node[path[-1]]}{ATTACK}"  # type: ignore[index]
    return meta


def _hostile_everywhere(raw, shared, study_ids: set[str]):
    """The study with the attack after every text in its study.yml that still validates with it: a field the
    build refuses (an identifier, a choice, a URL, a date; checked or summarised) is left as it was, found from
    the problems it raises. Ids of other studies are left too: the build checks them against the library before
    it generates anything (``pipeline.check_references``, tested with them attacked)."""
    dotted = {".".join(map(str, path)): path for path in _text_leaves(raw.meta)}
    others = [path for key, path in dotted.items() if _value(raw.meta, path) in study_ids]
    if others:
        with pytest.raises(BuildError, match="refers to a study that is not there"):
            check_references([validate(replace(raw, meta=_attacked(raw.meta, others)), shared)])
    dotted = {key: path for key, path in dotted.items() if path not in others}
    for _ in range(len(dotted)):
        try:
            study = validate(replace(raw, meta=_attacked(raw.meta, list(dotted.values()))), shared)
            number_book([study])  # published figures name their values: checked when summarised
            return study, len(dotted)
        except DataError as exc:
            named = {re.sub(r"\[(\d+)\]", r".\1", p.column or "") for p in exc.problems if p.file == "study.yml"}
            refused = {k for k in dotted if k in named} or {  # a field refused (else the part of the file around it)
                k for k in dotted if any(n and (k.startswith(n + ".") or n.startswith(k + ".")) for n in named)}
            assert refused, f"{raw.folder.name}: refused without naming a field of study.yml: {exc}"
            for k in refused:
                del dotted[k]
    raise AssertionError(f"{raw.folder.name}: no text accepted")


def _taking_the_attack(tree: dict, check, codes: frozenset[str] = frozenset()) -> tuple[dict, int]:
    """``tree`` with the attack after each of its texts that ``check`` (loading it as the build does) accepts with
    the attack alone: the others (an address, a date) are left as they were, and so are ``codes`` (a text that
    is a code of the vocabulary names it: a study's records are checked against it)."""
    taking = [path for path in _text_leaves(tree)
              if _value(tree, path) not in codes and _loads(check, _attacked(tree, [path]))]
    attacked = _attacked(tree, taking)
    check(attacked)  # all at once, too
    return attacked, len(taking)


def _loads(check, tree: dict) -> bool:
    try:
        check(tree)
    except (DataError, BuildError):
        return False
    return True


def _hostile_site(tmp: Path) -> tuple[dict, int]:
    """data/site.yml's words (home page, trust line, the Spanish site's words) with the attack, loaded as the
    build loads them (``pipeline.site_inputs``)."""
    words = yaml.safe_load((paths.DATA / "site.yml").read_text(encoding="utf-8"))
    for name in ("releases.yml", "redirects.yml"):
        if (paths.DATA / name).is_file():
            shutil.copy2(paths.DATA / name, tmp / name)

    def load(tree: dict) -> dict:
        (tmp / "site.yml").write_text(yaml.safe_dump(tree, allow_unicode=True), encoding="utf-8")
        return site_inputs(paths.MKDOCS_YML, tmp)

    attacked, count = _taking_the_attack(words, load)
    return load(attacked), count


def _hostile_shared() -> tuple[Shared, int]:
    """The vocabulary and the medicines (data/vocab, data/medicines) with the attack, validated as the build
    validates them."""
    raw = read_shared(paths.DATA)

    def check(tree: dict) -> Shared:
        return validate_shared(replace(raw, vocab=tree["vocab"], medicines=tree["medicines"]))

    codes = frozenset(code for section in raw.vocab.values() for code in section or {})
    attacked, count = _taking_the_attack({"vocab": raw.vocab, "medicines": raw.medicines}, check, codes)
    return check(attacked), count


@pytest.mark.slow
def test_every_text_of_the_bundled_data_is_published_inert_all_at_once(tmp_path: Path) -> None:
    """Not a list of fields kept by hand: every text in the bundled data (every study.yml of each kind, the
    medicines, the vocabulary and site.yml: Spanish words, side effects named without a figure, caveats,
    citations, the trust line...) gets the attack at once, where the build accepts it; every page, chart and
    navigation title generated prints it inert. A field added to the data format is attacked as soon as the
    bundled data use it."""
    from evidence_site.pipeline import generate

    shared, in_shared = _hostile_shared()
    site, in_site = _hostile_site(tmp_path)
    assert in_shared > 100 and in_site > 10, (in_shared, in_site)
    hostile, attacked = [], 0
    folders = sorted(p for p in paths.STUDIES.iterdir() if (p / "study.yml").is_file())
    for folder in folders:
        study, count = _hostile_everywhere(read_study(folder), shared, {f.name for f in folders})
        hostile.append(study)
        attacked += count
    assert attacked > 300, attacked  # most texts take the attack
    unread = {"reading_grade_max": 100, "reading_ease_min": -10**6}  # the attacks read badly, in both languages
    generated = generate(hostile, paths.TEMPLATES, site=site | unread)
    assert any(name.startswith("es/") for name in generated.files)  # the Spanish pages too
    for name, body in generated.files.items():
        if name.endswith(".md"):
            found = scan.executable_markup(_html(body.decode()))
        elif name.endswith((".svg", ".html", ".htm")):
            found = scan.executable_markup(body.decode())
        else:
            continue
        assert not found, f"{name}: {found}"
    titles = re.findall(r"'([^']*)':", repr(generated.nav()))
    assert not scan.executable_markup("<nav>" + "".join(f"<a>{t}</a>" for t in titles) + "</nav>")

"""Property: any text in any free-text field of study.yml is published inert (escape.py), and never crashes.

Pages are rendered in memory (render_page) and turned into HTML with Python-Markdown and the site's own
extensions, then scanned with an HTML parser (tests/scan.py). The fault corpus (tests/fixtures/bad/xss-*)
runs the same scan over full MkDocs builds.
"""

from __future__ import annotations

import copy
import html
import re
from dataclasses import replace

import markdown
import pytest
import scan
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import MINIMAL, shared_data
from evidence_site import escape, paths
from evidence_site.errors import DataError
from evidence_site.figures import study_figures
from evidence_site.load import read_study
from evidence_site.pipeline import SITE_DEFAULTS, Generated
from evidence_site.present import view
from evidence_site.render import environment, page_plan, render_page
from evidence_site.summarise import number_book
from evidence_site.validate import validate

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

"""The page templates' Jinja environment, escaping by construction (see escape.py).

Kept apart from render.py, which needs the summaries (pandas), so that the charts' converter process can
compile the templates into the build's bytecode cache with this same environment while the build process
reads and summarises the studies (:func:`precompile`, started by ``svg_cache.precompile``).
"""

from __future__ import annotations

from pathlib import Path

import jinja2
import jinja2.compiler
import jinja2.nodes
import yaml

from . import escape, families, fmt, paths
from .bytecode import SealedBytecodeCache

WORDS = "words.yml"  # a translated site's words: templates/<lang>/words.yml


class _CodeGenerator(jinja2.compiler.CodeGenerator):
    """Jinja's compiler with one change: ``a ~ b`` joins through :func:`escape.concat`.

    Jinja's own join, with autoescape on, escapes plain parts next to Markup for HTML only, which would
    leave a Markdown link from data live; ``escape.concat`` escapes them for Markdown and HTML.
    """

    def visit_Concat(self, node: jinja2.nodes.Concat, frame: jinja2.compiler.Frame) -> None:
        self.write("environment.concat_parts((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class _Environment(jinja2.Environment):
    code_generator_class = _CodeGenerator
    concat_parts = staticmethod(escape.concat)


def environment(templates: Path, cache: Path | None = None, lang: str = "en") -> jinja2.Environment:
    """The page environment, escaping by construction (see escape.py).

    ``finalize`` turns every plain string a template prints into escaped Md; only Md/Markup made by the
    package's own functions (formatters, ``figure()``, ``link()``, ``inline_md``, ``url_link``), by template
    text itself (macros, ``{% set %}`` blocks) or by ``~`` and ``join`` (which escape plain parts) is printed
    as is. Filters that would HTML-escape only (``e``, ``replace``, ``urlize``) are replaced.
    """
    if cache is None:  # compiled code depends on the environment's filters too: one folder per code version
        from .cache import code_version

        cache = paths.BUILD / "cache" / "jinja" / code_version()[:16]
    try:  # compiled templates, keyed by name and source checksum, so an edited template is always recompiled
        cache.mkdir(parents=True, exist_ok=True)
        bytecode_cache = SealedBytecodeCache(str(cache))
    except OSError:
        bytecode_cache = None
    env = _Environment(
        loader=jinja2.FileSystemLoader(templates), undefined=jinja2.StrictUndefined, autoescape=True,
        keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True, finalize=escape.finalize,
        bytecode_cache=bytecode_cache)
    env.filters.update({name: escape.formatter(f) for name, f in dict(
        percent=fmt.percent, reported_percent=fmt.reported_percent, clinical=fmt.clinical, ci=fmt.ci,
        n_of_n=fmt.n_of_n, out_of_ten=fmt.out_of_ten, number=fmt.number, time_frame=fmt.time_frame,
        long_date=fmt.long_date).items()})
    families.install(env)  # family pages: natural frequencies, certainty words, glossary links
    for name in ("freq", "freq_not", "icons"):
        env.filters[name] = escape.formatter(env.filters[name])
    env.globals["claim"] = escape.formatter(env.globals["claim"], keys=(0,))  # the rating: a key of CERTAINTY
    words = env.globals["family_words"]
    env.globals["family_words"] = jinja2.pass_environment(lambda e: escape.trust_tree(words(e)))  # template files
    env.filters.update(upper_first=escape.upper_first, join=escape.join, text=escape.text, e=escape.text,
                       escape=escape.text, forceescape=escape.text, urlize=escape.text, replace=escape.replace,
                       inline_md=escape.inline_markdown, url_link=escape.url_link,
                       ended=fmt.ended)  # plain words: escaped on the way out (escape.finalize)
    if lang != "en":  # a translated twin: its family words come from templates/<lang>/words.yml
        words = yaml.safe_load((templates / lang / WORDS).read_text(encoding="utf-8"))
        families.install_words(env, words)
        for name in ("freq", "freq_not", "time_frame", "long_date"):
            env.filters[name] = escape.formatter(env.filters[name])
        env.globals["words"] = escape.trust_tree(words)
    return env


def precompile(templates: Path, cache: Path) -> int:
    """Compile every page template into the bytecode cache ``cache`` (a build's ``jinja/<code version>``): the
    templates of a language folder (``templates/<lang>/words.yml``) with that language's environment, the others
    with the English one, as the build's first use of each compiles it. Returns how many were compiled or
    already there. The compiled code is keyed by each template's name and source checksum (Jinja's
    FileSystemBytecodeCache, written whole and renamed into place), so the build process loads it where it is
    there and compiles a template itself where it is not yet."""
    langs = sorted(d.name for d in templates.iterdir() if (d / WORDS).is_file()) if templates.is_dir() else []
    count = 0
    for lang in ("en", *langs):
        env = environment(templates, cache, lang)
        for name in env.list_templates(extensions=("j2",)):
            folder = name.split("/", 1)[0]
            if folder == lang or (lang == "en" and folder not in langs):
                env.get_template(name)
                count += 1
    return count

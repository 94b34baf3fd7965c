"""Which figures each study gets, for each audience (pure: prepared tables and values in, figures out).

Figures are drawn from the same prepared tables (``present.StudyView``) the pages print, keyed
``<audience>/<study-id>/<name>`` (the file is written to ``docs/<audience>/<study-id>/figures/<name>.svg``).
A chart whose values are all withheld or not estimable is not drawn; the page says so in words instead
(templates test ``has_figure``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from . import fmt, ids
from .charts import Figure, draw, flow_chart, icon_figure, proportions_figure, survival_figure, timecourse_figure
from .disclosure.policy import Policy
from .handout import handout_qr
from .numbers import NumberBook, Value
from .present import StudyView
from .summarise.durability import km_curve
from .validate import Study

DENOMINATORS = {"itt": "All who started (stopped = not achieved)", "obs": "On treatment and assessed"}
MADE_UP_TITLE = " (made-up data)"  # after every chart title of a made-up study: a chart saved or shown alone says it
MADE_UP_ALT = fmt.MADE_UP.capitalize() + ". "  # "Made-up example data. "


def _titler(study: Study) -> Callable[[str], str]:
    """Chart titles as given, or with " (made-up data)" after them for a made-up (synthetic) study."""
    return (lambda title: title + MADE_UP_TITLE) if study.synthetic else (lambda title: title)


def clinician_figures(study: Study, sv: StudyView, book: NumberBook) -> list[Figure]:
    get = lambda short: book[ids.qualified(study.id, short)]  # noqa: E731
    title = _titler(study)
    figures: list[Figure | None] = []
    headline = [get(short) for short in sv.tables["headline"]]
    labels = {v.id: _short_label(v) for v in headline}
    figures.append(_proportions("headline", headline, title(f"Headline results at week {sv.end} (population and "
                                                            "time in each row label)"), labels))
    for outcome in sv.tables["effectiveness"]:
        items = [(get(row[d]), row["group"], label) for row in outcome["rows"] for d, label in DENOMINATORS.items()]
        figures.append(timecourse_figure(outcome["figure"], items, title(outcome["label"]))
                       if any(v.estimable for v, _, _ in items) else None)
    pairs = [(get(r["km"]), get(r["at_risk"])) for r in sv.tables["km"]]
    at_visits = Policy.of(study.spec).enabled  # exact stopping weeks are individual children's values
    figures.append(survival_figure("persistence", km_curve(study, at_visits), pairs,
                                   title("Treatment persistence (Kaplan–Meier, pointwise 95% interval)"),
                                   "Each stop is drawn at the next assessment week (privacy); the estimates at "
                                   "those weeks are exact" if at_visits else ""))
    figures.append(flow_figure(study, sv, book))
    ae = [replace(get(r["patients"]), label=r["label"]) for r in sv.tables["adverse_events"]["rows"]]
    chart = _proportions("adverse_events", ae, title("Patients with at least one adverse event, by type"))
    figures.append(replace(chart, ids=tuple(ids.qualified(study.id, r["patients"])
                                            for r in sv.tables["adverse_events"]["rows"])) if chart else None)
    return [f for f in figures if f is not None]


def _short_label(v: Value) -> str:
    """A row label that keeps the population and time point visible (the headline mixes populations)."""
    where = v.population.replace("Still on treatment", "on treatment")
    return f"{v.label} [{where}]" if v.population and v.population not in v.label else v.label


def _proportions(name: str, values: list[Value], title: str, labels: dict[str, str] | None = None) -> Figure | None:
    return proportions_figure(name, values, title, labels) if any(v.estimable for v in values) else None


def flow_figure(study: Study, sv: StudyView, book: NumberBook) -> Figure:
    """Started -> on treatment at each time point (with who stopped, and why, between them) -> repeat endoscopy."""
    get = lambda short: book[ids.qualified(study.id, short)]  # noqa: E731
    main = [f"Started {sv.names['medicine']}\nn = {fmt.clinical(get(ids.N_PATIENTS))}"]
    side: list[str | None] = []
    used = [get(ids.N_PATIENTS).id]
    for row in sv.tables["flow"]:
        stop = get(row["stopped"])
        reasons = [(r["label"], get(r["id"])) for r in row["reasons"]]
        lost = get(row["lost"]) if row["lost"] else None
        used += [stop.id, *(x.id for _, x in reasons), get(row["on"]).id, *([lost.id] if lost else [])]
        lines = [f"Stopped: {fmt.clinical(stop)}", *(f"{name}: {fmt.clinical(x)}" for name, x in reasons)]
        if lost is not None and (lost.suppressed or lost.value):
            lines.append(f"Follow-up ended early: {fmt.clinical(lost)}")
        side.append("\n".join(lines) if stop.suppressed or stop.value or len(lines) > 1 else None)
        main.append(f"On treatment at week {row['week']}\nn = {fmt.clinical(get(row['on']))}")
    if ids.qualified(study.id, ids.REPEAT_ENDOSCOPY) in book:
        scope = get(ids.REPEAT_ENDOSCOPY)
        used.append(scope.id)
        main.append(f"Had a repeat endoscopy (any time)\n{fmt.n_of_n(scope)} of all who started")
        side.append(None)
    weeks = sv.spec.timepoints_weeks
    alt_text = "Patient flow. " + " ".join(m.replace("\n", ": ") + "." for m in main) + " " + " ".join(
        f"Between week {a} and week {b}: {s.replace(chr(10), ', ')}." for a, b, s in zip(weeks, weeks[1:], side,
                                                                                        strict=False) if s)
    return Figure("flow", draw(flow_chart, main, side[:len(main) - 1], _titler(study)("Patient flow")), alt_text,
                  tuple(used))


def family_figures(study: Study, sv: StudyView, book: NumberBook, site_url: str = "") -> list[Figure]:
    """Icon arrays (10 child figures) for each family finding and for "any side effect", and the handout's QR
    code when the site's public address is known. Withheld or not-estimable values get no picture."""
    get = lambda short: book[ids.qualified(study.id, short)]  # noqa: E731
    icons = {f.key: get(f.value) for f in sv.findings}
    icons["ae_any"] = get(ids.ae_patients("any"))
    title = _titler(study)
    figures = [icon_figure(name, value, title(value.label)) for name, value in icons.items()
               if fmt.out_of_ten(value) is not None]
    if site_url:
        figures.append(handout_qr(study.id, site_url))
    return figures


def study_figures(study: Study, sv: StudyView, book: NumberBook, site_url: str = "") -> dict[str, Figure]:
    figures = [("clinicians", f) for f in clinician_figures(study, sv, book)]
    figures += [("families", f) for f in family_figures(study, sv, book, site_url)]
    if study.synthetic:  # the text alternative says it first, as the chart title says it last
        figures = [(audience, replace(f, alt=MADE_UP_ALT + f.alt)) for audience, f in figures]
    return {f"{audience}/{study.id}/{fig.name}": fig for audience, fig in figures}

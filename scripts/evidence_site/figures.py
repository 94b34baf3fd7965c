"""Which figures each study gets, for each audience (pure: values in, figures out).

Each audience has its own function; ``study_figures`` collects them, keyed
``<audience>/<study-id>/<name>`` (the figure file is written to
``docs/<audience>/<study-id>/figures/<name>.svg``).
"""

from __future__ import annotations

from dataclasses import replace

from . import fmt
from .charts import Figure, flow_chart, icon_figure, proportions_figure, survival_figure, timecourse_figure, to_svg
from .handout import handout_qr
from .numbers import NumberBook, Value
from .summarise.baseline import groups
from .summarise.durability import REASON_NAMES, km_curve
from .summarise.effectiveness import OUTCOMES, group_label
from .summarise.safety import ae_name, ae_types
from .validate import Study


def headline(study: Study, book: NumberBook) -> dict[str, Value]:
    end = study.meta["timepoints_weeks"][-1]
    diagnoses = sorted(study.patients["diagnosis"].unique())
    shorts = [f"persistence_w{end}", *(f"sf_remission_w{end}_{dx}" for dx in diagnoses),
              f"crp_normalised_w{end}", "endoscopic_remission"]
    return {short: book[f"{study.id}.{short}"] for short in shorts}


def clinician_figures(study: Study, book: NumberBook) -> list[Figure]:
    end = study.meta["timepoints_weeks"][-1]
    values = headline(study, book)
    short = {f"persistence_w{end}": "Still on treatment", f"crp_normalised_w{end}": "CRP normalised",
             "endoscopic_remission": "Endoscopic remission",
             **{f"sf_remission_w{end}_{dx}": f"Steroid-free remission, {dx}" for dx in ("CD", "UC", "IBDU")}}
    labels = {v.id: short[k] for k, v in values.items()}
    return [proportions_figure("headline", list(values.values()), f"Headline outcomes at week {end}", labels),
            *effectiveness_figures(study, book), persistence_figure(study, book), flow_figure(study, book),
            adverse_event_figure(study, book)]


DENOMINATORS = {"itt": "All who started (stopped = failure)", "obs": "On treatment and assessed"}


def effectiveness_figures(study: Study, book: NumberBook) -> list[Figure]:
    """One time-course chart per outcome: each week and diagnosis, both denominators, with 95% CIs."""
    weeks = [w for w in study.meta["timepoints_weeks"] if w > 0]
    figures = []
    for key, (_, outcome) in OUTCOMES.items():
        items = [(book[f"{study.id}.eff_{key}_w{w}_{g}_{d}"], group_label(g).capitalize(), label)
                 for g in groups(study) for w in weeks for d, label in DENOMINATORS.items()]
        figures.append(timecourse_figure(f"eff_{key}", items, study.meta["outcomes"][outcome]["label"]))
    return figures


def persistence_figure(study: Study, book: NumberBook) -> Figure:
    pairs = [(book[f"{study.id}.km_w{w}"], book[f"{study.id}.km_at_risk_w{w}"]) for w in study.meta["timepoints_weeks"]]
    return survival_figure("persistence", km_curve(study), pairs,
                           "Treatment persistence (Kaplan–Meier, 95% band)")


def flow_figure(study: Study, book: NumberBook) -> Figure:
    """Started -> on treatment at each time point (with who stopped, and why, between them) -> repeat endoscopy."""
    weeks = study.meta["timepoints_weeks"]
    get = lambda short: book[f"{study.id}.{short}"]  # noqa: E731
    main = [f"Started upadacitinib\nn = {fmt.clinical(get('n_patients'))}"]
    side: list[str | None] = []
    ids = [get("n_patients").id]
    for w in weeks[1:]:
        stop = get(f"flow_stop_w{w}")
        reasons = [(REASON_NAMES[r].lower(), get(f"flow_stop_w{w}_{r}")) for r in REASON_NAMES
                   if f"{study.id}.flow_stop_w{w}_{r}" in book]
        ids += [stop.id, *(x.id for _, x in reasons), get(f"flow_on_w{w}").id]
        side.append(f"Stopped: {fmt.clinical(stop)}\n" + "\n".join(f"{name}: {fmt.clinical(x)}" for name, x in reasons)
                    if stop.suppressed or stop.value else None)
        main.append(f"On treatment at week {w}\nn = {fmt.clinical(get(f'flow_on_w{w}'))}")
    scope = get("repeat_endoscopy")
    ids.append(scope.id)
    main.append(f"Had a repeat endoscopy (any time)\n{fmt.n_of_n(scope)} of all who started")
    side.append(None)
    title = "Patient flow"
    alt_text = "Patient flow. " + " ".join(m.replace("\n", ": ") + "." for m in main) + " " + " ".join(
        f"Between week {a} and week {b}: {s.replace(chr(10), ', ')}." for a, b, s in zip(weeks, weeks[1:], side,
                                                                                        strict=False) if s)
    return Figure("flow", to_svg(flow_chart(main, side, title)), alt_text, tuple(ids))


def adverse_event_figure(study: Study, book: NumberBook) -> Figure:
    values = [book[f"{study.id}.ae_patients_{t}"] for t in ae_types(study)]
    values = [replace(v, label=ae_name(t)) for v, t in zip(values, ae_types(study), strict=True)]
    chart = proportions_figure("adverse_events", values, "Patients with at least one adverse event, by type")
    return replace(chart, ids=tuple(f"{study.id}.ae_patients_{t}" for t in ae_types(study)))


def family_figures(study: Study, book: NumberBook, site_url: str = "") -> list[Figure]:
    """Icon arrays (10 child figures) for the headline results and for "any side effect", and the
    handout's QR code when the site's public address is known."""
    end = study.meta["timepoints_weeks"][-1]
    icons = dict(headline(study, book))
    if f"{study.id}.ae_any" in book:
        icons["ae_any"] = book[f"{study.id}.ae_any"]
    figures = [icon_figure(short.replace(f"_w{end}", ""), value, value.label) for short, value in icons.items()]
    if site_url:
        figures.append(handout_qr(study.id, site_url))
    return figures


def study_figures(study: Study, book: NumberBook, site_url: str = "") -> dict[str, Figure]:
    figures = [("clinicians", f) for f in clinician_figures(study, book)]
    figures += [("families", f) for f in family_figures(study, book, site_url)]
    return {f"{audience}/{study.id}/{fig.name}": fig for audience, fig in figures}

"""Which figures each study gets, for each audience (pure: values in, figures out).

Each audience has its own function; ``study_figures`` collects them, keyed
``<audience>/<study-id>/<name>`` (the figure file is written to
``docs/<audience>/<study-id>/figures/<name>.svg``).
"""

from __future__ import annotations

from .charts import Figure, icon_figure, proportions_figure
from .numbers import NumberBook, Value
from .validate import Study


def headline(study: Study, book: NumberBook) -> dict[str, Value]:
    end = study.meta["timepoints_weeks"][-1]
    diagnoses = sorted(study.patients["diagnosis"].unique())
    shorts = [f"persistence_w{end}", *(f"sf_remission_w{end}_{dx}" for dx in diagnoses),
              f"crp_normalised_w{end}", "endoscopic_remission"]
    return {short: book[f"{study.id}.{short}"] for short in shorts}


def clinician_figures(study: Study, book: NumberBook) -> list[Figure]:
    end = study.meta["timepoints_weeks"][-1]
    return [proportions_figure("headline", list(headline(study, book).values()), f"Headline outcomes at week {end}")]


def family_figures(study: Study, book: NumberBook) -> list[Figure]:
    end = study.meta["timepoints_weeks"][-1]
    return [icon_figure(short.replace(f"_w{end}", ""), value, value.label)
            for short, value in headline(study, book).items()]


def study_figures(study: Study, book: NumberBook) -> dict[str, Figure]:
    figures = [("clinicians", f) for f in clinician_figures(study, book)]
    figures += [("families", f) for f in family_figures(study, book)]
    return {f"{audience}/{study.id}/{fig.name}": fig for audience, fig in figures}

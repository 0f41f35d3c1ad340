"""Reference values in words: the figure a GP compares a result against, for one age band.

Pure functions over the frozen model, used by the question page and by the printed answers and
letter, so that no template decides which figure applies. French typography: decimal comma,
a narrow no-break space between thousands, a no-break space before the unit and after the sign.

One line per measure and rule: figures that differ only by sex or ethnicity are shown
together ("CPK > 1,5 × la limite supérieure de la normale, soit environ 500 UI/L chez un homme,
300 UI/L chez une femme (d'ascendance africaine : …)"), since sex is not asked.
"""

from __future__ import annotations

from collections.abc import Iterable

from orient.core.model import COMPARATOR_SIGNS, Question, Threshold

NBSP = "\u00a0"  # before a unit, after a comparison sign
NNBSP = "\u202f"  # between groups of thousands
SEX_WORDS = {"homme": "chez un homme", "femme": "chez une femme"}


def number(value: float) -> str:
    """A figure in French: ``2.8`` -> ``2,8``; ``1200`` -> ``1 200`` (narrow no-break space)."""
    text = f"{value:.3f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    whole, _, decimals = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    whole = whole.lstrip("-")
    if len(whole) > 3:
        groups: list[str] = []
        while whole:
            groups.insert(0, whole[-3:])
            whole = whole[:-3]
        whole = NNBSP.join(groups)
    return sign + whole + ("," + decimals if decimals else "")


def quantity(threshold: Threshold) -> str:
    """The value with its unit and its equivalent in another unit: ``2,8 mmol/L (0,50 g/L)``."""
    text = number(threshold.value)
    if threshold.unit:
        text += NBSP + threshold.unit
    if threshold.also:
        text += f" ({threshold.also})"
    return text


def applies(threshold: Threshold, age_group: str | None) -> bool:
    """Whether a figure is for this age band (every figure when the band is not known)."""
    population = threshold.population
    return age_group is None or population is None or age_group in population.ages


def _group_key(t: Threshold) -> tuple:
    population = t.population
    detail = population.detail if population else None
    return (t.measure, t.comparator, t.relative, t.meaning, detail)


def _figures(items: list[Threshold]) -> str:
    """The figures of one rule, by sex when they differ by sex."""
    parts = []
    for t in items:
        sex = t.population.sex if t.population else None
        parts.append(quantity(t) + (f" {SEX_WORDS[sex]}" if sex else ""))
    return ", ".join(parts)


def line(items: list[Threshold]) -> str:
    """One rule in words, from its figures for one age band (same measure, sign, relative rule)."""
    first = items[0]
    population = first.population
    general = [t for t in items if not (t.population and t.population.ethnicity)]
    adjusted = [t for t in items if t.population and t.population.ethnicity]
    sign = COMPARATOR_SIGNS[first.comparator]
    text = f"{first.measure} {sign}{NBSP}"
    if first.relative:
        text += first.relative
        if general:
            text += ", soit environ " + _figures(general)
    else:
        text += _figures(general) if general else _figures(adjusted)
        if not general:
            adjusted = []
    by_ethnicity: dict[str, list[Threshold]] = {}
    for t in adjusted:
        by_ethnicity.setdefault(t.population.ethnicity or "", []).append(t)  # type: ignore[union-attr]
    for ethnicity, group in by_ethnicity.items():
        text += f" ({ethnicity} : " + ("environ " if first.relative else "") + _figures(group) + ")"
    if population and population.detail:
        text = f"{population.detail[0].upper()}{population.detail[1:]} : {text}"
    if first.meaning:
        text += f" — {first.meaning}"
    return text


def lines(thresholds: Iterable[Threshold], age_group: str | None) -> tuple[str, ...]:
    """Every rule that applies to the age band, in the order the author wrote them."""
    groups: dict[tuple, list[Threshold]] = {}
    for t in thresholds:
        if applies(t, age_group):
            groups.setdefault(_group_key(t), []).append(t)
    return tuple(line(items) for items in groups.values())


def for_question(question: Question, age_group: str | None) -> tuple[str, ...]:
    """The figures shown under a question's text."""
    return lines(question.thresholds, age_group)


def for_options(question: Question, age_group: str | None) -> dict[str, tuple[str, ...]]:
    """The figures shown beside each option that carries some, by option id."""
    out = {}
    for option in question.options:
        found = lines(option.thresholds, age_group)
        if found:
            out[option.id] = found
    return out


def for_answer(question: Question, value, age_group: str | None) -> tuple[str, ...]:
    """The figures that stand behind an answer, for the printed answers and the letter: the
    question's, then those of the option(s) chosen."""
    chosen = value if isinstance(value, (tuple, list, frozenset, set)) else (value,)
    found = list(for_question(question, age_group))
    for option in question.options:
        if option.id in chosen:
            found += lines(option.thresholds, age_group)
    return tuple(found)


__all__ = ["NBSP", "NNBSP", "applies", "for_answer", "for_options", "for_question", "line", "lines", "number",
           "quantity"]

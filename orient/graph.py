"""The decision map of a key: its questions and outcomes, drawn as a static SVG.

Pure (no Flask): the trainer's map page, the ``.svg`` download and ``orient graph`` all call
:func:`render_svg`. The drawing is generated server-side as plain SVG text (no JavaScript,
no library, system fonts), so it works offline, projects well and prints.

Layout, top to bottom: the title and a legend of urgency colours; the questions in declared
order (the age group first, as the wizard asks it), each with its ``ask_when`` condition;
then the outcomes in the order they are tried, each with its ``when`` condition in French,
coloured by urgency and joined by "sinon" arrows down to the explicit default.

Every label comes from YAML: every text node and attribute goes through ``escape`` /
``quoteattr`` (and loses XML-forbidden control characters), so the output is always
well-formed XML, whatever a rule author writes.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from .model import (
    ACTION_LABELS,
    AGE_QUESTION,
    URGENCY_LABELS,
    YES_NO,
    AnswerCondition,
    Condition,
    Key,
    Outcome,
    Question,
)

# Urgency colours: the stylesheet's tiers. White text on each is AA (contrast 6.1 to 8.1).
URGENCY_COLOURS: dict[str, str] = {
    "urgence": "#a4001d",
    "rapide": "#a34700",
    "programme": "#0b5cad",
    "surveillance": "#25603a",
}
INK = "#1b1b1b"
MUTED = "#4a4a4a"  # 8.9:1 on white
LINE = "#767676"   # box outlines: 4.5:1 on white, visible on a projector

SHORT_QUESTION = 48  # characters of a question's text quoted inside a condition


# --- conditions in French -------------------------------------------------------------------


@dataclass(frozen=True)
class Clause:
    """A condition rendered in French: a leaf sentence, or a heading with its sub-clauses."""

    text: str
    children: tuple[Clause, ...] = ()

    @property
    def is_leaf(self) -> bool:
        return not self.children


def shorten(text: str, width: int = SHORT_QUESTION) -> str:
    """``text`` cut at a word boundary, with an ellipsis when it was longer than ``width``."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    cut = text[:width].rsplit(" ", 1)[0].rstrip(" ,;:")
    return f"{cut}…"


def _fmt_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value).replace(".", ",")


class _Namer:
    """Names questions (``Q2 « Y a-t-il… »``) and answer values (option labels) for one key."""

    def __init__(self, key: Key):
        self.key = key
        self.numbers = {q.id: i for i, q in enumerate(key.consultation_questions, start=1)}

    def question(self, question_id: str) -> str:
        question = self.key.question(question_id)
        if question is None:
            return f"« {question_id} »"
        return f"Q{self.numbers[question_id]} « {shorten(question.text)} »"

    def value(self, question_id: str, value: str) -> str:
        question = self.key.question(question_id)
        if question is None:
            return value
        if question.kind == "yes_no":
            return YES_NO.get(value, value)
        option = question.option(value)
        return option.label if option is not None else value

    def leaf(self, cond: AnswerCondition) -> str:
        name = self.question(cond.answer)
        if cond.is_ is not None:
            return f"{name} = {self.value(cond.answer, cond.is_)}"
        if cond.in_ is not None:
            return f"{name} = " + " ou ".join(self.value(cond.answer, v) for v in cond.in_)
        if cond.includes is not None:
            return f"{name} comprend : {self.value(cond.answer, cond.includes)}"
        if cond.includes_any is not None:
            labels = [self.value(cond.answer, v) for v in cond.includes_any]
            if len(labels) == 1:
                return f"{name} comprend : {labels[0]}"
            return f"{name} comprend au moins un de : " + " ; ".join(labels)
        question = self.key.question(cond.answer)
        unit = f" {question.unit}" if question is not None and question.unit else ""
        bounds = [f"{sign} {_fmt_number(bound)}{unit}" for sign, bound in
                  ((">", cond.gt), ("≥", cond.ge), ("<", cond.lt), ("≤", cond.le)) if bound is not None]
        return f"{name} " + " et ".join(bounds)


def clause(key: Key, cond: Condition) -> Clause:
    """The French clause tree of a condition (leaves are one readable sentence each)."""
    return _clause(_Namer(key), cond)


def _clause(namer: _Namer, cond: Condition) -> Clause:
    return cond.outline(lambda leaf: Clause(namer.leaf(leaf)), Clause)


def condition_text(key: Key, cond: Condition) -> str:
    """One line: « Nécrose … ? » = Oui ET au moins 2 parmi (… ; …)."""
    return _inline(_Namer(key), cond, top=True)


def _inline(namer: _Namer, cond: Condition, top: bool = False) -> str:
    return cond.inline(namer.leaf, top=top)


# --- the map as data (also the page's text alternative) --------------------------------------


@dataclass(frozen=True)
class MapQuestion:
    number: int
    question: Question
    answers: str               # "Oui · Non · Je ne sais pas", or the unit and bounds
    ask_when: Clause | None
    ask_when_text: str | None


@dataclass(frozen=True)
class MapOutcome:
    number: int
    outcome: Outcome
    urgency_label: str
    action_label: str
    filiere_label: str | None
    when: Clause | None        # None: the explicit default
    when_text: str | None


@dataclass(frozen=True)
class DecisionMap:
    key: Key
    questions: tuple[MapQuestion, ...]
    outcomes: tuple[MapOutcome, ...]


def _answers_text(question: Question) -> str:
    if question.kind == "yes_no":
        return " · ".join(YES_NO.values())
    if question.kind in ("single", "multiple"):
        labels = " · ".join(o.label for o in question.options)
        return ("Plusieurs réponses possibles : " if question.kind == "multiple" else "") + labels
    if question.kind == "number":
        unit = f" {question.unit}" if question.unit else ""
        lo = _fmt_number(question.min) if question.min is not None else "?"
        hi = _fmt_number(question.max) if question.max is not None else "?"
        return f"Un nombre de {lo} à {hi}{unit}"
    return "Un département"


def decision_map(key: Key, filiere_names: Mapping[str, str] | None = None) -> DecisionMap:
    """The questions and outcomes of ``key``, numbered, with their conditions in French."""
    namer = _Namer(key)
    questions = tuple(
        MapQuestion(
            number=namer.numbers[q.id], question=q, answers=_answers_text(q),
            ask_when=_clause(namer, q.ask_when) if q.ask_when is not None else None,
            ask_when_text=_inline(namer, q.ask_when, top=True) if q.ask_when is not None else None)
        for q in key.consultation_questions)
    outcomes = tuple(
        MapOutcome(
            number=i, outcome=o, urgency_label=URGENCY_LABELS[o.urgency], action_label=ACTION_LABELS[o.action],
            filiere_label=(filiere_names or {}).get(o.filiere, o.filiere) if o.filiere else None,
            when=_clause(namer, o.when) if o.when is not None else None,
            when_text=_inline(namer, o.when, top=True) if o.when is not None else None)
        for i, o in enumerate(key.outcomes, start=1))
    return DecisionMap(key, questions, outcomes)


# --- drawing ---------------------------------------------------------------------------------

WIDTH = 1280
MARGIN = 32
PAD = 16
FONT = 16          # body text; nothing smaller than 14 anywhere
SMALL = 15
HEADING = 22
TITLE = 28
CHAR = 0.56        # average glyph width in em, a little generous, for wrapping
INDENT = 28
FONT_FAMILY = "system-ui, -apple-system, Segoe UI, Roboto, Helvetica Neue, Arial, sans-serif"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _x(text: str) -> str:
    """Text made safe for an XML text node."""
    return escape(_CONTROL.sub("", text))


def _a(text: str) -> str:
    """Text made safe (and quoted) for an XML attribute."""
    return quoteattr(_CONTROL.sub("", text))


def _wrap(text: str, width_px: float, size: int) -> list[str]:
    chars = max(12, int(width_px / (size * CHAR)))
    return textwrap.wrap(" ".join(text.split()), chars, break_long_words=True, break_on_hyphens=False) or [""]


@dataclass
class _Line:
    text: str
    dx: float = 0
    size: int = FONT
    weight: str = "normal"
    fill: str = INK


def _clause_lines(c: Clause, width: float, prefix: str, depth: int = 0) -> list[_Line]:
    """A clause tree as indented lines: headings, then bullets one level deeper."""
    indent = depth * INDENT
    hang = INDENT * 0.6 if depth else 0  # continuation lines of a bullet hang under its text
    head = f"{prefix}{c.text}" if depth == 0 else f"• {c.text}"
    lines = [_Line(part, dx=indent + (hang if i else 0))
             for i, part in enumerate(_wrap(head, width - indent - hang, FONT))]
    for child in c.children:
        lines.extend(_clause_lines(child, width, prefix, depth + 1))
    return lines


class _Canvas:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.y: float = MARGIN

    def text(self, x: float, y: float, line: _Line) -> None:
        weight = f' font-weight="{line.weight}"' if line.weight != "normal" else ""
        self.parts.append(f'<text x="{x + line.dx:.0f}" y="{y:.0f}" font-size="{line.size}" '
                          f'fill="{line.fill}"{weight}>{_x(line.text)}</text>')

    def rect(self, x: float, y: float, w: float, h: float, fill: str, stroke: str | None = None,
             stroke_width: float = 2) -> None:
        outline = f' stroke="{stroke}" stroke-width="{stroke_width}"' if stroke else ""
        self.parts.append(f'<rect x="{x:.0f}" y="{y:.0f}" width="{w:.0f}" height="{h:.0f}" rx="6" '
                          f'fill="{fill}"{outline}/>')

    def lines(self, x: float, lines: list[_Line]) -> None:
        for line in lines:
            self.y += line.size * 1.45
            self.text(x, self.y - line.size * 0.3, line)


def _block_height(lines: list[_Line]) -> float:
    return sum(line.size * 1.45 for line in lines)


def render_svg(key: Key, filiere_names: Mapping[str, str] | None = None, *, standalone: bool = True) -> str:
    """The decision map of ``key`` as SVG text (``standalone``: with the XML declaration and
    fixed width/height, for a file; otherwise for inline use in an HTML page)."""
    dmap = decision_map(key, filiere_names)
    uid = f"carte-{key.id}"
    inner = WIDTH - 2 * MARGIN
    box_text = inner - 2 * PAD
    c = _Canvas()

    # Title, reading guide, legend.
    c.lines(MARGIN, [_Line(part, size=TITLE, weight="bold")
                     for part in _wrap(f"Carte de décision : {key.title}", inner, TITLE)])
    c.y += 4
    guide = ("Les questions sont posées dans cet ordre, seulement si elles peuvent encore changer l'issue. "
             "Les issues sont essayées dans l'ordre : la première dont la condition est vraie l'emporte ; "
             "la dernière est l'issue par défaut.")
    c.lines(MARGIN, [_Line(part, fill=MUTED) for part in _wrap(guide, inner, FONT)])
    c.y += 12
    c.lines(MARGIN, [_Line("Légende : niveau d'urgence de l'issue", size=FONT, weight="bold")])
    c.y += 6
    column = inner / 2
    for row in range(2):
        top = c.y
        for col in range(2):
            urgency = list(URGENCY_COLOURS)[row * 2 + col]
            x = MARGIN + col * column
            c.rect(x, top, 28, 24, URGENCY_COLOURS[urgency])
            c.text(x + 38, top + 18, _Line(URGENCY_LABELS[urgency]))
        c.y = top + 34
    c.y += 14

    # Questions.
    c.lines(MARGIN, [_Line(f"Questions ({len(dmap.questions)})", size=HEADING, weight="bold")])
    c.y += 8
    for mq in dmap.questions:
        q = mq.question
        lines = [_Line(part, weight="bold") for part in _wrap(f"Q{mq.number}. {q.text}", box_text, FONT)]
        lines += [_Line(part, size=SMALL, fill=MUTED) for part in
                  _wrap(f"Réponses : {mq.answers}", box_text, SMALL)]
        if q is AGE_QUESTION:
            lines.append(_Line("Toujours posée en premier.", size=SMALL, fill=MUTED))
        elif mq.ask_when is not None:
            lines += _clause_lines(mq.ask_when, box_text, "Posée seulement si ")
        top = c.y
        height = _block_height(lines) + PAD
        c.parts.append(f'<g class="question" data-question={_a(q.id)}>')
        c.rect(MARGIN, top, inner, height, "#ffffff", LINE)
        c.y = top + PAD * 0.4
        c.lines(MARGIN + PAD, lines)
        c.parts.append("</g>")
        c.y = top + height + 10
    c.y += 14

    # Outcomes.
    c.lines(MARGIN, [_Line(f"Issues, dans l'ordre où elles sont essayées ({len(dmap.outcomes)})",
                           size=HEADING, weight="bold")])
    c.y += 8
    for index, mo in enumerate(dmap.outcomes):
        o = mo.outcome
        colour = URGENCY_COLOURS[o.urgency]
        head = [_Line(part, size=18, weight="bold", fill="#ffffff")
                for part in _wrap(f"{mo.number}. {o.title}", box_text, 18)]
        if mo.when is not None:
            body = _clause_lines(mo.when, box_text, "Si ")
        else:
            body = [_Line("Sinon : issue par défaut, quand aucune issue précédente ne s'applique.", weight="bold")]
        filiere = f" · Filière : {mo.filiere_label}" if mo.filiere_label else ""
        meta = f"{mo.urgency_label} · {mo.action_label}{filiere}"
        body += [_Line(part, size=SMALL, fill=MUTED) for part in _wrap(meta, box_text, SMALL)]
        top = c.y
        head_h = _block_height(head) + PAD * 0.8
        height = head_h + _block_height(body) + PAD
        c.parts.append(f'<g class="outcome" data-outcome={_a(o.id)} data-urgency={_a(o.urgency)}>')
        c.rect(MARGIN, top, inner, height, "#ffffff", colour, 3)
        c.rect(MARGIN, top, inner, head_h, colour)
        c.y = top + PAD * 0.3
        c.lines(MARGIN + PAD, head)
        c.y = top + head_h + PAD * 0.2
        c.lines(MARGIN + PAD, body)
        c.parts.append("</g>")
        c.y = top + height
        if index < len(dmap.outcomes) - 1:  # "sinon" arrow to the next outcome
            mid = MARGIN + 60
            c.parts.append(f'<line x1="{mid}" y1="{c.y:.0f}" x2="{mid}" y2="{c.y + 30:.0f}" '
                           f'stroke="{INK}" stroke-width="3"/>')
            c.parts.append(f'<polygon points="{mid - 8},{c.y + 26:.0f} {mid + 8},{c.y + 26:.0f} '
                           f'{mid},{c.y + 38:.0f}" fill="{INK}"/>')
            c.text(mid + 18, c.y + 26, _Line("sinon", weight="bold"))
            c.y += 42
        else:
            c.y += 10

    height = int(c.y + MARGIN)
    title = f"Carte de décision : {key.title}"
    desc = (f"{len(dmap.questions)} questions et {len(dmap.outcomes)} issues. {key.summary} "
            "Les issues sont colorées selon leur urgence : rouge, urgence ; orange, rapide ; "
            "bleu, programmé ; vert, surveillance.")
    size = f' width="{WIDTH}" height="{height}"' if standalone else ""
    svg_open = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}"{size} role="img" '
                f'aria-labelledby="{uid}-titre" aria-describedby="{uid}-desc" font-family={_a(FONT_FAMILY)} '
                f'class="decision-map-svg">')
    document = "\n".join([
        svg_open,
        f'<title id="{uid}-titre">{_x(title)}</title>',
        f'<desc id="{uid}-desc">{_x(desc)}</desc>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>',
        *c.parts,
        "</svg>",
    ])
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + document + "\n") if standalone else document

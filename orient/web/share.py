"""Orientation links (/o/<key>?r=...): share an orientation, come back to it, scan it from a letter.

The link is the consultation written as ids (orient/services/replay.py): nothing is stored on the
server, any worker can serve it, and it holds nothing a patient could be recognised by. Opening
it shows the orientation read-only (recomputed with the rules in force); "Reprendre dans
l'assistant" loads it into the session (a POST: a link opened by a colleague never overwrites a
consultation in progress by itself).
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from markupsafe import Markup

from orient.core.consultation import RESULT, Consultation
from orient.core.model import Key
from orient.core.ruleset import RuleSet
from orient.services.orientation import compose
from orient.services.replay import ReplayError, decode_replay, encode_consultation, split_departement
from orient.web import journey as journeys

bp = Blueprint("share", __name__)

# Ids and the few separators of the link stay readable (and short, for the QR code).
_SAFE = ":;+-_.,"


def _ruleset() -> RuleSet:
    return current_app.extensions["orient"]


def link_path(c: Consultation) -> str:
    """The path of the orientation link of a decided consultation."""
    encoded = encode_consultation(c.all_answers, c.path, c.departement)
    return url_for("share.shared", key_id=c.key.id) + "?r=" + quote(encoded, safe=_SAFE)


def absolute(path: str) -> str:
    """An absolute URL for paper and copy: the configured public address (ORIENT_PUBLIC_URL), else
    the request's own host, which ORIENT_TRUSTED_HOSTS has already vetted (security.py)."""
    base = current_app.config.get("PUBLIC_URL") or request.host_url.rstrip("/")
    return base + path


def qr_svg(url: str) -> Markup:
    """The URL as an inline SVG QR code (segno, error correction M: survives a fold or a smudge on
    paper). Dark modules only, no XML declaration: it sits inside the page."""
    import segno  # imported here: only the print page needs it, and it costs 20 ms at start

    code = segno.make(url, error="m", micro=False)
    # A viewBox and no fixed size: CSS gives it its printed size (``.letter-qr svg``); white
    # background and the standard four-module quiet zone so a phone finds it on any paper.
    svg = code.svg_inline(scale=1, border=4, dark="#000", light="#fff", omitsize=True)
    return Markup(svg.replace("<svg ", '<svg role="img" aria-label="QR code du lien vers cette orientation" ', 1))


def _read(key: Key) -> Consultation:
    try:
        answers = decode_replay(_ruleset(), key, request.values.get("r", ""))
    except ReplayError as exc:
        raise _LinkError(str(exc)) from None
    own, departement = split_departement(answers)
    c = Consultation.of(key, own)
    if departement is not None:
        c = c.locate(departement)
    if c.dropped:
        raise _LinkError("Ce lien contient des réponses hors du parcours : les réponses précédentes "
                         "ne conduisent pas à ces questions.")
    return c


class _LinkError(ValueError):
    pass


def _invalid(message: str):
    return render_template(
        "error.html", title="Lien d'orientation invalide",
        message=f"{message} Ce lien a peut-être été modifié ou tronqué, ou il vient d'une ancienne version "
                "des règles : refaites l'orientation depuis l'accueil.", resume=None), 400


def _linked(key_id: str) -> Consultation:
    """The consultation a link carries (404 for an unknown key; _LinkError for a bad link)."""
    key = _ruleset().keys.get(key_id)
    if key is None:
        abort(404)
    return _read(key)


@bp.get("/o/<key_id>")
def shared(key_id: str):
    ruleset = _ruleset()
    try:
        c = _linked(key_id)
    except _LinkError as exc:
        return _invalid(str(exc))
    key = c.key
    if not c.decided:
        return _invalid("Ce lien ne mène pas à une orientation : le parcours n'est pas terminé.")
    o = compose(ruleset, c.state, c.age_group, c.departement)
    return render_template("shared.html", o=o, key=key, answers=c.rows(ruleset.departement_names),
                           link=absolute(link_path(c)), r=request.args.get("r", ""))


@bp.post("/o/<key_id>")
def take_up(key_id: str):
    """Load the linked orientation into the session and continue in the wizard."""
    try:
        c = _linked(key_id)
    except _LinkError as exc:
        return _invalid(str(exc))
    journeys.load(c)
    target = "wizard.orientation" if c.can_visit(RESULT) else "wizard.check"
    return redirect(url_for(target, key_id=key_id), 303)

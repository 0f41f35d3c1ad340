"""The bodies of /api/v1 as pydantic models: what a request may hold, what a response holds.

One declaration serves three purposes. A request body is validated through its model (French
messages, stable codes); a response is built as a model and dumped field by field, in the
order declared here (the order of the JSON keys); and the OpenAPI document's component
schemas are generated from these models (``openapi.py``), so the document cannot drift
from what the API sends or accepts.

Conventions: a model's docstring is its description in the API document, in French (a
developer's note is a comment); a ``Field(description=...)`` is one property's. Response
models have an ``of(...)`` constructor from the engine's, the directory's or the search's
objects, so that a view only parses, asks and serialises. Nothing here imports Flask.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Annotated, Any, Literal, cast

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PrivateAttr,
    RootModel,
    StrictFloat,
    StrictInt,
    StrictStr,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.json_schema import GetJsonSchemaHandler, JsonSchemaValue, SkipJsonSchema
from pydantic_core import PydanticCustomError, core_schema
from typing_extensions import TypeAliasType

from orient.core import engine
from orient.core import model as rules
from orient.core.consultation import AnsweredQuestion as Answered
from orient.core.consultation import Consultation
from orient.core.diagnostics import suggest
from orient.core.model import (
    ACTION_LABELS,
    AGE_BANDS,
    AGE_QUESTION_ID,
    POPULATION_LABELS,
    SITE_TYPE_LABELS,
    SYSTEM_LABELS,
    URGENCY_LABELS,
    Action,
    AgeBand,
    Population,
    QuestionKind,
    ResourceKind,
    SiteType,
    System,
    Urgency,
)
from orient.core.ruleset import RuleSet
from orient.services.directory import Suggestion
from orient.services.orientation import NO_DEPARTEMENT
from orient.services.orientation import Orientation as Composed
from orient.services.search import Hit

# --- building blocks -------------------------------------------------------------------------


class RulesEnum:
    """Marks a string whose allowed values are the served rule set's (the départements): the
    document builder writes them in as an ``enum`` (``openapi.py``); the request validators
    check them against the same rule set (the validation context)."""

    MARK = "x-orient-enum"

    def __init__(self, name: str):
        self.name = name

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return {**handler(schema), self.MARK: self.name}


def _dump_condition(condition):  # no return annotation: the schema stays the rules' Condition union
    # As the rule files spell it: "is", "in", "not" (aliases), and no empty operator.
    return condition.model_dump(mode="json", by_alias=True, exclude_none=True)


# A condition of the rules, as data: a component of its own, named as before.
Condition = TypeAliasType("Condition", Annotated[rules.Condition, PlainSerializer(_dump_condition)])

# An answer as JSON spells it: an option id, "oui"/"non"/"nsp", a number, a département code, or a
# list of option ids. Strict: true/false are not numbers, 3 is not "3".
AnswerValue = TypeAliasType("AnswerValue", StrictStr | StrictInt | StrictFloat | list[StrictStr])
ANSWER_VALUE: TypeAdapter[Any] = TypeAdapter(AnswerValue)


class ApiModel(BaseModel):
    # A response holds exactly its fields (additionalProperties: false in the document).
    model_config = ConfigDict(extra="forbid")


# --- errors ------------------------------------------------------------------------------------

ErrorCode = Literal[
    "CLE_INCONNUE", "QUESTION_INCONNUE", "REPONSE_INVALIDE", "REQUETE_INVALIDE", "PARCOURS_INCOMPLET",
    "NON_TROUVE", "METHODE_NON_PERMISE", "REQUETE_TROP_VOLUMINEUSE", "TYPE_NON_PRIS_EN_CHARGE", "ERREUR_INTERNE",
]


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


class ErrorDetail(ApiModel):
    code: ErrorCode
    message: str = Field(description="Message en français.")
    # Present only when it applies, never null (dumped with exclude_unset): no default in the schema.
    question: str | SkipJsonSchema[None] = Field(default=None, description="La question en cause, le cas échéant.",
                                                 json_schema_extra=_no_default)
    parameter: str | SkipJsonSchema[None] = Field(default=None, description="Le paramètre en cause, le cas échéant.",
                                                  json_schema_extra=_no_default)


class Error(ApiModel):
    error: ErrorDetail


# --- keys and questions -----------------------------------------------------------------------


class FiliereRef(ApiModel):
    id: str
    acronym: str
    name: str

    @classmethod
    def all_of(cls, ruleset: RuleSet, ids: Iterable[str]) -> list[FiliereRef]:
        """The filières named by ``ids`` that exist, in that order."""
        return [cls(id=f.id, acronym=f.acronym, name=f.name) for f in (ruleset.filieres.get(i) for i in ids) if f]


class KeySummary(ApiModel):
    id: str
    title: str
    summary: str
    system: System
    system_label: str
    ages: list[AgeBand]
    filieres: list[FiliereRef]
    url: str

    @classmethod
    def of(cls, key: rules.Key, ruleset: RuleSet, url: str) -> KeySummary:
        return cls(**cls._summary(key, ruleset, url))

    @staticmethod
    def _summary(key: rules.Key, ruleset: RuleSet, url: str) -> dict[str, Any]:
        return {"id": key.id, "title": key.title, "summary": key.summary, "system": key.system,
                "system_label": SYSTEM_LABELS[key.system], "ages": list(key.ages),
                "filieres": FiliereRef.all_of(ruleset, key.filieres), "url": url}


class KeyList(ApiModel):
    rules_version: str
    keys: list[KeySummary]


class Option(ApiModel):
    id: str
    label: str
    hint: str | None


def question_options(question: rules.Question, ruleset: RuleSet) -> list[Option]:
    """The answers a question offers, as each question kind lists them."""
    departements = [(d.code, d.label) for d in ruleset.departements_in_order]
    return [Option(id=code, label=label, hint=hint) for code, label, hint in question.offered_answers(departements)]


class Question(ApiModel):
    """Une question. « ask_when » : condition d'affichage, en données (jamais en code)."""

    id: str
    kind: QuestionKind
    text: str
    hint: str | None
    hint_items: list[str]
    options: list[Option]
    unit: str | None
    min: float | None
    max: float | None
    integer: bool
    ask_when: Condition | None

    @classmethod
    def of(cls, question: rules.Question, ruleset: RuleSet) -> Question:
        return cls(id=question.id, kind=question.kind, text=question.text, hint=question.hint,
                   hint_items=list(question.hint_items), options=question_options(question, ruleset),
                   unit=question.unit, min=question.min, max=question.max, integer=question.integer,
                   ask_when=question.ask_when)


class OutcomeSummary(ApiModel):
    id: str
    title: str
    action: Action
    urgency: Urgency
    filiere: str | None
    default: bool
    when: Condition | None

    @classmethod
    def of(cls, outcome: rules.Outcome) -> OutcomeSummary:
        return cls(id=outcome.id, title=outcome.title, action=outcome.action, urgency=outcome.urgency,
                   filiere=outcome.filiere, default=outcome.when is None, when=outcome.when)


class Key(KeySummary):
    authored_by: str
    reviewed_on: dt.date
    review_due: dt.date
    sources: list[rules.Source]
    questions: list[Question]
    outcomes: list[OutcomeSummary]
    rules_version: str

    @classmethod
    def of(cls, key: rules.Key, ruleset: RuleSet, url: str) -> Key:
        return cls(**cls._summary(key, ruleset, url), authored_by=key.authored_by, reviewed_on=key.reviewed_on,
                   review_due=key.review_due, sources=list(key.sources),
                   questions=[Question.of(q, ruleset) for q in key.consultation_questions],
                   outcomes=[OutcomeSummary.of(o) for o in key.outcomes], rules_version=ruleset.version)


# --- evaluation requests -----------------------------------------------------------------------

EVALUATION_FIELDS = ("answers", "age_group", "departement")
ANSWERS_DESCRIPTION = (
    "Réponses par identifiant de question : « oui »/« non »/« nsp », un identifiant d'option (« nsp » : "
    "je ne sais pas), une liste d'options (choix multiple : [] ou [\"aucun\"] = aucun de ces signes ; "
    "« nsp » dans la liste = les signes non cités n'ont pas été recherchés), un nombre ou « nsp », un code "
    "de département. null : aucune réponse.")


def _refused(code: str, message: str, **details: str) -> PydanticCustomError:
    # The stable code is the error's type; the French message and the details travel in its context.
    return PydanticCustomError(code, "{message}", {"message": message, **details})


def _invalid_answer(question_id: str, message: str) -> PydanticCustomError:
    return _refused("REPONSE_INVALIDE", message, question=question_id)


def _fits_float(number: int) -> bool:
    try:
        float(number)
    except OverflowError:  # a JSON integer of hundreds of digits
        return False
    return True


class EvaluationContext:
    """What a request is validated against: the key named in the path and the rule set."""

    def __init__(self, key: rules.Key, ruleset: RuleSet):
        self.key = key
        self.ruleset = ruleset


# What a refusal of pydantic's own (a wrong type, an unknown field) says, by field.
REFUSALS: dict[str, tuple[str, str, dict[str, str]]] = {
    "answers": ("REQUETE_INVALIDE", "« answers » doit être un objet : identifiant de question -> réponse.", {}),
    "age_group": ("REPONSE_INVALIDE", "Tranche d'âge inconnue. Valeurs permises : " + ", ".join(AGE_BANDS) + ".",
                  {"question": AGE_QUESTION_ID}),
    "departement": ("REPONSE_INVALIDE", "Département inconnu : indiquez un code (« 13 », « 2A », « 974 ») "
                                        "ou « nsp ».", {"question": "departement"}),
}


class EvaluationRequest(ApiModel):
    # Validated with an EvaluationContext. Refusals in the order a reader fixes them: an unknown
    # field, « answers » not an object, two age groups, the age group, the département, then the
    # answers one by one in the order sent (unknown question, unreadable value, value refused by
    # its question): the first refusal is the one answered (``refusal``).
    answers: dict[str, AnswerValue] | None = Field(default=None, description=ANSWERS_DESCRIPTION)
    age_group: AgeBand | None = None
    departement: Annotated[str, RulesEnum("departement_answers")] | None = None

    @model_validator(mode="before")
    @classmethod
    def _age_group_from_answers(cls, data: Any) -> Any:
        """The age group may also travel in ``answers`` under its question id (as replay links and
        scenarios write it): moved to ``age_group``, refused when the two differ."""
        if not isinstance(data, dict) or not isinstance(data.get("answers"), dict) \
                or AGE_QUESTION_ID not in data["answers"]:
            return data
        answers = dict(data["answers"])
        age = answers.pop(AGE_QUESTION_ID)
        # Raising here would hide every other refusal: not when an unknown field is there to be named first.
        if data.get("age_group") is not None and age != data["age_group"] and set(data) <= set(EVALUATION_FIELDS):
            raise _refused("REQUETE_INVALIDE", "Deux tranches d'âge différentes : dans « age_group » et dans "
                                               "« answers ».")
        return {**data, "answers": answers, "age_group": age}

    @field_validator("answers", mode="wrap")
    @classmethod
    def _answers_one_by_one(cls, value: Any, handler: Any) -> Any:
        # Only "an object (or null)" here; each answer is read in ``_typed_answers``, in the order
        # sent, so that the first faulty one is named whatever its fault.
        return dict(value) if isinstance(value, dict) else handler(value)

    @field_validator("departement")
    @classmethod
    def _known_departement(cls, value: str | None, info: ValidationInfo) -> str | None:
        context = info.context
        if value is not None and isinstance(context, EvaluationContext) \
                and value != NO_DEPARTEMENT and value not in context.ruleset.departements:
            raise ValueError("département inconnu")
        return value

    @model_validator(mode="after")
    def _typed_answers(self, info: ValidationInfo) -> EvaluationRequest:
        context = info.context
        if isinstance(context, EvaluationContext):
            self._typed = {qid: self._typed_answer(context, qid, raw) for qid, raw in (self.answers or {}).items()}
        return self

    @staticmethod
    def _typed_answer(context: EvaluationContext, qid: str, raw: Any) -> engine.Value:
        key = context.key
        question = key.question(qid)
        if question is None:
            hint = suggest(qid, [q.id for q in key.questions])
            raise _refused("QUESTION_INCONNUE", f"Question « {qid[:80]} » inconnue dans cette clé."
                           + (f" Vouliez-vous dire « {hint} » ?" if hint else ""), question=qid[:80])
        try:
            ANSWER_VALUE.validate_python(raw)
        except ValidationError:
            raise _invalid_answer(qid, "Réponse illisible : une chaîne, un nombre ou une liste de chaînes "
                                       "est attendu.") from None
        if isinstance(raw, int) and not _fits_float(raw):
            raise _invalid_answer(qid, "Nombre hors des bornes permises.")
        try:
            return engine.normalise(question, raw, context.ruleset.departements)
        except engine.InvalidAnswer as exc:
            raise _invalid_answer(qid, exc.message) from None

    _typed: dict[str, engine.Value] = PrivateAttr(default_factory=dict)

    @property
    def typed_answers(self) -> dict[str, engine.Value]:
        """The answers as the engine reads them (the age group apart)."""
        return self._typed

    @classmethod
    def refusal(cls, error: ValidationError) -> tuple[str, str, dict[str, str]]:
        """(code, French message, details) of the refusal a client should fix first."""

        def rank(e: Any) -> int:
            if e["type"] == "extra_forbidden":
                return 0
            return (*EVALUATION_FIELDS, None).index(e["loc"][0] if e["loc"] else None) + 1

        first = min(error.errors(include_url=False), key=rank)
        if first["type"] == "extra_forbidden":
            return ("REQUETE_INVALIDE", f"Champ inconnu : « {str(first['loc'][0])[:80]} ». Champs permis : "
                    + ", ".join(EVALUATION_FIELDS) + ".", {})
        if isinstance(first.get("ctx"), dict) and "message" in first["ctx"]:  # one of ours
            details = {k: str(v) for k, v in first["ctx"].items() if k != "message"}
            return first["type"], first["ctx"]["message"], details
        return REFUSALS[str(first["loc"][0])]


class FhirResponseRequest(EvaluationRequest):
    # Documented only: the FHIR export reads its body as an EvaluationRequest, then refuses an
    # unfinished journey (PARCOURS_INCOMPLET) itself, a missing age group included.
    answers: dict[str, AnswerValue] | None = Field(default=None, description="Comme pour « evaluer ».")
    age_group: AgeBand = Field(description="La tranche d'âge : un parcours terminé la connaît toujours.")


# --- evaluation responses ------------------------------------------------------------------------


class PathStep(ApiModel):
    question: str
    text: str
    value: AnswerValue
    answer: str


def path_of(c: Consultation, ruleset: RuleSet) -> list[PathStep]:
    values = c.all_answers
    return [PathStep.model_validate({"question": row.question_id, "text": row.text, "answer": row.answer,
                                     "value": engine.to_storable(values[row.question_id])})
            for row in c.rows(ruleset.departement_names)]


class AnsweredQuestion(ApiModel):
    question: str
    text: str
    answer: str

    @classmethod
    def all_of(cls, rows: Iterable[Answered]) -> list[AnsweredQuestion]:
        return [cls(question=a.question_id, text=a.text, answer=a.answer) for a in rows]


class NetworkRef(ApiModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    acronym: str | None
    scope: str


class ContactRoute(ApiModel):
    model_config = ConfigDict(from_attributes=True)

    label: str
    whose: Literal["site", "network", "filiere"]
    phone: str | None
    url: str | None


class Centre(ApiModel):
    id: str
    name: str
    network: NetworkRef | None
    hospital: str | None
    service: str | None
    city: str
    departement: str
    filiere: str
    type: SiteType
    type_label: str
    population: Population
    population_label: str
    phone: str | None
    web: str | None
    contact: list[ContactRoute]
    to_confirm: bool = Field(description="Vrai quand la source du site précède la labellisation de 2023 ou que "
                                         "le site n'a pas de contact propre : à confirmer avant d'adresser.")
    fits: bool = Field(description="Le site appartient à un réseau adapté à l'orientation.")
    source: str
    seen_year: int | None
    distance_km: float | None
    distance_label: str | None

    @classmethod
    def of(cls, s: Suggestion) -> Centre:
        # One validation from a mapping; the network and the contact routes are read by attribute.
        centre, network = s.centre, s.network
        return cls.model_validate({
            "id": centre.id, "name": network.label if network else centre.network, "network": network,
            "hospital": centre.hospital, "service": centre.service, "city": centre.city,
            "departement": centre.departement, "filiere": centre.filiere, "type": centre.site_type,
            "type_label": SITE_TYPE_LABELS[centre.site_type], "population": s.population,
            "population_label": POPULATION_LABELS[s.population], "phone": centre.phone, "web": centre.web,
            "contact": s.routes, "to_confirm": s.to_confirm, "fits": s.fits, "source": centre.source,
            "seen_year": centre.seen_year, "distance_km": None if s.distance_km is None else round(s.distance_km, 1),
            "distance_label": s.distance_label})


class Network(ApiModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    filiere: str
    name: str
    acronym: str | None
    scope: str
    pnds: list[str]
    population: Population
    web: str | None
    contact_url: str | None
    phone: str | None
    source: str
    label_period: str | None


class Link(ApiModel):
    model_config = ConfigDict(from_attributes=True)

    label: str
    url: str


class PndsRef(ApiModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    title: str
    url: str
    year: int | None


class Resource(ApiModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: ResourceKind
    name: str
    description: str
    url: str | None
    phone: str | None


class OpenFlag(ApiModel):
    outcome: str
    title: str
    urgency: Urgency
    red_flag: bool
    signs: list[str]
    check: str | None
    if_unchecked: str | None


class KeyRef(ApiModel):
    id: str
    title: str


class OrientationOutcome(ApiModel):
    id: str
    title: str
    action: Action
    action_label: str
    urgency: Urgency
    urgency_label: str
    emergency_route: list[Resource]
    orphanet_urgences: str | None
    rationale: str
    tests: list[str]
    do_now: list[str]
    refer_if: str | None
    reevaluate_if: str | None
    safeguarding: str | None


class FiliereDetail(ApiModel):
    id: str
    acronym: str
    name: str
    scope: str
    website: str
    contact_url: str | None
    ern: list[str]


class RuledOut(ApiModel):
    outcome: str
    title: str
    because: list[AnsweredQuestion]


class Explanation(ApiModel):
    because: list[AnsweredQuestion]
    ruled_out: list[RuledOut]


class Orientation(ApiModel):
    key: KeyRef
    outcome: OrientationOutcome
    filiere: FiliereDetail | None
    networks: list[Network]
    centres: list[Centre]
    other_centres: list[Centre]
    centres_scope: str
    far: bool = Field(description="Vrai quand le site adapté le plus proche est à plus de 200 km, hors du "
                                  "territoire pour un patient d'outre-mer, ou absent de l'annuaire.")
    pnds: list[PndsRef]
    orphanet: list[Link]
    regional_resources: list[Resource]
    national_resources: list[Resource]
    emergency_resource: Resource | None
    # What "je ne sais pas" left open: red flags to check today come first. When the decided
    # outcome is reassuring and anything is open, it must not be read as reassurance.
    reassurance_withheld: bool = Field(description="Vrai quand l'issue retenue rassure alors que des réponses "
                                                   "« je ne sais pas » laissent des pistes ouvertes : ne pas "
                                                   "rassurer.")
    result_urgency: Urgency
    result_urgency_label: str
    unchecked: list[OpenFlag]
    answers: list[AnsweredQuestion]
    explanation: Explanation
    sources: list[rules.Source]
    authored_by: str
    reviewed_on: dt.date
    review_due: dt.date
    age_group: AgeBand | None
    age_label: str | None
    departement: str | None
    departement_label: str | None
    rules_version: str

    @classmethod
    def of(cls, o: Composed, age_group: str | None, departement: str | None) -> Orientation:
        outcome, filiere = o.outcome, o.filiere
        resources = Resource.model_validate
        return cls.model_validate({
            "key": KeyRef(id=o.key.id, title=o.key.title),
            "outcome": OrientationOutcome(
                id=outcome.id, title=outcome.title, action=outcome.action, action_label=ACTION_LABELS[outcome.action],
                urgency=outcome.urgency, urgency_label=URGENCY_LABELS[outcome.urgency],
                emergency_route=[resources(r) for r in o.emergency_route],
                orphanet_urgences=outcome.orphanet_urgences, rationale=outcome.rationale, tests=list(outcome.tests),
                do_now=list(outcome.do_now), refer_if=outcome.refer_if, reevaluate_if=outcome.reevaluate_if,
                safeguarding=outcome.safeguarding),
            "filiere": None if filiere is None else FiliereDetail(
                id=filiere.id, acronym=filiere.acronym, name=filiere.name, scope=filiere.scope,
                website=filiere.website, contact_url=filiere.contact_url, ern=list(filiere.ern)),
            "networks": [Network.model_validate(n) for n in o.networks],
            "centres": [Centre.of(s) for s in o.centres],
            "other_centres": [Centre.of(s) for s in o.other_centres],
            "centres_scope": o.centres_scope,
            "far": o.far,
            "pnds": [PndsRef.model_validate(p) for p in o.pnds],
            "orphanet": [Link.model_validate(link) for link in o.orphanet],
            "regional_resources": [resources(r) for r in o.regional],
            "national_resources": [resources(r) for r in o.resources],
            "emergency_resource": resources(o.emergency_resource) if o.emergency_resource else None,
            "reassurance_withheld": o.reassurance_withheld,
            "result_urgency": o.urgency,
            "result_urgency_label": o.urgency_label,
            "unchecked": [OpenFlag(outcome=f.outcome.id, title=f.outcome.title, urgency=f.outcome.urgency,
                                   red_flag=f.check is not None, signs=list(f.signs), check=f.check,
                                   if_unchecked=f.if_unchecked) for f in o.unchecked],
            "answers": AnsweredQuestion.all_of(o.answers),
            "explanation": Explanation(
                because=AnsweredQuestion.all_of(o.why.because),
                ruled_out=[RuledOut(outcome=out.id, title=out.title, because=AnsweredQuestion.all_of(reasons))
                           for out, reasons in o.why.ruled_out]),
            "sources": list(o.why.sources),
            "authored_by": o.key.authored_by,
            "reviewed_on": o.key.reviewed_on,
            "review_due": o.key.review_due,
            "age_group": age_group,
            "age_label": o.age_label,
            "departement": departement,
            "departement_label": o.departement_label,
            "rules_version": o.rules_version,
        })


class QuestionStep(ApiModel):
    status: Literal["question"]
    question: Question
    path: list[PathStep]
    dropped: list[str]


class OrientationStep(ApiModel):
    status: Literal["orientation"]
    orientation: Orientation
    path: list[PathStep]
    dropped: list[str]


class Evaluation(RootModel[Annotated[QuestionStep | OrientationStep, Field(discriminator="status")]]):
    """La prochaine question, ou l'orientation. « dropped » : réponses envoyées mais hors du parcours (ignorées)."""


# --- directory and diseases ---------------------------------------------------------------------

DIRECTORY_FILTERS = ("filiere", "region", "departement", "type", "age")


class DirectoryFilters(ApiModel):
    filiere: Annotated[str, RulesEnum("filieres")] | None
    region: Annotated[str, RulesEnum("regions")] | None
    departement: Annotated[str, RulesEnum("departements")] | None
    type: SiteType | None
    age: AgeBand | None


class Directory(ApiModel):
    filters: DirectoryFilters
    count: int
    total: int
    centres: list[Centre]
    rules_version: str


# The API's index holds no Orphanet entity (no nomenclature loaded): three kinds of the search's four.
ApiEntryKind = Literal["pnds", "mention", "cle"]


class SearchResult(ApiModel):
    id: str
    kind: ApiEntryKind
    name: str
    matched: str
    score: float
    filieres: list[FiliereRef]
    pnds: PndsRef | None
    orphanet: list[Link]
    key: str | None
    page: str

    @classmethod
    def of(cls, hit: Hit, ruleset: RuleSet, page: str) -> SearchResult:
        entry = hit.entry
        pnds = ruleset.pnds.get(entry.pnds or "")
        return cls(id=entry.id, kind=cast(ApiEntryKind, entry.kind), name=entry.name, matched=hit.matched,
                   score=hit.score,
                   filieres=FiliereRef.all_of(ruleset, entry.filieres),
                   pnds=None if pnds is None else PndsRef.model_validate(pnds),
                   orphanet=[Link(label=f"Fiche Orphanet ORPHA:{code}", url=ruleset.orphanet_url(code))
                             for code in entry.orpha],
                   key=entry.key, page=page)


class SearchResults(ApiModel):
    query: str
    count: int
    results: list[SearchResult]


# --- documented only: FHIR resources and this document ---------------------------------------------
# Built by orient.exports.fhir and openapi.py as plain JSON; described here by the parts a client relies on.


class FhirQuestionnaire(BaseModel):
    """Questionnaire FHIR R4 (profil SDC)."""

    model_config = ConfigDict(extra="allow")

    resourceType: Literal["Questionnaire"]  # FHIR's spelling
    url: str
    item: list[dict[str, Any]]


class FhirQuestionnaireResponse(BaseModel):
    """QuestionnaireResponse FHIR R4 d'un parcours terminé."""

    model_config = ConfigDict(extra="allow")

    resourceType: Literal["QuestionnaireResponse"]  # FHIR's spelling
    status: Literal["completed"]
    questionnaire: str
    item: list[dict[str, Any]]


class OpenApi(BaseModel):
    model_config = ConfigDict(extra="allow")

    openapi: str
    paths: dict[str, Any]


# Every component of the document, with the mode its schema is generated in.
REQUESTS: tuple[type[BaseModel], ...] = (EvaluationRequest, FhirResponseRequest)
RESPONSES: tuple[type[BaseModel], ...] = (
    Error, KeyList, Key, Evaluation, Directory, SearchResults, FhirQuestionnaire, FhirQuestionnaireResponse, OpenApi)


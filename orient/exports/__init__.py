"""The rules and answers in other formats: FHIR R4 SDC (Questionnaire, QuestionnaireResponse),
the decision map (SVG) and the JSON Schemas editors use. The API's OpenAPI document is generated
beside the API (orient/web/api/openapi.py), from the same pydantic models that validate it."""

"""The rules and what they mean: the typed model, the YAML loader and its French diagnostics,
the checks, the pure engine (three-valued walk, explorer), the consultation flow, the referral
letter's statements, the age-band alerts, the thresholds and the Orphanet mapping. Nothing here
imports a web framework (tests/test_engine.py); services, exports, authoring and web build on it.

One exception to "core imports nothing else of orient": the optional check of the Orphanet
mapping against a nomenclature reads it with ``services.nomenclature`` and compares names with
``services.search.normalise_text``.
"""

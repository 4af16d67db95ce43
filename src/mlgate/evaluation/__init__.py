"""The model gate: the pull request's model against main's on the same evaluation rows.

``metrics`` scores predictions with ``sklearn.metrics``; ``paired`` compares two models'
per-row predictions with a non-inferiority test (exact McNemar, DeLong, paired
bootstrap, Holm); ``predictions`` gets per-row predictions from a saved model, a spec
entrypoint or a predictions file; ``baseline`` saves and caches main's predictions;
``gate`` turns all of it into findings.
"""

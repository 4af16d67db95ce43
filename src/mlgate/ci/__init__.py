"""GitHub integration: the pull request comment, the job summary fallback, annotations.

``mlgate.ci.github`` posts a report as one PR comment (``mlgate comment``);
``mlgate.ci.github_api`` is the small REST client it uses. Both use only the standard
library, so nothing here adds a dependency or slows down ``import mlgate``.
"""

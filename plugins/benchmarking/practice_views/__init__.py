"""The practice log, its evidence, the catalogue, the funnel, follow-ups and group reports.

One blueprint (`benchmarking_practices`, in `blueprint.py`); each module here is one section of it and
adds its routes on import, so importing this package registers them all.
"""

from __future__ import annotations

from plugins.benchmarking.practice_views import (  # noqa: F401  (each section adds its routes to bp)
    catalogue,
    files,
    followup,
    group_reports,
    implementation,
    kinds,
    mentors,
    reporting,
    writing,
)
from plugins.benchmarking.practice_views.blueprint import bp

__all__ = ["bp"]

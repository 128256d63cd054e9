"""Can the configured policy be met? One answer for ``config check``, ``edge doctor`` and start-up.

For every configured backend, the threshold it would use for ``access.max_false_accept`` over
the people enrolled now, and the 1:N rate that threshold really stands for. A backend whose
rate is above the policy (and above ``access.accept_false_accept_up_to``, when set) grants
nobody at run time (``policy_unreachable``); here it becomes a line that says why and what to do.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from edge.config.settings import Settings
from edge.identify.local.calibration import load_calibration
from edge.identify.local.policy import count_people, policy_threshold
from edge.identify.local.site import read_site_calibration
from edge.identify.plugin import BuildContext
from edge.identify.registry import plugin_for
from edge.identify.thresholds import policy_allows

HINT = ("raise access.max_false_accept, set access.accept_false_accept_up_to to accept a weaker rate, "
        "or give the site calibration more faces (calibration.cohort_folder, 'edge calibrate --site')")


def enrolled_people(gallery: Path) -> int:
    """People with at least one face in the gallery file (0 when there is none yet)."""
    if not gallery.exists():
        return 0
    db = sqlite3.connect(gallery.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        return int(db.execute("SELECT count(DISTINCT person_id) FROM faces").fetchone()[0])
    finally:
        db.close()


def backend_rates(settings: Settings) -> dict[str, tuple[float, str]]:
    """Backend type -> (the 1:N rate its threshold for the policy stands for, how it was found)."""
    from edge.identify.factory import build_backend  # the cloud clients only when configured

    policy = settings.access.max_false_accept
    people = max(1, enrolled_people(settings.gallery_path))
    site = read_site_calibration(settings.site_calibration_path) if settings.calibration.enabled else None
    rates: dict[str, tuple[float, str]] = {}
    for config in settings.identify.backends:
        if plugin_for(config.type).cloud:
            threshold = build_backend(config, BuildContext(settings)).threshold(policy, people)
            rates[config.type] = (threshold.far, f"the {threshold.calibration} table gives "
                                                 f"{threshold.score:g} for a 1:N rate of "
                                                 f"{threshold.far:.2g} over {count_people(people)}")
        else:  # the local table and the site's, read from their files (no gallery opened)
            cut = policy_threshold(load_calibration(settings.identify.local.calibration, settings.vision),
                                   site, policy, people)
            rates[config.type] = (cut.fpir, cut.describe())
    return rates


def policy_problems(settings: Settings) -> list[str]:
    """One line per backend that cannot meet the policy (empty when every one can)."""
    access = settings.access
    return [f"access.max_false_accept: {access.max_false_accept:g} cannot be met by the {name} backend "
            f"({how}); it lets nobody in: {HINT}"
            for name, (far, how) in backend_rates(settings).items()
            if not policy_allows(far, access.max_false_accept, access.accept_false_accept_up_to)]

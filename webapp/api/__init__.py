"""The JSON API under /api, authenticated by personal bearer tokens, described by /api/openapi.json."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")

from . import views  # noqa: E402,F401  (routes register on bp)
from . import award_history  # noqa: E402,F401
from . import campaign_views  # noqa: E402,F401  (campaign administration routes)
from . import documents  # noqa: E402,F401  (dossier documents, uploads, the complete dossier)
from . import forms  # noqa: E402,F401  (the form registry)
from . import supervision  # noqa: E402,F401  (the supervisors' dashboard, interventions, exports)
from . import supervision_charts  # noqa: E402,F401  (the dashboard's heat map and charts data)
from . import processes  # noqa: E402,F401  (process owners: versions, drafts, publishing; case diagrams)
from . import inbox  # noqa: E402,F401  (assign, bulk, delegations, comments)

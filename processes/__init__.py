"""TĐKT Flow core: models, the workflow engine wrapper and the case verbs. No Flask here."""

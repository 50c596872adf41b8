"""Import path for the benchmark scripts: the project root in, the bench folder itself out.

Python puts a script's folder first on sys.path; with bench/http.py there, `import http.client` (used by
requests) would find our script instead of the standard library.
"""
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

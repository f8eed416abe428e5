"""The engine stays free of web frameworks and of the other packages."""

import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("flask", "wtforms", "sqlalchemy", "lms", "modules", "xapi")


def test_importing_assessments_loads_no_framework() -> None:
    """Import the package in a fresh interpreter and check what came along."""
    code = (
        "import assessments, sys; "
        "assert assessments.__file__, 'not the real package'; "
        "assert 'flask' not in sys.modules; "
        f"loaded = [name for name in {FORBIDDEN!r} if name in sys.modules]; "
        "assert not loaded, loaded"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=PROJECT_ROOT)

"""bangfu: the archive of needy worker households, as a static site over git-backed records."""

from __future__ import annotations

import os
from pathlib import Path

__version__ = "0.1.0"

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"
# The program's schema/, mkdocs.yml, docs/ and sample records/_settings/, by their paths in the repository:
# a built package carries copies in generator/_shipped/ (setup.py); a source checkout or an editable install
# reads the repository itself.
_SHIPPED = PACKAGE_DIR / "_shipped"
RESOURCES = _SHIPPED if _SHIPPED.is_dir() else PACKAGE_DIR.parent

# Replace objects (refs/replace/*) make git show one commit, tree or blob in place of another: anyone who
# can push a ref could make the hook, the audit and the history read a harmless commit where an
# unapproved one sits. Every git process bangfu starts (gitpython copies os.environ at each call,
# subprocess inherits it) reads the objects as they are.
os.environ["GIT_NO_REPLACE_OBJECTS"] = "1"

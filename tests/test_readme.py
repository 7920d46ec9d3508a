"""The README documents every setting the code reads, and documents nothing that does not exist."""

from __future__ import annotations

import re

from signon import ROOT
from signon.config import DEFAULTS

# Read by libraries rather than by signon's own code, and documented because people set them.
READ_BY_LIBRARIES = {"FLASK_DEBUG", "WEB_CONCURRENCY"}  # WEB_CONCURRENCY: gunicorn, and its conf

_ENV_READ = re.compile(r"""os\.(?:environ\.get\(|environ\[|getenv\()\s*["']([A-Z][A-Z0-9_]*)["']""")


def documented_settings() -> set[str]:
    """The variables named in the first column of the README's configuration table."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            first_column = line.split("|")[1]
            names.update(re.findall(r"`([A-Z][A-Z0-9_]*)`", first_column))
    return names


def settings_in_code() -> set[str]:
    names = {f"SIGNON_{key}" for key in DEFAULTS}
    for path in (ROOT / "signon").rglob("*.py"):
        names.update(_ENV_READ.findall(path.read_text(encoding="utf-8")))
    return names | READ_BY_LIBRARIES


def test_the_scan_finds_environment_reads():
    assert "DATABASE_URL" in settings_in_code()
    assert _ENV_READ.findall('x = os.getenv("A_B") or os.environ["C"]') == ["A_B", "C"]


def test_readme_documents_every_setting_and_only_real_ones():
    documented, in_code = documented_settings(), settings_in_code()
    assert len(documented) > 40
    missing = sorted(in_code - documented)
    unknown = sorted(documented - in_code)
    assert not missing, f"settings the README's Configuration table does not document: {missing}"
    assert not unknown, f"the README documents settings the code does not read: {unknown}"

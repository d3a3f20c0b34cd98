import re
from pathlib import Path

import testimonia

PACKAGE = Path(testimonia.__file__).resolve().parent
DOC = PACKAGE.parents[1] / "docs" / "configuration.md"
VARIABLE = re.compile(r"\bTESTIMONIA_[A-Z0-9_]+\b")


def variables_read_by_the_code():
    found = set()
    for path in PACKAGE.rglob("*.py"):
        found |= set(VARIABLE.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_setting_is_documented():
    documented = set(re.findall(r"^### `(TESTIMONIA_[A-Z0-9_]+)`", DOC.read_text(), re.M))
    # Django settings names that are not environment variables:
    internal = {"TESTIMONIA_STORAGE_ROOT"}
    missing = variables_read_by_the_code() - documented - internal
    assert missing == set(), f"document these in docs/configuration.md: {sorted(missing)}"


def test_the_documentation_names_no_variable_the_code_does_not_read():
    documented = set(re.findall(r"^### `(TESTIMONIA_[A-Z0-9_]+)`", DOC.read_text(), re.M))
    assert documented - variables_read_by_the_code() == set()


def test_the_cli_reference_is_up_to_date():
    from testimonia.cli_reference import render

    current = (PACKAGE.parents[1] / "docs" / "cli.md").read_text(encoding="utf-8")
    assert current == render(), "regenerate: python -m testimonia.cli_reference > docs/cli.md"

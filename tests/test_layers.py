"""The apps point one way (compliance.core.layers): the project keeps it, and the check
that `make lint` runs catches an upward import wherever it hides and an oversized module."""

import textwrap

from django.core.management import call_command

from compliance.core.layers import (
    LAYERS,
    import_violations,
    oversized_modules,
    relation_violations,
)


def _package(root, files: dict[str, str]):
    for name, text in files.items():
        path = root / "compliance" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    for folder in {p.parent for p in (root / "compliance").rglob("*.py")}:
        (folder / "__init__.py").touch()
    return root / "compliance"


def test_the_project_keeps_its_layering():
    assert LAYERS == (
        "core",
        "audit",
        "accounts",
        "messaging",
        "items",
        "destinations",
        "wordpress",
        "takedowns",
        "licensing",
        "reports",
        "web",
        "api",
    )
    assert import_violations() == []
    assert relation_violations() == []
    assert oversized_modules() == []
    call_command("check", fail_level="WARNING")  # what `make lint` runs


def test_an_upward_import_is_caught_wherever_it_hides(tmp_path):
    root = _package(
        tmp_path,
        {
            "items/ok.py": "from compliance.audit.services import audit_record\n",
            "items/top.py": "from compliance.takedowns import models\n",
            "items/inside.py": """
                def later():
                    from compliance.reports.figures import report_figures  # noqa
                """,
            "messaging/relative.py": "from ..takedowns.state import transition\n",
            "core/whole.py": "import compliance.api.urls\n",
            "core/named.py": "from compliance import web\n",
            "items/migrations/0001_x.py": "from compliance.takedowns import models\n",
        },
    )
    found = {
        v.where.split(":")[0].removeprefix("compliance/"): v.message
        for v in import_violations(root)
    }
    assert set(found) == {
        "items/top.py",
        "items/inside.py",
        "messaging/relative.py",
        "core/whole.py",
        "core/named.py",
    }
    assert (
        "compliance.items.top (items) imports compliance.takedowns (takedowns)"
        in found["items/top.py"]
    )


def test_a_module_over_600_lines_is_reported(tmp_path):
    root = _package(
        tmp_path,
        {"items/big.py": "x = 1\n" * 601, "items/fine.py": "x = 1\n" * 600},
    )
    assert [v.where for v in oversized_modules([root])] == ["compliance/items/big.py"]

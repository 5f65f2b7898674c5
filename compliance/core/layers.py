"""The apps' layering, and the check that keeps it (run by `manage.py check`, so by `make lint`
and at every start-up), with the size of modules.

    core ← audit ← accounts ← messaging ← items ← destinations ← wordpress ← takedowns
        ← licensing ← reports ← web ← api

An app may import from its own layer and the layers to its left, never to its right, not
even inside a function; its models' relations point the same way. Where a lower app needs a
higher one, the piece moves down, or the lower app offers a hook (a signal) that the higher
one connects to. Below takedowns a removal request is only its reference (a "case", see
compliance.audit.models.AuditEvent.case).

The project's own modules sit outside the order: settings and the Celery app below every
app, urls and wsgi above them.
"""

import ast
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.core import checks

LAYERS = (
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
PACKAGE = "compliance"
ROOT = Path(__file__).resolve().parent.parent
BELOW_ALL = {"compliance", "compliance.celery", "compliance.environment", "compliance.settings"}
# A module longer than this holds more than one concern: split it and name the parts.
MAX_MODULE_LINES = 600
SIZED = (ROOT, ROOT.parent / "tests", ROOT.parent / "bench")
ABOVE_ALL = {"compliance.urls", "compliance.wsgi"}


@dataclass(frozen=True)
class Violation:
    where: str  # "path:line" or "app.Model.field"
    message: str


def layer_of(module: str) -> int | None:
    """The layer index of a dotted module name, -1 below every app, len(LAYERS) above them,
    None for anything that is not ours."""
    if module in BELOW_ALL:
        return -1
    if module in ABOVE_ALL:
        return len(LAYERS)
    parts = module.split(".")
    if parts[0] != PACKAGE or len(parts) < 2:
        return None
    if parts[1] not in LAYERS:
        return None
    return LAYERS.index(parts[1])


def _module_name(path: Path, root: Path) -> str:
    relative = path.relative_to(root.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported(tree: ast.AST, module: str, is_package: bool):
    """(line, dotted name) of every import in the module, at any depth, relative ones
    resolved."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            if name == PACKAGE:  # `from compliance import items` names the app
                for alias in node.names:
                    yield node.lineno, f"{name}.{alias.name}"
            else:
                yield node.lineno, name


def import_violations(root: Path = ROOT) -> list[Violation]:
    found = []
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue  # migrations name other apps' models by design
        module = _module_name(path, root)
        own = layer_of(module)
        if own is None:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, name in _imported(tree, module, path.name == "__init__.py"):
            target = layer_of(name)
            if target is not None and target > own:
                found.append(
                    Violation(
                        f"{path.relative_to(root.parent)}:{line}",
                        f"{module} ({_label(own)}) imports {name} ({_label(target)}), a "
                        "higher layer",
                    )
                )
    return list(dict.fromkeys(found))


def relation_violations() -> list[Violation]:
    found = []
    for model in apps.get_models():
        own = layer_of(model.__module__)
        if own is None or own < 0:
            continue
        for field in model._meta.get_fields(include_hidden=True):
            if not field.is_relation or field.auto_created or field.related_model is None:
                continue
            target = layer_of(field.related_model.__module__)
            if target is not None and target > own:
                found.append(
                    Violation(
                        f"{model._meta.label}.{field.name}",
                        f"{model._meta.label} ({_label(own)}) points at "
                        f"{field.related_model._meta.label} ({_label(target)}), a higher layer",
                    )
                )
    return found


def oversized_modules(roots=SIZED) -> list[Violation]:
    """Modules (migrations aside) over MAX_MODULE_LINES lines, in the code and its tests."""
    found = []
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            if "migrations" in path.parts:
                continue
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > MAX_MODULE_LINES:
                found.append(
                    Violation(
                        str(path.relative_to(root.parent)),
                        f"{lines} lines (at most {MAX_MODULE_LINES}): split it by concern",
                    )
                )
    return found


def _label(index: int) -> str:
    if index < 0:
        return "project"
    return LAYERS[index] if index < len(LAYERS) else "project top"


@checks.register("layers")
def check_layers(app_configs=None, **kwargs):
    errors = [
        checks.Error(v.message, obj=v.where, id="courtesy.E001")
        for v in [*import_violations(), *relation_violations()]
    ]
    # A warning, so that a long module never stops the site starting; `make lint` fails
    # on warnings too.
    return errors + [
        checks.Warning(v.message, obj=v.where, id="courtesy.W001") for v in oversized_modules()
    ]

"""Every engine module has its test module at the mirrored path (mitmproxy's filename_matching idea)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "desktop" / "databorder"
TESTS = Path(__file__).resolve().parent


def _has_code(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(isinstance(node, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef) for node in tree.body)


def expected_test_file(module: Path) -> Path:
    """databorder/resolve.py -> tests/resolve/test_resolve.py; attribute/geoip.py -> tests/attribute/test_geoip.py;
    a package's own code (attribute/__init__.py) -> tests/attribute/test_attribute.py."""
    relative = module.relative_to(PACKAGE)
    if module.name == "__init__.py":
        folder, stem = relative.parent, relative.parent.name
    elif relative.parent == Path("."):
        folder, stem = Path(relative.stem), relative.stem
    else:
        folder, stem = relative.parent, relative.stem
    return TESTS / folder / f"test_{stem}.py"


def test_every_module_with_code_has_a_test_module() -> None:
    modules = [p for p in PACKAGE.rglob("*.py") if p.parent != PACKAGE or p.name != "__init__.py"]
    missing = [
        f"{m.relative_to(PACKAGE)} -> {expected_test_file(m).relative_to(TESTS)}"
        for m in modules
        if _has_code(m) and not expected_test_file(m).is_file()
    ]
    assert not missing, "modules without tests:\n" + "\n".join(missing)

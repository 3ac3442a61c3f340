"""Imports flow one way: schemas <- producers, streams, consumers <- tools, infra and the CLI."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# a package may import only these of ours (the standard library and third parties are not checked)
MAY_IMPORT = {
    "schemas": {"schemas"},
    "streams": {"schemas", "streams"},
    "producers": {"schemas", "producers"},
    "consumers": {"schemas", "consumers"},
}
# crossings between producers and consumers that predate this test (the vault, its crypto and the bench
# helpers live in producers/; moving them to schemas/ or tools/ is open work): no new ones
KNOWN = {
    "producers/bench.py": {"infra"}, "producers/cli.py": {"infra"}, "producers/field.py": {"consumers"},
    "producers/reporters.py": {"consumers"}, "producers/vault_cli.py": {"consumers"},
    **{f"consumers/{name}.py": {"producers"} for name in (
        "cases/api", "cases/decisions", "cases/keyring", "cases/sealing", "cases/store", "cases/topics",
        "replies/hotline", "replies/service", "web/app")},
}
OURS = {"schemas", "producers", "streams", "consumers", "tools", "infra", "tests", "safetynet_cli"}


def imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names & OURS


@pytest.mark.parametrize("package", sorted(MAY_IMPORT))
def test_a_package_imports_only_what_is_below_it(package):
    wrong = {str(path.relative_to(ROOT)): sorted(imported(path) - MAY_IMPORT[package]
                                                 - KNOWN.get(str(path.relative_to(ROOT)), set()))
             for path in sorted((ROOT / package).rglob("*.py"))}
    assert {path: names for path, names in wrong.items() if names} == {}


def test_streams_holds_the_pipeline_only():
    tools = {"replay.py", "bench.py", "bench_direct.py", "runs.py"}
    assert not tools & {p.name for p in (ROOT / "streams").glob("*.py")}

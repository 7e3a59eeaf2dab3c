"""README.md carries every section written in docs/readme/ (they drifted apart once)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = sorted((ROOT / "docs" / "readme").glob("*.md"))


def paragraphs(text: str) -> list[str]:
    """Blank-line separated blocks, headings without their level (a section may sit one
    level deeper in the README)."""
    return [block.strip().lstrip("#").strip() for block in text.split("\n\n") if block.strip()]


@pytest.mark.parametrize("section", SECTIONS, ids=lambda p: p.name)
def test_the_readme_holds_the_section(section: Path) -> None:
    readme = "\n".join(paragraphs((ROOT / "README.md").read_text()))
    missing = [p for p in paragraphs(section.read_text()) if p not in readme]
    assert not missing, f"{section.name}: not in README.md: {missing[0][:200]!r}"

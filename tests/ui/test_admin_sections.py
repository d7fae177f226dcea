"""The section bar: every section's key always shown; names where they fit."""

from __future__ import annotations

from textual.command import CommandPalette

from screens.admin.payments import PaymentsScreen
from screens.admin.sections import SECTIONS, SHORT, SectionBar
from tests.fixtures.admin import admin_app
from tests.fixtures.kiosk import drive, settle


def top_line(pilot) -> str:
    return pilot.app.screen._compositor.render_strips()[0].text


def bar_line(services, width: int) -> str:
    async def script(pilot):
        await settle(pilot)
        return top_line(pilot)

    return drive(admin_app(services), script, size=(width, 24))


def test_every_key_and_the_current_name_at_80_columns(services):
    line = bar_line(services, 80)
    for _, _, key in SECTIONS:
        assert f" {key.upper()} " in f"{line} "
    assert "F1 Overview" in line
    assert "SSH key S" in line  # who is signed in, still in sight (cut beside ^p Find)


def test_every_name_where_they_fit(services):
    line = bar_line(services, 200)
    for _, text, key in SECTIONS:
        assert f"{key.upper()} {text}" in line


def test_three_letters_for_the_others_at_100_columns(services):
    line = bar_line(services, 100)
    assert "F1 Overview" in line
    for target, _, key in SECTIONS[1:]:
        assert f"{key.upper()} {SHORT[target]}" in line
    assert "SSH key S" in line  # who is signed in, still in sight


def test_find_shown_at_80_columns(services):
    assert "^p Find" in bar_line(services, 80)


def test_clicking_a_section_opens_it_and_find_opens_the_palette(services):
    async def script(pilot):
        await settle(pilot)
        await pilot.click(SectionBar, offset=(top_line(pilot).index("F5"), 0))
        await settle(pilot)
        section = type(pilot.app.screen)
        await pilot.click(SectionBar, offset=(top_line(pilot).index("Find"), 0))
        await settle(pilot)
        return section, type(pilot.app.screen)

    section, palette = drive(admin_app(services), script, size=(100, 30))
    assert section is PaymentsScreen
    assert palette is CommandPalette


def test_every_section_has_its_screen():
    import importlib

    from tui.admin_app import SCREENS

    assert list(SCREENS) == [target for target, _, _ in SECTIONS]
    for module, name in SCREENS.values():
        assert getattr(importlib.import_module(f"screens.admin.{module}"), name)

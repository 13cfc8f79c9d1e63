"""The priority table: the shipped default, editing it, and refusing a malformed one."""

from __future__ import annotations

import pytest

from bot.domain.priority import PriorityTable, PriorityTableError


def test_default_table_covers_every_urgency_and_impact():
    table = PriorityTable.load()
    assert set(table.levels) == {"tinggi", "menengah", "rendah"}
    assert table.classify("Mendesak", "Besar").key == "tinggi"
    assert table.classify("Tidak Mendesak", "Kecil").key == "rendah"
    assert table.level("Menengah").target_working_days == 3
    for urgency in table.urgencies:
        for impact in table.impacts:
            assert table.classify(urgency, impact).description


def test_an_edited_file_is_used(tmp_path):
    text = (
        'default = "biasa"\nurgencies = ["Mendesak"]\nimpacts = ["Besar"]\n'
        '[levels.biasa]\nname = "Biasa"\ndescription = "x"\ntarget_working_days = 7\n'
        '[[matrix]]\nurgency = "Mendesak"\nimpact = "Besar"\nlevel = "biasa"\n'
    )
    path = tmp_path / "p.toml"
    path.write_text(text, encoding="utf-8")
    assert PriorityTable.load(path).level("biasa").target_working_days == 7


@pytest.mark.parametrize(
    ("mutation", "message"),
    [
        (lambda t: t.replace('default = "menengah"', 'default = "darurat"'), "default"),
        (lambda t: t.replace("target_working_days = 1", "target_working_days = 0"), "levels"),
        (lambda t: t.replace('level = "rendah"\n', 'level = "entah"\n', 1), "unknown level"),
        (lambda t: t[: t.rindex("[[matrix]]")], "misses"),
        (lambda t: t.replace("[levels.tinggi]", "[levels.tinggi"), "p.toml"),
        (lambda t: t + "\nwarna = 1\n", "warna"),
    ],
)
def test_a_malformed_file_stops_start_up_with_a_clear_message(tmp_path, mutation, message):
    from importlib import resources

    original = resources.files("bot.data").joinpath("prioritas.toml").read_text("utf-8")
    path = tmp_path / "p.toml"
    path.write_text(mutation(original), encoding="utf-8")
    with pytest.raises(PriorityTableError) as info:
        PriorityTable.load(path)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(PriorityTableError, match=r"tidak_ada\.toml"):
        PriorityTable.load(tmp_path / "tidak_ada.toml")

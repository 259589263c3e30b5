"""Recipes: a base recipe's settings are inherited, and a front end's padding is checked."""

import json

import pytest

from trainer.recipe import RecipeError, load_recipe


def test_a_recipe_takes_what_it_does_not_set_from_its_base():
    plain, short = load_recipe("frames_plain"), load_recipe("frames_plain_pad40")
    assert short.pad_seconds == 4.0 and plain.pad_seconds == 8.0
    assert short.name == "frames_plain_pad40"
    assert {**short.to_dict(), "name": None, "pad_seconds": None} == {**plain.to_dict(), "name": None, "pad_seconds": None}
    assert [load_recipe(f"frames_plain_pad{p}").pad_seconds for p in (45, 50)] == [4.5, 5.0]


def test_an_augmentation_set_in_the_recipe_overrides_only_that_setting(tmp_path):
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"base": "frames_plain", "epochs": 3, "augment": {"noise_p": 0.0}}))
    mine, plain = load_recipe(str(path)), load_recipe("frames_plain")
    assert mine.epochs == 3 and mine.augment.noise_p == 0.0
    assert mine.augment.speed_p == plain.augment.speed_p and mine.lr == plain.lr


@pytest.mark.parametrize("data, message", [
    ({"base": "frames_plain", "pad_seconds": 2.0}, "pad_seconds must be from 4 .* to 30 .*, not 2.0"),
    ({"base": "no_such_recipe"}, "unknown --recipe 'no_such_recipe'"),
    ({"base": "frames_plain", "frame_size": 3}, "unexpected keyword argument 'frame_size'"),
])
def test_a_bad_recipe_is_refused_in_one_line(tmp_path, data, message):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(RecipeError, match=message):
        load_recipe(str(path))


def test_a_recipe_that_is_its_own_base_is_refused(tmp_path):
    path = tmp_path / "loop.json"
    path.write_text(json.dumps({"base": str(path)}))
    with pytest.raises(RecipeError, match="bases lead back to it"):
        load_recipe(str(path))

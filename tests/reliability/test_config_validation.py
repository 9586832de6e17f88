"""Training config: every field is type- and range-checked before anything runs, each error one line
naming the field, the bad value and what is allowed (issue 13: `checkpoint_every: -2` checkpointed
on even steps, `--stop-at -1` trained one step)."""

import math
from dataclasses import asdict, fields
from pathlib import Path

import pytest

from nclib.errors import NclibError
from nclib.train.finetune import BOUNDS, ConfigError, FinetuneRecipe, LoraSettings, RecipeConfig, recipe_main

CONFIGS = sorted((Path(__file__).resolve().parents[2] / "train" / "configs").glob("*.yaml"))


def refused(raw: dict, where: str = "config") -> str:
    """The one-line message of the ConfigError that RecipeConfig.from_dict(raw) raises."""
    with pytest.raises(ConfigError) as err:
        RecipeConfig.from_dict(raw, where=where)
    message = str(err.value)
    assert "\n" not in message, message
    assert isinstance(err.value, NclibError)
    return message


def with_field(name: str, value) -> dict:
    """A default config with field `name` ("lora.x": a LoRA setting) set to `value`."""
    raw = asdict(RecipeConfig())
    owner, _, attr = name.rpartition(".")
    (raw[owner] if owner else raw)[attr] = value
    return raw


def outside(bound) -> list:
    """Values just outside the bound on each bounded side."""
    step = 1 if bound.kind is int else 1e-9
    out = []
    if bound.lo is not None:
        out.append(bound.lo if bound.lo_open else bound.lo - step)
    if bound.hi is not None:
        out.append(bound.hi if bound.hi_open else bound.hi + step)
    return out


def test_every_numeric_field_has_a_bound():
    """A numeric field added later without a range check fails here."""
    numeric = {f.name for f in fields(RecipeConfig) if isinstance(getattr(RecipeConfig(), f.name), (int, float))
               and not isinstance(getattr(RecipeConfig(), f.name), bool)}
    numeric |= {f"lora.{f.name}" for f in fields(LoraSettings) if isinstance(getattr(LoraSettings(), f.name), (int, float))}
    assert numeric == set(BOUNDS)


def test_defaults_and_shipped_configs_are_valid():
    RecipeConfig().validate()
    assert CONFIGS
    for path in CONFIGS:
        RecipeConfig.from_yaml(path)


@pytest.mark.parametrize("name", sorted(BOUNDS))
def test_out_of_range_is_refused_with_the_allowed_range(name):
    bound = BOUNDS[name]
    for value in outside(bound):
        message = refused(with_field(name, value), where="run.yaml")
        assert message.startswith(f"run.yaml: {name} must be {bound.range()}, got {value!r}"), message
        assert f"allowed: {bound.allowed()}" in message, message


@pytest.mark.parametrize("name", sorted(BOUNDS))
def test_wrong_type_is_refused(name):
    bound = BOUNDS[name]
    bad = ["seven", None, True, [1]] + ([2.5] if bound.kind is int else [])
    for value in bad:
        message = refused(with_field(name, value))
        assert f"{name} must be {bound.kind.__name__}, got {value!r}" in message, message
        assert f"allowed: {bound.allowed()}" in message, message


@pytest.mark.parametrize("name", sorted(n for n, b in BOUNDS.items() if b.kind is float))
def test_nan_is_refused(name):
    message = refused(with_field(name, math.nan))
    assert f"{name} must be {BOUNDS[name].range()}, got nan" in message


@pytest.mark.parametrize("name, value", [
    ("checkpoint_every", 0), ("eval_every", 0), ("final_eval_n", 0), ("threads", 0), ("warmup_steps", 0),
    ("text_ratio", 0.0), ("seed", 2**32 - 1), ("max_grad_norm", math.inf), ("lr", 1e-8), ("lora.dropout", 0.0),
    ("lora.alpha", 16), ("lora.last_layers", 0), ("steps", 1), ("batch_size", 1),
])
def test_values_at_the_edge_of_the_range_are_accepted(name, value):
    cfg = RecipeConfig.from_dict(with_field(name, value))
    owner, _, attr = name.rpartition(".")
    assert getattr(cfg.lora if owner else cfg, attr) == value


def test_negative_checkpoint_every_is_refused_from_yaml(tmp_path):
    """The reported case: `checkpoint_every: -2` used to checkpoint on even steps."""
    path = tmp_path / "run.yaml"
    path.write_text("checkpoint_every: -2\n")
    with pytest.raises(ConfigError) as err:
        RecipeConfig.from_yaml(path)
    assert str(err.value) == (f"{path}: checkpoint_every must be >= 0, got -2; allowed: an integer >= 0 "
                              f"(0: a checkpoint only at the end)")


def test_yaml_exponent_without_a_dot_gets_a_hint(tmp_path):
    """PyYAML reads `lr: 2e-4` as the string '2e-4'; the error says how to write it."""
    path = tmp_path / "run.yaml"
    path.write_text("lr: 2e-4\n")
    with pytest.raises(ConfigError) as err:
        RecipeConfig.from_yaml(path)
    assert "lr must be float, got '2e-4' (str)" in str(err.value) and "write 2.0e-04" in str(err.value)
    path.write_text("lr: 2.0e-04\n")
    assert RecipeConfig.from_yaml(path).lr == 2e-4


@pytest.mark.parametrize("name, value, message", [
    ("model", "", "model must not be empty"),
    ("output_dir", None, "output_dir must be a string, got None"),
    ("data_dir", 3, "data_dir must be a string, got 3"),
    ("save_final", "yes", "save_final must be true or false, got 'yes'"),
    ("tasks", "sort", "tasks must be a list, got 'sort'"),
    ("tasks", [{"name": "sort"}], "tasks must be a non-empty list from"),
    ("dataset", None, "dataset must be a mapping, got None"),
    ("library", "gcd", "library must be a list, got 'gcd'"),
    ("variant", "fancy", "variant must be one of"),
    ("lora.target_modules", [], "lora.target_modules must be a non-empty list of module names"),
    ("lora.target_modules", "q_proj", "lora.target_modules must be a non-empty list of module names"),
])
def test_other_fields_are_checked(name, value, message):
    assert message in refused(with_field(name, value))


def test_unknown_fields_are_refused():
    raw = asdict(RecipeConfig())
    raw["checkpoint_evry"] = 5
    assert "unknown field(s) ['checkpoint_evry']" in refused(raw)
    raw = with_field("lora.rank", 4)
    assert "lora must be a mapping with fields" in refused(raw) and "'rank'" in refused(raw)
    with pytest.raises(ConfigError, match="expected a mapping of config fields, got list"):
        RecipeConfig.from_dict([("steps", 3)])


@pytest.mark.parametrize("stop_at", [-1, 0, 1.5, True, "3"])
def test_bad_stop_at_is_refused_before_anything_runs(stop_at, tmp_path):
    """The reported case: `--stop-at -1` trained one step. FinetuneRecipe refuses before setup."""
    with pytest.raises(ConfigError, match=r"--stop-at must be a step >= 1 to stop after .*, got " + repr(stop_at).replace(".", r"\.")):
        FinetuneRecipe(RecipeConfig(output_dir=str(tmp_path / "run")), stop_at=stop_at)
    assert not (tmp_path / "run").exists()


def test_stop_at_from_the_command_line_is_refused_before_anything_runs(tmp_path):
    config = tmp_path / "run.yaml"
    config.write_text(f"model: tiny\noutput_dir: {tmp_path / 'run'}\ndata_dir: {tmp_path / 'data'}\n")
    with pytest.raises(ConfigError, match=r"--stop-at must be a step >= 1 .*, got -1"):
        recipe_main([str(config), "--stop-at", "-1"])
    assert not (tmp_path / "run").exists() and not (tmp_path / "data").exists()


def test_a_config_built_in_code_is_validated_by_the_recipe(tmp_path):
    """RecipeConfig(...) itself does not validate; FinetuneRecipe does, before any setup."""
    with pytest.raises(ConfigError, match=r"checkpoint_every must be >= 0, got -2"):
        FinetuneRecipe(RecipeConfig(checkpoint_every=-2, output_dir=str(tmp_path / "run")))
    with pytest.raises(ConfigError, match=r"lora.r must be int, got '8'"):
        FinetuneRecipe(RecipeConfig(lora=LoraSettings(r="8"), output_dir=str(tmp_path / "run")))


def test_set_override_is_validated(tmp_path):
    config = tmp_path / "run.yaml"
    config.write_text(f"model: tiny\noutput_dir: {tmp_path / 'run'}\ndata_dir: {tmp_path / 'data'}\n")
    with pytest.raises(ConfigError) as err:
        recipe_main([str(config), "--set", "batch_size=0"])
    assert str(err.value).startswith(f"{config} with --set: batch_size must be >= 1, got 0")
    assert not (tmp_path / "run").exists()


def test_malformed_yaml_is_one_line_naming_line_and_column(tmp_path, capsys):
    from nclib.cli import main

    bad = tmp_path / "bad.yaml"
    bad.write_text("model: tiny\nsteps: [1,\n")
    with pytest.raises(SystemExit) as exc:
        main(["train", str(bad)])
    err = capsys.readouterr().err.strip()
    assert exc.value.code == 2 and len(err.splitlines()) == 1
    assert "bad.yaml: not valid YAML" in err and "line 3, column 1" in err

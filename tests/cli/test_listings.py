"""`scaling-plan laws` and `scaling-plan gpus`: every preset, every constant, every format."""

from __future__ import annotations

import pytest

from scaling_plan.budget import GPUS
from scaling_plan.presets import PRESETS

from ..conftest import Cli


def test_laws_json_carries_every_published_constant(cli: Cli) -> None:
    listing = cli.json("laws")
    laws = {law["name"]: law for law in listing["laws"]}
    assert list(laws) == [*PRESETS, "llama3-2024", "deepseek-llm-2024"]  # the published frontiers after the laws
    assert laws["llama3-2024"]["irreducible_loss_nats"] is None and "no loss law" in laws["llama3-2024"]["predicts"]
    # Besiroglu et al. 2024; Hoffmann et al. 2022 eq. 10; Kaplan et al. 2020 Tables 2 and 6.
    epoch = laws["epoch-2024"]
    assert (epoch["E"], epoch["A"], epoch["B"], epoch["alpha"], epoch["beta"]) == (
        1.8172,
        482.01,
        2085.43,
        0.3478,
        0.3658,
    )
    chinchilla = laws["chinchilla-2022"]
    assert (chinchilla["E"], chinchilla["A"], chinchilla["B"]) == (1.69, 406.4, 410.7)
    kaplan = laws["kaplan-2020"]
    assert (kaplan["alpha_n"], kaplan["alpha_d"], kaplan["n_c"], kaplan["d_c"]) == (0.076, 0.103, 6.4e13, 1.8e13)
    assert (kaplan["frontier_n_coefficient"], kaplan["frontier_n_exponent"]) == (1.3e9, 0.73)
    assert kaplan["E"] is None and kaplan["n_params_kind"] == "non-embedding"
    assert chinchilla["optimal_tokens_per_param_at_1e24_flops"] > 60  # the Approach-3 trap, listed
    assert all(law["source"] for law in laws.values())


def test_gpus_json_carries_peaks_and_sources(cli: Cli) -> None:
    gpus = {gpu["name"]: gpu for gpu in cli.json("gpus")["gpus"]}
    assert {name: gpu["peak_flops_per_second"] for name, gpu in gpus.items()} == {
        name: gpu.peak_flops_per_second for name, gpu in GPUS.items()
    }
    assert gpus["H100-SXM"]["peak_flops_per_second"] == 989e12
    assert all(gpu["source"] for gpu in gpus.values())


@pytest.mark.parametrize(("command", "key"), [("laws", "laws"), ("gpus", "gpus")])
def test_listing_csv_has_the_json_fields_and_a_row_per_preset(cli: Cli, command: str, key: str) -> None:
    records = cli.json(command)[key]
    rows = cli.csv(command)
    assert [row["name"] for row in rows] == [record["name"] for record in records]
    assert list(rows[0]) == list(records[0])


@pytest.mark.parametrize("command", ["laws", "gpus"])
def test_listing_table(cli: Cli, command: str) -> None:
    result = cli.run(command)
    assert result.exit_code == 0
    assert "H100-SXM" in result.stdout or "epoch-2024" in result.stdout

"""Counterexamples: minimal and deterministic for known-wrong solutions (golden), none for references, and shown by
`practice submit --reveal` through the real sandbox."""

from __future__ import annotations

import dataclasses
import json
import os
import warnings
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from runner.config import REPO_ROOT
from runner.counterexamples import Call, Property, differences, literal, search
from runner.grading.inprocess import load_module

GOLDEN = Path(__file__).parent / "golden" / "counterexamples.json"
EXERCISES = ("1A", "1B", "2A", "E3", "E11", "1C", "1D", "2B", "2C", "2D", "3A", "3B", "4A", "4D", "E2", "E4", "E5",
             "E6", "E7", "E8", "E10", "E12", "E13", "E14", "E15", "E20")
# (exercise, known-wrong solution, the check it fails): its counterexample is in the golden file.
CASES = [
    ("1A", "no_max_subtraction", "test_large_magnitude_logits"),
    ("1A", "ignores_axis", "test_every_axis_of_random_shapes"),
    ("1A", "all_neg_inf_nan", "test_all_neg_inf_slice_gives_zeros"),
    ("1B", "transposed_scores", "test_scale_is_one_over_sqrt_dk"),
    ("1B", "batch_mixing_reshape", "test_float32_stays_float32"),
    ("2A", "unbiased_variance", "test_biased_variance"),
    ("2A", "one_pass_variance", "test_float64_rows_with_large_offset"),
    ("E3", "argmax_shortcut", "test_tied_maxima_share_mass"),
    ("E3", "divide_before_shift", "test_tiny_tau_is_finite_one_hot"),
    ("E11", "diagonal_masked", "test_first_position_copies_its_value"),
    ("E11", "mask_after_softmax", "test_matches_loop"),
    ("1C", "wrong_sign", "test_jvp_any_axis_and_batch_shape"),
    ("1C", "jacobian_1d_only", "test_jacobian_shape_and_values"),
    ("2D", "centres_like_layernorm", "test_matches_definition_batched"),
    ("2D", "upcasts_float32", "test_float32_stays_float32"),
    ("3A", "scales_by_d_head", "test_scale_is_one_over_sqrt_d_head"),
    ("3B", "weights_not_transposed", "test_single_token_matches_definition"),
    ("E6", "mean_held_fixed", "test_matches_explicit_jacobian"),
    ("E20", "naive_softmax", "test_softmax_finite_for_extreme_logits"),
    ("E20", "gauge_fix_global_max", "test_gauge_fix_max_is_zero"),
    ("E2", "softmax_over_queries", "test_attention_matches_loop"),
    ("E5", "interleaved_split", "test_split_heads_contiguous"),
    ("E7", "validator_ignores_sign", "test_validator_rejects_invalid_patterns"),
    ("E7", "embed_rows", "test_embed_tokens"),
    ("E12", "fold_over_output_axis", "test_fold_centering"),
    ("1D", "sum_not_mean", "test_loss_matches_loop"),
    ("2B", "zero_mean_predicate", "test_cosine_preserved_for_parallel_vectors"),
    ("E15", "closed_form_mean_squared", "test_closed_form_values_and_broadcasting"),
    ("2C", "divides_by_norm_squared", "test_projection_matches_definition"),
    ("E4", "top_tokens_ascending", "test_top_tokens"),
    ("E13", "ov_rows_are_outputs", "test_ov_circuit"),
    ("E14", "g_not_normalised", "test_replace_direction_matches_loop"),
    ("4A", "e_u_squared", "test_expected_mse_closed_form"),
    ("E8", "offset_score_counts_missing_rows", "test_offset_score_skips_rows_without_a_key"),
    ("E10", "qk_transposed", "test_composition_scores_random"),
    ("4D", "abs_cosine", "test_recovery_uses_signed_cosine"),
]
NO_TIME_LIMIT = 600.0  # the call budget alone bounds the search: results do not depend on the machine's load


@pytest.fixture(autouse=True)
def _bank_support_importable(monkeypatch):
    """Hidden tests and references of the toy-model exercises import the bank's support modules (toymodel)."""
    monkeypatch.syspath_prepend(str(REPO_ROOT / "exercises" / "_support"))


def _checks(exercise: str):
    return load_module(REPO_ROOT / "hidden_tests" / exercise / f"test_{exercise.lower()}.py", f"checks_{exercise}")


def _learner(exercise: str, name: str):
    folder = REPO_ROOT / "solutions" / exercise
    module = load_module(folder / ("reference.py" if name == "reference" else f"wrong/{name}.py"), f"s_{name}")

    def call(function, *args, **kwargs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return getattr(module, function)(*args, **kwargs)

    return call


def _property(checks, test_name: str) -> Property:
    marker = next(m for m in getattr(checks, test_name).pytestmark if m.name == "reveal")
    return getattr(checks, marker.args[0])()


def test_counterexamples_of_known_wrong_solutions_are_golden():
    modules = {e: _checks(e) for e in {c[0] for c in CASES}}
    got = {}
    for exercise, wrong, test_name in CASES:
        found = search(_property(modules[exercise], test_name), _learner(exercise, wrong), max_seconds=NO_TIME_LIMIT)
        got[f"{exercise}/{wrong}/{test_name}"] = found
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert got == json.loads(GOLDEN.read_text(encoding="utf-8"))
    # minimal: the overflow needs one entry just past exp's range, an ignored axis one row of two zeros
    assert got["1A/no_max_subtraction/test_large_magnitude_logits"]["call"] == "softmax(np.array([710.0]))"
    assert got["1A/ignores_axis/test_every_axis_of_random_shapes"]["call"] == "softmax(np.array([[0.0, 0.0]]), axis=0)"
    assert got["1A/all_neg_inf_nan/test_all_neg_inf_slice_gives_zeros"]["call"] == \
        "softmax(np.array([-np.inf]), axis=0)"
    assert got["2A/unbiased_variance/test_biased_variance"]["where"] == \
        "[0]: yours np.nan, expected 0.0 (1 of 1 entries differ)"
    assert got["1B/batch_mixing_reshape/test_float32_stays_float32"]["where"] == \
        "dtype: yours float64, expected float32"
    assert got["1B/transposed_scores/test_scale_is_one_over_sqrt_dk"]["yours"].startswith("raised ValueError")
    # every call pastes into Python and gives the learner's output shown
    for key, found in got.items():
        exercise, wrong, _ = key.split("/")
        function = found["call"].split("(", 1)[0]
        args, kwargs = eval(found["call"], {"np": np, function: lambda *a, **k: (a, k)})  # noqa: S307 - our literal
        if found["yours"].startswith("raised "):
            with pytest.raises(Exception, match=found["yours"].split(": ", 1)[-1][:20]):
                _learner(exercise, wrong)(function, *args, **kwargs)
            continue
        assert literal(_learner(exercise, wrong)(function, *args, **kwargs)) == found["yours"], key

def test_counterexamples_beyond_the_first_exercises_are_minimal():
    """The golden inputs are the smallest that show each mistake (read from the golden file the test above checks)."""
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    calls = {key: found["call"] for key, found in golden.items()}
    # a flipped sign needs two entries and a v that is not constant (p = softmax(0) is uniform)
    assert calls["1C/wrong_sign/test_jvp_any_axis_and_batch_shape"] == \
        "softmax_jvp(np.array([0.5, 0.5]), np.array([0.0, 1.0]), axis=0)"
    assert calls["1C/jacobian_1d_only/test_jacobian_shape_and_values"] == "softmax_jacobian(np.array([[1.0]]))"
    # centring shows on a single entry; an upcast on a single float32 zero
    assert calls["2D/centres_like_layernorm/test_matches_definition_batched"] == "rms_norm(np.array([1.0]))"
    assert golden["2D/upcasts_float32/test_float32_stays_float32"]["where"] == "dtype: yours float64, expected float32"
    # d_head = 2 is the smallest width where d_head and sqrt(d_head) differ
    assert calls["3A/scales_by_d_head/test_scale_is_one_over_sqrt_d_head"] == \
        "qk_logits(np.array([[1.0]]), np.array([[1.0], [1.0]]), np.array([[1.0], [1.0]]))"
    # untransposed weights need one axis of a different length (vocab 2, d_model 1)
    assert calls["3B/weights_not_transposed/test_single_token_matches_definition"].endswith(
        "np.array([[0.0]]), np.array([[0.0]]), np.array([[0.0], [0.0]]))")
    assert calls["E6/mean_held_fixed/test_matches_explicit_jacobian"] == \
        "layer_norm_jvp(np.array([0.0]), np.array([1.0]))"
    assert calls["E20/naive_softmax/test_softmax_finite_for_extreme_logits"] == "softmax(np.array([710.0]), axis=0)"
    assert calls["E20/gauge_fix_global_max/test_gauge_fix_max_is_zero"] == \
        "gauge_fix(np.array([[0.0, 1.0]]), axis=0)"
    # W_E [d_model, vocab] indexed by rows shows with one token and d_model 1, vocab 2
    assert calls["E7/embed_rows/test_embed_tokens"] == "embed_tokens(np.array([0]), np.array([[0.0, 0.0]]))"
    assert calls["E7/validator_ignores_sign/test_validator_rejects_invalid_patterns"] == \
        "is_valid_pattern(np.array([[1.5, -0.5], [0.0, 1.0]]))"
    assert calls["E12/fold_over_output_axis/test_fold_centering"] == "fold_centering(np.array([[0.0, 1.0]]))"
    # softmax over queries needs two positions with different logits; interleaving, two heads of two features
    assert calls["E2/softmax_over_queries/test_attention_matches_loop"].startswith(
        "attention_no_pos(np.array([[0.0], [1.0]]), ")
    assert calls["E5/interleaved_split/test_split_heads_contiguous"].endswith(", 2)")
    # a sum and a mean differ once there are two positions; all-zero inputs suffice
    assert calls["1D/sum_not_mean/test_loss_matches_loop"] == (
        "attention_ce_grads(np.array([[[0.0], [0.0]]]), np.array([[[0.0], [0.0]]]), np.array([[[0.0], [0.0]]]), "
        "np.array([[0.0, 0.0]]), np.array([[0, 0]]))")
    # [output, source] shows on a single source token and two output tokens
    assert golden["E13/ov_rows_are_outputs/test_ov_circuit"]["where"] == "shape: yours (2, 1), expected (1, 2)"
    assert calls["2B/zero_mean_predicate/test_cosine_preserved_for_parallel_vectors"] == \
        "cosine_preserved(np.array([0.0, 0.25]), np.array([0.0, 0.25]))"
    assert golden["E15/closed_form_mean_squared/test_closed_form_values_and_broadcasting"]["expected"] == \
        "np.array([0.3333333333333333])"
    assert calls["2C/divides_by_norm_squared/test_projection_matches_definition"] == \
        "feature_projection(np.array([1.0]), np.array([0.25]))"
    assert calls["E4/top_tokens_ascending/test_top_tokens"] == "top_tokens(np.array([1.0]), np.array([[0.0, 1.0]]), 1)"
    assert calls["E14/g_not_normalised/test_replace_direction_matches_loop"] == \
        "replace_direction(np.array([1.0]), np.array([0.25]), np.array([0.25]))"
    assert calls["4A/e_u_squared/test_expected_mse_closed_form"] == "expected_mse(0.0, 1.0)"
    # an absolute cosine shows with one feature and its negation
    assert calls["4D/abs_cosine/test_recovery_uses_signed_cosine"] == \
        "feature_recovery(np.array([[0.25]]), np.array([[-0.25]]))"
    # rows without a key at i + 1 need a 2 x 2 pattern
    assert calls["E8/offset_score_counts_missing_rows/test_offset_score_skips_rows_without_a_key"] == \
        "offset_score(np.array([[1.0, 1.0], [1.0, 1.0]]), 1)"


def test_search_is_deterministic_and_exposes_what_learner_code_raises():
    checks = _checks("1A")
    prop = _property(checks, "test_large_magnitude_logits")
    first = search(prop, _learner("1A", "no_max_subtraction"), max_seconds=NO_TIME_LIMIT)
    assert search(prop, _learner("1A", "no_max_subtraction"), max_seconds=NO_TIME_LIMIT) == first

    def raises(function, x, axis=-1):
        if x.size > 1:
            raise ValueError("only vectors of one entry")
        return np.ones_like(x)

    found = search(_property(checks, "test_every_axis_of_random_shapes"), raises, max_seconds=NO_TIME_LIMIT)
    assert found["call"] == "softmax(np.array([0.0, 0.0]), axis=0)"
    assert found["yours"] == "raised ValueError: only vectors of one entry"


def test_a_spent_budget_stops_the_search_with_the_smallest_input_so_far():
    learner, calls = _learner("1B", "no_scaling"), []

    def counted(function, *args, **kwargs):
        calls.append(args)
        return learner(function, *args, **kwargs)

    found = search(_property(_checks("1B"), "test_matches_loop_reference"), counted, max_calls=20,
                   max_seconds=NO_TIME_LIMIT)
    assert len(calls) == 21  # the budget, then the input reported is called once more to show its outputs
    assert found is not None and found["where"].endswith("entries differ)")


@pytest.mark.parametrize("exercise", EXERCISES)
def test_references_have_no_counterexample(exercise):
    checks = _checks(exercise)
    names = {m.args[0] for name in dir(checks) if name.startswith("test_")
             for m in getattr(getattr(checks, name), "pytestmark", []) if m.name == "reveal"}
    assert names, f"{exercise} marks no check as revealing"
    reference = _learner(exercise, "reference")
    for name in sorted(names):
        assert search(getattr(checks, name)(), reference, max_calls=45, max_seconds=NO_TIME_LIMIT) is None, name


def test_differences_and_literals():
    assert differences(np.zeros((2, 3)), np.zeros((3, 2))) == "shape: yours (2, 3), expected (3, 2)"
    assert differences(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.5, np.nan])) == \
        "[1]: yours 2.0, expected 2.5; [2]: yours 3.0, expected np.nan (2 of 3 entries differ)"
    assert differences(np.float64(1.0), 2.0) == "value: yours 1.0, expected 2.0 (1 of 1 entries differ)"
    assert literal(np.array([[1.5, -np.inf]], dtype=np.float32)) == "np.array([[1.5, -np.inf]], dtype=np.float32)"
    assert Call((np.arange(3),), {"axis": -1}).source("f") == "f(np.array([0, 1, 2]), axis=-1)"


def test_submit_reveal_through_the_sandbox(practice_env):
    from runner.cli import app

    runner = CliRunner()
    wrong = REPO_ROOT / "solutions" / "1A" / "wrong" / "no_max_subtraction.py"
    shown = runner.invoke(app, ["--bank", str(REPO_ROOT), "submit", "1A", "--file", str(wrong), "--reveal"])
    assert shown.exit_code == 0, shown.output
    found = json.loads(GOLDEN.read_text(encoding="utf-8"))["1A/no_max_subtraction/test_large_magnitude_logits"]
    lines = [line.strip() for line in shown.stdout.splitlines()]
    assert "Counterexamples (the smallest inputs found; paste into Python after `import numpy as np`):" in lines
    at = lines.index(f"#5 >>> {found['call']}")  # the same search finds the same input in-process and sandboxed
    assert lines[at + 1:at + 4] == [f"yours    {found['yours']}", f"expected {found['expected']}",
                                    f"differs  {found['where']}"]
    assert not any(line.startswith("#6 ") for line in lines)  # a check without a property keeps its message only


HANGS_ON_ONE_ENTRY = """import numpy as np


def softmax(x, axis=-1):
    x = np.asarray(x)
    if x.size == 1:
        while True:
            pass
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)
"""


def test_a_search_never_changes_a_score(practice_env, tmp_path):
    """Searches run after every check: one that meets a hang (a 1-entry input here) ends, the scores stay."""
    from runner.cli import app

    path = tmp_path / "softmax.py"
    path.write_text(HANGS_ON_ONE_ENTRY)
    runner = CliRunner()
    plain, revealed = (json.loads(runner.invoke(app, ["--bank", str(REPO_ROOT), "submit", "1A", "--file", str(path),
                                                      "--json", *extra]).stdout) for extra in ([], ["--reveal"]))
    assert all("detail" not in t for t in plain["tests"])  # no search unless asked
    outcomes = [(t["name"], t["outcome"], t["points"]) for t in plain["tests"]]
    assert [(t["name"], t["outcome"], t["points"]) for t in revealed["tests"]] == outcomes
    assert 0 < plain["score"] < 100 and revealed["score"] == plain["score"]


def test_live_view_w_shows_counterexamples_of_the_last_submission():
    """`w` grades the last recorded source again with reveal (nothing recorded) and lists the smallest inputs."""
    import io
    from types import SimpleNamespace

    from rich.console import Console

    from runner.clock import Timebox
    from runner.live import LiveView
    from runner.render import render_live
    from runner.results import GradeResult, Outcome, Status, TestResult

    class Pool:
        def __init__(self):
            self.jobs = []

        def submit(self, exercise, path, kind="grade", source=None, reveal=False):
            self.jobs.append((kind, source, reveal))
            return len(self.jobs)

    exercise = SimpleNamespace(id="1A", title="Numerically stable softmax", prompt="Write softmax.")
    info = SimpleNamespace(exercise=exercise, path=Path("/w/1A/softmax.py"), timebox=Timebox(0, 900), attempt=None)
    pending = SimpleNamespace(exercise=exercise, path=info.path, source="def softmax(x, axis=-1): ...", counted=True)
    practice = SimpleNamespace(clock=lambda: 100.0, begin_submit=lambda *a, **k: pending,
                               finish_submit=lambda p, result: result)
    console = Console(file=io.StringIO(), width=80, height=24, color_system=None)
    view = LiveView(practice, info, console)
    view._pool = Pool()
    assert view.key("w") and view.message == "Nothing to explain yet: press s to submit."
    view.key("s")
    failed = TestResult("t5", "Handles logits of magnitude 1e4", Outcome.FAILED, 0, 2, "non-finite entries")
    view.finished(1, GradeResult("1A", Status.GRADED, tests=(failed,)))
    assert view.message.endswith("Press w for the smallest inputs the failed checks get wrong.")
    view.key("w")
    assert view._pool.jobs[-1] == ("grade", pending.source, True) and view.running.kind == "reveal"
    detail = json.loads(GOLDEN.read_text(encoding="utf-8"))["1A/no_max_subtraction/test_large_magnitude_logits"]
    view.finished(2, GradeResult("1A", Status.GRADED, tests=(dataclasses.replace(failed, detail=detail),)))
    assert view.running is None and view.message.startswith("Smallest failing inputs for 1 check above")
    console.print(render_live(view, 80, 24))
    screen = console.file.getvalue()
    assert "✗ softmax(np.array([710.0]))  Handles logits of magnitude 1e4" in screen
    assert "yours np.array([np.nan]) · expected np.array([1.0])" in screen


"""Sharding a class across a scheduler's tasks: Slurm array jobs, Kubernetes indexed Jobs and CI matrices each
split the class exactly (every student once, none twice), and a student's shard never depends on the rest."""

from __future__ import annotations

import pytest

from runner.batch import Entry, bucket, resolve_shard, shard
from runner.errors import UsageError

CLASS = [Entry(f"student{i:03d}", f"class/student{i:03d}.py", None) for i in range(157)]
CLASS += [Entry(name, f"class/{name}/solution.py", None) for name in ("=1+2", "Zoë", "a b", "x" * 200)]


def assert_partition(shards: list[list[Entry]]) -> None:
    files = [e.file for part in shards for e in part]
    assert len(files) == len(set(files)), "a student is in two shards"
    assert sorted(files) == sorted(e.file for e in CLASS), "a student is in no shard"
    assert all(shards), "a shard is empty (157 students over a few shards should fill each)"


def shards_for(environments: list[dict], spec: str = "auto", count: int | None = None) -> list[list[Entry]]:
    out = []
    for env in environments:
        chosen = resolve_shard(spec, count, env)
        assert chosen is not None
        out.append(shard(CLASS, *chosen))
    return out


@pytest.mark.parametrize("first", [0, 1, 10])
def test_slurm_array_tasks_split_the_class(first):
    """sbatch --array=FIRST-(FIRST+3): IDs start at SLURM_ARRAY_TASK_MIN, whatever it is."""
    envs = [{"SLURM_ARRAY_TASK_ID": str(first + i), "SLURM_ARRAY_TASK_MIN": str(first),
             "SLURM_ARRAY_TASK_MAX": str(first + 3), "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_JOB_ID": "77"}
            for i in range(4)]
    assert_partition(shards_for(envs))


def test_slurm_array_with_a_step():
    """--array=0-6:2 gives tasks 0, 2, 4, 6 (SLURM_ARRAY_TASK_STEP=2, COUNT=4)."""
    envs = [{"SLURM_ARRAY_TASK_ID": str(task), "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_STEP": "2",
             "SLURM_ARRAY_TASK_COUNT": "4"} for task in (0, 2, 4, 6)]
    assert_partition(shards_for(envs))
    with pytest.raises(UsageError, match="evenly spaced"):
        resolve_shard("auto", None, {"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "0",
                                     "SLURM_ARRAY_TASK_STEP": "2", "SLURM_ARRAY_TASK_COUNT": "4"})


def test_kubernetes_indexed_job_splits_the_class():
    """completionMode: Indexed sets JOB_COMPLETION_INDEX 0..completions-1; the count comes from the manifest."""
    envs = [{"JOB_COMPLETION_INDEX": str(i), "HOSTNAME": f"grade-1a-{i}-x7k"} for i in range(5)]
    assert_partition(shards_for(envs, count=5))
    assert_partition(shards_for([{**env, "PRACTICE_SHARD_COUNT": "5"} for env in envs]))
    with pytest.raises(UsageError, match="completions"):
        resolve_shard("auto", None, envs[0])
    with pytest.raises(UsageError, match="outside"):
        resolve_shard("auto", 3, envs[4])


def test_ci_matrix_gives_the_shard_explicitly():
    """A CI matrix (GitHub Actions, GitLab parallel) passes --shard I/N from its own variables."""
    parts = [shard(CLASS, *resolve_shard(f"{i}/3", None, {"CI": "true", "GITHUB_ACTIONS": "true"})) for i in (1, 2, 3)]
    assert_partition(parts)
    assert resolve_shard(None, None, {"SLURM_ARRAY_TASK_ID": "1"}) is None  # no --shard: the whole class
    with pytest.raises(UsageError, match="no Slurm array task"):
        resolve_shard("auto", None, {"CI": "true"})
    with pytest.raises(UsageError):
        resolve_shard("4/3", None, {})
    with pytest.raises(UsageError, match="disagree"):
        resolve_shard("1/3", 4, {})


def test_a_students_shard_is_stable():
    """By name, not position: adding students or grading a subset moves no one, on any machine."""
    before = {e.student: bucket(e.student, 4) for e in CLASS}
    bigger = CLASS + [Entry(f"late{i}", f"late{i}.py", None) for i in range(30)]
    subset = CLASS[::7]
    for i in range(1, 5):
        assert all(before[e.student] == i - 1 for e in shard(bigger, i, 4) if e.student in before)
        assert all(before[e.student] == i - 1 for e in shard(subset, i, 4))
    assert bucket("student000", 4) == bucket("student000", 4) and bucket("Zoë", 7) in range(7)

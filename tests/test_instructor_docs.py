"""The scheduler examples in docs/INSTRUCTORS.md, read and simulated: the Slurm array script, the Kubernetes
indexed Job and the CI matrix each give every student of a class to exactly one shard."""

from __future__ import annotations

import re

import yaml

from runner.batch import Entry, resolve_shard, shard
from runner.config import REPO_ROOT

DOC = (REPO_ROOT / "docs" / "INSTRUCTORS.md").read_text(encoding="utf-8")
CLASS = [Entry(f"student{i:03d}", f"class/student{i:03d}.py", None) for i in range(101)]


def block(language: str, containing: str) -> str:
    found = [b for b in re.findall(rf"```{language}\n(.*?)```", DOC, re.S) if containing in b]
    assert len(found) == 1, (language, containing)
    return found[0]


def assert_partition(environments: list[dict], spec: str = "auto", count: int | None = None) -> None:
    parts = [shard(CLASS, *resolve_shard(spec if "{}" not in spec else spec.format(env["I"]), count, env))
             for env in environments]
    files = [e.file for part in parts for e in part]
    assert sorted(files) == sorted(e.file for e in CLASS) and len(files) == len(set(files))


def test_the_slurm_script_shards_the_class():
    script = block("bash", "#SBATCH --array")
    first, last = map(int, re.search(r"#SBATCH --array=(\d+)-(\d+)\n", script).groups())
    assert "--shard auto" in script and "${SLURM_ARRAY_TASK_ID}" in script
    tasks = range(first, last + 1)
    assert_partition([{"SLURM_ARRAY_TASK_ID": str(t), "SLURM_ARRAY_TASK_MIN": str(first),
                       "SLURM_ARRAY_TASK_MAX": str(last), "SLURM_ARRAY_TASK_COUNT": str(len(tasks))} for t in tasks])


def test_the_kubernetes_job_shards_the_class():
    job = yaml.safe_load(block("yaml", "kind: Job"))
    spec = job["spec"]
    assert spec["completionMode"] == "Indexed"
    container = spec["template"]["spec"]["containers"][0]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert int(env["PRACTICE_SHARD_COUNT"]) == spec["completions"]
    assert "--shard auto" in " ".join(container["args"])
    assert_partition([{"JOB_COMPLETION_INDEX": str(i), **env} for i in range(spec["completions"])])


def test_the_ci_matrix_shards_the_class():
    workflow = yaml.safe_load(block("yaml", "strategy:"))
    grade = workflow["jobs"]["grade"]
    shards = grade["strategy"]["matrix"]["shard"]
    command = next(s["run"] for s in grade["steps"] if "practice grade" in s.get("run", ""))
    total = int(re.search(r"--shard \$\{\{ matrix\.shard \}\}/(\d+)", command).group(1))
    assert sorted(shards) == list(range(1, total + 1))
    assert_partition([{"I": str(i)} for i in shards], spec="{}/" + str(total))
    assert "grade merge" in next(s["run"] for s in workflow["jobs"]["merge"]["steps"] if "merge" in s.get("run", ""))

"""Hostile submissions against each isolation layer this machine supports (runner/sandbox/layers.py).

Each attack runs in `practice grade` beside two classmates (one right, one wrong) graded after it on the same
worker. Where the layer promises a protection (layers.protections, the README's table) the attack must fail and
the classmates keep their scores; where it does not, the test says so and checks nothing more.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from runner.sandbox import layers

HERE = Path(__file__).parent
HOSTILE = HERE / "hostile" / "isolation"
ATTACKS = sorted(p.stem for p in HOSTILE.glob("*.py"))
RUN_SECONDS = 4  # H1's run deadline
SLACK = 12  # interpreter and worker start, three submissions, a busy machine

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")]


# As root, the unprivileged `namespaces` layer runs too: `practice` started in a user namespace where it is uid
# 1000 (util-linux unshare), so it must make a user namespace of its own for the learner.
AS_USER = ["unshare", "-U", "--map-user=1000", "--map-group=1000"]


def supported() -> list[str]:
    """Every layer this machine can run, by the name it reports."""
    names = []
    for cls in layers.LAYERS:
        layer = cls()
        if layer.available():
            names.append(layer.name)
    if os.geteuid() == 0 and "namespaces+uid" in names and shutil.which("unshare"):
        if subprocess.run([*AS_USER, "true"], capture_output=True).returncode == 0:
            names.insert(1, "namespaces")
    return names


LAYERS = supported() if sys.platform.startswith("linux") else []


def grade_class(attack: str, layer: str, root: Path, fixture_bank: Path, watch, port: int) -> dict:
    """`practice grade H1` on the attack and two classmates, under `layer`; what came out and what was left."""
    work = root / f"{layer}-{attack}"
    bank = work / "bank"
    shutil.copytree(fixture_bank, bank)  # attacks aim at the bank: never the repository's
    home = work / "home"  # `practice grade` opens the history database there before grading
    klass = work / "class"
    klass.mkdir()
    shutil.copy(HOSTILE / f"{attack}.py", klass / "a_attack.py")
    shutil.copy(HERE / "fixtures" / "bank" / "solutions" / "H1" / "reference.py", klass / "b_right.py")
    (klass / "c_zeros.py").write_text("import numpy as np\n\n\ndef double(x):\n    return np.zeros_like(x)\n")
    marker = uuid.uuid4().hex
    env = {**os.environ, "PRACTICE_HOME": str(home), "PRACTICE_WORKSPACE": str(work / "ws"),
           "PRACTICE_ISOLATION": layer.partition("+")[0], "HOSTILE_BANK": str(bank), "HOSTILE_PORT": str(port),
           "PRACTICE_ISOLATION_MARKER": marker}
    start = time.monotonic()
    prefix = AS_USER if layer == "namespaces" and os.geteuid() == 0 else []
    proc = watch.run([*prefix, sys.executable, "-m", "runner", "--bank", str(bank), "grade", "H1", str(klass),
                      "--jobs", "1", "--json", "--csv", str(work / "scores.csv")], env=env, timeout=90)
    wall = time.monotonic() - start
    left = watch.left_behind(marker)
    for _ in range(40):
        if not left:
            break
        time.sleep(0.05)
        left = watch.left_behind(marker)
    rows = {}
    for line in proc.stdout.splitlines():  # where not protected, forged lines may land here too
        try:
            record = json.loads(line)
            rows[Path(record["file"]).stem] = record
        except (ValueError, KeyError, TypeError):
            rows.setdefault("unparsed", []).append(line)
    return {"proc": proc, "rows": rows, "wall": wall, "left": left, "bank": bank, "home": home}


@pytest.fixture(scope="module")
def listeners():
    """A TCP port on the loopback interface per layer; an attack that reaches one leaves a connection there."""
    servers = {}
    for layer in LAYERS:
        servers[layer] = socket.socket()
        servers[layer].bind(("127.0.0.1", 0))
        servers[layer].listen(16)
        servers[layer].setblocking(False)
    yield servers
    for server in servers.values():
        server.close()


@pytest.fixture(scope="module")
def runs(fixture_bank, tmp_path_factory, process_watch, listeners):
    root = tmp_path_factory.mktemp("isolation")
    cases = [(attack, layer) for layer in LAYERS for attack in ATTACKS]
    with ThreadPoolExecutor(2) as pool:
        done = pool.map(lambda c: (c, grade_class(*c, root, fixture_bank, process_watch,
                                                  listeners[c[1]].getsockname()[1])), cases)
        return dict(done)


def promised(layer: str, protection: str) -> None:
    if protection not in layers.protections(layer):
        pytest.skip(f"the {layer} layer does not protect `{protection}` (README, How grading works)")


def message(row: dict) -> str:
    return " ".join([row["error"] or ""] + [t["message"] for t in row["tests"]])


def classmates_unharmed(run: dict) -> None:
    proc = run["proc"]
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert set(run["rows"]) == {"a_attack", "b_right", "c_zeros"}, proc.stdout[-2000:]
    assert run["rows"]["b_right"]["score"] == 100
    assert run["rows"]["c_zeros"]["score"] == 0
    assert not run["left"], f"processes left behind: {run['left']}"


@pytest.mark.parametrize("layer", LAYERS)
def test_layer_is_named_and_used(runs, layer):
    for row in runs[("probe_limits", layer)]["rows"].values():
        assert row["isolation"] == layer


@pytest.mark.parametrize("layer", LAYERS)
def test_forged_results_through_proc_fd(runs, layer):
    promised(layer, "results")
    run = runs[("forge_results", layer)]
    classmates_unharmed(run)
    assert run["rows"]["a_attack"]["score"] == 0


@pytest.mark.parametrize("layer", LAYERS)
def test_killing_the_graders(runs, layer):
    promised(layer, "signals")
    run = runs[("kill_graders", layer)]
    classmates_unharmed(run)
    assert run["rows"]["a_attack"]["score"] == 100  # it answers right: grading carried on around it


@pytest.mark.parametrize("layer", LAYERS)
def test_stopping_the_parent_still_ends_by_the_deadline(runs, layer):
    promised(layer, "deadlines")
    run = runs[("stop_parent", layer)]
    classmates_unharmed(run)
    assert run["rows"]["a_attack"]["score"] == 0
    assert run["wall"] < RUN_SECONDS + 2 + SLACK


@pytest.mark.parametrize("layer", LAYERS)
def test_history_database_not_writable(runs, layer):
    promised(layer, "history")
    run = runs[("write_history", layer)]
    classmates_unharmed(run)
    assert (run["home"] / "practice.db").is_file()
    with sqlite3.connect(run["home"] / "practice.db") as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
    assert "pwned" not in tables and "attempts" in tables


@pytest.mark.parametrize("layer", LAYERS)
def test_bank_answers_not_writable(runs, layer):
    promised(layer, "bank")
    run = runs[("write_bank", layer)]
    classmates_unharmed(run)
    assert not (run["bank"] / "hidden_tests" / "conftest.py").exists()
    assert not (run["bank"] / "solutions" / "conftest.py").exists()


@pytest.mark.parametrize("layer", LAYERS)
def test_no_network(runs, layer, listeners):
    promised(layer, "network")
    run = runs[("probe_limits", layer)]
    classmates_unharmed(run)
    assert "network: no network" in message(run["rows"]["a_attack"])
    with pytest.raises(BlockingIOError):
        listeners[layer].accept()[0].close()


@pytest.mark.parametrize("layer", LAYERS)
def test_fork_bomb_bounded(runs, layer):
    promised(layer, "processes")
    run = runs[("probe_limits", layer)]
    classmates_unharmed(run)
    text = message(run["rows"]["a_attack"])
    assert "forked " in text, text
    made = int(text.split("forked ")[1].split()[0])
    assert made < layers.PROCESSES, text


@pytest.mark.parametrize("layer", LAYERS)
def test_file_size_capped(runs, layer):
    promised(layer, "file_size")
    run = runs[("probe_limits", layer)]
    classmates_unharmed(run)
    text = message(run["rows"]["a_attack"])
    written = int(text.split("wrote ")[1].split()[0])
    assert written <= layers.FILE_SIZE_MB << 20 and "then OSError" in text, text


@pytest.mark.parametrize("layer", LAYERS)
def test_grader_processes_out_of_sight(runs, layer):
    promised(layer, "processes_hidden")
    run = runs[("probe_limits", layer)]
    classmates_unharmed(run)
    text = message(run["rows"]["a_attack"])
    first = text.split("seen ")[1].split(";")[0].split()  # the first call's view: N signalable M parent P
    seen, signalable, parent = int(first[0]), int(first[2]), int(first[4])
    assert seen <= 3 and signalable == 0 and parent in (0, 1), text  # 0: outside its namespace, 1: its reaper


@pytest.mark.parametrize("layer", LAYERS)
def test_view_cannot_be_undone(runs, layer):
    """Unmounting what hides the answers, remounting / writable, or both from a user namespace of its own."""
    promised(layer, "reading")
    run = runs[("undo_view", layer)]
    classmates_unharmed(run)
    assert "hidden tests seen 0 inner 0 planted no" in message(run["rows"]["a_attack"])
    assert not (run["bank"] / "hidden_tests" / "planted.py").exists()


def test_answers_stay_hidden_inside_a_folder_that_comes_back(tmp_path):
    """A bank installed in site-packages, in a venv under a hidden folder: the venv comes back, its answers not."""
    if "namespaces+uid" not in LAYERS:
        pytest.skip("needs the namespaces+uid layer")
    packages = tmp_path / "venv" / "lib" / "site-packages"
    hidden = packages / "practice_bank" / "hidden_tests"
    hidden.mkdir(parents=True)
    (hidden / "test_x.py").write_text("secret\n")
    code = ("import os, tempfile\nfrom runner.sandbox import namespaces as n\n"
            f"view = n.View(hide=({str(hidden)!r},), expose=(*n.python_paths(), {str(packages)!r}), tmp=('/tmp',), "
            "workdir=tempfile.mkdtemp(), files=())\npid = n.fork(view, True)\nif pid == 0:\n"
            f"    print(os.listdir({str(packages)!r}), os.listdir({str(hidden)!r}), flush=True)\n    os._exit(0)\n"
            "os.waitpid(pid, 0)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["['practice_bank']", "[]"], out.stderr


def test_closed_folders_above_python_are_replaced_by_open_ones(tmp_path):
    """A Python under a folder others may not enter (pyenv under /root, mode 700) is reached through it."""
    from runner.sandbox import namespaces

    inner = tmp_path / "locked" / "pyenv" / "lib"
    inner.mkdir(parents=True)
    (tmp_path / "locked").chmod(0o700)
    assert str(tmp_path / "locked") in namespaces.closed_ancestors([str(inner)])
    (tmp_path / "locked").chmod(0o755)
    assert str(tmp_path / "locked") not in namespaces.closed_ancestors([str(inner)])


def test_standard_library_importable_wherever_home_points(fixture_bank, tmp_path):
    """With HOME elsewhere, learner code still imports standard modules the grader never loaded (a codec)."""
    submission = tmp_path / "double.py"
    submission.write_text("import codecs\n\n\ndef double(x):\n    codecs.lookup('cp437')\n    return x * 2\n")
    env = {**os.environ, "HOME": str(tmp_path / "home"), "PRACTICE_HOME": str(tmp_path / "state"),
           "PRACTICE_WORKSPACE": str(tmp_path / "ws")}
    out = subprocess.run([sys.executable, "-m", "runner", "--bank", str(fixture_bank), "submit", "H1", "--file",
                          str(submission), "--json"], env=env, capture_output=True, text=True, timeout=90)
    result = json.loads(out.stdout)
    assert result["score"] == 100, (result["isolation"], [t["message"] for t in result["tests"]])


def test_helper_module_beside_a_submission_is_importable(fixture_bank, tmp_path):
    """A student folder with its own helper.py grades as it would at home, at the strongest layer."""
    student = tmp_path / "class" / "alice"
    student.mkdir(parents=True)
    (student / "helper.py").write_text("def twice(x):\n    return x * 2\n")
    (student / "double.py").write_text("from helper import twice\n\n\ndef double(x):\n    return twice(x)\n")
    env = {**os.environ, "PRACTICE_HOME": str(tmp_path / "state"), "PRACTICE_WORKSPACE": str(tmp_path / "ws")}
    out = subprocess.run([sys.executable, "-m", "runner", "--bank", str(fixture_bank), "grade", "H1",
                          str(tmp_path / "class"), "--json"], env=env, capture_output=True, text=True, timeout=90)
    row = json.loads(out.stdout.splitlines()[0])
    assert row["student"] == "alice" and row["score"] == 100, row["error"]


@pytest.mark.parametrize("layer", LAYERS)
def test_learner_memory_holds_no_grader_state(fixture_bank, tmp_path, layer):
    """Learner code cannot reach pytest's session or the hidden tests' code through frames or the garbage
    collector: learners are forked by a process that never held them (runner/sandbox/zygote.py)."""
    env = {**os.environ, "PRACTICE_HOME": str(tmp_path / "state"), "PRACTICE_WORKSPACE": str(tmp_path / "ws"),
           "PRACTICE_ISOLATION": layer.partition("+")[0]}
    attack = HERE / "hostile" / "memory" / "grader_memory.py"
    out = subprocess.run([sys.executable, "-m", "runner", "--bank", str(fixture_bank), "submit", "H1", "--file",
                          str(attack), "--json"], env=env, capture_output=True, text=True, timeout=90)
    result = json.loads(out.stdout)
    assert result["score"] == 100, [t["message"] for t in result["tests"]]


@pytest.mark.parametrize("layer", LAYERS)
def test_classmates_in_one_folder_are_not_helper_modules(fixture_bank, tmp_path, layer):
    """A folder with one file per student: no student imports (or copies) a classmate's file, at any layer."""
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "alice.py").write_text("def double(x):\n    return 2 * x\n")
    (folder / "bob.py").write_text("from alice import double  # a classmate's answer\n")
    (folder / "carol.py").write_text("import os\n\n\ndef double(x):\n    assert os.listdir('.') == ['carol.py']\n"
                                     "    return 2 * x\n")
    env = {**os.environ, "PRACTICE_HOME": str(tmp_path / "state"), "PRACTICE_WORKSPACE": str(tmp_path / "ws"),
           "PRACTICE_ISOLATION": layer.partition("+")[0]}
    out = subprocess.run([sys.executable, "-m", "runner", "--bank", str(fixture_bank), "grade", "H1", str(folder),
                          "--json"], env=env, capture_output=True, text=True, timeout=90)
    rows = {r["student"]: r for r in map(json.loads, out.stdout.splitlines())}
    assert rows["alice"]["score"] == 100, rows["alice"]["error"]
    assert rows["bob"]["score"] == 0 and "No module named 'alice'" in rows["bob"]["error"], rows["bob"]["error"]
    if layer != "process":  # the weakest layer runs each file where it is (README: it protects no files)
        assert rows["carol"]["score"] == 100, [t["message"] for t in rows["carol"]["tests"]]


def test_helpers_never_come_from_the_bank_answers(tmp_path):
    """Only .py files beside a submission outside the bank's answer folders are copied for it."""
    from runner.sandbox.proxy import helper_modules

    answers = tmp_path / "solutions" / "X"
    answers.mkdir(parents=True)
    for name in ("reference.py", "other.py", "not-a-module.py"):
        (answers / name).write_text("x = 1\n")
    assert helper_modules(str(answers / "reference.py"), (str(tmp_path / "solutions"),)) == []
    assert helper_modules(str(answers / "reference.py"), ()) == [str(answers / "other.py")]


def test_scorecard_names_the_layer():
    from rich.console import Console

    from runner import render
    from runner.results import GradeResult, Status

    console = Console(record=True, width=80, color_system=None)
    render.render_scorecard(console, GradeResult(exercise="D1", status=Status.GRADED, isolation="namespaces+uid"))
    assert "Sandbox namespaces+uid" in console.export_text()


def test_weakest_layer_is_tested_and_warned(fixture_bank, tmp_path):
    """The fallback always exists; `practice grade` warns once where it is all there is (not when forced)."""
    assert "process" in LAYERS
    ref = HERE / "fixtures" / "bank" / "solutions" / "H1" / "reference.py"
    grade = [sys.executable, "-m", "runner", "--bank", str(fixture_bank), "grade", "H1", str(ref), "--json"]
    env = {**os.environ, "PRACTICE_HOME": str(tmp_path / "home"), "PRACTICE_ISOLATION": "process"}
    proc = subprocess.run(grade, capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0 and json.loads(proc.stdout)["isolation"] == "process"
    assert "warning" not in proc.stderr  # forced: a test or benchmark asked for it
    env.pop("PRACTICE_ISOLATION")
    # In a user namespace with no uid mapped, nothing stronger can start: what an unprivileged container sees.
    if not shutil.which("unshare") or subprocess.run(["unshare", "-U", "true"]).returncode != 0:
        pytest.skip("needs unshare(1) and user namespaces")
    proc = subprocess.run(["unshare", "-U", *grade], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["isolation"] == "process"
    assert proc.stderr.count("warning:") == 1 and "isolation: process" in proc.stderr


def test_readme_table_states_what_each_layer_protects():
    """The README's table and layers.PROTECTS say the same, cell by cell, for this machine's user."""
    readme = (HERE.parent / "README.md").read_text(encoding="utf-8")
    rows = [line for line in readme.splitlines() if line.startswith("| learner code cannot")]
    assert len(rows) == 1
    table = readme[readme.index(rows[0]):].split("\n\n")[0].splitlines()[2:]
    columns = {1: ("namespaces+uid", "namespaces"), 2: ("uid",), 3: ("process",)}
    keys = set()
    for line in table:
        cells = [c.strip() for c in line.strip("|").split("|")]
        key = cells[0].rsplit("(`", 1)[1].rstrip("`)")
        keys.add(key)
        for column, names in columns.items():
            cell = cells[column]
            says = cell.startswith("yes") or (cell.startswith("only when not root") and os.geteuid() != 0)
            for name in names:
                assert says == (key in layers.protections(name)), (key, name, cell)
    assert keys == set().union(*layers.PROTECTS.values())


WHO = """import os
import resource


def who():
    status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines() if ":" in line)
    return [os.getuid(), os.getgid(), os.getgroups(), status["NoNewPrivs"].strip(), status["CapEff"].strip(),
            list(resource.getrlimit(resource.RLIMIT_FSIZE)), list(resource.getrlimit(resource.RLIMIT_NPROC))]
"""


def test_uid_layer_drops_everything(tmp_path):
    """The uid layer's steps, forced even where Python is not world-readable (this learner imports nothing)."""
    if os.geteuid() != 0 or not sys.platform.startswith("linux"):
        pytest.skip("needs root")
    (tmp_path / "who.py").write_text(WHO)
    code = ("import json, os\nfrom runner.sandbox import layers\nlayers._active = layers.UidLayer()\n"
            "from runner.sandbox.child import ChildSpec\nfrom runner.sandbox.proxy import LearnerProcess\n"
            f"p = LearnerProcess(ChildSpec(submission={str(tmp_path / 'who.py')!r}, workdir=''), call_seconds=10, "
            "output_limit=1000)\nprint(json.dumps([os.getpid(), p.call('who')]))\np.close()\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    pid, (uid, gid, groups, no_new_privs, caps, fsize, nproc) = json.loads(out.stdout)
    assert uid == gid == layers.UID_BASE + pid and groups == [] and no_new_privs == "1" and int(caps, 16) == 0
    assert fsize == [layers.FILE_SIZE_MB << 20] * 2 and nproc == [layers.PROCESSES] * 2


def test_leftover_check_sees_other_users(process_watch):
    """A process of a learner uid, orphaned, is found (root only: a uid of its own needs root)."""
    if os.geteuid() != 0:
        pytest.skip("needs root to start a process as another uid")
    marker = uuid.uuid4().hex
    uid = layers.UID_BASE + 1
    subprocess.run(["/bin/sh", "-c", "sleep 30 >/dev/null 2>&1 &"], env={"M": marker, "PATH": os.defpath},
                   timeout=30, user=uid, group=uid, extra_groups=[], cwd="/")
    try:
        left = process_watch.left_behind(marker)
        assert len(left) == 1 and os.stat(f"/proc/{left[0]}").st_uid == uid
    finally:
        for pid in process_watch.left_behind(marker):
            os.kill(pid, 9)

"""``sejajar corpus`` on Ray Data and ``sejajar export``: shards in, Parquet of pairs out, the
same pairs as ``sejajar translate``, failures contained, resumable, and on a two-node cluster."""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sejajar.align.export.tsv import parse_tsv
from sejajar.jobs.cluster import Cluster
from sejajar.jobs.corpus import pairs_dataset, run_corpus
from sejajar.jobs.pairs import CorpusOptions
from sejajar.jobs.shards import Columns, find_shards
from sejajar.translate.engines import ModelSettings
from tests.helpers import KONTAN, LIPUTAN, ROOT, paused_env, run, wait_for_pause
from tests.rayclusters import two_nodes

ray = pytest.importorskip("ray", reason="the ray extra is not installed")
pq = pytest.importorskip("pyarrow.parquet")

pytestmark = [pytest.mark.ray, pytest.mark.slow]

ARTICLES = [KONTAN.read_text("utf-8"), LIPUTAN.read_text("utf-8")]


def _settings(model: Path) -> ModelSettings:
    return ModelSettings(model=str(model), beams=1)


def _write_jsonl_gz(path: Path, rows: list[dict[str, Any]]) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")
    return path


def _crawl(folder: Path, shards: int, per_shard: int = 2) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for s in range(shards):
        rows = [{"id": f"s{s}d{d}", "text": ARTICLES[(s + d) % 2]} for d in range(per_shard)]
        _write_jsonl_gz(folder / f"part-{s:03d}.jsonl.gz", rows)
    return folder


def _pairs(path: Path) -> list[dict[str, Any]]:
    return pq.read_table(path).to_pylist()  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    """One local Ray for the module (starting one costs seconds); stopped at the end."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()


def test_same_pairs_as_sejajar_translate(local_ray: None, tiny_model: Path, tmp_path: Path) -> None:
    crawl = tmp_path / "crawl"
    crawl.mkdir()
    _write_jsonl_gz(crawl / "a.jsonl.gz", [{"id": "kontan", "text": ARTICLES[0]}])
    pq.write_table(
        __import__("pyarrow").Table.from_pylist([{"url": "liputan", "body": ARTICLES[1]}]),
        crawl / "b.parquet",
    )
    out = tmp_path / "corpus"
    summary = run_corpus(find_shards([crawl / "a.jsonl.gz"]), out, _settings(tiny_model))
    assert (summary.done_shards, summary.failed_shards, summary.documents) == (1, 0, 1)
    options = CorpusOptions(Columns(text="body", id="url"))
    run_corpus(find_shards([crawl / "b.parquet"]), out, _settings(tiny_model), options)

    code, _, err = run("translate", str(KONTAN), str(LIPUTAN), "--out", str(tmp_path / "t"),
                       "--model", str(tiny_model), "--beams", "1")  # fmt: skip
    assert code == 0, err
    for shard, article, doc_id in (("a", KONTAN, "kontan"), ("b", LIPUTAN, "liputan")):
        rows = _pairs(out / f"{shard}.parquet")
        tsv = parse_tsv((tmp_path / "t" / f"{article.stem}.tsv").read_text("utf-8"))
        assert [(r["source"], r["target"]) for r in rows] == tsv
        assert {r["doc_id"] for r in rows} == {doc_id}
        assert [r["pair"] for r in rows] == list(range(len(rows)))
        assert all("model:" in r["signature"] and r["error"] is None for r in rows)
    manifest = json.loads((out / "a.manifest.json").read_text())
    assert manifest["status"] == "done" and manifest["documents"] == 1


def test_bad_documents_and_shards_fail_alone(
    local_ray: None, tiny_model: Path, tmp_path: Path
) -> None:
    crawl = tmp_path / "crawl"
    crawl.mkdir()
    _write_jsonl_gz(
        crawl / "mixed.jsonl.gz",
        [{"id": 1, "text": ARTICLES[0]}, {"id": 2, "text": ""}, {"id": 3, "text": None},
         {"id": 4, "text": "x" * 200_000}, {"id": 5, "text": "Advertisement"}],
    )  # fmt: skip
    (crawl / "broken.jsonl.gz").write_bytes(b"not gzip at all")
    (crawl / "notes.md").write_text("ignored")
    seen = []
    summary = run_corpus(
        find_shards([crawl]), tmp_path / "out", _settings(tiny_model), on_result=seen.append
    )
    assert (summary.shards, summary.done_shards, summary.failed_shards) == (2, 1, 1)
    assert (summary.documents, summary.failed_documents) == (5, 2)
    broken = next(r for r in seen if r.shard == "broken")
    assert broken.error and "cannot read the shard" in broken.error
    rows = _pairs(tmp_path / "out" / "mixed.parquet")
    failed = {r["doc_id"]: r["error"] for r in rows if r["pair"] == -1}
    assert set(failed) == {"2", "3"} and "no text" in failed["2"]
    assert {r["doc_id"] for r in rows if r["pair"] >= 0} == {"1", "4"}
    assert not (tmp_path / "out" / "broken.manifest.json").exists()


def test_rerun_skips_done_shards_and_redoes_changed_ones(
    local_ray: None, tiny_model: Path, tmp_path: Path
) -> None:
    crawl = _crawl(tmp_path / "crawl", shards=3)
    out = tmp_path / "out"
    first = run_corpus(find_shards([crawl]), out, _settings(tiny_model))
    assert (first.done_shards, first.skipped_shards) == (3, 0)
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("*.parquet")}
    again = run_corpus(find_shards([crawl]), out, _settings(tiny_model))
    assert (again.done_shards, again.skipped_shards) == (0, 3)
    _write_jsonl_gz(crawl / "part-001.jsonl.gz", [{"id": "new", "text": ARTICLES[0]}])
    third = run_corpus(find_shards([crawl]), out, _settings(tiny_model))
    assert (third.done_shards, third.skipped_shards, third.documents) == (1, 2, 1)
    uncached = run_corpus(
        find_shards([crawl / "part-001.jsonl.gz"]),
        tmp_path / "uncached",
        _settings(tiny_model),
        CorpusOptions(cache=False),
    )
    assert uncached.translated == uncached.pairs > 0 and uncached.cached == 0
    assert third.translated == 0 and third.cached > 0  # the node's cache had every sentence
    after = {p.name: p.stat().st_mtime_ns for p in out.glob("*.parquet")}
    assert [n for n in before if before[n] != after[n]] == ["part-001.parquet"]


def test_pairs_dataset_python_api(local_ray: None, tiny_model: Path) -> None:
    docs = ray.data.from_items([{"id": "k", "text": ARTICLES[0]}, {"id": "e", "text": ""}])
    rows = pairs_dataset(docs, _settings(tiny_model), cluster=Cluster(actors=1)).take_all()
    good = [r for r in rows if r["pair"] >= 0]
    assert {r["doc_id"] for r in good} == {"k"} and len(good) > 5
    assert [r["doc_id"] for r in rows if r["pair"] == -1] == ["e"]


def test_corpus_cli_and_export_round_trip(
    local_ray: None, tiny_model: Path, tmp_path: Path
) -> None:
    crawl = _crawl(tmp_path / "crawl", shards=2)
    code, out, err = run("corpus", str(crawl), "--out", str(tmp_path / "c"),
                         "--model", str(tiny_model), "--beams", "1")  # fmt: skip
    assert code == 0, err
    rows = [r for p in sorted((tmp_path / "c").glob("*.parquet")) for r in _pairs(p)]
    assert f"shards: 2 done, 0 skipped, 0 failed; 4 documents (0 failed), {len(rows)} pairs" in err
    assert out.count(" -> ") == 2
    rows = [r for p in sorted((tmp_path / "c").glob("*.parquet")) for r in _pairs(p)]
    distinct = list(dict.fromkeys((r["source"], r["target"]) for r in rows))
    code, out, err = run("export", str(tmp_path / "c"), "--out", str(tmp_path / "r"),
                         "--format", "moses,tsv.gz,tmx")  # fmt: skip
    assert code == 0, err
    ids = (tmp_path / "r" / "corpus.id").read_text("utf-8").splitlines()
    ens = (tmp_path / "r" / "corpus.en").read_text("utf-8").splitlines()
    assert list(zip(ids, ens, strict=True)) == distinct  # deduplicated, in corpus order
    with gzip.open(tmp_path / "r" / "corpus.tsv.gz", "rt", encoding="utf-8") as handle:
        tsv = [line.rstrip("\n").split("\t") for line in handle]
    assert [(s, t) for s, t, _ in tsv] == distinct and {score for *_, score in tsv} == {"1.0000"}
    from xml.etree import ElementTree

    units = ElementTree.parse(tmp_path / "r" / "corpus.tmx").getroot().iter("tu")
    segs = [tuple(seg.text or "" for seg in tu.iter("seg")) for tu in units]
    assert segs == distinct
    # Existing outputs need --force; filters leave pairs out.
    code, _, err = run("export", str(tmp_path / "c"), "--out", str(tmp_path / "r"))
    assert code == 1 and err.endswith("exists (and 2 more); use --force to overwrite\n")
    code, out, _ = run("export", str(tmp_path / "c"), "--out", str(tmp_path / "r"), "--force",
                       "--drop-flag", "length-cap,names", "--keep-duplicates")  # fmt: skip
    assert code == 0 and "filtered out" in out


def test_without_ray_installed_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)
    code, _, err = run("corpus", str(tmp_path), "--out", str(tmp_path / "o"))
    assert (code, err) == (
        1,
        "Error: the corpus job runs on Ray, which is not installed: pip install 'sejajar[ray]'\n",
    )


def test_two_node_cluster(
    tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two Ray nodes of one CPU each, on this machine: actors run on both, and every document
    arrives exactly once."""
    with two_nodes(monkeypatch) as cluster:
        crawl = _crawl(tmp_path / "crawl", shards=6)
        out = tmp_path / "out"
        summary = run_corpus(
            find_shards([crawl]),
            out,
            _settings(tiny_model),
            cluster=Cluster(cluster.address, actors=2),
        )
        nodes = {json.loads(m.read_text())["node"] for m in out.glob("*.manifest.json")}
        expected_nodes = (
            {n["NodeID"] for n in ray.nodes() if n["Alive"]} if ray.is_initialized() else None
        )
    assert (summary.done_shards, summary.documents) == (6, 12)
    assert len(nodes) == 2, f"actors ran on {nodes}"
    assert expected_nodes is None or nodes <= expected_nodes
    ids = [r["doc_id"] for p in out.glob("*.parquet") for r in _pairs(p) if r["pair"] == 0]
    assert sorted(ids) == sorted(f"s{s}d{d}" for s in range(6) for d in range(2))


def _actor_pids() -> set[int]:
    pids = set()
    for proc in Path("/proc").iterdir():
        with contextlib.suppress(OSError):
            if proc.name.isdigit() and b"ShardWorker" in (proc / "cmdline").read_bytes():
                pids.add(int(proc.name))
    return pids


def test_killed_driver_then_rerun(tiny_model: Path, tmp_path: Path) -> None:
    """SIGKILL the driver mid-run: Ray goes with it; a re-run completes the corpus, redoes only
    the shards not done, and no document appears twice."""
    if ray.is_initialized():
        ray.shutdown()
    crawl = _crawl(tmp_path / "crawl", shards=8, per_shard=3)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "sejajar", "corpus", str(crawl), "--out", str(out),
           "--model", str(tiny_model), "--beams", "1", "--actors", "1", "--no-cache"]  # fmt: skip
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    flag = tmp_path / "paused"
    driver = subprocess.Popen(cmd, cwd=ROOT, env={**env, **paused_env(flag, after=1)},
                              start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    wait_for_pause(flag, driver)  # the one actor has written its first shard and waits
    actors = _actor_pids()
    driver.kill()  # the driver alone
    driver.wait()
    deadline = time.monotonic() + 60
    while actors & _actor_pids() and time.monotonic() < deadline:
        time.sleep(0.1)
    survivors = actors & _actor_pids()
    # Ray's per-node agents may outlive a killed driver; they are not ours, but this test
    # stops what it started.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(driver.pid, signal.SIGKILL)
    assert len(actors) == 1, f"one model actor, not {sorted(actors)}"
    assert not survivors, "model actors outlived the killed driver"
    done_before = {m.name for m in out.glob("*.manifest.json")}
    assert len(done_before) == 1, done_before
    rerun = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    redone = {line.split(" -> ")[0] for line in rerun.stdout.splitlines()}
    assert redone == {f"part-{s:03d}" for s in range(8)} - {n.split(".")[0] for n in done_before}
    assert f"{len(done_before)} skipped" in rerun.stderr
    ids = [r["doc_id"] for p in out.glob("*.parquet") for r in _pairs(p) if r["pair"] == 0]
    assert sorted(ids) == sorted(f"s{s}d{d}" for s in range(8) for d in range(3))
    assert not list(out.glob(".*.tmp"))

"""`partynews export` over a real crawl output folder (two runs, one article revised, one unfinished run): the
Parquet file, the Hugging Face folder loaded with the real `datasets` library (offline), and the JSONL read with
datatrove's readers, all compared with the records the runs wrote."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from corpus_runs import ADDED_SENTENCE, EDITED_SITE, read_run_records, run_cli, shared_corpus
from crawler.cli import main as cli_main
from pipelines.record import FIELD_ORDER, schema


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    corpus = shared_corpus(tmp_path_factory, "demo-two-runs", first_ip=130)
    runs = [read_run_records(r) for r in corpus["reports"]]
    latest: dict[str, dict] = {}
    for records in runs:
        for record in records:
            if record["id"] not in latest or record["revision"] >= latest[record["id"]]["revision"]:
                latest[record["id"]] = record
    corpus.update(runs=runs, latest=latest, all_records=[r for records in runs for r in records])
    return corpus


def _by_id(rows) -> dict:
    rows = list(rows)
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)), "an article appears twice"
    return {r["id"]: r for r in rows}


def test_the_corpus_has_a_revised_article(corpus):
    # what the other tests rely on: run 2 wrote one article again, as revision 2, gzipped
    assert [len(r) for r in corpus["runs"]] == [15, 1]
    (revised,) = corpus["runs"][1]
    assert revised["revision"] == 2 and revised["site"] == EDITED_SITE and ADDED_SENTENCE in revised["text"]
    assert Path(corpus["reports"][1]["files"]["report"]).parent.joinpath("articles.jsonl.gz").is_file()


def test_parquet_holds_the_latest_revision_of_every_article_and_the_schema(corpus, tmp_path):
    out = tmp_path / "pq"
    proc = run_cli("export", "--format", "parquet", "--out", str(out), "--out-of", str(corpus["out"]), "--json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    manifest = json.loads(proc.stdout)
    assert manifest["articles"] == 15 and len(manifest["runs"]) == 2   # the unfinished run is not read
    table = pq.read_table(out / "articles.parquet")
    assert table.column_names == list(FIELD_ORDER)
    assert _by_id(table.to_pylist()) == corpus["latest"]
    meta = table.schema.metadata
    assert json.loads(meta[b"partynews.schema"]) == schema()
    assert meta[b"partynews.schema_version"] == b"1.0"
    assert json.loads((out / "article.schema.json").read_text(encoding="utf-8")) == schema()
    import pyarrow as pa

    assert pa.types.is_list(table.schema.field("authors").type)
    assert table.schema.field("authors").type.value_type == pa.string()
    assert table.schema.field("word_count").type == pa.int64()
    assert json.loads((out / "export.json").read_text(encoding="utf-8"))["runs"] == manifest["runs"]


def test_hf_folder_loads_offline_with_datasets_and_equals_the_jsonl(corpus, tmp_path):
    out = tmp_path / "hf"
    assert cli_main(["export", "--format", "hf", "--out", str(out), "--out-of", str(corpus["out"]),
                     "--with-revisions"]) == 0
    assert (out / "README.md").read_text(encoding="utf-8").startswith("---\nconfigs:")
    script = (
        "import datasets, json, sys\n"
        "out = sys.argv[1]\n"
        "latest = datasets.load_dataset(out, split='train')\n"
        "revisions = datasets.load_dataset(out, 'revisions', split='train')\n"
        "print(json.dumps({'latest': latest.to_list(), 'revisions': revisions.to_list(),"
        " 'features': sorted(latest.features)}, ensure_ascii=False))\n")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf-home"),
           "HF_HUB_DISABLE_TELEMETRY": "1"}
    proc = subprocess.run([sys.executable, "-c", script, str(out)], capture_output=True, text=True, env=env,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    loaded = json.loads(proc.stdout.strip().splitlines()[-1])
    assert loaded["features"] == sorted(FIELD_ORDER)
    assert _by_id(loaded["latest"]) == corpus["latest"]
    revisions = {(r["id"], r["revision"]): r for r in loaded["revisions"]}
    assert revisions == {(r["id"], r["revision"]): r for r in corpus["all_records"]}
    assert len(revisions) == 16


def test_datatrove_reads_the_records_without_an_adapter(corpus, tmp_path):
    from datatrove.pipeline.readers import JsonlReader, ParquetReader

    def docs(reader) -> dict:
        return {d.id: d for d in reader.run()}

    # the run's own gzipped JSONL, and an exported JSONL and Parquet: `text` and `id` are datatrove's defaults
    run2 = Path(corpus["reports"][1]["files"]["report"]).parent
    from_run = docs(JsonlReader(str(run2), glob_pattern="articles.jsonl.gz"))
    assert {k: (d.text, d.metadata["revision"]) for k, d in from_run.items()} == \
        {r["id"]: (r["text"], 2) for r in corpus["runs"][1]}

    out = tmp_path / "jsonl"
    assert cli_main(["export", "--format", "jsonl", "--out", str(out), "--out-of", str(corpus["out"])]) == 0
    from_jsonl = docs(JsonlReader(str(out), glob_pattern="articles.jsonl"))
    assert {k: d.text for k, d in from_jsonl.items()} == {k: r["text"] for k, r in corpus["latest"].items()}
    some = next(iter(corpus["latest"].values()))
    assert from_jsonl[some["id"]].metadata["site"] == some["site"]
    assert from_jsonl[some["id"]].metadata["published_at"] == some["published_at"]

    pq_out = tmp_path / "pq"
    assert cli_main(["export", "--format", "parquet", "--out", str(pq_out), "--out-of", str(corpus["out"])]) == 0
    from_parquet = docs(ParquetReader(str(pq_out), glob_pattern="articles.parquet"))
    assert {k: d.text for k, d in from_parquet.items()} == {k: r["text"] for k, r in corpus["latest"].items()}


def _ids(out: Path) -> set[str]:
    return set(pq.read_table(out / "articles.parquet", columns=["id"]).column("id").to_pylist())


def test_filters_by_site_province_and_date(corpus, tmp_path):
    latest = corpus["latest"].values()
    src = ["--out-of", str(corpus["out"])]
    assert cli_main(["export", "--out", str(tmp_path / "a"), "--site", "heza,anhp", *src]) == 0
    assert _ids(tmp_path / "a") == {r["id"] for r in latest if r["site"] in ("heza", "anhp")}

    province = next(r["province"] for r in latest if r["province"])
    # case and accents do not matter
    folded = province.lower().replace("ả", "a").replace("ò", "o").replace("ồ", "o").replace("ì", "i")
    assert cli_main(["export", "--out", str(tmp_path / "b"), "--province", folded, *src]) == 0
    expected = {r["id"] for r in latest if r["province"] == province}
    assert expected and _ids(tmp_path / "b") == expected

    days = sorted(r["published_at"][:10] for r in latest if r["published_at"])
    since, until = days[2], days[-3]
    assert cli_main(["export", "--out", str(tmp_path / "c"), "--since", since, "--until", until, *src]) == 0
    expected = {r["id"] for r in latest if r["published_at"] and since <= r["published_at"][:10] <= until}
    assert 0 < len(expected) < len(corpus["latest"]) and _ids(tmp_path / "c") == expected


def test_export_again_into_the_same_folder_replaces_it(corpus, tmp_path):
    out = tmp_path / "again"
    src = ["--out-of", str(corpus["out"])]
    assert cli_main(["export", "--out", str(out), "--site", "heza", "--with-revisions", *src]) == 0
    assert (out / "revisions.parquet").is_file()
    assert cli_main(["export", "--out", str(out), "--site", "anhp", *src]) == 0
    assert not (out / "revisions.parquet").exists()
    assert {r["site"] for r in pq.read_table(out / "articles.parquet").to_pylist()} == {"anhp"}


def test_errors_say_what_to_do(corpus, tmp_path, capsys):
    assert cli_main(["export", "--out", str(tmp_path / "x"), "--out-of", str(tmp_path / "nothing")]) == 2
    assert "no such folder; give the output folder of `partynews crawl --out DIR`" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert cli_main(["export", "--out", str(tmp_path / "x"), "--out-of", str(tmp_path / "empty")]) == 2
    assert "run `partynews crawl --out" in capsys.readouterr().err
    assert cli_main(["export", "--out", str(tmp_path / "x"), "--out-of", str(corpus["out"]), "--since", "1/2/2024"]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine", encoding="utf-8")
    assert cli_main(["export", "--out", str(busy), "--out-of", str(corpus["out"])]) == 2
    assert "--force" in capsys.readouterr().err
    assert (busy / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_a_run_folder_exports_that_run_alone(corpus, tmp_path):
    # DIR/latest, the newest complete run: here the second, which wrote the revised article only
    assert cli_main(["export", "--format", "jsonl", "--out", str(tmp_path / "last"),
                     "--out-of", str(corpus["out"] / "latest")]) == 0
    rows = [json.loads(x) for x in (tmp_path / "last" / "articles.jsonl").read_text(encoding="utf-8").splitlines()]
    assert rows == corpus["runs"][1]

"""pipelines/near_dup.py: shingles, signatures, the SQLite index (real files, reopened and read from another
process) and the decision of the de-duplication step."""
from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import unicodedata

import pytest

from fixtures.textbank import THEME_SENTENCES
from pipelines.near_dup import (DEFAULT_THRESHOLD, Deduplicator, MinHasher, SQLiteDedupStore, lsh_params,
                                shingles, similarity, tokens)
from pipelines.state import SQLiteState

HASHER = MinHasher()

ARTICLE = " ".join(THEME_SENTENCES["dang"][:8])

ANNOUNCEMENT = ("Tại hội nghị, lãnh đạo Ban Tổ chức Tỉnh ủy đã công bố Quyết định số {no}-QĐ/TU ngày {d}/{m}/2024 của "
                "Ban Thường vụ Tỉnh ủy về việc điều động, bổ nhiệm cán bộ. Theo quyết định, đồng chí {name}, sinh năm "
                "{born}, được bổ nhiệm giữ chức Phó Trưởng ban Ban Dân vận Tỉnh ủy, thời hạn {years} năm. Đồng chí {name} "
                "có trình độ thạc sĩ, cao cấp lý luận chính trị; đã có {service} năm công tác tại các cơ quan đảng. "
                "Phát biểu tại hội nghị, đồng chí Phó Bí thư Thường trực Tỉnh ủy chúc mừng đồng chí {name} được tin "
                "tưởng giao nhiệm vụ mới và đề nghị đồng chí phát huy kinh nghiệm, hoàn thành tốt nhiệm vụ được giao.")
# a statistics report: a template whose figures are all that changes
REPORT = ("Tổng sản phẩm trên địa bàn tỉnh {q} năm 2024 ước tăng {g}% so với cùng kỳ. Thu ngân sách nhà nước đạt {b} tỷ "
          "đồng, bằng {s}% dự toán. Kim ngạch xuất khẩu đạt {x} triệu USD, tăng {xg}% so với cùng kỳ năm trước. Tổng "
          "vốn đầu tư toàn xã hội đạt {v} nghìn tỷ đồng; toàn tỉnh có {n} doanh nghiệp thành lập mới với số vốn đăng "
          "ký {k} tỷ đồng. Giải ngân vốn đầu tư công đạt {p}% kế hoạch, cao hơn mức bình quân chung của cả nước.")


def test_tokens_keep_diacritics_and_numbers_and_fold_tone_placement_and_case():
    assert tokens("Đảng, đăng, đang") == ["đảng", "đăng", "đang"]
    assert tokens("Hoà bình, THUỶ lợi") == tokens("hòa bình, thủy lợi")
    assert tokens(unicodedata.normalize("NFD", "Quảng Ninh")) == ["quảng", "ninh"]
    assert tokens("tăng 9,1% năm 2024") == ["tăng", "9", "1", "năm", "2024"]


def test_shingles_are_five_word_windows():
    assert len(shingles(" ".join(f"w{i}" for i in range(12)))) == 8
    assert shingles("hai từ") == {"hai từ".encode()}


def test_lsh_parameters_favour_finding_copies():
    bands, rows = lsh_params(0.8)
    assert bands * rows <= 128
    recall = lambda s: 1 - (1 - s ** rows) ** bands       # noqa: E731
    assert recall(0.9) > 0.99 and recall(0.8) > 0.8 and recall(0.5) < 0.05


def test_republished_variants_are_similar():
    base = HASHER.signature(ARTICLE)
    prefixed = HASHER.signature("(ĐCSVN) - " + ARTICLE.replace("hóa", "hoá"))
    extended = HASHER.signature(ARTICLE + " Theo kế hoạch, hội nghị được tổ chức định kỳ hằng năm.")
    assert similarity(base, prefixed) >= DEFAULT_THRESHOLD
    assert similarity(base, extended) >= DEFAULT_THRESHOLD
    other = HASHER.signature(" ".join(THEME_SENTENCES["kinhte"][:8]))
    assert similarity(base, other) < 0.3


def test_announcements_differing_in_names_and_numbers_are_not_similar():
    a = ANNOUNCEMENT.format(no=1285, d=9, m=10, name="Nguyễn Văn Hùng", born=1976, years=5, service=22)
    b = ANNOUNCEMENT.format(no=1342, d=18, m=11, name="Trần Thị Thu Hương", born=1981, years=5, service=17)
    assert similarity(HASHER.signature(a), HASHER.signature(b)) < DEFAULT_THRESHOLD


def test_numbers_are_tokens_of_their_own():
    a = REPORT.format(q="quý I", g="7,25", b="9.412", s="23,4", x="812", xg="12,6", v="31,2", n=482, k="6.120", p="18,3")
    b = REPORT.format(q="quý II", g="8,07", b="11.935", s="29,7", x="905", xg="9,8", v="36,4", n=517, k="7.304", p="26,1")
    assert similarity(HASHER.signature(a), HASHER.signature(b)) < DEFAULT_THRESHOLD
    # what the test guards against: with every number one token, the two reports are one text
    digits = lambda t: re.sub(r"\d+", "0", t)            # noqa: E731
    assert similarity(HASHER.signature(digits(a)), HASHER.signature(digits(b))) >= DEFAULT_THRESHOLD


@pytest.fixture
def store(tmp_path):
    s = SQLiteDedupStore(tmp_path / "state.sqlite")
    yield s
    s.close()


def _dedup(store, threshold=DEFAULT_THRESHOLD):
    return Deduplicator(store, store, store.hasher, threshold)


def _write(dedup, record_id, text, run="run-1", url=None):
    verdict = dedup.check(record_id, text, run)
    if verdict.kind in ("exact",):
        return verdict
    dedup.hold(record_id, verdict, run)
    dedup.written(record_id, url or f"http://site/{record_id}", verdict.kept_id if verdict.kind == "near" else None,
                  run)
    return verdict


def test_exact_copy_of_an_earlier_record_and_the_same_article_again(store):
    dedup = _dedup(store)
    assert _write(dedup, "a" * 24, ARTICLE).kind == "new"
    copy = dedup.check("b" * 24, "  " + ARTICLE.replace("hóa", "hoá").upper(), "run-2")
    assert (copy.kind, copy.kept_id, copy.kept_run_id) == ("exact", "a" * 24, "run-1")
    # the same id is the same article: not its own duplicate
    assert dedup.check("a" * 24, ARTICLE, "run-2").kind == "same"


def test_near_copy_points_to_the_earlier_record_never_to_a_later_one(store):
    dedup = _dedup(store)
    _write(dedup, "a" * 24, ARTICLE)
    near = _write(dedup, "b" * 24, ARTICLE + " Theo kế hoạch, hội nghị được tổ chức định kỳ hằng năm.")
    assert (near.kind, near.kept_id) == ("near", "a" * 24)
    # a re-run: the original meets the later copy in the index, and itself: neither is its original
    again = dedup.check("a" * 24, ARTICLE, "run-2")
    assert again.kind == "same" and again.kept_id is None
    assert dedup.check("b" * 24, ARTICLE + " Theo kế hoạch, hội nghị được tổ chức định kỳ hằng năm.").kept_id == "a" * 24


def test_records_in_flight_are_checked_and_forgotten_when_dropped(store):
    dedup = _dedup(store)
    first = dedup.check("a" * 24, ARTICLE, "run-1")
    dedup.hold("a" * 24, first, "run-1")
    assert dedup.check("b" * 24, ARTICLE, "run-1").kind == "exact"
    assert dedup.check("c" * 24, ARTICLE + " Thêm một câu kết thúc bài.", "run-1").kind == "near"
    dedup.forget("a" * 24)                         # dropped later (invalid, unchanged): never an original
    assert dedup.check("b" * 24, ARTICLE, "run-1").kind == "new"
    assert store.count() == 0


def test_index_is_found_again_by_another_process(tmp_path):
    path = tmp_path / "state.sqlite"
    store = SQLiteDedupStore(path)
    _write(_dedup(store), "a" * 24, ARTICLE)
    store.close()
    probe = ("import json, sys\n"
             "from pipelines.near_dup import SQLiteDedupStore, Deduplicator\n"
             "s = SQLiteDedupStore(sys.argv[1]); d = Deduplicator(s, s, s.hasher)\n"
             "v = d.check('b' * 24, sys.argv[2])\n"
             "print(json.dumps([v.kind, v.kept_id]))\n")
    text = "(ĐCSVN) - " + ARTICLE + " Theo kế hoạch, hội nghị được tổ chức định kỳ hằng năm."
    out = subprocess.run([sys.executable, "-c", probe, str(path), text], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == ["near", "a" * 24]


def test_tables_share_the_crawl_state_file(tmp_path):
    path = tmp_path / "state.sqlite"
    state = SQLiteState(path)
    store = SQLiteDedupStore(path)
    _write(_dedup(store), "a" * 24, ARTICLE)
    assert state.get("a" * 24) is None                     # both work on one file, each its own tables
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("SELECT id FROM dedup_texts").fetchall() == [("a" * 24,)]
    buckets = db.execute("SELECT COUNT(*) FROM near_dup_buckets").fetchone()[0]
    assert buckets == lsh_params(DEFAULT_THRESHOLD)[0]
    plan = " ".join(str(r) for r in db.execute(
        "EXPLAIN QUERY PLAN SELECT seq FROM near_dup_buckets WHERE bucket IN (1, 2)").fetchall())
    assert "PRIMARY KEY" in plan or "INDEX" in plan        # a lookup, not a scan
    store.close()
    state.close()


def test_an_updated_article_replaces_its_text_key_and_signature(store):
    dedup = _dedup(store)
    _write(dedup, "a" * 24, ARTICLE)
    changed = " ".join(THEME_SENTENCES["kinhte"][:8])
    _write(dedup, "a" * 24, changed)
    assert store.count() == 1
    assert dedup.check("b" * 24, ARTICLE).kind == "new"        # the old text is nobody's now
    assert dedup.check("b" * 24, changed).kind == "exact"


def test_another_threshold_rebuckets_the_stored_signatures(tmp_path):
    path = tmp_path / "state.sqlite"
    store = SQLiteDedupStore(path)
    _write(_dedup(store), "a" * 24, ARTICLE)
    store.close()
    looser = SQLiteDedupStore(path, threshold=0.5)
    assert (looser.bands, looser.rows) == lsh_params(0.5)
    buckets = sqlite3.connect(path).execute("SELECT COUNT(*) FROM near_dup_buckets").fetchone()[0]
    assert buckets == looser.bands
    half = " ".join(THEME_SENTENCES["dang"][:6]) + " " + " ".join(THEME_SENTENCES["kinhte"][:2])
    assert 0.5 <= similarity(HASHER.signature(ARTICLE), HASHER.signature(half)) < 0.8
    assert _dedup(looser, 0.5).check("b" * 24, half).kind == "near"
    looser.close()
    assert _dedup(SQLiteDedupStore(path)).check("b" * 24, half).kind == "new"


def test_signatures_of_other_minhash_parameters_are_refused(tmp_path):
    path = tmp_path / "state.sqlite"
    SQLiteDedupStore(path).close()
    with pytest.raises(ValueError, match="near-duplicate signatures"):
        SQLiteDedupStore(path, hasher=MinHasher(num_perm=64))


def test_links_are_kept_per_kept_record(store):
    store.link("a" * 24, "http://b/1", "exact", 1.0, "run-2")
    store.link("a" * 24, "http://b/1", "exact", 1.0, "run-3")     # seen again: one link
    store.link("a" * 24, "http://c/2", "near", 0.9, "run-3")
    assert store.links("a" * 24) == ["http://b/1"]


def test_prepared_key_and_signature_are_used_only_for_their_own_text_and_parameters():
    from pipelines.near_dup import prepare, prepared_inputs
    from pipelines.core import dedup_key

    ready = prepare(ARTICLE)
    key, signature = prepared_inputs(ready, ARTICLE, HASHER)
    assert key == dedup_key(ARTICLE) and (signature == HASHER.signature(ARTICLE)).all()
    assert prepared_inputs(ready, ARTICLE + " Thêm một câu.", HASHER) == (None, None)      # another text
    assert prepared_inputs(ready, ARTICLE, MinHasher(num_perm=64)) == (None, None)         # other parameters
    assert prepared_inputs(None, ARTICLE, HASHER) == (None, None)


def test_a_store_sharing_the_state_connection_batches_with_it(tmp_path):
    path = tmp_path / "state.sqlite"
    state = SQLiteState(path, batch=100)
    store = SQLiteDedupStore(path, state=state)
    dedup = _dedup(store)
    _write(dedup, "a" * 24, ARTICLE)
    state.put({"id": "a" * 24, "canonical_url": "http://site/a", "content_hash": "h", "revision": 1}, "2026-11-21")
    assert dedup.check("b" * 24, ARTICLE, "run-2").kind == "exact"          # pending writes are read
    other = sqlite3.connect(str(path))
    assert other.execute("SELECT COUNT(*) FROM dedup_texts").fetchone()[0] == 0
    store.close()                                                            # commits, keeps the connection
    assert other.execute("SELECT COUNT(*) FROM dedup_texts").fetchone()[0] == 1
    assert state.get("a" * 24) is not None
    state.close()
    other.close()

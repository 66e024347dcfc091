"""The SQLite crawl state: articles by id and by any URL that led to them, validators, dropped pages, and an
old state file upgraded in place."""
import sqlite3

from pipelines.state import ReplayState, SQLiteState


def _record(n: int, text_hash: str = "h", revision: int = 1) -> dict:
    return {"id": f"id{n}", "canonical_url": f"https://a.dcs.vn/news/x/bai-{n}.html", "content_hash": text_hash,
            "revision": revision, "published_at": "2026-11-20T08:00:00+07:00"}


def test_put_get_and_lookup_by_every_url(tmp_path):
    state = SQLiteState(tmp_path / "s.sqlite")
    state.put(_record(1), "2026-11-21T00:00:00Z", etag='"abc"', last_modified="Fri, 20 Nov 2026 01:00:00 GMT",
              urls=("https://a.dcs.vn/news/x/bai-1.html?utm_source=zalo", "https://a.dcs.vn/old/1"))
    got = state.get("id1")
    assert (got.content_hash, got.revision, got.etag, got.published_at) == ("h", 1, '"abc"', "2026-11-20T08:00:00+07:00")
    for url in ("https://a.dcs.vn/news/x/bai-1.html", "https://a.dcs.vn/old/1"):
        assert state.lookup_url(url).id == "id1"
    assert state.lookup_url("https://a.dcs.vn/news/x/bai-2.html") is None
    # a new revision keeps first_seen, moves last_seen; touch keeps validators it is not given
    state.put(_record(1, "h2", 2), "2026-11-22T00:00:00Z")
    state.touch("id1", "2026-11-23T00:00:00Z", etag='"def"')
    got = state.get("id1")
    assert (got.content_hash, got.revision, got.first_seen, got.last_seen, got.etag) == \
        ("h2", 2, "2026-11-21T00:00:00Z", "2026-11-23T00:00:00Z", '"def"')
    state.close()
    # it outlives the process: a new connection sees it all
    again = SQLiteState(tmp_path / "s.sqlite")
    assert again.count() == 1 and again.lookup_url("https://a.dcs.vn/old/1").revision == 2
    again.close()


def test_dropped_pages_are_remembered_for_a_window(tmp_path):
    state = SQLiteState(tmp_path / "s.sqlite")
    state.note_dropped(["https://a.vn/video/1.html", None], "not_article", "2026-11-01T00:00:00Z")
    assert state.dropped_since("https://a.vn/video/1.html", "2026-10-25T00:00:00Z") == "not_article"
    assert state.dropped_since("https://a.vn/video/1.html", "2026-11-02T00:00:00Z") is None
    assert state.dropped_since("https://a.vn/video/1.html", "2026-10-25T00:00:00Z", "2026-10-31T00:00:00Z") is None
    state.close()


def test_a_state_file_of_the_first_release_is_upgraded(tmp_path):
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE articles (id TEXT PRIMARY KEY, canonical_url TEXT NOT NULL, content_hash TEXT NOT NULL, "
               "revision INTEGER NOT NULL, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL)")
    db.execute("INSERT INTO articles VALUES ('id9', 'https://a.vn/9', 'h9', 3, '2025-01-01T00:00:00Z', "
               "'2025-01-02T00:00:00Z')")
    db.commit()
    db.close()
    state = SQLiteState(path)
    got = state.get("id9")
    assert (got.revision, got.etag, got.published_at) == (3, None, None)
    state.put(_record(9), "2026-11-22T00:00:00Z")
    assert state.lookup_url("https://a.dcs.vn/news/x/bai-9.html").id == "id9"
    state.close()


def test_replay_state_knows_what_the_state_knew_before_the_run():
    replay = ReplayState({"id1": {"revision": 2, "content_hash": "old"}, "id2": None})
    assert replay.get("id1").revision == 2 and replay.get("id2") is None
    replay.put(_record(2), "t")
    assert replay.get("id2").content_hash == "h"
    assert replay.lookup_url("https://a.dcs.vn/news/x/bai-2.html") is None


def test_batched_writes_are_read_at_once_committed_when_full_and_at_close(tmp_path):
    path = tmp_path / "s.sqlite"
    state = SQLiteState(path, batch=3, batch_seconds=3600)
    other = sqlite3.connect(str(path))                   # another process's view: committed writes only
    committed = lambda: other.execute("SELECT COUNT(*) FROM articles").fetchone()[0]   # noqa: E731
    state.put(_record(1), "2026-11-21T00:00:00Z", urls=("https://a.dcs.vn/old/1",))
    state.note_dropped(["https://a.dcs.vn/video/1"], "not_article", "2026-11-21T00:00:00Z")
    assert state.get("id1") is not None and state.lookup_url("https://a.dcs.vn/old/1").id == "id1"
    assert state.dropped_since("https://a.dcs.vn/video/1", "2026-11-01") == "not_article"
    assert committed() == 0
    state.put(_record(2), "2026-11-21T00:00:00Z")        # the third write fills the batch
    assert committed() == 2
    state.put(_record(3), "2026-11-21T00:00:00Z")
    assert committed() == 2
    state.close()
    assert committed() == 3
    other.close()


def test_a_failed_write_in_a_batch_undoes_itself_only(tmp_path):
    state = SQLiteState(tmp_path / "s.sqlite", batch=10)
    state.put(_record(1), "2026-11-21T00:00:00Z")
    bad = dict(_record(2), canonical_url=None)         # NOT NULL: the write fails after nothing else
    try:
        state.put(bad, "2026-11-21T00:00:00Z")
    except sqlite3.IntegrityError:
        pass
    else:
        raise AssertionError("a NULL canonical_url was stored")
    state.put(_record(3), "2026-11-21T00:00:00Z")
    state.close()
    again = SQLiteState(tmp_path / "s.sqlite")
    assert [again.get(f"id{n}") is not None for n in (1, 2, 3)] == [True, False, True]
    again.close()

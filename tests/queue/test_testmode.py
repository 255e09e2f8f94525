"""Kue's test mode: saved jobs are recorded on the queue, Redis is not touched."""

from __future__ import annotations

import redis

from queuesim.queue import Queue, Worker


def test_enter_records_jobs_without_redis(queue: Queue, r: redis.Redis) -> None:
    queue.test_mode.enter()
    a = queue.create({"phoneNumber": "4153518780", "message": "hi"}).save()
    b = queue.add({"phoneNumber": "4153518781", "message": "yo"})
    assert [j.id for j in queue.test_mode.jobs] == ["1", "2"]
    assert queue.test_mode.jobs == [a, b]
    assert a.data == {"phoneNumber": "4153518780", "message": "hi"}
    a.progress(1, 2)
    a.log("not stored")
    assert r.dbsize() == 0
    queue.test_mode.clear()
    assert queue.test_mode.jobs == []
    assert queue.add(3).id == "3"  # ids keep counting until the mode is entered again
    queue.test_mode.exit()
    assert queue.add(4).id == "1"  # a real save again
    assert r.hlen(queue.keys.jobs) == 1


def test_ids_restart_per_test_mode_and_queues_do_not_share(make_queue) -> None:  # type: ignore[no-untyped-def]
    q1, q2 = make_queue("a"), make_queue("b")
    q1.test_mode.enter()
    q2.test_mode.enter()
    q1.add(1)
    assert q2.test_mode.jobs == []
    q1.test_mode.exit()
    q1.test_mode.enter()
    assert q1.add(2).id == "1"
    q1.test_mode.exit()
    q2.test_mode.exit()


def test_context_manager_clears_and_exits(queue: Queue, r: redis.Redis) -> None:
    with queue.test_mode() as mode:
        queue.create_bulk([1, 2, 3])
        assert [j.data for j in mode.jobs] == [1, 2, 3]
    assert not queue.test_mode.active
    assert queue.test_mode.jobs == []
    assert r.dbsize() == 0


def test_process_mode_saves_for_real(queue: Queue) -> None:
    with queue.test_mode(process=True) as mode:
        job = queue.add({"x": 1})
        assert Worker(queue, lambda job: "ran").run(burst=True).completed == 1
        assert [j.id for j in mode.jobs] == [job.id]
    assert queue.get_job(job.id or "").result == "ran"


def test_process_mode_records_bulk_saves_too(queue: Queue) -> None:
    with queue.test_mode(process=True) as mode:
        jobs = queue.create_bulk([1, 2])
        assert mode.jobs == jobs
        assert [j.id for j in jobs] == ["1", "2"]  # ids from Redis: the jobs are really saved
    assert queue.counts()["inactive"] == 2


def test_repr(queue: Queue) -> None:
    assert repr(queue.test_mode) == "<TestMode off, 0 jobs>"
    queue.test_mode.enter()
    queue.add(1)
    assert repr(queue.test_mode) == "<TestMode on, 1 jobs>"
    queue.test_mode.exit()

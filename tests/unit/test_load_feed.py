"""The load run's snapshot feed stays bounded however long nobody reads it (issue 18)."""

from __future__ import annotations

import threading

import pytest

from simulator.load.feed import Feed


def test_an_unread_feed_stays_bounded_and_keeps_the_newest() -> None:
    feed: Feed[int] = Feed(backlog=60)
    for second in range(10_000):  # almost three hours of a drill that never iterates
        feed.put(second)
    assert len(feed) == 60
    assert feed.dropped == 10_000 - 60
    assert feed.get(timeout_s=0) == (10_000 - 60, False)


def test_a_reader_gets_every_item_in_order_then_the_end() -> None:
    feed: Feed[int] = Feed(backlog=10)
    for n in range(5):
        feed.put(n)
    feed.end()
    got = []
    while True:
        item, ended = feed.get(timeout_s=1)
        if ended:
            break
        got.append(item)
    assert got == [0, 1, 2, 3, 4]
    assert feed.get(timeout_s=0) == (None, True)  # a later reader ends too
    assert feed.dropped == 0


def test_a_waiting_reader_wakes_for_an_item_from_another_thread() -> None:
    feed: Feed[str] = Feed()
    assert feed.get(timeout_s=0.01) == (None, False)  # nothing yet, not the end
    writer = threading.Thread(target=feed.put, args=("tick",))
    writer.start()
    item, ended = feed.get(timeout_s=30)
    writer.join()
    assert (item, ended) == ("tick", False)


def test_a_feed_holds_at_least_one_item() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Feed(backlog=0)

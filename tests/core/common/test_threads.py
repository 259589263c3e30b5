"""core/common/threads.py: a call on its own thread, its result or its exception handed back."""

from __future__ import annotations

import threading

import pytest

from tajweed_desktop.core.common.threads import ThreadCall, run_on_plain_thread


def test_the_result_comes_back_from_another_thread():
    caller = threading.current_thread()
    assert run_on_plain_thread(lambda a, b: (a + b, threading.current_thread() is not caller), 2, b=3, name="t") == (5, True)


def test_the_exception_is_raised_in_the_caller():
    def fail():
        raise KeyError("inside")

    with pytest.raises(KeyError, match="inside"):
        run_on_plain_thread(fail, name="t")


def test_join_with_a_timeout_says_whether_the_call_finished():
    release = threading.Event()
    call = ThreadCall(release.wait, name="t")
    assert call.join(0.05) is False  # still running: the caller decides what to do (a stalled read)
    release.set()
    assert call.join(5) is True and call.result() is True


def test_once_builds_its_value_once_when_threads_ask_together():
    import threading
    import time

    from tajweed_desktop.core.common.threads import once

    calls = []

    @once
    def slow():
        calls.append(1)
        time.sleep(0.2)  # long enough for every thread to ask while it runs
        return object()

    got = []
    threads = [threading.Thread(target=lambda: got.append(slow())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len({id(x) for x in got}) == 1

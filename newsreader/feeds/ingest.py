"""Parse a feed body and store its articles, in a worker process; and the pool that runs them.

Both halves are CPU work in Python (feedparser, HTML to blocks, JSON and SQL for thousands of
rows); done in the UI's process they would fight its event loop for the GIL. Each worker keeps
its own connection to the cache; SQLite's write lock and busy timeout make them take turns.

Feeds are written by strangers, so a worker is guarded twice:

* reading one feed has a time limit (``IngestJob.time_limit``): past it the parse stops with
  :class:`ParseTimeout` and the worker goes on with the next job. Should the parse be stuck
  where Python cannot interrupt it (inside C code), the kernel ends the process a few CPU
  seconds later (``SIGPROF``), so it never burns a core for long;
* :class:`WorkerPool` survives a worker that dies (that kill, the OOM killer, a crash): it
  replaces its processes at once and runs every job the dead pool held again, each alone in
  a fresh process, so only the job that kills its process fails (:class:`WorkerDied`).
"""

from __future__ import annotations

import json
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Executor, Future, InvalidStateError, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import partial
from multiprocessing.connection import Connection, wait
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import FrameType
from typing import Any, ParamSpec, TypeVar

from newsreader.feeds.parse import parse_feed
from newsreader.nlp.regions import RegionMap
from newsreader.store import FeedState, Store

_stores: dict[Path, Store] = {}

# CPU seconds a parse may run past its time limit before the kernel ends the process: the
# limit itself is enforced from Python (a signal handler), which runs between bytecodes, so
# only a parse stuck inside one long C call gets this far.
HARD_LIMIT_GRACE = 5.0

_P = ParamSpec("_P")
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class IngestJob:
    database: Path
    feed_id: int
    body: bytes
    url: str
    content_type: str | None
    now: float
    interval: float
    max_age: float | None
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    time_limit: float | None = None  # seconds to parse the body (None or 0: no limit)


@dataclass(frozen=True, slots=True)
class IngestResult:
    new: int
    updated: int
    title: str | None


class ParseTimeout(Exception):
    """Reading a feed took longer than its time limit; nothing of it was written."""

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds

    def __str__(self) -> str:
        return f"could not read the feed within {self.seconds:g} s: it is too big or too complex"


class _Expired(BaseException):
    # A BaseException, so that no "except Exception" on the way out of the parser takes it for
    # a problem with the feed and carries on.
    pass


@contextmanager
def time_limit(seconds: float | None, grace: float = HARD_LIMIT_GRACE) -> Iterator[None]:
    """Raise :class:`ParseTimeout` in the block when it runs longer than ``seconds`` (wall
    clock), and end the whole process if it has used ``seconds + grace`` CPU seconds (it is
    stuck where the first limit cannot reach). Only in a process's main thread (signals);
    elsewhere, or with no limit, the block simply runs."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise _Expired

    previous = signal.signal(signal.SIGALRM, expire)
    try:
        try:
            signal.setitimer(signal.ITIMER_REAL, seconds)
            # SIGPROF's default action ends the process; it needs no Python code to run.
            signal.setitimer(signal.ITIMER_PROF, seconds + grace)
            yield
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.setitimer(signal.ITIMER_REAL, 0)
    except _Expired:
        raise ParseTimeout(seconds) from None
    finally:
        signal.signal(signal.SIGALRM, previous)


def ingest(job: IngestJob) -> IngestResult:
    """Raises ``NotAFeedError`` (picklable) when the body is not a feed, and ``ParseTimeout``
    when reading it takes longer than ``job.time_limit``; nothing is written then."""
    from newsreader.feeds.poller import next_due

    with time_limit(job.time_limit):
        parsed = parse_feed(job.body, job.url, content_type=job.content_type)
    state = FeedState(
        status="ok",
        error=None,
        checked=job.now,
        next_due=next_due(job.now, job.interval, ttl=parsed.ttl_seconds, max_age=job.max_age),
        failures=0,
        etag=job.etag,
        last_modified=job.last_modified,
        body_hash=job.body_hash,
    )
    store = _store(job.database)
    new, updated = store.save_refresh(job.feed_id, state, parsed, now=job.now)
    return IngestResult(new, updated, parsed.title or None)


@dataclass(frozen=True, slots=True)
class EnrichJob:
    """Analyse stored articles (entities, regions, related features) and store the results.

    ``regions_only`` redoes only the story regions from the stored mentions (after the user
    changed the region map). ``regions`` is the config's ``[regions]`` table.
    """

    database: Path
    ids: tuple[int, ...]
    regions: Mapping[str, Any] | None = None
    regions_only: bool = False


def enrich(job: EnrichJob) -> int:
    """Returns how many articles were analysed."""
    from newsreader.nlp.analysis import ANALYSER_VERSION, analyse, regions_for
    from newsreader.store import StoredAnalysis, decode_mentions

    store = _store(job.database)
    region_map = _region_map(job.regions)
    inputs = store.analysis_inputs(job.ids)
    if job.regions_only:
        regions = []
        for item in inputs:
            if item.mentions is None:
                continue
            text = f"{item.title.strip()}\n\n{item.text}" if item.text else item.title.strip()
            mentions = decode_mentions(item.mentions, text)
            regions.append(
                (
                    item.id,
                    regions_for(
                        mentions, item.title_end, item.lead_end, region_map, item.source_region
                    ),
                )
            )
        store.save_regions(regions)
        return len(regions)
    from newsreader.nlp.related import entity_keys, features

    results = []
    for item in inputs:
        an = analyse(item.title, item.text, region_map=region_map, source_region=item.source_region)
        blob = features(item.title, item.text, entity_keys(an.entities))
        results.append(
            StoredAnalysis(
                article_id=item.id,
                version=ANALYSER_VERSION,
                language=an.language,
                full=an.full,
                title_end=an.title_end,
                lead_end=an.lead_end,
                mentions=an.mentions,
                entities=an.entities,
                regions=an.regions,
                features=blob,
            )
        )
    store.save_analyses(results)
    return len(results)


def _store(database: Path) -> Store:
    store = _stores.get(database)
    if store is None:
        store = _stores[database] = Store.open(database)
    return store


_region_maps: dict[str, RegionMap] = {}


def _region_map(table: Mapping[str, Any] | None) -> RegionMap:
    key = json.dumps(table, sort_keys=True, default=str)
    found = _region_maps.get(key)
    if found is None:
        found = _region_maps[key] = RegionMap.from_config(table)
    return found


# --- the pool -------------------------------------------------------------------------------


class WorkerDied(Exception):
    """A job's worker process died while running it, and died again when the job ran alone:
    the job itself kills its process (it runs out of memory, crashes the parser, or is stuck
    in C code past its hard time limit)."""

    def __init__(self, exitcode: int | None) -> None:
        super().__init__(exitcode)
        self.exitcode = exitcode

    @property
    def timed_out(self) -> bool:
        """The process was ended by the hard time limit (see :func:`time_limit`)."""
        return self.exitcode == -signal.SIGPROF

    def __str__(self) -> str:
        if self.timed_out:
            return "the worker process was stopped: it ran past its time limit"
        if self.exitcode == -signal.SIGKILL:
            how = "it was killed (out of memory?)"
        elif self.exitcode is not None and self.exitcode < 0:
            how = f"it crashed (signal {-self.exitcode})"
        else:
            how = f"it exited (status {self.exitcode})"
        return f"the worker process died: {how}"


class WorkerPool(Executor):
    """A process pool that outlives its workers.

    When one of its processes dies, a ``ProcessPoolExecutor`` fails every job it holds with
    ``BrokenProcessPool`` and refuses new ones. This pool starts new processes for the jobs
    that come next, and runs each job the broken pool held again, alone in a fresh process,
    one at a time: a job that was merely caught up in another's death succeeds; the job
    that killed its worker kills only its own process now, and fails with
    :class:`WorkerDied`. No job runs more than twice.
    """

    def __init__(
        self,
        max_workers: int,
        context: BaseContext,
        initializer: Callable[..., object] | None = None,
        initargs: tuple[Any, ...] = (),
    ) -> None:
        self._max_workers = max_workers
        self._context = context
        self._initializer = initializer
        self._initargs = initargs
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._closed = False
        self._suspects: deque[tuple[Future[Any], Callable[[], Any]]] = deque()
        self._retrier: threading.Thread | None = None
        self._alone: BaseProcess | None = None
        self.replaced = 0  # how many times the processes were replaced after one died

    def _current(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot schedule new work after shutdown")
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=self._max_workers,
                    mp_context=self._context,
                    initializer=self._initializer,
                    initargs=self._initargs,
                )
            return self._pool

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is not broken:
                return  # another of its jobs got here first
            self._pool = None
            self.replaced += 1
        broken.shutdown(wait=False)  # its processes are already ended

    def submit(self, fn: Callable[_P, _T], /, *args: _P.args, **kwargs: _P.kwargs) -> Future[_T]:
        outer: Future[_T] = Future()
        call = partial(fn, *args, **kwargs)
        for _ in range(2):
            pool = self._current()
            try:
                inner = pool.submit(call)
            except BrokenProcessPool:  # it broke while idle: this job never reached it
                self._replace(pool)
                continue
            outer.add_done_callback(partial(_cancel_with, inner))
            inner.add_done_callback(partial(self._settle, outer, call, pool))
            return outer
        self._retry_alone(outer, call)
        return outer

    def _settle(
        self,
        outer: Future[Any],
        call: Callable[[], Any],
        pool: ProcessPoolExecutor,
        inner: Future[Any],
    ) -> None:
        if inner.cancelled():
            outer.cancel()
            return
        error = inner.exception()
        if isinstance(error, BrokenProcessPool):
            self._replace(pool)
            self._retry_alone(outer, call)
        elif error is not None:
            _set_exception(outer, error)
        else:
            _set_result(outer, inner.result())

    def _retry_alone(self, outer: Future[Any], call: Callable[[], Any]) -> None:
        with self._lock:
            if self._closed:
                outer.cancel()
                return
            self._suspects.append((outer, call))
            if self._retrier is None:
                self._retrier = threading.Thread(
                    target=self._retry_suspects, name="newsreader-retry", daemon=True
                )
                self._retrier.start()

    def _retry_suspects(self) -> None:
        while True:
            with self._lock:
                if self._closed or not self._suspects:
                    self._retrier = None
                    return
                outer, call = self._suspects.popleft()
            if outer.cancelled():
                continue
            try:
                result = self._run_alone(call)
            except BaseException as exc:  # the job's own error, or WorkerDied
                if self._closed:  # its process was ended by shutdown(), not by the job
                    outer.cancel()
                else:
                    _set_exception(outer, exc)
            else:
                _set_result(outer, result)

    def _run_alone(self, call: Callable[[], Any]) -> Any:
        reader, writer = self._context.Pipe(duplex=False)
        process = self._context.Process(  # type: ignore[attr-defined]
            target=_run_alone,
            args=(writer, self._initializer, self._initargs, call),
            name="newsreader-retry",
            daemon=True,
        )
        process.start()
        writer.close()
        with self._lock:
            self._alone = process
            closed = self._closed
        if closed:  # shutdown() came while it started
            process.kill()
        try:
            outcome: tuple[bool, Any] | None = None
            wait([reader, process.sentinel])
            with suppress(EOFError, OSError):
                outcome = reader.recv()
            process.join()
        finally:
            reader.close()
            with self._lock:
                self._alone = None
        if outcome is None:
            raise WorkerDied(process.exitcode)
        ok, value = outcome
        if not ok:
            raise value
        return value

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
            suspects = list(self._suspects)
            self._suspects.clear()
            alone, retrier = self._alone, self._retrier
        for outer, _ in suspects:
            outer.cancel()
        if alone is not None:
            with suppress(OSError, AttributeError):
                alone.kill()
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=cancel_futures)
        if wait and retrier is not None:
            retrier.join()


def _run_alone(
    conn: Connection,
    initializer: Callable[..., object] | None,
    initargs: tuple[Any, ...],
    call: Callable[[], Any],
) -> None:
    """A retried job, in a process of its own: (True, result) or (False, exception) is sent
    back; if the process dies instead, the pipe's end tells the pool so."""
    if initializer is not None:
        initializer(*initargs)
    outcome: tuple[bool, Any]
    try:
        outcome = (True, call())
    except Exception as exc:
        outcome = (False, exc)
    try:
        conn.send(outcome)
    except Exception as exc:  # a result or an exception that does not pickle
        conn.send((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
    conn.close()


def _cancel_with(inner: Future[Any], outer: Future[Any]) -> None:
    if outer.cancelled():
        inner.cancel()


def _set_result(future: Future[_T], result: _T) -> None:
    with suppress(InvalidStateError):  # cancelled by its caller meanwhile
        future.set_result(result)


def _set_exception(future: Future[Any], error: BaseException) -> None:
    with suppress(InvalidStateError):
        future.set_exception(error)

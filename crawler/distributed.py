"""Crawls spread over several worker processes through Redis (scrapy-redis).

Every worker of one run shares, in Redis, under keys that start with
``offermap:{RUN_KEY}:<spider>:``:

* ``seen`` — scrapy-redis's :class:`~scrapy_redis.dupefilter.RFPDupeFilter` (a set of
  request fingerprints), so a URL is scheduled once for the whole run, whichever
  worker found it;
* ``queue`` — the requests to fetch (a sorted set of tickets by priority) and
  ``queue:payloads`` (ticket -> the serialised request);
* ``queue:proc:<worker>`` — the tickets a worker has taken and not yet finished;
* ``queue:alive:<worker>`` — the worker's heartbeat, a key that expires
  :data:`HEARTBEAT_TTL` seconds after the worker last wrote it.

scrapy-redis's own queues *pop* a request: a worker killed with requests in flight
loses them (they are in the duplicate filter, so nobody fetches them again).  Here a
request popped by a worker moves, in one Lua script, from the queue to the worker's
``proc`` set, and leaves it only once the page it fetched has gone through the item
pipeline (stored) and the links it yielded are queued.  When a worker's heartbeat
expires, whoever notices (any other worker, or one started later with the same run
key) moves its ``proc`` set back into the queue, atomically, so its unfinished pages
are fetched again: nothing is lost, and the page that was in flight may be fetched
twice (at most :setting:`CONCURRENT_REQUESTS` pages per killed worker).

A worker stops when the shared queue is empty and no living worker has a page in
flight (a page in flight can still add links).

Requests to the operator's own endpoints (search APIs, the Common Crawl index:
requests marked ``offermap_trusted``) carry API keys and are paced by their spider,
so they never go to Redis: they stay in the worker's memory, as in a single crawl.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections import deque
from typing import Any

from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Request, Response
from scrapy_redis.queue import Base
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

logger = logging.getLogger(__name__)

#: Meta key of a request's ticket in the shared queue.
TICKET = "offermap_ticket"
#: Seconds after its last heartbeat that a worker counts as dead.
HEARTBEAT_TTL = 15
#: Seconds between heartbeats.
HEARTBEAT_EVERY = 3.0

_POP = """
local r = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #r == 0 then return nil end
redis.call('ZREM', KEYS[1], r[1])
redis.call('ZADD', KEYS[3], r[2], r[1])
return {r[1], redis.call('HGET', KEYS[2], r[1])}
"""

# KEYS: queue, proc of the dead worker, its heartbeat, the workers set; ARGV: its id.
_RECOVER = """
if redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
local n = redis.call('ZCARD', KEYS[2])
if n > 0 then
  redis.call('ZUNIONSTORE', KEYS[1], 2, KEYS[1], KEYS[2], 'AGGREGATE', 'MIN')
end
redis.call('DEL', KEYS[2])
redis.call('SREM', KEYS[4], ARGV[1])
return n
"""

_ACK_ALL = """
local t = redis.call('ZRANGE', KEYS[1], 0, -1)
for i = 1, #t do redis.call('HDEL', KEYS[2], t[i]) end
redis.call('DEL', KEYS[1])
return #t
"""


def run_keys(run_key: str) -> dict[str, str]:
    """Scrapy settings for a distributed crawl under ``run_key``."""
    prefix = f"offermap:{{{run_key}}}:%(spider)s"  # a hash tag: one slot per run
    return {
        "SCHEDULER": "crawler.distributed.ReliableScheduler",
        "SCHEDULER_QUEUE_CLASS": "crawler.distributed.ReliableQueue",
        "SCHEDULER_QUEUE_KEY": f"{prefix}:queue",
        "SCHEDULER_DUPEFILTER_KEY": f"{prefix}:seen",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST": True,  # the run's state outlives any one worker
        "OFFERMAP_RUN_KEY": run_key,
    }


def worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class ReliableQueue(Base):
    """A shared priority queue where a taken request stays recorded until it is done."""

    worker: str = ""

    def bind(self, worker: str) -> None:
        self.worker = worker
        self.payloads = f"{self.key}:payloads"
        self.proc = self._proc(worker)
        self.alive = self._alive(worker)
        self.workers = f"{self.key}:workers"
        self._pop = self.server.register_script(_POP)
        self._recover = self.server.register_script(_RECOVER)
        self._ack_all = self.server.register_script(_ACK_ALL)

    def _proc(self, worker: str) -> str:
        return f"{self.key}:proc:{worker}"

    def _alive(self, worker: str) -> str:
        return f"{self.key}:alive:{worker}"

    def __len__(self) -> int:
        return int(self.server.zcard(self.key))

    def push(self, request: Request) -> None:
        ticket = uuid.uuid4().hex
        request.meta[TICKET] = ticket
        data = self._encode_request(request)
        with self.server.pipeline(transaction=True) as pipe:
            pipe.hset(self.payloads, ticket, data)
            pipe.zadd(self.key, {ticket: -request.priority})
            pipe.execute()

    def pop(self, timeout: int = 0) -> Request | None:
        while True:
            found = self._pop(keys=[self.key, self.payloads, self.proc])
            if not found:
                return None
            ticket, data = found
            if data is None:  # a payload removed under our feet: drop the ticket
                self.ack(ticket)
                continue
            return self._decode_request(data)

    def ack(self, ticket: str | bytes) -> None:
        with self.server.pipeline(transaction=True) as pipe:
            pipe.zrem(self.proc, ticket)
            pipe.hdel(self.payloads, ticket)
            pipe.execute()

    def ack_all(self) -> int:
        return int(self._ack_all(keys=[self.proc, self.payloads]))

    def in_flight(self) -> int:
        return int(self.server.zcard(self.proc))

    def heartbeat(self) -> None:
        with self.server.pipeline(transaction=True) as pipe:
            pipe.set(self.alive, self.worker, ex=HEARTBEAT_TTL)
            pipe.sadd(self.workers, self.worker)
            pipe.execute()

    def leave(self) -> None:
        self.ack_all()
        with self.server.pipeline(transaction=True) as pipe:
            pipe.delete(self.alive)
            pipe.srem(self.workers, self.worker)
            pipe.execute()

    def others(self) -> list[str]:
        return [_text(member) for member in self.server.smembers(self.workers)
                if _text(member) != self.worker]

    def recover(self) -> int:
        """Put back the pages of workers whose heartbeat expired; how many."""
        moved = 0
        for other in self.others():
            n = int(self._recover(keys=[self.key, self._proc(other), self._alive(other),
                                        self.workers], args=[other]))
            if n > 0:
                logger.warning("worker %s stopped with %d pages in flight: queued again",
                               other, n)
                moved += n
        return moved

    def busy_elsewhere(self) -> bool:
        """Whether a living worker still has pages in flight (they may add links)."""
        return any(self.server.exists(self._alive(other))
                   and self.server.zcard(self._proc(other)) for other in self.others())

    def clear(self) -> None:
        keys = [self.key, self.payloads, self.workers,
                *(self._proc(w) for w in [self.worker, *self.others()])]
        self.server.delete(*keys)


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


class ReliableScheduler(Scheduler):
    """scrapy-redis's scheduler over a :class:`ReliableQueue`, for one worker."""

    crawler: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> ReliableScheduler:
        instance = super().from_crawler(crawler)
        instance.crawler = crawler
        instance.worker = crawler.settings.get("OFFERMAP_WORKER_ID") or worker_id()
        instance.local: deque[Request] = deque()
        instance.pending: dict[str, list[Any]] = {}  # ticket -> [output open, items]
        instance.heart: task.LoopingCall | None = None
        crawler.signals.connect(instance._idle, signal=signals.spider_idle)
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(instance._item_done, signal=signal)
        crawler.offermap_scheduler = instance
        return instance

    def open(self, spider: Any) -> None:
        super().open(spider)
        self.queue.bind(self.worker)
        self.queue.heartbeat()
        recovered = self.queue.recover()
        if recovered:
            spider.logger.info("took over %d pages of a stopped worker", recovered)
        self.heart = task.LoopingCall(self.queue.heartbeat)
        self.heart.start(HEARTBEAT_EVERY, now=False)

    def close(self, reason: str) -> None:
        if self.heart is not None and self.heart.running:
            self.heart.stop()
        if reason == "finished":
            self.queue.leave()
            if not self.queue.others() and not len(self.queue):
                # The last worker out: the run is complete, so its key can start
                # another run (a worker joining later starts that run afresh).
                self.queue.clear()
                self.df.clear()
        # Otherwise (shutdown, error) the heartbeat expires and another worker takes
        # this worker's pages over.
        super().close(reason)

    # --- scheduling ---------------------------------------------------------------

    def enqueue_request(self, request: Request) -> bool:
        if request.meta.get("offermap_trusted"):
            self.local.append(request)  # API keys stay out of Redis
            return True
        old = request.meta.pop(TICKET, None)  # a retry or redirect replaces its request
        try:
            return super().enqueue_request(request)
        finally:
            if old is not None:
                self.queue.ack(old)

    def next_request(self) -> Request | None:
        if self.local:
            return self.local.popleft()
        return super().next_request()

    def has_pending_requests(self) -> bool:
        return bool(self.local) or len(self) > 0

    # --- when a request is done --------------------------------------------------
    # Done = its output was read to the end (its links are queued) and every item it
    # yielded left the item pipeline (the page is stored).

    def output_started(self, ticket: str) -> None:
        self.pending[ticket] = [True, 0]

    def output_item(self, ticket: str) -> None:
        if ticket in self.pending:
            self.pending[ticket][1] += 1

    def output_ended(self, ticket: str) -> None:
        state = self.pending.get(ticket)
        if state is not None:
            state[0] = False
            self._maybe_done(ticket, state)

    def _item_done(self, item: Any, response: Any, spider: Any, **kwargs: Any) -> None:
        request = getattr(response, "request", None)
        ticket = request.meta.get(TICKET) if request is not None else None
        if ticket is None:
            return
        state = self.pending.get(ticket)
        if state is None:  # an errback's item: its only output
            self.queue.ack(ticket)
            return
        state[1] -= 1
        self._maybe_done(ticket, state)

    def _maybe_done(self, ticket: str, state: list[Any]) -> None:
        if not state[0] and state[1] <= 0:
            del self.pending[ticket]
            self.queue.ack(ticket)

    def _idle(self, spider: Any) -> None:
        # Nothing is in flight in this worker now: whatever it took is done.
        self.queue.ack_all()
        self.pending.clear()
        self.queue.heartbeat()
        self.queue.recover()
        if len(self.queue) or self.queue.busy_elsewhere():
            raise DontCloseSpider


class TicketMiddleware:
    """Spider middleware that tells the scheduler when a response's output ends."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> TicketMiddleware:
        return cls(crawler)

    def _scheduler(self) -> ReliableScheduler | None:
        return getattr(self.crawler, "offermap_scheduler", None)

    def process_spider_output(self, response: Response, result: Any) -> Any:
        scheduler, ticket = self._scheduler(), response.request.meta.get(TICKET) \
            if response.request is not None else None
        if scheduler is None or ticket is None:
            yield from result
            return
        scheduler.output_started(ticket)
        try:
            for output in result:
                if not isinstance(output, Request):
                    scheduler.output_item(ticket)
                yield output
        finally:
            scheduler.output_ended(ticket)

    async def process_spider_output_async(self, response: Response, result: Any) -> Any:
        scheduler, ticket = self._scheduler(), response.request.meta.get(TICKET) \
            if response.request is not None else None
        if scheduler is None or ticket is None:
            async for output in result:
                yield output
            return
        scheduler.output_started(ticket)
        try:
            async for output in result:
                if not isinstance(output, Request):
                    scheduler.output_item(ticket)
                yield output
        finally:
            scheduler.output_ended(ticket)


__all__ = ["ReliableQueue", "ReliableScheduler", "TicketMiddleware", "run_keys",
           "worker_id"]

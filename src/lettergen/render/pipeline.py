"""Rendering many letters into files: chunks of letters per WeasyPrint pass, spread over worker
processes, every asked-for format of a letter made by its writer in the format registry, the
PDF laid out once for all formats made from it.

Letters come in as an iterator and are pulled a chunk at a time, so a batch of a million
letters holds at most `2 × workers + 1` chunks of them (see render.pdf.CHUNK) at once.

Workers die with the batch: each one asks the kernel for SIGKILL when its parent (the
fork server) dies, and watches the batch's process id; the fork server itself exits when the
batch's end of its pipe closes. Ctrl-C is the batch's to handle: workers ignore SIGINT, and the
batch kills them before it exits.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Generator, Iterable, Iterator
from typing import Any, TypeVar

from lettergen.compose.letter import Letter
from lettergen.errors import LettergenError
from lettergen.render import formats
from lettergen.render.formats import Output, WriteSettings
from lettergen.render.pdf import CHUNK, render_pdfs
from lettergen.render.stamp import render_stamped

__all__ = ["Output", "Task", "render_files"]

K = TypeVar("K")

#: A letter to render: a key the caller knows it by, the letter, and the formats it needs.
Task = tuple[K, Letter, tuple[str, ...]]

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def render_files(
    todo: Iterable[tuple[K, Letter, tuple[str, ...]]],
    settings: WriteSettings,
    workers: int,
) -> Generator[tuple[K, Letter, list[Output]], None, None]:
    """(key, letter, outputs) for every letter to render, in order: in this process, or in
    chunks spread over `workers` processes (a few chunks in flight, so memory stays bounded)."""

    source = iter(todo)
    chunks = iter(lambda: list(itertools.islice(source, CHUNK)), [])
    if workers <= 1:
        for chunk in chunks:
            yield from _zip(chunk, render_chunk(_indexed(chunk), settings))
        return
    first = next(chunks, None)
    second = next(chunks, None)
    if first is None:
        return
    if second is None:  # one chunk: not worth starting processes
        yield from _zip(first, render_chunk(_indexed(first), settings))
        return
    yield from _in_workers(itertools.chain([first, second], chunks), settings, workers)


def _in_workers(
    chunks: Iterator[list[tuple[K, Letter, tuple[str, ...]]]],
    settings: WriteSettings,
    workers: int,
) -> Iterator[tuple[K, Letter, list[Output]]]:
    import multiprocessing
    from concurrent.futures import Future, ProcessPoolExecutor

    # Workers start from a clean server process, not a fork of this one: a library user may
    # already hold fontconfig or GLib state here, which a fork does not survive safely.
    context = multiprocessing.get_context("forkserver")
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_worker_start,
        initargs=(os.getpid(),),
    )
    pending: deque[tuple[list[Any], Future[list[tuple[int, list[Output]]]]]] = deque()
    try:
        for chunk in itertools.islice(chunks, 2 * workers):
            pending.append((chunk, pool.submit(render_chunk, _indexed(chunk), settings)))
        while pending:
            chunk, future = pending.popleft()
            yield from _zip(chunk, future.result())
            following = next(chunks, None)
            if following is not None:
                pending.append(
                    (following, pool.submit(render_chunk, _indexed(following), settings))
                )
    except BaseException:
        # Ctrl-C, a failed write, a consumer that stops: no worker outlives the batch.
        _kill(pool)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _kill(pool: Any) -> None:
    """Kill the pool's workers, and let its manager thread see them gone.

    A worker killed while it sends a result leaves half a message in the result pipe; the
    executor's manager thread then waits in recv() for the rest, for ever, and shutdown() and
    the interpreter's exit wait for that thread. The pipe's only other writer is this process's
    own end (ProcessPoolExecutor keeps it and never writes to it): closing it gives the reader
    end-of-file, which the manager treats as a broken pool and stops. (Found by a test that
    stops a batch with SIGSTOP, so its workers fill the pipe, then interrupts it.)"""
    for process in list(getattr(pool, "_processes", {}).values()):
        with contextlib.suppress(OSError, AttributeError):
            process.kill()
    for process in list(getattr(pool, "_processes", {}).values()):
        with contextlib.suppress(OSError, AttributeError, ValueError):
            process.join(timeout=5)
    with contextlib.suppress(OSError, AttributeError):
        pool._result_queue._writer.close()


def _worker_start(batch_pid: int) -> None:
    """In each worker: die with the fork server (the kernel's parent-death signal), and with
    the batch (a watchdog on its process id); leave Ctrl-C to the batch."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the watchdog alone
        pass
    threading.Thread(target=_watch, args=(batch_pid,), daemon=True).start()


def _watch(batch_pid: int) -> None:
    while True:
        try:
            os.kill(batch_pid, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:  # the id now belongs to another user's process
            os._exit(1)
        time.sleep(0.5)


def _indexed(
    chunk: list[tuple[K, Letter, tuple[str, ...]]],
) -> list[tuple[int, Letter, tuple[str, ...]]]:
    return [(i, letter, wanted) for i, (_, letter, wanted) in enumerate(chunk)]


def _zip(
    chunk: list[tuple[K, Letter, tuple[str, ...]]], results: list[tuple[int, list[Output]]]
) -> Iterator[tuple[K, Letter, list[Output]]]:
    for index, outputs in results:
        key, letter, _ = chunk[index]
        yield key, letter, outputs


def render_chunk(
    chunk: list[tuple[int, Letter, tuple[str, ...]]], settings: WriteSettings
) -> list[tuple[int, list[Output]]]:
    """Every asked-for file of a chunk of letters. The PDFs are rendered together (one write,
    then split); the formats made from a PDF get their letter's PDF."""
    from dataclasses import replace

    def needs_pdf(wanted: tuple[str, ...]) -> bool:
        return any(formats.get(name).needs_pdf for name in wanted)

    laid_out = [letter for _, letter, wanted in chunk if needs_pdf(wanted)]
    if settings.stamp:
        # A drive: every paragraph set apart, so the phrasing variants' wordings share the
        # office's layout where their paragraphs take as many lines.
        pdfs = iter(
            render_stamped(
                laid_out, settings.templates, chunk=len(laid_out) or 1, every_paragraph=True
            )
        )
    else:
        pdfs = iter(render_pdfs(laid_out, settings.templates, chunk=len(laid_out) or 1))
    results = []
    for index, letter, wanted in chunk:
        pdf = next(pdfs) if needs_pdf(wanted) else None
        outputs = []
        for name in wanted:
            fmt = formats.get(name)
            if pdf is not None and pdf.error and fmt.needs_pdf:
                outputs.append(Output(name, error=pdf.error))
                continue
            try:
                output = fmt.write(letter, pdf, settings)
                outputs.append(replace(output, fallback=pdf.fallback) if pdf else output)
            except LettergenError as exc:
                outputs.append(Output(name, error=str(exc)))
        results.append((index, outputs))
    return results

"""The alchemy-rs bench's workloads, run through Advanced Alchemy (Python).

The peer of `bench/` (crate alchemy-bench): the same workloads (all but
W1c, whose raw side is a `COPY`), the same data and the same checks, written the way an
Advanced Alchemy user would write them -- `SQLAlchemyAsyncConfig`, an
`AsyncSession` (with `expire_on_commit=False`) and `SQLAlchemyAsyncRepository`
with its default options -- so that every Rust line can be set against it.

Prints one JSON line of settings, then one JSON line per (db, workload), to
stdout; progress goes to stderr. Exits non-zero if any check fails.

    python bench/peer/aa_bench.py --db all --scale 1 --reps 5 --workload W1,W3
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import os
import platform
import secrets
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any, Awaitable, Callable, Hashable, Optional
from uuid import UUID

from sqlalchemy import Column, ColumnElement, ForeignKey, String, Table, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column

from advanced_alchemy.base import BigIntAuditBase, UUIDv7AuditBase
from advanced_alchemy.config import AsyncSessionConfig, EngineConfig, SQLAlchemyAsyncConfig
from advanced_alchemy.filters import LimitOffset, OrderBy, SearchFilter
from advanced_alchemy.mixins import SlugKey, UniqueMixin
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.types import UUID_UTILS_INSTALLED
from advanced_alchemy.utils.text import slugify

# --------------------------------------------------------------------------
# The schema (the Rust bench's DDL, as Advanced Alchemy models)
# --------------------------------------------------------------------------


class Post(UUIDv7AuditBase):
    """`post`: UUID v7 key made by the client, created_at/updated_at audit columns."""

    __tablename__ = "post"
    title: Mapped[str] = mapped_column(String(200), index=True)
    content: Mapped[str] = mapped_column(Text)
    published: Mapped[bool] = mapped_column(default=False, server_default=false())


class Tag(BigIntAuditBase, SlugKey, UniqueMixin):
    """`tag`: BIGINT key, audit columns, unique slug, unique name; get-or-create by name."""

    __tablename__ = "tag"
    name: Mapped[str] = mapped_column(String(100), unique=True)

    @classmethod
    def unique_hash(cls, name: str, slug: Optional[str] = None) -> Hashable:
        return name

    @classmethod
    def unique_filter(cls, name: str, slug: Optional[str] = None) -> ColumnElement[bool]:
        return cls.name == name


# Created with the rest, unused by the workloads.
post_tag = Table(
    "post_tag",
    Post.metadata,
    Column("post_id", ForeignKey("post.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True),
)


class PostRepository(SQLAlchemyAsyncRepository[Post]):
    model_type = Post


# --------------------------------------------------------------------------
# Data (bench/src/data.rs)
# --------------------------------------------------------------------------

CONTENT = "Lorem ipsum dolor sit amet, consectetur adipiscing elit."
WORKLOADS = ("W1", "W2", "W2b", "W3", "W4", "W5", "W6", "W7k", "W7o")
WALK_PAGE = 100  # rows per page of the W7 walks


def title(i: int) -> str:
    return f"Post number {i}"


def upsert_title(i: int) -> str:
    return f"Upsert {i}"


def tag_names(n: int) -> list[str]:
    return [f"Tag {i}" for i in range(n)]


def w3_offset(k: int, rows: int) -> int:
    return (k * 37) % max(rows - 20, 1)


@dataclass
class Settings:
    scale: float
    reps: int
    postgres_url: str

    def n(self, base: int) -> int:
        """round(base * scale), at least 1 (Rust's f64::round: halves away from zero)."""
        return max(int(math.floor(base * self.scale + 0.5)), 1)


def ops(workload: str, s: Settings) -> int:
    if workload in ("W7k", "W7o"):
        return -(-s.n(100_000) // WALK_PAGE)  # pages of the walk
    base = {"W1": 10_000, "W2": 10_000, "W5": 10_000, "W2b": 2_000, "W3": 1_000, "W4": 1_000, "W6": 5_000}
    return s.n(base[workload])


def asyncpg_url(url: str) -> str:
    """postgres://... or postgresql://... as SQLAlchemy's asyncpg URL."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise SystemExit(f"aa_bench: not a PostgreSQL URL: {url}")


# --------------------------------------------------------------------------
# A fresh database per run
# --------------------------------------------------------------------------


class Fresh:
    """A new SQLite file in a temp dir, or a new PostgreSQL schema, with the tables made."""

    def __init__(self, db: str, s: Settings) -> None:
        self.db = db
        self.settings = s
        self.dir: Optional[str] = None
        self.schema: Optional[str] = None
        self.config: SQLAlchemyAsyncConfig

    async def __aenter__(self) -> "Fresh":
        session_config = AsyncSessionConfig(expire_on_commit=False)
        if self.db == "sqlite":
            # Default pragmas (journal_mode delete, synchronous FULL): nothing is set.
            self.dir = tempfile.mkdtemp(prefix="aa-bench-")
            url = f"sqlite+aiosqlite:///{os.path.join(self.dir, 'bench.db')}"
            self.config = SQLAlchemyAsyncConfig(connection_string=url, session_config=session_config)
        else:
            self.schema = f"aa_bench_{secrets.token_hex(6)}"
            await admin_execute(self.settings, f'CREATE SCHEMA "{self.schema}"')
            self.config = SQLAlchemyAsyncConfig(
                connection_string=asyncpg_url(self.settings.postgres_url),
                session_config=session_config,
                engine_config=EngineConfig(connect_args={"server_settings": {"search_path": self.schema}}),
            )
        try:
            async with self.config.get_engine().begin() as conn:
                await conn.run_sync(Post.metadata.create_all)
        except BaseException:
            await self.__aexit__(None, None, None)
            raise
        return self

    def session(self):  # -> async context manager yielding an AsyncSession
        return self.config.get_session()

    async def checkpoint(self) -> None:
        """PostgreSQL: write the WAL out so a checkpoint set off by seeding does not land in the timed part."""
        if self.db == "postgres":
            await admin_execute(self.settings, "CHECKPOINT")

    async def scalar(self, sql: str) -> Any:
        async with self.config.get_engine().connect() as conn:
            return (await conn.execute(text(sql))).scalar_one()

    async def __aexit__(self, *exc: Any) -> None:
        await self.config.get_engine().dispose()
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
        if self.schema is not None:
            await admin_execute(self.settings, f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')


async def admin_execute(s: Settings, sql: str) -> None:
    """One statement on its own connection, outside any transaction."""
    import asyncpg

    conn = await asyncpg.connect(s.postgres_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def seed(fresh: Fresh, titles: list[str], content: str = CONTENT) -> list[UUID]:
    """Untimed: insert posts through the repository, return their keys in order."""
    async with fresh.session() as session:
        posts = await PostRepository(session=session).add_many([Post(title=t, content=content) for t in titles])
        await session.commit()
        return [p.id for p in posts]


async def timed(body: Callable[[], Awaitable[Any]]) -> tuple[Any, float]:
    gc.collect()
    start = time.perf_counter()
    result = await body()
    return result, time.perf_counter() - start


# --------------------------------------------------------------------------
# The workloads: each returns (seconds, check)
# --------------------------------------------------------------------------


async def w1(fresh: Fresh, s: Settings) -> tuple[float, dict[str, Any]]:
    n = s.n(10_000)
    posts = [Post(title=title(i), content=CONTENT) for i in range(n)]  # built before the timer

    async def body() -> None:
        async with fresh.session() as session:
            await PostRepository(session=session).add_many(posts)
            await session.commit()

    _, seconds = await timed(body)
    rows = await fresh.scalar("SELECT count(*) FROM post")
    return seconds, {"rows": rows, "ok": rows == n}


async def w2(fresh: Fresh, s: Settings, one_session: bool) -> tuple[float, dict[str, Any]]:
    calls = s.n(10_000) if one_session else s.n(2_000)
    names = tag_names(s.n(500))
    slugs = [slugify(name) for name in names]

    async def body() -> None:
        if one_session:
            # UniqueMixin's session-scoped cache answers the repeats.
            async with fresh.session() as session:
                for i in range(calls):
                    k = i % len(names)
                    await Tag.as_unique_async(session, name=names[k], slug=slugs[k])
                await session.commit()
        else:
            for i in range(calls):
                k = i % len(names)
                async with fresh.session() as session:
                    await Tag.as_unique_async(session, name=names[k], slug=slugs[k])
                    await session.commit()

    _, seconds = await timed(body)
    rows = await fresh.scalar("SELECT count(*) FROM tag")
    bad_slugs = await fresh.scalar("SELECT count(*) FROM tag WHERE slug <> lower(replace(name, ' ', '-'))")
    want = min(len(names), calls)
    return seconds, {"rows": rows, "ok": rows == want and bad_slugs == 0}


async def w3(fresh: Fresh, s: Settings) -> tuple[float, dict[str, Any]]:
    rows = s.n(10_000)
    await seed(fresh, [title(i) for i in range(rows)])
    await fresh.checkpoint()
    calls = s.n(1_000)

    async def body() -> tuple[int, int]:
        totals = items = 0
        async with fresh.session() as session:
            repo = PostRepository(session=session)
            for k in range(calls):
                # `get_many_and_count` is `list_and_count`'s name since AA 1.10
                # (`list_and_count` warns that it is deprecated, then calls it).
                page, total = await repo.get_many_and_count(
                    SearchFilter(field_name="title", value="7", ignore_case=True),
                    OrderBy("created_at", "desc"),
                    LimitOffset(limit=20, offset=w3_offset(k, rows)),
                )
                totals += total
                items += len(page)
        return totals, items

    (totals, items), seconds = await timed(body)
    total = sum(1 for i in range(rows) if "7" in title(i))
    want_items = sum(min(20, max(0, total - w3_offset(k, rows))) for k in range(calls))
    return seconds, {
        "totals": totals,
        "expected_totals": total * calls,
        "items": items,
        "expected_items": want_items,
        "ok": items == want_items,
    }


async def w4(fresh: Fresh, s: Settings) -> tuple[float, dict[str, Any]]:
    n = s.n(1_000)
    keys = await seed(fresh, [title(i) for i in range(n)])
    await fresh.checkpoint()

    async def body() -> None:
        for i, key in enumerate(keys):
            async with fresh.session() as session:
                await PostRepository(session=session).update(Post(id=key, title=f"{title(i)} (edited)"))
                await session.commit()

    _, seconds = await timed(body)
    async with fresh.session() as session:
        posts = await PostRepository(session=session).list()
    edited = [p for p in posts if p.title.endswith(" (edited)")]
    bumped = sum(1 for p in edited if p.updated_at > p.created_at)
    return seconds, {"edited": len(edited), "bumped": bumped, "ok": len(edited) == n and bumped == n}


async def w5(fresh: Fresh, s: Settings) -> tuple[float, dict[str, Any]]:
    n = s.n(10_000)
    await seed(fresh, [upsert_title(i) for i in range(n // 2)])
    await fresh.checkpoint()
    posts = [Post(title=upsert_title(i), content="upserted") for i in range(n)]

    async def body() -> int:
        async with fresh.session() as session:
            done = await PostRepository(session=session).upsert_many(posts, match_fields=["title"])
            await session.commit()
        return len(done)

    returned, seconds = await timed(body)
    rows = await fresh.scalar("SELECT count(*) FROM post WHERE content = 'upserted'")
    total = await fresh.scalar("SELECT count(*) FROM post")
    return seconds, {"rows": rows, "returned": returned, "ok": rows == n and total == n and returned == n}


async def w6(fresh: Fresh, s: Settings) -> tuple[float, dict[str, Any]]:
    keys = await seed(fresh, [title(i) for i in range(s.n(5_000))])
    await fresh.checkpoint()

    async def body() -> int:
        found = 0
        async with fresh.session() as session:
            repo = PostRepository(session=session)
            for key in keys:
                post = await repo.get(key)
                found += post.id == key
        return found

    found, seconds = await timed(body)
    return seconds, {"found": found, "ok": found == len(keys)}


async def w7(fresh: Fresh, s: Settings, keyset: bool) -> tuple[float, dict[str, Any]]:
    """A walk over every post, 100 a page, ordered by key: by keyset (the
    key past the last row, one row more to see whether a page follows; AA
    has no cursor type, so the condition goes in as a filter) or by offset."""
    n = s.n(100_000)
    await seed(fresh, [title(i) for i in range(n)])
    await fresh.checkpoint()

    async def body() -> int:
        rows = 0
        async with fresh.session() as session:
            repo = PostRepository(session=session)
            if keyset:
                last: Optional[UUID] = None
                while True:
                    filters: list[Any] = [OrderBy("id", "asc"), LimitOffset(limit=WALK_PAGE + 1, offset=0)]
                    if last is not None:
                        filters.insert(0, Post.id > last)
                    page = list(await repo.list(*filters))
                    more = len(page) > WALK_PAGE
                    page = page[:WALK_PAGE]
                    rows += len(page)
                    if not more or not page:
                        break
                    last = page[-1].id
            else:
                pages = 0
                while True:
                    page = list(
                        await repo.list(OrderBy("id", "asc"), LimitOffset(limit=WALK_PAGE, offset=pages * WALK_PAGE))
                    )
                    rows += len(page)
                    pages += 1
                    if len(page) < WALK_PAGE:
                        break
        return rows

    rows, seconds = await timed(body)
    return seconds, {"rows": rows, "ok": rows == n}


async def run_once(db: str, workload: str, s: Settings) -> tuple[float, dict[str, Any]]:
    async with Fresh(db, s) as fresh:
        if workload in ("W1", "W2", "W2b"):
            await fresh.checkpoint()
        if workload == "W1":
            return await w1(fresh, s)
        if workload in ("W2", "W2b"):
            return await w2(fresh, s, one_session=workload == "W2")
        if workload in ("W7k", "W7o"):
            return await w7(fresh, s, keyset=workload == "W7k")
        return await {"W3": w3, "W4": w4, "W5": w5, "W6": w6}[workload](fresh, s)


# --------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------


def sqlalchemy_compiled() -> bool:
    """Whether SQLAlchemy runs its compiled (Cython) extensions, as its wheels ship them."""
    try:
        from sqlalchemy.util._has_cython import HAS_CYEXTENSION
    except ImportError:
        return False
    return bool(HAS_CYEXTENSION)


def settings_line(s: Settings) -> dict[str, Any]:
    return {
        "peer_settings": {
            "python": platform.python_version(),
            "advanced_alchemy": version("advanced-alchemy"),
            "sqlalchemy": version("sqlalchemy"),
            "sqlalchemy_compiled": sqlalchemy_compiled(),
            "asyncpg": version("asyncpg"),
            "aiosqlite": version("aiosqlite"),
            "greenlet": version("greenlet"),
            "uuid_utils": version("uuid-utils") if UUID_UTILS_INSTALLED else None,
            "sqlite": sqlite3.sqlite_version,
            "scale": s.scale,
            "reps": s.reps,
        }
    }


async def main_async(args: argparse.Namespace) -> int:
    s = Settings(scale=args.scale, reps=max(args.reps, 1), postgres_url=args.postgres_url)
    dbs = ["sqlite", "postgres"] if args.db == "all" else [args.db]
    workloads = list(WORKLOADS) if args.workload in (None, "", "all") else args.workload.split(",")
    unknown = [w for w in workloads if w not in WORKLOADS]
    if unknown:
        raise SystemExit(f"aa_bench: unknown workload(s) {unknown}; known: {', '.join(WORKLOADS)}")
    if not UUID_UTILS_INSTALLED and sys.version_info < (3, 14):
        print("aa_bench: uuid-utils missing: Advanced Alchemy would make UUID v4 keys, not v7", file=sys.stderr)
        return 2

    print(json.dumps(settings_line(s)), flush=True)
    failed = False
    for db in dbs:
        for workload in workloads:
            runs: list[float] = []
            checks: list[dict[str, Any]] = []
            for rep in range(s.reps):
                print(f"advanced_alchemy {db} {workload} rep {rep + 1}", file=sys.stderr, flush=True)
                seconds, check = await run_once(db, workload, s)
                runs.append(seconds)
                checks.append(check)
            ok = all(c["ok"] for c in checks)
            check = dict(checks[0], ok=ok)
            failed |= not ok
            print(
                json.dumps(
                    {
                        "peer": "advanced_alchemy",
                        "db": db,
                        "workload": workload,
                        "ops": ops(workload, s),
                        "seconds": round(statistics.median(runs), 4),
                        "runs": [round(min(runs), 4), round(max(runs), 4)],
                        "check": check,
                    }
                ),
                flush=True,
            )
            if not ok:
                print(f"aa_bench: check failed: {db} {workload}: {checks}", file=sys.stderr, flush=True)
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description="The alchemy-rs bench's workloads through Advanced Alchemy.")
    parser.add_argument("--db", choices=["sqlite", "postgres", "all"], default="all")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--workload", default=None, help=f"comma-separated, of {','.join(WORKLOADS)} (default all)")
    args = parser.parse_args()
    if args.scale <= 0:
        parser.error("--scale must be positive")
    args.postgres_url = os.environ.get("ALCHEMY_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())

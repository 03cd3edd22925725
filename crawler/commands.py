"""`raqib crawl`, `raqib sources`, `raqib extract` (see cli.py; `raqib demo` is demo_command.py)."""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.request import Request, urlopen

from crawler.forkserver import warm_forkserver
from crawler.sources import DEFAULT_SOURCES_FILE, Source, load_sources, select_sources


def _setting_pairs(values: list[str]) -> dict[str, str]:
    pairs = {}
    for value in values or []:
        key, sep, val = value.partition("=")
        if not sep or not key:
            raise ValueError(f"-s expects KEY=VALUE, got {value!r}")
        pairs[key] = val
    return pairs


def register(subparsers: argparse._SubParsersAction) -> None:
    from crawler.discover_cli import register_discover
    from crawler.extract_cli import register_extract
    from storage.location import add_db_argument

    crawl = subparsers.add_parser(
        "crawl",
        help="crawl all enabled sources, or the named ones",
        description="Crawl sources once into the database. Failing pages are recorded in the crawl run; the exit status is 0 when the crawl ran.",
    )
    crawl.add_argument("--sources", type=Path, default=None, help=f"sources file (default: {DEFAULT_SOURCES_FILE})")
    crawl.add_argument("--source", action="append", default=[], metavar="NAME", help="crawl this source (repeatable); default: all enabled")
    crawl.add_argument("--group", action="append", default=[], metavar="GROUP", help="crawl the enabled sources of this group (repeatable)")
    crawl.add_argument("--crawl-run-id", type=int, default=None, help="report into this existing crawl_runs row (used by the daemon)")
    crawl.add_argument("--workers", type=int, default=0, help="extraction worker processes (default: one per core)")
    crawl.add_argument("-s", "--set", action="append", default=[], metavar="KEY=VALUE", help="override a Scrapy/Raqib setting, e.g. -s DOWNLOAD_DELAY=2")
    crawl.add_argument("--json", action="store_true", help="print the outcome as JSON")
    add_db_argument(crawl)
    crawl.set_defaults(func=cmd_crawl)

    sources = subparsers.add_parser("sources", help="list, check, discover or import sources")
    sources_sub = sources.add_subparsers(dest="sources_command", metavar="ACTION", required=True)
    s_list = sources_sub.add_parser("list", help="list the sources of a sources file")
    s_list.add_argument("--sources", type=Path, default=None, help="sources file (default: the packaged one)")
    s_list.add_argument("--json", action="store_true")
    s_list.set_defaults(func=cmd_sources_list)
    s_check = sources_sub.add_parser(
        "check",
        help="validate the sources file; with --fetch, fetch each start URL and report what it offers",
        description="Validate the sources file. With --fetch (needs network) fetch every start URL and report HTTP status, items found and the newest item date.",
    )
    s_check.add_argument("--sources", type=Path, default=None)
    s_check.add_argument("--source", action="append", default=[], metavar="NAME")
    s_check.add_argument("--fetch", action="store_true", help="fetch each start URL (network)")
    s_check.add_argument("--timeout", type=float, default=20.0)
    s_check.add_argument("--json", action="store_true")
    s_check.set_defaults(func=cmd_sources_check)
    register_discover(sources_sub)

    register_extract(subparsers)


# -- crawl -------------------------------------------------------------------------------------------
def crawl_into(selected: list[Source], url: str, run_id: int | None, overrides: dict[str, Any]) -> dict[str, Any]:
    """Crawl ``selected`` into the database at ``url``, reporting into crawl run ``run_id`` (a new one
    when None): ``{"crawl_run_id", "status", "stats"}``."""
    from crawler.run import run_crawl
    from storage import repository as repo
    from storage.db import make_engine, session_factory, unit_of_work

    engine = make_engine(url)
    try:
        if run_id is None:
            with unit_of_work(session_factory(engine)) as session:
                run_id = repo.start_crawl_run(session, [s.name for s in selected])
    finally:
        engine.dispose()
    outcome = run_crawl(selected, url, run_id=run_id, overrides=overrides)
    return {"crawl_run_id": outcome.run_id, "status": outcome.status, "stats": outcome.stats}


def failure_counts(stats: dict[str, Any]) -> dict[str, int]:
    """Failures by reason, from the namespaced stats of a crawl."""
    prefixes = {"raqib/fetch/failed/": "", "raqib/refused/": "refused_", "raqib/extract/failed/": "extract_"}
    out: dict[str, int] = {}
    for key, value in stats.items():
        for prefix, label in prefixes.items():
            if key.startswith(prefix):
                name = label + key[len(prefix):]
                out[name] = out.get(name, 0) + int(value)
    if stats.get("raqib/store/spilled"):
        out["store_failed"] = int(stats["raqib/store/spilled"])
    return dict(sorted(out.items()))


def cmd_crawl(args: argparse.Namespace) -> int:
    from storage.db import connect_checked, resolve_database_url, upgrade

    selected = select_sources(load_sources(args.sources), args.source, args.group)
    if not selected:
        raise ValueError("no enabled source to crawl")
    warm_forkserver()  # the workers' imports, on the other core, while this process imports Scrapy
    url = resolve_database_url(args.db)
    connect_checked(url).dispose()
    upgrade(url)
    overrides: dict[str, Any] = _setting_pairs(args.set)
    if args.sources:
        overrides["RAQIB_SOURCES_FILE"] = str(args.sources)
    if args.workers:
        overrides["RAQIB_WORKERS"] = args.workers
    print(f"raqib: crawling {len(selected)} source(s): {', '.join(s.name for s in selected)}", file=sys.stderr)
    result = crawl_into(selected, url, args.crawl_run_id, overrides)
    stats = result["stats"]
    summary = {
        "crawl_run_id": result["crawl_run_id"],
        "status": result["status"],
        "pages_fetched": int(stats.get("raqib/articles/fetched", 0)),
        "articles_stored": int(stats.get("raqib/store/inserted", 0)),
        "skipped_already_stored": int(stats.get("raqib/skip/already_stored", 0)),
        "failures": failure_counts(stats),
    }
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print(
            f"crawl run {summary['crawl_run_id']} {summary['status']}: {summary['pages_fetched']} article pages fetched, "
            f"{summary['articles_stored']} stored, {summary['skipped_already_stored']} already stored"
        )
    return 0 if result["status"] in ("finished", "failed") else 1


# -- sources -----------------------------------------------------------------------------------------
def cmd_sources_list(args: argparse.Namespace) -> int:
    sources = load_sources(args.sources)
    if args.json:
        print(json.dumps([_source_dict(s) for s in sources], ensure_ascii=False, indent=2))
        return 0
    width = max((len(s.name) for s in sources), default=4)
    for s in sources:
        flag = " " if s.enabled else "-"
        print(f"{flag} {s.name:<{width}}  {s.kind:<7} {s.country:<2}  {s.group:<10} {s.outlet}  {s.start_urls[0]}")
    print(f"{len(sources)} sources, {sum(s.enabled for s in sources)} enabled ('-' = disabled)", file=sys.stderr)
    return 0


def _source_dict(s: Source) -> dict[str, Any]:
    return {
        "name": s.name, "outlet": s.outlet, "kind": s.kind, "country": s.country, "language": s.language,
        "group": s.group, "enabled": s.enabled, "start_urls": list(s.start_urls),
        "allowed_domains": list(s.allowed_domains),
    }


def check_source(source: Source, timeout: float, user_agent: str) -> dict[str, Any]:
    """Fetch each start URL of a source; report status, items found and the newest item date."""
    import re

    from crawler.dates import parse_iso_or_rfc
    from crawler.feeds import parse_feed

    report: dict[str, Any] = {"name": source.name, "ok": True, "urls": []}
    for url in source.start_urls:
        entry: dict[str, Any] = {"url": url}
        try:
            with urlopen(Request(url, headers={"User-Agent": user_agent}), timeout=timeout) as resp:  # noqa: S310 - http(s) only, validated
                body = resp.read(20 * 1024 * 1024)
                entry["status"] = resp.status
                content_type = resp.headers.get("Content-Type", "")
        except Exception as exc:  # noqa: BLE001 - any failure is a finding to report
            entry.update(status=getattr(exc, "code", None), error=str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            report["ok"] = False
            report["urls"].append(entry)
            continue
        if source.kind == "listing":
            links = set(re.findall(r'href=["\']([^"\']+)', body.decode("utf-8", "replace")))
            pattern = re.compile(source.link_pattern)
            from urllib.parse import urljoin

            entry["items"] = sum(1 for h in links if pattern.search(urljoin(url, h)))
        else:
            doc = parse_feed(body, url, content_type)
            entry["items"] = len(doc.entries) + len(doc.sitemaps)
            dates = [d for d in (parse_iso_or_rfc(e.published) for e in doc.entries if e.published) if d]
            entry["newest"] = max(dates).isoformat() if dates else None
            if doc.problem:
                entry["problem"] = doc.problem
        if not entry["items"]:
            report["ok"] = False
        report["urls"].append(entry)
    return report


def cmd_sources_check(args: argparse.Namespace) -> int:
    from crawler import settings as defaults

    sources = load_sources(args.sources)
    chosen = select_sources(sources, args.source) if args.source else sources
    print(f"{args.sources or DEFAULT_SOURCES_FILE}: {len(sources)} sources, valid", file=sys.stderr)
    if not args.fetch:
        return 0
    with ThreadPoolExecutor(max_workers=8) as pool:
        reports = list(pool.map(lambda s: check_source(s, args.timeout, defaults.USER_AGENT), chosen))
    if args.json:
        print(json.dumps(reports, ensure_ascii=False, indent=2))
    else:
        for r in reports:
            for u in r["urls"]:
                status = u.get("status") or "-"
                detail = u.get("error") or f"{u.get('items', 0)} items, newest {u.get('newest') or '?'}"
                print(f"{'OK ' if r['ok'] else 'BAD'} {r['name']:<28} {status!s:<4} {detail}  {u['url']}")
    return 0 if all(r["ok"] for r in reports) else 1

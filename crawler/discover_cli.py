"""`raqib sources discover URL…` and `raqib sources import FILE`: source records from home pages.

Both print what they found per home page (stderr, as they go), write the validated records as YAML to
``--out`` (merged into the file when it exists: start URLs already there are not added twice) or to
standard output, and exit 1 when any home page could not be used (the others are still written).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml


def register_discover(sources_sub: argparse._SubParsersAction) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--out", type=Path, default=None, help="sources file to write or extend (default: print YAML)")
    common.add_argument("--country", default="", help="country code for the new records, e.g. MA")
    common.add_argument("--group", default="default", help="crawl group of the new records (default: %(default)s)")
    common.add_argument("--timeout", type=float, default=15.0, help="seconds per request (default: %(default)s)")
    common.add_argument(
        "--allow-network",
        action="append",
        default=[],
        metavar="CIDR",
        help="fetch from this otherwise blocked network (private and loopback ranges are refused by default)",
    )
    discover = sources_sub.add_parser(
        "discover",
        parents=[common],
        help="find an outlet's feeds, news sitemaps and section pages from its home page",
        description=(
            "Fetch each home page and find its feeds (<link rel=alternate>, else common feed paths), its "
            "sitemaps (robots.txt Sitemap: lines, indexes followed) and section pages listing articles; "
            "check each by fetching it, and write validated source records."
        ),
    )
    discover.add_argument("urls", nargs="+", metavar="URL", help="home page(s) of the outlet(s)")
    discover.set_defaults(func=cmd_discover)
    imp = sources_sub.add_parser(
        "import",
        parents=[common],
        help="discover the sources of every home page in a list or an OPML file",
        description=(
            "FILE is a list of home pages (one URL a line, # comments) or an OPML file: its feed outlines "
            "(xmlUrl) become feed sources as they are, its other outlines (htmlUrl) are discovered."
        ),
    )
    imp.add_argument("file", type=Path, metavar="FILE")
    imp.set_defaults(func=cmd_import)


def _fetcher(args: argparse.Namespace) -> Any:
    from crawler import settings as defaults
    from crawler.discover import Fetcher

    return Fetcher(defaults.USER_AGENT, timeout=args.timeout, allowed=args.allow_network)


def _existing(out: Path | None) -> tuple[list[dict], set[str], set[str]]:
    """Records already in ``out`` (raw mappings), their names and their start URLs."""
    if out is None or not out.exists():
        return [], set(), set()
    from crawler.sources import load_sources

    load_sources(out)  # a broken file is reported, never overwritten
    raw = yaml.safe_load(out.read_text(encoding="utf-8")) or {}
    records = list(raw.get("sources") or [])
    return records, {r["name"] for r in records}, {u for r in records for u in r.get("start_urls", [])}


def _write(records: list[dict], out: Path | None) -> None:
    from crawler.sources import parse_sources

    text = yaml.safe_dump({"sources": records}, allow_unicode=True, sort_keys=False)
    parse_sources(text, out or "<output>")  # what is written is what the crawler will accept
    if out is None:
        sys.stdout.write(text)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(out.suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(out)


def _run(homes: list[str], args: argparse.Namespace, extra: list[dict] | None = None) -> int:
    from crawler.discover import DiscoveryError, discover, source_records

    records, names, urls = _existing(args.out)
    fetch = _fetcher(args)
    failed = 0
    added = 0
    for record in extra or []:
        if record["start_urls"][0] not in urls:
            records.append(record)
            urls.add(record["start_urls"][0])
            names.add(record["name"])
            added += 1
    for i, home in enumerate(homes, 1):
        print(f"[{i}/{len(homes)}] {home} …", file=sys.stderr, flush=True)
        try:
            found = discover(home, fetch)
        except DiscoveryError as exc:
            failed += 1
            print(f"  failed: {exc}", file=sys.stderr)
            continue
        for f in found.found:
            print(f"  {f.kind:<8} {f.items:>4} items  {f.url}  ({f.how})", file=sys.stderr)
        for problem in found.problems:
            print(f"  note: {problem}", file=sys.stderr)
        new = [r for r in source_records(found, country=args.country, group=args.group, taken=names) if r["start_urls"][0] not in urls]
        if not found.found:
            failed += 1
            print("  nothing usable found", file=sys.stderr)
        for r in new:
            urls.add(r["start_urls"][0])
        records += new
        added += len(new)
    if records or (args.out is not None and args.out.exists()):
        _write(records, args.out)
    where = args.out or "standard output"
    print(f"{added} source record(s) added, {len(records)} in {where}; {failed} home page(s) failed", file=sys.stderr)
    return 1 if failed else 0


def cmd_discover(args: argparse.Namespace) -> int:
    return _run(list(dict.fromkeys(args.urls)), args)


def cmd_import(args: argparse.Namespace) -> int:
    from urllib.parse import urlsplit

    from crawler.discover import feeds_from_opml, home_pages_from_list, slug

    try:
        text = args.file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuntimeError(f"cannot read {args.file}: {exc}") from None
    homes = home_pages_from_list(text)
    feeds = []
    taken: set[str] = set(_existing(args.out)[1])
    for title, url in feeds_from_opml(text):
        host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
        base, name, n = f"{slug(host)}-feed", f"{slug(host)}-feed", 2
        while name in taken:
            name, n = f"{base}-{n}", n + 1
        taken.add(name)
        record = {"name": name, "outlet": title or host, "kind": "feed", "start_urls": [url], "allowed_domains": [host], "group": args.group}
        if args.country:
            record["country"] = args.country
        feeds.append(record)
    if not homes and not feeds:
        raise RuntimeError(f"{args.file}: no home pages or feeds found")
    return _run(homes, args, extra=feeds)

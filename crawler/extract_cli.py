"""`raqib extract FILE.html [--url URL] [--content-type CT] [--json]`: what the pipeline extracts from one
saved page (text, metadata, date with its confidence, language). ``crawler/commands.py`` wires it in with
:func:`register_extract`; ``python -m crawler.extract_cli`` runs it on its own.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["register_extract", "extraction_report", "main"]


def extraction_report(
    body: bytes, url: str = "", content_type: str | None = None, source: Any = None
) -> dict[str, Any]:
    """The JSON document `raqib extract --json` prints (contract in DESIGN.md, extra keys after it).

    ``source``: a ``Source`` whose ``extract:`` overrides apply, as they do in the crawl.
    """
    from crawler.chrome import ChromeContext
    from crawler.extraction import extract_article
    from crawler.language import detect_language

    chrome = ChromeContext(override=getattr(source, "extract", None))
    result = extract_article(body, url, content_type, chrome=chrome)
    language = detect_language(result.text or result.title)
    return {
        "title": result.title,
        "text": result.text,
        "published_at": result.published_at.isoformat() if result.published_at else None,
        "author": result.author,
        "sitename": result.sitename,
        "language": language.language,
        "language_probability": language.probability,
        "date_confidence": result.date_confidence,
        "date_source": result.date_source,
        "published_at_raw": result.published_at_raw,
        "canonical_url": result.canonical_url,
        "description": result.description,
        "encoding": result.encoding,
        "content_hash": result.content_hash,
        "status": result.status,
        "error": result.error,
        "chrome_removed": dict(sorted(result.chrome_removed.items())),
    }


def _human(report: dict[str, Any]) -> str:
    date = report["published_at"] or "unknown"
    if report["published_at"]:
        date += f" ({report['date_source']}, {report['date_confidence']} confidence; raw: {report['published_at_raw']!r})"
    lines = [
        f"status:    {report['status']}" + (f" ({report['error']})" if report["error"] else ""),
        f"title:     {report['title']}",
        f"published: {date}",
        f"author:    {report['author'] or '-'}",
        f"site:      {report['sitename'] or '-'}",
        f"language:  {report['language']} (p={report['language_probability']:.2f})",
        f"encoding:  {report['encoding'] or '-'}",
        f"canonical: {report['canonical_url'] or '-'}",
        "chrome:    " + (", ".join(f"{k} {v}" for k, v in report["chrome_removed"].items()) or "none removed"),
        "",
        report["text"],
    ]
    return "\n".join(lines)


def run_extract(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        body = sys.stdin.buffer.read() if args.file == "-" else path.read_bytes()
    except OSError as exc:
        raise RuntimeError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    source = None
    if args.source:
        from crawler.sources import SourcesError, load_sources, select_sources

        try:
            (source,) = select_sources(load_sources(args.sources), [args.source])
        except SourcesError as exc:
            raise RuntimeError(str(exc)) from None
    report = extraction_report(body, args.url or "", args.content_type, source)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(_human(report))
    if report["status"] != "ok":
        print(f"raqib: extract: {report['status']}: {report['error']}", file=sys.stderr)
        return 1
    return 0


def register_extract(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the `extract` subcommand to a `raqib` subparsers object."""
    parser = subparsers.add_parser(
        "extract",
        help="show what the pipeline extracts from one saved page",
        description=(
            "Extract the main text, title, author, site name, publication date and language of a saved "
            "HTML page exactly as the crawler's pipeline does. Exit status 1 when the page yields no "
            "usable article (the reason is on stderr)."
        ),
    )
    parser.add_argument("file", metavar="FILE.html", help="saved page, or - for standard input")
    parser.add_argument(
        "--url", default="", help="the URL the page was fetched from (canonical links, URL dates)"
    )
    parser.add_argument(
        "--content-type",
        default=None,
        help="the HTTP Content-Type header, e.g. 'text/html; charset=windows-1256'",
    )
    parser.add_argument(
        "--source",
        default="",
        metavar="NAME",
        help="apply this source's extract: overrides (body_xpath, prune_xpaths) as the crawl does",
    )
    parser.add_argument(
        "--sources", type=Path, default=None, help="sources file for --source (default: config/sources.yaml)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(func=run_extract)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="raqib")
    register_extract(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["extract", *(sys.argv[1:] if argv is None else argv)])
    try:
        return args.func(args)
    except RuntimeError as exc:
        print(f"raqib: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

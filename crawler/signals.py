"""Raqib's own Scrapy signals (sent with ``crawler.signals.send_catch_log``)."""

# A page or request failed for a recorded reason: kwargs url, reason, detail.
fetch_failed = object()

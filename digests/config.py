"""Digest and e-mail settings: the ``[digest]`` and ``[email]`` tables of the Raqib TOML file.

The file comes from ``--config FILE`` or ``$RAQIB_CONFIG``; without either, every key has a default
(files only, no e-mail). A bad value fails with the file, the table and the key named. The SMTP
password is never read from the file (files get committed and shared): it comes from the environment
variable ``RAQIB_SMTP_PASSWORD`` and is kept out of ``repr`` so it cannot reach a log line.

Keys (all optional)::

    [digest]
    formats = ["html", "md", "json", "atom"]   # files written by every digest run; [] = none
    out_dir = "~/raqib-digests"                # dated folders below it; default: <data dir>/digests
    timezone = "UTC"                           # dates shown and folder names, e.g. "Asia/Riyadh"
    empty_day = "skip"                         # "skip" | "note" (see run.py: health problems still go out)
    max_items = 200                            # articles per digest; the rest stay pending
    claim_timeout_minutes = 15                 # after this a claimed, unconfirmed run is taken over
    title = "رقيب"                             # heading of the digest
    feed_id = "urn:raqib:digest"               # Atom feed id (stable, so readers keep their state)

    [digest.health]
    window_hours = 24                          # health period when no --since and no previous digest
    max_silence_hours = 48                     # newest item older than this = "stale"
    [digest.health.sources]                    # per-source overrides of max_silence_hours
    some-weekly-source = 200

    [email]
    enabled = false                            # the daemon e-mails only when true; `raqib digest --email` always
    recipients = ["analyst@example.org"]
    sender_name = "رقيب"
    sender_address = "raqib@localhost"
    subject_prefix = "[رقيب]"
    smtp_host = "127.0.0.1"
    smtp_port = 25                             # default 25 / 587 (starttls) / 465 (tls)
    security = "none"                          # "none" | "starttls" | "tls"
    username = ""                              # login when set; password from $RAQIB_SMTP_PASSWORD
    timeout_seconds = 30
    ca_file = ""                               # extra CA bundle for a private SMTP server's certificate
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

CONFIG_ENV = "RAQIB_CONFIG"
PASSWORD_ENV = "RAQIB_SMTP_PASSWORD"
FORMATS = ("html", "md", "json", "atom")
SECURITY = ("none", "starttls", "tls")
EMPTY_DAY = ("skip", "note")
_DEFAULT_PORTS = {"none": 25, "starttls": 587, "tls": 465}
# Deliberately loose: the SMTP server is the judge of an address; this only catches typos and
# anything that could smuggle a header (spaces, CR/LF, commas, angle brackets).
_ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+$")


class ConfigError(ValueError):
    """A configuration value is missing, of the wrong type or out of range."""


@dataclass(frozen=True)
class HealthSettings:
    window_hours: float = 24.0
    max_silence_hours: float = 48.0
    silence_by_source: dict[str, float] = field(default_factory=dict)

    def max_silence_for(self, source: str) -> float:
        return self.silence_by_source.get(source, self.max_silence_hours)


@dataclass(frozen=True)
class EmailSettings:
    enabled: bool = False
    recipients: tuple[str, ...] = ()
    sender_name: str = "رقيب"
    sender_address: str = "raqib@localhost"
    subject_prefix: str = "[رقيب]"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    security: str = "none"
    username: str = ""
    # repr=False: settings objects end up in logs and tracebacks; the password must not.
    password: str = field(default="", repr=False)
    timeout_seconds: float = 30.0
    ca_file: str = ""


@dataclass(frozen=True)
class DigestSettings:
    formats: tuple[str, ...] = FORMATS
    out_dir: Path = Path("digests")
    timezone: str = "UTC"
    empty_day: str = "skip"
    max_items: int = 200
    claim_timeout_minutes: float = 15.0
    title: str = "رقيب"
    feed_id: str = "urn:raqib:digest"
    health: HealthSettings = field(default_factory=HealthSettings)
    email: EmailSettings = field(default_factory=EmailSettings)
    source_file: str = ""

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class _Table:
    """Reads typed keys from one TOML table and names file/table/key in every error."""

    def __init__(self, path: str, name: str, data: Any, known: set[str] | None):
        self.path, self.name = path, name
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: [{name}] must be a table, got {type(data).__name__}")
        self.data = data
        unknown = sorted(set(data) - known) if known is not None else []  # None: free-form keys
        if unknown:
            raise ConfigError(
                f"{path}: [{name}] unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})"
            )

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.path}: [{self.name}] {key}: {problem}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any) -> Any:
        if key not in self.data:
            return default
        value = self.data[key]
        # bool is an int in Python; a port of `true` is a typo, not 1.
        if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            raise self.fail(key, f"expected {_kind_name(kind)}, got a boolean")
        if not isinstance(value, kind):
            raise self.fail(key, f"expected {_kind_name(kind)}, got {type(value).__name__} {value!r}")
        return value

    def positive(self, key: str, default: float) -> float:
        value = self.get(key, (int, float), default)
        if value <= 0:
            raise self.fail(key, f"must be > 0, got {value!r}")
        return float(value)

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self.get(key, str, default)
        if value not in choices:
            raise self.fail(key, f"must be one of {', '.join(choices)}, got {value!r}")
        return value

    def one_line(self, key: str, default: str) -> str:
        value = self.get(key, str, default)
        if any(ch in value for ch in "\r\n\0"):
            raise self.fail(key, "must be a single line")
        return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {int: "a number", float: "a number", str: "a string", bool: "true/false", list: "a list"}
    return " or ".join(dict.fromkeys(names.get(k, k.__name__) for k in kinds))


def parse_formats(value: Any, where: str = "--format") -> tuple[str, ...]:
    """``"html,md"`` or ``["html", "md"]`` → ``("html", "md")``; ``"none"`` or ``""`` → ``()``."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ConfigError(f"{where}: expected a list of formats")
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ConfigError(f"{where}: format {item!r} is not a string")
        name = item.strip().lower()
        if name in {"", "none"}:
            continue
        if name == "markdown":
            name = "md"
        if name not in FORMATS:
            raise ConfigError(f"{where}: unknown format {item!r} (known: {', '.join(FORMATS)})")
        if name not in out:
            out.append(name)
    return tuple(out)


def _relative_to_config(value: str, config_path: str) -> Path:
    """A relative path in the file means relative to the file, not to wherever the daemon started."""
    path = Path(value).expanduser()
    if path.is_absolute() or config_path.startswith("<"):
        return path
    return Path(config_path).resolve().parent / path


def load_settings(
    path: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None
) -> DigestSettings:
    """Settings from ``path``, else ``$RAQIB_CONFIG``, else defaults; password from the environment."""
    env = dict(os.environ if env is None else env)
    chosen = str(path) if path else env.get(CONFIG_ENV, "")
    data = read_config_file(chosen) if chosen else {}
    return settings_from_mapping(data, chosen or "<defaults>", password=env.get(PASSWORD_ENV, ""))


def read_config_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The parsed TOML file that configures all of Raqib (daemon, digest, e-mail), or a one-line error."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def settings_from_mapping(
    data: dict[str, Any], path: str = "<config>", *, password: str = ""
) -> DigestSettings:
    """Validate the ``[digest]``/``[email]`` tables of an already parsed TOML document.

    Other tables (the daemon's, the crawler's) are ignored: one file configures all of Raqib.
    """
    defaults = DigestSettings()
    digest = _Table(
        path,
        "digest",
        data.get("digest", {}),
        {
            "formats",
            "out_dir",
            "timezone",
            "empty_day",
            "max_items",
            "claim_timeout_minutes",
            "title",
            "feed_id",
            "health",
        },
    )
    formats = parse_formats(
        digest.get("formats", (list, str), list(defaults.formats)), f"{path}: [digest] formats"
    )
    timezone = digest.get("timezone", str, defaults.timezone)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise digest.fail("timezone", f"unknown time zone {timezone!r} (e.g. Africa/Casablanca)") from None
    max_items = digest.get("max_items", int, defaults.max_items)
    if max_items < 1:
        raise digest.fail("max_items", f"must be >= 1, got {max_items}")
    out_dir = digest.get("out_dir", str, "")
    if "out_dir" not in digest.data:
        from storage.db import default_data_dir  # cheap module; keeps digests beside the database

        out_dir = str(default_data_dir() / "digests")
    if not out_dir.strip():
        raise digest.fail("out_dir", "must not be empty")

    health_table = _Table(
        path,
        "digest.health",
        digest.data.get("health", {}),
        {"window_hours", "max_silence_hours", "sources"},
    )
    by_source_table = _Table(path, "digest.health.sources", health_table.data.get("sources", {}), None)
    by_source: dict[str, float] = {}
    for name, hours in by_source_table.data.items():
        if isinstance(hours, bool) or not isinstance(hours, int | float) or hours <= 0:
            raise by_source_table.fail(name, f"expected hours > 0, got {hours!r}")
        by_source[name] = float(hours)
    health = HealthSettings(
        window_hours=health_table.positive("window_hours", defaults.health.window_hours),
        max_silence_hours=health_table.positive("max_silence_hours", defaults.health.max_silence_hours),
        silence_by_source=by_source,
    )

    email = _load_email(path, data.get("email", {}), password)
    return DigestSettings(
        formats=formats,
        out_dir=_relative_to_config(out_dir, path),
        timezone=timezone,
        empty_day=digest.choice("empty_day", EMPTY_DAY, defaults.empty_day),
        max_items=max_items,
        claim_timeout_minutes=digest.positive("claim_timeout_minutes", defaults.claim_timeout_minutes),
        title=digest.one_line("title", defaults.title),
        feed_id=digest.one_line("feed_id", defaults.feed_id),
        health=health,
        email=email,
        source_file=path,
    )


def _load_email(path: str, data: Any, password: str) -> EmailSettings:
    defaults = EmailSettings()
    known = {
        "enabled",
        "recipients",
        "sender_name",
        "sender_address",
        "subject_prefix",
        "smtp_host",
        "smtp_port",
        "security",
        "username",
        "timeout_seconds",
        "ca_file",
    }
    if isinstance(data, dict) and "password" in data:
        raise ConfigError(f"{path}: [email] password: not read from the file; set ${PASSWORD_ENV} instead")
    table = _Table(path, "email", data, known)
    recipients = table.get("recipients", list, [])
    for address in recipients:
        if not isinstance(address, str) or not _ADDRESS.match(address):
            raise table.fail("recipients", f"not an e-mail address: {address!r}")
    sender = table.get("sender_address", str, defaults.sender_address)
    if not _ADDRESS.match(sender):
        raise table.fail("sender_address", f"not an e-mail address: {sender!r}")
    security = table.choice("security", SECURITY, defaults.security)
    port = table.get("smtp_port", int, _DEFAULT_PORTS[security])
    if not 0 < port < 65536:
        raise table.fail("smtp_port", f"must be 1-65535, got {port}")
    ca_file = table.get("ca_file", str, "")
    if ca_file:
        ca_file = str(_relative_to_config(ca_file, path))
    if ca_file and not Path(ca_file).expanduser().is_file():
        raise table.fail("ca_file", f"file not found: {ca_file}")
    return EmailSettings(
        enabled=table.get("enabled", bool, defaults.enabled),
        recipients=tuple(recipients),
        sender_name=table.one_line("sender_name", defaults.sender_name),
        sender_address=sender,
        subject_prefix=table.one_line("subject_prefix", defaults.subject_prefix),
        smtp_host=table.one_line("smtp_host", defaults.smtp_host),
        smtp_port=port,
        security=security,
        username=table.one_line("username", ""),
        password=password,
        timeout_seconds=table.positive("timeout_seconds", defaults.timeout_seconds),
        ca_file=str(Path(ca_file).expanduser()) if ca_file else "",
    )

"""Where results are stored: resolve the store URI from argument, environment or config file.

Precedence: explicit argument > ``$SSBSCREEN_STORE`` > ``store:`` in ``<workdir>/ssbscreen.yaml``
> the embedded (file-backed, serverless) store ``embedded://<workdir>/ssbscreen_store``.
Accepted schemes: ``embedded://PATH``, ``mongodb://...`` and ``mongodb+srv://...``.

Credentials never need to be on a command line: a MongoDB URI without ``user:password@``
takes them from ``$SSBSCREEN_STORE_USERNAME`` / ``$SSBSCREEN_STORE_PASSWORD``, or from the
config file's mapping form::

    store:
      uri: mongodb://db.example.org:27017/ssbscreen
      username: alice
      password: s3cret        # or leave it out and set $SSBSCREEN_STORE_PASSWORD

Messages name the setting to fix and show URIs with the password replaced by ``***``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import quote_plus, urlsplit

from pymongo import uri_parser
from pymongo.errors import ConfigurationError

from ssbscreen.inputs import load_yaml

ENV_VAR = "SSBSCREEN_STORE"
USERNAME_ENV = "SSBSCREEN_STORE_USERNAME"
PASSWORD_ENV = "SSBSCREEN_STORE_PASSWORD"
CONFIG_FILE = "ssbscreen.yaml"
CONFIG_KEY = "store"
EMBEDDED_SCHEME = "embedded://"
EMBEDDED_DIRNAME = "ssbscreen_store"
DEFAULT_DATABASE = "ssbscreen"

_FIX = (
    "use 'embedded://PATH', 'mongodb://[user:password@]host[:port]/database' "
    "or 'mongodb+srv://user:password@cluster/database'"
)


def redact_uri(uri: str) -> str:
    """Return ``uri`` with any password (and auth-mechanism secrets) replaced by ``***``.

    Robust to unescaped ``@`` or ``/`` in the password: everything up to the last ``@``
    before the query string is treated as user info.
    """
    scheme, sep, rest = uri.partition("://")
    if sep:
        body, qmark, query = rest.partition("?")
        userinfo, at, hosts = body.rpartition("@")
        if at:
            user, colon, _ = userinfo.partition(":")
            body = f"{user}{':***' if colon else ''}@{hosts}"
        query = re.sub(r"(authMechanismProperties=)[^&]*", r"\1***", query, flags=re.IGNORECASE)
        uri = f"{scheme}://{body}{qmark}{query}"
    return uri


def is_embedded(uri: str) -> bool:
    """True for an ``embedded://`` (MontyDB, file-backed) store URI."""
    return uri.startswith(EMBEDDED_SCHEME)


def embedded_path(uri: str) -> Path:
    """Folder of an ``embedded://PATH`` URI (absolute)."""
    return Path(uri[len(EMBEDDED_SCHEME) :]).expanduser().resolve()


def mongo_database(uri: str) -> str:
    """Database named in the path of a MongoDB URI, or ``ssbscreen`` when there is none."""
    name = urlsplit(uri).path.lstrip("/")
    return name or DEFAULT_DATABASE


def _bad(source: str, value: str, why: str) -> ValueError:
    return ValueError(f"The store setting {source} = {redact_uri(value)!r} {why}; {_FIX}.")


def validate_store_uri(uri: str, source: str = "uri", workdir: Path | None = None) -> str:
    """Check a store URI and return it normalised (embedded paths made absolute).

    Raises ValueError with one sentence naming ``source`` (the setting) and the fix.
    """
    if not isinstance(uri, str) or not uri.strip():
        raise _bad(source, str(uri), "is empty or not a string")
    uri = uri.strip()
    if is_embedded(uri):
        raw = uri[len(EMBEDDED_SCHEME) :]
        if not raw:
            raise _bad(source, uri, "has no folder path")
        path = Path(raw).expanduser()
        if not path.is_absolute():
            path = (workdir or Path.cwd()) / path
        if path.exists() and not path.is_dir():
            raise _bad(source, uri, "names a file, not a store folder")
        return f"{EMBEDDED_SCHEME}{path.resolve()}"
    if uri.startswith("mongodb://"):
        try:
            uri_parser.parse_uri(uri)
        except (ConfigurationError, ValueError) as err:  # InvalidURI is a ConfigurationError
            raise _bad(source, uri, f"is not a valid MongoDB URI ({err})") from None
    elif uri.startswith("mongodb+srv://"):
        # checked without DNS: pymongo would resolve SRV records while parsing
        netloc = urlsplit(uri).netloc.rpartition("@")[2]
        if not netloc or "," in netloc or ":" in netloc or "." not in netloc:
            raise _bad(source, uri, "needs exactly one host name without a port")
    else:
        raise _bad(source, uri, "has an unknown scheme")
    name = urlsplit(uri).path.lstrip("/")
    if re.search(r"[/\\. \"$]", name):
        raise _bad(source, uri, f"names an invalid database {name!r}")
    return uri


def read_config_store(workdir: Path) -> str | None:
    """The store URI of ``<workdir>/ssbscreen.yaml`` (with its credentials), or None when absent.

    ``store:`` is either a URI string or a mapping with ``uri`` and optional ``username`` /
    ``password``; a missing key raises ValueError naming the key and the file.
    """
    path = Path(workdir) / CONFIG_FILE
    if not path.is_file():
        return None
    data = load_yaml(path, f"The config file {path}") or {}
    if not isinstance(data, dict):
        raise ValueError(f"The config file {path} must be a mapping such as 'store: URI'.")
    value = data.get(CONFIG_KEY)
    if value is None or isinstance(value, str):
        return value
    if not isinstance(value, dict):
        raise _bad(f"'{CONFIG_KEY}' in {path}", str(value), "is not a string or a mapping")
    unknown = sorted(set(value) - {"uri", "username", "password"})
    if unknown:
        raise ValueError(
            f"The config file {path} has unknown key(s) {unknown} under '{CONFIG_KEY}'; "
            "use 'uri', 'username' and 'password'."
        )
    if not isinstance(value.get("uri"), str) or not value["uri"].strip():
        raise ValueError(
            f"The config file {path} has no 'uri' under '{CONFIG_KEY}'; add e.g. "
            "'uri: mongodb://host:27017/ssbscreen'."
        )
    source = f"'{CONFIG_KEY}: uri' in {path}"
    uri = validate_store_uri(value["uri"], source, Path(workdir))
    return with_credentials(uri, value.get("username"), value.get("password"), source)


def with_credentials(
    uri: str, username: str | None = None, password: str | None = None, source: str = "uri"
) -> str:
    """A MongoDB URI with credentials added from the arguments or the environment.

    A URI that already has ``user@`` or is embedded is returned unchanged. A username
    without a password (or the reverse) raises ValueError naming the missing setting.
    """
    if is_embedded(uri) or "@" in urlsplit(uri).netloc:
        return uri
    username = username or os.environ.get(USERNAME_ENV, "").strip() or None
    password = password or os.environ.get(PASSWORD_ENV) or None
    if username is None and password is None:
        return uri
    if username is None:
        raise ValueError(
            f"The store {redact_uri(uri)} ({source}) has a password but no user name; "
            f"set ${USERNAME_ENV} or 'username' under '{CONFIG_KEY}' in {CONFIG_FILE}."
        )
    if password is None:
        raise ValueError(
            f"The store {redact_uri(uri)} ({source}) has the user name {username!r} but no "
            f"password; set ${PASSWORD_ENV} or 'password' under '{CONFIG_KEY}' in {CONFIG_FILE}."
        )
    scheme, _, rest = uri.partition("://")
    return f"{scheme}://{quote_plus(str(username))}:{quote_plus(str(password))}@{rest}"


def resolve_store_uri(uri: str | None = None, workdir: Path | None = None) -> str:
    """Store URI by precedence: argument > $SSBSCREEN_STORE > ssbscreen.yaml > embedded default.

    MongoDB credentials missing from the URI are taken from $SSBSCREEN_STORE_USERNAME and
    $SSBSCREEN_STORE_PASSWORD (or the config file's ``username``/``password``).
    """
    workdir = Path(workdir) if workdir is not None else Path.cwd()
    if uri is not None:
        source = "argument 'uri'"
    elif env := os.environ.get(ENV_VAR, "").strip():
        uri, source = env, f"${ENV_VAR}"
    elif (uri := read_config_store(workdir)) is not None:
        source = f"'{CONFIG_KEY}' in {workdir / CONFIG_FILE}"
    else:
        return f"{EMBEDDED_SCHEME}{(workdir / EMBEDDED_DIRNAME).resolve()}"
    return with_credentials(validate_store_uri(uri, source, workdir), source=source)

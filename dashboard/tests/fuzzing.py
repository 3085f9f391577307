"""Seeded random input for the fuzz test (test_fuzz.py): hostile values, the product's routes as the URL resolver
lists them, and paths and query strings made from both."""

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import quote, quote_plus, unquote_plus

from django.urls import URLResolver, get_resolver

HOSTILE = [
    "",
    " ",
    "0",
    "-1",
    "-99999999999999999999",
    str(2**63),
    str(10**30),
    "9" * 5000,
    "1e309",
    "NaN",
    "-inf",
    "1.5",
    "9999-12-31",
    "9999-12-31T23:59",
    "9999-12-31T23:59:59",
    "0001-01-01",
    "0001-01-01T00:00",
    "10000-01-01",
    "2026-02-30",
    "0000-00-00",
    "2026-03-02T09:00:00+14:00",
    "2026-03-02 09:00:00.999999",
    "a\x00b",
    "\x00",
    "\x01\x02\x1f\x7f",
    "line\r\nbreak",
    "\t",
    "\u2028",
    "\u202eevil",
    "\ufeff",
    "é",
    "日本語",
    "🚀" * 50,
    "e\u0301" * 20,
    "x" * 10_000,
    "é" * 5_000,
    "' OR 1=1 --",
    '"; DROP TABLE dashboard_auditevent; --',
    "<script>alert(1)</script>",
    "{{ 7*7 }}{% debug %}",
    "%(name)s%s%n",
    "../../etc/passwd",
    "group:",
    "group:nope",
    "${jndi:ldap://127.0.0.1/x}",
]
# The values every parameter of every route is sent once, alone (test_fuzz.py's sweep); the rest come at random.
SHARP = ["9999-12-31", "0001-01-01T00:00", "a\x00b", "\x1b[31m", str(10**30), "-1", "x" * 10_000, "日本語🚀"]
# Percent-escapes that decode to bytes which are not UTF-8, or to characters a path must not carry.
RAW_ESCAPES = ["%ff", "%c3%28", "%e2%82", "%ed%a0%80", "%00", "%0a", "%", "%zz", "%2f", "%2e%2e", "%25", "%c0%af"]
CHARACTERS = "aZ09-_./:@ %&=+?#\\'\"<>\x00\x01\x1b\x7féß日🚀\u200b"


def hostile_text(rng, known=()):
    """One value: a known good one now and then, else a listed hostile one or random characters."""
    roll = rng.random()
    if known and roll < 0.25:
        return rng.choice(list(known))
    if roll < 0.75:
        return rng.choice(HOSTILE)
    return "".join(rng.choice(CHARACTERS) for _ in range(rng.randint(1, 40)))


def encoded(rng, text, safe=""):
    """`text` percent-encoded for a URL, sometimes with a broken or non-UTF-8 escape spliced in."""
    value = quote(text, safe=safe)
    if rng.random() < 0.2:
        at = rng.randint(0, len(value))
        value = value[:at] + rng.choice(RAW_ESCAPES) + value[at:]
    return value


def query_string(rng, names, known):
    """Some of `names` (and a stray one), some repeated, with hostile values."""
    picked = rng.sample(names, k=min(len(names), rng.randint(0, 4)))
    if rng.random() < 0.2:
        picked.append(hostile_text(rng)[:30] or "x")
    if picked and rng.random() < 0.3:
        picked.append(rng.choice(picked))  # a repeated parameter
    pairs = []
    for name in picked:
        value = quote_plus(hostile_text(rng, known.get(name, ())))
        if rng.random() < 0.1:
            value += rng.choice(RAW_ESCAPES)
        pairs.append(f"{quote_plus(name)}={value}")
    return "&".join(pairs)


def post_data(rng, names, known):
    """A form body: mostly the values the pages offered, a few fields hostile, some left out or repeated."""
    data = {name: [rng.choice(list(known[name]))] for name in names if known.get(name) and rng.random() < 0.8}
    for name in rng.sample(names, k=min(len(names), rng.randint(1, 3))):
        data[name] = [hostile_text(rng) for _ in range(rng.choice((1, 1, 1, 2)))]
    return data


@dataclass
class Route:
    name: str
    route: str  # as written in the URLconfs, prefixes included: "releases/<int:pk>/actions/<str:kind>/"
    defaults: dict

    PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")

    @property
    def parameters(self):
        return [(m["name"], m["converter"] or "str") for m in self.PARAMETER.finditer(self.route)]

    def path(self, value_of):
        """The path with each parameter replaced by `value_of(name, converter)`, already encoded."""
        return "/" + self.PARAMETER.sub(lambda m: value_of(m["name"], m["converter"] or "str"), self.route)


def routes(patterns=None, prefix=""):
    """Every route of the product; Django's admin site, which has its own tests, is left out."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if pattern.app_name != "admin":
                yield from routes(pattern.url_patterns, route)
        else:
            yield Route(pattern.name or route, route, pattern.default_args)


class FormFields(HTMLParser):
    """The names (and offered values) of the fields of the pages fed to it, and the query parameters their links
    and htmx attributes use: what a fuzzed request sends."""

    LINK_PARAMETER = re.compile(r"[?&](?:amp;)?([A-Za-z_][\w-]*)=([^&\"'#\s]*)")

    def __init__(self):
        super().__init__()
        self.values = {}  # name → set of values offered
        self.query = {}
        self.forms = {}  # the URL a form posts to ("": its page) → {name: set of values}
        self.links = {}  # the URL of a link or an hx-get → the names of its query parameters
        self._select = None
        self._form = None

    def feed_page(self, html):
        self.feed(html)
        for name, value in self.LINK_PARAMETER.findall(html):
            self.query.setdefault(name, set()).add(unquote_plus(value))

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for link in (attrs.get("href"), attrs.get("hx-get")):
            if link and not link.startswith(("#", "http:", "https:", "mailto:")):
                url, _, query = link.partition("?")
                self.links.setdefault(url, set()).update(name for name, _ in self.LINK_PARAMETER.findall("?" + query))
        if tag == "form" and attrs.get("method", "get").lower() == "post":
            self._form = self.forms.setdefault(attrs.get("hx-post") or attrs.get("action") or "", {})
        if tag == "select":
            self._select = attrs.get("name")
        if tag in ("input", "textarea", "select") and attrs.get("name"):
            self._offer(attrs["name"], attrs.get("value") or "")
        if tag == "option" and self._select:
            self._offer(self._select, attrs.get("value") or "")

    def _offer(self, name, value):
        self.values.setdefault(name, set()).add(value)
        if self._form is not None:
            self._form.setdefault(name, set()).add(value)

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        if tag == "form":
            self._form = None

"""Load and validate the configuration files in ``config/``.

Every file is validated when it is loaded.  A mistake raises :class:`ConfigError`
with one line that names the file, the line, the key and what was expected, e.g.::

    config/keywords.yaml:14: formats[2]: expected text or a mapping of language to text

Nothing is written anywhere before the whole configuration is valid.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from extractors.taxonomy import Taxonomy
from pipeline.errors import ConfigError

#: The configuration shipped with the repository.
DEFAULT_CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"

M = TypeVar("M", bound=BaseModel)

LANGUAGE_CODE = re.compile(r"^[a-z]{2}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- keywords.yaml -----------------------------------------------------------------


class _BackendCommon(_Strict):
    max_requests: int = Field(default=200, ge=1)  # requests per run (the budget)
    timeout: float = Field(default=20.0, gt=0)  # seconds per request
    delay: float = Field(default=1.0, ge=0)  # seconds between two requests

    @field_validator("url", check_fields=False)
    @classmethod
    def _url(cls, value: str) -> str:
        return _http_url(value)


def _http_url(value: str) -> str:
    if not re.match(r"^https?://[^/\s]+", value):
        raise ValueError("expected an http(s) URL such as http://127.0.0.1:8080")
    return value.rstrip("/")


class SearxngSettings(_BackendCommon):
    url: str = "http://127.0.0.1:8080"
    language: str = "auto"  # "auto": each query's own language
    categories: list[str] = Field(default_factory=lambda: ["general"])
    engines: list[str] = Field(default_factory=list)  # empty: the instance's defaults
    max_pages: int = Field(default=5, ge=1, le=50)
    # The instance runs SearXNG's limiter (4 API requests per hour): cap the budget.
    limiter: bool = False


class BraveSettings(_BackendCommon):
    url: str = "https://api.search.brave.com/res/v1/web/search"
    # The token is read from this environment variable only, never from a file.
    token_env: str = "BRAVE_SEARCH_API_KEY"
    count: int = Field(default=20, ge=1, le=20)  # results per page; Brave's cap is 20
    country: str | None = None
    safesearch: Literal["off", "moderate", "strict"] = "moderate"
    monthly_quota: int | None = Field(default=None, ge=1)  # for `offermap queries` only


class GoogleSettings(_BackendCommon):
    url: str = "https://www.googleapis.com/customsearch/v1"
    key_env: str = "GOOGLE_CSE_KEY"  # the API key, from the environment only
    cx_env: str = "GOOGLE_CSE_CX"  # the engine id, from the environment only
    num: int = Field(default=10, ge=1, le=10)  # results per page; Google's cap is 10
    daily_quota: int = Field(default=100, ge=1)  # free queries per day
    max_requests: int = Field(default=100, ge=1)


class DuckDuckGoSettings(_BackendCommon):
    url: str = "https://html.duckduckgo.com/html/"
    region: str = "wt-wt"  # kl: "wt-wt" is all regions
    # Unofficial endpoint: low rate, few requests, a long pause once blocked.
    max_requests: int = Field(default=30, ge=1)
    delay: float = Field(default=5.0, ge=0)
    cooldown: float = Field(default=600.0, ge=0)  # seconds to leave it alone once blocked
    user_agent: str = ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 "
                       "Firefox/128.0")


class CommonCrawlSettings(_BackendCommon):
    url: str = "https://index.commoncrawl.org"
    collection: str = "latest"  # a collection id such as CC-MAIN-2025-43, or "latest"
    max_requests: int = Field(default=50, ge=1)
    timeout: float = Field(default=60.0, gt=0)
    # The index server bans clients above about 10 CDX requests per minute.
    delay: float = Field(default=6.0, ge=0)
    limit: int = Field(default=1000, ge=1)  # captures per lookup


class BackendsSettings(_Strict):
    searxng: SearxngSettings = Field(default_factory=SearxngSettings)
    brave: BraveSettings = Field(default_factory=BraveSettings)
    google: GoogleSettings = Field(default_factory=GoogleSettings)
    duckduckgo: DuckDuckGoSettings = Field(default_factory=DuckDuckGoSettings)
    commoncrawl: CommonCrawlSettings = Field(default_factory=CommonCrawlSettings)


Term = str | dict[str, str]
BackendName = Literal["searxng", "brave", "google", "duckduckgo"]
TimeRange = Literal["day", "week", "month", "year", "since_last_run"]


class KeywordsConfig(_Strict):
    languages: list[str] = Field(default_factory=lambda: ["en"], min_length=1)
    keywords: list[Term] = Field(min_length=1)
    formats: list[Term] = Field(min_length=1)
    # English term -> {language: translation}, for keywords and formats written as
    # plain English text (an inline mapping in keywords/formats wins).
    translations: dict[str, dict[str, str]] = Field(default_factory=dict)
    # Send a keyword of several words as one quoted phrase ("citizens engagement").
    quote_keywords: bool = False
    extra_terms: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    sites: list[str] = Field(default_factory=list)  # site: restrictions, OR-ed
    filetype: str | None = None  # e.g. pdf; sent only where the backend supports it
    time_range: TimeRange | None = None
    pages_per_query: int = Field(default=1, ge=1, le=50)  # capped by each backend's depth
    use_backends: list[BackendName] = Field(default_factory=lambda: ["searxng"])
    backends: BackendsSettings = Field(default_factory=BackendsSettings)

    @field_validator("languages")
    @classmethod
    def _language_codes(cls, value: list[str]) -> list[str]:
        for code in value:
            if not LANGUAGE_CODE.match(code):
                raise ValueError(f"expected two-letter ISO 639-1 codes, got {code!r}")
        return value

    @field_validator("translations")
    @classmethod
    def _translation_codes(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for term, texts in value.items():
            bad = [code for code in texts if not LANGUAGE_CODE.match(code)]
            if bad:
                raise ValueError(f"expected two-letter language codes for {term!r}, "
                                 f"got {bad[0]!r}")
            if any(not text.strip() for text in texts.values()):
                raise ValueError(f"expected non-empty translations for {term!r}")
        return value

    @field_validator("keywords", "formats")
    @classmethod
    def _terms(cls, value: list[Term]) -> list[Term]:
        for term in value:
            texts = [term] if isinstance(term, str) else list(term.values())
            if isinstance(term, dict):
                if "en" not in term:
                    raise ValueError(f"a translated term needs its English text (en:), got {term}")
                bad = [code for code in term if not LANGUAGE_CODE.match(code)]
                if bad:
                    raise ValueError(f"expected two-letter language codes, got {bad[0]!r}")
            if any(not text.strip() for text in texts):
                raise ValueError("expected non-empty text")
        return value


# --- providers.yaml ----------------------------------------------------------------


class ProviderSite(_Strict):
    name: str = Field(min_length=1)
    start_urls: list[str] = Field(min_length=1)
    allowed_domains: list[str] = Field(min_length=1)
    max_depth: int = Field(default=2, ge=0, le=10)
    follow: list[str] = Field(default_factory=list)
    deny: list[str] = Field(default_factory=list)
    theme_filter: bool = True
    max_pages: int = Field(default=500, ge=1)
    delay: float | None = Field(default=None, ge=0)  # seconds between requests to the site
    # Seed the walk with the site's pages listed in the Common Crawl index
    # (keywords.yaml backends.commoncrawl), besides its start URLs.
    common_crawl: bool = False

    @field_validator("start_urls")
    @classmethod
    def _http_urls(cls, value: list[str]) -> list[str]:
        for url in value:
            if not re.match(r"^https?://[^/\s]+", url):
                raise ValueError(f"expected http(s) URLs, got {url!r}")
        return value

    @field_validator("follow", "deny")
    @classmethod
    def _regexes(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(f"expected a regular expression, {pattern!r}: {error}") from None
        return value


class ProvidersConfig(_Strict):
    providers: list[ProviderSite] = Field(default_factory=list)


# --- taxonomy.yaml -----------------------------------------------------------------

CueList = list[str]


class TaxonomyConfig(_Strict):
    theme: CueList = Field(min_length=1)
    formats: dict[str, CueList]
    modality: dict[Literal["online", "in_presence", "hybrid"], CueList]
    provider_categories: dict[
        Literal["university", "network_ngo", "multilateral", "company", "public_body", "other"],
        CueList,
    ]
    topics: dict[str, CueList]
    verticals: dict[str, CueList]
    audience: dict[str, CueList] = Field(default_factory=dict)
    multilateral: CueList = Field(default_factory=list)

    @field_validator("formats")
    @classmethod
    def _known_formats(cls, value: dict[str, CueList]) -> dict[str, CueList]:
        known = {"course", "training", "seminar", "webinar", "workshop", "summer_school",
                 "mooc", "conference", "other"}
        for name in value:
            if name not in known:
                expected = ", ".join(sorted(known))
                raise ValueError(f"unknown format {name!r}; expected one of: {expected}")
        return value

    def to_taxonomy(self) -> Taxonomy:
        def cues(mapping: dict[str, CueList]) -> dict[str, tuple[str, ...]]:
            return {name: tuple(word.lower() for word in words) for name, words in mapping.items()}

        return Taxonomy(
            formats=cues(self.formats),
            modality=cues(self.modality),  # type: ignore[arg-type]
            provider_categories=cues(self.provider_categories),  # type: ignore[arg-type]
            topics=cues(self.topics),
            verticals=cues(self.verticals),
            audience=cues(self.audience),
            theme=tuple(word.lower() for word in self.theme),
            multilateral=tuple(word.lower() for word in self.multilateral),
        )


# --- dedup.yaml --------------------------------------------------------------------


class DedupConfig(_Strict):
    """Title-similarity thresholds (0–100, see pipeline/dedup.py and the README's
    measured precision and recall)."""

    merge_threshold: float = Field(default=90.0, ge=50, le=100)
    review_threshold: float = Field(default=80.0, ge=0, le=100)
    cross_site_threshold: float = Field(default=97.0, ge=50, le=101)
    edition_threshold: float = Field(default=95.0, ge=50, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> DedupConfig:
        if self.review_threshold > self.merge_threshold:
            raise ValueError(f"review_threshold ({self.review_threshold:g}) must not be above "
                             f"merge_threshold ({self.merge_threshold:g}): pairs between the "
                             "two go to reviewers")
        return self


# --- schedule.yaml -----------------------------------------------------------------


class ScheduledCrawl(_Strict):
    """One recurring crawl of ``offermap schedule``."""

    cron: str = Field(min_length=1)
    spiders: list[Literal["search", "providers"]] = Field(
        default_factory=lambda: ["search", "providers"], min_length=1)

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        from pipeline.schedule import cron_trigger

        cron_trigger(value)  # raises ValueError with the reason
        return value


class ScheduleConfig(_Strict):
    """When ``offermap schedule`` crawls (cron syntax, UTC)."""

    crawls: list[ScheduledCrawl] = Field(default_factory=list)


# --- loading -----------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    """The whole validated configuration."""

    directory: Path
    keywords: KeywordsConfig
    providers: ProvidersConfig
    taxonomy_config: TaxonomyConfig
    dedup: DedupConfig = DedupConfig()

    @property
    def taxonomy(self) -> Taxonomy:
        return self.taxonomy_config.to_taxonomy()


def config_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The configuration folder: ``explicit``, then ``$OFFERMAP_CONFIG_DIR``, then
    ``./config`` when it holds a keywords.yaml, then the one shipped with offermap."""
    if explicit:
        return Path(explicit)
    if os.environ.get("OFFERMAP_CONFIG_DIR"):
        return Path(os.environ["OFFERMAP_CONFIG_DIR"])
    local = Path.cwd() / "config"
    if (local / "keywords.yaml").is_file():
        return local
    return DEFAULT_CONFIG_DIR


def load_config(directory: str | os.PathLike[str] | None = None) -> Config:
    """Load and validate keywords.yaml, providers.yaml and taxonomy.yaml."""
    folder = config_dir(directory)
    keywords = load_file(folder / "keywords.yaml", KeywordsConfig)
    providers = load_file(folder / "providers.yaml", ProvidersConfig)
    taxonomy = load_file(folder / "taxonomy.yaml", TaxonomyConfig)
    searxng_url = os.environ.get("OFFERMAP_SEARXNG_URL")
    if searxng_url:
        searxng = keywords.backends.searxng.model_copy(update={"url": searxng_url.rstrip("/")})
        backends = keywords.backends.model_copy(update={"searxng": searxng})
        keywords = keywords.model_copy(update={"backends": backends})
    dedup_file = folder / "dedup.yaml"
    dedup = load_file(dedup_file, DedupConfig) if dedup_file.is_file() else DedupConfig()
    return Config(folder, keywords, providers, taxonomy, dedup)


def load_file(path: Path, model: type[M]) -> M:
    """Parse one YAML file and validate it against ``model``.

    Raises :class:`ConfigError` naming the file, line and key of the first mistake.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read the file ({error})") from None

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError(_yaml_error(path, error)) from None

    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: expected a mapping of keys at the top level")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        location = tuple(first["loc"])
        line = _line_of(root, location)
        key = _dotted(location) or "(top level)"
        message = _readable(first)
        raise ConfigError(f"{path}:{line}: {key}: {message}") from None


def _yaml_error(path: Path, error: yaml.YAMLError) -> str:
    """One line for a YAML syntax error, placed where the broken construct starts."""
    problem_mark = getattr(error, "problem_mark", None)
    context_mark = getattr(error, "context_mark", None)
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    context = getattr(error, "context", None)
    mark = context_mark or problem_mark
    where = f"{path}:{mark.line + 1}" if mark else str(path)
    text = f"{context}, {problem}" if context else problem
    if context_mark and problem_mark and problem_mark.line != context_mark.line:
        text += f" (line {problem_mark.line + 1})"
    return f"{where}: invalid YAML: {text}"


def _dotted(location: tuple[Any, ...]) -> str:
    """('keywords', 2) -> 'keywords[2]'; drops pydantic's union branch labels."""
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part in {"str", "dict[str,str]"} or str(part).startswith(("function-", "literal[")):
            continue
        else:
            text += f".{part}" if text else str(part)
    return text


def _readable(error: dict[str, Any]) -> str:
    kind = error["type"]
    given = error.get("input")
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        return "unknown key (check its spelling)"
    expected = {
        "string_type": "expected text",
        "dict_type": "expected a mapping of keys to values",
        "list_type": "expected a list",
        "int_parsing": "expected a whole number",
        "int_type": "expected a whole number",
        "float_parsing": "expected a number",
        "bool_parsing": "expected true or false",
        "bool_type": "expected true or false",
    }.get(kind)
    if expected:
        return f"{expected}, got {given!r}"
    return str(error["msg"]).removeprefix("Value error, ")


def _line_of(node: yaml.Node | None, location: tuple[Any, ...]) -> int:
    """The 1-based line of the deepest YAML node along ``location``."""
    line = 1
    for part in location:
        if node is None:
            break
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            match = [(k, v) for k, v in node.value if getattr(k, "value", None) == part]
            if not match:
                break
            key_node, node = match[0]
            line = key_node.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line + 1
    return line

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
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from extractors.taxonomy import Taxonomy
from pipeline.errors import ConfigError

#: The configuration shipped with the repository.
DEFAULT_CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"

M = TypeVar("M", bound=BaseModel)

LANGUAGE_CODE = re.compile(r"^[a-z]{2}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- keywords.yaml -----------------------------------------------------------------


class SearxngSettings(_Strict):
    url: str = "http://127.0.0.1:8080"
    language: str = "auto"
    categories: list[str] = Field(default_factory=lambda: ["general"])
    max_requests: int = Field(default=200, ge=1)
    timeout: float = Field(default=20.0, gt=0)
    delay: float = Field(default=1.0, ge=0)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("expected an http(s) URL such as http://127.0.0.1:8080")
        return value.rstrip("/")


class BackendsSettings(_Strict):
    searxng: SearxngSettings = Field(default_factory=SearxngSettings)


Term = str | dict[str, str]


class KeywordsConfig(_Strict):
    languages: list[str] = Field(default_factory=lambda: ["en"], min_length=1)
    keywords: list[Term] = Field(min_length=1)
    formats: list[Term] = Field(min_length=1)
    extra_terms: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    pages_per_query: int = Field(default=1, ge=1, le=10)
    use_backends: list[Literal["searxng"]] = Field(default_factory=lambda: ["searxng"])
    backends: BackendsSettings = Field(default_factory=BackendsSettings)

    @field_validator("languages")
    @classmethod
    def _language_codes(cls, value: list[str]) -> list[str]:
        for code in value:
            if not LANGUAGE_CODE.match(code):
                raise ValueError(f"expected two-letter ISO 639-1 codes, got {code!r}")
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
                raise ValueError(f"unknown format {name!r}; expected one of: {', '.join(sorted(known))}")
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


# --- loading -----------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    """The whole validated configuration."""

    directory: Path
    keywords: KeywordsConfig
    providers: ProvidersConfig
    taxonomy_config: TaxonomyConfig

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
    return Config(folder, keywords, providers, taxonomy)


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

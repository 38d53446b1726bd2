"""The entities of one article, grouped by type; choosing one filters the list to it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from newsreader.models import Article, EntitySummary, EntityType
from newsreader.nlp.analysis import FULL_LANGUAGES
from newsreader.tui.text import safe_line
from newsreader.tui.widgets.reader import ENTITY_STYLES

GROUPS = (
    (EntityType.PERSON, "People"),
    (EntityType.ORG, "Organisations"),
    (EntityType.PLACE, "Places"),
    (EntityType.NORP, "Nationalities and groups"),
)

EntityKey = tuple[EntityType, str]


def entity_options(
    entities: tuple[EntitySummary, ...], elsewhere: Mapping[EntityKey, int]
) -> list[Option | None]:
    """Options grouped by type (a heading per group, None between groups)."""
    options: list[Option | None] = []
    for kind, label in GROUPS:
        group = [e for e in entities if e.type is kind]
        if not group:
            continue
        if options:
            options.append(None)
        heading = Content.assemble((label, f"bold {ENTITY_STYLES[kind]}"), f" ({len(group)})")
        options.append(Option(heading, disabled=True))
        for e in group:
            articles = elsewhere.get((e.type, e.canonical), 0)
            detail = f"  ×{e.count}" + (f" · {articles} articles" if articles > 1 else "")
            country = f" [{e.country}]" if e.country else ""
            prompt = Content.assemble(
                "  ",
                (safe_line(e.canonical), ENTITY_STYLES[kind]),
                country,
                (detail, "$text-muted"),
            )
            options.append(Option(prompt, id=f"{kind.value}\x1f{e.canonical}"))
    return options


def language_note(article: Article) -> str | None:
    if not article.analysed:
        return "This article has not been analysed yet; its entities will appear shortly."
    if article.language is not None and article.language not in FULL_LANGUAGES:
        return (
            f"This article is in another language ({article.language}): only places are "
            "recognised, to avoid wrong highlights."
        )
    return None


class EntitiesScreen(ModalScreen[EntityKey | None]):
    DEFAULT_CSS = """
    EntitiesScreen { align: center middle; }
    EntitiesScreen > Vertical {
        width: 70; max-width: 95%; height: auto; max-height: 90%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    EntitiesScreen #entities-title { text-style: bold; color: $primary; }
    EntitiesScreen #entities-note { color: $text-muted; padding: 0 0 1 0; }
    EntitiesScreen OptionList { height: auto; max-height: 1fr; border: none; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,E", "close", "Close", id="entities_close"),
    ]

    def __init__(self, article: Article, elsewhere: Mapping[EntityKey, int]) -> None:
        super().__init__()
        self.article = article
        self.elsewhere = dict(elsewhere)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                Content.assemble("Entities in “", safe_line(self.article.title), "”"),
                id="entities-title",
            )
            note = language_note(self.article)
            hint = "Enter shows every article that mentions one; esc closes."
            yield Static(Content(f"{note}\n{hint}" if note else hint), id="entities-note")
            options = entity_options(self.article.entities, self.elsewhere)
            if options:
                yield OptionList(*options, id="entities-list")
            else:
                yield Static(Content("No people, organisations or places found."))

    def on_mount(self) -> None:
        for option_list in self.query(OptionList):
            option_list.focus()
            option_list.action_first()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        kind, _, name = str(event.option.id).partition("\x1f")
        self.dismiss((EntityType(kind), name))

    def action_close(self) -> None:
        self.dismiss(None)

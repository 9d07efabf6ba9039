"""Deterministic marketing prose for the sample site: titles, descriptions, paragraphs.

Everything comes from a seeded `random.Random`, so the same seed always builds the same site.
Texts are drawn from a few hundred words, which keeps unrelated pages far apart by SimHash
(about 32 of 64 bits differ) while reading like a real B2B blog.
"""

from __future__ import annotations

import random

BRAND = "Lumen Analytics"


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _phrases(text: str) -> tuple[str, ...]:
    return tuple(text.split("; "))


TOPICS = _phrases(
    "SEO audits; content calendars; keyword research; link building; email campaigns; "
    "landing pages; conversion tracking; attribution models; marketing dashboards; "
    "customer journeys; A/B testing; lead scoring; product analytics; site speed; "
    "technical SEO; structured data; brand messaging; paid search; social listening; "
    "churn analysis; onboarding emails; pricing pages; search intent; topic clusters; "
    "internal linking; webinar funnels; retention cohorts; event tracking; UTM hygiene; "
    "data warehouses; demand generation; content briefs; editorial workflows; GA4 reports; "
    "Search Console data; CRM pipelines; account-based marketing; competitor research; "
    "page experience; crawl budgets"
)
OPENERS = _phrases(
    "A practical guide to; How we rebuilt our; What nobody tells you about; "
    "The beginner's checklist for; Lessons learned from scaling; A field guide to; "
    "Rethinking; Getting started with; The hidden cost of weak; Measuring the impact of; "
    "Five mistakes teams make with; Seven habits of great; Why we stopped guessing about; "
    "A quarterly review of; Fixing broken; Automating; Benchmarks for; Planning; "
    "The anatomy of effective; Questions to ask about"
)
AUDIENCES = _phrases(
    "small teams; SaaS marketers; agencies; content leads; growth teams; founders; analysts; "
    "B2B teams; ecommerce brands; product marketers"
)
CATEGORIES = ("seo", "analytics", "content", "email")

_VOCABULARY = _words(
    """
audience analysis attribute baseline benchmark brand budget campaign channel checklist
cohort content context conversion cost crawl customer dashboard data decision demand design
draft editor email engagement event experiment feedback forecast funnel goal growth
headline hypothesis impact index insight intent journey keyword landing launch lead
lifecycle link measure message metric model momentum narrative newsletter objective offer
onboarding outcome page pipeline plan platform priority process product program prospect
query ranking reach report research retention revenue review roadmap schedule search
segment sequence signal snippet source sprint stakeholder strategy structure subscriber
survey system target team template test timeline tool topic traffic trend trial update
value visitor website workflow quickly carefully clearly weekly monthly together often
rarely early later across within before after during between around without through simple
useful honest small large clear steady measurable practical reliable shared visible focused
careful modern lean better every each many most several fewer more less new old first next
last main whole real common rare build compare choose collect connect define deliver
explain explore find improve learn lower map plan publish raise reduce refine remove review
share ship start test track trust write
"""
)
_GERMAN = _words(
    """
analyse bericht daten kunde kunden markt marke inhalt seite suche ziel ziele team teams
plan planung messung wachstum umsatz besucher kampagne kanal kosten qualität strategie
werkzeug ergebnis ergebnisse zahlen woche monat jahr schnell einfach klar genau sicher neu
alt gut besser früh später immer oft selten gemeinsam heute morgen gestern weil wenn dass
aber und oder mit ohne für über unter nach vor bei durch zwischen wir sie ihr unser unsere
eine einen messen planen lernen prüfen teilen bauen finden senken steigern schreiben zeigen
verbessern
"""
)


class Prose:
    """Text from one seeded generator; call in a fixed order for a deterministic site."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - reproducible content, not secrets
        self._titles: set[str] = set()
        self._descriptions: set[str] = set()
        self._series = 0

    def sentence(self, german: bool = False) -> str:
        words = self.rng.choices(_GERMAN if german else _VOCABULARY, k=self.rng.randint(9, 17))
        return " ".join(words).capitalize() + "."

    def paragraph(self, sentences: int = 4, german: bool = False) -> str:
        return " ".join(self.sentence(german) for _ in range(sentences))

    def paragraphs(self, words: int, german: bool = False) -> list[str]:
        """Paragraphs totalling at least `words` words."""
        out: list[str] = []
        while sum(len(p.split()) for p in out) < words:
            out.append(self.paragraph(self.rng.randint(3, 5), german))
        return out

    def post_title(self) -> str:
        """A unique blog title of 30–60 characters (no brand suffix)."""
        for _ in range(12):
            title = f"{self.rng.choice(OPENERS)} {self.rng.choice(TOPICS)}"
            if self.rng.random() < 0.5:
                title += f" for {self.rng.choice(AUDIENCES)}"
            if self.rng.random() < 0.3 or title in self._titles:
                title += f" in {self.rng.randint(2019, 2031)}"
            if 30 <= len(title) <= 60 and title not in self._titles:
                return self.claim(title)
        while True:  # the combinations run out on very large sites: number a series
            self._series += 1
            title = f"{self.rng.choice(OPENERS)} {self.rng.choice(TOPICS)}, part {self._series}"
            if 30 <= len(title) <= 60 and title not in self._titles:
                return self.claim(title)

    def claim(self, title: str) -> str:
        """Reserve a hand-written title so generated ones never repeat it."""
        self._titles.add(title)
        return title

    def description(self, subject: str) -> str:
        """A unique meta description of 70–155 characters about `subject`."""
        while True:
            text = (
                f"{self.rng.choice(('Learn', 'See', 'Find out', 'Discover'))} how "
                f"{self.rng.choice(AUDIENCES)} approach {subject.lower()}: "
                f"{self.sentence().lower()}"
            )
            if 70 <= len(text) <= 155 and text not in self._descriptions:
                self._descriptions.add(text)
                return text

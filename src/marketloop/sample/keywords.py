"""Sample keyword research for a B2B marketing-software company, with planted clusters.

A deterministic generator (seeded) of what an SEO tool export looks like: keywords with volume,
difficulty, CPC and, for some, the site's current position and URL; plus SERP snapshots (top-10
URLs per keyword) and the ground truth (which planted topic each keyword came from). Sized from
tens of keywords (tests, the demo) to 100,000 (the clustering benchmark).

A topic is a stem ("lead scoring") varied with modifiers ("best lead scoring software", "what is
lead scoring"), reorderings ("software lead scoring") and typos ("lead socring"). Its SERPs draw
mostly from the topic's own pool of URLs, with a few URLs shared by every topic of the same head
and a few generic hubs, as real results do.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from itertools import product
from pathlib import Path

from marketloop.keywords.model import KeywordRecord

# Topics the sample site covers or should cover (product, pricing, blog, docs of a B2B company).
CURATED_TOPICS = [
    "marketing automation",
    "email marketing software",
    "lead scoring",
    "landing page builder",
    "marketing attribution",
    "ab testing",
    "customer segmentation",
    "content calendar",
    "crm integration",
    "webinar software",
    "social media scheduling",
    "seo audit",
    "marketing analytics dashboard",
    "drip campaign",
    "utm builder",
]
HEADS = [  # long-tail topics are "<qualifier> <head>"; no head is a curated topic
    "email campaign", "lead routing", "landing page", "attribution model", "ab test",
    "audience segment", "editorial calendar", "crm sync", "webinar funnel", "social scheduling",
    "site audit", "kpi dashboard", "drip sequence", "utm tracking", "lead magnet",
    "newsletter template", "conversion rate", "churn analysis", "cohort report",
    "nurture workflow", "form builder", "popup builder", "sms marketing", "push notification",
    "retargeting ad", "keyword research", "backlink audit", "brand monitoring", "review widget",
    "referral program", "loyalty program", "product tour", "onboarding email", "win back campaign",
    "abandoned cart", "pricing page", "case study", "buyer persona", "sales enablement",
    "intent data", "account based marketing", "event tracking", "data enrichment", "lead capture",
    "chatbot script", "survey tool", "nps survey", "heatmap tool", "session replay",
    "marketing budget", "campaign calendar", "content brief", "editorial workflow", "video hosting",
    "podcast hosting", "influencer outreach", "affiliate tracking", "coupon code", "gift card",
]  # fmt: skip
QUALIFIERS = [
    "b2b", "saas", "ecommerce", "shopify", "hubspot", "salesforce", "wordpress", "agency",
    "startup", "nonprofit", "real estate", "healthcare", "fintech", "education", "restaurant",
    "travel", "insurance", "legal", "dental", "fitness", "automotive", "manufacturing", "retail",
    "hospitality", "consulting", "recruiting", "church", "photography", "construction",
    "accounting", "logistics", "gaming", "crypto", "pharma", "beauty", "fashion", "pet", "solar",
    "plumbing", "wedding", "yoga", "coffee", "bakery", "brewery", "winery", "florist", "golf",
    "marina", "museum", "library", "podcast", "youtube", "tiktok", "linkedin", "instagram",
    "pinterest", "slack", "zapier", "notion", "webflow", "wix", "squarespace", "magento",
    "bigcommerce", "woocommerce", "stripe", "mailchimp", "klaviyo", "marketo", "pardot",
    "zoho", "pipedrive", "intercom", "zendesk", "segment", "mixpanel", "amplitude", "looker",
]  # fmt: skip
MODIFIERS = [
    "{s}", "best {s} software", "{s} tools", "what is {s}", "how to do {s}", "{s} examples",
    "{s} template", "{s} pricing", "free {s}", "{s} for small business", "{s} guide",
    "top {s} platforms", "{s} strategy", "{s} best practices", "{s} checklist", "{s} tips",
    "{s} software comparison", "buy {s} software", "{s} reviews", "{s} alternatives",
    "{s} tutorial", "{s} ideas", "{s} cost", "{s} for saas companies", "{s} definition",
    "{s} api", "{s} vs spreadsheet", "{s} platform", "{s} course", "{s} metrics",
]  # fmt: skip
PRODUCT_WORDS = {"software", "builder", "tool", "platform", "scheduling", "dashboard", "widget"}
REVIEW_SITES = ["www.g2.com", "www.capterra.com", "www.trustradius.com", "www.getapp.com"]
PUBLISHERS = [
    "blog.hubspot.com", "neilpatel.com", "moz.com", "backlinko.com", "www.semrush.com",
    "zapier.com", "www.shopify.com", "www.forbes.com", "mailchimp.com", "ahrefs.com",
]  # fmt: skip


@dataclass(frozen=True)
class SampleKeywords:
    records: list[KeywordRecord]
    labels: list[int]  # planted topic per record (index into `topics`)
    topics: list[str]
    serps: list[tuple[str, int, str]]  # (keyword, position, url), ten per keyword

    def write(self, folder: Path) -> tuple[Path, Path]:
        """Write `keywords.csv` (an SEO-tool style export) and `serps.csv`; return both paths."""
        folder.mkdir(parents=True, exist_ok=True)
        keywords, serps = folder / "keywords.csv", folder / "serps.csv"
        with keywords.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["Keyword", "Search Volume", "Keyword Difficulty", "CPC", "Position"])
            for r in self.records:
                writer.writerow([r.keyword, r.volume, r.difficulty, r.cpc, r.position or ""])
        with serps.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["keyword", "position", "url"])
            writer.writerows(self.serps)
        return keywords, serps


def topic_stems(count: int, seed: int) -> list[str]:
    """`count` distinct topics: the curated ones first, then qualifier × head combinations.

    No topic is contained in another ("lead routing" next to "saas lead routing" would make
    the planted truth itself ambiguous).
    """
    rng = random.Random(seed)  # noqa: S311  (sample data, not secrets)
    qualifiers = QUALIFIERS + _brand_names(max(0, count // 8 - len(QUALIFIERS)), rng)
    combos = [f"{q} {h}" for q, h in product(qualifiers, HEADS)]
    rng.shuffle(combos)
    stems = CURATED_TOPICS + combos
    if count > len(stems):
        raise ValueError(f"at most {len(stems)} topics can be generated, asked for {count}")
    return stems[:count]


def generate(
    n_keywords: int = 60, *, seed: int = 7, per_topic: int | None = None
) -> SampleKeywords:
    """`n_keywords` keywords in planted topics (the last topic may be cut short).

    Topics hold 4-40 keywords (mean about 25) unless `per_topic` fixes their size.
    """
    rng = random.Random(seed)  # noqa: S311  (sample data, not secrets)
    mean = per_topic or (6 if n_keywords <= 200 else 25)
    topics = topic_stems(max(1, round(n_keywords / mean * 1.3)), seed)  # spares; cut below
    records: list[KeywordRecord] = []
    labels: list[int] = []
    serps: list[tuple[str, int, str]] = []
    seen: set[str] = set()
    for label, stem in enumerate(topics):
        size = per_topic or max(4, min(40, round(rng.gauss(mean, mean / 3))))
        pool = _url_pool(stem, rng)
        generic = label < len(CURATED_TOPICS)  # long-tail topics search less
        head_volume = int(10 ** (rng.uniform(3.0, 4.6) if generic else rng.uniform(1.6, 3.0)))
        for keyword in _variants(stem, size, rng):
            if keyword in seen or len(records) >= n_keywords:
                continue
            seen.add(keyword)
            records.append(_record(keyword, stem, head_volume, rng))
            labels.append(label)
            serps.extend((keyword, pos, url) for pos, url in enumerate(_serp(pool, rng), 1))
        if len(records) >= n_keywords:
            topics = topics[: label + 1]
            break
    return SampleKeywords(records, labels, topics, serps)


def _brand_names(count: int, rng: random.Random) -> list[str]:
    """Made-up product names ("zentrova", "klipdash"): the long tail of integration keywords."""
    onsets = [
        "b",
        "c",
        "d",
        "f",
        "g",
        "k",
        "l",
        "m",
        "n",
        "p",
        "r",
        "s",
        "t",
        "v",
        "z",
        "br",
        "cl",
        "dr",
        "fl",
        "gr",
        "kl",
        "pl",
        "pr",
        "st",
        "tr",
    ]
    vowels, codas = "aeiou", ["", "n", "x", "sh", "ck", "r", "l"]
    names: set[str] = set()
    while len(names) < count:
        parts = [rng.choice(onsets) + rng.choice(vowels) for _ in range(rng.randint(2, 3))]
        names.add("".join(parts) + rng.choice(codas))
    return sorted(names)


def _variants(stem: str, size: int, rng: random.Random) -> list[str]:
    templates = [MODIFIERS[0], *rng.sample(MODIFIERS[1:], min(size, len(MODIFIERS)) - 1)]
    out = [t.format(s=stem) for t in templates]
    while len(out) < size:  # reorderings and typos of what is there
        base = rng.choice(out)
        out.append(_typo(base, rng) if rng.random() < 0.6 else _reorder(base, rng))
    return out


def _typo(keyword: str, rng: random.Random) -> str:
    words = keyword.split()
    i = rng.randrange(len(words))
    word = words[i]
    if len(word) > 3:
        j = rng.randrange(1, len(word) - 1)
        kind = rng.random()
        if kind < 0.4:
            word = word[:j] + word[j + 1] + word[j] + word[j + 2 :]  # swapped letters
        elif kind < 0.7:
            word = word[:j] + word[j + 1 :]  # dropped letter
        else:
            word = word[:j] + word[j] + word[j:]  # doubled letter
    words[i] = word
    return " ".join(words)


def _reorder(keyword: str, rng: random.Random) -> str:
    words = keyword.split()
    if len(words) < 2:
        return keyword + " online"
    i = rng.randrange(len(words) - 1)
    words[i], words[i + 1] = words[i + 1], words[i]
    return " ".join(words)


def _record(keyword: str, stem: str, head_volume: int, rng: random.Random) -> KeywordRecord:
    share = 1.0 if keyword == stem else rng.uniform(0.01, 0.4)
    volume = max(10, int(head_volume * share) // 10 * 10)  # tools round volumes to tens
    difficulty = round(min(95.0, max(1.0, 12 * (len(str(volume)) - 1) + rng.gauss(0, 12))))
    ranking = rng.random() < 0.3
    return KeywordRecord(
        keyword=keyword,
        volume=volume,
        difficulty=difficulty,
        cpc=round(rng.uniform(0.5, 25.0), 2),
        position=rng.randint(1, 60) if ranking else None,
    )


def _url_pool(stem: str, rng: random.Random) -> list[str]:
    """Twelve URLs about this topic, plus two every topic with the same head also ranks.

    Product categories ("... software", "... builder") rank review sites and vendors; other
    topics rank mostly guides, as their real results do.
    """
    slug = _slug(stem)
    head = next((h for h in HEADS if stem.endswith(h)), stem)
    commercial = stem.rsplit(maxsplit=1)[-1] in PRODUCT_WORDS
    guides, reviews = (3, 4) if commercial else (8, 2)
    own = [f"https://{s}/blog/{slug}-{n}" for n, s in enumerate(rng.sample(PUBLISHERS, guides))]
    own += [f"https://{site}/categories/{slug}" for site in rng.sample(REVIEW_SITES, reviews)]
    vendors = [f"https://www.{slug}-{v}.example/" for v in ("pro", "hq", "cloud", "io", "app")]
    own += [f"{url}pricing" for url in vendors[: 12 - len(own) - 1]] + [vendors[-1]]
    shared = [
        f"https://en.wikipedia.org/wiki/{_slug(head)}",
        f"https://www.g2.com/compare/{_slug(head)}",
    ]
    return own + shared


def _serp(pool: list[str], rng: random.Random) -> list[str]:
    """Top 10: eight from the topic's pool, two generic hubs, shuffled."""
    hubs = [f"https://www.{site}/hub/{rng.randrange(400)}" for site in ("reddit.com", "quora.com")]
    results = rng.sample(pool, 8) + hubs
    rng.shuffle(results)
    return results


def _slug(text: str) -> str:
    return "-".join(text.lower().split())

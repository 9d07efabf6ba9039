"""A few clusters of a B2B marketing-software company, for the demo when the keyword stage has
not produced any (its clusters file is used when it has)."""

from __future__ import annotations

from marketloop.keywords.model import Cluster, Intent, KeywordRecord

_SAMPLE: list[tuple[str, Intent, list[tuple[str, int, float]]]] = [
    (
        "marketing automation software",
        "commercial",
        [
            ("marketing automation software", 9900, 72),
            ("best marketing automation software", 2400, 75),
            ("marketing automation software for small business", 1300, 60),
            ("marketing automation software pricing", 880, 48),
            ("what is marketing automation software", 720, 35),
        ],
    ),
    (
        "email marketing automation",
        "informational",
        [
            ("email marketing automation", 5400, 55),
            ("email automation workflows", 1000, 40),
            ("how to automate email marketing", 590, 30),
            ("email drip campaign examples", 480, 28),
        ],
    ),
    (
        "lead scoring",
        "informational",
        [
            ("lead scoring", 4400, 50),
            ("lead scoring model", 1600, 45),
            ("how does lead scoring work", 390, 25),
            ("lead scoring best practices", 320, 30),
        ],
    ),
    (
        "marketing automation pricing",
        "transactional",
        [
            ("marketing automation pricing", 1900, 40),
            ("marketing automation cost", 720, 38),
            ("marketing automation free trial", 320, 30),
        ],
    ),
]


def sample_clusters() -> list[Cluster]:
    return [
        Cluster(
            cluster=name,
            keywords=[k for k, _, _ in rows],
            members=[KeywordRecord(keyword=k, volume=v, difficulty=d) for k, v, d in rows],
            intent=intent,
            volume=sum(v for _, v, _ in rows),
        )
        for name, intent, rows in _SAMPLE
    ]

"""HubSpot end to end against its fake, into DuckDB."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from marketloop.config import Settings
from marketloop.errors import ConfigError, CredentialError, IngestError
from marketloop.fakes.hubspot_data import HubspotData
from marketloop.ingest import hubspot_search
from marketloop.ingest.jobs import ingest_hubspot
from marketloop.workspace import Workspace

from .conftest import HUBSPOT_TOKEN, Fakes, Google, make_settings, query, snapshot

TABLES = (
    "hubspot.contacts",
    "hubspot.companies",
    "hubspot.deals",
    "hubspot.contact_companies",
    "hubspot.deal_contacts",
)


def test_first_load_lists_everything_with_associations_and_archived_records(
    settings: Settings, fakes: Fakes
) -> None:
    data = fakes.hubspot.data
    result = ingest_hubspot(settings)
    assert result.loaded["contacts"] == data.counts["contacts"]
    assert result.loaded["companies"] == data.counts["companies"]
    assert result.loaded["deals"] == data.counts["deals"]
    assert result.stats.pages["contacts"] == 2 + 1  # 196 live at 100 per page, then 4 archived
    archived = query(settings, "SELECT count(*) FROM hubspot.contacts WHERE archived")
    assert archived == [(data.counts["contacts"] // data.archived_every,)]
    assert query(settings, "SELECT count(*) FROM hubspot.contacts WHERE archived_at IS NULL") == [
        (data.counts["contacts"] - archived[0][0],)
    ]
    links = query(settings, "SELECT contact_id, company_id FROM hubspot.contact_companies")
    live = [i for i in range(data.counts["contacts"]) if not data.archived("contacts", i)]
    expected = {
        (data.ident("contacts", i), data.ident("companies", c))
        for i in live
        for c in data.associated("contacts", i, "companies")
    }
    assert set(links) == expected
    amount = query(settings, "SELECT typeof(amount), typeof(createdate) FROM hubspot.deals LIMIT 1")
    assert amount == [("DOUBLE", "TIMESTAMP WITH TIME ZONE")]


def test_later_runs_search_only_what_changed(settings: Settings, fakes: Fakes) -> None:
    data = fakes.hubspot.data
    ingest_hubspot(settings)
    before = snapshot(settings, *TABLES)
    data.modify("contacts", 3, firstname="Augusta")
    data.archive("deals", 5)
    (new,) = data.add("contacts", 1)
    requests = fakes.hubspot.requests
    result = ingest_hubspot(settings)
    # per object: one search page (+ one association read for contacts/deals) + one archived page
    assert fakes.hubspot.requests - requests == 3 + 2 + 3
    after = snapshot(settings, *TABLES)
    assert len(after["hubspot.contacts"]) == len(before["hubspot.contacts"]) + 1
    names = dict(query(settings, "SELECT id, firstname FROM hubspot.contacts"))
    assert names[data.ident("contacts", 3)] == "Augusta"
    assert data.ident("contacts", new) in names
    deal_id = data.ident("deals", 5)
    deal = query(
        settings,
        f"SELECT archived, archived_at IS NOT NULL FROM hubspot.deals WHERE id = '{deal_id}'",
    )
    assert deal == [(True, True)]  # marked, not deleted
    assert result.stats.rows["contacts"] >= 2
    for table, rows in after.items():
        assert len(rows) == len(set(rows)), table  # merged on the keys: no duplicates
    ids = query(settings, "SELECT count(*) - count(DISTINCT id) FROM hubspot.contacts")
    assert ids == [(0,)]


def _one_contact(fakes: Fakes) -> HubspotData:
    data = HubspotData(counts={"contacts": 1, "companies": 5, "deals": 0}, archived_every=10**9)
    fakes.hubspot.data = data
    return data


def _add_contacts(data: HubspotData, count: int, same_time: bool) -> None:
    """`count` new contacts, modified one millisecond apart (or all in the same one)."""
    start = datetime.now(UTC) - timedelta(hours=1)
    for index in data.add("contacts", count, at=start):
        data.modify("contacts", index, at=start + timedelta(milliseconds=0 if same_time else index))


def test_incremental_runs_can_skip_listing_archived_records(
    workspace: Workspace, fakes: Fakes, google: Google
) -> None:
    settings = make_settings(workspace, fakes, google, hubspot={"archived_every_run": False})
    data = fakes.hubspot.data
    ingest_hubspot(settings)  # the first run lists archived records all the same
    archived = query(settings, "SELECT count(*) FROM hubspot.deals WHERE archived")
    assert archived == [(data.counts["deals"] // data.archived_every,)]
    data.modify("contacts", 3, firstname="Augusta")
    data.archive("deals", 5)
    requests = fakes.hubspot.requests
    ingest_hubspot(settings)
    assert fakes.hubspot.requests - requests == 3 + 2  # searches and association reads only
    deal = data.ident("deals", 5)
    assert query(settings, f"SELECT archived FROM hubspot.deals WHERE id = '{deal}'") == [
        (False,)
    ]  # the archiving is not seen until a full read
    ingest_hubspot(settings, full=True)
    assert query(settings, f"SELECT archived FROM hubspot.deals WHERE id = '{deal}'") == [(True,)]


def test_the_fake_refuses_to_page_past_10000_results(fakes: Fakes) -> None:
    response = httpx.post(
        f"{fakes.urls['hubspot']}/crm/v3/objects/contacts/search",
        json={"limit": 100, "after": "10000"},
        headers={"Authorization": f"Bearer {HUBSPOT_TOKEN}"},
    )
    assert response.status_code == 400
    assert response.json()["category"] == "VALIDATION_ERROR"
    assert hubspot_search.SEARCH_CAP == fakes.hubspot.search_cap == 10_000


@pytest.fixture
def small_cap(fakes: Fakes, monkeypatch: pytest.MonkeyPatch) -> int:
    """HubSpot's 10,000-result cap scaled down to 1,000, in the client and the fake alike."""
    monkeypatch.setattr(hubspot_search, "SEARCH_CAP", 1_000)
    fakes.hubspot.search_cap = 1_000
    return 1_000


def test_the_search_cap_restarts_from_the_last_modified_date(
    workspace: Workspace, fakes: Fakes, google: Google, small_cap: int
) -> None:
    data = _one_contact(fakes)
    settings = make_settings(
        workspace, fakes, google, hubspot={"objects": ["contacts"], "search_rps": 1000}
    )
    ingest_hubspot(settings)  # the list endpoint: one contact, and a cursor
    _add_contacts(data, 1_150, same_time=False)
    result = ingest_hubspot(settings)
    # 1,151 matches (the first contact is inside the cursor overlap): 5 pages of 200 reach the
    # cap, the restart from the last modified date seen needs 1 more, then 1 archived page
    assert result.stats.pages["contacts"] == 5 + 1 + 1
    assert query(settings, "SELECT count(*), count(DISTINCT id) FROM hubspot.contacts") == [
        (1_151, 1_151)
    ]


def test_more_than_the_cap_in_one_millisecond_is_a_clear_error(
    workspace: Workspace, fakes: Fakes, google: Google, small_cap: int
) -> None:
    data = _one_contact(fakes)
    settings = make_settings(
        workspace, fakes, google, hubspot={"objects": ["contacts"], "search_rps": 1000}
    )
    ingest_hubspot(settings)
    _add_contacts(data, 1_001, same_time=True)
    with pytest.raises(IngestError, match="more than 1,000 HubSpot contacts were modified at"):
        ingest_hubspot(settings)


def test_a_new_property_becomes_a_new_column(
    workspace: Workspace, fakes: Fakes, google: Google
) -> None:
    settings = make_settings(workspace, fakes, google, hubspot={"objects": ["contacts"]})
    ingest_hubspot(settings)
    fakes.hubspot.data.custom["contacts"] = {"favorite_channel": ["email", "webinar", "podcast"]}
    fakes.hubspot.data.modify("contacts", 7)
    drifted = make_settings(
        workspace,
        fakes,
        google,
        hubspot={"objects": ["contacts"], "properties": {"contacts": ["favorite_channel"]}},
    )
    ingest_hubspot(drifted)
    filled = dict(query(settings, "SELECT id, favorite_channel IS NOT NULL FROM hubspot.contacts"))
    assert filled[fakes.hubspot.data.ident("contacts", 7)]  # re-read: has the new column
    assert not filled[fakes.hubspot.data.ident("contacts", 1)]  # not re-read: NULL, kept
    ingest_hubspot(drifted, full=True)  # a full re-read fills the new column everywhere
    missing = query(
        settings,
        "SELECT count(*) FROM hubspot.contacts WHERE NOT archived AND favorite_channel IS NULL",
    )
    assert missing == [(0,)]


def test_a_rejected_token_names_the_variable_and_loads_nothing(
    workspace: Workspace, fakes: Fakes, google: Google
) -> None:
    settings = make_settings(workspace, fakes, google, hubspot={"token": "pat-na1-revoked"})
    with pytest.raises(CredentialError, match="fix MARKETLOOP_HUBSPOT_TOKEN"):
        ingest_hubspot(settings)
    settings = make_settings(workspace, fakes, google, hubspot={"token": "changeme"})
    with pytest.raises(ConfigError, match="MARKETLOOP_HUBSPOT_TOKEN"):
        ingest_hubspot(settings)


def test_a_failure_mid_paging_leaves_tables_unchanged_and_the_cursor_where_it_was(
    workspace: Workspace, fakes: Fakes, google: Google
) -> None:
    settings = make_settings(workspace, fakes, google, hubspot={"retries": 1, "page_size": 50})
    ingest_hubspot(settings)
    before = snapshot(settings, *TABLES)
    data = fakes.hubspot.data
    data.modify("contacts", 1, firstname="Changed", at=datetime.now(UTC))
    fakes.hubspot.faults.fail_on_page = fakes.hubspot.faults.pages + 4  # companies, mid-run
    with pytest.raises(IngestError, match="HTTP 500"):
        ingest_hubspot(settings)
    assert snapshot(settings, *TABLES) == before  # contacts were fetched, but nothing landed
    fakes.hubspot.faults.fail_on_page = None
    ingest_hubspot(settings)  # the contacts cursor did not move: the change is found now
    names = dict(query(settings, "SELECT id, firstname FROM hubspot.contacts"))
    assert names[data.ident("contacts", 1)] == "Changed"


def test_rate_limits_are_paced_and_429s_retried(
    workspace: Workspace, fakes: Fakes, google: Google
) -> None:
    fakes.hubspot.rate_limit = (4, 0.2)  # 20 requests per second, bursts of 4
    fakes.hubspot.search_rps = 2  # a burst of two: the third object's search is refused
    settings = make_settings(workspace, fakes, google, hubspot={"page_size": 20, "search_rps": 50})
    ingest_hubspot(settings)
    assert fakes.hubspot.throttled <= 2
    fakes.hubspot.data.modify("contacts", 2)
    result = ingest_hubspot(settings)  # searching faster than the fake allows: 429s, retried
    assert result.stats.retries >= 1
    assert result.stats.quota["daily"] > 0

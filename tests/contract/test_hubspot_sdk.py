"""hubspot-api-client (the official SDK) against the HubSpot fake: the calls marketloop's ingest
makes (list with associations and archived, search by modified date, v4 association batch read)
and their neighbours (get by id, batch read, search `query`, one record's associations)."""

from __future__ import annotations

import json

import httpx
import pytest
from hubspot import HubSpot
from hubspot.crm.associations.v4 import (
    BatchInputPublicFetchAssociationsBatchRequest,
    PublicFetchAssociationsBatchRequest,
)
from hubspot.crm.companies.exceptions import NotFoundException as CompanyNotFound
from hubspot.crm.contacts import (
    BatchReadInputSimplePublicObjectId,
    Filter,
    FilterGroup,
    PublicObjectSearchRequest,
    SimplePublicObjectId,
)
from hubspot.crm.contacts.exceptions import ApiException, NotFoundException
from tests.contract.contract import Served
from tests.contract.services import hubspot_sdk
from urllib3.util.retry import Retry

from marketloop.fakes.hubspot import HubspotFake


@pytest.fixture
def sdk(hubspot: Served) -> HubSpot:
    return hubspot_sdk(hubspot, hubspot.token)


def body_of(exc: ApiException) -> dict[str, str]:
    parsed: dict[str, str] = json.loads(exc.body)
    return parsed


def test_list_pages_with_properties_and_named_associations(sdk: HubSpot) -> None:
    api = sdk.crm.contacts.basic_api
    page = api.get_page(limit=100, properties=["email", "firstname"], associations=["companies"])
    assert len(page.results) == 100 and page.paging.next.after
    first = page.results[0]
    assert first.id == "101" and first.properties["email"].endswith(".example")
    linked = [r for r in page.results if r.associations]
    assert linked, "some contacts belong to a company"
    kinds = {a.type for r in linked for a in r.associations["companies"].results}
    assert kinds == {"contact_to_company"}
    rest = api.get_page(limit=100, after=page.paging.next.after)
    assert rest.results[0].id != first.id


def test_archived_true_as_the_sdk_sends_it_lists_only_archived(sdk: HubSpot) -> None:
    archived = sdk.crm.contacts.basic_api.get_page(limit=100, archived=True).results
    assert archived and all(r.archived and r.archived_at for r in archived)
    live = sdk.crm.contacts.basic_api.get_page(limit=100, archived=False).results
    assert not {r.id for r in archived} & {r.id for r in live}


def test_get_by_id_and_its_404(sdk: HubSpot) -> None:
    api = sdk.crm.companies.basic_api
    company = api.get_by_id("50003", properties=["name", "domain"])
    assert company.properties["name"] == "Company 2 Ltd"
    with pytest.raises(CompanyNotFound) as caught:
        api.get_by_id("99999999")
    assert body_of(caught.value)["category"] == "OBJECT_NOT_FOUND"
    contacts = sdk.crm.contacts.basic_api
    contact = contacts.get_by_id("101", properties=["email"], associations=["companies", "deals"])
    assert contact.id == "101"
    by_email = contacts.get_by_id(contact.properties["email"].upper(), id_property="email")
    assert by_email.id == "101"
    with pytest.raises(ApiException) as refused:
        contacts.get_by_id("Ada", id_property="firstname")
    assert refused.value.status == 400 and "firstname" in body_of(refused.value)["message"]


def test_batch_read_answers_207_with_errors_for_missing_ids(sdk: HubSpot) -> None:
    ids = [SimplePublicObjectId(id=i) for i in ("101", "102", "999999")]
    request = BatchReadInputSimplePublicObjectId(
        inputs=ids, properties=["email"], properties_with_history=[]
    )
    answer = sdk.crm.contacts.batch_api.read(request, archived=False)
    assert sorted(r.id for r in answer.results) == ["101", "102"]
    assert answer.num_errors == 1 and answer.errors[0].context == {"ids": ["999999"]}


def test_search_by_query_filters_and_sort(sdk: HubSpot) -> None:
    search = sdk.crm.contacts.search_api.do_search
    ada = search(PublicObjectSearchRequest(query="ada", properties=["firstname"], limit=200))
    assert ada.total > 0 and all(r.properties["firstname"] == "Ada" for r in ada.results)
    since = Filter(property_name="lastmodifieddate", operator="GTE", value="1672531200000")
    stage = Filter(property_name="lifecyclestage", operator="IN", values=["lead", "customer"])
    request = PublicObjectSearchRequest(
        filter_groups=[FilterGroup(filters=[since, stage])],
        sorts=["lastmodifieddate"],
        properties=["lifecyclestage"],
        limit=50,
    )
    found = search(request)
    assert found.results and {r.properties["lifecyclestage"] for r in found.results} <= {
        "lead",
        "customer",
    }
    modified = [r.updated_at for r in found.results]
    assert modified == sorted(modified)
    deals = sdk.crm.deals.search_api.do_search(
        PublicObjectSearchRequest(
            filter_groups=[
                FilterGroup(
                    filters=[
                        Filter(
                            property_name="amount",
                            operator="BETWEEN",
                            value="1000",
                            high_value="9000",
                        )
                    ]
                )
            ],
            properties=["amount"],
            limit=100,
        )
    )
    assert deals.results and all(
        1000 <= float(d.properties["amount"]) <= 9000 for d in deals.results
    )


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"filterGroups": [{"filters": [{"propertyName": "email", "operator": "LIKE"}]}]}, "LIKE"),
        ({"query": "ada", "fuzzy": True}, "fuzzy"),
        ({"limit": 201}, "limit"),
    ],
)
def test_search_refuses_what_the_sdk_would_not_send(
    hubspot: Served, body: dict[str, object], named: str
) -> None:
    # the SDK checks operators itself; a hand-made request must meet HubSpot's 400
    answer = httpx.post(
        hubspot.url + "/crm/v3/objects/contacts/search",
        json=body,
        headers={"Authorization": f"Bearer {hubspot.token}"},
    )
    assert answer.status_code == 400
    assert answer.json()["category"] == "VALIDATION_ERROR" and named in answer.json()["message"]


def test_v4_associations_batch_and_per_record(sdk: HubSpot) -> None:
    batch = BatchInputPublicFetchAssociationsBatchRequest(
        inputs=[PublicFetchAssociationsBatchRequest(id=str(i)) for i in range(90001, 90011)]
    )
    answer = sdk.crm.associations.v4.batch_api.get_page("deals", "contacts", batch)
    assert answer.results and all(
        t.type_id == 3 for r in answer.results for to in r.to for t in to.association_types
    )
    deal = answer.results[0]
    one = sdk.crm.associations.v4.basic_api.get_page("deals", deal._from.id, "contacts")
    assert [to.to_object_id for to in one.results] == [to.to_object_id for to in deal.to]
    back = sdk.crm.associations.v4.basic_api.get_page(
        "contacts", str(deal.to[0].to_object_id), "deals"
    )
    assert deal._from.id in [to.to_object_id for to in back.results]


def test_429_body_and_retry_after(hubspot: Served) -> None:
    fake: HubspotFake = hubspot.fake
    fake.rate_limit = (1, 10.0)
    # urllib3 retries a 429 with Retry-After by default: switch that off to see the answer
    no_retry = Retry(total=0, raise_on_status=False)
    sdk = HubSpot(access_token=hubspot.token, host=hubspot.url, retry=no_retry)
    sdk.crm.contacts.basic_api.get_page(limit=1)
    with pytest.raises(ApiException) as caught:
        sdk.crm.contacts.basic_api.get_page(limit=1)
    assert caught.value.status == 429
    body = body_of(caught.value)
    assert (body["errorType"], body["policyName"]) == ("RATE_LIMIT", "TEN_SECONDLY_ROLLING")
    assert int(caught.value.headers["Retry-After"]) >= 1
    assert caught.value.headers["X-HubSpot-RateLimit-Max"] == "1"


def test_unimplemented_parameters_are_named_400s(sdk: HubSpot) -> None:
    with pytest.raises(ApiException) as caught:
        sdk.crm.contacts.basic_api.get_page(properties_with_history=["email"])
    assert (
        caught.value.status == 400 and "propertiesWithHistory" in body_of(caught.value)["message"]
    )
    with pytest.raises(NotFoundException):
        sdk.crm.contacts.basic_api.get_by_id("abc")

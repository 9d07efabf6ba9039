"""Reading single records, batches and associations from the HubSpot fake's portal.

    GET  /crm/v3/objects/{object}/{id}                       one record (404 OBJECT_NOT_FOUND)
    POST /crm/v3/objects/{object}/batch/read                 ≤ 100 ids; 207 with `errors` when
                                                             some are missing
    POST /crm/v4/associations/{from}/{to}/batch/read         ≤ 1,000 ids
    GET  /crm/v4/objects/{from}/{id}/associations/{to}       one record's, paged (limit ≤ 500)

Association type ids and names are HubSpot's defaults (contact → company 279 unlabeled and 1
primary, `contact_to_company`; deal → contact 3, `deal_to_contact`; and their reverses).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from marketloop.fakes.hubspot_data import OBJECTS, HubspotData
from marketloop.fakes.hubspot_http import BadRequest, NotFound

Json = dict[str, Any]
#: (from, to) -> (name in v3 results, v4 association types)
ASSOCIATIONS: dict[tuple[str, str], tuple[str, list[tuple[int, str | None]]]] = {
    ("contacts", "companies"): ("contact_to_company", [(1, "Primary"), (279, None)]),
    ("companies", "contacts"): ("company_to_contact", [(2, "Primary"), (280, None)]),
    ("deals", "contacts"): ("deal_to_contact", [(3, None)]),
    ("contacts", "deals"): ("contact_to_deal", [(4, None)]),
}
BATCH_READ_LIMIT = 100
ASSOCIATION_BATCH_LIMIT = 1000


def v4_types(source: str, target: str) -> list[Json]:
    return [
        {"category": "HUBSPOT_DEFINED", "typeId": type_id, "label": label}
        for type_id, label in ASSOCIATIONS[(source, target)][1]
    ]


def check_pair(source: str, target: str) -> None:
    for obj in (source, target):
        if obj not in OBJECTS:
            raise BadRequest(f"Unable to infer object type from: {obj}")


def with_links(
    data: HubspotData, obj: str, index: int, wanted: Sequence[str], links: Sequence[str]
) -> Json:
    """A record as the v3 list and get-by-id answer it, with `associations` when asked."""
    record = data.record(obj, index, wanted)
    for to in links:
        check_pair(obj, to)
        linked = data.associated(obj, index, to)
        if linked and (obj, to) in ASSOCIATIONS:
            kind = ASSOCIATIONS[(obj, to)][0]
            record.setdefault("associations", {})[to] = {
                "results": [{"id": data.ident(to, j), "type": kind} for j in linked]
            }
    return record


def find(data: HubspotData, obj: str, ident: str, id_property: str | None) -> int | None:
    """The index of the record `ident` names: its id, or for contacts their `email`
    (HubSpot's unique property); another `idProperty` is a 400."""
    if id_property in (None, "hs_object_id"):
        return data.index_of(obj, ident)
    if (obj, id_property) != ("contacts", "email"):
        raise BadRequest(f"{id_property} is not a unique property of {obj} in this fake")
    wanted = ident.lower()
    for index in range(data.counts[obj]):  # a scan: fine for the portals tests use
        if str(data.record(obj, index, ["email"])["properties"].get("email")).lower() == wanted:
            return index
    return None


def read_one(
    data: HubspotData,
    obj: str,
    ident: str,
    wanted: Sequence[str],
    links: Sequence[str],
    archived: bool,
    id_property: str | None = None,
) -> Json:
    index = find(data, obj, ident, id_property)
    if index is None or data.archived(obj, index) != archived:
        raise NotFound("Object not found.  objectId are usually numeric.", {"id": [ident]})
    return with_links(data, obj, index, wanted, links)


def batch_read(data: HubspotData, obj: str, body: Json, archived: bool) -> tuple[int, Json]:
    """(status, body): 200 when every id was found, else 207 with HubSpot's `errors`."""
    if body.get("propertiesWithHistory"):
        raise BadRequest("propertiesWithHistory is not implemented by this fake")
    inputs = _inputs(body, BATCH_READ_LIMIT)
    wanted = [str(p) for p in body.get("properties") or []]
    results, missing = [], []
    for ident in inputs:
        index = find(data, obj, ident, body.get("idProperty"))
        if index is None or data.archived(obj, index) != archived:
            missing.append(ident)
        else:
            results.append(data.record(obj, index, wanted))
    answer: Json = {"status": "COMPLETE", "results": results, **_times()}
    if not missing:
        return 200, answer
    kind = obj[:-1].upper() if obj != "companies" else "COMPANY"
    error = {
        "status": "error",
        "category": "OBJECT_NOT_FOUND",
        "message": f"Could not get some {kind} objects, they may be deleted or not exist. "
        "Check that ids are valid.",
        "context": {"ids": missing},
        "errors": [],
        "links": {},
    }
    return 207, {**answer, "numErrors": 1, "errors": [error]}


def association_batch(data: HubspotData, source: str, target: str, body: Json) -> Json:
    check_pair(source, target)
    results = []
    for ident in _inputs(body, ASSOCIATION_BATCH_LIMIT):
        index = data.index_of(source, ident)
        linked = data.associated(source, index, target) if index is not None else []
        if linked:
            to = [
                {
                    "toObjectId": int(data.ident(target, j)),
                    "associationTypes": v4_types(source, target),
                }
                for j in linked
            ]
            results.append({"from": {"id": ident}, "to": to})
    return {"status": "COMPLETE", "results": results, **_times()}


def associations_of(
    data: HubspotData, source: str, ident: str, target: str, limit: int, after: int
) -> Json:
    check_pair(source, target)
    if not 1 <= limit <= 500:
        raise BadRequest(f"limit must be between 1 and 500, was {limit}")
    index = data.index_of(source, ident)
    if index is None:
        raise NotFound("Object not found.  objectId are usually numeric.", {"id": [ident]})
    linked = data.associated(source, index, target)
    page = [
        {"toObjectId": int(data.ident(target, j)), "associationTypes": v4_types(source, target)}
        for j in linked[after : after + limit]
    ]
    answer: Json = {"results": page}
    if after + limit < len(linked):
        answer["paging"] = {"next": {"after": str(after + limit)}}
    return answer


def _inputs(body: Json, limit: int) -> list[str]:
    inputs = body.get("inputs", [])
    if not isinstance(inputs, list) or not all(isinstance(i, dict) and "id" in i for i in inputs):
        raise BadRequest("inputs must be a list of objects with an id")
    if len(inputs) > limit:
        raise BadRequest(f"Batch read is limited to {limit} inputs, got {len(inputs)}")
    return [str(item["id"]) for item in inputs]


def _times() -> Json:
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    return {"startedAt": now, "completedAt": now}

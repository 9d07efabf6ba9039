"""The routes of the fake Jira Cloud (REST v3) over the store (jira_store.py)."""

from __future__ import annotations

import base64
import json
import time
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from marketloop.fakes.jira_store import (
    ISSUE_TYPES,
    STATUSES,
    TRANSITIONS,
    Issue,
    JiraStoreError,
    parse_jql,
)

if TYPE_CHECKING:
    from marketloop.fakes.jira import JiraFake

#: the authenticated account's email, set on each request by the fake's middleware
ACCOUNT = web.RequestKey("account", str)

Json = dict[str, Any]
API = "/rest/api/3"
BULK_LIMIT = 50
SEARCH_MAX = 100
#: the system fields the fake stores (GET /field lists them)
SYSTEM_FIELDS = ("summary", "description", "issuetype", "project", "status", "labels", "priority")


async def json_body(request: web.Request) -> Json:
    """The request's JSON object, or Jira's 400 for a body that is not one."""
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise JiraStoreError(400, ["Unexpected character: the body is not valid JSON."]) from None
    if not isinstance(body, dict):
        raise JiraStoreError(400, ["Can not deserialize instance out of START_ARRAY token."])
    return body


class Routes:
    """Each handler of the fake; `add` puts them on the app."""

    def __init__(self, fake: JiraFake) -> None:
        self.store = fake.store

    def base(self, request: web.Request) -> str:
        return f"{request.scheme}://{request.host}{API}"

    def view(self, request: web.Request, issue: Issue, fields: Json, want: Any, props: Any) -> Json:
        names = _names(want)
        shown = fields if names is None else {k: v for k, v in fields.items() if k in names}
        out: Json = {
            "id": issue.id,
            "key": issue.key,
            "self": f"{self.base(request)}/issue/{issue.id}",
        }
        out["fields"] = shown
        keys = _names(props) or set()
        if keys:
            out["properties"] = {k: v for k, v in issue.properties.items() if k in keys}
        return out

    async def myself(self, request: web.Request) -> web.Response:
        email = request[ACCOUNT]
        return web.json_response(
            {"accountId": f"acc-{email}", "emailAddress": email, "displayName": email,
             "active": True, "self": f"{self.base(request)}/user?accountId=acc-{email}"}
        )  # fmt: skip

    async def server_info(self, request: web.Request) -> web.Response:
        info = {"baseUrl": f"{request.scheme}://{request.host}", "deploymentType": "Cloud"}
        return web.json_response(
            info | {"version": "1001.0.0-SNAPSHOT", "versionNumbers": [1001, 0, 0]}
        )

    async def fields(self, request: web.Request) -> web.Response:
        listed = [
            {"id": f, "key": f, "name": f.capitalize(), "custom": False} for f in SYSTEM_FIELDS
        ]
        return web.json_response(listed)

    async def project(self, request: web.Request) -> web.Response:
        key = request.match_info["key"]
        if key not in self.store.projects:
            raise JiraStoreError(404, [f"No project could be found with key '{key}'."])
        types = [{"id": str(n), "name": t, "subtask": False} for n, t in enumerate(ISSUE_TYPES, 1)]
        name = self.store.projects[key]
        return web.json_response({"id": key, "key": key, "name": name, "issueTypes": types})

    def created(self, request: web.Request, issue: Issue) -> Json:
        return {"id": issue.id, "key": issue.key, "self": f"{self.base(request)}/issue/{issue.id}"}

    async def create(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        issue = self.store.create(body.get("fields") or {}, body.get("properties") or [])
        return web.json_response(self.created(request, issue), status=201)

    async def bulk(self, request: web.Request) -> web.Response:
        updates = (await json_body(request)).get("issueUpdates")
        if not isinstance(updates, list):
            raise JiraStoreError(400, ["issueUpdates: must not be null"])
        if len(updates) > BULK_LIMIT:
            message = f"Bulk create is limited to {BULK_LIMIT} issues, got {len(updates)}."
            raise JiraStoreError(400, [message])
        issues, errors = [], []
        for n, update in enumerate(updates):
            try:
                made = self.store.create(update.get("fields") or {}, update.get("properties") or [])
                issues.append(self.created(request, made))
            except JiraStoreError as exc:
                errors.append(
                    {"status": exc.status, "elementErrors": exc.body, "failedElementNumber": n}
                )
        status = 400 if errors and not issues else 201  # Jira: 400 when none was created
        return web.json_response({"issues": issues, "errors": errors}, status=status)

    async def get_issue(self, request: web.Request) -> web.Response:
        issue = self.store.issue(request.match_info["key"])
        q = request.query
        return web.json_response(
            self.view(request, issue, issue.fields, q.get("fields"), q.get("properties"))
        )

    async def edit(self, request: web.Request) -> web.Response:
        issue = self.store.issue(request.match_info["key"])
        body = await json_body(request)
        self.store.edit(issue, body.get("fields") or {})
        return web.Response(status=204)

    async def transitions(self, request: web.Request) -> web.Response:
        self.store.issue(request.match_info["key"])
        listed = [{"id": tid, "name": name, "hasScreen": False,
                   "to": {"name": name, "statusCategory": {"key": STATUSES[name]}}}
                  for tid, name in TRANSITIONS.items()]  # fmt: skip
        return web.json_response({"transitions": listed})

    async def do_transition(self, request: web.Request) -> web.Response:
        issue = self.store.issue(request.match_info["key"])
        body = await json_body(request)
        self.store.transition(issue, str((body.get("transition") or {}).get("id")))
        return web.Response(status=204)

    async def add_comment(self, request: web.Request) -> web.Response:
        issue = self.store.issue(request.match_info["key"])
        body = (await json_body(request)).get("body")
        if not isinstance(body, dict) or body.get("type") != "doc":
            raise JiraStoreError(400, errors={"comment": "Comment body is not valid!"})
        comment = {"id": str(len(issue.comments) + 1), "body": body, "created": _now(),
                   "author": {"emailAddress": request[ACCOUNT]}}  # fmt: skip
        issue.comments.append(comment)
        return web.json_response(comment, status=201)

    async def comments(self, request: web.Request) -> web.Response:
        issue = self.store.issue(request.match_info["key"])
        items = issue.comments
        return web.json_response(
            {"startAt": 0, "maxResults": 5000, "total": len(items), "comments": items}
        )

    async def attach(self, request: web.Request) -> web.Response:
        issue = self.store.issue(request.match_info["key"])
        if request.headers.get("X-Atlassian-Token") != "no-check":
            raise JiraStoreError(403, ["XSRF check failed"])
        if not request.content_type.startswith("multipart/"):
            raise JiraStoreError(415, ["Unsupported Media Type: multipart/form-data expected."])
        made = []
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader) or part.name != "file":
                continue
            data = await part.read()
            n = sum(len(i.attachments) for i in self.store.issues.values()) + 1
            item = {"id": str(20_000 + n), "filename": part.filename or "file", "size": len(data),
                    "mimeType": part.headers.get("Content-Type", "application/octet-stream"),
                    "content": f"{self.base(request)}/attachment/content/{20_000 + n}",
                    "data": base64.b64encode(data).decode()}  # fmt: skip
            issue.attachments.append(item)
            made.append({k: v for k, v in item.items() if k != "data"})
        if not made:
            raise JiraStoreError(400, ["No file was attached: send a multipart part named 'file'."])
        return web.json_response(made)

    async def delete_attachment(self, request: web.Request) -> web.Response:
        wanted = request.match_info["id"]
        for issue in self.store.issues.values():
            kept = [a for a in issue.attachments if a["id"] != wanted]
            if len(kept) != len(issue.attachments):
                issue.attachments = kept
                return web.Response(status=204)
        raise JiraStoreError(404, [f"The attachment with id '{wanted}' does not exist"])

    async def set_property(self, request: web.Request) -> web.Response:
        issue = self.store.issue(request.match_info["key"])
        name = request.match_info["prop"]
        try:
            value = await request.json()
        except json.JSONDecodeError:
            raise JiraStoreError(400, ["The property value must be a valid JSON."]) from None
        existed = name in issue.properties
        issue.properties[name] = value
        return web.Response(status=200 if existed else 201)

    async def get_property(self, request: web.Request) -> web.Response:
        issue = self.store.issue(request.match_info["key"])
        name = request.match_info["prop"]
        if name not in issue.properties:
            raise JiraStoreError(404, [f"The property with key '{name}' does not exist."])
        return web.json_response({"key": name, "value": issue.properties[name]})

    async def search(self, request: web.Request) -> web.Response:
        body = await json_body(request) if request.method == "POST" else _query(request)
        jql = parse_jql(str(body.get("jql") or ""))
        size = max(1, min(SEARCH_MAX, int(body.get("maxResults") or 50)))
        offset = _offset(body.get("nextPageToken"), str(body.get("jql")))
        found = self.store.search(jql)
        page = found[offset : offset + size]
        want, props = body.get("fields") or "id", body.get("properties")
        out: Json = {"issues": [self.view(request, i, f, want, props) for i, f in page]}
        more = offset + size < len(found)
        out["isLast"] = not more
        if more:
            out["nextPageToken"] = _token(offset + size, str(body.get("jql")))
        return web.json_response(out)


def add_routes(app: web.Application, fake: JiraFake) -> None:
    h = Routes(fake)
    r = app.router
    r.add_get(f"{API}/myself", h.myself)
    r.add_get(f"{API}/serverInfo", h.server_info)
    r.add_get(f"{API}/field", h.fields)
    r.add_get(f"{API}/project/{{key}}", h.project)
    r.add_post(f"{API}/issue", h.create)
    r.add_post(f"{API}/issue/bulk", h.bulk)
    r.add_get(f"{API}/issue/{{key}}", h.get_issue)
    r.add_put(f"{API}/issue/{{key}}", h.edit)
    r.add_get(f"{API}/issue/{{key}}/transitions", h.transitions)
    r.add_post(f"{API}/issue/{{key}}/transitions", h.do_transition)
    r.add_get(f"{API}/issue/{{key}}/comment", h.comments)
    r.add_post(f"{API}/issue/{{key}}/comment", h.add_comment)
    r.add_post(f"{API}/issue/{{key}}/attachments", h.attach)
    r.add_delete(f"{API}/attachment/{{id}}", h.delete_attachment)
    r.add_get(f"{API}/issue/{{key}}/properties/{{prop}}", h.get_property)
    r.add_put(f"{API}/issue/{{key}}/properties/{{prop}}", h.set_property)
    r.add_get(f"{API}/search/jql", h.search)
    r.add_post(f"{API}/search/jql", h.search)


def _query(request: web.Request) -> Json:
    """GET search parameters; `fields` and `properties` may repeat or be comma-separated."""
    query: Json = dict(request.query)
    for name in ("fields", "properties"):
        if name in request.query:
            query[name] = ",".join(request.query.getall(name))
    return query


def _names(value: Any) -> set[str] | None:
    """`fields=a,b` (or a JSON list) as a set; None for all (`*all`, `*navigable`)."""
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else list(value)
    names = {str(i).strip() for i in items if str(i).strip()}
    return None if names & {"*all", "*navigable"} else names


def _token(offset: int, jql: str) -> str:
    raw = json.dumps({"o": offset, "q": jql}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _offset(token: Any, jql: str) -> int:
    if not token:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(str(token)))
        if data["q"] != jql:
            raise ValueError
        return int(data["o"])
    except (ValueError, KeyError, TypeError):
        raise JiraStoreError(400, ["The provided next page token is invalid or expired."]) from None


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000+0000", time.gmtime())

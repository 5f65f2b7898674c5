"""Local stand-ins for the DSA Transparency Database and Lumen, enforcing the rules their
documentation gives (transparency.dsa.ec.europa.eu/page/api-documentation-two; Lumen's
API documentation), so that the clients are tested against what the real services refuse.

Transparency Database: bearer token; `POST /api/v1/statements` takes `{"statements": [...]}`
(1 to 100), validates each statement (required and conditional fields, enumerations, text
limits, dates, puid format and uniqueness within the platform and the batch) and creates
all or none: 422 with errors keyed `statement_<index>`. `GET /api/v1/statement/
existing-puid/<puid>` answers 302 with the statement, or 404.

Lumen: `X-Authentication-Token`; `POST /notices` takes `{"notice": {...}}` with only the
documented fields, a title, a known type and at least one work with an infringing URL;
201 with the notice's address in `Location`.

Both can be told to fail the next calls (`fail_next`) or to answer only after the client
gave up (`stall_next`: the call is carried out, the answer comes too late).
"""

import json
import re
import threading
import time
import uuid
from datetime import date

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

EEA = set(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
        "IS",
        "LI",
        "NO",
    ]
)
VISIBILITIES = {
    "DECISION_VISIBILITY_CONTENT_REMOVED",
    "DECISION_VISIBILITY_CONTENT_DISABLED",
    "DECISION_VISIBILITY_CONTENT_DEMOTED",
    "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED",
    "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED",
    "DECISION_VISIBILITY_CONTENT_LABELLED",
    "DECISION_VISIBILITY_OTHER",
}
GROUNDS = {"DECISION_GROUND_ILLEGAL_CONTENT", "DECISION_GROUND_INCOMPATIBLE_CONTENT"}
CATEGORIES = {
    "STATEMENT_CATEGORY_ANIMAL_WELFARE",
    "STATEMENT_CATEGORY_CONSUMER_INFORMATION",
    "STATEMENT_CATEGORY_CYBER_VIOLENCE",
    "STATEMENT_CATEGORY_CYBER_VIOLENCE_AGAINST_WOMEN",
    "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS",
    "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
    "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS",
    "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
    "STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE",
    "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
    "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
    "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
    "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
    "STATEMENT_CATEGORY_SELF_HARM",
    "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS",
    "STATEMENT_CATEGORY_VIOLENCE",
}
CONTENT_TYPES = {
    "CONTENT_TYPE_APP",
    "CONTENT_TYPE_AUDIO",
    "CONTENT_TYPE_IMAGE",
    "CONTENT_TYPE_PRODUCT",
    "CONTENT_TYPE_SYNTHETIC_MEDIA",
    "CONTENT_TYPE_TEXT",
    "CONTENT_TYPE_VIDEO",
    "CONTENT_TYPE_OTHER",
}
SOURCES = {
    "SOURCE_ARTICLE_16",
    "SOURCE_TRUSTED_FLAGGER",
    "SOURCE_TYPE_OTHER_NOTIFICATION",
    "SOURCE_VOLUNTARY",
}
AUTOMATED = {
    "AUTOMATED_DECISION_FULLY",
    "AUTOMATED_DECISION_PARTIALLY",
    "AUTOMATED_DECISION_NOT_AUTOMATED",
}
PUID = re.compile(r"^[A-Za-z0-9_-]{1,500}$")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
BATCH_LIMIT = 100

LUMEN_TYPES = {
    "CourtOrder",
    "DataProtection",
    "Defamation",
    "DMCA",
    "LawEnforcementRequest",
    "Other",
    "PrivateInformation",
    "Trademark",
}
LUMEN_NOTICE_FIELDS = {
    "title", "type", "subject", "body", "date_sent", "language", "date_received", "source",
    "topic_ids", "tag_list", "regulation_list", "jurisdiction_list", "action_taken",
    "url_count", "request_type", "mark_registration_number", "works_attributes",
    "entity_notice_roles_attributes", "file_uploads_attributes",
}  # fmt: skip
LUMEN_WORK_FIELDS = {
    "copyrighted_urls_attributes", "kind", "description", "infringing_urls_attributes",
}  # fmt: skip
LUMEN_ROLES = {
    "principal", "agent", "recipient", "sender", "target", "issuing_court", "plaintiff",
    "defendant", "submitter",
}  # fmt: skip
LUMEN_ENTITY_FIELDS = {
    "name", "kind", "address_line_1", "address_line_2", "city", "state", "zip",
    "country_code", "phone", "email", "url",
}  # fmt: skip


class StandIn:
    """One local server; `calls` records every request as (method, path, JSON body)."""

    def __init__(self, token: str):
        self.token = token
        self.server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        self.server.expect_request(re.compile(".*")).respond_with_handler(self._handle)
        self.lock = threading.Lock()
        self.reset()

    def start(self):
        self.server.start()
        return self

    def stop(self):
        self.server.clear()
        self.server.stop()

    @property
    def url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def reset(self):
        with self.lock:
            self.calls = []
            self.failures = []  # (status, retry_after) for the next calls, in order
            self.stalls = 0
            self.stall_seconds = 0.0
            self._reset()

    def fail_next(self, status: int, times: int = 1, retry_after: str | None = None):
        with self.lock:
            self.failures += [(status, retry_after)] * times

    def stall_next(self, seconds: float, times: int = 1):
        with self.lock:
            self.stalls, self.stall_seconds = times, seconds

    def _handle(self, request: Request) -> Response:
        try:
            body = json.loads(request.get_data() or b"null")
        except ValueError:
            body = None
        with self.lock:
            self.calls.append((request.method, request.path, body))
            failure = self.failures.pop(0) if self.failures else None
            stall = self.stall_seconds if self.stalls else 0
            self.stalls = max(self.stalls - 1, 0)
        if failure:
            status, retry_after = failure
            headers = {"Retry-After": retry_after} if retry_after else {}
            return _json({"message": "try later"}, status, headers)
        if not self._authorised(request):
            return Response("", status=401)
        response = self._serve(request, body)
        if stall:
            time.sleep(stall)  # carried out; the client has stopped waiting
        return response

    def _reset(self):
        raise NotImplementedError

    def _authorised(self, request) -> bool:
        raise NotImplementedError

    def _serve(self, request, body):
        raise NotImplementedError


def _json(data, status: int, headers: dict | None = None) -> Response:
    return Response(
        json.dumps(data), status=status, headers=headers or {}, content_type="application/json"
    )


def _day(value) -> date | None:
    if not isinstance(value, str) or not DAY.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def statement_errors(s: dict) -> dict:
    """The field errors the Transparency Database gives one statement (API v2 rules)."""
    errors: dict[str, list[str]] = {}

    def err(field, message):
        errors.setdefault(field, []).append(message)

    if not isinstance(s, dict):
        return {"statement": ["must be an object"]}
    visibility = s.get("decision_visibility")
    others = ("decision_monetary", "decision_provision", "decision_account")
    if not visibility and not any(s.get(f) for f in others):
        err("decision_visibility", "The decision visibility field is required.")
    if visibility is not None and (
        not isinstance(visibility, list) or not set(visibility) <= VISIBILITIES
    ):
        err("decision_visibility", "The selected decision visibility is invalid.")
    if s.get("decision_ground") not in GROUNDS:
        err("decision_ground", "The selected decision ground is invalid.")
    limits = {
        "illegal_content_legal_ground": 500,
        "illegal_content_explanation": 2000,
        "incompatible_content_ground": 500,
        "incompatible_content_explanation": 2000,
        "decision_facts": 5000,
    }
    required = ["decision_facts"]
    if s.get("decision_ground") == "DECISION_GROUND_ILLEGAL_CONTENT":
        required += ["illegal_content_legal_ground", "illegal_content_explanation"]
    if s.get("decision_ground") == "DECISION_GROUND_INCOMPATIBLE_CONTENT":
        required += ["incompatible_content_ground", "incompatible_content_explanation"]
    for field in required:
        if not s.get(field):
            err(field, f"The {field.replace('_', ' ')} field is required.")
    for field, limit in limits.items():
        if isinstance(s.get(field), str) and len(s[field]) > limit:
            err(field, f"The {field.replace('_', ' ')} must not be greater than {limit}.")
    if s.get("incompatible_content_illegal") not in (None, "Yes", "No"):
        err("incompatible_content_illegal", "The selected value is invalid.")
    if s.get("category") not in CATEGORIES:
        err("category", "The selected category is invalid.")
    keywords = s.get("category_specification")
    if keywords is not None and not (
        isinstance(keywords, list) and all(str(k).startswith("KEYWORD_") for k in keywords)
    ):
        err("category_specification", "The selected category specification is invalid.")
    content = s.get("content_type")
    if not content or not isinstance(content, list) or not set(content) <= CONTENT_TYPES:
        err("content_type", "The selected content type is invalid.")
    scope = s.get("territorial_scope")
    if not scope or not isinstance(scope, list) or not set(scope) <= EEA:
        err("territorial_scope", "The selected territorial scope is invalid.")
    content_date, application_date = _day(s.get("content_date")), _day(s.get("application_date"))
    if content_date is None or content_date < date(2000, 1, 1):
        err("content_date", "The content date must be a date after or equal to 2000-01-01.")
    if application_date is None or application_date < date(2020, 1, 1):
        err("application_date", "The application date must be after or equal to 2020-01-01.")
    end = s.get("end_date_visibility_restriction")
    if end is not None and (
        _day(end) is None or (application_date and _day(end) < application_date)
    ):
        err("end_date_visibility_restriction", "Must be a date after the application date.")
    if s.get("source_type") not in SOURCES:
        err("source_type", "The selected source type is invalid.")
    if s.get("automated_detection") not in ("Yes", "No"):
        err("automated_detection", "The selected automated detection is invalid.")
    if s.get("automated_decision") not in AUTOMATED:
        err("automated_decision", "The selected automated decision is invalid.")
    if not isinstance(s.get("puid"), str) or not PUID.match(s["puid"]):
        err("puid", "The puid format is invalid.")
    return errors


class TransparencyDatabase(StandIn):
    def _reset(self):
        self.statements = {}  # puid -> stored statement

    def _authorised(self, request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {self.token}"

    def _serve(self, request, body):
        prefix = "/api/v1/statement/existing-puid/"
        if request.method == "GET" and request.path.startswith(prefix):
            found = self.statements.get(request.path[len(prefix) :])
            if found is None:
                return _json({"message": "statement of reason not found"}, 404)
            return _json(found, 302)
        if request.method == "POST" and request.path == "/api/v1/statements":
            return self._create(body)
        return _json({"message": "not found"}, 404)

    def _create(self, body):
        statements = body.get("statements") if isinstance(body, dict) else None
        if not isinstance(statements, list) or not 1 <= len(statements) <= BATCH_LIMIT:
            return _json(
                {"errors": {"statements": [f"Between 1 and {BATCH_LIMIT} statements."]}}, 422
            )
        errors, seen = {}, set()
        with self.lock:
            for index, statement in enumerate(statements):
                fields = statement_errors(statement)
                puid = statement.get("puid") if isinstance(statement, dict) else None
                if puid in self.statements or puid in seen:
                    fields.setdefault("puid", []).append(
                        "The identifier given is not unique within this platform."
                    )
                seen.add(puid)
                if fields:
                    errors[f"statement_{index}"] = fields
            if errors:
                return _json({"errors": errors}, 422)  # none of them is created
            created = []
            for statement in statements:
                stored = {
                    **statement,
                    "id": len(self.statements) + 1000,
                    "uuid": str(uuid.uuid4()),
                    "platform_name": "courtesy test",
                }
                self.statements[statement["puid"]] = stored
                created.append(stored)
        return _json({"statements": created}, 201)


def notice_errors(notice) -> dict:
    """What Lumen refuses in a notice: unknown fields, no title or type, no works."""
    errors: dict[str, list[str]] = {}
    if not isinstance(notice, dict):
        return {"notice": ["is required"]}
    for field in set(notice) - LUMEN_NOTICE_FIELDS:
        errors.setdefault(field, []).append("is not a permitted field")
    if not notice.get("title"):
        errors.setdefault("title", []).append("can't be blank")
    if notice.get("type") not in LUMEN_TYPES:
        errors.setdefault("type", []).append("is not a notice type")
    if notice.get("action_taken") not in (None, "", "Yes", "No", "Partial"):
        errors.setdefault("action_taken", []).append("is not included in the list")
    works = notice.get("works_attributes")
    if not isinstance(works, list) or not works:
        errors.setdefault("works", []).append("can't be blank")
    for work in works if isinstance(works, list) else []:
        if set(work) - LUMEN_WORK_FIELDS:
            errors.setdefault("works", []).append("has fields that are not permitted")
        if not work.get("infringing_urls_attributes"):
            errors.setdefault("works.infringing_urls", []).append("can't be blank")
    for role in notice.get("entity_notice_roles_attributes") or []:
        entity = role.get("entity_attributes") or {}
        if role.get("name") not in LUMEN_ROLES:
            errors.setdefault("entity_notice_roles", []).append("unknown role")
        if not entity.get("name") or set(entity) - LUMEN_ENTITY_FIELDS:
            errors.setdefault("entity_notice_roles.entity", []).append("is invalid")
        if entity.get("kind") not in (None, "individual", "organization"):
            errors.setdefault("entity_notice_roles.entity.kind", []).append("is invalid")
    return errors


class Lumen(StandIn):
    def _reset(self):
        self.notices = []

    def _authorised(self, request) -> bool:
        return request.headers.get("X-Authentication-Token") == self.token

    def _serve(self, request, body):
        if request.method != "POST" or request.path != "/notices":
            return _json({"message": "not found"}, 404)
        notice = body.get("notice") if isinstance(body, dict) else None
        errors = notice_errors(notice)
        if errors:
            return _json({"errors": errors}, 422)
        with self.lock:
            self.notices.append(notice)
            number = len(self.notices)
        return Response(
            json.dumps({"id": number}),
            status=201,
            headers={"Location": f"{self.url}/notices/{number}"},
            content_type="application/json",
        )

"""checks/: stay-down as a service. Would these articles be withheld if we ingested them?

An importer (ours or a partner's) asks before it republishes: each candidate is answered
by compliance.items.staydown, the one matcher that ingest, the takedown jobs and the
re-check sweep use, in one query for the whole batch. Nothing is stored or changed.
"""

from urllib.parse import urlsplit

from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from compliance.items.models import Item
from compliance.items.staydown import Block, Candidate, blocks_for

from .exceptions import READ_ERRORS, error
from .parsers import LimitedJSONParser
from .serializers import WEB_URL, StrictCharField

MAX_CANDIDATES = 1000
# A thousand articles with their text: more than the 1 MiB other bodies may have.
MAX_CHECK_BODY_BYTES = 32 * 1024 * 1024
NOT_COVERED = "No active block rule covers it."


def _length(field: str) -> int:
    return Item._meta.get_field(field).max_length


class CheckBodyParser(LimitedJSONParser):
    max_bytes = MAX_CHECK_BODY_BYTES


class CandidateSerializer(serializers.Serializer):
    """One article as a feed would give it."""

    original_url = StrictCharField(
        max_length=_length("original_url"),
        validators=[WEB_URL],
        help_text="The article's address at its origin.",
    )
    guid = StrictCharField(required=False, allow_blank=True, default="", max_length=10_000)
    title = StrictCharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=_length("title"),
        help_text="Accepted for the importer's convenience; no rule matches on titles.",
    )
    author = StrictCharField(
        required=False, allow_blank=True, default="", max_length=_length("author")
    )
    origin = StrictCharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=253,
        help_text="The origin's domain; default: the host of `original_url`.",
    )
    text = StrictCharField(
        required=False,
        allow_blank=True,
        default="",
        trim_whitespace=False,
        help_text="The article's text or HTML body (the same article under a new address).",
    )

    def validate(self, data: dict) -> dict:
        # The schema's pattern is the whole rule: an address it admits is answered (one no
        # rule can name, such as http://0, is simply not withheld).
        if not data["origin"]:
            data["origin"] = urlsplit(data["original_url"]).hostname or ""
        return data


def _candidate(data: dict) -> Candidate:
    return Candidate.of(
        origin_domain=data["origin"],
        original_url=data["original_url"],
        guid=data["guid"],
        author=data["author"],
        body=data["text"],
    )


class CandidatesSerializer(serializers.Serializer):
    candidates = CandidateSerializer(many=True, min_length=1, max_length=MAX_CANDIDATES)


class CheckResultSerializer(serializers.Serializer):
    withheld = serializers.BooleanField(help_text="Whether ingest would withhold it.")
    rule = serializers.IntegerField(allow_null=True, help_text="The block rule's id.")
    removal_request = serializers.CharField(
        allow_null=True, help_text="The reference of the request the rule comes from."
    )
    matched_by = serializers.CharField(
        allow_null=True, help_text="What matched: the URL, the guid, the text, the author…"
    )
    reason = serializers.CharField()


def _result(block: Block | None) -> dict:
    if block is None:
        return {
            "withheld": False,
            "rule": None,
            "removal_request": None,
            "matched_by": None,
            "reason": NOT_COVERED,
        }
    return {
        "withheld": True,
        "rule": block.rule.pk,
        "removal_request": block.case or None,
        "matched_by": block.matched_by,
        "reason": block.reason,
    }


EXAMPLE_CANDIDATE = {
    "original_url": "https://harbour-news.example/2026/12/lantern-makers/",
    "guid": "https://harbour-news.example/?p=4242",
    "title": "Lantern makers gather at the quay",
    "author": "Tamsin Wick",
    "origin": "harbour-news.example",
    "text": "<p>The lantern makers of the old quay met on Saturday…</p>",
}


@extend_schema(
    summary="Would these articles be withheld? (staff)",
    description=(
        'Checks one candidate article, or up to 1,000 as `{"candidates": [...]}`, against '
        "the active block rules, exactly as ingest would. Results come in input order. "
        "Only `original_url` is required; `origin` defaults to its host."
    ),
    request=CandidateSerializer,
    responses={
        200: inline_serializer(
            name="CheckResults", fields={"results": CheckResultSerializer(many=True)}
        ),
        **READ_ERRORS,
        413: error("The body is too large."),
    },
    examples=[
        OpenApiExample("One candidate", value=EXAMPLE_CANDIDATE, request_only=True),
        OpenApiExample(
            "A batch",
            value={
                "candidates": [
                    EXAMPLE_CANDIDATE,
                    {"original_url": "https://fennel.example/notes/spring-planting"},
                ]
            },
            request_only=True,
        ),
        OpenApiExample(
            "Answer",
            value={
                "results": [
                    {
                        "withheld": True,
                        "rule": 17,
                        "removal_request": "TD-2026-00042",
                        "matched_by": "url",
                        "reason": "block rule: URL "
                        "https://harbour-news.example/2026/12/lantern-makers",
                    },
                    _result(None),
                ]
            },
            response_only=True,
        ),
    ],
)
class CheckView(APIView):
    parser_classes = [CheckBodyParser]

    def post(self, request):
        data = request.data
        if not isinstance(data, dict):
            raise ValidationError(
                {"non_field_errors": ['Give one candidate object or {"candidates": [...]}.']}
            )
        if "candidates" in data:
            serializer = CandidatesSerializer(data=data)
            serializer.is_valid(raise_exception=True)
            candidates = serializer.validated_data["candidates"]
        else:
            serializer = CandidateSerializer(data=data)
            serializer.is_valid(raise_exception=True)
            candidates = [serializer.validated_data]
        blocks = blocks_for([_candidate(candidate) for candidate in candidates])
        return Response({"results": [_result(block) for block in blocks]})

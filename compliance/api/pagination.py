"""Page-number pagination with a ceiling; a malformed page number is a 400, a page past the
last one a 404 (it is well-formed, as the schema says: refusing it as invalid would be
wrong).

No list counts all its rows for every page: `count` is exact up to COUNT_EXACT_UP_TO (a
COUNT over at most that many rows) and beyond it the database planner's estimate, with
`count_exact: false` saying which. A page is read with LIMIT/OFFSET in an order an
index serves, so the first pages cost the same at any size.
"""

import json
import time
from functools import cached_property

from django.core.paginator import Paginator
from django.db import connections
from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

MAX_PAGE_SIZE = 200
COUNT_EXACT_UP_TO = 10_000


# A count shown as an estimate (past the cap) is estimated again at most this often per
# process and query: an EXPLAIN costs more than the page itself, and an estimate of a
# list of millions does not move in seconds.
ESTIMATE_SECONDS = 10
_estimates: dict[tuple, tuple[float, int]] = {}


def estimated_count(queryset) -> int | None:
    """The planner's estimate of the rows `queryset` returns (PostgreSQL), else None."""
    if connections[queryset.db].vendor != "postgresql":
        return None
    # Rows, not columns: without the joins a page reads, the plan is quicker to make.
    ids = queryset.order_by().values("pk")
    sql, params = ids.query.sql_with_params()
    key = (queryset.db, sql, tuple(map(repr, params)))
    now = time.monotonic()
    kept = _estimates.get(key)
    if kept is not None and now - kept[0] < ESTIMATE_SECONDS and kept[1] > COUNT_EXACT_UP_TO:
        return kept[1]
    estimate = int(json.loads(ids.explain(format="json"))[0]["Plan"]["Plan Rows"])
    if estimate > COUNT_EXACT_UP_TO:
        if len(_estimates) > 1000:  # one entry per distinct filter: keep it bounded
            _estimates.clear()
        _estimates[key] = (now, estimate)
    return estimate


class CappedCountPaginator(Paginator):
    count_exact = True

    @cached_property
    def count(self) -> int:
        # The planner's estimate first (a fraction of a millisecond): a list it says is
        # well past the cap is not counted at all; one it says is short is, up to the cap.
        estimate = estimated_count(self.object_list)
        if estimate is not None and estimate > COUNT_EXACT_UP_TO:
            self.count_exact = False
            return estimate
        exact = self.object_list[: COUNT_EXACT_UP_TO + 1].count()
        if exact <= COUNT_EXACT_UP_TO:
            return exact
        if estimate is None:  # SQLite (the embedded mode): small enough to count
            return self.object_list.count()
        self.count_exact = False
        return max(estimate, exact)


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=N` (from 1) and `?page_size=N` (at most MAX_PAGE_SIZE; default PAGE_SIZE)."""

    django_paginator_class = CappedCountPaginator
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def paginate_queryset(self, queryset, request, view=None):
        # An empty value means "not given", as for the filters.
        for name in (self.page_query_param, self.page_size_query_param):
            value = request.query_params.get(name)
            if value and not (value.isascii() and value.isdigit() and int(value) > 0):
                raise ValidationError({name: ["Give a whole number from 1."]})
        size = request.query_params.get(self.page_size_query_param)
        if size and int(size) > self.max_page_size:
            raise ValidationError({self.page_size_query_param: [f"At most {self.max_page_size}."]})
        try:
            return super().paginate_queryset(queryset, request, view)
        except pagination.NotFound:
            raise pagination.NotFound("There is no such page.") from None

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self.page.paginator.count,
                "count_exact": self.page.paginator.count_exact,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        properties = response["properties"]
        properties["count"]["description"] = (
            f"Exact up to {COUNT_EXACT_UP_TO:,}; beyond, the database's estimate."
        )
        properties["count_exact"] = {
            "type": "boolean",
            "description": "false when `count` is an estimate.",
            "example": True,
        }
        response["required"] = ["count", "count_exact", "results"]
        return response

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
        return parameters

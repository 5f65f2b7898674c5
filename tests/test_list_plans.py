"""The public lists are index scans in their own order: page 1 costs the same with a
million items as with a hundred. Asked of PostgreSQL's planner with sequential scans
priced out, so that a tiny test table cannot hide an ordering no index serves (the planner
would then still have to sort)."""

import json

import pytest
from django.db import connection
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from compliance.api.items import ItemViewSet
from compliance.items.models import Item
from compliance.items.selectors import (
    items_for_feed,
    items_for_sitemap_page,
    items_published,
)
from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db


def api_list_queryset():
    """What GET /api/v1/items/ reads for an anonymous caller."""
    view = ItemViewSet(action="list", format_kwarg=None)
    view.request = Request(APIRequestFactory().get("/api/v1/items/"))
    return view.get_queryset()


def plan_nodes(queryset) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = json.loads(queryset.explain(format="json"))
    nodes, todo = [], [plan[0]["Plan"]]
    while todo:
        node = todo.pop()
        nodes.append(node)
        todo.extend(node.get("Plans", []))
    return nodes


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("the plan is PostgreSQL's")
    ItemFactory.create_batch(5)
    ItemFactory(status=Item.Status.HIDDEN)


@pytest.mark.parametrize(
    "name,queryset",
    [
        ("home", lambda: items_published()[:21]),
        ("feed", items_for_feed),
        ("api", lambda: api_list_queryset()[:50]),
    ],
)
def test_newest_first_lists_read_the_partial_index_without_sorting(name, queryset):
    nodes = plan_nodes(queryset())
    assert not [n for n in nodes if n["Node Type"] in {"Sort", "Incremental Sort"}], nodes
    assert any(n.get("Index Name") == "item_published_newest" for n in nodes), nodes


def test_a_sitemap_page_is_a_primary_key_range_scan():
    nodes = plan_nodes(items_for_sitemap_page(1))
    assert not [n for n in nodes if n["Node Type"] == "Sort"], nodes
    assert any(n.get("Index Name") == "items_item_pkey" for n in nodes), nodes

"""Touches to the generated OpenAPI document, so that it says what the API does."""


def allow_empty_query_values(result, generator, request, public):
    """An empty query value (`?status=`) means "no filter" for every list's filters, search,
    ordering and pagination, as django-filter reads it: say so (OpenAPI's allowEmptyValue)."""
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    parameter["allowEmptyValue"] = True
    return result

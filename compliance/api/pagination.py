"""Page-number pagination with a ceiling; a malformed page number is a 400, a page past the
last one a 404 (it is well-formed, as the schema says: refusing it as invalid would be
wrong)."""

from rest_framework import pagination
from rest_framework.exceptions import ValidationError

MAX_PAGE_SIZE = 200


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=N` (from 1) and `?page_size=N` (at most MAX_PAGE_SIZE; default PAGE_SIZE)."""

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

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
        return parameters

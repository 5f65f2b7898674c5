"""JSON bodies only, of a sane size, in a form every database can store."""

import json

from rest_framework import parsers
from rest_framework.exceptions import APIException, ParseError

from compliance.takedowns.intake import MAX_BODY_BYTES


class PayloadTooLarge(APIException):
    status_code = 413
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


class LimitedJSONParser(parsers.JSONParser):
    """JSON of at most MAX_BODY_BYTES (the removal form's limit), refused before it is
    read; strings that are not valid Unicode (a lone surrogate such as "\\ud800", which
    Python's json accepts) are a parse error rather than a database error later."""

    max_bytes = MAX_BODY_BYTES

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0) if request else 0
        except ValueError:
            length = 0
        if length > self.max_bytes:
            raise PayloadTooLarge(f"The request body is larger than {self.max_bytes // 1024} KiB.")
        data = super().parse(stream, media_type, parser_context)
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise ParseError(
                "JSON parse error - the body holds text that is not valid Unicode."
            ) from None
        return data

"""The REST API at /api/v1/: entry points only.

Each module serves one resource with its own input and output serializers; every write
calls the same domain function as the admin and the public form (compliance.*.services),
so the API adds no business rule of its own. Errors answer JSON: 400 with field errors,
401/403 with a `detail`, 409 for a transition the state machine refuses, 429 with
Retry-After for the removal-request rate limit.
"""

"""Who may do what through the API: the admin's rules.

Anonymous callers read published items and submit removal requests; any active staff
member reads everything; compliance officers (the "Compliance officers" group, or a
superuser: compliance.core.permissions.user_may_decide) decide: approve and reject
requests, hide and restore items, block and unblock origins, manage feeds. Withdrawing a
request needs what the admin's "Mark withdrawn" needs: permission to change requests.
"""

from rest_framework import permissions

from compliance.core.permissions import user_may_decide

CHANGE_REQUESTS = "takedowns.change_removalrequest"


def is_staff(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_staff)


class IsStaff(permissions.BasePermission):
    message = (
        "Only staff may use this endpoint. Without staff rights you may read published "
        "items and submit removal requests."
    )

    def has_permission(self, request, view):
        return is_staff(request.user)


class IsOfficer(permissions.BasePermission):
    message = "Only compliance officers may do this; other staff may read."

    def has_permission(self, request, view):
        return is_staff(request.user) and user_may_decide(request.user)


class MayWithdraw(permissions.BasePermission):
    message = (
        "Withdrawing a request needs staff rights and the permission to change removal "
        "requests (compliance officers have it)."
    )

    def has_permission(self, request, view):
        return is_staff(request.user) and request.user.has_perm(CHANGE_REQUESTS)

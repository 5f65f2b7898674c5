"""Permission shapes shared by the admin pages of every app."""


class StaffMayRead:
    """Every active staff member may read; changing still needs the model permission."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff


class ReadOnly:
    """Records made only by the application (audit events, mail, rules, reports): nobody,
    superusers included, adds, changes or deletes them in the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

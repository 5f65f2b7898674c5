"""{% staff_dashboard %}: the admin index's dashboard (compliance.takedowns.dashboard)."""

from django import template

from ..dashboard import dashboard

register = template.Library()


@register.inclusion_tag("admin/dashboard.html", takes_context=True)
def staff_dashboard(context):
    return dashboard(user=context["request"].user)

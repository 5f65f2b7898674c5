"""What the licensing app does when a lower app signals something."""

from compliance.core.queue import enqueue_on_commit


def read_new_origin(sender, *, origin, **kwargs) -> None:
    """An origin first seen has its signals read at once (after the commit that made it),
    not at the next sweep."""
    from .tasks import check_origin_licence

    enqueue_on_commit(check_origin_licence, origin.pk)

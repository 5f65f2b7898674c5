from .models import Destination


def indexnow_key_exists(key: str) -> bool:
    return Destination.objects.filter(
        kind=Destination.Kind.INDEXNOW, enabled=True, secret=key
    ).exists()

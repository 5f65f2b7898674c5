import logging
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "compliance.settings")
application = get_wsgi_application()

# gunicorn runs no system checks: say here, loudly, when SITE_URL names another address.
from compliance.core.serving import check_site_url  # noqa: E402

for warning in check_site_url():
    logging.getLogger("compliance").warning("%s (%s)", warning.msg, warning.id)

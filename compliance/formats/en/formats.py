# Dates on public pages and in mails: "4 December 2026" everywhere, with the zone for times.
DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i e"

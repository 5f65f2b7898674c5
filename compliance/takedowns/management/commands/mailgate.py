"""manage.py mailgate: the contact address's pipe. Reads one RFC 822 message on standard
input and records it (see compliance.takedowns.mailgate).

Exit status, as mail servers read it (sysexits.h): 0 recorded; 65 (EX_DATAERR) not a mail
message, kept for staff; 75 (EX_TEMPFAIL) could not record it now (the database is down,
say), kept for staff too and the mail server will deliver it again later.
"""

import logging
import shutil
import sys

from django.core.management.base import BaseCommand, CommandError

from compliance.messaging.inbound import MAX_MESSAGE_BYTES, inbox_keep, message_keep_too_large
from compliance.takedowns.mailgate import Outcome, message_receive

EX_DATAERR = 65
EX_TEMPFAIL = 75
# Where a message too large to read is looked at for its headers.
HEAD_BYTES = 256 * 1024

logger = logging.getLogger("compliance.takedowns")


class Command(BaseCommand):
    help = (
        "Read one RFC 822 message on standard input (what the mail server pipes for the "
        "contact address): a new message opens a removal request, a reply joins its thread, "
        "input that is not mail exits non-zero and is kept under var/inbox/ for staff."
    )
    # call_command("mailgate", stdin=<binary file>) in tests; standard input otherwise.
    stealth_options = ("stdin",)

    def handle(self, *args, **options):
        stream = options.get("stdin") or sys.stdin.buffer
        raw = stream.read(MAX_MESSAGE_BYTES + 1)
        if len(raw) > MAX_MESSAGE_BYTES:
            path = inbox_keep(raw, "too-large")
            with path.open("ab") as file:
                shutil.copyfileobj(stream, file)
            kept = message_keep_too_large(path, raw[:HEAD_BYTES], path.stat().st_size)
            row = f" and as message #{kept.pk}" if kept else ""
            raise CommandError(
                f"message larger than {MAX_MESSAGE_BYTES} bytes: kept as {path}{row} for staff",
                returncode=EX_DATAERR,
            )
        try:
            result = message_receive(raw=raw)
        except Exception as exc:
            path = inbox_keep(raw, "failed")
            logger.exception("mailgate could not record a message; kept as %s", path)
            raise CommandError(
                f"could not record the message ({type(exc).__name__}: {exc}); kept as {path} "
                "for staff",
                returncode=EX_TEMPFAIL,
            ) from exc

        if result.outcome == Outcome.UNPARSEABLE:
            row = f" and as message #{result.message.pk}" if result.message else ""
            raise CommandError(
                f"not a mail message (empty, unreadable, or no usable From: address): kept as "
                f"{result.kept_at}{row} for staff",
                returncode=EX_DATAERR,
            )
        if result.outcome == Outcome.OPENED:
            line = f"opened {result.removal_request.reference}"
        elif result.outcome == Outcome.JOINED:
            line = f"added to the thread of {result.removal_request.reference}"
        elif result.outcome == Outcome.BOUNCE:
            if result.removal_request:
                line = f"bounce ({result.note}): {result.removal_request.reference} flagged"
            else:
                line = f"bounce ({result.note}): recorded, it returns no request's mail"
        elif result.outcome == Outcome.AUTOMATIC:
            line = f"automatic mail ({result.note}): recorded, no request opened"
        elif result.outcome == Outcome.HELD:
            line = f"kept for staff, not acknowledged: {result.note}"
        else:
            line = "already received (same content): nothing to do"
        self.stdout.write(f"{line} (message #{result.message.pk})")

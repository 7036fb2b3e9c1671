"""Import a saved report file (`manage.py import_report`) through the normal path."""

import logging
from typing import IO

from appliances.models import Appliance
from appliances.xml import XmlParseError, XmlRefused
from sessions import importer, notes
from sessions.linking import Links, find_links
from sessions.models import SupportSession

logger = logging.getLogger(__name__)


class ReportFileError(Exception):
    """A saved report cannot be imported; nothing was written."""


def import_saved_report(appliance: Appliance, file: IO[bytes]) -> list[str]:
    """Import every session of a saved report through the normal path.

    Returns one summary line per session. Raises ReportFileError, before writing
    anything, when the file is not a usable report.
    """
    try:
        scan = importer.scan(file)
    except (XmlParseError, XmlRefused) as exc:
        raise ReportFileError(f"The file is not a readable report: {exc}") from exc
    if not scan.heads:
        error = scan.error
        text = (
            f": {' '.join(error.text.split())}" if error and error.text.strip() else ""
        )
        raise ReportFileError(f"The file holds no report{text}".rstrip(".") + ".")

    lines = []
    wanted = {}
    for head in scan.heads:
        links = find_links(head)
        if links.linked or appliance.import_external_sessions:
            wanted[head.lsid] = links
        else:
            lines.append(f"{head.lsid}: skipped, names no record ({links.note})")
    stored = importer.store(appliance, file, wanted)
    for lsid, session in stored.items():
        lines.append(f"{lsid}: {_file_import_summary(session, wanted[lsid])}")
    return lines


def _file_import_summary(session: SupportSession, links: Links) -> str:
    if not session.report_complete:
        SupportSession.objects.filter(pk=session.pk).update(incomplete=True)
        return f"{session.event_count} events, incomplete (no end time), no notes"
    written = notes.write_back(session, links.records)
    target = links.describe() or "no record"
    return (
        f"{session.event_count} events, linked to {target}, {written.written} notes "
        f"written, {written.already} already written"
    )

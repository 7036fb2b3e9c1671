"""The one place that decides what an appliance reply means.

Order matters and is fixed: the HTTP status first, then whether the root (or a
child of the expected root) is `<error>`, then its `code` attribute. The message
text is localised on the appliance, so it only decides when nothing else does.
"""

from dataclasses import dataclass

from appliances.choices import ReplyKind

AUTH_CODES = {"authentication_failed", "invalid_token", "token_expired", "unauthorized"}
PERMISSION_CODES = {"permission_denied", "insufficient_permissions", "forbidden"}
NO_DATA_CODES = {"no_data", "no_results", "not_found"}
# Last resort only, for appliances that send no code.
AUTH_WORDS = ("authenticat", "login failed", "invalid token", "token")
PERMISSION_WORDS = ("permission", "not allowed to", "access denied")


@dataclass(frozen=True)
class Verdict:
    kind: ReplyKind
    message: str = ""
    retry_after: float | None = None


def classify(
    status: int,
    root: str,
    error_code: str = "",
    error_text: str = "",
    has_error: bool = False,
    empty_list: bool = False,
) -> Verdict:
    """Return what a reply means.

    `root` is the root element's local name, `has_error` says whether an `<error>`
    was the root or a direct child of it, and `empty_list` that a list root held
    no entries.
    """
    text = " ".join(error_text.split())
    if status == 429:
        return Verdict(
            ReplyKind.RATE_LIMITED, text or "The appliance is rate limiting."
        )
    if status in (401, 403) and not has_error:
        kind = ReplyKind.AUTH_FAILED if status == 401 else ReplyKind.PERMISSION
        return Verdict(kind, text or f"HTTP {status}")
    if has_error or root == "error":
        return _classify_error(status, error_code.strip().lower(), text)
    if status >= 400:
        return Verdict(ReplyKind.ERROR, text or f"HTTP {status}")
    if empty_list:
        return Verdict(ReplyKind.NO_DATA, "The appliance returned an empty list.")
    return Verdict(ReplyKind.OK)


def _classify_error(status: int, code: str, text: str) -> Verdict:
    if status == 401 or code in AUTH_CODES:
        return Verdict(ReplyKind.AUTH_FAILED, text)
    if status == 403 or code in PERMISSION_CODES:
        return Verdict(ReplyKind.PERMISSION, text)
    if code in NO_DATA_CODES:
        return Verdict(ReplyKind.NO_DATA, text)
    if code:
        return Verdict(ReplyKind.ERROR, text)
    lowered = text.lower()
    if any(word in lowered for word in AUTH_WORDS):
        return Verdict(ReplyKind.AUTH_FAILED, text)
    if any(word in lowered for word in PERMISSION_WORDS):
        return Verdict(ReplyKind.PERMISSION, text)
    if status >= 500:
        return Verdict(ReplyKind.ERROR, text)
    # An <error> without a code on a data request is the appliance's way of
    # saying "nothing matches" (e.g. no report for this lsid yet).
    return Verdict(ReplyKind.NO_DATA, text)

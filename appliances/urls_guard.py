"""Which appliance addresses may be called, checked before and during connecting.

https is the rule. Plain http is allowed only to loopback and only when
APPLIANCE_ALLOW_HTTP_LOOPBACK is on (the bundled simulator). Link-local and cloud
metadata addresses are refused always, and the check runs again on the address the
socket actually connected to, so a DNS answer that changes between the check and
the call (rebinding) cannot slip through.
"""

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings

METADATA_ADDRESSES = {
    ipaddress.ip_address("169.254.169.254"),
    ipaddress.ip_address("fd00:ec2::254"),
    ipaddress.ip_address("100.100.100.200"),
}


class ApplianceUrlError(ValueError):
    """The appliance address is not one the product will call."""


def base_url_for(hostname: str) -> str:
    """Return `https://host[:port]` (or allowed `http://`) for an appliance hostname."""
    raw = hostname.strip()
    if not raw:
        raise ApplianceUrlError(
            "Enter the appliance's host name, e.g. support.example.com."
        )

    parts = urlsplit(raw if "://" in raw else f"https://{raw}")
    if parts.scheme not in {"https", "http"} or not parts.hostname:
        raise ApplianceUrlError(f"{hostname!r} is not a host name or https URL.")
    if parts.path not in {"", "/"} or parts.query or parts.username:
        raise ApplianceUrlError(
            "Give only the host name (and port), without a path, query or credentials."
        )
    if parts.scheme == "http" and not _http_allowed(parts.hostname):
        raise ApplianceUrlError(
            "Plain http is allowed only to a loopback address with "
            "APPLIANCE_ALLOW_HTTP_LOOPBACK on; use https for a real appliance."
        )
    _refuse_literal(parts.hostname)
    port = f":{parts.port}" if parts.port else ""
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}{port}"


def _http_allowed(host: str) -> bool:
    if not settings.INTEGRATION["ALLOW_HTTP_LOOPBACK"]:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _refuse_literal(host: str) -> None:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return
    check_peer_address(str(address), scheme="https")


def check_peer_address(address: str, scheme: str) -> None:
    """Raise unless the product may talk to `address` over `scheme`."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if (
        ip in METADATA_ADDRESSES
        or ip.is_link_local
        or ip.is_unspecified
        or ip.is_multicast
    ):
        raise ApplianceUrlError(
            f"The appliance address resolves to {ip}, a link-local or metadata "
            "address; refusing to connect."
        )
    if scheme == "http" and not (
        ip.is_loopback and settings.INTEGRATION["ALLOW_HTTP_LOOPBACK"]
    ):
        raise ApplianceUrlError(
            f"Plain http reached {ip}, which is not loopback; use https."
        )

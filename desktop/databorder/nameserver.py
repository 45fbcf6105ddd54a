"""Which DNS server to ask, and how long and how widely to ask it: the resolver's settings, without DNS itself.

Kept apart from :mod:`databorder.resolve` so that the options and the desktop app can read them at start-up
without importing dnspython (a tenth of a second), which only an assessment needs.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from databorder.errors import DataBorderError

DEFAULT_TIMEOUT = 3.0
DEFAULT_CONCURRENCY = 100


@dataclass(frozen=True)
class Nameserver:
    """A DNS server to ask, as ``IP`` or ``IP:PORT`` (``[IPv6]:PORT``)."""

    address: str
    port: int = 53

    @classmethod
    def parse(cls, text: str) -> Nameserver:
        """Parse ``IP[:PORT]``; raises :class:`DataBorderError` with a sentence if it is not one."""
        s = text.strip()
        address, port_text = s, ""
        if s.startswith("["):
            address, _, rest = s[1:].partition("]")
            port_text = rest[1:] if rest.startswith(":") else rest
        elif s.count(":") == 1:
            address, _, port_text = s.partition(":")
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            raise DataBorderError(f"nameserver {text!r} is not an IP address (write IP or IP:PORT)") from None
        port = 53
        if port_text:
            if not port_text.isdigit() or not 0 < int(port_text) < 65536:
                raise DataBorderError(f"nameserver {text!r} has an invalid port {port_text!r}")
            port = int(port_text)
        return cls(address=str(ip), port=port)

    def __str__(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return host if self.port == 53 else f"{host}:{self.port}"

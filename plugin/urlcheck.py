"""Which URLs notification targets may call.

plexbooks runs inside the home network, so a target URL is a way to make it call anything
there. Only http and https are allowed, and only hosts the admin vouched for: Plex's own
host, or a name, address or network in ``notification_allowed_hosts``. A name counts by
the addresses it resolves to — all of them must be allowed — so a DNS name cannot point
somewhere else; the check runs again before every delivery, and redirects are never followed.
"""
from __future__ import annotations

import ipaddress
import socket
from typing import Iterable
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class UrlRefused(ValueError):
    """The URL may not be called; the message says why (without the URL's credentials)."""


def resolve(host: str) -> set[IPAddress]:
    """Every address a host name or literal stands for (empty when it does not resolve)."""
    try:
        return {ipaddress.ip_address(host.strip("[]"))}
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError):
        return set()
    out: set[IPAddress] = set()
    for info in infos:
        try:
            out.add(ipaddress.ip_address(str(info[4][0]).split("%")[0]))
        except ValueError:
            continue
    return out


def allowed_networks(plex_url: str | None, allowed_hosts: Iterable[str]) -> list[IPNetwork]:
    networks: list[IPNetwork] = []
    hosts = list(allowed_hosts)
    if plex_url:
        plex_host = urlsplit(plex_url).hostname
        if plex_host:
            hosts.append(plex_host)
    for entry in hosts:
        entry = entry.strip()
        if not entry:
            continue
        if "/" in entry:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                continue
            continue
        networks.extend(ipaddress.ip_network(address) for address in resolve(entry))
    return networks


def check_http_url(url: str, plex_url: str | None, allowed_hosts: Iterable[str]) -> str:
    """The URL when it may be called, else UrlRefused."""
    if len(url) > 2048:
        raise UrlRefused("at most 2048 characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UrlRefused("not a valid URL") from None
    if parts.scheme not in ("http", "https"):
        raise UrlRefused("only http:// and https:// URLs are allowed")
    if not parts.hostname:
        raise UrlRefused("the URL has no host")
    del port
    check_host(parts.hostname, plex_url, allowed_hosts)
    return url


def check_host(host: str, plex_url: str | None, allowed_hosts: Iterable[str]) -> None:
    addresses = resolve(host)
    if not addresses:
        raise UrlRefused(f"the host {host} does not resolve")
    networks = allowed_networks(plex_url, allowed_hosts)
    refused = sorted(str(a) for a in addresses if not any(a in n for n in networks))
    if refused:
        raise UrlRefused(f"the host {host} ({', '.join(refused)}) is neither Plex's host nor in "
                         "notification_allowed_hosts")

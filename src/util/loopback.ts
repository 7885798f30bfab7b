// Which names and addresses only this machine can reach: one rule for the listen address a config
// may leave open to anonymous users and for the per-request check of the socket and the Host header.

import { isIP } from 'node:net';

/** A host as a URL authority may hold it: a name, an IPv4 address or a bracketed IPv6 one, with an optional port. */
const HOST_SYNTAX = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d+)?$/;

/**
 * True for `localhost` (and names under `.localhost`), 127.0.0.0/8 and ::1, in any form an address can
 * take (`127.1`, `0x7f.0.0.1`, `[0::1]`, `::ffff:127.0.0.1`), with or without brackets or a port.
 */
export function isLoopback(hostOrAddress: string): boolean {
  let host = hostOrAddress.trim();
  // A bare IPv6 address (a socket address, a listen setting) gets the brackets a URL needs.
  if (!host.startsWith('[') && host.indexOf(':') !== host.lastIndexOf(':')) host = `[${host}]`;
  if (!HOST_SYNTAX.test(host)) return false;
  let name: string;
  try {
    // The URL parser canonicalises the forms an address can take.
    name = new URL(`http://${host}`).hostname.replace(/\.$/, '').toLowerCase();
  } catch {
    return false;
  }
  if (name === 'localhost' || name.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(name)) return true;
  return name === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(name);
}

/** The local address of a socket: loopback, and never a name. Unknown (a closed socket) is not loopback. */
export function isLoopbackAddress(address: string | undefined): boolean {
  return address !== undefined && isIP(address) !== 0 && isLoopback(address);
}

/**
 * True when a Host header names this machine by a loopback name or address (or is absent, which no
 * browser does). A web page can point a name of its own at 127.0.0.1 (DNS rebinding) and then reach a
 * loopback server from the user's browser as its own origin; the Host it sends is still its own name.
 */
export function isLoopbackHost(host: string | undefined): boolean {
  return host === undefined || isLoopback(host);
}

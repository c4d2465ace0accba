/**
 * The name a per-client limit counts under. An IPv4 address is itself (also when a dual-stack
 * socket reports it as `::ffff:192.0.2.1`); an IPv6 address counts as its /64, the smallest
 * block a subscriber is given (RFC 6177), so that one host cannot multiply its allowance by
 * rotating through the addresses of its own network.
 */

const V4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** 'x.x.x.x' → its two 16-bit groups in hex; null when not a dotted quad. */
function v4Groups(dotted: string): [string, string] | null {
  const b = dotted.split('.').map(Number);
  if (b.length !== 4 || b.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) return null;
  return [((b[0]! << 8) | b[1]!).toString(16), ((b[2]! << 8) | b[3]!).toString(16)];
}

/** The eight groups of an IPv6 address, or null when it is not one. */
function v6Groups(address: string): number[] | null {
  let text = address.toLowerCase();
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    const tail = v4Groups(text.slice(lastColon + 1));
    if (!tail) return null;
    text = `${text.slice(0, lastColon + 1)}${tail.join(':')}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const part = (s: string | undefined): string[] => (s ? s.split(':') : []);
  const head = part(halves[0]);
  const tail = part(halves[1]);
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<string>(halves.length === 1 ? 0 : missing).fill('0'), ...tail];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
  return groups.map((g) => parseInt(g, 16));
}

/** `203.0.113.7` → `203.0.113.7`; `::ffff:203.0.113.7` → `203.0.113.7`; `2001:db8:1:2:a:b:c:d` → `2001:db8:1:2::/64`. */
export function clientKey(address: string): string {
  const bare = address.trim().replace(/%.*$/, ''); // an IPv6 zone (fe80::1%eth0) names the interface, not the client
  const mapped = V4_MAPPED.exec(bare);
  if (mapped) return mapped[1]!;
  if (!bare.includes(':')) return bare;
  const groups = v6Groups(bare);
  if (!groups) return bare.toLowerCase();
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}

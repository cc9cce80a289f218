/**
 * Envoy's virtual host selection (RouteMatcher::findVirtualHost): the `:authority` lower-cased
 * (its port dropped when the route configuration says `ignore_port_in_host_matching`), then an
 * exact domain, else the longest suffix wildcard (`*.foo.com`, `*-bar.foo.com`), else the longest
 * prefix wildcard (`foo.*`), else `*`. A wildcard must cover at least one character.
 */
import type { EnvoyRouteConfiguration, EnvoyVirtualHost } from "./route-config-types.js";

/** The authority without a trailing port (IPv6 literals in brackets kept). */
export function stripPort(authority: string): string {
  const colon = authority.lastIndexOf(":");
  const bracket = authority.lastIndexOf("]");
  if (colon < 0 || bracket > colon) return authority;
  return /^\d+$/.test(authority.slice(colon + 1)) ? authority.slice(0, colon) : authority;
}

/** The virtual host a request for `authority` is routed by, or undefined (404 NR). */
export function findVirtualHost(
  config: EnvoyRouteConfiguration,
  authority: string,
): EnvoyVirtualHost | undefined {
  const raw = authority.toLowerCase();
  const host = config.ignore_port_in_host_matching === true ? stripPort(raw) : raw;
  let suffix: { vh: EnvoyVirtualHost; len: number } | undefined;
  let prefix: { vh: EnvoyVirtualHost; len: number } | undefined;
  let fallback: EnvoyVirtualHost | undefined;
  for (const vh of config.virtual_hosts ?? []) {
    for (const d of vh.domains.map((x) => x.toLowerCase())) {
      if (d === "*") {
        fallback ??= vh;
      } else if (d.startsWith("*")) {
        const s = d.slice(1);
        if (host.length > s.length && host.endsWith(s) && (suffix === undefined || s.length > suffix.len))
          suffix = { vh, len: s.length };
      } else if (d.endsWith("*")) {
        const p = d.slice(0, -1);
        if (host.length > p.length && host.startsWith(p) && (prefix === undefined || p.length > prefix.len))
          prefix = { vh, len: p.length };
      } else if (d === host) {
        return vh;
      }
    }
  }
  return suffix?.vh ?? prefix?.vh ?? fallback;
}

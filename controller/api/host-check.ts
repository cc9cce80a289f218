/**
 * The Host check (ADR 0088): reads need no token, so a page on another site could read the
 * status by DNS rebinding (its own name, re-resolved to 127.0.0.1, in the browser's Host
 * header). The API answers only to the names it is known by; any port is fine.
 */
import type { NextFunction, Request, Response } from "express";
import { echoQuoted } from "./echo.js";

/** The names the API answers to when none are configured: loopback only. */
export const DEFAULT_ALLOWED_HOSTS: readonly string[] = ["localhost", "127.0.0.1", "[::1]"];

/**
 * The host name of a Host header (or of a configured entry), lower-case and without its port;
 * an IPv6 address keeps its brackets. Undefined when it is not `name[:port]` or `[v6][:port]`.
 */
export function hostNameOf(header: string): string | undefined {
  const value = header.trim().toLowerCase();
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]\s/@]+)(?::(\d{1,5}))?$/.exec(value);
  if (match?.[1] === undefined) return undefined;
  return match[1];
}

/** The host name of a configured entry (a bare IPv6 address is put in brackets), as {@link hostNameOf}. */
export function allowedHostName(entry: string): string | undefined {
  const value = entry.trim();
  return hostNameOf(value.includes(":") && !value.startsWith("[") ? `[${value}]` : value);
}

/** Express middleware: 421 with a message unless the request's Host is one of `allowed`. */
export function requireAllowedHost(
  allowed: readonly string[],
): (req: Request, res: Response, next: NextFunction) => void {
  const names = new Set(
    allowed.map((entry) => {
      const name = allowedHostName(entry);
      if (name === undefined)
        throw new Error(`allowed host ${echoQuoted(entry)} is not a host name or address`);
      return name;
    }),
  );
  const listed = [...names].join(", ");
  return (req, res, next) => {
    const header = req.headers.host;
    const name = header === undefined ? undefined : hostNameOf(header);
    if (name !== undefined && names.has(name)) {
      next();
      return;
    }
    const got = header === undefined ? "no Host header" : `Host ${echoQuoted(header)}`;
    res.status(421).json({
      error: `this API answers only to ${listed} (any port), not to ${got}: a page of another site must not read it. Use one of those names, or add this one to the API's allowed hosts`,
    });
  };
}

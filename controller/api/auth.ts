/**
 * Bearer-token check for mutating API calls. The comparison takes constant time, and the
 * token never appears in logs or error messages.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { NextFunction, Request, Response } from "express";

const digest = (s: string): Buffer => createHash("sha256").update(s).digest();

/** Express middleware: 401 unless `Authorization: Bearer <token>` matches. */
export function requireBearer(token: string): (req: Request, res: Response, next: NextFunction) => void {
  if (token.length < 16) throw new Error("the API token must be at least 16 characters long");
  const expected = digest(token);
  return (req, res, next) => {
    const header = req.get("authorization") ?? "";
    const match = /^Bearer (.+)$/i.exec(header);
    if (match?.[1] !== undefined && timingSafeEqual(digest(match[1]), expected)) {
      next();
      return;
    }
    res
      .status(401)
      .set("WWW-Authenticate", 'Bearer realm="tranquil"')
      .json({ error: "missing or wrong bearer token: pass --token or set TRANQUIL_TOKEN" });
  };
}

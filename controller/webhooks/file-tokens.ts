/**
 * The local mesh's bearer tokens for webhook gates: a directory laid out as Kubernetes mounts a
 * Secret, `<dir>/<secret name>/<key>` (ADR 0098). The namespace is not part of the path: the
 * local mesh has one. Trailing newlines are dropped (`echo token > file`).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { WebhookTokens } from "../ports/webhooks.js";

/** The environment variable naming the local controller's secrets directory. */
export const SECRETS_DIR_ENV = "TRANQUIL_SECRETS_DIR";

/** Tokens read from files under one directory. */
export class FileTokens implements WebhookTokens {
  constructor(private readonly dir: string) {}

  async token(_namespace: string, name: string, key: string): Promise<string> {
    // The spec's patterns keep both to one path segment (no '/', never '.' or '..').
    if (name.includes("/") || key.includes("/") || key === "." || key === "..")
      throw new Error(`"${name}/${key}" is not a secret file name`);
    const path = join(this.dir, name, key);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (err) {
      const code = (err as { code?: string }).code;
      throw new Error(
        code === "ENOENT" ? `${path} does not exist` : `cannot read ${path}: ${code ?? String(err)}`,
        {
          cause: err,
        },
      );
    }
    const token = text.replace(/[\r\n]+$/, "");
    if (token === "") throw new Error(`${path} is empty`);
    return token;
  }
}

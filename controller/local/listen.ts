/**
 * Starts an HTTP app on a host and port, rejecting with the real cause when it cannot: express
 * 5 hands a listen error to the listen callback (not to an "error" listener), so a callback
 * that ignores its argument would resolve with a server that has no address.
 */
import type { Server } from "node:http";

/** An app that can listen as express 5's does: the callback receives the listen error. */
export interface Listenable {
  listen(port: number, host: string, callback: (err?: Error) => void): Server;
}

/** Thrown when the API cannot listen; the message starts with the code and the address. */
export class ListenError extends Error {
  constructor(
    readonly code: string,
    readonly address: string,
    options: ErrorOptions,
  ) {
    super(`${code} ${address}: ${advice(code)}`, options);
    this.name = "ListenError";
  }
}

function advice(code: string): string {
  switch (code) {
    case "EADDRINUSE":
      return "the controller API's port is in use; stop what uses it, or choose another port (--api-port)";
    case "EACCES":
      return "this user may not listen on that port; choose a port above 1023 (--api-port)";
    case "EADDRNOTAVAIL":
      return "that address is not one of this machine's";
    default:
      return "the controller API cannot listen there";
  }
}

/** Listens on `host:port`; resolves once listening, rejects with a {@link ListenError}. */
export function listenOn(app: Listenable, port: number, host: string): Promise<Server> {
  return new Promise<Server>((resolve, reject) => {
    const server = app.listen(port, host, (err?: Error) => {
      if (err === undefined) {
        resolve(server);
        return;
      }
      const code = (err as NodeJS.ErrnoException).code ?? "ELISTEN";
      reject(new ListenError(code, `${host}:${port}`, { cause: err }));
    });
  });
}

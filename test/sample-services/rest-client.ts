import { SEED_STAFF } from "../../sample-services/store/seed.js";

/** A JSON response from logistics-api. */
export interface JsonResponse {
  readonly status: number;
  readonly headers: Headers;
  // Tests read arbitrary fields of the JSON bodies.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
}

/** A tiny REST client for logistics-api in tests. */
export class RestClient {
  constructor(readonly baseUrl: string) {}

  /** Sends a request; `body` may be a raw string to test malformed JSON. */
  async send(
    method: string,
    path: string,
    opts: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
  ): Promise<JsonResponse> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.body !== undefined) headers["content-type"] = "application/json";
    if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
    const res = await fetch(this.baseUrl + path, {
      method,
      headers,
      ...(opts.body !== undefined
        ? { body: typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body) }
        : {}),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text === "" ? undefined : JSON.parse(text) };
  }

  /** Registers a user (if new) and logs in; returns the token. */
  async user(phone: string, name = "User"): Promise<string> {
    const password = `pw-${phone}`;
    const reg = await this.send("POST", "/users", { body: { phone, name, password } });
    if (reg.status !== 201 && reg.status !== 409)
      throw new Error(`register ${phone}: ${reg.status} ${JSON.stringify(reg.body)}`);
    return this.login(phone, password);
  }

  /** Logs in; returns the token. */
  async login(phone: string, password: string): Promise<string> {
    const res = await this.send("POST", "/sessions", { body: { phone, password } });
    if (res.status !== 201) throw new Error(`login ${phone}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.token as string;
  }

  /** Logs the seeded staff member in. */
  staff(): Promise<string> {
    return this.login(SEED_STAFF.phone, SEED_STAFF.password);
  }

  /** A valid order body from `st-north` to `st-south`. */
  static orderBody(
    receiverPhone: string,
    goods: unknown = [{ itemId: "item-tea", quantity: 2 }],
  ): Record<string, unknown> {
    return {
      receiver: { phone: receiverPhone, name: "Receiver" },
      goods,
      fromStationId: "st-north",
      toStationId: "st-south",
    };
  }
}

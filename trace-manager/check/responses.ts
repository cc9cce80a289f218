import type { CheckResponse } from "../proto/types.js";

/** OK with nothing to change. The TraceManager never denies. */
export const OK_PLAIN: CheckResponse = Object.freeze({ status: { code: 0 }, ok_response: {} });

/** OK that sets the enrolment header, replacing whatever the client sent. */
export function okSettingHeader(name: string, value: string): CheckResponse {
  return {
    status: { code: 0 },
    ok_response: { headers: [{ header: { key: name, value }, append_action: "OVERWRITE_IF_EXISTS_OR_ADD" }] },
  };
}

/** OK that removes a client-sent header. */
export function okRemovingHeader(name: string): CheckResponse {
  return { status: { code: 0 }, ok_response: { headers_to_remove: [name] } };
}

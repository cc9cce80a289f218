/**
 * What of a RouteConfiguration the local proxies do not act on, field by field, so that a
 * resource using it is reported rather than silently routed differently from Envoy:
 * - `unsupported`: changes where a request goes or what the upstream sees (an unknown field,
 *   `cluster_header`, `regex_rewrite`, per-filter config, header formatters, mirrors…);
 * - `not-reproduced`: an Envoy behaviour with no effect on the route chosen that the local
 *   proxies do not model (gRPC timeout headers, hash policies, attempt-count headers, retry host
 *   predicates);
 * - `cosmetic`: no effect on the request (names, metadata, tracing decorators, load-time checks).
 */
import type { EnvoyRouteConfiguration } from "./route-config-types.js";

/** One field the local proxies do not act on. */
export interface UnsupportedField {
  /** JSON path, e.g. `virtual_hosts[0].routes[2].route.hash_policy`. */
  readonly path: string;
  readonly kind: "unsupported" | "not-reproduced" | "cosmetic";
}

type Kind = UnsupportedField["kind"] | "handled";
interface Shape {
  readonly fields: Readonly<Record<string, Kind | Shape | { readonly each: Shape }>>;
}

const HEADERS = {
  request_headers_to_add: "handled",
  request_headers_to_remove: "handled",
  response_headers_to_add: "handled",
  response_headers_to_remove: "handled",
} as const;
const REGEX: Shape = { fields: { regex: "handled", google_re2: "cosmetic" } };
const STRING: Shape = {
  fields: {
    exact: "handled",
    prefix: "handled",
    suffix: "handled",
    contains: "handled",
    ignore_case: "handled",
    safe_regex: REGEX,
  },
};
const RETRY: Shape = {
  fields: {
    retry_on: "handled",
    num_retries: "handled",
    per_try_timeout: "handled",
    retriable_status_codes: "handled",
    retry_host_predicate: "not-reproduced",
    host_selection_retry_max_attempts: "not-reproduced",
    retry_back_off: "not-reproduced",
  },
};
const MATCH: Shape = {
  fields: {
    prefix: "handled",
    path: "handled",
    path_separated_prefix: "handled",
    safe_regex: REGEX,
    case_sensitive: "handled",
    runtime_fraction: {
      fields: {
        default_value: { fields: { numerator: "handled", denominator: "handled" } },
        runtime_key: "cosmetic",
      },
    },
    headers: {
      each: {
        fields: {
          name: "handled",
          exact_match: "handled",
          safe_regex_match: REGEX,
          range_match: { fields: { start: "handled", end: "handled" } },
          present_match: "handled",
          prefix_match: "handled",
          suffix_match: "handled",
          contains_match: "handled",
          string_match: STRING,
          invert_match: "handled",
          treat_missing_header_as_empty: "handled",
        },
      },
    },
    query_parameters: {
      each: { fields: { name: "handled", string_match: STRING, present_match: "handled" } },
    },
    grpc: "handled",
  },
};
const CLUSTER_WEIGHT: Shape = { fields: { name: "handled", weight: "handled", ...HEADERS } };
const ROUTE: Shape = {
  fields: {
    name: "cosmetic",
    match: MATCH,
    route: {
      fields: {
        cluster: "handled",
        weighted_clusters: { fields: { clusters: { each: CLUSTER_WEIGHT }, total_weight: "handled" } },
        timeout: "handled",
        retry_policy: RETRY,
        prefix_rewrite: "handled",
        host_rewrite_literal: "handled",
        max_grpc_timeout: "not-reproduced",
        grpc_timeout_header_max: "not-reproduced",
        hash_policy: "not-reproduced",
        idle_timeout: "not-reproduced",
        max_stream_duration: "not-reproduced",
        upgrade_configs: "not-reproduced",
      },
    },
    redirect: {
      fields: {
        scheme_redirect: "handled",
        https_redirect: "handled",
        host_redirect: "handled",
        port_redirect: "handled",
        path_redirect: "handled",
        prefix_rewrite: "handled",
        response_code: "handled",
        strip_query: "handled",
      },
    },
    direct_response: { fields: { status: "handled", body: { fields: { inline_string: "handled" } } } },
    metadata: "cosmetic",
    decorator: "cosmetic",
    ...HEADERS,
  },
};
const VIRTUAL_HOST: Shape = {
  fields: {
    name: "handled",
    domains: "handled",
    routes: { each: ROUTE },
    retry_policy: RETRY,
    include_request_attempt_count: "not-reproduced",
    include_attempt_count_in_response: "not-reproduced",
    metadata: "cosmetic",
    ...HEADERS,
  },
};
const ROUTE_CONFIGURATION: Shape = {
  fields: {
    "@type": "cosmetic",
    name: "handled",
    virtual_hosts: { each: VIRTUAL_HOST },
    ignore_port_in_host_matching: "handled",
    most_specific_header_mutations_wins: "handled",
    validate_clusters: "cosmetic",
    max_direct_response_body_size_bytes: "cosmetic",
    ...HEADERS,
  },
};

function isShape(x: unknown): x is Shape {
  return typeof x === "object" && x !== null && "fields" in x;
}

function walk(value: unknown, shape: Shape, path: string, out: UnsupportedField[]): void {
  if (typeof value !== "object" || value === null) return;
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const at = path === "" ? key : `${path}.${key}`;
    const rule = shape.fields[key];
    if (rule === undefined) out.push({ path: at, kind: "unsupported" });
    else if (typeof rule === "string") {
      if (rule !== "handled") out.push({ path: at, kind: rule });
    } else if (isShape(rule)) walk(v, rule, at, out);
    else if (Array.isArray(v)) v.forEach((item, i) => walk(item, rule.each, `${at}[${i}]`, out));
  }
}

function formatterUses(config: EnvoyRouteConfiguration, out: UnsupportedField[]): void {
  const scan = (node: unknown, path: string): void => {
    if (Array.isArray(node)) node.forEach((n, i) => scan(n, `${path}[${i}]`));
    else if (typeof node === "object" && node !== null) {
      for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
        const at = path === "" ? k : `${path}.${k}`;
        if (k === "header" && typeof v === "object" && v !== null) {
          const value = (v as { value?: unknown }).value;
          if (typeof value === "string" && /%[A-Z_]+(\(|%)/.test(value))
            out.push({ path: `${at}.value`, kind: "unsupported" });
        } else scan(v, at);
      }
    }
  };
  scan(config, "");
}

/** Every field of `config` the local proxies do not act on (empty when they route it as Envoy would). */
export function unsupportedRouteFields(config: EnvoyRouteConfiguration): UnsupportedField[] {
  const out: UnsupportedField[] = [];
  walk(config, ROUTE_CONFIGURATION, "", out);
  formatterUses(config, out);
  return out;
}

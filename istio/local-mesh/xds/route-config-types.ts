/**
 * Envoy's `envoy.config.route.v3.RouteConfiguration` in the JSON form Envoy prints at
 * `/config_dump` (proto field names, well-known types as JSON: durations `"5s"`, 64-bit integers
 * as strings or numbers, wrappers as plain values). Only the fields the local proxies act on
 * are typed; everything else is kept as `unknown` and reported by `unsupportedRouteFields`.
 * The ADS client hands the proxies resources in this form, so what `/config_dump` shows is what
 * they route by.
 */

/** `envoy.type.matcher.v3.RegexMatcher` (RE2 only; `google_re2` is the sole engine). */
export interface EnvoyRegexMatcher {
  readonly regex: string;
  readonly google_re2?: Record<string, unknown>;
}

/** `envoy.type.matcher.v3.StringMatcher`. */
export interface EnvoyStringMatcher {
  readonly exact?: string;
  readonly prefix?: string;
  readonly suffix?: string;
  readonly contains?: string;
  readonly safe_regex?: EnvoyRegexMatcher;
  readonly ignore_case?: boolean;
}

/** `envoy.type.v3.Int64Range`: `[start, end)`. */
export interface EnvoyInt64Range {
  readonly start: string | number;
  readonly end: string | number;
}

/** `envoy.config.route.v3.HeaderMatcher`. */
export interface EnvoyHeaderMatcher {
  readonly name: string;
  readonly exact_match?: string;
  readonly safe_regex_match?: EnvoyRegexMatcher;
  readonly range_match?: EnvoyInt64Range;
  readonly present_match?: boolean;
  readonly prefix_match?: string;
  readonly suffix_match?: string;
  readonly contains_match?: string;
  readonly string_match?: EnvoyStringMatcher;
  readonly invert_match?: boolean;
  readonly treat_missing_header_as_empty?: boolean;
}

/** `envoy.config.route.v3.QueryParameterMatcher`. */
export interface EnvoyQueryParameterMatcher {
  readonly name: string;
  readonly string_match?: EnvoyStringMatcher;
  readonly present_match?: boolean;
}

/** `envoy.type.v3.FractionalPercent`. */
export interface EnvoyFractionalPercent {
  readonly numerator?: number;
  readonly denominator?: "HUNDRED" | "TEN_THOUSAND" | "MILLION";
}

/** `envoy.config.route.v3.RouteMatch`. */
export interface EnvoyRouteMatch {
  readonly prefix?: string;
  readonly path?: string;
  readonly safe_regex?: EnvoyRegexMatcher;
  readonly path_separated_prefix?: string;
  readonly case_sensitive?: boolean;
  readonly runtime_fraction?: {
    readonly default_value?: EnvoyFractionalPercent;
    readonly runtime_key?: string;
  };
  readonly headers?: readonly EnvoyHeaderMatcher[];
  readonly query_parameters?: readonly EnvoyQueryParameterMatcher[];
  readonly grpc?: Record<string, never>;
  readonly [other: string]: unknown;
}

/** `envoy.config.core.v3.HeaderValueOption`. */
export interface EnvoyHeaderValueOption {
  readonly header: { readonly key: string; readonly value?: string };
  /** Deprecated in favour of `append_action`; default true. */
  readonly append?: boolean;
  readonly append_action?:
    "APPEND_IF_EXISTS_OR_ADD" | "ADD_IF_ABSENT" | "OVERWRITE_IF_EXISTS_OR_ADD" | "OVERWRITE_IF_EXISTS";
  readonly keep_empty_value?: boolean;
}

/** The header fields every level (route configuration, virtual host, route, weighted cluster) may carry. */
export interface EnvoyHeaderMutations {
  readonly request_headers_to_add?: readonly EnvoyHeaderValueOption[];
  readonly request_headers_to_remove?: readonly string[];
  readonly response_headers_to_add?: readonly EnvoyHeaderValueOption[];
  readonly response_headers_to_remove?: readonly string[];
}

/** `envoy.config.route.v3.RetryPolicy`. */
export interface EnvoyRetryPolicy {
  readonly retry_on?: string;
  readonly num_retries?: number;
  readonly per_try_timeout?: string;
  readonly retriable_status_codes?: readonly number[];
  readonly retry_host_predicate?: readonly unknown[];
  readonly host_selection_retry_max_attempts?: string | number;
  readonly [other: string]: unknown;
}

/** `envoy.config.route.v3.WeightedCluster.ClusterWeight`. */
export interface EnvoyClusterWeight extends EnvoyHeaderMutations {
  readonly name: string;
  readonly weight?: number;
  readonly [other: string]: unknown;
}

/** `envoy.config.route.v3.RouteAction`. */
export interface EnvoyRouteAction {
  readonly cluster?: string;
  readonly weighted_clusters?: {
    readonly clusters: readonly EnvoyClusterWeight[];
    readonly total_weight?: number;
    readonly [other: string]: unknown;
  };
  readonly timeout?: string;
  readonly retry_policy?: EnvoyRetryPolicy;
  readonly prefix_rewrite?: string;
  readonly host_rewrite_literal?: string;
  readonly [other: string]: unknown;
}

/** `envoy.config.route.v3.RedirectAction`. */
export interface EnvoyRedirectAction {
  readonly scheme_redirect?: string;
  readonly https_redirect?: boolean;
  readonly host_redirect?: string;
  readonly port_redirect?: number;
  readonly path_redirect?: string;
  readonly prefix_rewrite?: string;
  readonly response_code?:
    "MOVED_PERMANENTLY" | "FOUND" | "SEE_OTHER" | "TEMPORARY_REDIRECT" | "PERMANENT_REDIRECT";
  readonly strip_query?: boolean;
}

/** `envoy.config.route.v3.Route`. */
export interface EnvoyRoute extends EnvoyHeaderMutations {
  readonly name?: string;
  readonly match: EnvoyRouteMatch;
  readonly route?: EnvoyRouteAction;
  readonly redirect?: EnvoyRedirectAction;
  readonly direct_response?: {
    readonly status: number;
    readonly body?: { readonly inline_string?: string; readonly inline_bytes?: string };
  };
  readonly [other: string]: unknown;
}

/** `envoy.config.route.v3.VirtualHost`. */
export interface EnvoyVirtualHost extends EnvoyHeaderMutations {
  readonly name: string;
  readonly domains: readonly string[];
  readonly routes?: readonly EnvoyRoute[];
  readonly retry_policy?: EnvoyRetryPolicy;
  readonly [other: string]: unknown;
}

/** `envoy.config.route.v3.RouteConfiguration`. */
export interface EnvoyRouteConfiguration extends EnvoyHeaderMutations {
  readonly name?: string;
  readonly virtual_hosts?: readonly EnvoyVirtualHost[];
  readonly ignore_port_in_host_matching?: boolean;
  readonly most_specific_header_mutations_wins?: boolean;
  readonly [other: string]: unknown;
}

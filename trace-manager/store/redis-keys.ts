/**
 * The Redis key layout. Every per-service (or per-gateway) key carries the name as a hash tag,
 * `{auth-service}`, so that the keys one script touches share a Cluster slot. Names reaching
 * here are DNS-1123 labels (checked by the store), so they contain neither `{`, `}` nor `:`.
 *
 *   <p>:{svc}:c:<bucket>          hash  call records of the bucket + `#` counters
 *   <p>:{svc}:ci                  zset  call bucket ids that exist
 *   <p>:{gw}:i:<bucket>           hash  in-flight ingress records + `#` counters
 *   <p>:{gw}:ii                   zset  ingress bucket ids that exist
 *   <p>:{tag}:x:<c|i>:<bucket>    hash  a bucket claimed by a sweeper (renamed, read, then deleted)
 *   <p>:{tag}:claims              zset  claimed buckets ("c:<bucket>" / "i:<bucket>") by claim time
 *   <p>:{tag}:st                  hash  `violations`, `expiries` totals; `ln:<upgrade>`
 *   <p>:{tag}:vl / :el            list  recent violations / expiries (JSON), newest first
 *   <p>:{svc}:o:<version>:<b>     hash  outbound stats: `n`, `ok`, `h<bin>`
 *   <p>:services, <p>:gateways    set   tags to visit for queries and sweeps
 *   <p>:upgrades, <p>:pods        hash  upgrades by id, pod reports by pod
 *   <p>:generation                string  the data set's generation (ADR 0085), never expires
 *   <p>:{tag}:gen                 string  on a Cluster, the generation of the tag's shard (ADR 0092)
 */
export class RedisKeys {
  constructor(private readonly prefix: string) {
    if (!/^[A-Za-z0-9._:-]{1,64}$/.test(prefix)) {
      throw new RangeError(
        `trace store: key prefix ${JSON.stringify(prefix)} must be 1-64 of [A-Za-z0-9._:-]`,
      );
    }
  }

  private tagged(tag: string, rest: string): string {
    return `${this.prefix}:{${tag}}:${rest}`;
  }

  /** The call bucket hash of `service` for bucket `b`. */
  callBucket(service: string, b: number): string {
    return this.tagged(service, `c:${b}`);
  }
  /** The index of `service`'s call buckets. */
  callIndex(service: string): string {
    return this.tagged(service, "ci");
  }
  /** The ingress bucket hash of `gateway` for bucket `b`. */
  ingressBucket(gateway: string, b: number): string {
    return this.tagged(gateway, `i:${b}`);
  }
  /** The index of `gateway`'s ingress buckets. */
  ingressIndex(gateway: string): string {
    return this.tagged(gateway, "ii");
  }
  /** A claimed bucket: `kind` is `c` (calls) or `i` (ingress). */
  claimed(tag: string, kind: "c" | "i", b: number): string {
    return this.tagged(tag, `x:${kind}:${b}`);
  }
  /** The buckets of a service or gateway claimed by a sweeper and not finished yet. */
  claims(tag: string): string {
    return this.tagged(tag, "claims");
  }
  /** Totals and last non-enrolled starts of a service or gateway. */
  stats(tag: string): string {
    return this.tagged(tag, "st");
  }
  /** Recent violations of a service. */
  violations(tag: string): string {
    return this.tagged(tag, "vl");
  }
  /** Recent expiries of a service or gateway. */
  expiries(tag: string): string {
    return this.tagged(tag, "el");
  }
  /** Outbound statistics of service@version for stats bucket `b`. */
  outbound(service: string, version: string, b: number): string {
    return this.tagged(service, `o:${version}:${b}`);
  }
  /** The set of services that wrote call or outbound records. */
  get services(): string {
    return `${this.prefix}:services`;
  }
  /** The set of gateways that wrote ingress records. */
  get gateways(): string {
    return `${this.prefix}:gateways`;
  }
  /** Active upgrades by id. */
  get upgrades(): string {
    return `${this.prefix}:upgrades`;
  }
  /** Pod reports by pod. */
  get pods(): string {
    return `${this.prefix}:pods`;
  }
  /** On a Cluster, the generation of the shard holding `tag`'s records: in their slot (ADR 0092). */
  tagGeneration(tag: string): string {
    return this.tagged(tag, "gen");
  }
  /** The data set's generation: written once, on first use (ADR 0085). */
  get generation(): string {
    return `${this.prefix}:generation`;
  }
}

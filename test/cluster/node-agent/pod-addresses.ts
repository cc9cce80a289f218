/**
 * Pod addresses on the local node. The API server refuses loopback pod IPs, so each pod gets
 * an address from 10.244.0.0/16 that nothing ever connects to, and this map says which
 * loopback address its proxy really listens on, as a CNI would route it. No packet is ever
 * sent to the private addresses.
 */

const FIRST = 2;
const LAST = 65_534;

/** Allocates pod IPs and maps each to a loopback address. */
export class PodAddresses {
  private readonly byIp = new Map<string, string>();
  private next = FIRST;

  /** A free pod IP, mapped to `loopback` (`127.0.0.1:<port>`). */
  allocate(loopback: string): string {
    for (let tries = 0; tries <= LAST - FIRST; tries++) {
      const n = this.next;
      this.next = n >= LAST ? FIRST : n + 1;
      const ip = `10.244.${Math.floor(n / 256)}.${n % 256}`;
      if (n % 256 === 0 || n % 256 === 255 || this.byIp.has(ip)) continue;
      this.byIp.set(ip, loopback);
      return ip;
    }
    throw new Error("the local node has no free pod IP left in 10.244.0.0/16");
  }

  /** Frees a pod IP. */
  release(ip: string): void {
    this.byIp.delete(ip);
  }

  /** The loopback address behind a pod IP, or undefined. */
  addressOf(ip: string): string | undefined {
    return this.byIp.get(ip);
  }
}

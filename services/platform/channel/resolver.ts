// Where an upstream's replicas are: a fixed list of addresses, or a DNS name
// (in Kubernetes, a headless Service) resolved to every pod IP, again and again.
import { lookup } from "node:dns/promises";

/** host:port of one replica. */
export type Address = string;

export interface Resolver {
  /** The current addresses; may reject when resolution fails (the channel keeps the last good answer). */
  resolve(): Promise<Address[]>;
  /** True when resolving again can change the answer (worth re-resolving periodically). */
  readonly dynamic: boolean;
}

/**
 * Parses a target: `host:port`, `host:port,host:port` (a static list), or
 * `dns:///name:port` (every address the name resolves to).
 */
export function resolverFor(target: string): Resolver {
  const dns = /^dns:\/\/\/(.+):(\d{1,5})$/.exec(target.trim());
  if (dns !== null) return dnsResolver(dns[1] as string, Number(dns[2]));
  const addresses = target
    .split(",")
    .map((a) => a.trim())
    .filter((a) => a !== "");
  for (const address of addresses) {
    if (!/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.\-_]+):\d{1,5}$/.test(address)) {
      throw new Error(`invalid target address "${address}": expected host:port`);
    }
  }
  if (addresses.length === 0) throw new Error("empty target");
  return staticResolver(addresses);
}

export function staticResolver(addresses: readonly Address[]): Resolver {
  return { dynamic: false, resolve: async () => [...addresses] };
}

export function dnsResolver(name: string, port: number): Resolver {
  return {
    dynamic: true,
    async resolve() {
      const records = await lookup(name, { all: true });
      const addresses = records.map((r) => (r.family === 6 ? `[${r.address}]:${port}` : `${r.address}:${port}`));
      return [...new Set(addresses)].sort();
    },
  };
}

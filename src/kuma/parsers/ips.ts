import { clip } from "../message.js";
import { isIP } from "node:net";
import { failed, parsed } from "../parse-result.js";
import type { Parsed } from "../parse-result.js";

/** An address or CIDR as Kuma reads it. */
export interface IpExclusion {
  address: string;
  family: 4 | 6;
  /** Prefix length for a CIDR. */
  prefix?: number;
}

const PREFIX = /^[0-9]{1,3}$/;

/**
 * traffic.kuma.io/exclude-inbound-ips / exclude-outbound-ips: comma list, items trimmed,
 * each an IPv4/IPv6 address or CIDR (Go net.ParseCIDR, then net.ParseIP). No hostnames,
 * no ranges, no zones, no empty items (the ConfigMap and CNI paths reject them).
 * Kuma: pkg/transparentproxy/config/utils.go::parseExcludePortsForIPs, validateIP;
 * app/cni/pkg/cni/annotations_linux.go::validateIPs.
 */
export function parseExcludeIps(value: string): Parsed<IpExclusion[]> {
  const out: IpExclusion[] = [];
  for (const raw of value.split(",")) {
    const item = raw.trim();
    if (item === "") return failed("invalid exclusion rule: the rule cannot be empty (remove the empty item)");
    const ip = parseIpOrCidr(item);
    if (!ip)
      return failed(
        `invalid IP address: '${clip(item)}'. Expected format: <ip> or <ip>/<cidr> (e.g., 10.0.0.1, 172.16.0.0/16, fe80::1, fe80::/10)`,
      );
    out.push(ip);
  }
  return parsed(out);
}

/** One address or CIDR, or undefined. Zones (`fe80::1%eth0`) are not accepted by Go. */
export function parseIpOrCidr(text: string): IpExclusion | undefined {
  const slash = text.indexOf("/");
  const address = slash < 0 ? text : text.slice(0, slash);
  if (address.includes("%")) return undefined;
  const family = isIP(address);
  if (family !== 4 && family !== 6) return undefined;
  if (slash < 0) return { address, family };
  const prefixText = text.slice(slash + 1);
  if (!PREFIX.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > (family === 4 ? 32 : 128)) return undefined;
  return { address, family, prefix };
}

import { createHash } from "node:crypto";
import { addressParser } from "postal-mime";

/** One parsed mailbox: the decoded display name (may be empty) and the address. */
export interface Mailbox {
  name: string;
  address: string;
}

const SIMPLE_ADDRESS = /^[^\s@<>()[\],;:"]+@[^\s@<>()[\],;:"]+\.[^\s@<>()[\],;:"]+$/;

/** True for a bare `local@domain.tld` address (no display name, no brackets, no spaces). */
export function isPlainAddress(value: string): boolean {
  return SIMPLE_ADDRESS.test(value);
}

/** Case-insensitive comparison form of an address. */
export function normalizeAddress(address: string): string {
  return address.trim().toLowerCase();
}

/**
 * The first mailbox in one or more address-header values (`From`, `Reply-To`). Uses postal-mime's
 * RFC 5322 parser, which handles display names, quoted strings, groups and RFC 2047 encoded words.
 * Returns undefined when no value contains a usable `local@domain` address.
 */
export function firstMailbox(headerValues: readonly string[] | undefined): Mailbox | undefined {
  for (const value of headerValues ?? []) {
    for (const parsed of addressParser(value, { flatten: true })) {
      const address = parsed.address?.trim() ?? "";
      if (isPlainAddress(address)) return { name: (parsed.name ?? "").trim(), address };
    }
  }
  return undefined;
}

/** `local` part of an address, lower-cased; a bare word (e.g. `MAILER-DAEMON`) is returned whole. */
export function localPart(address: string): string {
  const at = address.lastIndexOf("@");
  return normalizeAddress(at >= 0 ? address.slice(0, at) : address);
}

/** The domain of an address, lower-cased ("" for a bare word). */
export function domainOf(address: string): string {
  const at = address.lastIndexOf("@");
  return at >= 0 ? normalizeAddress(address.slice(at + 1)) : "";
}

/** True when the address is in `domain` or one of its subdomains (`b@mail.x.example` is within `x.example`). */
export function isWithinDomain(address: string, domain: string): boolean {
  const own = normalizeAddress(domain);
  const other = domainOf(address);
  return own !== "" && (other === own || other.endsWith(`.${own}`));
}

/**
 * True when a header value is written as an RFC 5322 group (`Team: a@x.example, b@y.example;`),
 * including an empty one (`undisclosed-recipients:;`). A quoted display name with a colon is not a group.
 */
export function isGroupSyntax(headerValues: readonly string[]): boolean {
  return headerValues.some((value) => addressParser(value).some((entry) => entry.group !== undefined));
}

/** The words of a local part: lower-cased, `+detail` dropped, split on ".", "_" and "-". */
function localPartWords(address: string): string[] {
  const local = localPart(address).split("+")[0] ?? "";
  return local.split(/[._-]+/).filter((word) => word !== "");
}

/** Mailboxes of the mail system itself, whatever the separators (`MAILER-DAEMON`, `mailer_daemon`, `postmaster+x`). */
const SYSTEM_NAMES = new Set(["mailerdaemon", "postmaster"]);

/** Names that say nobody reads replies; matched at the start of any word run (`no-reply-aws`, `billing.noreply`, `noreply2`). */
const NO_REPLY_NAMES = ["noreply", "donotreply", "noresponse", "donotrespond"];

export function isSystemAddress(address: string): boolean {
  return SYSTEM_NAMES.has(localPartWords(address).join(""));
}

/**
 * True for `no-reply@`, `noreply+x@`, `No_Reply@`, `do-not-reply@`, `donotreply@`,
 * `alerts-noreply@`, `no-reply-aws@` and the like: any run of words, joined without separators,
 * that starts with a no-reply name. Words are whole, so `casinoreply@` is not one.
 */
export function isNoReplyAddress(address: string): boolean {
  const words = localPartWords(address);
  return words.some((_, i) => {
    const run = words.slice(i).join("");
    return NO_REPLY_NAMES.some((name) => run.startsWith(name));
  });
}

/** The envelope sender without angle brackets; `<>` (the null sender) becomes "". */
export function envelopeSender(source: string): string {
  return source.trim().replace(/^<(.*)>$/, "$1").trim();
}

/**
 * A list of addresses and `@domain` entries (exact domain match, no subdomains), as used by
 * ALLOWED_REPLY_FROM and OWN_ADDRESSES.
 */
export interface AddressList {
  addresses: ReadonlySet<string>;
  domains: ReadonlySet<string>;
}

export function emptyAddressList(): AddressList {
  return { addresses: new Set(), domains: new Set() };
}

/**
 * Parses a list of `local@domain` / `@domain` entries. Returns the list, or the entries that are
 * neither (so the config loader can name them).
 */
export function parseAddressList(entries: readonly string[]): { list: AddressList; invalid: string[] } {
  const addresses = new Set<string>();
  const domains = new Set<string>();
  const invalid: string[] = [];
  for (const raw of entries) {
    const entry = normalizeAddress(raw);
    if (entry.startsWith("@") && isPlainAddress(`x${entry}`)) domains.add(entry.slice(1));
    else if (isPlainAddress(entry)) addresses.add(entry);
    else invalid.push(raw);
  }
  return { list: { addresses, domains }, invalid };
}

export function addressListMatches(list: AddressList, address: string): boolean {
  const normalized = normalizeAddress(address);
  if (list.addresses.has(normalized)) return true;
  const at = normalized.lastIndexOf("@");
  return at > 0 && list.domains.has(normalized.slice(at + 1));
}

/**
 * The key used for the per-sender rate limit: SHA-256 of the lower-cased address, so the state
 * table never holds a raw address.
 */
export function senderHash(address: string): string {
  return createHash("sha256").update(normalizeAddress(address)).digest("hex");
}

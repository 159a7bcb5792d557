/**
 * Masking for personal data that must never appear in full in INFO logs.
 * The masked forms keep just enough to correlate log lines during an incident.
 */

/** "jane.doe@example.com" -> "j***@e***.com". Anything that is not an address is masked whole. */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf("@");
  if (at <= 0 || at === address.length - 1) return "***";
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  const dot = domain.lastIndexOf(".");
  const tld = dot > 0 ? domain.slice(dot) : "";
  return `${local[0]}***@${domain[0]}***${tld}`;
}

/** "+14155550123" -> "+1*******0123": country code and the last four digits only. */
export function maskPhone(number: string): string {
  const digits = number.replace(/[^\d]/g, "");
  if (digits.length < 6) return "***";
  return `+${digits[0]}${"*".repeat(digits.length - 5)}${digits.slice(-4)}`;
}

/**
 * Destination patterns of decoder rules: an exact name, or a glob where `*` is any run of
 * characters (dots and slashes included: `orders.*` takes `orders.eu.v2`) and `?` one.
 */
export function destinationMatcher(pattern: string): (destination: string) => boolean {
  if (!/[*?]/.test(pattern)) return (d) => d === pattern;
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's');
  return (d) => re.test(d);
}

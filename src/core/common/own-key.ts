/**
 * Stores `value` under `key` as an own, enumerable property, whatever the key. Plain
 * assignment `o[key] = value` with the key `__proto__` calls Object.prototype's setter
 * instead: the value is dropped, or becomes the object's prototype. Built this way the
 * object is what JSON.parse would have made of the same text, and no key changes its
 * prototype.
 */
export function setOwn<T>(o: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  else o[key] = value;
}

/** Phone numbers as one person: 0812…, 62812…, +62812… and 812… are all +62812…. */
export function toE164(input: string, defaultCountry = '62'): string | null {
  const digits = input.replace(/[\s().-]/g, '');
  if (!/^\+?\d{6,16}$/.test(digits)) return null;
  let n: string;
  if (digits.startsWith('+')) n = digits.slice(1);
  else if (digits.startsWith('00')) n = digits.slice(2);
  else if (digits.startsWith('0')) n = defaultCountry + digits.slice(1);
  else if (digits.startsWith(defaultCountry)) n = digits;
  else if (digits.startsWith('8') && digits.length >= 9) n = defaultCountry + digits;
  else n = digits;
  return /^[1-9]\d{6,14}$/.test(n) ? `+${n}` : null;
}

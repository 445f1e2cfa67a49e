/** Parses the `X-Sdk-Date` header, UTC `YYYYMMDDTHHMMSSZ` (reference §7 step 1). */

const DAYS_IN_MONTH = Object.freeze([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]);

/** Epoch milliseconds, or undefined unless `value` is a real calendar instant in exactly that format. */
export function parseSdkDate(value: string): number | undefined {
  if (value.length !== 16 || value.charCodeAt(8) !== 0x54 || value.charCodeAt(15) !== 0x5a) return undefined;
  const year = digits(value, 0, 4);
  const month = digits(value, 4, 2);
  const day = digits(value, 6, 2);
  const hour = digits(value, 9, 2);
  const minute = digits(value, 11, 2);
  const second = digits(value, 13, 2);
  if (year < 1970 || month < 1 || month > 12 || day < 1) return undefined;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > DAYS_IN_MONTH[month - 1] + (leap ? 1 : 0)) return undefined;
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

/** Decimal value of `count` ASCII digits at `from`; -1 if any is not a digit. */
function digits(s: string, from: number, count: number): number {
  let n = 0;
  for (let i = from; i < from + count; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

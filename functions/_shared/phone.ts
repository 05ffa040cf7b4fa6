// Phone numbers to E.164 (`+` then 8 to 15 digits, no leading zero). Supabase Auth stores
// `user.phone` without the `+` ("15551234567"); people type spaces, dashes, dots, parentheses
// and the international prefix `00`. Anything else is refused rather than guessed.

const E164 = /^\+[1-9][0-9]{7,14}$/;

/** The E.164 form of `raw`, or null when it is not a full international number. */
export function toE164(raw: unknown): string | null {
  if (typeof raw !== "string" || raw.length > 32) return null;
  let s = raw.trim().replace(/[\s().-]/g, "");
  if (s.startsWith("00")) s = `+${s.slice(2)}`;
  else if (!s.startsWith("+")) s = `+${s}`;
  return E164.test(s) ? s : null;
}

/** For logs: the country code and last two digits only. */
export function maskPhone(e164: string): string {
  return `${e164.slice(0, 3)}…${e164.slice(-2)}`;
}

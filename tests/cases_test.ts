// Every case of ../shared/cases/jwt-cases.json through the built WASM, with each case's
// options and clock. A case marked reject must never be accepted, and accept must be accepted.
import assert from "node:assert/strict";
import { verifyToken } from "../mod.ts";
import { sharedPath } from "./helpers.ts";

interface Case {
  id: string;
  kind: string;
  token: string;
  key: { type: "hs-secret" | "jwk" | "jwks"; value: unknown };
  options: {
    algorithms: string[];
    issuer?: string;
    audience?: string;
    leeway_s?: number;
    now: number;
  };
  expected: "accept" | "reject";
  expected_reason: string;
}

const cases: Case[] = JSON.parse(Deno.readTextFileSync(sharedPath("cases/jwt-cases.json")));

async function verdict(c: Case): Promise<{ accepted: boolean; code: string }> {
  try {
    await verifyToken(c.token, {
      jwtSecret: c.key.type === "hs-secret" ? c.key.value as string : undefined,
      jwks: c.key.type === "hs-secret" ? undefined : JSON.stringify(c.key.value),
      algorithms: c.options.algorithms,
      issuer: c.options.issuer ?? [],
      audience: c.options.audience ?? null,
      leewaySeconds: c.options.leeway_s ?? 0,
      now: () => c.options.now,
    });
    return { accepted: true, code: "ok" };
  } catch (e) {
    const code = (e as { code?: string }).code;
    assert.ok(typeof code === "string", `${c.id}: threw a non-AuthError: ${e}`);
    return { accepted: false, code };
  }
}

Deno.test(`jwt-cases.json: all ${cases.length} cases give their expected verdict`, async () => {
  const failures: string[] = [];
  const otherCodes: string[] = [];
  for (const c of cases) {
    const v = await verdict(c);
    if (v.accepted !== (c.expected === "accept")) {
      failures.push(`${c.id} (${c.kind}): expected ${c.expected}, got ${v.code}`);
    }
    if (v.code !== c.expected_reason) otherCodes.push(`${c.id}: ${v.code} (${c.expected_reason})`);
  }
  console.log(
    `jwt cases: ${cases.length - failures.length}/${cases.length} verdicts right, ` +
      `${cases.length - otherCodes.length} with the listed reason code; others:\n  ` +
      otherCodes.join("\n  "),
  );
  assert.deepEqual(failures, []);
});

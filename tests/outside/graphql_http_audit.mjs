// The GraphQL-over-HTTP audit of graphql-http against a live server.
// Usage: node tests/outside/graphql_http_audit.mjs http://127.0.0.1:PORT/graphql
// Prints one JSON line per audit that did not pass; exits 1 on any MUST failure ("error") or
// SHOULD warning ("warn"). Notices (MAY) are printed but do not fail.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: graphql_http_audit.mjs URL');
  process.exit(2);
}
const results = await auditServer({ url });
let failed = 0;
for (const result of results) {
  if (result.status === 'ok') continue;
  const { status, id, name } = result;
  console.log(JSON.stringify({ status, id, name: String(name), reason: result.reason }));
  if (status === 'error' || status === 'warn') failed += 1;
}
const count = (status) => results.filter((r) => r.status === status).length;
console.log(
  JSON.stringify({ total: results.length, ok: count('ok'), notice: count('notice'), warn: count('warn'), error: count('error') }),
);
process.exit(failed ? 1 : 0);

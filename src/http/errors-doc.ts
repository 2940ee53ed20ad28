/** Renders docs/errors.md from the mapping tables (kept in sync by errors-doc.test.ts). */
import { HTTP_PROBLEMS, PROBLEMS, type ProblemEntry } from './plugins/problem.js'

function rows(table: Readonly<Record<string, ProblemEntry>>): string {
  return Object.entries(table)
    .map(([code, e]) => `| \`${code}\` | ${e.status} | ${e.title} | ${e.meaning.replace(/\|/g, '\\|')} |`)
    .join('\n')
}

export function renderErrorsDoc(): string {
  return `# Errors

<!-- Generated from src/http/plugins/problem.ts (PROBLEMS, HTTP_PROBLEMS).
     Regenerate with: ENTENTE_UPDATE_DOCS=1 npx vitest run --project unit src/http/errors-doc.test.ts -->

Every failure has a stable snake_case **code**. Codes never change meaning; new ones may be added.
The same code appears in three places:

- **REST (\`/api/…\`) and every other non-TAXII route**: an RFC 9457 problem,
  \`Content-Type: application/problem+json\`:

  \`\`\`json
  { "type": "urn:entente:problem:validation_failed", "title": "Request is not valid", "status": 400,
    "detail": "2 problems in the request", "instance": "/api/v1/users",
    "code": "validation_failed", "requestId": "4b0c7c51-…",
    "errors": [{ "pointer": "/body/username", "message": "must NOT have fewer than 2 characters" }] }
  \`\`\`

- **TAXII (\`/taxii2/…\`)**: the TAXII 2.1 error resource, \`Content-Type: application/taxii+json;version=2.1\`,
  with \`error_code\` = the code, \`error_id\` = the request id, \`http_status\` as a string and the
  issues under \`details.errors\`:

  \`\`\`json
  { "title": "Not found", "description": "collection 91a7… does not exist", "error_id": "4b0c7c51-…",
    "error_code": "not_found", "http_status": "404", "external_details": "urn:entente:problem:not_found" }
  \`\`\`

- **CLI**: one line, \`entente: <code>: <detail>\`.

\`requestId\` / \`error_id\` is the request's \`X-Request-Id\` (yours when you send a safe one: at most 255
characters of letters, digits, \`_\`, \`-\` and \`=\`; otherwise one the node generates). Every answer
carries it in the \`X-Request-Id\` header; quote it when reporting a problem.

## Domain errors

Returned by the services for expected failures, whatever the channel.

| code | HTTP status | title | meaning |
|---|---|---|---|
${rows(PROBLEMS)}

## Transport errors

Raised by the HTTP layer itself.

| code | HTTP status | title | meaning |
|---|---|---|---|
${rows(HTTP_PROBLEMS)}

## Notes

- A collection you have no rights on answers \`404 not_found\` exactly like a collection that does not
  exist (same status and body apart from the request id), so its existence does not leak. Writing
  into a collection you may see but not write is \`403 forbidden\`.
- \`401 unauthenticated\` answers carry \`WWW-Authenticate: Bearer realm="entente", Basic realm="entente"\`.
- \`500 internal\` answers never carry the underlying message; the node logs it with the request id.
`
}

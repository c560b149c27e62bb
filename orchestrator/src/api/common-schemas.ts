import type { JsonSchema } from './api-registry.ts';

/**
 * JSON Schemas of shapes several route modules answer with. The server validates requests only;
 * every answer the integration tests see is checked against these (`tests/response-check.ts`), and
 * they are what the console's generated types say, so keep them exact.
 */

/** A scenario text: one string, or one per language tag (`{ en, ja }`). */
export const LOCALIZED_TEXT: JsonSchema = {
  oneOf: [{ type: 'string' }, { type: 'object', additionalProperties: { type: 'string' } }],
};

/** An instructor's message (`Broadcast`, exercises/broadcast-board.ts). */
export const BROADCAST: JsonSchema = {
  type: 'object',
  required: ['exerciseId', 'at', 'message'],
  properties: {
    exerciseId: { type: 'string' },
    at: { type: 'string', description: 'ISO 8601' },
    message: { type: 'string' },
    teamId: { type: 'string', description: 'to this team only; absent: to every team' },
  },
};

/** A compiler diagnostic (`Diagnostic`, compiler/diagnostic.ts). */
export const DIAGNOSTIC: JsonSchema = {
  type: 'object',
  required: ['severity', 'rule', 'file', 'line', 'column', 'pointer', 'message'],
  properties: {
    severity: { enum: ['error', 'warning', 'info'] },
    rule: { type: 'string' },
    file: { type: 'string' },
    line: { type: 'integer', description: '1-based; 0: not tied to a place in the file' },
    column: { type: 'integer' },
    pointer: { type: 'string', description: 'RFC 6901 JSON pointer into the scenario document' },
    message: { type: 'string' },
  },
};

/** A route's answer as CSV (`?format=csv`, UTF-8 with a BOM), declared beside its JSON answer. */
export const AS_CSV = {
  contentType: 'text/csv',
  schema: { type: 'string', description: 'UTF-8 with a byte-order mark, CRLF line ends' },
};

/** A route's answer as a PDF file (`?format=pdf`), declared beside its JSON answer. */
export const AS_PDF = { contentType: 'application/pdf', schema: { type: 'string', format: 'binary' } };

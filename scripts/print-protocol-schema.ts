/**
 * Writes schema/protocol.schema.json, the JSON Schema of protocol.yaml for editors,
 * from src/engine/json-schema.ts. test/engine/json-schema.test.ts fails when the
 * committed file is stale.
 *
 *   npx tsx scripts/print-protocol-schema.ts
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { protocolJsonSchema } from '../src/engine/json-schema.js';

const target = fileURLToPath(new URL('../schema/protocol.schema.json', import.meta.url));
await writeFile(target, `${JSON.stringify(protocolJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target}`);

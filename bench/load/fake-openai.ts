/**
 * The fake OpenAI Chat Completions server of the tests (test/support/fake-openai-server.ts)
 * as a process of its own, for the protocol-run benchmark: prints `ready <base URL>`.
 * Replies are the default (the model's name and the last user message, streamed one
 * word per chunk). The record of requests is emptied every second so that memory stays flat.
 */
import { startFakeOpenAI } from '../../test/support/fake-openai-server.js';

const server = await startFakeOpenAI();
setInterval(() => (server.requests.length = 0), 1000).unref();
console.log(`ready ${server.url}`);
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));

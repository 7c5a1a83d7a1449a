/**
 * Prints a new API key secret, once (`npm run keys:create`). Give it to the server as
 * ADMIN_API_KEY: at start-up it becomes the bootstrap admin key of the default
 * organisation. Further keys are made with the `createApiKey` mutation.
 */
import { newBootstrapSecret } from '../src/auth/api-keys.js';

console.log(newBootstrapSecret());

/**
 * Assembles the GraphQL schema: importing each domain's schema file registers its types
 * on the builder. No other side effects.
 */
import { builder } from './builder.js';
import './errors.js';
import '../workers/schema.js';
import '../workers/lifecycle-schema.js';
import '../workers/performance-schema.js';
import '../workers/communication-schema.js';
import '../fleets/core/schema.js';
import '../fleets/core/policy-schema.js';
import '../tasks/schema.js';
import '../fleets/handout/schema.js';
import '../fleets/scaling/schema.js';
import '../fleets/monitoring/schema.js';
import '../fleets/shifts/schema.js';
import '../fleets/teams/schema.js';
import '../events/schema.js';
import '../triggers/schema.js';
import '../webhooks/schema.js';
import '../protocols/schema.js';
import '../runs/event-types.js';
import '../runs/schema.js';
import '../budgets/schema.js';
import '../auth/schema.js';

/** Builds the executable schema (once per process). */
export function buildSchema() {
  return builder.toSchema({ sortSchema: false });
}

/**
 * Shapes of the JSON documents stored in jsonb columns. They are validated on the way in
 * by the domain services; here they only type what the database returns.
 */

/** A worker's persona, as worker.do.md describes it (`persona: { background, … }`). */
export interface WorkerPersona {
  background?: string;
  expertise?: string[];
  communicationStyle?: string;
  personalityTraits?: string[];
  workingHours?: { start: string; end: string; timezone: string };
  languages?: string[];
}

/** Skill proficiency levels, beginner to expert (worker.do.md "skills"). */
export type SkillLevel = 'BEGINNER' | 'INTERMEDIATE' | 'ADVANCED' | 'EXPERT';

export interface WorkerSkill {
  name: string;
  level: SkillLevel;
}

/** Goals per period (worker.do.md "goals: { daily, weekly, monthly }"). */
export interface WorkerGoals {
  daily?: string[];
  weekly?: string[];
  monthly?: string[];
}

/** The periods goals and KPIs are measured over. */
export type KpiPeriod = 'DAILY' | 'WEEKLY' | 'MONTHLY' | 'QUARTERLY';

/**
 * A KPI target over a period (worker.do.md "kpis"). Its actual value is the number of
 * tasks the worker completed in the current period, only those with `action` when set.
 */
export interface WorkerKpi {
  name: string;
  target: number;
  period: KpiPeriod;
  action?: string | null;
}

/** What onboarding gave a worker (worker.do.md "worker.onboard"). */
export interface WorkerOnboarding {
  training: string[];
  access: string[];
  mentorId: string | null;
  startedAt: string;
}

/** Why and how a worker left (worker.do.md "worker.offboard"). */
export interface WorkerOffboarding {
  reason: string;
  transferWorkToId: string | null;
  documentationComplete: boolean;
  at: string;
}

/** One HTTP attempt of a webhook delivery. */
export interface WebhookAttempt {
  at: string;
  /** HTTP status of the answer; null when no answer came (network error, timeout). */
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/** What a fleet hires from (workers.do.md "workerTemplate"). */
export interface WorkerTemplate {
  role: string;
  capabilities: string[];
  skills: WorkerSkill[];
  model?: string | null;
  protocolSlug?: string | null;
}

/** A scaling rule (workers.do.md "rules: [{ metric, threshold, action, increment }]"). */
export interface ScalingRule {
  metric: 'QUEUE_DEPTH' | 'AVG_UTILIZATION' | 'RESPONSE_TIME';
  threshold: number;
  action: 'SCALE_UP' | 'SCALE_DOWN';
  step: number;
}

/** A fleet's scaling policy (workers.do.md "scaling"). */
export interface FleetScaling {
  mode: 'MANUAL' | 'AUTO';
  min: number;
  max: number;
  rules: ScalingRule[];
  cooldownSeconds: number;
  aggressive: boolean;
  schedule: Array<{ hours: string; target: number }>;
}

/** A named slot of workers in a team (workers.do.md "workers: { researchers: 5 }"). */
export interface TeamSlot {
  name: string;
  size: number;
}

/** A team's pipeline (workers.do.md "workflow: { type: 'pipeline', stages }"). */
export interface TeamWorkflow {
  type: 'PIPELINE';
  stages: Array<{ slot: string; action: string; input?: string | null; output?: string | null }>;
}

/** Shift handoff (workers.do.md "handoff: { duration, briefing }"). */
export interface ShiftHandoff {
  overlapMinutes: number;
  briefing: boolean;
}

/** One prompt of a protocol package: its name (path under prompts/ without .md) and text. */
export interface ProtocolPrompt {
  name: string;
  content: string;
}

/** Why a run failed: the protocol's ErrorType (PROTOCOL.md section 14) and a message. */
export interface RunError {
  errorType: string;
  message: string;
}

/** Token counts of some model calls. */
export interface TokenCounts {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
}

/** Tokens a run used, summed over its own model calls, and per thread. */
export interface RunUsage extends TokenCounts {
  threads?: Record<string, TokenCounts>;
}

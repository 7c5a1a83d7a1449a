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

/** A KPI target over a period (worker.do.md "kpis"). */
export interface WorkerKpi {
  name: string;
  target: number;
  period: 'DAILY' | 'WEEKLY' | 'MONTHLY' | 'QUARTERLY';
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

/** Tokens a run used, summed over its model calls. */
export interface RunUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
}

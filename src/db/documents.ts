/**
 * Shapes of the JSON documents stored in jsonb columns. They are validated on the way in
 * by the domain services; here they only type what the database returns.
 */

/** A worker's persona, as docs/product/worker.md describes it (`persona: { background, … }`). */
export interface WorkerPersona {
  /** schema.org type, e.g. `Person`. */
  $type?: string;
  /** The person's name, e.g. `Alex Rodriguez`. */
  name?: string;
  jobTitle?: string;
  /** How the worker works, e.g. `consultative, data-driven`. */
  style?: string;
  background?: string;
  expertise?: string[];
  communicationStyle?: string;
  personalityTraits?: string[];
  /** Local `HH:MM` times in an IANA zone (free text such as `9am-5pm PST` is parsed into this). */
  workingHours?: { start: string; end: string; timezone: string };
  languages?: string[];
}

/** Skill proficiency levels, beginner to expert (docs/product/worker.md "skills"). */
export type SkillLevel = 'BEGINNER' | 'INTERMEDIATE' | 'ADVANCED' | 'EXPERT';

export interface WorkerSkill {
  name: string;
  level: SkillLevel;
}

/** Goals per period (docs/product/worker.md "goals: { daily, weekly, monthly }"). */
export interface WorkerGoals {
  daily?: string[];
  weekly?: string[];
  monthly?: string[];
}

/** The periods goals and KPIs are measured over. */
export type KpiPeriod = 'DAILY' | 'WEEKLY' | 'MONTHLY' | 'QUARTERLY';

/**
 * A KPI target over a period (docs/product/worker.md "kpis"). Its actual value is the number of
 * tasks the worker completed in the current period, only those with `action` when set.
 */
export interface WorkerKpi {
  name: string;
  target: number;
  period: KpiPeriod;
  action?: string | null;
}

/** What onboarding gave a worker (docs/product/worker.md "worker.onboard"). */
export interface WorkerOnboarding {
  training: string[];
  access: string[];
  mentorId: string | null;
  startedAt: string;
}

/** Why and how a worker left (docs/product/worker.md "worker.offboard"). */
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

/** The figures a fleet's dashboard charts (docs/product/fleets.md `enableDashboard({ metrics })`). */
export type FleetDashboardMetric = 'THROUGHPUT' | 'LATENCY' | 'ERROR_RATE' | 'UTILIZATION' | 'QUEUE_DEPTH' | 'PROCESSING' | 'HEALTH_SCORE';

/** A fleet's dashboard in the console (docs/product/fleets.md `enableDashboard({ metrics, refreshInterval })`). */
export interface FleetDashboard {
  metrics: FleetDashboardMetric[];
  /** How often the console re-reads what the `fleetStatus` subscription does not push (metrics, workers, alerts), ms. */
  refreshIntervalMs: number;
  /** ISO time it was (last) enabled. */
  enabledAt: string;
}

/** What a fleet hires from (docs/product/fleets.md "workerTemplate"). */
export interface WorkerTemplate {
  role: string;
  capabilities: string[];
  skills: WorkerSkill[];
  model?: string | null;
  protocolSlug?: string | null;
  /** Tasks each hired worker works on at once (docs/product/worker.md: one at a time unless told). */
  concurrency?: number;
}

/** How a fleet hands out work (docs/product/fleets.md "assignWork … strategy"). */
export type AssignmentStrategy = 'ROUND_ROBIN' | 'LEAST_LOADED' | 'SKILL_BASED' | 'PRIORITY' | 'CUSTOM';

/** Who a PRIORITY rule sends a task of `priority` to (docs/product/fleets.md "priorityRules"). */
export interface PriorityRule {
  priority: 'CRITICAL' | 'HIGH' | 'NORMAL' | 'LOW';
  assignTo: 'MOST_EXPERIENCED' | 'AVAILABLE_EXPERIENCED' | 'AVAILABLE';
}

/** A fleet's default balancing: used for its queue and when `assignWork` names none. */
export interface FleetBalancing {
  strategy: AssignmentStrategy;
  skillMatching: { required: string[]; preferred: string[] };
  priorityRules: PriorityRule[];
}

/**
 * A per-worker quota (docs/product/fleets.md "quotas: { leadsPerWorker: 100 } // per month"): a
 * worker that took `limit` tasks with `action` (any action when null) in the current
 * `period` of the fleet's time zone takes no more of them.
 */
export interface FleetQuota {
  name: string;
  action: string | null;
  limit: number;
  period: 'DAILY' | 'WEEKLY' | 'MONTHLY';
}

/** Resources per worker (docs/product/fleets.md "resourceLimits"), Kubernetes quantity notation. */
export interface FleetResourceLimits {
  cpuPerWorker?: string | null;
  memoryPerWorker?: string | null;
}

/** The metrics an autoscaling decision was made on. */
export interface ScalingMetrics {
  queueDepth: number;
  /** Busy slots / all slots of ACTIVE workers, 0–1. */
  avgUtilization: number;
  /** Mean wait from queueing to start, seconds. */
  responseTimeSeconds: number;
}

/** One autoscaler decision (`evaluateFleetScaling`), kept on the fleet as the last one. */
export interface ScalingDecision {
  at: string;
  action: 'SCALE_UP' | 'SCALE_DOWN' | 'NONE';
  from: number;
  to: number;
  reason: string;
  /** Index in `scaling.rules` of the rule that decided, if one did, and the rule as it was. */
  ruleIndex: number | null;
  rule: ScalingRule | null;
  metrics: ScalingMetrics;
  /** Whether the fleet was resized (AUTO mode, not a dry run). */
  applied: boolean;
}

/** A scaling rule (docs/product/fleets.md "rules: [{ metric, threshold, action, increment }]"). */
export interface ScalingRule {
  metric: 'QUEUE_DEPTH' | 'AVG_UTILIZATION' | 'RESPONSE_TIME';
  threshold: number;
  action: 'SCALE_UP' | 'SCALE_DOWN';
  step: number;
}

/** A fleet's scaling policy (docs/product/fleets.md "scaling"). */
export interface FleetScaling {
  mode: 'MANUAL' | 'AUTO';
  min: number;
  max: number;
  rules: ScalingRule[];
  cooldownSeconds: number;
  aggressive: boolean;
  schedule: Array<{ hours: string; target: number }>;
  /**
   * The fleet document's target form (`metric: 'queue_depth', target: 100`): the metric
   * the fleet is sized by, and `target` its value per worker (docs/autoscaling.md).
   * Absent in policies stored before the form existed: read as null.
   */
  metric?: ScalingRule['metric'] | null;
  target?: number | null;
}

/** A named slot of workers in a team (docs/product/fleets.md "workers: { researchers: 5 }"). */
export interface TeamSlot {
  name: string;
  size: number;
}

/** A team's pipeline (docs/product/fleets.md "workflow: { type: 'pipeline', stages }"). */
export interface TeamWorkflow {
  type: 'PIPELINE';
  stages: Array<{ slot: string; action: string; input?: string | null; output?: string | null }>;
}

/**
 * What the outgoing shift leaves the incoming one (docs/product/fleets.md "briefing: true //
 * Outgoing shift briefs incoming"): the fleet's open work at the boundary.
 */
export interface ShiftBriefing {
  /** One paragraph for people, e.g. `3 tasks queued (1 CRITICAL), 2 in progress; oldest waiting 14 min`. */
  summary: string;
  queued: number;
  inProgress: number;
  byPriority: Record<'CRITICAL' | 'HIGH' | 'NORMAL' | 'LOW', number>;
  /** The most urgent open tasks, at most 20. */
  tasks: Array<{ taskId: string; action: string; priority: string; status: string; assigneeId: string | null; waitingSince: string }>;
}

/** Shift handoff (docs/product/fleets.md "handoff: { duration, briefing }"). */
export interface ShiftHandoff {
  overlapMinutes: number;
  briefing: boolean;
}

/** One prompt of a protocol package: its name (path under prompts/ without .md) and text. */
export interface ProtocolPrompt {
  name: string;
  content: string;
}

/** Why a run failed: the protocol's ErrorType (docs/protocol.md section 14) and a message. */
export interface RunError {
  errorType: string;
  message: string;
}

/**
 * When a task whose run failed is tried again (src/tasks/retry.ts, README "Retries"):
 * up to `maxAttempts` attempts in all, the n-th retry waiting a backoff of
 * `min(maxSeconds, initialSeconds × multiplier^(n−1))` seconds, drawn uniformly from
 * [0, that] with FULL jitter; only failures whose run error type is in `retryOn` retry
 * (empty: every type).
 */
export interface RetryPolicy {
  maxAttempts: number;
  backoff: { initialSeconds: number; multiplier: number; maxSeconds: number; jitter: 'FULL' | 'NONE' };
  retryOn: string[];
}

/**
 * The human approval of a task that `requiresApproval` (README "Approval"): asked for when
 * its run produced its result, decided by `approveTask` / `rejectTask`. Instants are
 * ISO-8601 strings; `decidedBy` is the caller (its API key, null for open local access,
 * and its label).
 */
export interface TaskApproval {
  status: 'PENDING' | 'APPROVED' | 'REJECTED';
  requestedAt: string;
  decidedAt: string | null;
  decidedBy: { apiKeyId: string | null; label: string } | null;
  /** The approver's comment, or the reason of a rejection. */
  comment: string | null;
}

/** Token counts of some model calls. */
export interface TokenCounts {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
}

/** Tokens a run used, summed over its own model calls, per thread and per model that answered. */
export interface RunUsage extends TokenCounts {
  threads?: Record<string, TokenCounts>;
  /** Keyed `provider/modelId` (ModelUsage of src/engine/execution-types.ts); absent on runs of older versions. */
  models?: Record<string, { inputTokens: number; outputTokens: number; cachedInputTokens: number }>;
}

/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
/** Identity of the worker to hire. */
export type HireWorkerInput = {
  /** What the worker can do. */
  capabilities?: Array<string> | null | undefined;
  /** Tasks worked on at once (default 1). */
  concurrency?: number | null | undefined;
  /** Fleet to join. */
  fleetId?: string | number | null | undefined;
  /** Goals per period. */
  goals?: WorkerGoalsInput | null | undefined;
  /** KPI targets. */
  kpis?: Array<KpiInput> | null | undefined;
  /** Where the worker works, e.g. `remote`. */
  location?: string | null | undefined;
  /** Worker to report to. */
  managerId?: string | number | null | undefined;
  /** Default model: `vendor/model`, or a short id such as `gpt-4o` or `claude-sonnet-4.5` (stored as `anthropic/claude-sonnet-4-5`). */
  model?: string | null | undefined;
  /** Display name. */
  name: string;
  /** Object with $type, name, jobTitle, style, background, expertise[], communicationStyle, personalityTraits[], workingHours (text such as '9am-5pm PST' or {start end timezone}; stored as the object), languages[]. */
  persona?: unknown;
  /** Slug of the protocol the worker executes. */
  protocol?: string | null | undefined;
  /** What the worker is accountable for. */
  responsibilities?: Array<string> | null | undefined;
  /** Job role, e.g. `SalesDevelopmentRepresentative` or `$.SalesDevelopmentRepresentative` (stored without `$.`). */
  role: string;
  /** Skills with levels. */
  skills?: Array<SkillInput> | null | undefined;
  /** First day of work (default now). */
  startDate?: string | null | undefined;
};

/** A KPI target. */
export type KpiInput = {
  /** Count only completed tasks with this action (default: all). */
  action?: string | null | undefined;
  /** KPI name. */
  name: string;
  /** Measurement period. */
  period: KpiPeriod;
  /** Target value. */
  target: number;
};

/** The period a KPI target is measured over. */
export type KpiPeriod =
  | 'DAILY'
  | 'MONTHLY'
  | 'QUARTERLY'
  | 'WEEKLY';

/** A skill and its level. */
export type SkillInput = {
  /** Proficiency (default INTERMEDIATE). */
  level?: SkillLevel | null | undefined;
  /** Skill name. */
  name: string;
};

/** Proficiency in a skill. */
export type SkillLevel =
  | 'ADVANCED'
  | 'BEGINNER'
  | 'EXPERT'
  | 'INTERMEDIATE';

/** Goals per period. */
export type WorkerGoalsInput = {
  /** Daily goals. */
  daily?: Array<string> | null | undefined;
  /** Monthly goals. */
  monthly?: Array<string> | null | undefined;
  /** Weekly goals. */
  weekly?: Array<string> | null | undefined;
};

/** Where a worker is in its employment lifecycle (HIRED → ONBOARDING → ACTIVE → OFFBOARDED). */
export type WorkerLifecycle =
  | 'ACTIVE'
  | 'HIRED'
  | 'OFFBOARDED'
  | 'ONBOARDING';

export type WorkersQueryVariables = Exact<{
  first: number;
}>;


export type WorkersQuery = { workers: { totalCount: number, edges: Array<{ node: { id: string, name: string, role: string, lifecycle: WorkerLifecycle, fleet: { name: string } | null } }> } };

export type HireWorkerMutationVariables = Exact<{
  input: HireWorkerInput;
}>;


export type HireWorkerMutation = { hireWorker:
    | { __typename: 'ForbiddenError', message: string }
    | { __typename: 'NotFoundError', message: string }
    | { __typename: 'ValidationError', message: string }
    | { __typename: 'Worker', id: string, name: string, role: string }
   };

export type DomainEventsSubscriptionVariables = Exact<{
  types?: Array<string> | string | null | undefined;
  after?: number | null | undefined;
}>;


export type DomainEventsSubscription = { events: { seq: number, type: string, subjectId: string | null, payload: unknown } };


export const WorkersDocument = {"__meta__":{"hash":"sha256:b573f730db0d5ec5e9c0784ae7b6e1c9e938cd548e851f0db068a07c63cd9f63"}} as unknown as DocumentNode<WorkersQuery, WorkersQueryVariables>;
export const HireWorkerDocument = {"__meta__":{"hash":"sha256:7c55152554967999154f529e2427d15918a29b29eae14a443315b3f5ab2fe211"}} as unknown as DocumentNode<HireWorkerMutation, HireWorkerMutationVariables>;
export const DomainEventsDocument = {"__meta__":{"hash":"sha256:c56433358314e5a39bf7d01bae0e753dee470980156d3d6505342036a63d7cbd"}} as unknown as DocumentNode<DomainEventsSubscription, DomainEventsSubscriptionVariables>;
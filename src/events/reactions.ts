/**
 * The reaction registry: what this process does when a domain event is appended
 * (hand out fleet work, start a worker's next task, wake a scheduler job). Reactions
 * register here by catalogued event type — an unknown type does not compile — and one
 * bus listener on `domain:appended` hands each event to the reactions of its type.
 *
 * Reactions are synchronous and must not block (the bus calls its listeners in line):
 * they kick coalesced jobs that read the store. They receive the event's identifiers,
 * as the bus carries them, never its payload; a reaction that needs the payload reads
 * the row. A reaction that throws is logged and the others still run.
 */
import type { Logger } from '../logger.js';
import type { Bus, TopicPayload } from '../realtime/bus.js';
import type { DomainEventType } from './catalogue.js';

/** An appended event as reactions see it: identifiers of the stored row. */
export interface AppendedEvent<T extends string = string> {
  organizationId: string;
  seq: number;
  type: T;
  subjectId: string | null;
}

/** Reacts to one appended event; runs in line with the bus and must not block. */
export type Reaction<T extends string = string> = (event: AppendedEvent<T>) => void;

/** Registrations by event type, and the one bus listener that dispatches to them. */
export class Reactions {
  private readonly byType = new Map<string, Array<Reaction<never>>>();
  private readonly every: Reaction[] = [];

  constructor(private readonly logger: Logger) {}

  /**
   * Calls `reaction` for every appended event of `types` (one catalogued type, or a list
   * such as `eventTypesOf('Worker')`).
   * @returns a function that removes the registration
   */
  on<T extends DomainEventType>(types: T | readonly T[], reaction: Reaction<T>): () => void {
    const list = typeof types === 'string' ? [types] : [...new Set(types)];
    for (const type of list) {
      const reactions = this.byType.get(type) ?? [];
      reactions.push(reaction as Reaction<never>);
      this.byType.set(type, reactions);
    }
    return () => {
      for (const type of list) {
        const reactions = this.byType.get(type)!;
        reactions.splice(reactions.indexOf(reaction as Reaction<never>), 1);
      }
    };
  }

  /**
   * Calls `reaction` for every appended event, outside systems' included (their types
   * are not in the catalogue): for consumers that decide by data, such as the event
   * dispatcher's "does any trigger or webhook want this type".
   * @returns a function that removes the registration
   */
  onEvery(reaction: Reaction): () => void {
    this.every.push(reaction);
    return () => void this.every.splice(this.every.indexOf(reaction), 1);
  }

  /** Hands `event` to the reactions of its type, then to those of every event. */
  private dispatch(event: AppendedEvent): void {
    for (const reaction of [...(this.byType.get(event.type) ?? []), ...this.every] as Reaction[]) {
      try {
        reaction(event);
      } catch (error) {
        this.logger.error({ err: error, type: event.type, seq: event.seq }, 'a reaction to a domain event failed');
      }
    }
  }

  /**
   * Listens to `domain:appended` on `bus` — the one listener of this process — until the
   * returned function is called.
   */
  listen(bus: Bus): () => void {
    return bus.listen('domain:appended', (event: TopicPayload<'domain:appended'>) => this.dispatch(event));
  }
}

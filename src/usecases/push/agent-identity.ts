// Use case (push): a pushed event's agent is the agent whose key signed the request. Events that
// do not say which agent they are from get the signer; an event naming another agent is refused
// with the whole request, or has its agent field overwritten, as the dataset's push block declares
// (`agentField`, `onMismatch`). Pure: the body in, the body to ingest (or the events at fault) out.
import type { CompiledDataset, PushDeclaration } from '../../domain/dataset';

/** An event that names another agent than the signer: its line (NDJSON) or element (JSON array), and the agent it names. */
export interface AgentMismatch {
  readonly line: number;
  readonly agent: unknown;
}

export type AgentIdentity =
  | {
      readonly ok: true;
      /** The body to ingest: the one received, or the events rewritten with their agent set. */
      readonly body: Uint8Array;
      /** Events that had no agent and got the signer. */
      readonly filled: number;
      /** Events that named another agent and were given the signer (`onMismatch: overwrite`). */
      readonly overwritten: number;
    }
  | {
      readonly ok: false;
      /** The first events at fault (up to 100), in order. */
      readonly mismatches: readonly AgentMismatch[];
      /** How many events name another agent in all. */
      readonly count: number;
    };

const MAX_LISTED = 100;

/**
 * Holds the events of a pushed body (NDJSON or a JSON array, decompressed) to `signer`. Text that
 * is not a JSON object is left as it is: the reader quarantines it, and the batch is refused.
 */
export function holdEventsToSigner(
  body: Uint8Array,
  format: 'ndjson' | 'json',
  dataset: CompiledDataset,
  push: Pick<PushDeclaration, 'agentField' | 'onMismatch'>,
  signer: string,
): AgentIdentity {
  if (push.agentField === undefined) return { ok: true, body, filled: 0, overwritten: 0 };
  const stamp = new AgentStamp(dataset, push.agentField, push.onMismatch, signer);
  const text = new TextDecoder().decode(body);
  const rewritten = format === 'ndjson' ? stamp.ndjson(text) : stamp.jsonArray(text);
  if (stamp.count > 0 && push.onMismatch === 'refuse') {
    return { ok: false, mismatches: stamp.mismatches, count: stamp.count };
  }
  return {
    ok: true,
    body: rewritten === null ? body : new TextEncoder().encode(rewritten),
    filled: stamp.filled,
    overwritten: push.onMismatch === 'overwrite' ? stamp.count : 0,
  };
}

class AgentStamp {
  readonly mismatches: AgentMismatch[] = [];
  count = 0;
  filled = 0;
  private readonly source: string;
  private readonly path: readonly string[] | null;
  private readonly signerValue: unknown;

  constructor(
    private readonly dataset: CompiledDataset,
    private readonly field: string,
    private readonly onMismatch: 'refuse' | 'overwrite',
    private readonly signer: string,
  ) {
    this.source = dataset.sourceOf(field);
    this.path = this.source.includes('.') ? this.source.split('.') : null;
    this.signerValue = dataset.convertField(field, signer) ?? signer;
  }

  /** @returns the rewritten text, or null when no event changed */
  ndjson(text: string): string | null {
    const out: string[] = [];
    let changed = false;
    let pos = 0;
    for (let line = 1; pos < text.length; line++) {
      let end = pos;
      while (end < text.length && text[end] !== '\n' && text[end] !== '\r') end += 1;
      const breakEnd = text.startsWith('\r\n', end) ? end + 2 : Math.min(end + 1, text.length);
      const lineText = text.slice(pos, end);
      const object = parseObject(lineText);
      if (object !== null && this.hold(object, line)) {
        out.push(JSON.stringify(object));
        changed = true;
      } else out.push(lineText);
      out.push(text.slice(end, breakEnd));
      pos = breakEnd;
    }
    return changed ? out.join('') : null;
  }

  /** @returns the rewritten text, or null when no event changed (or the body is not a JSON array) */
  jsonArray(text: string): string | null {
    let array: unknown;
    try {
      array = JSON.parse(text);
    } catch {
      return null;
    }
    if (!Array.isArray(array)) return null;
    let changed = false;
    array.forEach((element, i) => {
      if (isObject(element) && this.hold(element, i + 1)) changed = true;
    });
    return changed ? JSON.stringify(array) : null;
  }

  /** Checks one event, and gives it the signer where it should have it. @returns whether it changed */
  private hold(event: Record<string, unknown>, line: number): boolean {
    const claimed = this.read(event);
    const value = this.dataset.convertField(this.field, claimed);
    const absent =
      claimed === undefined ||
      value === null ||
      (value === undefined && this.dataset.problem.code === 'missing_required');
    if (absent) {
      this.write(event);
      this.filled += 1;
      return true;
    }
    if (value === this.signerValue) return false;
    this.count += 1;
    if (this.mismatches.length < MAX_LISTED) this.mismatches.push({ line, agent: claimed });
    if (this.onMismatch === 'refuse') return false;
    this.write(event);
    return true;
  }

  private read(event: Record<string, unknown>): unknown {
    const direct = event[this.source];
    if (direct !== undefined || this.path === null) return direct;
    let value: unknown = event;
    for (const key of this.path) {
      if (!isObject(value)) return undefined;
      value = value[key];
    }
    return value;
  }

  private write(event: Record<string, unknown>): void {
    if (this.path === null || event[this.source] !== undefined) {
      event[this.source] = this.signer;
      return;
    }
    let parent = event;
    for (const key of this.path.slice(0, -1)) {
      const next = parent[key];
      if (!isObject(next)) parent[key] = {};
      parent = parent[key] as Record<string, unknown>;
    }
    parent[this.path.at(-1) as string] = this.signer;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function parseObject(text: string): Record<string, unknown> | null {
  if (text.trim() === '') return null;
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : null;
  } catch {
    return null;
  }
}

// AWS adapter: archived lineage input lists in the work bucket, content-addressed. A run's lists go
// in one object (`lineage/kpi=<id>/pack-<sha256>.json.gz`, a reference per list
// `s3://…/pack-<sha256>.json.gz#<list sha256>`), so a backfill writes one object, not one per period;
// a single list keeps its own object (`lineage/kpi=<id>/<list sha256>.json.gz`). Reruns rewrite the
// same bytes under the same keys.
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import * as z from 'zod';
import { LINEAGE_PREFIX } from '../../contracts/work-layout';
import { type InputPartition, inputPartitionSchema } from '../../domain/values/kpi-value';
import { canonicalJson } from '../../domain/versioning/canonical-json';
import type { InputArchive } from '../../ports/input-archive';
import { getGzipText, putGzipText } from './s3-gzip-text';

/** Text of the lists one pack object holds at most; more lists go in further packs. @default 16 MiB */
export const LINEAGE_PACK_BYTES = 16 * 1024 * 1024;

const packSchema = z.object({ lists: z.record(z.string(), z.array(z.unknown())) });

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

interface ArchivedList {
  readonly sha: string;
  readonly partitions: readonly InputPartition[];
  readonly bytes: number;
}

export class S3InputArchive implements InputArchive {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly packBytes = LINEAGE_PACK_BYTES,
  ) {}

  async putAll(kpiId: string, lists: readonly (readonly InputPartition[])[]): Promise<string[]> {
    const distinct = new Map<string, ArchivedList>();
    const shas = lists.map((partitions) => {
      const sorted = [...partitions].sort((a, b) =>
        `${a.dataset}/${a.partition}` < `${b.dataset}/${b.partition}` ? -1 : 1,
      );
      const body = canonicalJson(sorted);
      const sha = sha256(body);
      if (!distinct.has(sha)) distinct.set(sha, { sha, partitions: sorted, bytes: body.length });
      return sha;
    });
    const refs = new Map<string, string>();
    for (const pack of packsOf([...distinct.values()], this.packBytes)) {
      if (pack.length === 1) {
        const [only] = pack as [ArchivedList];
        const key = `${LINEAGE_PREFIX}kpi=${kpiId}/${only.sha}.json.gz`;
        await putGzipText(this.s3, this.bucket, key, canonicalJson(only.partitions));
        refs.set(only.sha, `s3://${this.bucket}/${key}`);
        continue;
      }
      const body = canonicalJson({ lists: Object.fromEntries(pack.map((l) => [l.sha, l.partitions])) });
      const key = `${LINEAGE_PREFIX}kpi=${kpiId}/pack-${sha256(body)}.json.gz`;
      await putGzipText(this.s3, this.bucket, key, body);
      for (const l of pack) refs.set(l.sha, `s3://${this.bucket}/${key}#${l.sha}`);
    }
    return shas.map((sha) => refs.get(sha) as string);
  }

  /**
   * @throws Error when a pack names the list under a SHA-256 its content does not have
   */
  async get(ref: string): Promise<InputPartition[] | null> {
    const prefix = `s3://${this.bucket}/`;
    if (!ref.startsWith(prefix)) return null;
    const [key = '', listSha] = ref.slice(prefix.length).split('#');
    const text = await getGzipText(this.s3, this.bucket, key);
    if (text === null) return null;
    if (listSha === undefined) return inputPartitionSchema.array().parse(JSON.parse(text));
    // Checked on the text as written, before the schema fills in defaults.
    const list = packSchema.parse(JSON.parse(text)).lists[listSha];
    if (list === undefined) return null;
    if (sha256(canonicalJson(list)) !== listSha) {
      throw new Error(`lineage pack s3://${this.bucket}/${key}: the list named ${listSha} has another SHA-256`);
    }
    return inputPartitionSchema.array().parse(list);
  }
}

/** Lists grouped in order, each group's text within `maxBytes` (a larger list goes alone). */
function packsOf(lists: readonly ArchivedList[], maxBytes: number): ArchivedList[][] {
  const packs: ArchivedList[][] = [];
  let current: ArchivedList[] = [];
  let bytes = 0;
  for (const list of lists) {
    if (current.length > 0 && bytes + list.bytes > maxBytes) {
      packs.push(current);
      current = [];
      bytes = 0;
    }
    current.push(list);
    bytes += list.bytes;
  }
  if (current.length > 0) packs.push(current);
  return packs;
}

/** `nocker hub vulndb import|status`: the Hub's offline vulnerability database (OSV records). */
import { basename } from 'node:path';
import { fetchVulndbStatus, importVulnerabilities, type ImportResult, type VulndbStatus } from '../../hub/client/vulndb.ts';
import type { CommandIO } from '../io.ts';
import { connect, formatTable, parse, printJson, unknownSub, when } from './common.ts';
import { readOsvLines, type OsvFileProblem, type OsvLines } from './osv-files.ts';

const plural = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`;

/** `1200 added, 30 updated, 4 withdrawn, 0 unchanged, 0 rejected` */
function describeCounts(counts: Record<string, number>): string {
  const count = (key: string) => counts[key] ?? 0;
  return `${count('added')} added, ${count('updated')} updated, ${count('withdrawn')} withdrawn, ${count('skipped')} unchanged, ${count('rejected')} rejected`;
}

/**
 * The summary line of an import, with the files skipped before sending counted as rejected.
 *
 * @example
 * describeImport('all.zip', result, 0);
 * // 'Imported 1234 records from all.zip: 1200 added, 30 updated, 4 withdrawn, 0 unchanged, 0 rejected; database version 3; 2 images to rescan'
 */
export function describeImport(source: string, result: ImportResult, unreadable: number): string {
  const counts = { ...result.counts, rejected: result.counts.rejected + unreadable };
  const total = counts.added + counts.updated + counts.withdrawn + counts.skipped + counts.rejected;
  return `Imported ${plural(total, 'record')} from ${source}: ${describeCounts(counts)}; database version ${result.version ?? '-'}; ${plural(result.rescanned, 'image')} to rescan`;
}

/** The rejected records, one a line, for stderr: files skipped here first, then those the Hub refused. */
function describeRejections(source: OsvLines, result: ImportResult | undefined): string {
  const lines = source.problems.map((problem: OsvFileProblem) => `  ${problem.file}: ${problem.reason}`);
  for (const rejected of result?.rejected ?? []) {
    const where = source.fileOfLine(rejected.line) ?? `line ${rejected.line}`;
    lines.push(`  ${where}${rejected.id ? ` (${rejected.id})` : ''}: ${rejected.reason}`);
  }
  const unlisted = (result?.counts.rejected ?? 0) - (result?.rejected.length ?? 0);
  if (unlisted > 0) lines.push(`  … and ${plural(unlisted, 'other')}`);
  return lines.length === 0 ? '' : `Rejected:\n${lines.join('\n')}\n`;
}

/** The status as `key: value` lines, then the records per ecosystem. */
function describeStatus(status: VulndbStatus): string {
  const last = status.lastImport;
  const rows = [
    ['version', status.version === null ? 'none (nothing imported yet)' : String(status.version)],
    ['records', `${status.records} (${status.withdrawn} withdrawn)`],
    ['last import', last ? `${when(last.finishedAt)} by ${last.importedBy}${last.source ? ` from ${last.source}` : ''}: ${describeCounts(last.counts ?? {})}` : '-'],
  ];
  const head = rows.map(([key, value]) => `${`${key}:`.padEnd(14)}${value}\n`).join('');
  if (status.ecosystems.length === 0) return head;
  return `${head}\n${formatTable(['ECOSYSTEM', 'RECORDS'], status.ecosystems.map((e) => [e.ecosystem, String(e.records)]))}`;
}

/**
 * `nocker hub vulndb …`
 *
 * @example
 * await vulndbCommand(['import', 'osv/Debian/all.zip', '--hub', '127.0.0.1:5000'], processIO());
 */
export async function vulndbCommand(argv: string[], io: CommandIO): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'import': {
      const args = parse('vulndb import', rest, io, {}, ['PATH']);
      if (!args) return 0;
      const path = args.positionals[0] ?? '';
      const source = await readOsvLines(path);
      const ctx = await connect(io, args.values.hub, args.values.json);
      let result: ImportResult;
      try {
        result = await importVulnerabilities(ctx.admin.client, source.lines, basename(path));
      } catch (err) {
        // The Hub refuses a body without records; the files skipped here say why there were none.
        io.stderr.write(describeRejections(source, undefined));
        throw err;
      }
      if (ctx.json) return printJson(io, { ...result, unreadable: source.problems });
      io.stdout.write(`${describeImport(basename(path), result, source.problems.length)}\n`);
      io.stderr.write(describeRejections(source, result));
      if (result.rescanError) io.stderr.write(`warning: the records are stored, but the images they concern were not queued to be matched again: ${result.rescanError}\n`);
      return 0;
    }
    case 'status': {
      const args = parse('vulndb status', rest, io, {}, []);
      if (!args) return 0;
      const ctx = await connect(io, args.values.hub, args.values.json);
      const status = await fetchVulndbStatus(ctx.admin.client);
      if (ctx.json) return printJson(io, status);
      io.stdout.write(describeStatus(status));
      return 0;
    }
    default:
      return unknownSub('vulndb', sub, io);
  }
}

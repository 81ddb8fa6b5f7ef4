/**
 * Turns a validated, resolved tree into the typed Nockerfile. Values are read with the same
 * parsers that validation used, so a value that passed validation always reads here.
 */
import { getEntry, getMap, type MapNode, type TreeNode } from './tree.ts';
import type { BuildStep, Command, Nockerfile, Policies, RunSection } from './types.ts';
import { parseAbsolutePath, parseBaseImage, parseCopy, parseCpu, parseDependency, parsePort, parseSize, type Parsed } from './values.ts';

/**
 * The typed Nockerfile of a resolved tree (validated, one environment applied, substituted).
 *
 * @example
 * const nockerfile = normalize(tree, { source: '/app/Nockerfile.yml', sources: ['/app/Nockerfile.yml'] });
 * nockerfile.policies.resources.memory // 2000000000
 */
export function normalize(root: MapNode, files: { source: string; sources: string[] }): Nockerfile {
  const build = getMap(root, 'build');
  const baseNode = build === undefined ? undefined : getEntry(build, 'base')?.value;
  if (build === undefined || baseNode === undefined) throw new Error('internal: normalize() needs a validated Nockerfile');
  const network = str(getEntry(build, 'network')?.value);
  return {
    source: files.source,
    sources: files.sources,
    version: str(getEntry(root, 'version')?.value) ?? '',
    name: str(getEntry(root, 'name')?.value) ?? '',
    environment: str(getEntry(root, 'environment')?.value) ?? 'production',
    variables: stringMap(getMap(root, 'variables')),
    build: {
      base: must(parseBaseImage(scalar(baseNode))),
      network: network === 'none' ? 'none' : 'host',
      dependencies: list(getEntry(build, 'dependencies')?.value).map((d) => must(parseDependency(scalar(d)))),
      steps: list(getEntry(build, 'steps')?.value).map(step),
    },
    run: runSection(getMap(root, 'run')),
    policies: policies(getMap(root, 'policies')),
  };
}

function step(node: TreeNode): BuildStep {
  if (node.kind !== 'map') throw new Error('internal: a step is a map');
  const [entry] = node.entries;
  if (entry === undefined) throw new Error('internal: a step has a key');
  switch (entry.key) {
    case 'run':
      return { kind: 'run', command: str(entry.value) ?? '' };
    case 'copy':
      return { kind: 'copy', ...must(parseCopy(scalar(entry.value))) };
    case 'workdir':
      return { kind: 'workdir', path: must(parseAbsolutePath(scalar(entry.value))) };
    default:
      return { kind: 'env', variables: stringMap(entry.value.kind === 'map' ? entry.value : undefined) };
  }
}

function runSection(run: MapNode | undefined): RunSection {
  const section: RunSection = { ports: [], environment: {} };
  if (run === undefined) return section;
  const command = commandOf(getEntry(run, 'command')?.value);
  const entrypoint = commandOf(getEntry(run, 'entrypoint')?.value);
  if (command !== undefined) section.command = command;
  if (entrypoint !== undefined) section.entrypoint = entrypoint;
  section.ports = list(getEntry(run, 'ports')?.value).map((p) => must(parsePort(scalar(p))));
  section.environment = stringMap(getMap(run, 'environment'));
  const user = getEntry(run, 'user')?.value;
  if (user !== undefined) section.user = String(scalar(user));
  const workdir = str(getEntry(run, 'workdir')?.value);
  if (workdir !== undefined) section.workdir = workdir;
  return section;
}

function commandOf(node: TreeNode | undefined): Command | undefined {
  if (node === undefined) return undefined;
  if (node.kind === 'seq') return { form: 'exec', args: node.items.map((item) => str(item) ?? '') };
  return { form: 'shell', args: [str(node) ?? ''] };
}

function policies(node: MapNode | undefined): Policies {
  const result: Policies = { security: {}, resources: {} };
  const security = node === undefined ? undefined : getMap(node, 'security');
  const resources = node === undefined ? undefined : getMap(node, 'resources');
  const level = security === undefined ? undefined : str(getEntry(security, 'level')?.value);
  const network = security === undefined ? undefined : str(getEntry(security, 'network')?.value);
  if (level === 'low' || level === 'medium' || level === 'high') result.security.level = level;
  if (network === 'none' || network === 'restricted' || network === 'host') result.security.network = network;
  const cpu = resources === undefined ? undefined : getEntry(resources, 'cpu')?.value;
  const memory = resources === undefined ? undefined : getEntry(resources, 'memory')?.value;
  if (cpu !== undefined) result.resources.cpu = must(parseCpu(scalar(cpu)));
  if (memory !== undefined) result.resources.memory = must(parseSize(scalar(memory)));
  return result;
}

function scalar(node: TreeNode) {
  if (node.kind !== 'scalar') throw new Error('internal: expected a scalar');
  return node.value;
}

function str(node: TreeNode | undefined): string | undefined {
  return node?.kind === 'scalar' && node.value !== null ? String(node.value) : undefined;
}

function list(node: TreeNode | undefined): TreeNode[] {
  return node?.kind === 'seq' ? node.items : [];
}

function stringMap(node: MapNode | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of node?.entries ?? []) out[entry.key] = str(entry.value) ?? '';
  return out;
}

function must<T>(parsed: Parsed<T>): T {
  if (!parsed.ok) throw new Error(`internal: a validated value did not read: ${parsed.message}`);
  return parsed.value;
}

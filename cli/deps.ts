/**
 * `nocker deps`: what an image is built on, what is built on it, and what to rebuild when a
 * base moves or has fixable vulnerabilities — as the Hub's dependency graph knows it.
 */
import { fetchDependencies, fetchDependents, fetchRebuildPlan, type Dependencies, type DependentImage, type RebuildPlan } from '../hub/client/deps.ts';
import { printJson } from './admin/common.ts';
import { type CommandIO, onePositional, parseCommandLine, processIO } from './io.ts';
import { shortDigest } from './progress.ts';
import { connect, manifestReference } from './pull.ts';
import { UsageError } from './usage.ts';

/** The help of `nocker deps`. */
export const DEPS_HELP = `Usage:
  nocker deps REF [--tree] [--hub HUB] [--json]
      Print what the image REF is built on: its base, the base's base, … up to the root, each
      with how the Hub knows — "by annotation" (the build named it) or "by layers" (REF's
      bottom layers are exactly the base's). Also the images an index lists, the image a
      referrer refers to, and the artifacts the build pinned.

  nocker deps REF --dependents [--tree] [--hub HUB] [--json]
      List every image built on REF, directly or not, one a line (with --tree, as a tree).

  nocker deps REF --rebuild-plan [--hub HUB] [--json]
      With REF a base tag: the images to rebuild, and why — built on an image the tag no
      longer points to, or built on it while it has vulnerabilities with a fix.

      REF is HOST:PORT/NAME[:TAG][@DIGEST], or NAME[:TAG][@DIGEST] on the Hub given by --hub,
      else $NOCKER_HUB, else 127.0.0.1:5000. Images in repositories you may not pull are left
      out.

  Options:
      --dependents       what is built on REF instead of what REF is built on
      --tree             draw the chain (or the dependents) as a tree
      --rebuild-plan     the images to rebuild because of the base REF
      --hub HUB          the Hub, when REF does not name one
      --json             print the Hub's answer as JSON

  Example:
      nocker deps 127.0.0.1:5000/team/app:v1
      nocker deps 127.0.0.1:5000/library/debian:12 --dependents --tree
      nocker deps 127.0.0.1:5000/library/debian:12 --rebuild-plan
`;

/** How an image is named in the output: `NAME:TAG sha256:<12 hex>`, or `NAME sha256:…` untagged. */
function label(image: { repository: string; digest: string; tags?: string[] }): string {
  const tag = image.tags?.[0];
  return `${image.repository}${tag ? `:${tag}` : ''} sha256:${shortDigest(image.digest)}`;
}

function evidence(image: { via: string; layerCount?: number | null }): string {
  const layers = image.layerCount ? `, ${image.layerCount} shared ${image.layerCount === 1 ? 'layer' : 'layers'}` : '';
  return `(by ${image.via}${layers})`;
}

/** The image asked about, with the tags the answer does not carry: those of the reference. */
function askedLabel(repository: string, digest: string, tag: string | undefined): string {
  return label({ repository, digest, tags: tag ? [tag] : [] });
}

function printDependencies(io: CommandIO, deps: Dependencies, tag: string | undefined, tree: boolean): void {
  const self = askedLabel(deps.repository, deps.digest, tag);
  if (tree) {
    // Root first, the image asked about last.
    const chain = [...deps.bases].reverse();
    // The evidence of each link is on the lower image's base entry: one line up in this order.
    chain.forEach((base, depth) => {
      const above = chain[depth - 1];
      io.stdout.write(`${above ? `${'    '.repeat(depth - 1)}└── ` : ''}${label(base)}${above ? `  ${evidence(above)}` : ''}\n`);
    });
    io.stdout.write(`${chain.length === 0 ? '' : `${'    '.repeat(chain.length - 1)}└── `}${self}${deps.base ? `  ${evidence(deps.base)}` : ''}\n`);
  } else {
    io.stdout.write(`${self}\n`);
    for (const base of deps.bases) io.stdout.write(`  ${label(base)}  ${evidence(base)}\n`);
  }
  if (deps.bases.length === 0 && deps.children.length === 0 && !deps.subject) io.stdout.write('  built on no image this Hub knows\n');
  for (const child of deps.children) io.stdout.write(`  lists ${label(child)}${child.platform ? ` ${child.platform}` : ''}\n`);
  for (const index of deps.indexes) io.stdout.write(`  listed by ${label(index)}\n`);
  if (deps.subject) io.stdout.write(`  refers to ${label(deps.subject)}${deps.subject.present ? '' : ' (not on this Hub)'}\n`);
  for (const artifact of deps.artifacts) io.stdout.write(`  uses artifact ${artifact.reference}\n`);
}

/**
 * The dependents as a tree under the image asked about: each hangs from its base, in the order
 * the Hub listed them.
 */
function printDependentTree(io: CommandIO, root: { repository: string; digest: string }, rootLabel: string, dependents: readonly DependentImage[]): void {
  const key = (image: { repository: string; digest: string }) => `${image.repository}@${image.digest}`;
  const under = new Map<string, DependentImage[]>();
  for (const d of dependents) under.set(key(d.base), [...(under.get(key(d.base)) ?? []), d]);
  io.stdout.write(`${rootLabel}\n`);
  const drawn = new Set<string>();
  const draw = (parent: { repository: string; digest: string }, indent: string) => {
    const children = (under.get(key(parent)) ?? []).filter((d) => !drawn.has(key(d)));
    children.forEach((child, i) => {
      drawn.add(key(child));
      const last = i === children.length - 1;
      io.stdout.write(`${indent}${last ? '└── ' : '├── '}${label(child)}  ${evidence(child)}\n`);
      draw(child, `${indent}${last ? '    ' : '│   '}`);
    });
  };
  draw(root, '');
}

function printRebuildPlan(io: CommandIO, plan: RebuildPlan): void {
  const { base } = plan;
  const name = `${base.repository}${base.tag ? `:${base.tag}` : ''}`;
  const fixable = base.fixableVulnerabilities.length;
  io.stdout.write(`${name} is sha256:${shortDigest(base.digest)}${fixable > 0 ? `, with ${fixable} fixable ${fixable === 1 ? 'vulnerability' : 'vulnerabilities'}` : ''}\n`);
  if (plan.images.length === 0) {
    io.stdout.write('nothing to rebuild\n');
    return;
  }
  io.stdout.write(`rebuild ${plan.images.length} ${plan.images.length === 1 ? 'image' : 'images'}:\n`);
  for (const image of plan.images) {
    io.stdout.write(`  ${label(image)}\n`);
    for (const reason of image.reasons) io.stdout.write(`      ${reason}\n`);
  }
}

/** `nocker deps REF [--dependents] [--tree] [--rebuild-plan] [--hub HUB] [--json]` */
export async function depsCommand(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const parsed = parseCommandLine(
    argv,
    io,
    { dependents: { type: 'boolean' }, tree: { type: 'boolean' }, 'rebuild-plan': { type: 'boolean' }, hub: { type: 'string' }, json: { type: 'boolean' } },
    DEPS_HELP,
  );
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const ref = onePositional(positionals, 'deps', 'image', 'deps needs the image: nocker deps REF [--dependents] [--rebuild-plan]');
  if (values['rebuild-plan'] && (values.dependents || values.tree)) throw new UsageError('--rebuild-plan lists images to rebuild: it takes neither --dependents nor --tree');

  const { reference, client } = await connect(io, ref, values.hub);
  const tag = reference.digest ? undefined : reference.tag;
  if (values['rebuild-plan']) {
    // A base is asked about by its tag: the plan compares what was built on it with where it points now.
    const plan = await fetchRebuildPlan(client, reference.repository, reference.tag ?? manifestReference(reference));
    if (values.json) return printJson(io, plan);
    printRebuildPlan(io, plan);
    return 0;
  }
  if (values.dependents) {
    const answer = await fetchDependents(client, reference.repository, manifestReference(reference), { transitive: true });
    if (values.json) return printJson(io, answer);
    if (values.tree) {
      printDependentTree(io, answer, askedLabel(answer.repository, answer.digest, tag), answer.dependents);
    } else {
      const byKey = new Map(answer.dependents.map((d) => [`${d.repository}@${d.digest}`, d]));
      for (const d of answer.dependents) {
        const on = d.depth > 1 ? (byKey.get(`${d.base.repository}@${d.base.digest}`) ?? d.base) : undefined;
        io.stdout.write(`${label(d)}  ${evidence(d)}${on ? `  on ${label(on)}` : ''}\n`);
      }
      if (answer.dependents.length === 0) io.stdout.write(`nothing on this Hub is built on ${askedLabel(answer.repository, answer.digest, tag)}\n`);
    }
    return 0;
  }
  const deps = await fetchDependencies(client, reference.repository, manifestReference(reference));
  if (values.json) return printJson(io, deps);
  printDependencies(io, deps, tag, values.tree === true);
  return 0;
}

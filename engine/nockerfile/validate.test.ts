import { describe, expect, it } from 'vitest';
import { parseNockerfileText } from './parse.ts';
import { formatProblem, sortProblems } from './problems.ts';
import { nockerfileSchema } from './schema.ts';
import { validateEnvironmentReferences, validateTree } from './validate.ts';

const F = 'Nockerfile.yml';

/** The problems of a whole file (schema and references) as `file:line:col: path: message` lines. */
function problems(text: string, deferReferences = false): string[] {
  const { root, problems: syntax } = parseNockerfileText(text, F);
  if (root === undefined) return syntax.map(formatProblem);
  return sortProblems([...validateTree(root, nockerfileSchema, { deferReferences }), ...validateEnvironmentReferences(root)]).map(formatProblem);
}

const HEAD = 'version: "1.0"\nname: app\n';
const BASE = `${HEAD}build:\n  base: scratch\n`;

describe('validateTree: the document', () => {
  it('accepts a minimal file', () => {
    expect(problems(BASE)).toEqual([]);
  });

  it('reports each missing required key at the map that lacks it', () => {
    expect(problems('run:\n  user: x\n')).toEqual([
      'Nockerfile.yml:1:1: version: missing required key "version"; expected a quoted version: "1.0"',
      'Nockerfile.yml:1:1: name: missing required key "name"; expected a lowercase name such as my-app',
      'Nockerfile.yml:1:1: build: missing required key "build"; expected a map with base, network, dependencies, steps',
    ]);
    expect(problems(`${HEAD}build:\n  network: none\n`)).toEqual(['Nockerfile.yml:3:1: build.base: missing required key "base"; expected an image reference or "scratch"']);
  });

  it('reports an empty file and a file that is not a map', () => {
    expect(problems('')).toEqual(['Nockerfile.yml:1:1: (document): got an empty value; expected a map with version, name, build']);
    expect(problems('- a\n')).toEqual(['Nockerfile.yml:1:1: (document): got a list; expected a map with version, name, build']);
  });

  it('reports unknown keys with a suggestion when one is close', () => {
    expect(problems(`${BASE}polices: {}\nzzz: 1\n`)).toEqual([
      'Nockerfile.yml:5:1: polices: unknown key "polices" (did you mean "policies"?); expected one of version, name, environment, variables, build, run, policies, environments',
      'Nockerfile.yml:6:1: zzz: unknown key "zzz"; expected one of version, name, environment, variables, build, run, policies, environments',
    ]);
  });

  it('reports wrong types, suggesting quotes for a number where a string belongs', () => {
    expect(problems('version: 1.0\nname: [a]\nbuild: scratch\n')).toEqual([
      'Nockerfile.yml:1:10: version: got the number 1 (quote it to make it a string); expected a quoted version: "1.0"',
      'Nockerfile.yml:2:7: name: got a list; expected a lowercase name such as my-app',
      'Nockerfile.yml:3:8: build: got the string "scratch"; expected a map with base, network, dependencies, steps',
    ]);
  });

  it('reports an unsupported version and an invalid name', () => {
    expect(problems('version: "2.0"\nname: My_App\nbuild: { base: scratch }\n')).toEqual([
      'Nockerfile.yml:1:10: version: "2.0" is not allowed; expected a quoted version: "1.0"',
      'Nockerfile.yml:2:7: name: "My_App" is not a valid name; expected lowercase letters and digits joined by ".", "_", "__" or "-" (and "/"), such as my-app',
    ]);
  });
});

describe('validateTree: build', () => {
  it('reports an enum value with a suggestion', () => {
    expect(problems(`${HEAD}build:\n  base: scratch\n  network: hots\n`)).toEqual(['Nockerfile.yml:5:12: build.network: "hots" is not allowed (did you mean "host"?); expected one of none, host']);
  });

  it('reports a base without tag or digest, and a bad digest', () => {
    expect(problems(`${HEAD}build:\n  base: busybox\n`)).toEqual([
      'Nockerfile.yml:4:9: build.base: "busybox" has neither a tag nor a digest; expected "scratch", NAME:TAG or NAME@sha256:<64 hex digits>, NAME optionally starting with HOST[:PORT]/',
    ]);
    expect(problems(`${HEAD}build:\n  base: busybox@sha256:abc\n`)[0]).toMatch(/^Nockerfile\.yml:4:9: build\.base: a sha256 digest has 64 lowercase hex digits/);
  });

  it('reports a step with no known key, with two keys, and with an unknown key', () => {
    const text = `${HEAD}build:\n  base: scratch\n  steps:\n    - {}\n    - run: a\n      copy: b c\n    - rnu: x\n`;
    expect(problems(text)).toEqual([
      'Nockerfile.yml:6:7: build.steps[0]: has none of run, copy, workdir, env; expected exactly one of run, copy, workdir, env',
      'Nockerfile.yml:7:7: build.steps[1]: has run and copy together; expected exactly one of run, copy, workdir, env',
      'Nockerfile.yml:9:7: build.steps[2].rnu: unknown key "rnu" (did you mean "run"?); expected one of run, copy, workdir, env',
      'Nockerfile.yml:9:7: build.steps[2]: has none of run, copy, workdir, env; expected exactly one of run, copy, workdir, env',
    ]);
  });

  it('reports a copy without <src> <dest> and a copy from outside the context', () => {
    const text = `${HEAD}build:\n  base: scratch\n  steps:\n    - copy: onlyone\n    - copy: ../x /y\n`;
    expect(problems(text)).toEqual([
      'Nockerfile.yml:6:13: build.steps[0].copy: copy needs two paths, got 1; expected "<src> <dest>": a path inside the build context, then a path in the image',
      'Nockerfile.yml:7:13: build.steps[1].copy: "../x" is outside the build context; expected "<src> <dest>": a path inside the build context, then a path in the image',
    ]);
  });

  it('reports dependencies that are not references, with a bad range or without a version', () => {
    const text = `${HEAD}build:\n  base: scratch\n  dependencies:\n    - hub.example/libs/runtime:^1.2\n    - hub.example/libs/runtime\n    - "libs/tools:>=1.2 <two"\n    - [x]\n`;
    expect(problems(text)).toEqual([
      'Nockerfile.yml:7:7: build.dependencies[1]: "hub.example/libs/runtime" has no version range, tag or digest; expected HOST/NAME:RANGE (^1.2, ~1.2.3, >=1.2 <2, 1.x), HOST/NAME:TAG or HOST/NAME@sha256:<64 hex digits>',
      'Nockerfile.yml:8:7: build.dependencies[2]: invalid version range ">=1.2 <two": "two" is not a version (MAJOR[.MINOR[.PATCH[-PRERELEASE]]], parts may be x or *); expected HOST/NAME:RANGE (^1.2, ~1.2.3, >=1.2 <2, 1.x), HOST/NAME:TAG or HOST/NAME@sha256:<64 hex digits>',
      'Nockerfile.yml:9:7: build.dependencies[3]: got a list; expected HOST/NAME:RANGE, HOST/NAME:TAG or HOST/NAME@sha256:…',
    ]);
    expect(problems(`${HEAD}build:\n  base: scratch\n  dependencies: hub.example/libs/runtime:^1\n`)).toEqual([
      'Nockerfile.yml:5:17: build.dependencies: got the string "hub.example/libs/runtime:^1"; expected a list of artifact references',
    ]);
  });

  it('reports a relative workdir, an empty run and env that is not a map', () => {
    const text = `${HEAD}build:\n  base: scratch\n  steps:\n    - workdir: app\n    - run: ""\n    - env: [A]\n`;
    expect(problems(text)).toEqual([
      'Nockerfile.yml:6:16: build.steps[0].workdir: "app" is not an absolute path; expected an absolute path such as /app',
      'Nockerfile.yml:7:12: build.steps[1].run: the command is empty; expected a shell command',
      'Nockerfile.yml:8:12: build.steps[2].env: got a list; expected a map of environment variables',
    ]);
  });
});

describe('validateTree: run and policies', () => {
  it('reports bad ports, each at its position', () => {
    expect(problems(`${BASE}run:\n  ports: ["80", 8080, "1:2/sctp", "0", "a:b"]\n`)).toEqual([
      'Nockerfile.yml:6:23: run.ports[2]: "1:2/sctp" is not a port mapping; expected "PORT" or "HOST:CONTAINER", ports 1-65535, optionally ending in /tcp or /udp',
      'Nockerfile.yml:6:35: run.ports[3]: port 0 is out of range; expected "PORT" or "HOST:CONTAINER", ports 1-65535, optionally ending in /tcp or /udp',
      'Nockerfile.yml:6:40: run.ports[4]: "a:b" is not a port mapping; expected "PORT" or "HOST:CONTAINER", ports 1-65535, optionally ending in /tcp or /udp',
    ]);
  });

  it('reports commands of the wrong shape', () => {
    expect(problems(`${BASE}run:\n  command: []\n  entrypoint: { a: b }\n`)).toEqual([
      'Nockerfile.yml:6:12: run.command: the list is empty; expected a list of strings',
      'Nockerfile.yml:7:15: run.entrypoint: got a map; expected a string (shell form) or a list of strings (exec form)',
    ]);
    expect(problems(`${BASE}run:\n  command: [sh, 1]\n`)).toEqual(['Nockerfile.yml:6:17: run.command[1]: got the number 1 (quote it to make it a string); expected a string']);
  });

  it('reports bad environment variable names and values', () => {
    expect(problems(`${BASE}run:\n  environment:\n    1BAD: x\n    OK: [x]\n`)).toEqual([
      'Nockerfile.yml:7:5: run.environment.1BAD: "1BAD" is not a valid name; expected a name of letters, digits and "_", not starting with a digit',
      'Nockerfile.yml:8:9: run.environment.OK: got a list; expected a string, number or boolean',
    ]);
  });

  it('reports policy enums, cpu and memory', () => {
    const text = `${BASE}policies:\n  security: { level: hihg, network: open }\n  resources: { cpu: 0, memory: 2 }\n`;
    expect(problems(text)).toEqual([
      'Nockerfile.yml:6:22: policies.security.level: "hihg" is not allowed (did you mean "high"?); expected one of low, medium, high',
      'Nockerfile.yml:6:37: policies.security.network: "open" is not allowed; expected one of none, restricted, host',
      'Nockerfile.yml:7:21: policies.resources.cpu: 0 is not more than zero; expected a positive number of CPUs, such as 2 or 0.5',
      'Nockerfile.yml:7:32: policies.resources.memory: got the number 2 (quote it to make it a string); expected a size',
    ]);
    expect(problems(`${BASE}policies:\n  resources: { memory: 2 GiB, cpu: lots }\n`)).toEqual([
      'Nockerfile.yml:6:36: policies.resources.cpu: "lots" is not a number; expected a positive number of CPUs, such as 2 or 0.5',
    ]);
    expect(problems(`${BASE}policies:\n  resources: { memory: 2GBs }\n`)).toEqual([
      'Nockerfile.yml:6:24: policies.resources.memory: "2GBs" is not a size; expected a size such as 512MiB or 2GB (units B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)',
    ]);
  });

  it('collects problems from every section at once', () => {
    const text = 'version: "1.0"\nnmae: app\nbuild:\n  base: scratch\n  network: nope\nrun:\n  ports: ["x"]\npolicies:\n  resources: { memory: 1XB }\n';
    expect(problems(text).map((line) => line.split(': ')[0])).toEqual([
      'Nockerfile.yml:1:1',
      'Nockerfile.yml:2:1',
      'Nockerfile.yml:5:12',
      'Nockerfile.yml:7:11',
      'Nockerfile.yml:9:24',
    ]);
  });

  it('leaves values holding ${…} for after substitution when asked to', () => {
    expect(problems(`${BASE}run:\n  ports: ["\${PORT}"]\n`, true)).toEqual([]);
    expect(problems(`${BASE}run:\n  ports: ["\${PORT}"]\n`)).toHaveLength(1);
    expect(problems(`${BASE}run:\n  ports: ["$\${PORT}"]\n`, true)).toHaveLength(1);
  });
});

describe('validateEnvironmentReferences', () => {
  it('accepts built-in environments without an entry', () => {
    expect(problems(`${BASE}environment: embedded\nenvironments:\n  small: { extends: testing }\n`)).toEqual([]);
  });

  it('reports an environment: that names no environment', () => {
    expect(problems(`${BASE}environment: staging\n`)).toEqual([
      'Nockerfile.yml:5:14: environment: no environment "staging"; expected one of production, development, embedded, testing',
    ]);
    expect(problems(`${BASE}environment: prod\nenvironments:\n  prd: {}\n`)).toEqual([
      'Nockerfile.yml:5:14: environment: no environment "prod" (did you mean "prd"?); expected one of production, development, embedded, testing, prd',
    ]);
  });

  it('reports an extends that names no environment', () => {
    expect(problems(`${BASE}environments:\n  small: { extends: embeded }\n`)).toEqual([
      'Nockerfile.yml:6:21: environments.small.extends: no environment "embeded" (did you mean "embedded"?); expected one of production, development, embedded, testing, small',
    ]);
  });

  it('reports a cycle once, at the first member in the file', () => {
    const text = `${BASE}environments:\n  a: { extends: b }\n  b: { extends: c }\n  c: { extends: a }\n  d: { extends: a }\n`;
    expect(problems(text)).toEqual(['Nockerfile.yml:6:17: environments.a.extends: extends cycle: a → b → c → a; expected a chain of environments that ends']);
  });

  it('reports an environment that extends itself', () => {
    expect(problems(`${BASE}environments:\n  production: { extends: production }\n`)).toEqual([
      'Nockerfile.yml:6:26: environments.production.extends: extends cycle: production → production; expected a chain of environments that ends',
    ]);
  });

  it('checks the overrides of an environment against the schema', () => {
    expect(problems(`${BASE}environments:\n  Dev: { run: { prots: [1] } }\n`)).toEqual([
      'Nockerfile.yml:6:3: environments.Dev: "Dev" is not a valid name; expected a name of lowercase letters, digits, "_" and "-"',
      'Nockerfile.yml:6:17: environments.Dev.run.prots: unknown key "prots" (did you mean "ports"?); expected one of command, entrypoint, ports, environment, user, workdir',
    ]);
    expect(problems(`${BASE}environments:\n  dev: { name: other }\n`)).toEqual([
      'Nockerfile.yml:6:10: environments.dev.name: unknown key "name"; expected one of extends, variables, build, run, policies',
    ]);
  });
});

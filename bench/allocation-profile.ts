/**
 * Reads a V8 sampling heap profile (`.heapprofile`, as bench/soak-stack.ts writes it) and says
 * who allocated: bytes by package (a `node_modules` package, a folder of this repository, or
 * Node's own code) and by function, largest first. Self sizes only: a function's bytes are what it
 * allocated itself, not its callees'.
 */
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

const root = fileURLToPath(new URL('..', import.meta.url));

/** `node_modules/@aws-sdk/client-sqs/...` → `@aws-sdk/client-sqs`; `libs/core/src/x.ts` → `libs/core`; `node:http` → `node:http`. */
export const packageOf = (url: string): string => {
  if (url === '') return '(V8, native)';
  if (url.startsWith('node:')) return url;
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const modules = path.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const parts = path.slice(modules + 'node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  const inRepo = relative(root, path);
  return inRepo.startsWith('..') ? path : inRepo.split('/').slice(0, 2).join('/');
};

export const summarizeAllocations = (profile: { head: ProfileNode }, seconds: number, top = 12): string => {
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  const visit = (node: ProfileNode) => {
    const { functionName, url, lineNumber } = node.callFrame;
    if (node.selfSize > 0) {
      total += node.selfSize;
      const pkg = packageOf(url);
      byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + node.selfSize);
      const fn = `${functionName || '(anonymous)'} ${pkg}${url.startsWith('node:') ? '' : `:${lineNumber + 1}`}`;
      byFunction.set(fn, (byFunction.get(fn) ?? 0) + node.selfSize);
    }
    for (const child of node.children) visit(child);
  };
  visit(profile.head);
  const rate = (bytes: number) => `${(bytes / seconds / 1024 / 1024).toFixed(2)} MB/s`;
  const share = (bytes: number) => `${((bytes / total) * 100).toFixed(1).padStart(5)} %`;
  const list = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, bytes]) => `  ${share(bytes)}  ${rate(bytes).padStart(11)}  ${name}`);
  return [
    `main thread allocations (sampled over ${seconds} s): ${rate(total)} in all`,
    'by package:',
    ...list(byPackage),
    'by function (self):',
    ...list(byFunction),
  ].join('\n');
};

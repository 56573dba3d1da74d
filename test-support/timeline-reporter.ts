/**
 * Ends every run with where its wall time went: for each project, when its first file started and
 * its last ended (seconds from the run's start) and its longest files. CI has a time budget and
 * prints only the end of its log, so this is what tells the next cut to make.
 */
import type { Reporter, TestModule } from 'vitest/node';

type Span = { file: string; start: number; end: number };

const seconds = (ms: number) => Math.round(ms / 1000);

export default class TimelineReporter implements Reporter {
  private runStart = Date.now();
  private readonly started = new Map<string, number>();
  private readonly spans = new Map<string, Span[]>();

  onTestRunStart(): void {
    this.runStart = Date.now();
  }

  onTestModuleStart(module: TestModule): void {
    this.started.set(module.moduleId, Date.now());
  }

  onTestModuleEnd(module: TestModule): void {
    const start = this.started.get(module.moduleId) ?? this.runStart;
    const project = module.project.name || 'default';
    const spans = this.spans.get(project) ?? [];
    spans.push({ file: module.moduleId.replace(`${process.cwd()}/`, ''), start, end: Date.now() });
    this.spans.set(project, spans);
  }

  onTestRunEnd(): void {
    if (this.spans.size === 0) return;
    const lines = [...this.spans.entries()]
      .map(([project, spans]) => ({
        project,
        spans,
        start: Math.min(...spans.map((s) => s.start)),
        end: Math.max(...spans.map((s) => s.end)),
      }))
      .sort((a, b) => a.start - b.start)
      .map(({ project, spans, start, end }) => {
        const longest = [...spans]
          .sort((a, b) => b.end - b.start - (a.end - a.start))
          .slice(0, 3)
          .map((s) => `${s.file} ${seconds(s.end - s.start)} s`)
          .join(', ');
        const from = seconds(start - this.runStart);
        const to = seconds(end - this.runStart);
        return `  ${project}: ${from}–${to} s (${to - from} s, ${spans.length} files; longest ${longest})`;
      });
    process.stdout.write(`\nWall time by project, from the run's start:\n${lines.join('\n')}\n`);
  }
}

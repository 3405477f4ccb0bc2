/**
 * Says why specs were skipped: the list reporter counts skips but does not print their reasons, and
 * a skipped Electron run must say why (no binary here, an unbuilt app).
 */
import type { Reporter, TestCase, TestResult } from '@playwright/test/reporter';

export default class SkipReasons implements Reporter {
  readonly #reasons = new Map<string, number>();

  onTestEnd(test: TestCase, result: TestResult): void {
    if (result.status !== 'skipped') return;
    const reason = test.annotations.find((a) => a.type === 'skip')?.description || 'no reason given';
    const key = `[${test.parent.project()?.name ?? '?'}] ${reason}`;
    this.#reasons.set(key, (this.#reasons.get(key) ?? 0) + 1);
  }

  onEnd(): void {
    for (const [reason, count] of this.#reasons) process.stdout.write(`skipped ${count}: ${reason}\n`);
  }

  printsToStdio(): boolean {
    return false;
  }
}

/** Ends the run with one plain line CI can read: "tests: N passed, N failed, N skipped". */
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const count = { passed: 0, failed: 0, skipped: 0 };
    for (const mod of testModules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') count.passed++;
        // A test that never ran because its file's setup failed (e.g. no browser) did not pass: it failed.
        else if (state === 'failed' || (mod.state() === 'failed' && test.options.mode === 'run')) count.failed++;
        else count.skipped++;
      }
      if (mod.state() === 'failed' && [...mod.children.allTests()].length === 0) count.failed++;
    }
    process.stdout.write(`\ntests: ${count.passed} passed, ${count.failed} failed, ${count.skipped} skipped\n`);
  }
}

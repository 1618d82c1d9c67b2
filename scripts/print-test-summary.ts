/** Prints vitest's JSON report as one closing line for CI: "N passed, N failed, N skipped". */
import { readFileSync } from 'node:fs';

interface VitestJsonReport {
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests?: number;
  numTodoTests?: number;
}

const report = JSON.parse(
  readFileSync(process.argv[2] ?? 'test-results/vitest.json', 'utf8'),
) as VitestJsonReport;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
console.log(`${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped} skipped`);
process.exit(report.numFailedTests > 0 || report.numTotalTests === 0 ? 1 : 0);

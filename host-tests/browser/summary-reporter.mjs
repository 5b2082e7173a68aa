// A node:test reporter for scripts/test-browser.sh: the name and assertion message of every
// failing test, the notes tests leave (t.diagnostic), and one closing line
//   browser/<EMONGROUPS_LABEL>: N passed, M failed
// Used beside the spec reporter, which writes the whole run to a log file.
const LABEL = process.env.EMONGROUPS_LABEL || "tests";
const RUN_TOTALS = /^(tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) /;

/** The message a person needs: the assertion's (or the hook's) own error, not the runner's wrapper. */
function message(error) {
  let e = error;
  while (e && e.code === "ERR_TEST_FAILURE" && e.cause) e = e.cause;
  const text = e instanceof Error ? e.message : String(e);
  const lines = text.split("\n");
  return (lines.length > 24 ? [...lines.slice(0, 24), `… (${lines.length - 24} more lines)`] : lines).join("\n");
}

export default async function* summary(source) {
  let passed = 0;
  let failed = 0;
  for await (const { type, data } of source) {
    if (type === "test:pass" && !data.skip && !data.todo && data.details?.type !== "suite") {
      passed++;
    } else if (type === "test:fail" && !data.todo && data.details?.type !== "suite") {
      failed++;
      const where = data.file ? ` (${data.file.replace(/^.*\/host-tests\//, "host-tests/")})` : "";
      yield `not ok - ${data.name}${where}\n${message(data.details?.error).replace(/^/gm, "    ")}\n`;
    } else if (type === "test:diagnostic" && !RUN_TOTALS.test(data.message)) {
      yield `# ${data.message}\n`;
    }
  }
  yield `browser/${LABEL}: ${passed} passed, ${failed} failed\n`;
}

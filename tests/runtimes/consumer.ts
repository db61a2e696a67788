/**
 * A strict TypeScript consumer of the installed npm package, both entry
 * points, type-checked as a Node project would (NodeNext, strict, without
 * skipLibCheck). Shared by tests/node_test.ts and tests/runtimes/runtimes.ts.
 *
 * @module
 */
import ts from "typescript";

/** The consumer's source. */
export const CONSUMER =
  `import { MLS, MlsError, type Received } from "@webmls/mls";
import { DeliveryClient, type DeliveryEvent } from "@webmls/mls/delivery";

const mls = new MLS();
const alice = await mls.generateIdentity();
const group = await mls.groupCreate(alice, await mls.generateCredential("a"));
const bytes: Uint8Array = await group.send("hi");
const epoch: bigint = group.epoch;
function show(r: Received): string {
  return r.type === "application" ? r.text() : r.type;
}
const onEvent = (e: DeliveryEvent) => console.log(e.type);
export { bytes, DeliveryClient, epoch, MlsError, onEvent, show };
`;

/**
 * Writes the consumer into `dir` (a project with the package installed)
 * and type-checks it.
 *
 * @param dir the project
 * @param wrong whether to make one type wrong (to show the check can fail)
 * @returns the type errors
 */
export function typeErrors(dir: string, wrong = false): string[] {
  const file = `${dir}/consumer.ts`;
  Deno.writeTextFileSync(
    file,
    wrong
      ? CONSUMER.replace("const epoch: bigint", "const epoch: string")
      : CONSUMER,
  );
  const program = ts.createProgram([file], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
    types: [],
  });
  return ts.getPreEmitDiagnostics(program).map((d) =>
    ts.flattenDiagnosticMessageText(d.messageText, "\n") +
    (d.file ? ` (${d.file.fileName})` : "")
  );
}

/**
 * `npm start`: the demo upgrade on the local mesh. Until the demo lands, it says what exists.
 */
process.stdout.write(
  [
    "Tranquil: the demo upgrade is not wired up yet.",
    "What exists so far: the workspace, CI and the TraceManager store port.",
    "Run `npm test` to exercise the components.",
    "",
  ].join("\n"),
);

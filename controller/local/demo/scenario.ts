/** The demo's scenarios, apart from the demo itself so that its command line loads without the local mesh. */

/** What the demo runs. */
export const Scenario = { Default: "default", BadRelease: "bad-release" } as const;
/** A demo scenario. */
export type Scenario = (typeof Scenario)[keyof typeof Scenario];

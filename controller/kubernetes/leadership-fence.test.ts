import { describe, expect, it } from "vitest";
import { fenced, NotLeaderError } from "./leadership-fence.js";

class Port {
  calls = 0;
  write(): Promise<string> {
    this.calls++;
    return Promise.resolve("written");
  }
  watch(): () => void {
    return () => undefined;
  }
}

describe("the leadership fence", () => {
  it("lets calls through while leading and refuses them, without running them, once not", async () => {
    let leading = true;
    const port = new Port();
    const wrapped = fenced(port, () => leading, ["watch"]);
    await expect(wrapped.write()).resolves.toBe("written");
    leading = false;
    await expect(wrapped.write()).rejects.toBeInstanceOf(NotLeaderError);
    expect(port.calls).toBe(1);
    expect(typeof wrapped.watch()).toBe("function");
  });
});

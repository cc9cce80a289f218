/**
 * Cutting a controller off as a crash would: after `kill()`, every call through a wrapped
 * object fails at once, so whatever the controller had in flight stops half done and nothing
 * more reaches the mesh or the state file. The crash tests (G5) pass {@link KillSwitch.wrap} as
 * the local controller's `interpose` option and throw the switch to stand in for killing the
 * process. Test code only: the product never wraps its ports.
 */

/** Thrown by every call through a killed wrapper. */
export class ControllerKilledError extends Error {
  constructor() {
    super("the controller was killed");
    this.name = "ControllerKilledError";
  }
}

/** A switch shared by the wrappers of one controller. */
export class KillSwitch {
  private killed = false;

  get isKilled(): boolean {
    return this.killed;
  }

  kill(): void {
    this.killed = true;
  }

  /** Wraps `target` so each of its methods fails once the switch is thrown. */
  wrap<T extends object>(target: T): T {
    return new Proxy(target, {
      get: (obj, prop, receiver) => {
        const value: unknown = Reflect.get(obj, prop, receiver);
        if (typeof value !== "function") return value;
        return (...args: unknown[]): unknown => {
          if (this.killed) return Promise.reject(new ControllerKilledError());
          const result: unknown = (value as (...a: unknown[]) => unknown).apply(obj, args);
          // A call that was already running finishes, but its caller never learns of it.
          if (result instanceof Promise) {
            return result.then((v: unknown) => {
              if (this.killed) throw new ControllerKilledError();
              return v;
            });
          }
          return result;
        };
      },
    });
  }
}

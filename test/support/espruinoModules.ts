/**
 * Just enough of Espruino's `require("Storage")` for the firmware bundle to run in a Node `vm`
 * context: plain files and StorageFiles (`open(name, "a")`), with the semantics measured on the
 * interpreter (a missing file reads as undefined; `list` takes `{ sf }`).
 */
export function fakeEspruinoStorage() {
  const plain: Record<string, string> = {};
  const appended: Record<string, string> = {};
  return {
    read: (name: string) => plain[name],
    readJSON: (name: string) => (plain[name] === undefined ? undefined : JSON.parse(plain[name])),
    write: (name: string, data: string) => {
      plain[name] = data;
      return true;
    },
    erase: (name: string) => {
      delete plain[name];
    },
    list: (_pattern: unknown, options?: { sf: boolean }) =>
      Object.keys(options?.sf ? appended : plain),
    getFree: () => 100_000,
    open: (name: string, _mode: "r" | "a") => ({
      read: (length: number) => appended[name]?.slice(0, length),
      write: (data: string) => {
        appended[name] = (appended[name] ?? "") + data;
      },
      getLength: () => appended[name]?.length ?? 0,
      erase: () => {
        delete appended[name];
      },
    }),
  };
}

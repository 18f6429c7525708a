import { it } from "vitest";
import { image, ns, otaWorld, tenant } from "./support/otaDevice.js";
it("dbg", () => {
  const w = otaWorld();
  w.run(10_000);
  w.updates.publish(tenant, ns, { version: "2.0.0", image: image("2.0.0", 10_000) });
  w.run(60_000);
  console.log(w.otaState(), JSON.stringify(w.ota()!.context).slice(0, 600), w.boots.length);
  console.log(w.device.logsOf("ota"));
});

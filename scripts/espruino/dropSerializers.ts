/**
 * Leaves out of the firmware the `toJSON` closures xstate attaches to every transition, initial
 * transition and invocation it builds. They serialise a machine's definition for inspectors and
 * visualisers, which never run on the device, yet each one is a closure that keeps its whole
 * scope alive: about 20 JsVars a transition, over 300 for the network manager alone (measured on
 * 2v29). Only per-object function literals named `toJSON` go: a shared method (a snapshot's
 * `toJSON: machineSnapshotToJSON`, class methods) costs nothing per object and stays, so a snapshot
 * still serialises as on Node.
 *
 * It applies to xstate's own files only (an esbuild plugin around a Babel pass), and the build
 * fails if it finds nothing to drop: a new xstate that moved them must be looked at, not missed.
 */
import { readFileSync } from "node:fs";
import { type types as BabelTypes, type PluginObj, transformSync } from "@babel/core";
import type { Plugin } from "esbuild";

/** The Babel plugin: counts what it drops in `dropped.count`. */
export function dropSerializers(dropped: { count: number }) {
  return ({ types: t }: { types: typeof BabelTypes }): PluginObj => ({
    name: "drop-serializers",
    visitor: {
      "ObjectProperty|ObjectMethod"(path) {
        const node = path.node as BabelTypes.ObjectProperty | BabelTypes.ObjectMethod;
        if (node.computed || !t.isIdentifier(node.key, { name: "toJSON" })) return;
        const perObject =
          t.isObjectMethod(node) ||
          t.isArrowFunctionExpression(node.value) ||
          t.isFunctionExpression(node.value);
        if (!perObject) return;
        path.remove();
        dropped.count++;
      },
    },
  });
}

const XSTATE_FILE = /[\\/]node_modules[\\/]xstate[\\/]dist[\\/].*\.js$/;

/** The esbuild plugin for pass 1; `done()` throws if xstate was bundled and nothing was dropped. */
export function dropXstateSerializers(): { plugin: Plugin; done(): number } {
  const dropped = { count: 0 };
  let seen = false;
  return {
    plugin: {
      name: "drop-xstate-serializers",
      setup(build) {
        build.onLoad({ filter: XSTATE_FILE }, (args) => {
          seen = true;
          const out = transformSync(readFileSync(args.path, "utf8"), {
            babelrc: false,
            configFile: false,
            sourceType: "module",
            compact: false,
            plugins: [dropSerializers(dropped)],
          });
          return { contents: out?.code ?? "", loader: "js" };
        });
      },
    },
    done() {
      if (seen && dropped.count === 0) {
        throw new Error("drop-serializers: xstate was bundled but no toJSON closure was found");
      }
      return dropped.count;
    },
  };
}

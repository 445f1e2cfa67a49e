/**
 * Loads the plugin's protobuf definitions (the text modules beside this file) into grpc-js
 * service definitions: protobufjs parses each text into one Root (keepCase, so fields keep their
 * snake_case names), proto-loader turns it into a package definition with the options the
 * contract fixes (longs as Number, enums as String, defaults, oneofs; bytes arrive as Buffer).
 * No file is read: the texts ship inside the compiled modules.
 */
import * as grpc from '@grpc/grpc-js';
import { fromJSON, type Options } from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import { GO_PLUGIN_PROTO, HEALTH_PROTO, WELL_KNOWN_PROTO } from './go-plugin-proto.js';
import { TFPLUGIN6_PROTO } from './tfplugin6-proto.js';

export const LOADER_OPTIONS: Options = Object.freeze({ keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true });

export interface PluginProtos {
  /** tfplugin6.Provider */
  provider: grpc.ServiceDefinition;
  /** plugin.GRPCController */
  controller: grpc.ServiceDefinition;
  /** plugin.GRPCStdio */
  stdio: grpc.ServiceDefinition;
  /** plugin.GRPCBroker */
  broker: grpc.ServiceDefinition;
  /** grpc.health.v1.Health */
  health: grpc.ServiceDefinition;
  /** The loaded package tree, for clients (tests): `grpc.tfplugin6.Provider` is a client constructor. */
  grpc: grpc.GrpcObject;
}

let cached: PluginProtos | undefined;

/** Parses the definitions once per process. */
export function loadPluginProtos(): PluginProtos {
  if (cached) return cached;
  const root = new protobuf.Root();
  for (const text of [WELL_KNOWN_PROTO, TFPLUGIN6_PROTO, GO_PLUGIN_PROTO, HEALTH_PROTO]) protobuf.parse(text, root, { keepCase: true });
  root.resolveAll();
  const pkg = grpc.loadPackageDefinition(fromJSON(root.toJSON(), LOADER_OPTIONS));
  const service = (path: string): grpc.ServiceDefinition => {
    let node: unknown = pkg;
    for (const part of path.split('.')) node = (node as Record<string, unknown>)[part];
    return (node as { service: grpc.ServiceDefinition }).service;
  };
  cached = {
    provider: service('tfplugin6.Provider'),
    controller: service('plugin.GRPCController'),
    stdio: service('plugin.GRPCStdio'),
    broker: service('plugin.GRPCBroker'),
    health: service('grpc.health.v1.Health'),
    grpc: pkg,
  };
  return cached;
}

/** The RPC names of tfplugin6.Provider in the order the definition lists them. */
export function providerRpcNames(): string[] {
  return Object.keys(loadPluginProtos().provider);
}

// startNetwork in a browser: the controller runs in this tab with no server (nodes reach it
// only through the in-realm control channel), its state in memory, and the nodes' links over
// the memory transport. Configs are objects: a tab has no files to read.
import { NextminiError } from './errors.js';
import { Controller } from './controller/controller.js';
import { MemoryStore } from './controller/store/memory.js';
import { resolveControllerConfig, type ControllerConfig } from './config/controller-config.js';
import { networkProtocol, openNetwork, type Network, type StartNetworkOptions } from './network.js';

/**
 * Starts a controller and every node of its topology in this tab. Resolves once every node
 * has joined; `ready()` waits for the topology. Call `await init()` first.
 */
export async function startNetwork(controllerConfig: ControllerConfig, options: StartNetworkOptions = {}): Promise<Network> {
  const protocol = networkProtocol(options, ['memory'], 'the browser');
  if (typeof controllerConfig === 'string') {
    throw new NextminiError('CONFIG_INVALID', `controller config: the browser cannot read config files (got the path ${JSON.stringify(controllerConfig)}); pass the config as an object`);
  }
  // As on Node, startNetwork keeps the controller's state in memory whatever [db] says.
  const cfg = resolveControllerConfig(controllerConfig as unknown as Record<string, unknown>);
  const controller = await Controller.open(cfg, async () => new MemoryStore());
  return openNetwork(controller, controller.realmUrl, protocol, options);
}

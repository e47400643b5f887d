// Scenarios that wait for APIs being written elsewhere. Each is a registry entry without
// run(): the harness reports it as pending with its reason and never invents numbers.
// To implement one, give it a run(ctx) returning { cases } (see unicast-goodput.mjs) in
// its own file and swap it into scenarios/index.mjs.
export const losslessMulticast = {
  id: 'lossless-multicast',
  number: 3,
  title: 'Lossless multicast vs unicast vs TCP',
  pending: 'pending: needs multicast/lossless API (one sender to K receivers: multicast tree vs K unicast sends vs K raw node:net connections)',
};

export const coreMicro = {
  id: 'core-microbench',
  number: 4,
  title: 'Core ns/packet and RaptorQ',
  pending: 'pending: needs multicast/lossless API (RaptorQ encode/decode and per-packet core cost are not exposed by the SDK yet)',
};

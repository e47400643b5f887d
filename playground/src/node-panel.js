// The selected node: its dp.stats(), refreshed with every sample. Counters that are objects
// (drops, sessions, flow control) are flattened; drops show only the reasons that happened.

const $ = (id) => document.getElementById(id);

function rows(s) {
  const out = [
    ['messages sent', s.messagesSent],
    ['packets sent', s.packetsSent],
    ['packets received', s.packetsReceived],
    ['packets forwarded', s.packetsForwarded],
    ['messages delivered', s.messagesDelivered],
    ['bytes delivered', s.bytesDelivered],
    ['queued', s.queued],
    ['drops', Object.entries(s.drops).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'],
    ['links', s.links.map((l) => `→${l.neighbor}`).join(' ')],
    ['sessions', Object.entries(s.sessions).map(([k, v]) => `${k} ${v}`).join(', ')],
  ];
  return out;
}

export class NodePanel {
  constructor() {
    this.net = null;
    this.id = null;
  }

  setNetwork(net) {
    this.net = net;
    this.id = null;
  }

  show(id) {
    this.id = id;
    const info = this.net.node(id).getNetworkInfo();
    $('node-title').textContent = `Node ${id} · ${info.userSpaceAddr} · ${info.protocol}`;
    this.render();
  }

  render() {
    if (!this.net || this.id === null) return;
    let s;
    try {
      s = this.net.node(this.id).stats();
    } catch {
      return;
    }
    $('node-stats').replaceChildren(
      ...rows(s).map(([k, v]) => {
        const tr = document.createElement('tr');
        tr.innerHTML = '<td></td><td></td>';
        tr.children[0].textContent = k;
        tr.children[1].textContent = String(v);
        return tr;
      }),
    );
  }
}
